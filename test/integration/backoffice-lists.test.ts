import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listPage } from "../../src/backoffice/list-engine.ts";
import { ORDERS, PASS_HOLDERS } from "../../src/backoffice/lists.ts";
import { newId } from "../../src/lib/ids.ts";
import { api, expectProblem, registerUser } from "../support/api.ts";
import { backofficeEvent, holderWithRights, type BackofficeFixture } from "../support/backoffice.ts";
import { scanHttp } from "../support/gate.ts";

type Row = Record<string, any>;

const list = (f: BackofficeFixture, path: string, token = f.organizer.token) => api("GET", `/v1/events/${f.eventId}/${path}`, { token });
const ids = (res: { body: { data: Row[] } }) => res.body.data.map((r) => r.id as string);

/** Every page of a list, following next_cursor. */
async function allPages(f: BackofficeFixture, path: string) {
  const rows: Row[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await list(f, `${path}${path.includes("?") ? "&" : "?"}limit=2${cursor ? `&cursor=${cursor}` : ""}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    rows.push(...res.body.data);
    cursor = res.body.next_cursor;
    pages += 1;
  } while (cursor && pages < 50);
  return { rows, pages };
}

/**
 * An event whose doors are open, with four holders: two rights for Élodie Ben
 * Ali, one each for Aminata N'Diaye, Karim Trabelsi (let in) and Ben Salah.
 * `upcoming`: a week ahead instead, nobody let in (rights can still be transferred).
 */
async function populated(options: { upcoming?: boolean } = {}) {
  const f = await backofficeEvent({ startsInMs: options.upcoming ? 7 * 86_400_000 : 3_600_000 });
  const elodie = await holderWithRights(f, "Élodie", "Ben Ali", 2, "+21620123456");
  const aminata = await holderWithRights(f, "Aminata", "N'Diaye", 1, "+2290197000123");
  const karim = await holderWithRights(f, "Karim", "Trabelsi", 1);
  const salah = await holderWithRights(f, "Ben", "Salah", 1);
  if (!options.upcoming) expect((await scanHttp(f, karim.rights[0]!.token)).body.status).toBe("SUCCESS");
  await f.stub.flushProjection();
  return { f, elodie, aminata, karim, salah };
}

describe("back office lists: attendees", () => {
  it("lists every right with its holder, zone and ticket type, newest first, and pages through all of them by cursor", async () => {
    const { f, elodie, karim } = await populated();
    const res = await list(f, "attendees");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("private, no-store");
    expect(res.body.data).toHaveLength(5);
    const first = res.body.data.find((r: Row) => r.id === elodie.rights[0]!.id);
    expect(first).toMatchObject({ holder_name: "Élodie Ben Ali", holder_phone: "+21620123456", zone_name: "Tribune Nord", ticket_type_name: "Tribune", status: "ENABLED", source_type: "TICKET", checked_in: false, config_id: f.configId, ticket_type_id: f.ticketTypeId });
    expect(res.body.data.find((r: Row) => r.id === karim.rights[0]!.id)).toMatchObject({ status: "USED", checked_in: true, is_inside: true, entry_count: 1 });
    const created = res.body.data.map((r: Row) => `${r.created_at}|${r.id}`);
    expect(created).toEqual([...created].sort().reverse());

    const paged = await allPages(f, "attendees");
    expect(paged.pages).toBe(3);
    expect(paged.rows.map((r) => r.id)).toEqual(ids(res));
  });

  it("filters by status, check-in, zone, ticket type, configuration, source and holder", async () => {
    const { f, karim, aminata } = await populated();
    expect(ids(await list(f, "attendees?status=USED"))).toEqual([karim.rights[0]!.id]);
    expect(ids(await list(f, "attendees?checked_in=true"))).toEqual([karim.rights[0]!.id]);
    expect((await list(f, "attendees?checked_in=false")).body.data).toHaveLength(4);
    expect((await list(f, "attendees?is_inside=true")).body.data).toHaveLength(1);
    expect((await list(f, `attendees?zone_id=${f.zoneId}`)).body.data).toHaveLength(5);
    expect((await list(f, `attendees?zone_id=${f.visitorsZoneId}`)).body.data).toHaveLength(0);
    expect((await list(f, `attendees?ticket_type_id=${f.ticketTypeId}&config_id=${f.configId}&source_type=TICKET`)).body.data).toHaveLength(5);
    expect((await list(f, "attendees?source_type=COMP")).body.data).toHaveLength(0);
    expect(ids(await list(f, `attendees?holder_id=${aminata.buyer}`))).toEqual([aminata.rights[0]!.id]);
  });

  it("searches by the start of a first or last name (accents ignored), phone, email, printed code, order and ids, within the event", async () => {
    const { f, elodie, aminata, karim, salah } = await populated();
    const search = async (q: string) => ids(await list(f, `attendees?q=${encodeURIComponent(q)}`)).sort();
    const elodieRights = elodie.rights.map((r) => r.id).sort();
    expect(await search("elo")).toEqual(elodieRights);
    expect(await search("ÉLODIE BEN")).toEqual(elodieRights);
    // "ben" starts Élodie's last name and Ben Salah's first name.
    expect(await search("ben")).toEqual([...elodieRights, salah.rights[0]!.id].sort());
    expect(await search("ben ali")).toEqual(elodieRights);
    expect(await search("ndiaye")).toEqual([aminata.rights[0]!.id]);
    expect(await search("n'diaye aminata")).toEqual([aminata.rights[0]!.id]);
    expect(await search("+229 01 97 00 01 23")).toEqual([aminata.rights[0]!.id]);
    expect(await search("0021620123456")).toEqual(elodieRights);
    expect(await search(`${karim.buyer}@buyers.test`)).toEqual([karim.rights[0]!.id]);
    expect(await search(karim.rights[0]!.qr_code.toLowerCase())).toEqual([karim.rights[0]!.id]);
    expect(await search(karim.rights[0]!.id)).toEqual([karim.rights[0]!.id]);
    expect(await search(elodie.rights[0]!.order_id!)).toEqual(elodieRights);
    expect(await search(elodie.buyer)).toEqual(elodieRights);
    const order = await env.DB.prepare("SELECT ticket_number FROM tickets WHERE id = ?").bind(elodie.rights[0]!.order_id).first<{ ticket_number: string }>();
    expect(await search(order!.ticket_number)).toEqual(elodieRights);
    expect(await search("trab")).toEqual([karim.rights[0]!.id]);
    expect(await search("zz")).toEqual([]);
    // A search combines with filters, and a holder of another event is never found here.
    expect(ids(await list(f, "attendees?q=ben&status=USED"))).toEqual([]);
    const other = await backofficeEvent();
    const elsewhere = await holderWithRights(other, "Élodie", "Bensaid");
    expect(await search("elodie")).toEqual(elodieRights);
    expect(await search(elsewhere.rights[0]!.qr_code)).toEqual([]);
  });

  it("finds a person renamed afterwards under the new name", async () => {
    const { f, aminata } = await populated();
    await env.DB.prepare("UPDATE users SET last_name = 'Diallo' WHERE id = ?").bind(aminata.buyer).run();
    expect(ids(await list(f, "attendees?q=diallo"))).toEqual([aminata.rights[0]!.id]);
    expect(ids(await list(f, "attendees?q=ndiaye"))).toEqual([]);
  });

  it("sorts by name and by check-in time, each paging by cursor", async () => {
    const { f, karim } = await populated();
    const byName = (await allPages(f, "attendees?sort=name")).rows.map((r) => r.holder_name);
    expect(byName).toEqual(["Aminata N'Diaye", "Ben Salah", "Élodie Ben Ali", "Élodie Ben Ali", "Karim Trabelsi"]);
    expect((await allPages(f, "attendees?sort=-name")).rows.map((r) => r.holder_name)).toEqual([...byName].reverse());
    expect(ids(await list(f, "attendees?sort=-checked_in_at"))).toEqual([karim.rights[0]!.id]);
  });
});

describe("back office lists: orders, season-pass holders, transfers", () => {
  it("lists the event's orders with buyer and totals, filtered and searched", async () => {
    const { f, elodie, aminata } = await populated();
    const res = await list(f, "orders");
    expect(res.body.data).toHaveLength(4);
    const order = res.body.data.find((o: Row) => o.id === elodie.rights[0]!.order_id);
    expect(order).toMatchObject({ booking_status: "CONFIRMED", buyer_name: "Élodie Ben Ali", quantity: 2, unit_price: 5000, total_price: 10000, currency: "XOF", channel: "MOBILE", ticket_type_name: "Tribune" });
    expect(ids(await list(f, "orders?q=aminata"))).toEqual([aminata.rights[0]!.order_id]);
    expect(ids(await list(f, `orders?buyer_id=${aminata.buyer}`))).toEqual([aminata.rights[0]!.order_id]);
    expect((await list(f, "orders?status=CONFIRMED&channel=MOBILE")).body.data).toHaveLength(4);
    expect((await list(f, "orders?channel=ONSITE")).body.data).toHaveLength(0);
    expect((await list(f, `orders?created_from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body.data).toHaveLength(0);
    expect((await list(f, "orders?promo_code=NOPE")).body.data).toHaveLength(0);
    expect((await list(f, "orders?sort=name")).body.data.map((o: Row) => o.buyer_name)).toEqual(["Aminata N'Diaye", "Ben Salah", "Élodie Ben Ali", "Karim Trabelsi"]);
  });

  it("hides amounts from a caller without money.read", async () => {
    // Today no role holds sales.read without money.read (18T's teams will): the list itself is called as such a caller.
    const { f } = await populated();
    const page = await listPage(env.DB, ORDERS, { kind: "event", eventId: f.eventId }, { limit: 10, sort: "-created_at" }, false);
    expect(page.data).toHaveLength(4);
    for (const row of page.data) expect(row).toMatchObject({ unit_price: null, discount_amount: null, total_price: null, currency: "XOF", quantity: expect.any(Number) });
  });

  it("lists season-pass holders per plan, with the pass and its price", async () => {
    const f = await backofficeEvent();
    const fan = await registerUser({ first_name: "Sami", last_name: "Jaziri" });
    const [planA, planB, passA, passB] = [newId(), newId(), newId(), newId()];
    await env.DB.batch([
      env.DB.prepare("INSERT INTO subscription_plans (id, code, name, type, price, currency) VALUES (?, ?, 'Tribune saison', 'FULL_SEASON', 90000, 'XOF')").bind(planA, `A-${planA.slice(0, 6)}`),
      env.DB.prepare("INSERT INTO subscription_plans (id, code, name, type, price, currency) VALUES (?, ?, 'Virage saison', 'FULL_SEASON', 40000, 'XOF')").bind(planB, `B-${planB.slice(0, 6)}`),
      env.DB.prepare("INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until, status) VALUES (?, ?, ?, ?, 90000, 'XOF', '2026-08-01', '2027-06-30', 'ACTIVE')").bind(passA, `SUB-2026-${passA.slice(0, 6).toUpperCase()}`, fan.id, planA),
      env.DB.prepare("INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until, status) VALUES (?, ?, ?, ?, 40000, 'XOF', '2026-08-01', '2027-06-30', 'ACTIVE')").bind(passB, `SUB-2026-${passB.slice(0, 6).toUpperCase()}`, f.controller.id, planB),
    ]);
    for (const [pass, holder] of [[passA, fan.id], [passB, f.controller.id]] as const) {
      const issued = await f.stub.issueRights({ source_type: "SUBSCRIPTION", source_id: pass, holders: [{ user_id: holder, zone_id: f.zoneId, seat_id: null }], config_id: null, created_by: null });
      expect(issued.ok).toBe(true);
    }
    await holderWithRights(f, "Not", "APass");
    const all = await list(f, "pass-holders");
    expect(all.body.data).toHaveLength(2);
    const a = await list(f, `pass-holders?plan_id=${planA}`);
    expect(a.body.data).toEqual([expect.objectContaining({ subscription_id: passA, plan_name: "Tribune saison", holder_name: "Sami Jaziri", price_paid: 90000, status: "ACTIVE", right_status: "ENABLED", checked_in: false })]);
    expect((await list(f, "pass-holders?q=jaz")).body.data.map((r: Row) => r.subscription_id)).toEqual([passA]);
    const number = a.body.data[0].subscription_number as string;
    expect((await list(f, `pass-holders?q=${number}`)).body.data.map((r: Row) => r.subscription_id)).toEqual([passA]);
    // Amounts hidden without money.read, as for orders.
    const hidden = await listPage(env.DB, PASS_HOLDERS, { kind: "event", eventId: f.eventId }, { limit: 10, sort: "-created_at" }, false);
    expect(hidden.data.map((r) => r.price_paid)).toEqual([null, null]);
  });

  it("lists the event's transfers, searchable by either party", async () => {
    const { f, aminata } = await populated({ upcoming: true });
    const recipient = await registerUser({ first_name: "Youssef", last_name: "Gharbi" });
    const giver = await env.DB.prepare("SELECT id FROM users WHERE id = ?").bind(aminata.buyer).first<{ id: string }>();
    expect(giver).not.toBeNull();
    const transferId = newId();
    const moved = await f.stub.transferRight({ transfer_id: transferId, access_right_id: aminata.rights[0]!.id, from_user_id: aminata.buyer, to_user_id: recipient.id, type: "TRANSFER_DONATION", price: null, resale_cap_bp: 10_000, no_retransfer: false, by: aminata.buyer, reason: "gift" });
    expect(moved.ok).toBe(true);
    if (!moved.ok) return;
    await f.stub.flushProjection();
    await env.DB.prepare(
      "INSERT INTO transfers (id, access_right_id, new_access_right_id, event_id, transfer_type, status, from_user_id, to_user_id, completed_at) VALUES (?, ?, ?, ?, 'TRANSFER_DONATION', 'COMPLETED', ?, ?, ?)",
    )
      .bind(transferId, aminata.rights[0]!.id, moved.to.id, f.eventId, aminata.buyer, recipient.id, new Date().toISOString())
      .run();
    const res = await list(f, "transfers");
    expect(res.body.data).toEqual([expect.objectContaining({ id: transferId, from_name: "Aminata N'Diaye", to_name: "Youssef Gharbi", status: "COMPLETED", transfer_type: "TRANSFER_DONATION" })]);
    expect(ids(await list(f, "transfers?q=gharbi"))).toEqual([transferId]);
    expect(ids(await list(f, "transfers?q=aminata"))).toEqual([transferId]);
    expect(ids(await list(f, `transfers?q=${aminata.rights[0]!.qr_code}`))).toEqual([transferId]);
    expect(ids(await list(f, "transfers?status=PENDING"))).toEqual([]);
    // The new holder is an attendee now; the old right is TRANSFERRED.
    expect((await list(f, "attendees?q=youssef")).body.data).toEqual([expect.objectContaining({ id: moved.to.id, source_type: "TRANSFER", status: "ENABLED" })]);
    expect((await list(f, `attendees?q=${aminata.rights[0]!.id}`)).body.data[0]).toMatchObject({ status: "TRANSFERRED" });
  });
});

