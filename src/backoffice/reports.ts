import type { Env } from "../env.ts";
import type { EventRow } from "../organizations/permissions.ts";

/**
 * The back office's reports, as JSON for charts. Everything here reads the
 * report_* aggregates (src/backoffice/schema.ts), which D1 triggers keep in
 * step with the rows the EventDO projects, through their primary keys: a
 * report costs the same for ten orders as for sixty thousand. Live counters
 * (who is inside now) come from the event's EventDO. Amounts are integer
 * minor units and never summed across currencies.
 */

type Row = Record<string, unknown>;

async function all(env: Env, statements: { sql: string; params: unknown[] }[]): Promise<Row[][]> {
  const results = await env.DB.batch(statements.map((s) => env.DB.prepare(s.sql).bind(...s.params)));
  return results.map((r) => r.results as Row[]);
}

const money = (show: boolean, value: unknown) => (show ? Number(value ?? 0) : null);

const SALES_SUMS = "sum(orders) AS orders, sum(units) AS units, sum(gross) AS gross, sum(discount) AS discount, sum(net) AS net";

/** The statements of the sales report (exported for the query-plan test). */
export const salesStatements = (eventId: string) => ({
  totals: { sql: `SELECT currency, ${SALES_SUMS} FROM report_sales WHERE event_id = ? GROUP BY currency HAVING sum(orders) <> 0 ORDER BY currency`, params: [eventId] },
  by_day: { sql: `SELECT day, currency, ${SALES_SUMS} FROM report_sales WHERE event_id = ? GROUP BY day, currency HAVING sum(orders) <> 0 ORDER BY day, currency`, params: [eventId] },
  by_ticket_type: {
    sql: `SELECT c.ticket_type_id AS key, tt.name AS label, s.currency, ${SALES_SUMS.replaceAll("sum(", "sum(s.")}
          FROM report_sales s LEFT JOIN event_ticket_config c ON c.id = s.config_id LEFT JOIN ticket_types tt ON tt.id = c.ticket_type_id
          WHERE s.event_id = ? GROUP BY c.ticket_type_id, s.currency HAVING sum(s.orders) <> 0 ORDER BY label, s.currency`,
    params: [eventId],
  },
  by_channel: { sql: `SELECT channel AS key, currency, ${SALES_SUMS} FROM report_sales WHERE event_id = ? GROUP BY channel, currency HAVING sum(orders) <> 0 ORDER BY channel, currency`, params: [eventId] },
  by_price_tier: { sql: `SELECT unit_price, currency, ${SALES_SUMS} FROM report_sales WHERE event_id = ? GROUP BY unit_price, currency HAVING sum(orders) <> 0 ORDER BY currency, unit_price`, params: [eventId] },
  by_promo_code: {
    sql: `SELECT s.pricing_rule_id AS key, pr.promo_code AS promo_code, pr.name AS label, s.currency, ${SALES_SUMS.replaceAll("sum(", "sum(s.")}
          FROM report_sales s LEFT JOIN pricing_rules pr ON pr.id = s.pricing_rule_id
          WHERE s.event_id = ? AND s.pricing_rule_id <> '' GROUP BY s.pricing_rule_id, s.currency HAVING sum(s.orders) <> 0 ORDER BY label, s.currency`,
    params: [eventId],
  },
  // Zones are the rights' (a configuration's zone is decided when it is pushed to the EventDO): units only.
  by_zone: {
    sql: `SELECT r.zone_id AS key, z.name AS label, sum(r.rights) AS units FROM report_rights r LEFT JOIN venue_zones z ON z.id = r.zone_id
          WHERE r.event_id = ? AND r.source_type IN ('TICKET', 'TRANSFER') AND r.status IN ('ENABLED', 'USED', 'BLOCKED') GROUP BY r.zone_id HAVING sum(r.rights) <> 0 ORDER BY label`,
    params: [eventId],
  },
});

// Rows a change took back to zero stay in the aggregates (its old contribution out, the new one elsewhere): HAVING leaves them out.

