import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signAccessToken } from "../../src/access/signing-keys.ts";
import { api, expectProblem, registerAdmin, registerMember, registerOrganizer, registerUser, verifyEmail, type ApiResponse } from "../support/api.ts";
import { gatedEvent, scanHttp } from "../support/gate.ts";
import { giveFixture, orderRequest, ticketedEvent } from "../support/ticketing.ts";

type Person = { id: string; token: string };

const unique = () => crypto.randomUUID().slice(0, 8).toUpperCase();
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

function ok<T = any>(res: ApiResponse<T>, status = 200): T {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res.body;
}

const newGroup = async (person: Person, body: Record<string, unknown> = {}) =>
  ok(await api("POST", "/v1/user-groups", { token: person.token, body: { code: `ETUDIANTS-${unique()}`, name: "Étudiants", ...body } }), 201);
const addMember = (person: Person, groupId: string, body: Record<string, unknown>) => api("POST", `/v1/user-groups/${groupId}/members`, { token: person.token, body });
const importCsv = (person: Person, groupId: string, csv: string, type = "text/csv; charset=utf-8") =>
  api("POST", `/v1/user-groups/${groupId}/members/import`, { token: person.token, rawBody: csv, headers: { "Content-Type": type } });
const memberIds = async (groupId: string) =>
  (await env.DB.prepare("SELECT user_id FROM user_group_members WHERE group_id = ? ORDER BY user_id").bind(groupId).all<{ user_id: string }>()).results.map((r) => r.user_id);
const accountCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM users").first<{ n: number }>())!.n;

async function withPhone(phone: string) {
  const user = await registerUser();
  await env.DB.prepare("UPDATE users SET phone = ? WHERE id = ?").bind(phone, user.id).run();
  return user;
}

