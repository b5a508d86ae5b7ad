import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { requireAuth, signedIn } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import type { AppEnv } from "../env.ts";
import { events } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { createdWithKey, idempotencyKeyOf } from "../lib/idempotency.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageQuery, pageSchema } from "../lib/pagination.ts";
import { AccessRightSchema } from "../orders/schemas.ts";
import { cancelGrant, GRANT_SOURCES, GrantBody, grantOf, grantRights, listGrants, restoreGrant } from "./grants.ts";
import { heldRight, QR_STATUSES, rightInactive } from "./held-rights.ts";
import { renderQrSvg } from "./qr-svg.ts";
import { activeKid, eventPublicKeys, issueAccessTokens } from "./signing-keys.ts";

const tags = ["Access rights"];
/** Events whose keys anyone may read: those that were published. */
const PUBLISHED_STATUSES: ReadonlySet<string> = new Set(["APPROVED", "CANCELLED", "COMPLETED"]);
const rightParam = z.object({ access_right_id: z.uuid() });
const PublicJwkSchema = z
  .object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string(), kid: z.string(), alg: z.literal("EdDSA"), use: z.literal("sig") })
  .openapi("EventPublicKey");

/** Where a right's QR image is cached: VAULT is never served publicly, and a QR is a bearer credential. */
const qrKey = (eventId: string, rightId: string) => `qr/${eventId}/${rightId}.svg`;

/** The caller's own right if it may carry a QR; an inactive right loses its cached QR. */
async function heldActiveRight(c: Context<AppEnv>, rightId: string) {
  const right = await heldRight(c.env, requireAuth(c.get("auth")).userId, rightId);
  if (!QR_STATUSES.includes(right.status)) {
    await c.env.VAULT.delete(qrKey(right.event_id, right.id));
    throw rightInactive(right.status);
  }
  return right;
}