/** Sales of confirmed orders by day, ticket type, channel, price tier, promo code and zone; amounts only with money.read. */
export async function salesReport(env: Env, eventId: string, showMoney: boolean) {
  const s = salesStatements(eventId);
  const [totals, byDay, byType, byChannel, byTier, byPromo, byZone] = await all(env, [s.totals, s.by_day, s.by_ticket_type, s.by_channel, s.by_price_tier, s.by_promo_code, s.by_zone]);
  const sums = (row: Row) => ({
    currency: String(row.currency),
    orders: Number(row.orders),
    units: Number(row.units),
    gross: money(showMoney, row.gross),
    discount: money(showMoney, row.discount),
    net: money(showMoney, row.net),
  });
  return {
    event_id: eventId,
    totals: totals!.map(sums),
    by_day: byDay!.map((r) => ({ day: String(r.day), ...sums(r) })),
    by_ticket_type: byType!.map((r) => ({ ticket_type_id: (r.key as string | null) ?? null, label: (r.label as string | null) ?? null, ...sums(r) })),
    by_channel: byChannel!.map((r) => ({ channel: String(r.key), ...sums(r) })),
    by_price_tier: byTier!.map((r) => ({ unit_price: money(showMoney, r.unit_price), ...sums(r) })),
    by_promo_code: byPromo!.map((r) => ({ pricing_rule_id: String(r.key), promo_code: (r.promo_code as string | null) ?? null, label: (r.label as string | null) ?? null, ...sums(r) })),
    by_zone: byZone!.map((r) => ({ zone_id: (r.key as string) || null, label: (r.label as string | null) ?? null, units: Number(r.units) })),
  };
}

export const revenueStatements = (eventId: string) => ({
  sales: { sql: `SELECT currency, ${SALES_SUMS} FROM report_sales WHERE event_id = ? GROUP BY currency HAVING sum(orders) <> 0`, params: [eventId] },
  commissions: {
    sql: "SELECT currency, status, sum(commissions) AS commissions, sum(base_amount) AS base_amount, sum(commission_amount) AS commission_amount FROM report_commissions WHERE event_id = ? GROUP BY currency, status HAVING sum(commissions) <> 0",
    params: [eventId],
  },
  refunds: { sql: "SELECT currency, status, reason, sum(refunds) AS refunds, sum(amount) AS amount FROM report_refunds WHERE event_id = ? GROUP BY currency, status, reason HAVING sum(refunds) <> 0", params: [eventId] },
});

/**
 * Money per currency: gross, discounts and net of the orders confirmed now
 * (a refunded order is cancelled and leaves them), the commission on their
 * payments (not cancelled), what is left to the organizer, and refund
 * requests by status and reason.
 */
export async function revenueReport(env: Env, eventId: string) {
  const s = revenueStatements(eventId);
  const [sales, commissions, refunds] = await all(env, [s.sales, s.commissions, s.refunds]);
  const currencies = [...new Set([...sales!, ...commissions!, ...refunds!].map((r) => String(r.currency)))].sort();
  return {
    event_id: eventId,
    currencies: currencies.map((currency) => {
      const sold = sales!.find((r) => r.currency === currency);
      const taken = commissions!.filter((r) => r.currency === currency && r.status !== "CANCELLED");
      const commission = taken.reduce((sum, r) => sum + Number(r.commission_amount), 0);
      const net = Number(sold?.net ?? 0);
      const refundRows = refunds!.filter((r) => r.currency === currency);
      return {
        currency,
        orders: Number(sold?.orders ?? 0),
        units: Number(sold?.units ?? 0),
        gross: Number(sold?.gross ?? 0),
        discount: Number(sold?.discount ?? 0),
        net,
        commission,
        commission_settled: taken.filter((r) => r.status === "PAID").reduce((sum, r) => sum + Number(r.commission_amount), 0),
        organizer_net: net - commission,
        refunds: refundRows.map((r) => ({ status: String(r.status), reason: String(r.reason), refunds: Number(r.refunds), amount: Number(r.amount) })),
        refunded: refundRows.filter((r) => r.status === "APPROVED" || r.status === "REFUNDED").reduce((sum, r) => sum + Number(r.amount), 0),
      };
    }),
  };
}

/** Gate log buckets that moved someone: entries (a first entry or a re-entry, admitted, not an offline conflict) and exits. */
const ENTERED = "action IN ('ENTRY', 'RE_ENTRY') AND status IN ('SUCCESS', 'WARNING') AND is_conflict = 0";
const EXITED = "action = 'EXIT' AND status = 'SUCCESS'";