describe("user groups", () => {
  it("are created, read and changed by OWNER and MANAGER of their organization; others get 403 or 404", async () => {
    const owner = await registerOrganizer();
    const group = await newGroup(owner, { description: "Carte étudiante en cours", metadata: { card: "required" } });
    expect(group).toMatchObject({ organization_id: owner.organizationId, owner_id: owner.id, is_active: true, members_count: 0, metadata: { card: "required" } });
    const manager = await registerMember(owner.organizationId, "MANAGER");
    expect(ok(await api("PATCH", `/v1/user-groups/${group.id}`, { token: manager.token, body: { name: "Étudiants 2026" } })).name).toBe("Étudiants 2026");

    const boxOffice = await registerMember(owner.organizationId, "BOX_OFFICE");
    expect(expectProblem(await api("POST", "/v1/user-groups", { token: boxOffice.token, body: { code: `X-${unique()}`, name: "X" } }), 403).detail).toContain("groups.manage");
    expectProblem(await api("GET", `/v1/user-groups/${group.id}`, { token: boxOffice.token }), 403);
    expectProblem(await api("GET", `/v1/user-groups/${group.id}/members`, { token: boxOffice.token }), 403);
    expectProblem(await addMember(boxOffice, group.id, { user_id: boxOffice.id }), 403);
    expectProblem(await api("POST", "/v1/user-groups", { token: (await registerUser()).token, body: { code: `X-${unique()}`, name: "X" } }), 403, "no_organization");

    const rival = await registerOrganizer();
    for (const res of [
      await api("GET", `/v1/user-groups/${group.id}`, { token: rival.token }),
      await api("PATCH", `/v1/user-groups/${group.id}`, { token: rival.token, body: { name: "Pris" } }),
      await api("DELETE", `/v1/user-groups/${group.id}`, { token: rival.token }),
      await api("GET", `/v1/user-groups/${group.id}/members`, { token: rival.token }),
      await addMember(rival, group.id, { user_id: rival.id }),
      await importCsv(rival, group.id, "email\nx@example.com\n"),
    ]) {
      expectProblem(res, 404);
    }
    expect(ok(await api("GET", "/v1/user-groups?limit=100", { token: rival.token })).data.map((g: { id: string }) => g.id)).not.toContain(group.id);
    expect(ok(await api("GET", "/v1/user-groups?limit=100", { token: manager.token })).data.map((g: { id: string }) => g.id)).toContain(group.id);

    // Codes are unique and never change (pricing rules name groups by them).
    expectProblem(await api("POST", "/v1/user-groups", { token: owner.token, body: { code: group.code, name: "Doublon" } }), 409, "code_taken");
    expect(expectProblem(await api("PATCH", `/v1/user-groups/${group.id}`, { token: owner.token, body: { code: "AUTRE" } }), 422).errors[0].path).toBe("code");
    for (const body of [{ code: "a b", name: "X" }, { code: "OK", name: "" }, { name: "X" }, { code: "OK", name: "X", organization_id: rival.organizationId }]) {
      expectProblem(await api("POST", "/v1/user-groups", { token: owner.token, body }), 422);
    }
  });

  it("of the platform are admins': everyone reads them, organizations use them, only admins change them", async () => {
    const admin = await registerAdmin();
    const platform = await newGroup(admin);
    expect(platform.organization_id).toBeNull();
    const organizer = await registerOrganizer();
    expect(ok(await api("GET", `/v1/user-groups/${platform.id}`, { token: organizer.token })).id).toBe(platform.id);
    expect(ok(await api("GET", "/v1/user-groups?limit=100", { token: organizer.token })).data.map((g: { id: string }) => g.id)).toContain(platform.id);
    expectProblem(await api("PATCH", `/v1/user-groups/${platform.id}`, { token: organizer.token, body: { name: "Pris" } }), 403);
    expectProblem(await api("GET", `/v1/user-groups/${platform.id}/members`, { token: organizer.token }), 403);
    expectProblem(await addMember(organizer, platform.id, { user_id: organizer.id }), 403);
    expect((await addMember(admin, platform.id, { user_id: organizer.id })).status).toBe(201);
  });

  it("take members by account, email or phone; adding again updates the membership; removing ends it", async () => {
    const owner = await registerOrganizer();
    const group = await newGroup(owner);
    const fan = await registerUser();
    const added = await addMember(owner, group.id, { user_id: fan.id });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ group_id: group.id, user: { id: fan.id, email: fan.email }, valid_until: null, added_by: owner.id });
    const until = inDays(30);
    const again = await addMember(owner, group.id, { user_id: fan.id, valid_until: until });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ valid_until: until, member_since: added.body.member_since });

    // An address without an account gets a passwordless one.
    const email = `nouveau-${unique().toLowerCase()}@example.com`;
    const byEmail = ok(await addMember(owner, group.id, { email: email.toUpperCase() }), 201);
    const account = await env.DB.prepare("SELECT id, password_hash FROM users WHERE email = ?").bind(email).first<{ id: string; password_hash: string | null }>();
    expect(byEmail.user.id).toBe(account!.id);
    expect(account!.password_hash).toBeNull();

    const phone = `+216 2${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    const holder = await withPhone(phone.replace(" ", ""));
    expect(ok(await addMember(owner, group.id, { phone }), 201).user.id).toBe(holder.id);
    const shared = `+216 9${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    await withPhone(shared.replace(" ", ""));
    await withPhone(shared.replace(" ", ""));
    expect(expectProblem(await addMember(owner, group.id, { phone: shared }), 422).errors[0]).toMatchObject({ path: "phone", code: "ambiguous_phone" });
    expect(expectProblem(await addMember(owner, group.id, { phone: "+216 55 000 000" }), 422).errors[0]).toMatchObject({ path: "phone", code: "unknown_phone" });
    expect(expectProblem(await addMember(owner, group.id, { user_id: crypto.randomUUID() }), 422).errors[0]).toMatchObject({ path: "user_id", code: "invalid_reference" });
    for (const body of [{}, { user_id: fan.id, email: fan.email }, { email: "nope" }, { phone: "12" }, { user_id: fan.id, valid_until: "2020-01-01T00:00:00Z" }, { user_id: fan.id, role: "VIP" }]) {
      expectProblem(await addMember(owner, group.id, body), 422);
    }

    const listed = ok(await api("GET", `/v1/user-groups/${group.id}/members?limit=2`, { token: owner.token }));
    const rest = ok(await api("GET", `/v1/user-groups/${group.id}/members?limit=2&cursor=${listed.next_cursor}`, { token: owner.token }));
    expect([...listed.data, ...rest.data].map((m: { user: { id: string } }) => m.user.id).sort()).toEqual([fan.id, byEmail.user.id, holder.id].sort());
    expect(ok(await api("GET", `/v1/user-groups/${group.id}`, { token: owner.token })).members_count).toBe(3);

    expect((await api("DELETE", `/v1/user-groups/${group.id}/members/${fan.id}`, { token: owner.token })).status).toBe(204);
    expectProblem(await api("DELETE", `/v1/user-groups/${group.id}/members/${fan.id}`, { token: owner.token }), 404);
    expect(await memberIds(group.id)).not.toContain(fan.id);
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE object_type = 'user_group_members' AND object_id = ? ORDER BY created_at").bind(`${group.id}:${fan.id}`).all<{ action: string }>();
    expect(audit.results.map((r) => r.action)).toEqual(["CREATE", "UPDATE", "DELETE"]);
  });

  it("are deleted only when nothing uses them", async () => {
    const owner = await registerOrganizer();
    const unused = await newGroup(owner);
    await addMember(owner, unused.id, { user_id: owner.id });
    expect((await api("DELETE", `/v1/user-groups/${unused.id}`, { token: owner.token })).status).toBe(204);
    expect(await memberIds(unused.id)).toEqual([]);
    const used = await newGroup(owner);
    ok(
      await api("POST", "/v1/pricing-rules", {
        token: owner.token,
        body: { code: `R-${unique()}`, name: "Étudiants", rule_type: "STUDENT", applies_to: "TICKETS", discount_type: "PERCENTAGE", discount_value: 2000, auto_apply: true, conditions: { required_groups: [used.code] } },
      }),
      201,
    );
    expectProblem(await api("DELETE", `/v1/user-groups/${used.id}`, { token: owner.token }), 409, "group_in_use");
  });
});

