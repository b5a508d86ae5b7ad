import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listStatement, type ListSpec, type Scope } from "../../src/backoffice/list-engine.ts";
import { EVENT_LISTS, PLATFORM_EXPORTS } from "../../src/backoffice/lists.ts";
import { attendanceStatements, commissionStatements, passStatements, revenueStatements, salesStatements, volumeStatements } from "../../src/backoffice/reports.ts";
import { classifySearch } from "../../src/backoffice/search.ts";

/**
 * Every statement the back office runs, through SQLite's EXPLAIN QUERY PLAN
 * on the migrated D1: no list or report reads a whole table. Within an event
 * a list is one index range in its sort's order (a filter with the default
 * order, or a sort alone: no sort step over the event's rows); a search is
 * driven by its own index lookups and sorts only its matches; the page's
 * rows are then read by primary key and joined to what they show. Platform-wide
 * lists walk one index in their order and stop at the page. Reports read the
 * report_* aggregates by their primary key.
 */

const EVENT_ID = "00000000-0000-4000-8000-000000000001";
const SAMPLES = ["00000000-0000-4000-8000-000000000002", "true", "2026-06-01T00:00:00Z", "CONFIRMED", "ENABLED", "MOBILE", "PAID", "TICKET", "CARD", "STRIPE", "REQUESTED", "CUSTOMER_REQUEST", "PENDING", "TRANSFER_SALE", "SUCCESS", "ENTRY", "ALREADY_USED", "QR_SCANNER", "ACTIVE", "X"];
const SEARCHES = ["00000000-0000-4000-8000-000000000003", "ABCD-EFGH-JK23", "TKT-2026-ABCDEFGH", "fan@example.com", "+21620123456", "ben ali"].map(classifySearch);

/**
 * The plan's steps. A list chooses its page's ids in the co-routine `page`
 * (the steps that matter), then reads those few rows by primary key and
 * orders them: those outer steps are `outer`, and must all be primary-key
 * lookups or the page itself.
 */
async function plan(statement: { sql: string; params: unknown[] }): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).bind(...statement.params).all<{ id: number; parent: number; detail: string }>();
  const page = results.find((r) => r.detail === "CO-ROUTINE page");
  if (!page) return results.map((r) => r.detail);
  const inside = new Set([page.id]);
  for (const r of results) if (inside.has(r.parent)) inside.add(r.id);
  const outer = results.filter((r) => !inside.has(r.id)).map((r) => r.detail);
  const lookups = outer.filter((d) => !(d === "SCAN page" || d === "USE TEMP B-TREE FOR ORDER BY" || /^SEARCH \w+ USING INDEX sqlite_autoindex_\w+_1 \(id=\?\)/.test(d)));
  expect(lookups, `outer steps:\n  ${outer.join("\n  ")}`).toEqual([]);
  return results.filter((r) => inside.has(r.id) && r.id !== page.id).map((r) => r.detail);
}

/** Table scans: a SCAN that is not an index walk (SQLite names the index it walks). */
const fullScans = (details: string[]) => details.filter((d) => /^SCAN /.test(d) && !/USING (COVERING )?INDEX|CONSTANT ROW/.test(d));
const indexWalks = (details: string[]) => details.filter((d) => /^SCAN \w+ USING (COVERING )?INDEX/.test(d));
const sorts = (details: string[]) => details.filter((d) => /USE TEMP B-TREE FOR (ORDER BY|RIGHT PART OF ORDER BY)/.test(d));