export const attendanceStatements = (eventId: string) => ({
  rights: { sql: "SELECT status, source_type, entered, sum(rights) AS rights FROM report_rights WHERE event_id = ? GROUP BY status, source_type, entered HAVING sum(rights) <> 0", params: [eventId] },
  rights_by_zone: {
    sql: `SELECT r.zone_id AS zone_id, z.name AS zone_name, sum(r.rights) AS rights, sum(CASE WHEN r.entered = 1 THEN r.rights ELSE 0 END) AS checked_in
          FROM report_rights r LEFT JOIN venue_zones z ON z.id = r.zone_id WHERE r.event_id = ? AND r.status IN ('ENABLED', 'USED', 'BLOCKED') GROUP BY r.zone_id HAVING sum(r.rights) <> 0 ORDER BY zone_name`,
    params: [eventId],
  },
  buckets: {
    sql: `SELECT bucket, zone_id, access_point_id, sum(CASE WHEN ${ENTERED} THEN scans ELSE 0 END) AS entries, sum(CASE WHEN ${EXITED} THEN scans ELSE 0 END) AS exits,
            sum(CASE WHEN status = 'DENIED' THEN scans ELSE 0 END) AS denials, sum(scans) AS scans
          FROM report_scans WHERE event_id = ? GROUP BY bucket, zone_id, access_point_id ORDER BY bucket`,
    params: [eventId],
  },
  denials: { sql: "SELECT denial_reason, sum(scans) AS scans FROM report_scans WHERE event_id = ? AND status = 'DENIED' GROUP BY denial_reason ORDER BY scans DESC", params: [eventId] },
  totals: {
    sql: `SELECT sum(CASE WHEN ${ENTERED} THEN scans ELSE 0 END) AS entries, sum(CASE WHEN ${EXITED} THEN scans ELSE 0 END) AS exits,
            sum(CASE WHEN is_conflict = 1 THEN scans ELSE 0 END) AS conflicts, sum(CASE WHEN scan_method = 'MANUAL_ENTRY' AND ${ENTERED} THEN scans ELSE 0 END) AS manual_entries,
            sum(scans) AS scans FROM report_scans WHERE event_id = ?`,
    params: [eventId],
  },
  names: {
    sql: `SELECT 'gate' AS kind, ap.id AS id, ap.name AS name FROM access_points ap JOIN events e ON e.venue_id = ap.venue_id WHERE e.id = ?1
          UNION ALL SELECT 'zone', z.id, z.name FROM venue_zones z JOIN events e ON e.venue_id = z.venue_id WHERE e.id = ?1`,
    params: [eventId],
  },
});

/**
 * Who came: rights by status and source, checked in or not (no-shows once
 * the event is over), re-entries, denials by reason, and from the gate log
 * in 15-minute buckets the entries, exits and denials by gate and by zone,
 * and each zone's occupancy over time (entries less exits so far). `live`
 * is the EventDO's occupancy now.
 */
export async function attendanceReport(env: Env, event: EventRow, live: { zones: { id: string; name: string; capacity: number; occupancy: number }[]; at: string } | null) {
  const s = attendanceStatements(event.id);
  const [rights, byZone, buckets, denials, totalRows, names] = await all(env, [s.rights, s.rights_by_zone, s.buckets, s.denials, s.totals, s.names]);
  const totals = totalRows![0];
  const count = (pick: (r: Row) => boolean) => rights!.filter(pick).reduce((sum, r) => sum + Number(r.rights), 0);
  const checkedIn = count((r) => Number(r.entered) === 1);
  const notCheckedIn = count((r) => r.status === "ENABLED" && Number(r.entered) === 0);
  const entries = Number(totals?.entries ?? 0);
  const over = Date.parse(event.ends_at) <= Date.now();
  const name = new Map(names!.map((n) => [`${n.kind}:${n.id}`, String(n.name)]));

  const series = new Map<string, { bucket: string; entries: number; exits: number; denials: number; scans: number }>();
  const gates = new Map<string, { entries: number; exits: number; denials: number; scans: number }>();
  const zones = new Map<string, { entries: number; exits: number; denials: number; scans: number }>();
  const zoneBuckets = new Map<string, Map<string, { entries: number; exits: number }>>();
  for (const b of buckets!) {
    const add = <T extends { entries: number; exits: number; denials?: number; scans?: number }>(into: T) => {
      into.entries += Number(b.entries);
      into.exits += Number(b.exits);
      if (into.denials !== undefined) into.denials += Number(b.denials);
      if (into.scans !== undefined) into.scans += Number(b.scans);
    };
    const bucket = String(b.bucket);
    add(series.get(bucket) ?? series.set(bucket, { bucket, entries: 0, exits: 0, denials: 0, scans: 0 }).get(bucket)!);
    const gate = String(b.access_point_id);
    add(gates.get(gate) ?? gates.set(gate, { entries: 0, exits: 0, denials: 0, scans: 0 }).get(gate)!);
    const zone = String(b.zone_id);
    add(zones.get(zone) ?? zones.set(zone, { entries: 0, exits: 0, denials: 0, scans: 0 }).get(zone)!);
    const perZone = zoneBuckets.get(zone) ?? zoneBuckets.set(zone, new Map()).get(zone)!;
    add(perZone.get(bucket) ?? perZone.set(bucket, { entries: 0, exits: 0 }).get(bucket)!);
  }
  return {
    event_id: event.id,
    rights: {
      total: count(() => true),
      valid: count((r) => r.status === "ENABLED" || r.status === "USED"),
      checked_in: checkedIn,
      not_checked_in: notCheckedIn,
      no_shows: over ? notCheckedIn : null,
      by_status: groupSum(rights!, "status"),
      by_source: groupSum(rights!, "source_type"),
    },
    entries,
    re_entries: Math.max(0, entries - checkedIn),
    exits: Number(totals?.exits ?? 0),
    scans: Number(totals?.scans ?? 0),
    conflicts: Number(totals?.conflicts ?? 0),
    manual_entries: Number(totals?.manual_entries ?? 0),
    denials_by_reason: denials!.map((d) => ({ reason: String(d.denial_reason), scans: Number(d.scans) })),
    by_zone: byZone!.map((z) => ({ zone_id: (z.zone_id as string) || null, zone_name: (z.zone_name as string | null) ?? null, rights: Number(z.rights), checked_in: Number(z.checked_in), ...(zones.get(String(z.zone_id)) ?? { entries: 0, exits: 0, denials: 0, scans: 0 }) })),
    by_gate: [...gates].map(([id, v]) => ({ access_point_id: id, name: name.get(`gate:${id}`) ?? null, ...v })),
    buckets: [...series.values()],
    occupancy: [...zoneBuckets].map(([zone, perBucket]) => {
      let inside = 0;
      return {
        zone_id: zone || null,
        zone_name: name.get(`zone:${zone}`) ?? null,
        series: [...perBucket].sort(([a], [b]) => a.localeCompare(b)).map(([bucket, v]) => ({ bucket, entries: v.entries, exits: v.exits, inside: (inside = Math.max(0, inside + v.entries - v.exits)) })),
      };
    }),
    live,
  };
}