describe("CSV import", () => {
  it("imports every row or none: errors are listed with the file's line numbers and nothing is written", async () => {
    const owner = await registerOrganizer();
    const group = await newGroup(owner);
    const fan = await registerUser();
    const shared = `+21698${Math.floor(100_000 + Math.random() * 899_999)}`;
    await withPhone(shared);
    await withPhone(shared);
    const accountsBefore = await accountCount();
    const csv = [
      "email,user_id,phone,valid_until",
      `new-${unique().toLowerCase()}@example.com,,,`,
      "not-an-email,,,",
      `,${crypto.randomUUID()},,`,
      `,,${shared},`,
      `,${fan.id},,2020-01-01`,
      `,${fan.id},,`,
      ",,,",
      `,,,2027-02-30`,
    ].join("\n");
    const problem = expectProblem(await importCsv(owner, group.id, csv), 422, "validation_failed");
    expect(problem.detail).toContain("nothing was imported");
    expect(problem.errors.map((e: { path: string; code: string }) => `${e.path}:${e.code}`)).toEqual([
      "rows.3.email:invalid_email",
      "rows.4.user_id:invalid_reference",
      "rows.5.phone:ambiguous_phone",
      "rows.6.valid_until:in_past",
      "rows.7.user_id:duplicate",
      "rows.8.:required",
      "rows.9.valid_until:invalid_date",
      "rows.9.:required",
    ]);
    expect(await memberIds(group.id)).toEqual([]);
    expect(await accountCount()).toBe(accountsBefore);
  });

  it("never makes a member, by email, of an account that signed up with the address but never proved it (one by hand, none of a file)", async () => {
    const owner = await registerOrganizer();
    const group = await newGroup(owner);
    const squatter = await registerUser();
    expectProblem(await addMember(owner, group.id, { email: squatter.email }), 409, "recipient_email_unverified");
    const refused = expectProblem(await importCsv(owner, group.id, `email\n${squatter.email}\n`), 422, "validation_failed");
    expect(refused.errors).toEqual([expect.objectContaining({ path: "rows.2.email", code: "recipient_email_unverified" })]);
    expect(await memberIds(group.id)).toEqual([]);
  });

  it("reads spreadsheet files (semicolons, quotes, CRLF, BOM), creates accounts for new addresses and sets valid_until, audited once", async () => {
    const owner = await registerOrganizer();
    const group = await newGroup(owner);
    const known = await registerUser();
    await verifyEmail(known.id);
    const phone = `+21622${Math.floor(100_000 + Math.random() * 899_999)}`;
    const byPhone = await withPhone(phone);
    const fresh = `supporter-${unique().toLowerCase()}@example.com`;
    const csv = `\uFEFFEmail;Phone;Valid_Until\r\n"${known.email.toUpperCase()}";;2027-06-30\r\n;"${phone.slice(0, 4)} ${phone.slice(4)}";\r\n${fresh};;"2027-06-30T18:00:00+01:00"\r\n\r\n`;
    const result = ok(await importCsv(owner, group.id, csv));
    expect(result).toEqual({ rows: 3, added: 3, updated: 0, accounts_created: 1 });
    const created = await env.DB.prepare("SELECT id, password_hash FROM users WHERE email = ?").bind(fresh).first<{ id: string; password_hash: string | null }>();
    expect(created!.password_hash).toBeNull();
    expect(await memberIds(group.id)).toEqual([known.id, byPhone.id, created!.id].sort());
    const rows = (await env.DB.prepare("SELECT user_id, valid_until, added_by FROM user_group_members WHERE group_id = ?").bind(group.id).all<{ user_id: string; valid_until: string | null; added_by: string }>()).results;
    expect(rows.find((r) => r.user_id === known.id)).toMatchObject({ valid_until: "2027-06-30T23:59:59.999Z", added_by: owner.id });
    expect(rows.find((r) => r.user_id === created!.id)!.valid_until).toBe("2027-06-30T17:00:00.000Z");
    expect(rows.find((r) => r.user_id === byPhone.id)!.valid_until).toBeNull();

    // Again: the same people are updated, nobody is added twice.
    expect(ok(await importCsv(owner, group.id, `user_id,valid_until\n${known.id},2028-01-01\n`))).toEqual({ rows: 1, added: 0, updated: 1, accounts_created: 0 });
    expect(await memberIds(group.id)).toHaveLength(3);
    const audit = await env.DB.prepare("SELECT action, user_id FROM audit_log WHERE object_type = 'user_group_members' AND object_id = ?").bind(group.id).all<{ action: string; user_id: string }>();
    expect(audit.results).toEqual([
      { action: "IMPORT", user_id: owner.id },
      { action: "IMPORT", user_id: owner.id },
    ]);
  });

  it("refuses a bad header, an empty file, another type, too many rows and too big a body", async () => {
    const owner = await registerOrganizer();
    const group = await newGroup(owner);
    const header = async (csv: string) => expectProblem(await importCsv(owner, group.id, csv), 422);
    expect((await header("nom,email\nAwa,a@example.com\n")).errors[0]).toMatchObject({ path: "rows.1", code: "invalid_header" });
    expect((await header("valid_until\n2027-01-01\n")).errors[0].code).toBe("invalid_header");
    expect((await header("email,email\na@example.com,b@example.com\n")).errors[0].code).toBe("invalid_header");
    expect((await header("email\n")).errors[0].code).toBe("empty");
    expect((await header('email\n"unterminated@example.com\n')).errors[0].code).toBe("invalid_csv");
    expect((await header("email\na@example.com,extra\n")).errors[0].code).toBe("too_many_fields");
    const many = `email\n${Array.from({ length: 5_001 }, (_, i) => `m${i}@x.tn`).join("\n")}\n`;
    expect((await header(many)).errors[0]).toMatchObject({ path: "rows.5002", code: "invalid_csv" });
    expectProblem(await importCsv(owner, group.id, "email\na@example.com\n", "application/json"), 415);
    expectProblem(await importCsv(owner, group.id, `email\n${"a".repeat(300 * 1024)}@example.com\n`), 413);
    // The import's own limit, not the app-wide 64 KiB one: a 100 KiB file is read (and refused here for its header).
    expect((await header(`nom\n${"x".repeat(100 * 1024)}\n`)).errors[0].code).toBe("invalid_header");
    expect(await memberIds(group.id)).toEqual([]);
  });
});

