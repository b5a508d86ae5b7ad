import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { adminOnly } from "../auth/middleware.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import type { AppEnv, AuthContext, Env } from "../env.ts";
import type { Context } from "hono";
import { getDb } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { eventIdParam } from "../events/schemas.ts";
import { clientMeta } from "../lib/request.ts";
import { auditAct } from "../site/audit.ts";
import { problems } from "../lib/errors.ts";
import { bearerAuth, createRouter, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { authorizeEvent, grantsOnEvent, type EventPermission } from "../organizations/permissions.ts";
import { exportQuerySchema, exportStream, listPage, listQuerySchema, rowSchema, type ListSpec, type Scope } from "./list-engine.ts";
import { EVENT_LISTS, PLATFORM_EXPORTS, PLATFORM_JSON } from "./lists.ts";
import { attendanceReport, commissionsReport, passesReport, revenueReport, salesReport, volumeReport } from "./reports.ts";

type ListName = keyof typeof EVENT_LISTS;

/**
 * Who reads each list: its permission, and whether its amounts need
 * money.read (`hide`: shown as null without it) or the whole list does
 * (`require`: 403 without it).
 */
const ACCESS: Record<ListName, { permission: EventPermission; money: "hide" | "require" | "none"; json: boolean; summary: string }> = {
  orders: { permission: "sales.read", money: "hide", json: true, summary: "The event's orders" },
  attendees: { permission: "attendees.read", money: "none", json: true, summary: "The event's attendees: every access right" },
  "pass-holders": { permission: "attendees.read", money: "hide", json: true, summary: "The event's season-pass holders" },
  payments: { permission: "money.read", money: "require", json: true, summary: "Payments of the event's orders" },
  refunds: { permission: "money.read", money: "require", json: true, summary: "Refund requests on the event's payments" },
  transfers: { permission: "attendees.read", money: "hide", json: true, summary: "Transfers of the event's rights" },
  // The detailed gate log is an export; its JSON list is GET /v1/events/{event_id}/scans.
  "access-log": { permission: "gate.supervise", money: "none", json: false, summary: "The detailed gate log, for the authorities" },
};


/** Authorizes a read of `list` in an event; returns whether amounts are shown. Amounts are shown to callers who also hold money.read. */
async function authorizeList(env: Env, auth: AuthContext | undefined, eventId: string, list: ListName, exporting: boolean): Promise<boolean> {
  const rule = ACCESS[list];
  const [, access] = await Promise.all([exporting ? authorizeEvent(env, auth, eventId, "exports.read") : null, authorizeEvent(env, auth, eventId, rule.permission)]);
  return rule.money === "hide" ? grantsOnEvent(access.auth, access, "money.read") : rule.money === "require";
}

const tags = ["Back office"];
const adminTags = ["Back office (admin)"];
const noStore = { "Cache-Control": "private, no-store" };
const csv = (description: string) => ({ description, content: { "text/csv": { schema: z.string().openapi({ description: "UTF-8 with a byte order mark; a header line, then one line per row." }) } } });

function listDescription(spec: ListSpec, list: ListName, scope: Scope["kind"]) {
  const access = ACCESS[list];
  const who =
    scope === "platform"
      ? "Admins only."
      : `Needs ${access.permission}${access.money === "hide" ? "; amounts are null without money.read" : ""} (held by the roles of the event's organization that docs/organizations.md lists; admins hold every permission).`;
  return `${who} Filters combine; \`q\` searches by id, printed QR code, reference, email, phone or the start of a name; each \`sort\` is an index order. Unknown parameters are a 422.`;
}

function csvHeaders(name: string) {
  return { ...noStore, "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${name}.csv"` };
}

/**
 * SpotVibe's EXPORT audit action: who took which list out of the platform, of
 * which event (none: platform-wide), with which filters, and whether amounts
 * were in it. Written once the export is authorized, before the file streams.
 */
async function auditExport(c: Context<AppEnv>, list: string, eventId: string | null, money: boolean) {
  const meta = clientMeta(c);
  // The filters as asked (validated already), not as parsed: a search is kept as typed.
  const filters = c.req.query();
  await auditAct(getDb(c.env.DB), { userId: c.get("auth")?.userId ?? null, ip: meta.ip, userAgent: meta.userAgent }, sql`1`, {
    action: "EXPORT",
    table: eventId ? events : null,
    id: eventId,
    after: { list, format: "csv", scope: eventId ? "event" : "platform", query: filters, amounts: money },
    description: `export ${list} (CSV)`,
  });
}

/** "season-pass-holders" → "SeasonPassHolders": a list's name in its operationIds. */
const pascal = (name: string) => name.replace(/(^|[-_])(\w)/g, (_, _sep: string, letter: string) => letter.toUpperCase());

export function backofficeRoutes() {
  const r = createRouter();

  for (const [list, spec] of Object.entries(EVENT_LISTS) as [ListName, ListSpec][]) {
    const access = ACCESS[list];
    const event = (eventId: string): Scope => ({ kind: "event", eventId });
    if (access.json) {
      r.openapi(
        createRoute({
          method: "get",
          path: `/events/{event_id}/${list}`,
          operationId: `listEvent${pascal(list)}ForBackOffice`,
          tags,
          security: bearerAuth,
          summary: access.summary,
          description: listDescription(spec, list, "event"),
          request: { params: eventIdParam, query: listQuerySchema(spec, "event") },
          responses: { 200: jsonResponse(pageSchema(rowSchema(spec)), "One page."), ...errors("forbidden", "not_found") },
        }),
        async (c) => {
          const { event_id } = c.req.valid("param");
          const money = await authorizeList(c.env, c.get("auth"), event_id, list, false);
          const page = await listPage(c.env.DB, spec, event(event_id), c.req.valid("query"), money);
          return c.json(page, 200, noStore);
        },
      );
    }
    r.openapi(
      createRoute({
        method: "get",
        path: `/events/{event_id}/exports/${list}.csv`,
        operationId: `exportEvent${pascal(list)}`,
        tags,
        security: bearerAuth,
        summary: `${access.summary}, as CSV`,
        description: `${listDescription(spec, list, "event").replace("Needs ", "Needs exports.read and ")} The file is streamed page by page (any length, in bounded memory); text cells that a spreadsheet would run as a formula start with an apostrophe. Each export is audited (EXPORT: who, the list, its filters).`,
        request: { params: eventIdParam, query: exportQuerySchema(spec, "event") },
        responses: { 200: csv("The CSV file."), ...errors("forbidden", "not_found") },
      }),
      async (c) => {
        const { event_id } = c.req.valid("param");
        const money = await authorizeList(c.env, c.get("auth"), event_id, list, true);
        const stream = exportStream(c.env.DB, spec, event(event_id), c.req.valid("query"), money);
        await auditExport(c, list, event_id, money);
        return c.body(stream, 200, csvHeaders(`${list}-${event_id}`));
      },
    );
  }

  for (const list of PLATFORM_JSON) {
    const spec = EVENT_LISTS[list];
    r.openapi(
      createRoute({
        method: "get",
        path: `/admin/${list}`,
        operationId: `listAll${pascal(list)}`,
        tags: adminTags,
        security: bearerAuth,
        middleware: [adminOnly] as const,
        summary: `${ACCESS[list].summary.replace("The event's", "All")}, platform-wide`,
        description: listDescription(spec, list, "platform"),
        request: { query: listQuerySchema(spec, "platform") },
        responses: { 200: jsonResponse(pageSchema(rowSchema(spec)), "One page."), ...errors("forbidden") },
      }),
      async (c) => c.json(await listPage(c.env.DB, spec, { kind: "platform" }, c.req.valid("query"), true), 200, noStore),
    );
  }
  for (const list of PLATFORM_EXPORTS) {
    const spec = EVENT_LISTS[list];
    r.openapi(
      createRoute({
        method: "get",
        path: `/admin/exports/${list}.csv`,
        operationId: `exportAll${pascal(list)}`,
        tags: adminTags,
        security: bearerAuth,
        middleware: [adminOnly] as const,
        summary: `${ACCESS[list].summary.replace("The event's", "All")}, platform-wide, as CSV`,
        description: `${listDescription(spec, list, "platform")} Streamed page by page. Each export is audited (EXPORT: who, the list, its filters).`,
        request: { query: exportQuerySchema(spec, "platform") },
        responses: { 200: csv("The CSV file."), ...errors("forbidden") },
      }),
      async (c) => {
        const stream = exportStream(c.env.DB, spec, { kind: "platform" }, c.req.valid("query"), true);
        await auditExport(c, list, null, true);
        return c.body(stream, 200, csvHeaders(`${list}-platform`));
      },
    );
  }

  const amount = z.number().int().nullable();
  const sums = { currency: z.string(), orders: z.number().int(), units: z.number().int(), gross: amount, discount: amount, net: amount };
  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/reports/sales",
      operationId: "getEventSalesReport",
      tags,
      security: bearerAuth,
      summary: "Sales report: confirmed orders by day, ticket type, channel, price tier, promo code and zone",
      description:
        "Needs reports.read; amounts (minor units, per currency) are null without money.read. Orders count from their confirmation (UTC day) while confirmed: a cancelled or refunded order leaves the report. Zones count units only.",
      request: { params: eventIdParam },
      responses: {
        200: jsonResponse(
          z
            .object({
              event_id: z.string(),
              totals: z.array(z.object(sums)),
              by_day: z.array(z.object({ day: z.string(), ...sums })),
              by_ticket_type: z.array(z.object({ ticket_type_id: z.string().nullable(), label: z.string().nullable(), ...sums })),
              by_channel: z.array(z.object({ channel: z.string(), ...sums })),
              by_price_tier: z.array(z.object({ unit_price: amount, ...sums })),
              by_promo_code: z.array(z.object({ pricing_rule_id: z.string(), promo_code: z.string().nullable(), label: z.string().nullable(), ...sums })),
              by_zone: z.array(z.object({ zone_id: z.string().nullable(), label: z.string().nullable(), units: z.number().int() })),
            })
            .openapi("SalesReport"),
          "The report.",
        ),
        ...errors("forbidden", "not_found"),
      },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const access = await authorizeEvent(c.env, c.get("auth"), event_id, "reports.read");
      return c.json(await salesReport(c.env, event_id, grantsOnEvent(access.auth, access, "money.read")), 200, noStore);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/reports/revenue",
      operationId: "getEventRevenueReport",
      tags,
      security: bearerAuth,
      summary: "Revenue report: gross, discounts, net, commission and refunds per currency",
      description: "Needs reports.read and money.read (403 without). Net is the confirmed orders' total; `organizer_net` is net less the commission (not cancelled); refunds are listed by status and reason.",
      request: { params: eventIdParam },
      responses: {
        200: jsonResponse(
          z
            .object({
              event_id: z.string(),
              currencies: z.array(
                z.object({
                  currency: z.string(),
                  orders: z.number().int(),
                  units: z.number().int(),
                  gross: z.number().int(),
                  discount: z.number().int(),
                  net: z.number().int(),
                  commission: z.number().int(),
                  commission_settled: z.number().int(),
                  organizer_net: z.number().int(),
                  refunded: z.number().int(),
                  refunds: z.array(z.object({ status: z.string(), reason: z.string(), refunds: z.number().int(), amount: z.number().int() })),
                }),
              ),
            })
            .openapi("RevenueReport"),
          "The report.",
        ),
        ...errors("forbidden", "not_found"),
      },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      await authorizeEvent(c.env, c.get("auth"), event_id, "reports.read");
      await authorizeEvent(c.env, c.get("auth"), event_id, "money.read");
      return c.json(await revenueReport(c.env, event_id), 200, noStore);
    },
  );

  const flow = { entries: z.number().int(), exits: z.number().int(), denials: z.number().int(), scans: z.number().int() };
  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/reports/attendance",
      operationId: "getEventAttendanceReport",
      tags,
      security: bearerAuth,
      summary: "Attendance report: check-ins, no-shows, re-entries, denials, gates, zones, 15-minute buckets, occupancy",
      description:
        "Needs reports.read. Rights by status and source; checked in (let in at least once) or not (`no_shows` once the event is over); entries, re-entries (entries beyond each right's first), exits, offline conflicts and manual entries; denials by reason; per gate and per zone; the gate log in 15-minute buckets (UTC, by scan time) and each zone's occupancy over them. `live` is the occupancy the event's gates see now.",
      request: { params: eventIdParam },
      responses: {
        200: jsonResponse(
          z
            .object({
              event_id: z.string(),
              rights: z.object({
                total: z.number().int(),
                valid: z.number().int(),
                checked_in: z.number().int(),
                not_checked_in: z.number().int(),
                no_shows: z.number().int().nullable(),
                by_status: z.record(z.string(), z.number().int()),
                by_source: z.record(z.string(), z.number().int()),
              }),
              entries: z.number().int(),
              re_entries: z.number().int(),
              exits: z.number().int(),
              scans: z.number().int(),
              conflicts: z.number().int(),
              manual_entries: z.number().int(),
              denials_by_reason: z.array(z.object({ reason: z.string(), scans: z.number().int() })),
              by_zone: z.array(z.object({ zone_id: z.string().nullable(), zone_name: z.string().nullable(), rights: z.number().int(), checked_in: z.number().int(), ...flow })),
              by_gate: z.array(z.object({ access_point_id: z.string(), name: z.string().nullable(), ...flow })),
              buckets: z.array(z.object({ bucket: z.string(), ...flow })),
              occupancy: z.array(
                z.object({
                  zone_id: z.string().nullable(),
                  zone_name: z.string().nullable(),
                  series: z.array(z.object({ bucket: z.string(), entries: z.number().int(), exits: z.number().int(), inside: z.number().int() })),
                }),
              ),
              live: z
                .object({ zones: z.array(z.object({ id: z.string(), name: z.string(), capacity: z.number().int(), occupancy: z.number().int() })), at: z.string() })
                .nullable(),
            })
            .openapi("AttendanceReport"),
          "The report.",
        ),
        ...errors("forbidden", "not_found"),
      },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const { event } = await authorizeEvent(c.env, c.get("auth"), event_id, "reports.read");
      const occupancy = event.ticketing_enabled || event.event_group_id ? await eventStub(c.env, event_id).occupancy() : null;
      return c.json(await attendanceReport(c.env, event, occupancy && { zones: occupancy.zones, at: occupancy.at }), 200, noStore);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/reports/passes",
      operationId: "getEventPassesReport",
      tags,
      security: bearerAuth,
      summary: "Season passes in this match: passes sold per plan and their use here",
      description: "Needs reports.read. For each plan with rights in this match: its passes by status (all matches), and in this match the rights issued, valid, checked in and not yet. Call it per match for usage across a season.",
      request: { params: eventIdParam },
      responses: {
        200: jsonResponse(
          z
            .object({
              event_id: z.string(),
              plans: z.array(
                z.object({
                  plan_id: z.string().nullable(),
                  plan_name: z.string().nullable(),
                  passes_by_status: z.record(z.string(), z.number().int()),
                  rights: z.number().int(),
                  valid: z.number().int(),
                  checked_in: z.number().int(),
                  not_checked_in: z.number().int(),
                }),
              ),
            })
            .openapi("PassesReport"),
          "The report.",
        ),
        ...errors("forbidden", "not_found"),
      },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      await authorizeEvent(c.env, c.get("auth"), event_id, "reports.read");
      return c.json(await passesReport(c.env, event_id), 200, noStore);
    },
  );

  const day = z.iso.date();
  const volumeRow = z.object({ key: z.string().nullable(), currency: z.string(), payments: z.number().int(), amount: z.number().int(), fees: z.number().int(), refunded_amount: z.number().int() });
  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/reports/volume",
      operationId: "getPlatformVolumeReport",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Platform volume: money taken by country, currency, provider, payment type and the organization's plan",
      description:
        "Payments PAID (then possibly refunded) between two UTC days, inclusive (at most 366 days), per currency; `key` null is unknown (no venue, no plan). A payment belongs to the organization that sold the tickets or the season pass, or that paid its organizer plan (a commission settlement to none); `by_organizer_plan` is that organization's ACTIVE organizer plan today.",
      request: { query: z.strictObject({ from: day, to: day }) },
      responses: {
        200: jsonResponse(
          z
            .object({ from: z.string(), to: z.string(), by_country: z.array(volumeRow), by_currency: z.array(volumeRow), by_provider: z.array(volumeRow), by_type: z.array(volumeRow), by_organizer_plan: z.array(volumeRow) })
            .openapi("VolumeReport"),
          "The report.",
        ),
        ...errors("forbidden"),
      },
    }),
    async (c) => {
      const { from, to } = c.req.valid("query");
      if (to < from) throw problems.validation([{ path: "query.to", message: "`to` must not be before `from`.", code: "invalid_range" }]);
      if (Date.parse(to) - Date.parse(from) > 366 * 86_400_000) throw problems.validation([{ path: "query.to", message: "At most 366 days at once.", code: "range_too_long" }]);
      return c.json(await volumeReport(c.env, from, to), 200, noStore);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/reports/commissions",
      operationId: "getPlatformCommissionsReport",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Commissions platform-wide: due, settled and cancelled per currency, and the organizations owing most",
      description:
        "Admins only. Per currency: due (PENDING and CALCULATED), settled (PAID) and cancelled commission amounts; and the 100 organizations owing most (what is due, per organization and currency, largest first). Commissions are owed by the organization that sold (commissions.organization_id).",
      request: {},
      responses: {
        200: jsonResponse(
          z
            .object({
              currencies: z.array(z.object({ currency: z.string(), due: z.number().int(), settled: z.number().int(), cancelled: z.number().int() })),
              organizations_due: z.array(
                z.object({
                  organization_id: z.string().nullable().openapi({ description: "The organization that owes them; null for commissions recorded without one." }),
                  organization_name: z.string().nullable(),
                  currency: z.string(),
                  commissions: z.number().int(),
                  due: z.number().int(),
                }),
              ),
            })
            .openapi("CommissionsReport"),
          "The report.",
        ),
        ...errors("forbidden"),
      },
    }),
    async (c) => c.json(await commissionsReport(c.env), 200, noStore),
  );

  return r;
}