function groupSum(rows: Row[], key: string) {
  const sums = new Map<string, number>();
  for (const r of rows) sums.set(String(r[key]), (sums.get(String(r[key])) ?? 0) + Number(r.rights));
  return Object.fromEntries(sums);
}

export const passStatements = (eventId: string) => ({
  usage: {
    sql: `SELECT r.plan_id, p.name AS plan_name, r.status, r.entered, sum(r.rights) AS rights FROM report_rights r LEFT JOIN subscription_plans p ON p.id = r.plan_id
          WHERE r.event_id = ? AND r.source_type = 'SUBSCRIPTION' GROUP BY r.plan_id, r.status, r.entered HAVING sum(r.rights) <> 0`,
    params: [eventId],
  },
  sales: {
    sql: `SELECT s.subscription_plan_id AS plan_id, s.status, count(*) AS passes FROM subscriptions s
          WHERE s.subscription_plan_id IN (SELECT plan_id FROM report_rights WHERE event_id = ? AND source_type = 'SUBSCRIPTION' AND plan_id <> '' AND rights <> 0) GROUP BY s.subscription_plan_id, s.status`,
    params: [eventId],
  },
});

/** For each season-pass plan with rights in this match: passes sold by status, and the match's usage (rights, checked in, not yet). */
export async function passesReport(env: Env, eventId: string) {
  const s = passStatements(eventId);
  const [usage, sales] = await all(env, [s.usage, s.sales]);
  const plans = [...new Set(usage!.map((r) => String(r.plan_id)))];
  return {
    event_id: eventId,
    plans: plans.map((planId) => {
      const rows = usage!.filter((r) => r.plan_id === planId);
      const sum = (pick: (r: Row) => boolean) => rows.filter(pick).reduce((total, r) => total + Number(r.rights), 0);
      return {
        plan_id: planId || null,
        plan_name: (rows[0]?.plan_name as string | null) ?? null,
        passes_by_status: Object.fromEntries(sales!.filter((r) => r.plan_id === planId).map((r) => [String(r.status), Number(r.passes)])),
        rights: sum(() => true),
        valid: sum((r) => r.status === "ENABLED" || r.status === "USED"),
        checked_in: sum((r) => Number(r.entered) === 1),
        not_checked_in: sum((r) => r.status === "ENABLED" && Number(r.entered) === 0),
      };
    }),
  };
}

