/**
 * One stadium event as the back office sees it after the match, for
 * `npm run bench:reports`: 31,500 holders with names and phones, 28,500
 * orders of two tickets (three ticket types and zones, four channels, a
 * promo code on one in ten, one in fifty cancelled) and their payments,
 * commissions and 500 refunds, 3,000 season-pass rights, so 60,000 access
 * rights, 80 % of them let in, 1,000 transfer offers, and 200,000 gate log
 * rows over four hours at four gates. Seeded straight into D1 with one
 * statement per table (the D1 triggers keep the name keys and the report
 * aggregates as they go), then the event is pushed to its EventDO.
 */
import { randomUUID } from "node:crypto";
import { signJwt } from "../../src/lib/crypto/jwt.ts";

export interface BackofficeSeed {
  eventId: string;
  organizer: { id: string; token: string };
  admin: { id: string; token: string };
  zones: string[];
  gates: string[];
  ticketTypes: string[];
  planId: string;
  /** Sample values for queries: a right, its code, an order, a holder's email and phone, a common name prefix. */
  sample: { rightId: string; qrCode: string; orderId: string; ticketNumber: string; email: string; phone: string; namePrefix: string; cursor: string | null };
  rightIds: string[];
  counts: { rights: number; scans: number; orders: number };
}

const FIRST = ["Mohamed", "Ahmed", "Ali", "Youssef", "Amine", "Aminata", "Fatou", "Awa", "Moussa", "Ibrahim", "Élodie", "Chloé", "Sami", "Karim", "Nadia", "Leïla", "Meriem", "Ines", "Omar", "Khadija", "Salma", "Rania", "Hamza", "Bilel", "Wassim", "Sarra", "Aïcha", "Mariam", "Koffi", "Kossi", "Yao", "Afi", "Séna", "Rachid", "Hédi", "Slim", "Anis", "Olfa", "Hajer", "Zied"];
const LAST = ["Ben Ali", "Trabelsi", "Jebali", "Gharbi", "Mabrouk", "Haddad", "Sassi", "Mansour", "Bouazizi", "Chaabane", "Diallo", "Traoré", "Koné", "Ouédraogo", "Sow", "Ndiaye", "Hounkpatin", "Agossou", "Dossou", "Zinsou", "Ahouansou", "Kpadonou", "Gbaguidi", "Houngbédji", "Adjovi", "Tchibozo", "Soglo", "Kérékou", "Yayi", "Talon", "Ben Salah", "Ben Romdhane", "Jaziri", "Karoui", "Ayari", "Hammami", "Ferchichi", "Khelifi", "Dridi", "Riahi", "Zouari", "Mejri", "Baccouche", "Chérif", "Lassoued", "Abidi", "Marzouki", "Nasri", "Saidi", "Tlili", "Belhadj", "Kacem", "Amri", "Toumi", "Mathlouthi", "Oueslati", "Bouzid", "Hamdi", "Arfaoui", "Ghanmi"];

export const ORDERS = 28_500;
export const PASSES = 3_000;
/** One holder per order and per pass. */
export const HOLDERS = ORDERS + PASSES;
export const RIGHTS = ORDERS * 2 + PASSES;
export const SCANS = 200_000;
const HOUR = 3600_000;

/** Deterministic ids by kind and number, so every table can name rows of another in SQL. */
const idSql = (kind: number, n: string) => `printf('${kind.toString(16).padStart(8, "0")}-0000-4000-8000-%012d', ${n})`;
const id = (kind: number, n: number) => `${kind.toString(16).padStart(8, "0")}-0000-4000-8000-${String(n).padStart(12, "0")}`;
const K = { user: 0xa1, order: 0xa2, right: 0xa3, payment: 0xa4, scan: 0xa5, pass: 0xa6, commission: 0xa7, refund: 0xa8, transfer: 0xa9 };
const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/** A printed code (XXXX-XXXX-XXXX, the gate's alphabet) for right number `n`: its base-32 digits. */
const codeSql = (n: string) =>
  Array.from({ length: 12 }, (_, k) => `substr('${CODE_ALPHABET}', ((${n} >> ${5 * (11 - k)}) & 31) + 1, 1)${k === 3 || k === 7 ? " || '-'" : ""}`).join(" || ");
