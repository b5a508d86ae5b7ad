import { createRoute, z } from "@hono/zod-openapi";
import { adminOnly, requireAuth, signedIn } from "../auth/middleware.ts";
import { memberWith } from "../organizations/permissions.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageQuery, pageSchema } from "../lib/pagination.ts";
import { actorOf } from "../site/audit.ts";
import {
  AppealBody,
  AppealDecisionBody,
  BlacklistCreateBody,
  BlacklistEntrySchema,
  BlacklistListQuery,
  BlacklistUpdateBody,
  BlacklistWriteSchema,
  entryParam,
  GateSyncSchema,
  OverrideCreateBody,
  OverrideListQuery,
  overrideParams,
  OverrideSchema,
  OverrideUpdateBody,
  OwnBanSchema,
  toEntry,
  toOverride,
  toOwnBan,
} from "./policy-schemas.ts";
import { appealEntry, createEntry, decideAppeal, deleteEntry, getEntry, listEntries, listOwnBans, updateEntry } from "./blacklist.ts";
import { createOverride, deleteOverride, getOverride, listOverrides, updateOverride } from "./zone-overrides.ts";

const eventParam = z.object({ event_id: z.uuid() });
const overrideTags = ["Zone overrides"];
const blacklistTags = ["Blacklist"];
const overrideWho = "Needs `gate.supervise` on the event: OWNER, MANAGER and SUPERVISOR members of its organization, its SUPERVISOR staff, admins; its other members and controllers get 403, anyone else 404.";
const overridePush = "The event's gates get the new overrides at once (a `policy` message on their sockets).";
const blacklistWho =
  "Admins, for any scope; members with `rights.block` (OWNER, MANAGER, SUPERVISOR) for entries scoped to their organization's events (EVENT), venues (VENUE) or the organization itself (CLUB, `scope_id` = its id); a member without it gets 403 for their organization's scopes. Entries outside the caller's reach are 404.";
const blacklistPush =
  "The change is pushed at once to the gates of every APPROVED event it reaches that has not ended (EVENT: that event; VENUE: the venue's; CLUB: the organization's; GLOBAL: all), 20 events at a time; `gate_sync` says how many were reached. The banned person's access rights are not cancelled: the gate refuses them while the ban runs, and they may appeal.";


