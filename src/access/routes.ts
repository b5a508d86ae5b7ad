import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { requireAuth } from "../auth/middleware.ts";
import { eventStub } from "../catalog/sync.ts";
import { getDb } from "../db/client.ts";
import type { AppEnv } from "../env.ts";
import { events } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { bearerAuth, createRouter, jsonResponse, pick } from "../lib/openapi.ts";
import { renderQrSvg } from "./qr-svg.ts";
import { access_rights } from "./schema.ts";
import { activeKid, eventPublicKeys, issueAccessTokens } from "./signing-keys.ts";

const tags = ["Access rights"];
const rightParam = z.object({ access_right_id: z.uuid() });
/** A right admits (or lets out and back in) only in these states; any other has no QR. */
const QR_STATUSES: readonly string[] = ["ENABLED", "USED"];

const PublicJwkSchema = z
  .object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string(), kid: z.string(), alg: z.literal("EdDSA"), use: z.literal("sig") })
  .openapi("EventPublicKey");

/** Where a right's QR image is cached: VAULT is never served publicly, and a QR is a bearer credential. */
const qrKey = (eventId: string, rightId: string) => `qr/${eventId}/${rightId}.svg`;

/**
 * The caller's own right, live from its event's Durable Object (the owner of
 * its status), if it may carry a QR. D1 only says which event it belongs to.
 * Someone else's right is a 404; an inactive right loses its cached QR.
 */
async function heldActiveRight(c: Context<AppEnv>, rightId: string) {
  const auth = requireAuth(c.get("auth"));
  const [row] = await getDb(c.env.DB)
    .select({ event_id: access_rights.event_id, user_id: access_rights.user_id })
    .from(access_rights)
    .where(eq(access_rights.id, rightId))
    .limit(1);
  if (!row || row.user_id !== auth.userId) throw problems.notFound("Access right");
  const right = (await eventStub(c.env, row.event_id).listRights({ user_id: auth.userId })).find((r) => r.id === rightId);
  if (!right) throw problems.notFound("Access right");
  if (!QR_STATUSES.includes(right.status)) {
    await c.env.VAULT.delete(qrKey(right.event_id, right.id));
    throw problems.conflict("access_right_inactive", `This access right is ${right.status}: it has no QR code.`);
  }
  return right;
}

export function accessRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/access-rights/{access_right_id}/qr",
      tags,
      security: bearerAuth,
      summary: "The QR code of one of my access rights, as SVG",
      description:
        "For the right's holder only, while the right is ENABLED or USED. The QR carries the signed token of `/token`; the code printed under it is the right's `qr_code`. A bearer credential: never cached by intermediaries.",
      request: { params: rightParam },
      responses: {
        200: { description: "The QR code (error correction M, 4-module quiet zone).", content: { "image/svg+xml": { schema: z.string() } } },
        ...pick(401, 404, 409, 422),
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
      tags,
      security: bearerAuth,
      summary: "The signed QR token of one of my access rights",
      description: "For apps that draw the QR themselves: encode `token` as is. `qr_code` is the short code printed under it for manual entry; `kid` names the event key that signed it.",
      request: { params: rightParam },
      responses: {
        200: jsonResponse(z.object({ token: z.string(), qr_code: z.string(), kid: z.string() }), "The token."),
        ...pick(401, 404, 409, 422),
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
      tags,
      summary: "The public keys that verify an event's QR tokens",
      description: "A JWK set (Ed25519). Retired keys stay listed: the tokens they signed remain valid until the event ends. Gate devices cache it to verify offline.",
      request: { params: z.object({ event_id: z.uuid() }) },
      responses: { 200: jsonResponse(z.object({ keys: z.array(PublicJwkSchema) }), "JWK set."), ...pick(404, 422) },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const [event] = await getDb(c.env.DB).select({ id: events.id }).from(events).where(eq(events.id, event_id)).limit(1);
      if (!event) throw problems.notFound("Event");
      // Created here too, so a device that fetches the keys before any QR was drawn still gets the one that will sign.
      await activeKid(c.env, event_id);
      c.header("Cache-Control", "public, max-age=300");
      return c.json({ keys: await eventPublicKeys(c.env, event_id) }, 200);
    },
  );

  return r;
}