function sampleFor(spec: ListSpec, name: string): unknown {
  const schema = spec.filters[name]!.schema;
  for (const candidate of SAMPLES) {
    const parsed = schema.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  throw new Error(`no sample for ${spec.name}.${name}`);
}

/** Every statement shape of a list: its default page, each filter, each sort, each search, and a later page. */
function shapes(spec: ListSpec, scope: Scope) {
  const out: { name: string; searched: boolean; statement: { sql: string; params: unknown[] } }[] = [];
  const narrow = (f: string) => Boolean(spec.filters[f]!.narrow);
  const sortNames = Object.keys(spec.sorts).filter((s) => scope.kind === "event" || !spec.sorts[s]!.eventOnly);
  const filterNames = Object.keys(spec.filters).filter((f) => scope.kind === "platform" || f !== "event_id");
  out.push({ name: "default", searched: false, statement: listStatement(spec, scope, { sort: spec.defaultSort }) });
  out.push({ name: "next page", searched: false, statement: listStatement(spec, scope, { sort: spec.defaultSort }, { k: "2026-06-01T00:00:00.000Z", id: EVENT_ID, s: spec.defaultSort }) });
  // A narrowing filter (an id) drives the query like a search: it sorts its few rows.
  for (const f of filterNames) out.push({ name: `filter ${f}`, searched: narrow(f), statement: listStatement(spec, scope, { sort: spec.defaultSort, [f]: sampleFor(spec, f) }) });
  for (const s of sortNames) out.push({ name: `sort ${s}`, searched: false, statement: listStatement(spec, scope, { sort: s }) });
  for (const term of SEARCHES) {
    try {
      out.push({ name: `search ${term.kind}`, searched: true, statement: listStatement(spec, scope, { sort: spec.defaultSort, q: term }) });
    } catch {
      // this list cannot be searched that way (a 422, tested elsewhere)
    }
  }
  return out;
}

describe("back office query plans", () => {
  for (const [name, spec] of Object.entries(EVENT_LISTS)) {
    it(`${name}: within an event, every filter, sort and search is an index range; no table scan, no sort of the event's rows`, async () => {
      for (const shape of shapes(spec, { kind: "event", eventId: EVENT_ID })) {
        const details = await plan(shape.statement);
        const where = `${name} ${shape.name}:\n  ${details.join("\n  ")}`;
        expect(fullScans(details), where).toEqual([]);
        expect(indexWalks(details), where).toEqual([]);
        // A search sorts its matches, nothing else does. (The gate log's index ends with the time: equal times are ordered by id.)
        if (!shape.searched) expect(sorts(details).filter((d) => !(name === "access-log" && d.includes("RIGHT PART"))), where).toEqual([]);
      }
    });

    if (!(PLATFORM_EXPORTS as readonly string[]).includes(name)) continue;
    it(`${name}: platform-wide, no table scan and no sort of every row`, async () => {
      for (const shape of shapes(spec, { kind: "platform" })) {
        const details = await plan(shape.statement);
        const where = `${name} ${shape.name}:\n  ${details.join("\n  ")}`;
        expect(fullScans(details), where).toEqual([]);
        if (!shape.searched) expect(sorts(details), where).toEqual([]);
      }
    });
  }

  it("reports read the aggregates by key (the platform's commissions aside: its aggregate, one row per event, organization, currency, status and type)", async () => {
    const statements = {
      ...salesStatements(EVENT_ID),
      ...revenueStatements(EVENT_ID),
      ...attendanceStatements(EVENT_ID),
      ...passStatements(EVENT_ID),
      ...volumeStatements("2026-01-01", "2026-12-31"),
    };
    for (const [name, statement] of Object.entries(statements)) {
      const details = await plan(statement);
      expect(fullScans(details), `${name}:\n  ${details.join("\n  ")}`).toEqual([]);
      expect(indexWalks(details), `${name}:\n  ${details.join("\n  ")}`).toEqual([]);
    }
    for (const [name, statement] of Object.entries(commissionStatements())) {
      const details = await plan(statement);
      expect(fullScans(details).filter((d) => !d.startsWith("SCAN r") && !d.startsWith("SCAN report_commissions")), `${name}:\n  ${details.join("\n  ")}`).toEqual([]);
    }
  });

  it("the check itself sees a table scan", async () => {
    const details = await plan({ sql: "SELECT * FROM access_rights WHERE holder_name_key LIKE ?", params: ["%ben%"] });
    expect(fullScans(details)).not.toEqual([]);
  });
});