export const volumeStatements = (from: string, to: string) => {
  const sums = "sum(payments) AS payments, sum(amount) AS amount, sum(fees) AS fees, sum(refunded_amount) AS refunded_amount";
  return {
    by_country: { sql: `SELECT country AS key, currency, ${sums} FROM report_payments WHERE day >= ? AND day <= ? GROUP BY country, currency HAVING sum(payments) <> 0 ORDER BY country, currency`, params: [from, to] },
    by_currency: { sql: `SELECT currency AS key, currency, ${sums} FROM report_payments WHERE day >= ? AND day <= ? GROUP BY currency ORDER BY currency`, params: [from, to] },
    by_provider: { sql: `SELECT provider AS key, currency, ${sums} FROM report_payments WHERE day >= ? AND day <= ? GROUP BY provider, currency HAVING sum(payments) <> 0 ORDER BY provider, currency`, params: [from, to] },
    by_type: { sql: `SELECT type AS key, currency, ${sums} FROM report_payments WHERE day >= ? AND day <= ? GROUP BY type, currency HAVING sum(payments) <> 0 ORDER BY type, currency`, params: [from, to] },
    // The organization's plan today (its ACTIVE organizer subscription: one at most), or none.
    by_organizer_plan: {
      sql: `SELECT coalesce(pl.name, '') AS key, r.currency, ${sums.replaceAll("sum(", "sum(r.")}
            FROM report_payments r LEFT JOIN organizer_subscriptions os ON os.organization_id = r.organization_id AND os.status = 'ACTIVE' LEFT JOIN organizer_plans pl ON pl.id = os.plan_id
            WHERE r.day >= ? AND r.day <= ? GROUP BY key, r.currency HAVING sum(r.payments) <> 0 ORDER BY key, r.currency`,
      params: [from, to],
    },
  };
};

/** Money taken on the platform between two UTC days (inclusive): by venue country, currency, provider, payment type and the organization's organizer plan, per currency. */
export async function volumeReport(env: Env, from: string, to: string) {
  const s = volumeStatements(from, to);
  const [country, currency, provider, type, plan] = await all(env, [s.by_country, s.by_currency, s.by_provider, s.by_type, s.by_organizer_plan]);
  const rows = (list: Row[]) =>
    list.map((r) => ({ key: (r.key as string) || null, currency: String(r.currency), payments: Number(r.payments), amount: Number(r.amount), fees: Number(r.fees), refunded_amount: Number(r.refunded_amount) }));
  return { from, to, by_country: rows(country!), by_currency: rows(currency!), by_provider: rows(provider!), by_type: rows(type!), by_organizer_plan: rows(plan!) };
}

export const commissionStatements = () => ({
  totals: {
    sql: "SELECT currency, status, sum(commissions) AS commissions, sum(base_amount) AS base_amount, sum(commission_amount) AS commission_amount FROM report_commissions GROUP BY currency, status HAVING sum(commissions) <> 0 ORDER BY currency, status",
    params: [],
  },
  due: {
    sql: `SELECT r.organization_id, o.name AS organization_name, r.currency, sum(r.commission_amount) AS commission_amount, sum(r.commissions) AS commissions
          FROM report_commissions r LEFT JOIN organizations o ON o.id = r.organization_id WHERE r.status IN ('PENDING', 'CALCULATED')
          GROUP BY r.organization_id, r.currency HAVING sum(r.commission_amount) <> 0 ORDER BY commission_amount DESC LIMIT 100`,
    params: [],
  },
});

/**
 * Commissions platform-wide per currency: due (PENDING, CALCULATED), settled
 * (PAID) and cancelled, and the 100 organizations owing most (per currency).
 * Reads the aggregate (one row per event, organization, currency, status and
 * type), not the commissions themselves.
 */
export async function commissionsReport(env: Env) {
  const s = commissionStatements();
  const [totals, due] = await all(env, [s.totals, s.due]);
  const currencies = [...new Set(totals!.map((r) => String(r.currency)))].sort();
  const sum = (currency: string, statuses: string[]) =>
    totals!.filter((r) => r.currency === currency && statuses.includes(String(r.status))).reduce((total, r) => total + Number(r.commission_amount), 0);
  return {
    currencies: currencies.map((currency) => ({ currency, due: sum(currency, ["PENDING", "CALCULATED"]), settled: sum(currency, ["PAID"]), cancelled: sum(currency, ["CANCELLED"]) })),
    organizations_due: due!.map((r) => ({
      organization_id: (r.organization_id as string) || null,
      organization_name: (r.organization_name as string | null) ?? null,
      currency: String(r.currency),
      commissions: Number(r.commissions),
      due: Number(r.commission_amount),
    })),
  };
}