export function accessRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/access-rights/{access_right_id}/qr",
      operationId: "getMyAccessRightQr",
      tags,
      security: bearerAuth,
      summary: "The QR code of one of my access rights, as SVG",
      description:
        "For the right's holder only, while the right is ENABLED or USED. The QR carries the signed token of `/token`; the code printed under it is the right's `qr_code`. A bearer credential: never cached by intermediaries.",
      request: { params: rightParam },
      responses: {
        200: { description: "The QR code (error correction M, 4-module quiet zone).", content: { "image/svg+xml": { schema: z.string() } } },
        ...errors("access_right_inactive", "not_found"),
      },
    }),
    async (c) => {
      const right = await heldActiveRight(c, c.req.valid("param").access_right_id);
      const key = qrKey(right.event_id, right.id);
      const kid = await activeKid(c.env, right.event_id);
      const cached = await c.env.VAULT.get(key);
      let svg: string;
      // A QR signed by a key since retired is redrawn with the active one.
      if (cached && cached.customMetadata?.kid === kid) svg = await cached.text();
      else {
        const signed = (await issueAccessTokens(c.env, right.event_id, [right.id]))[0]!;
        svg = renderQrSvg(signed.token);
        await c.env.VAULT.put(key, svg, { httpMetadata: { contentType: "image/svg+xml" }, customMetadata: { kid: signed.kid } });
      }
      return c.body(svg, 200, {
        "Content-Type": "image/svg+xml",
        "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'",
      });
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/access-rights/{access_right_id}/token",
      operationId: "getMyAccessRightToken",
      tags,
      security: bearerAuth,
      summary: "The signed QR token of one of my access rights",
      description: "For apps that draw the QR themselves: encode `token` as is. `qr_code` is the short code printed under it for manual entry; `kid` names the event key that signed it.",
      request: { params: rightParam },
      responses: {
        200: jsonResponse(z.object({ token: z.string(), qr_code: z.string(), kid: z.string() }), "The token."),
        ...errors("access_right_inactive", "not_found"),
      },
    }),
    async (c) => {
      const right = await heldActiveRight(c, c.req.valid("param").access_right_id);
      const { token, kid } = (await issueAccessTokens(c.env, right.event_id, [right.id]))[0]!;
      c.header("Cache-Control", "private, no-store");
      return c.json({ token, qr_code: right.qr_code, kid }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/keys",
      operationId: "getEventKeys",
      tags,
      summary: "The public keys that verify an event's QR tokens",
      description:
        "A JWK set (Ed25519). Retired keys stay listed: the tokens they signed remain valid until the event ends. Gate devices cache it to verify offline. " +
        "Read-only: an event's first key is made when its ticketing opens (the event approved, or a configuration of an approved event synced), never by this route. " +
        "404 for an event that is not public (a draft, pending review or rejected); an event with no key yet answers an empty set, not cached.",
      request: { params: z.object({ event_id: z.uuid() }) },
      responses: { 200: jsonResponse(z.object({ keys: z.array(PublicJwkSchema) }), "JWK set."), ...errors("not_found") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const [event] = await getDb(c.env.DB).select({ status: events.status }).from(events).where(eq(events.id, event_id)).limit(1);
      if (!event || !PUBLISHED_STATUSES.has(event.status)) throw problems.notFound("Event");
      const keys = await eventPublicKeys(c.env, event_id);
      c.header("Cache-Control", keys.length > 0 ? "public, max-age=300" : "no-store");
      return c.json({ keys }, 200);
    },
  );

  const grantParams = z.object({ event_id: z.uuid(), grant_id: z.uuid() });
  const GrantSchema = z
    .object({
      grant_id: z.string(),
      source_type: z.enum(GRANT_SOURCES),
      access_rights: z.array(AccessRightSchema),
    })
    .openapi("Grant");

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/grants",
      operationId: "createGrant",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Give invitations, staff, media or partner rights to a list of people",
      description:
        "Needs `event.manage` on the event (OWNER, MANAGER of its organization; admins). One access right per listed person (by account id, or by email: an address without an account gets a passwordless one), all issued in one step or none, each with its own QR code; each person is told in the app and by email. A listed person the event's blacklist bans (USER, EMAIL or PHONE entries of the event, its venue, its organization or global) refuses the whole grant: 422 with `holder_blacklisted` at `holders.{index}`. With `config_id` the units come out of that configuration's inventory. Send an `Idempotency-Key`: a retry returns the same grant (`Idempotent-Replayed: true`) instead of a second batch; the same key with another request (other holders, zone, configuration or kind) is 422 `idempotency_key_reused` and issues nothing.",
      request: {
        params: z.object({ event_id: z.uuid() }),
        headers: z.object({ "idempotency-key": z.string().optional().openapi({ description: "8–255 visible ASCII characters, unique per grant." }) }),
        body: jsonBody(GrantBody),
      },
      responses: { 201: jsonResponse(GrantSchema, "The grant and its rights."), ...errors("config_not_found", "forbidden", "idempotency_key_reused", "not_found", "recipient_email_unverified", "sold_out") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const { already_issued, ...grant } = await grantRights(c.env, requireAuth(c.get("auth")), event_id, c.req.valid("json"), idempotencyKeyOf(c));
      createdWithKey(c, `/v1/events/${event_id}/grants/${grant.grant_id}`, already_issued);
      return c.json(grant, 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/grants",
      operationId: "listGrants",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "An event's grants, newest first",
      description: "Needs `attendees.read` on the event. Each with how many rights it gave, and how many were used or cancelled.",
      request: { params: z.object({ event_id: z.uuid() }), query: z.object(pageQuery) },
      responses: {
        200: jsonResponse(
          pageSchema(z.object({ grant_id: z.string(), source_type: z.enum(GRANT_SOURCES), created_at: z.string(), created_by: z.string().nullable(), rights: z.number().int(), used: z.number().int(), cancelled: z.number().int() })),
          "Grants.",
        ),
        ...errors("forbidden", "not_found"),
      },
    }),
    async (c) => c.json(await listGrants(c.env, requireAuth(c.get("auth")), c.req.valid("param").event_id, c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/grants/{grant_id}",
      operationId: "getGrant",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "One grant and the live status of its rights",
      description: "Needs `attendees.read` on the event.",
      request: { params: grantParams },
      responses: { 200: jsonResponse(GrantSchema, "The grant."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const { event_id, grant_id } = c.req.valid("param");
      return c.json(await grantOf(c.env, requireAuth(c.get("auth")), event_id, grant_id), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/grants/{grant_id}/cancel",
      operationId: "cancelGrant",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Take a grant back",
      description:
        "Needs `event.manage` on the event. Its rights not yet used or transferred are CANCELLED in one step and their QR codes stop working at the gates; units taken from a configuration go back on sale. Repeating it changes nothing more (`cancelled`: how many rights this call cancelled).",
      request: { params: grantParams, body: jsonBody(z.strictObject({ reason: z.string().trim().min(1).max(500) })) },
      responses: { 200: jsonResponse(GrantSchema.extend({ cancelled: z.number().int() }), "The grant, taken back."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const { event_id, grant_id } = c.req.valid("param");
      return c.json(await cancelGrant(c.env, requireAuth(c.get("auth")), event_id, grant_id, c.req.valid("json").reason), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/grants/{grant_id}/restore",
      operationId: "restoreGrant",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Give a grant taken back its rights again",
      description:
        "Needs `event.manage` on the event. The grant's CANCELLED rights become ENABLED again in one step, with the same codes (each logged RESTORE in the access transactions log), and their holders are told again with their tickets (ACCESS_GRANTED). Units they took from a configuration are taken again: 409 `sold_out` or `zone_share_sold_out` when they are gone (nothing restored); 409 `event_closed` once the event is over or cancelled. Repeating it changes nothing more (`restored`: how many rights this call restored).",
      request: { params: grantParams, body: jsonBody(z.strictObject({ reason: z.string().trim().min(1).max(500) })) },
      responses: { 200: jsonResponse(GrantSchema.extend({ restored: z.number().int() }), "The grant, restored."), ...errors("forbidden", "not_found", "sold_out", "zone_share_sold_out", "event_closed") },
    }),
    async (c) => {
      const { event_id, grant_id } = c.req.valid("param");
      return c.json(await restoreGrant(c.env, requireAuth(c.get("auth")), event_id, grant_id, c.req.valid("json").reason), 200);
    },
  );

  return r;
}