const code = (n: number) =>
  Array.from({ length: 12 }, (_, k) => CODE_ALPHABET[Math.floor(n / 2 ** (5 * (11 - k))) & 31]).join("").replace(/^(.{4})(.{4})/, "$1-$2-");
/** `WITH RECURSIVE n(i)` counting 0 … count - 1. */
const numbers = (count: number) => `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${count - 1})`;

export async function seedBackofficeEvent(db: D1Database, helperUrl: URL, signingKeys: string, log: (line: string) => void): Promise<BackofficeSeed> {
  const started = performance.now();
  const step = async (what: string, run: () => Promise<unknown>) => {
    const t0 = performance.now();
    await run();
    log(`    ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  };
  const [organizerId, adminId, controllerId, orgSession, adminSession, venueId, eventId, planId, ruleId, organizationId] = Array.from({ length: 10 }, () => randomUUID()) as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const zones = [randomUUID(), randomUUID(), randomUUID()];
  const gates = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const ticketTypes = [randomUUID(), randomUUID(), randomUUID()];
  const configs = [randomUUID(), randomUUID(), randomUUID()];
  const prices = [5_000, 15_000, 40_000];
  const startsAt = Date.now() - 2 * HOUR; // the match is under way: doors opened four hours ago
  const doors = startsAt - 2 * HOUR;
  const sessionExpiry = new Date(Date.now() + 24 * HOUR).toISOString();
  const user = db.prepare("INSERT INTO users (id, email, first_name, last_name, role) VALUES (?, ?, ?, ?, ?)");
  const session = db.prepare("INSERT INTO auth_sessions (id, user_id, expires_at) VALUES (?, ?, ?)");
  await step("event, venue, zones, gates, ticket types and configurations, a promo code, a season-pass plan", () =>
    db.batch([
      user.bind(organizerId, `${organizerId}@bench.test`, "Club", "Africain", "ORGANIZER"),
      user.bind(adminId, `${adminId}@bench.test`, "Admin", "Platform", "ADMIN"),
      user.bind(controllerId, `${controllerId}@bench.test`, "Gate", "Controller", "CONTROLLER"),
      session.bind(orgSession, organizerId, sessionExpiry),
      session.bind(adminSession, adminId, sessionExpiry),
      // The club's organization owns everything; the organizer is its OWNER.
      db.prepare("INSERT INTO organizations (id, name, created_by) VALUES (?, 'Club Africain (bench)', ?)").bind(organizationId, organizerId),
      db.prepare("INSERT INTO organization_members (id, organization_id, user_id, role) VALUES (?, ?, ?, 'OWNER')").bind(randomUUID(), organizationId, organizerId),
      db.prepare("INSERT INTO venues (id, name, city, country, timezone, owner_id, organization_id) VALUES (?, 'Stade olympique de Radès', 'Radès', 'TN', 'Africa/Tunis', ?, ?)").bind(venueId, organizerId, organizationId),
      ...zones.map((z, i) =>
        db.prepare("INSERT INTO venue_zones (id, venue_id, code, name, category, capacity) VALUES (?, ?, ?, ?, ?, 30000)").bind(z, venueId, `zone_${i}`, ["Virage Nord", "Tribune", "VIP"][i], ["STANDARD", "PREMIUM", "VIP"][i]),
      ),
      ...gates.flatMap((g, i) => [
        db.prepare("INSERT INTO access_points (id, venue_id, code, name, direction) VALUES (?, ?, ?, ?, 'BOTH')").bind(g, venueId, `GATE_${i}`, `Porte ${i + 1}`),
        ...zones.map((z) => db.prepare("INSERT INTO access_point_zones (access_point_id, zone_id) VALUES (?, ?)").bind(g, z)),
      ]),
      db
        .prepare(
          `INSERT INTO events (id, title, starts_at, ends_at, doors_open_at, timezone, venue_id, venue_name, organizer_id, created_by, organization_id, access_type, price, currency, status, ticketing_enabled)
           VALUES (?, 'Derby de Tunis (bench)', ?, ?, ?, 'Africa/Tunis', ?, 'Stade olympique de Radès', ?, ?, ?, 'PAID', 5000, 'TND', 'APPROVED', 1)`,
        )
        .bind(eventId, new Date(startsAt).toISOString(), new Date(startsAt + 4 * HOUR).toISOString(), new Date(doors).toISOString(), venueId, organizerId, organizerId, organizationId),
      db.prepare("INSERT INTO event_staff (id, event_id, user_id, role) VALUES (?, ?, ?, 'CONTROLLER')").bind(randomUUID(), eventId, controllerId),
      ...ticketTypes.flatMap((t, i) => [
        db
          .prepare("INSERT INTO ticket_types (id, code, name, base_price, currency, default_zone_category, organizer_id, organization_id) VALUES (?, ?, ?, ?, 'TND', ?, ?, ?)")
          .bind(t, `BENCH-${i}-${t.slice(0, 6)}`, ["Virage", "Tribune", "VIP"][i], prices[i], ["STANDARD", "PREMIUM", "VIP"][i], organizerId, organizationId),
        db.prepare("INSERT INTO event_ticket_config (id, event_id, ticket_type_id, price, currency, quantity_total) VALUES (?, ?, ?, ?, 'TND', 30000)").bind(configs[i], eventId, t, prices[i]),
      ]),
      db
        .prepare(
          "INSERT INTO pricing_rules (id, code, name, rule_type, applies_to, discount_type, discount_value, conditions, promo_code, organizer_id, organization_id) VALUES (?, ?, 'Supporters', 'PROMO', 'TICKETS', 'PERCENTAGE', 1000, '{}', ?, ?, ?)",
        )
        .bind(ruleId, `BENCH-${ruleId.slice(0, 8)}`, `SUPP${ruleId.slice(0, 4).toUpperCase()}`, organizerId, organizationId),
      db
        .prepare("INSERT INTO subscription_plans (id, code, name, type, price, currency, organizer_id, organization_id) VALUES (?, ?, 'Abonnement saison', 'FULL_SEASON', 300000, 'TND', ?, ?)")
        .bind(planId, `PLAN-${planId.slice(0, 8)}`, organizerId, organizationId),
    ]),
  );

  const at = (ms: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', (${ms}) / 1000.0, 'unixepoch')`;
  await step(`${HOLDERS} holders with names and phones`, () =>
    db
      .prepare(
        `INSERT INTO users (id, email, first_name, last_name, phone) ${numbers(HOLDERS)}
         SELECT ${idSql(K.user, "i")}, printf('fan%d@bench.test', i), ?1 ->> (i % 40), ?2 ->> ((i / 40) % 60), printf('+22901%08d', i) FROM n`,
      )
      .bind(JSON.stringify(FIRST), JSON.stringify(LAST))
      .run(),
  );
  // Order i: holder i, configuration i % 3, sold over the 30 days before the doors; one in ten with the promo code, one in fifty cancelled.
  const soldAt = `${doors - 30 * 24 * HOUR} + i * ${Math.floor((30 * 24 * HOUR) / ORDERS)}`;
  await step(`${ORDERS} orders of two tickets`, () =>
    db
      .prepare(
        `INSERT INTO tickets (id, ticket_number, user_id, event_id, ticket_type_id, event_ticket_config_id, quantity, unit_price, total_price, discount_amount, currency, pricing_rule_id,
           payment_status, booking_status, purchase_channel, created_at, updated_at, confirmed_at, cancelled_at) ${numbers(ORDERS)}
         SELECT ${idSql(K.order, "i")}, printf('TKT-2026-B%07d', i), ${idSql(K.user, "i")}, ?1, ?2 ->> (i % 3), ?3 ->> (i % 3), 2, ?4 ->> (i % 3),
           CASE WHEN i % 10 = 0 THEN 2 * (?4 ->> (i % 3)) * 9 / 10 ELSE 2 * (?4 ->> (i % 3)) END, CASE WHEN i % 10 = 0 THEN 2 * (?4 ->> (i % 3)) / 10 ELSE 0 END, 'TND',
           CASE WHEN i % 10 = 0 THEN ?5 END, CASE WHEN i % 50 = 0 THEN 'REFUNDED' ELSE 'PAID' END, CASE WHEN i % 50 = 0 THEN 'CANCELLED' ELSE 'CONFIRMED' END,
           CASE i % 4 WHEN 0 THEN 'WEB' WHEN 1 THEN 'MOBILE' WHEN 2 THEN 'MOBILE' ELSE 'ONSITE' END,
           ${at(soldAt)}, ${at(soldAt)}, ${at(`${soldAt} + 60000`)}, CASE WHEN i % 50 = 0 THEN ${at(`${soldAt} + 86400000`)} END FROM n`,
      )
      .bind(eventId, JSON.stringify(ticketTypes), JSON.stringify(configs), JSON.stringify(prices), ruleId)
      .run(),
  );
  await step(`${PASSES} season passes`, () =>
    db
      .prepare(
        `INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until, status, created_at) ${numbers(PASSES)}
         SELECT ${idSql(K.pass, "i")}, printf('SUB-2026-B%06d', i), ${idSql(K.user, `${ORDERS} + i`)}, ?1, 300000, 'TND', '2026-08-01', '2027-06-30', 'ACTIVE', ${at(`${doors - 60 * 24 * HOUR}`)} FROM n`,
      )
      .bind(planId)
      .run(),
  );
  // Right r: tickets 0 … 2·ORDERS-1 (order r / 2), then the passes; zone and configuration of the order's type; 80 % let in.
  const rightCreated = `CASE WHEN i < ${ORDERS * 2} THEN ${doors - 30 * 24 * HOUR} + (i / 2) * ${Math.floor((30 * 24 * HOUR) / ORDERS)} + 60000 ELSE ${doors - 60 * 24 * HOUR} + i END`;
  await step(`${RIGHTS} access rights`, () =>
    db
      .prepare(
        `INSERT INTO access_rights (id, qr_code, user_id, event_id, zone_id, config_id, status, source_type, source_id, original_user_id, valid_from, valid_until,
           used_at, used_at_access_point, is_inside, entry_count, created_at, updated_at) ${numbers(RIGHTS)}
         SELECT ${idSql(K.right, "i")}, ${codeSql("i")},
           CASE WHEN i < ${ORDERS * 2} THEN ${idSql(K.user, "i / 2")} ELSE ${idSql(K.user, `${ORDERS} + i - ${ORDERS * 2}`)} END, ?1,
           ?2 ->> (CASE WHEN i < ${ORDERS * 2} THEN (i / 2) % 3 ELSE 1 END), CASE WHEN i < ${ORDERS * 2} THEN ?3 ->> ((i / 2) % 3) END,
           CASE WHEN i < ${ORDERS * 2} AND (i / 2) % 50 = 0 THEN 'CANCELLED' WHEN i % 10 < 8 THEN 'USED' ELSE 'ENABLED' END,
           CASE WHEN i < ${ORDERS * 2} THEN 'TICKET' ELSE 'SUBSCRIPTION' END,
           CASE WHEN i < ${ORDERS * 2} THEN ${idSql(K.order, "i / 2")} ELSE ${idSql(K.pass, `i - ${ORDERS * 2}`)} END,
           CASE WHEN i < ${ORDERS * 2} THEN ${idSql(K.user, "i / 2")} ELSE ${idSql(K.user, `${ORDERS} + i - ${ORDERS * 2}`)} END,
           ?4, ?5,
           CASE WHEN i % 10 < 8 AND NOT (i < ${ORDERS * 2} AND (i / 2) % 50 = 0) THEN ${at(`${doors} + (i * 7919) % ${4 * HOUR}`)} END,
           CASE WHEN i % 10 < 8 AND NOT (i < ${ORDERS * 2} AND (i / 2) % 50 = 0) THEN ?6 ->> (i % 4) END,
           CASE WHEN i % 10 < 7 AND NOT (i < ${ORDERS * 2} AND (i / 2) % 50 = 0) THEN 1 ELSE 0 END,
           CASE WHEN i % 10 < 8 AND NOT (i < ${ORDERS * 2} AND (i / 2) % 50 = 0) THEN 1 + (i % 10 = 0) ELSE 0 END,
           ${at(rightCreated)}, ${at(rightCreated)} FROM n`,
      )
      .bind(eventId, JSON.stringify(zones), JSON.stringify(configs), new Date(doors).toISOString(), new Date(startsAt + 4 * HOUR).toISOString(), JSON.stringify(gates))
      .run(),
  );
  const paid = ORDERS - Math.ceil(ORDERS / 50);
  await step(`${ORDERS} payments, their commissions, 500 refunds`, async () => {
    await db
      .prepare(
        `INSERT INTO payments (id, user_id, type, amount, net_amount, currency, status, method, provider, internal_reference, ticket_id, created_at, updated_at, paid_at, refunded_amount)
         ${numbers(ORDERS)}
         SELECT ${idSql(K.payment, "i")}, t.user_id, 'TICKET', t.total_price, t.total_price, 'TND', CASE WHEN i % 50 = 0 THEN 'REFUNDED' ELSE 'PAID' END,
           CASE i % 4 WHEN 0 THEN 'CARD' WHEN 1 THEN 'MOMO_MTN' WHEN 2 THEN 'CARD' ELSE 'CASH' END,
           CASE i % 4 WHEN 0 THEN 'STRIPE' WHEN 1 THEN 'MTN_MOMO' WHEN 2 THEN 'KONNECT' ELSE 'CASH_DESK' END,
           printf('PAY-B%08d', i), t.id, t.created_at, t.created_at, t.confirmed_at, CASE WHEN i % 50 = 0 THEN t.total_price ELSE 0 END
         FROM n JOIN tickets t ON t.id = ${idSql(K.order, "i")}`,
      )
      .run();
    await db
      .prepare(
        `INSERT INTO commissions (id, payment_id, commission_type, base_amount, commission_rate_bp, commission_amount, currency, status, event_id, organizer_id, organization_id, created_at)
         SELECT printf('${K.commission.toString(16).padStart(8, "0")}-0000-4000-8000-%012d', rowid), p.id, 'TICKETING', p.amount, 500, p.amount / 20, 'TND',
           CASE WHEN p.status = 'REFUNDED' THEN 'CANCELLED' WHEN rowid % 3 = 0 THEN 'PAID' ELSE 'CALCULATED' END, ?1, ?2, ?3, p.created_at
         FROM payments p WHERE p.event_id = ?1`,
      )
      .bind(eventId, organizerId, organizationId)
      .run();
    await db
      .prepare(
        `INSERT INTO refunds (id, payment_id, requested_by, amount, currency, reason, status, requested_at) ${numbers(500)}
         SELECT ${idSql(K.refund, "i")}, p.id, p.user_id, p.amount, 'TND', CASE WHEN i % 5 = 0 THEN 'EVENT_CANCELLED' ELSE 'CUSTOMER_REQUEST' END,
           CASE WHEN i % 2 = 0 THEN 'REFUNDED' ELSE 'REJECTED' END, p.created_at
         FROM n JOIN payments p ON p.id = ${idSql(K.payment, "i * 50")}`,
      )
      .run();
  });
  await step("1,000 transfer offers", () =>
    db
      .prepare(
        `INSERT INTO transfers (id, access_right_id, event_id, transfer_type, status, from_user_id, to_user_id, price, currency, created_at, updated_at) ${numbers(1000)}
         SELECT ${idSql(K.transfer, "i")}, r.id, ?1, CASE WHEN i % 2 = 0 THEN 'TRANSFER_SALE' ELSE 'TRANSFER_DONATION' END, CASE i % 3 WHEN 0 THEN 'DECLINED' WHEN 1 THEN 'EXPIRED' ELSE 'CANCELLED' END,
           r.user_id, ${idSql(K.user, `(i * 7 + 1) % ${HOLDERS}`)}, CASE WHEN i % 2 = 0 THEN 5000 END, CASE WHEN i % 2 = 0 THEN 'TND' END, r.created_at, r.created_at
         FROM n JOIN access_rights r ON r.id = ${idSql(K.right, "i * 41 + 1")}`,
      )
      .bind(eventId)
      .run(),
  );
  // Scan j: right j % RIGHTS; mostly entries, one in ten an exit, denials with a reason, over the four hours since the doors.
  const reasons = JSON.stringify(["ALREADY_USED", "WRONG_ZONE", "INVALID_QR", "BLACKLISTED", "NOT_YET_VALID", "CAPACITY_FULL"]);
  await step(`${SCANS} gate log rows`, () =>
    db
      .prepare(
        `INSERT INTO access_control_log (id, access_right_id, event_id, user_id, access_point_id, zone_id, qr_code_scanned, action, status, denial_reason, controller_id, device_id,
           scan_method, response_time_ms, nonce, was_offline, is_conflict, timestamp, received_at) ${numbers(SCANS)}
         SELECT ${idSql(K.scan, "i")}, r.id, ?1, r.user_id, ?2 ->> (i % 4), r.zone_id, 'E1.bench.' || i,
           CASE WHEN i % 10 = 9 THEN 'EXIT' WHEN i % 37 = 0 THEN 'RE_ENTRY' ELSE 'ENTRY' END,
           CASE WHEN i % 7 = 3 THEN 'DENIED' WHEN i % 53 = 0 THEN 'WARNING' ELSE 'SUCCESS' END,
           CASE WHEN i % 7 = 3 THEN ?3 ->> (i % 6) END, ?4, printf('SCANNER-%02d', i % 16), CASE WHEN i % 97 = 0 THEN 'MANUAL_ENTRY' ELSE 'QR_SCANNER' END, 40 + i % 60,
           printf('bench-%d', i), i % 101 = 0, i % 509 = 0, ${at(`${doors} + (i * ${Math.floor((4 * HOUR) / SCANS)})`)}, ${at(`${doors} + (i * ${Math.floor((4 * HOUR) / SCANS)}) + 50`)}
         FROM n JOIN access_rights r ON r.id = ${idSql(K.right, `i % ${RIGHTS}`)}`,
      )
      .bind(eventId, JSON.stringify(gates), reasons, controllerId)
      .run(),
  );
  await step("event pushed to its EventDO", async () => {
    const res = await fetch(new URL(`/sync?event_id=${eventId}`, helperUrl), { method: "POST" });
    if (res.status !== 204) throw new Error(`sync failed: ${res.status} ${await res.text()}`);
  });
  const counts = (await db
    .prepare("SELECT (SELECT count(*) FROM access_rights WHERE event_id = ?1) AS rights, (SELECT count(*) FROM access_control_log WHERE event_id = ?1) AS scans, (SELECT count(*) FROM tickets WHERE event_id = ?1) AS orders")
    .bind(eventId)
    .first()) as { rights: number; scans: number; orders: number };
  log(`    seeded in ${((performance.now() - started) / 1000).toFixed(1)} s: ${counts.rights} rights, ${counts.scans} gate log rows, ${counts.orders} orders, ${paid} paid`);

  const token = (sub: string, sid: string, role: string) => signJwt(signingKeys, { sub, sid, role }, 4 * 3600, "at+jwt");
  const sampleRight = 12_345;
  return {
    eventId,
    organizer: { id: organizerId, token: await token(organizerId, orgSession, "ORGANIZER") },
    admin: { id: adminId, token: await token(adminId, adminSession, "ADMIN") },
    zones,
    gates,
    ticketTypes,
    planId,
    sample: {
      rightId: id(K.right, sampleRight),
      qrCode: code(sampleRight),
      orderId: id(K.order, Math.floor(sampleRight / 2)),
      ticketNumber: `TKT-2026-B${String(Math.floor(sampleRight / 2)).padStart(7, "0")}`,
      email: `fan${Math.floor(sampleRight / 2)}@bench.test`,
      phone: `+22901${String(Math.floor(sampleRight / 2)).padStart(8, "0")}`,
      namePrefix: "moh",
      cursor: null,
    },
    rightIds: Array.from({ length: 1000 }, (_, i) => id(K.right, (i * 59) % RIGHTS)),
    counts,
  };
}