describe("back office lists: platform-wide for admins", () => {
  it("lists every event's rows, narrowed by event", async () => {
    const { f, elodie } = await populated();
    const other = await backofficeEvent();
    const theirs = await holderWithRights(other, "Élodie", "Bensaid");
    const search = await api("GET", "/v1/admin/attendees?q=elodie&limit=100", { token: f.admin.token });
    expect(ids(search)).toEqual(expect.arrayContaining([...elodie.rights.map((r) => r.id), theirs.rights[0]!.id]));
    const narrowed = await api("GET", `/v1/admin/orders?event_id=${other.eventId}`, { token: f.admin.token });
    expect(narrowed.body.data.map((o: Row) => o.event_id)).toEqual([other.eventId]);
    // Name sorts need one event's index: not offered platform-wide.
    expectProblem(await api("GET", "/v1/admin/attendees?sort=name", { token: f.admin.token }), 422, "validation_failed");
  });
});

describe("back office lists: bad input", () => {
  it("answers a clear 422 for unknown filters, page sizes, cursors, sorts and searches it cannot run", async () => {
    const f = await backofficeEvent();
    const problem = async (path: string, field: string, code?: string) => {
      const body = expectProblem(await list(f, path), 422, "validation_failed");
      expect(body.errors, JSON.stringify(body)).toEqual(expect.arrayContaining([expect.objectContaining({ path: field, ...(code ? { code } : {}) })]));
    };
    await problem("attendees?colour=red", "query.colour", "unrecognized_keys");
    await problem("attendees?limit=100000", "query.limit");
    await problem("attendees?limit=0", "query.limit");
    await problem("attendees?limit=ten", "query.limit");
    await problem("attendees?cursor=bm90LWEtY3Vyc29y", "query.cursor", "invalid_cursor");
    await problem("attendees?sort=holder_email", "query.sort");
    await problem("attendees?status=LOST", "query.status");
    await problem("attendees?zone_id=not-a-uuid", "query.zone_id");
    await problem("attendees?checked_in=yes", "query.checked_in");
    await problem("attendees?q=", "query.q");
    await problem("attendees?q=a", "query.q");
    await problem(`attendees?q=${"x".repeat(101)}`, "query.q");
    await problem("attendees?q=ab%00cd", "query.q");
    await problem("attendees?q=%01%02", "query.q");
    await problem("attendees?q=%2B229%2012", "query.q");
    await problem("attendees?q=not%40an%40email", "query.q");
    await problem("refunds?q=ABCD-EFGH-JK23", "query.q", "unsupported_search");
    await problem("orders?created_from=yesterday", "query.created_from");
    // A cursor of one sort is refused by another.
    await holderWithRights(f, "Aa", "Bb", 3);
    const page = await list(f, "attendees?limit=1");
    await problem(`attendees?sort=-checked_in_at&limit=1&cursor=${page.body.next_cursor}`, "query.cursor", "invalid_cursor");
  });

  it("treats SQL and LIKE wildcards in a search as plain text", async () => {
    const f = await backofficeEvent();
    const held = await holderWithRights(f, "O'Brien%", "_Smith");
    for (const q of ["' OR 1=1 --", "%%", "__", "o'brien%", "\"; DROP TABLE access_rights; --"]) {
      const res = await list(f, `attendees?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      expect(ids(res), q).toEqual(q === "o'brien%" ? [held.rights[0]!.id] : []);
    }
    expect((await list(f, "attendees")).body.data).toHaveLength(1);
  });
});
