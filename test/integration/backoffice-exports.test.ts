import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { exportStream, EXPORT_PAGE } from "../../src/backoffice/list-engine.ts";
import { ATTENDEES } from "../../src/backoffice/lists.ts";
import { api, expectProblem, PASSWORD, registerUser } from "../support/api.ts";
import { backofficeEvent, holderWithRights } from "../support/backoffice.ts";
import { scanHttp } from "../support/gate.ts";

const BOM = "\uFEFF";
/** Records of a CSV body (CRLF lines; no cell of these tests holds a line break). */
const records = (body: string) => body.replace(/\r\n$/, "").split("\r\n");

/** The cells of one record: RFC 4180 quoting (a quoted cell may hold the separator, a doubled quote is a quote). */
function cells(line: string, separator: string): string[] {
  const out: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === separator) out.push(cell), (cell = "");
    else cell += ch;
  }
  out.push(cell);
  return out;
}

/** The export's bytes as sent, decoded keeping the byte order mark (Response.text() drops it). */
async function download(path: string, token: string) {
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(
    new Request(`https://api.test${path}`, { headers: { Authorization: `Bearer ${token}`, "CF-Connecting-IP": "203.0.113.7" } }),
  );
  return { res, text: new TextDecoder("utf-8", { ignoreBOM: true, fatal: true }).decode(await res.arrayBuffer()) };
}