export function policyRoutes() {
  const r = createRouter();

  // ------------------------------------------------------------ zone overrides

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/zone-overrides",
      operationId: "createZoneOverride",
      tags: overrideTags,
      security: bearerAuth,
      summary: "Move an access right, ticket, season pass or user group to another zone",
      description:
        `${overrideWho} Exactly one target; both zones of the event's venue; \`valid_from\` before \`valid_until\`; approved by the caller. ` +
        `A gate applies the most specific override (access right > ticket > season pass > user group) whose original zone is the right's zone. ${overridePush} ` +
        "With `requires_notification` (default) every affected holder is told in-app and by email, and `notification_sent` becomes true.",
      request: { params: eventParam, body: jsonBody(OverrideCreateBody) },
      responses: { 201: jsonResponse(OverrideSchema, "The override."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const row = await createOverride(c.env, actorOf(c), c.get("auth"), c.req.valid("param").event_id, c.req.valid("json"));
      return c.json(toOverride(row), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/zone-overrides",
      operationId: "listZoneOverrides",
      tags: overrideTags,
      security: bearerAuth,
      summary: "Zone overrides of an event",
      description: `${overrideWho} Newest first.`,
      request: { params: eventParam, query: OverrideListQuery },
      responses: { 200: jsonResponse(pageSchema(OverrideSchema), "One page."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const page = await listOverrides(c.env, c.get("auth"), c.req.valid("param").event_id, c.req.valid("query"));
      return c.json({ data: page.data.map(toOverride), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/zone-overrides/{override_id}",
      operationId: "getZoneOverride",
      tags: overrideTags,
      security: bearerAuth,
      summary: "One zone override",
      description: overrideWho,
      request: { params: overrideParams },
      responses: { 200: jsonResponse(OverrideSchema, "The override."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const { event_id, override_id } = c.req.valid("param");
      return c.json(toOverride(await getOverride(c.env, c.get("auth"), event_id, override_id)), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/events/{event_id}/zone-overrides/{override_id}",
      operationId: "updateZoneOverride",
      tags: overrideTags,
      security: bearerAuth,
      summary: "Change a zone override",
      description:
        `${overrideWho} The target cannot change (delete and create another). The caller becomes its approver. ${overridePush} ` +
        "Changing a zone tells the holders again when `requires_notification` is on; `is_active: false` suspends it.",
      request: { params: overrideParams, body: jsonBody(OverrideUpdateBody) },
      responses: { 200: jsonResponse(OverrideSchema, "The override."), ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      const { event_id, override_id } = c.req.valid("param");
      return c.json(toOverride(await updateOverride(c.env, actorOf(c), c.get("auth"), event_id, override_id, c.req.valid("json"))), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/events/{event_id}/zone-overrides/{override_id}",
      operationId: "deleteZoneOverride",
      tags: overrideTags,
      security: bearerAuth,
      summary: "Delete a zone override",
      description: `${overrideWho} ${overridePush}`,
      request: { params: overrideParams },
      responses: { 204: { description: "Deleted." }, ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      const { event_id, override_id } = c.req.valid("param");
      await deleteOverride(c.env, actorOf(c), c.get("auth"), event_id, override_id);
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ blacklist

  r.openapi(
    createRoute({
      method: "post",
      path: "/blacklist",
      operationId: "createBlacklistEntry",
      tags: blacklistTags,
      security: bearerAuth,
      middleware: [memberWith("rights.block")] as const,
      summary: "Ban a person, QR code, device, IP, email, phone or card",
      description:
        `${blacklistWho} GLOBAL is for admins only (403). The identifier is normalised (emails lower-cased, phones E.164, printed codes upper-cased); a USER entry names an existing account. ` +
        `A permanent ban has no end date. 409 \`already_blacklisted\` if an active entry already bans the same identifier in the same scope. ${blacklistPush}`,
      request: { body: jsonBody(BlacklistCreateBody) },
      responses: { 201: jsonResponse(BlacklistWriteSchema, "The entry, and which events' gates received it."), ...errors("already_blacklisted", "forbidden", "global_scope_admin_only", "no_organization") },
    }),
    async (c) => {
      const { row, gate_sync } = await createEntry(c.env, actorOf(c), c.req.valid("json"));
      return c.json({ ...toEntry(row), gate_sync }, 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/blacklist",
      operationId: "listBlacklistEntries",
      tags: blacklistTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Blacklist entries",
      description: `${blacklistWho} Members see only the entries within their reach (never GLOBAL ones). Newest first.`,
      request: { query: BlacklistListQuery },
      responses: { 200: jsonResponse(pageSchema(BlacklistEntrySchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => {
      const page = await listEntries(c.env, actorOf(c), c.req.valid("query"));
      return c.json({ data: page.data.map(toEntry), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/blacklist/{entry_id}",
      operationId: "getBlacklistEntry",
      tags: blacklistTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "One blacklist entry",
      description: blacklistWho,
      request: { params: entryParam },
      responses: { 200: jsonResponse(BlacklistEntrySchema, "The entry."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(toEntry(await getEntry(c.env, actorOf(c), c.req.valid("param").entry_id)), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/blacklist/{entry_id}",
      operationId: "updateBlacklistEntry",
      tags: blacklistTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Change a blacklist entry (dates, severity, evidence, lift it)",
      description:
        `${blacklistWho} Type, identifier and scope cannot change (delete and create another); appeals have their own routes. \`is_active: false\` lifts the ban and keeps the record. The caller becomes its approver. ${blacklistPush}`,
      request: { params: entryParam, body: jsonBody(BlacklistUpdateBody) },
      responses: { 200: jsonResponse(BlacklistWriteSchema, "The entry, and which events' gates received it."), ...errors("already_blacklisted", "concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      const { row, gate_sync } = await updateEntry(c.env, actorOf(c), c.req.valid("param").entry_id, c.req.valid("json"));
      return c.json({ ...toEntry(row), gate_sync }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/blacklist/{entry_id}",
      operationId: "deleteBlacklistEntry",
      tags: blacklistTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete a blacklist entry",
      description: `${blacklistWho} The audit log keeps what it was. ${blacklistPush}`,
      request: { params: entryParam },
      responses: { 200: jsonResponse(z.object({ gate_sync: GateSyncSchema }), "Deleted; which events' gates were told."), ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => c.json({ gate_sync: await deleteEntry(c.env, actorOf(c), c.req.valid("param").entry_id) }, 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/blacklist/{entry_id}/appeal",
      operationId: "appealBlacklistEntry",
      tags: blacklistTags,
      security: bearerAuth,
      summary: "Appeal a ban against me",
      description:
        "For the banned person: a USER entry naming my account, or an EMAIL / PHONE entry matching my account's address or number (others get 404). Once per entry, while it is active: NONE → PENDING (409 otherwise). My access rights stay valid meanwhile.",
      request: { params: entryParam, body: jsonBody(AppealBody) },
      responses: { 200: jsonResponse(OwnBanSchema, "The ban, appeal PENDING."), ...errors("appeal_not_open", "ban_not_active", "concurrent_change", "not_found") },
    }),
    async (c) => c.json(toOwnBan(await appealEntry(c.env, actorOf(c), c.req.valid("param").entry_id, c.req.valid("json").message)), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/blacklist/{entry_id}/appeal/decide",
      operationId: "decideBlacklistAppeal",
      tags: blacklistTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Decide a pending appeal (admins)",
      description: `ACCEPTED lifts the ban (\`is_active\` false) and is pushed to the gates like any change; REJECTED keeps it. 409 \`no_pending_appeal\` unless the appeal is PENDING. ${blacklistPush}`,
      request: { params: entryParam, body: jsonBody(AppealDecisionBody) },
      responses: { 200: jsonResponse(BlacklistWriteSchema, "The entry, and which events' gates received it."), ...errors("concurrent_change", "forbidden", "no_pending_appeal", "not_found") },
    }),
    async (c) => {
      const { decision, comment } = c.req.valid("json");
      const { row, gate_sync } = await decideAppeal(c.env, actorOf(c), c.req.valid("param").entry_id, decision, comment);
      return c.json({ ...toEntry(row), gate_sync }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/blacklist",
      operationId: "listMyBlacklistEntries",
      tags: blacklistTags,
      security: bearerAuth,
      summary: "Bans against me",
      description: "USER entries naming my account and EMAIL / PHONE entries matching it, active or not, without evidence or reporter; the `id` is what `/blacklist/{entry_id}/appeal` takes. Newest first.",
      request: { query: z.object(pageQuery) },
      responses: { 200: jsonResponse(pageSchema(OwnBanSchema), "One page."), ...errors() },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const page = await listOwnBans(c.env, auth.userId, c.req.valid("query"));
      return c.json({ data: page.data.map(toOwnBan), next_cursor: page.next_cursor }, 200);
    },
  );

  return r;
}