describe("groups at work", () => {
  it("price, sell and move their members only within their organization", async () => {
    const owner = await registerOrganizer({ plan: null });
    const fixture = await ticketedEvent({ quantity: 50 });
    await giveFixture(fixture, owner.organizationId, owner.id);
    const group = await newGroup(owner);
    const theirs = await newGroup(await registerOrganizer());
    const student = await registerUser();
    await verifyEmail(student.id);
    ok(await addMember(owner, group.id, { email: student.email }), 201);
    const outsider = await registerUser();

    // A pricing rule may only require its organization's (or the platform's) groups.
    const rule = (groups: string[]) =>
      api("POST", "/v1/pricing-rules", {
        token: owner.token,
        body: { code: `STU-${unique()}`, name: "Étudiants", rule_type: "MEMBER", applies_to: "TICKETS", discount_type: "PERCENTAGE", discount_value: 2000, auto_apply: true, conditions: { required_groups: groups } },
      });
    expect(expectProblem(await rule([group.code, theirs.code]), 422).errors).toEqual([expect.objectContaining({ path: "conditions.required_groups.1", code: "invalid_reference" })]);
    expectProblem(await rule(["NO-SUCH-GROUP"]), 422);
    ok(await rule([group.code]), 201);
    const buy = async (fan: Person) => ok(await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1 } }), 201).total;
    expect([await buy(student), await buy(outsider)]).toEqual([4_000, 5_000]);

    // Members-only configurations: the organization's groups, never another's.
    const config = `/v1/events/${fixture.eventId}/ticket-configs/${fixture.configId}`;
    expect(expectProblem(await api("PATCH", config, { token: owner.token, body: { requires_membership: true, membership_group_id: theirs.id } }), 422).errors[0].path).toBe("membership_group_id");
    ok(await api("PATCH", config, { token: owner.token, body: { requires_membership: true, membership_group_id: group.id } }));
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: outsider.token, body: { config_id: fixture.configId, quantity: 1 } }), 403, "membership_required");
    expect(await buy(student)).toBe(4_000);
    // Removed: no longer a member for sales.
    ok(await api("DELETE", `/v1/user-groups/${group.id}/members/${student.id}`, { token: owner.token }), 204);
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: student.token, body: { config_id: fixture.configId, quantity: 1 } }), 403, "membership_required");
  });

  it("move a holder who joins after buying: the gates of live events with the group's override learn it at once", async () => {
    const owner = await registerOrganizer();
    const fixture = await gatedEvent({ startsInMs: 3_600_000 });
    await giveFixture(fixture, owner.organizationId, owner.id);
    const away = await newGroup(owner, { name: "Supporters visiteurs" });
    const fan = await registerUser();
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, fan.id, 1));
    if (!hold.ok) throw new Error(hold.problem.code);
    const confirmed = await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
    if (!confirmed.ok) throw new Error(confirmed.problem.code);
    await fixture.stub.flushProjection();
    const token = (await signAccessToken(env, { id: confirmed.rights[0]!.id, event_id: fixture.eventId })).token;
    const other = await newGroup(await registerOrganizer());
    const override = (groupId: string) =>
      api("POST", `/v1/events/${fixture.eventId}/zone-overrides`, {
        token: owner.token,
        body: { user_group_id: groupId, original_zone_id: fixture.zoneId, override_zone_id: fixture.visitorsZoneId, reason: "Parcage visiteurs", requires_notification: false },
      });
    expect(expectProblem(await override(other.id), 422).errors[0].path).toBe("user_group_id");
    ok(await override(away.id), 201);
    // Not a member yet: the visitors' gate refuses the right.
    expect((await scanHttp(fixture, token, { gate: fixture.gateV, action: "CHECK" })).body.status).not.toBe("SUCCESS");

    ok(await addMember(owner, away.id, { user_id: fan.id }), 201);
    expect((await scanHttp(fixture, token, { gate: fixture.gateV })).body).toMatchObject({ status: "SUCCESS", zone_id: fixture.visitorsZoneId });
  });
});