describe("back office exports", () => {
  it("writes UTF-8 with a BOM, a header, the chosen separator, and defuses cells a spreadsheet would run", async () => {
    const f = await backofficeEvent();
    const formula = await holderWithRights(f, "=cmd|' /C calc'!A0", "@SUM(A1;A2)");
    const quoted = await holderWithRights(f, 'Zoé "La Reine"', "Dupont; fille");
    const { res: csv, text: body } = await download(`/v1/events/${f.eventId}/exports/attendees.csv?separator=semicolon&sort=name`, f.organizer.token);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("Content-Disposition")).toBe(`attachment; filename="attendees-${f.eventId}.csv"`);
    expect(csv.headers.get("Cache-Control")).toBe("private, no-store");
    expect(body.startsWith(BOM)).toBe(true);
    const [header, first, second, ...rest] = records(body.slice(1));
    expect(rest).toEqual([]);
    expect(header!.split(";").slice(0, 4)).toEqual(["id", "qr_code", "event_id", "status"]);
    const column = (line: string, name: string) => cells(line, ";")[header!.split(";").indexOf(name)];
    // Sorted by name: "=cmd…" (folded key "=cmd|  /c calc!a0 @sum…") sorts before "zoe…".
    expect(column(first!, "id")).toBe(formula.rights[0]!.id);
    expect(first).toContain(`"'=cmd|' /C calc'!A0 @SUM(A1;A2)"`);
    expect(column(first!, "holder_name")).toBe("'=cmd|' /C calc'!A0 @SUM(A1;A2)");
    expect(column(first!, "holder_email")).toBe(`${formula.buyer}@buyers.test`);
    expect(column(second!, "id")).toBe(quoted.rights[0]!.id);
    expect(second).toContain(`"Zoé ""La Reine"" Dupont; fille"`);
    expect(column(first!, "checked_in")).toBe("false");
    expect(column(first!, "entry_count")).toBe("0");

    const comma = await download(`/v1/events/${f.eventId}/exports/attendees.csv`, f.organizer.token);
    expect(records(comma.text.slice(1))[0]!.split(",")[0]).toBe("id");
    const tab = await download(`/v1/events/${f.eventId}/exports/attendees.csv?separator=tab&q=zoe`, f.organizer.token);
    expect(records(tab.text.slice(1)).map((line) => line.split("\t")[0])).toEqual(["id", quoted.rights[0]!.id]);
  });

  it("refuses a name a spreadsheet would run, at sign-up and on the profile", async () => {
    const email = `csv-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const res = await api("POST", "/v1/auth/register", { body: { email, password: PASSWORD, first_name: "=cmd|' /C calc'!A0", last_name: "+1" } });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual(["first_name", "last_name"]);
    const user = await registerUser();
    for (const name of ["@SUM(1)", "-2+3", "\t=1"]) {
      expectProblem(await api("PATCH", "/v1/me", { token: user.token, body: { last_name: name } }), 422, "validation_failed");
    }
    expect((await api("PATCH", "/v1/me", { token: user.token, body: { last_name: "Ben-Ali" } })).status).toBe(200);
  });

  it("exports the detailed gate log for the authorities, with holders, gates and manual admissions' reasons", async () => {
    const f = await backofficeEvent({ startsInMs: 3_600_000 });
    const held = await holderWithRights(f, "Aminata", "Diallo", 2);
    expect((await scanHttp(f, held.rights[0]!.token)).body.status).toBe("SUCCESS");
    expect((await scanHttp(f, held.rights[0]!.token)).body.denial_reason).toBe("ALREADY_USED");
    const manual = await api("POST", `/v1/events/${f.eventId}/door/admissions`, {
      token: f.supervisor.token,
      body: { access_right_id: held.rights[1]!.id, access_point_id: f.gateA, reason: "QR illisible, pièce d'identité vérifiée" },
    });
    expect(manual.body.status).toBe("SUCCESS");
    await f.stub.flushProjection();
    const csv = await download(`/v1/events/${f.eventId}/exports/access-log.csv`, f.organizer.token);
    expect(csv.res.status).toBe(200);
    const [header, ...lines] = records(csv.text.slice(1));
    const at = (line: string, name: string) => cells(line, ",")[header!.split(",").indexOf(name)];
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => at(l, "status"))).toEqual(["SUCCESS", "DENIED", "SUCCESS"]);
    expect(lines.map((l) => at(l, "holder_name"))).toEqual(["Aminata Diallo", "Aminata Diallo", "Aminata Diallo"]);
    expect(lines.map((l) => at(l, "access_point_name"))).toEqual(["Porte A", "Porte A", "Porte A"]);
    expect(at(lines[1]!, "denial_reason")).toBe("ALREADY_USED");
    expect(at(lines[2]!, "scan_method")).toBe("MANUAL_ENTRY");
    expect(lines[2]).toContain(`"QR illisible, pièce d'identité vérifiée"`);
    expect(at(lines[2]!, "reason")).toBe("QR illisible, pièce d'identité vérifiée");
    expect(at(lines[2]!, "controller_id")).toBe(f.supervisor.id);
    expect(at(lines[0]!, "controller_id")).toBe(f.controller.id);
    // The scanned token is shown cut, as in the gate log.
    expect(at(lines[0]!, "qr_code_scanned")).toMatch(/^.{8}…$/);
    // Filters apply as in the lists.
    const denied = await download(`/v1/events/${f.eventId}/exports/access-log.csv?status=DENIED`, f.organizer.token);
    expect(records(denied.text.slice(1))).toHaveLength(2);
    expectProblem(await api("GET", `/v1/events/${f.eventId}/exports/access-log.csv?status=LOST`, { token: f.organizer.token }), 422);
    expectProblem(await api("GET", `/v1/events/${f.eventId}/exports/access-log.csv?separator=pipe`, { token: f.organizer.token }), 422);
    expectProblem(await api("GET", `/v1/events/${f.eventId}/exports/refunds.csv?q=ABCD-EFGH-JK23`, { token: f.organizer.token }), 422, "validation_failed");
  });

  it("streams 60,000 rights page by page: each chunk is one page, and a page is read only when the previous one was taken", async () => {
    const f = await backofficeEvent();
    const total = 60_000;
    // Straight into D1 (one statement): 600 holders with 100 rights each.
    await env.DB.prepare(
      `INSERT INTO users (id, email, first_name, last_name)
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
       SELECT printf('00000000-0000-4000-8000-%012d', i), printf('holder%d@bulk.test', i), 'Holder', printf('Nº%d', i) FROM n`,
    ).run();
    await env.DB.prepare(
      `INSERT INTO access_rights (id, qr_code, user_id, event_id, zone_id, status, source_type, source_id, valid_from, valid_until, created_at, updated_at)
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
       SELECT printf('10000000-0000-4000-8000-%012d', i), printf('BULK-%08d', i), printf('00000000-0000-4000-8000-%012d', 1 + i % 600), ?1, ?3, 'ENABLED', 'COMP', 'bulk-grant',
         '2030-01-01T00:00:00.000Z', '2030-01-02T00:00:00.000Z', printf('2029-01-01T00:00:%02d.%03dZ', i / 1000 % 60, i % 1000), '2029-01-01T00:00:00.000Z' FROM n`,
    )
      .bind(f.eventId, total, f.zoneId)
      .run();

    // Through the route: every row, once.
    const res = await (exports as unknown as { default: Fetcher }).default.fetch(
      new Request(`https://api.test/v1/events/${f.eventId}/exports/attendees.csv`, { headers: { Authorization: `Bearer ${f.organizer.token}`, "CF-Connecting-IP": "203.0.113.7" } }),
    );
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let lines = 0;
    let bytes = 0;
    const seen = new Set<string>();
    let tail = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      const text = tail + decoder.decode(value, { stream: true });
      const parts = text.split("\r\n");
      tail = parts.pop()!;
      for (const line of parts) {
        lines += 1;
        if (lines > 1) seen.add(line.slice(0, 36));
      }
    }
    expect(lines).toBe(total + 1);
    expect(seen.size).toBe(total);
    expect(bytes).toBeGreaterThan(15_000_000);

    // The stream itself, on a D1 that counts the statements it runs: one page per pull, never the whole list at once.
    let statements = 0;
    const counted = new Proxy(env.DB, {
      get(target, key) {
        if (key === "prepare") return (sql: string) => ((statements += 1), target.prepare(sql));
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const stream = exportStream(counted, ATTENDEES, { kind: "event", eventId: f.eventId }, { sort: "-created_at", separator: "comma" }, false);
    const chunks = stream.getReader();
    const header = await chunks.read();
    expect(statements).toBe(0);
    expect(decoder.decode(header.value).split("\r\n")).toHaveLength(2);
    const sizes: number[] = [];
    for (let page = 1; ; page++) {
      const { done, value } = await chunks.read();
      if (done) break;
      // Read on demand: the page just taken is the last one queried.
      expect(statements).toBe(page);
      sizes.push(value.byteLength);
      expect(decoder.decode(value).split("\r\n").length - 1).toBe(Math.min(EXPORT_PAGE, total - (page - 1) * EXPORT_PAGE));
    }
    expect(sizes).toHaveLength(total / EXPORT_PAGE);
    const largest = Math.max(...sizes);
    const all = sizes.reduce((sum, size) => sum + size, 0);
    // The most the stream holds at once is one page: a sixtieth of the file.
    expect(largest).toBeLessThan(all / 50);
    expect(largest).toBeLessThan(600_000);
  }, 120_000);
});
