/**
 * What the Worker tells the object from D1 (src/catalog/sync.ts): the event
 * and its ticket configurations, the venue side of its access control, its
 * zone overrides and blacklist, and facts about holders. Every write here is
 * an idempotent upsert or a whole replacement.
 */
import { fail, type ConfigSetup, type EventSetup, type GatePolicy, type GateSetup, type Person, type Result } from "./contract.ts";
import { configureAttendees } from "./attendees.ts";
import { configurePresale } from "./presale.ts";
import { redateRights } from "./rights.ts";
import { configureWaitlist, settleWaitlist } from "./waitlist.ts";
import type { EventStore } from "./store.ts";

/**
 * Creates or updates the event and its ticket configurations. Refuses a
 * configuration that would have fewer sellable units than are held or sold.
 */
export function configure(s: EventStore, event: EventSetup, configs: ConfigSetup[]): Result<{ configs: number }> {
  const { sql } = s;
  const current = sql<{ id: string }>`SELECT id FROM event`.toArray()[0];
  if (current && current.id !== event.id) return fail(409, "wrong_event", "This object belongs to another event.");
  for (const config of configs) {
    const existing = sql<{ held: number; sold: number }>`SELECT quantity_held AS held, quantity_sold AS sold FROM configs WHERE id = ${config.id}`.toArray()[0];
    if (existing && existing.held + existing.sold > config.quantity_total - config.quantity_blocked) {
      return fail(409, "quantity_below_sold", `Configuration ${config.id} already has ${existing.held + existing.sold} units held or sold.`);
    }
  }
  const before = s.event();
  const at = new Date().toISOString();
  s.storage.transactionSync(() => {
    sql`INSERT INTO event (id, status, currency, starts_at, ends_at, doors_open_at, event_group_id, tags, hold_ttl_seconds, access_type)
        VALUES (${event.id}, ${event.status}, ${event.currency}, ${event.starts_at}, ${event.ends_at}, ${event.doors_open_at}, ${event.event_group_id},
          ${JSON.stringify(event.tags)}, ${event.hold_ttl_seconds ?? 900}, ${event.access_type ?? "FREE"})
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, currency = excluded.currency, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
          doors_open_at = excluded.doors_open_at, event_group_id = excluded.event_group_id, tags = excluded.tags, hold_ttl_seconds = excluded.hold_ttl_seconds,
          access_type = excluded.access_type`;
    for (const c of configs) {
      sql`INSERT INTO configs (id, ticket_type_id, ticket_type_code, zone_category, zone_id, price, currency, quantity_total, quantity_blocked,
            sales_start, sales_end, early_bird_end, min_purchase, max_purchase, max_per_transaction, requires_membership, membership_group_id,
            member_only_until, dynamic_pricing, price_tiers, cancellation_allowed, transfer_allowed, is_active, advance_booking_days, zone_share_units, zone_access)
          VALUES (${c.id}, ${c.ticket_type_id}, ${c.ticket_type_code}, ${c.zone_category}, ${c.zone_id}, ${c.price}, ${c.currency}, ${c.quantity_total}, ${c.quantity_blocked},
            ${c.sales_start}, ${c.sales_end}, ${c.early_bird_end}, ${c.min_purchase}, ${c.max_purchase}, ${c.max_per_transaction}, ${c.requires_membership ? 1 : 0},
            ${c.membership_group_id}, ${c.member_only_until}, ${c.dynamic_pricing ? 1 : 0}, ${c.price_tiers ? JSON.stringify(c.price_tiers) : null},
            ${c.cancellation_allowed ? 1 : 0}, ${c.transfer_allowed ? 1 : 0}, ${c.is_active ? 1 : 0}, ${c.advance_booking_days ?? null}, ${c.zone_share_units ?? null}, ${JSON.stringify(c.zones)})
          ON CONFLICT (id) DO UPDATE SET ticket_type_code = excluded.ticket_type_code, zone_category = excluded.zone_category, zone_id = excluded.zone_id,
            price = excluded.price, currency = excluded.currency, quantity_total = excluded.quantity_total, quantity_blocked = excluded.quantity_blocked,
            sales_start = excluded.sales_start, sales_end = excluded.sales_end, early_bird_end = excluded.early_bird_end, min_purchase = excluded.min_purchase,
            max_purchase = excluded.max_purchase, max_per_transaction = excluded.max_per_transaction, requires_membership = excluded.requires_membership,
            membership_group_id = excluded.membership_group_id, member_only_until = excluded.member_only_until, dynamic_pricing = excluded.dynamic_pricing,
            price_tiers = excluded.price_tiers, cancellation_allowed = excluded.cancellation_allowed, transfer_allowed = excluded.transfer_allowed,
            is_active = excluded.is_active, advance_booking_days = excluded.advance_booking_days, zone_share_units = excluded.zone_share_units, zone_access = excluded.zone_access`;
      s.outbox.enqueue("config", c.id);
    }
    // Rights carry the event's window: new dates reach the rights already issued (MODIFY).
    if (before && (before.starts_at !== event.starts_at || before.ends_at !== event.ends_at || before.doors_open_at !== event.doors_open_at)) redateRights(s, event, at);
    configureWaitlist(s, configs);
    configurePresale(s, configs);
    configureAttendees(s, configs);
  });
  s.eventChanged();
  // Blocked units released, or more units: the waiting list is served first.
  settleWaitlist(s, Date.now());
  s.outbox.projectSoon(Date.now());
  return { ok: true, configs: configs.length };
}

/** The venue side of access control: zones with capacities, gates and the zones they open onto, signing keys, age and re-entry rules. */
export function configureGate(s: EventStore, setup: GateSetup): Result<{ zones: number; access_points: number }> {
  const { sql } = s;
  if (!s.event()) return fail(409, "not_configured", "Configure the event before its gates.");
  s.storage.transactionSync(() => {
    sql`UPDATE event SET venue_id = ${setup.venue_id}, organizer_id = ${setup.organizer_id}`;
    for (const zone of setup.zones) {
      sql`INSERT INTO zones (id, name, capacity) VALUES (${zone.id}, ${zone.name}, ${zone.capacity})
          ON CONFLICT (id) DO UPDATE SET name = excluded.name, capacity = excluded.capacity`;
    }
    sql`DELETE FROM access_points`;
    for (const point of setup.access_points) {
      sql`INSERT INTO access_points (id, name, direction, zone_ids, is_active)
          VALUES (${point.id}, ${point.name}, ${point.direction}, ${JSON.stringify(point.zone_ids)}, ${point.is_active ? 1 : 0})`;
    }
    sql`DELETE FROM signing_keys`;
    for (const key of setup.keys) sql`INSERT INTO signing_keys (kid, jwk) VALUES (${key.kid}, ${JSON.stringify(key)})`;
    for (const rule of setup.config_rules) {
      sql`UPDATE configs SET min_age = ${rule.min_age}, requires_id = ${rule.requires_id ? 1 : 0}, re_entry_allowed = ${rule.re_entry_allowed ? 1 : 0}
          WHERE id = ${rule.config_id}`;
    }
  });
  return { ok: true, zones: setup.zones.length, access_points: setup.access_points.length };
}

/** Replaces the event's zone overrides and blacklist. */
export function replaceGatePolicy(s: EventStore, policy: GatePolicy): void {
  const { sql } = s;
  s.storage.transactionSync(() => {
    sql`DELETE FROM overrides`;
    for (const o of policy.overrides) {
      sql`INSERT INTO overrides (id, target_type, target_id, original_zone_id, override_zone_id, valid_from, valid_until, capacity_impact)
          VALUES (${o.id}, ${o.target_type}, ${o.target_id}, ${o.original_zone_id}, ${o.override_zone_id}, ${o.valid_from}, ${o.valid_until}, ${o.capacity_impact})`;
    }
    sql`DELETE FROM blacklist`;
    for (const b of policy.blacklist) {
      sql`INSERT INTO blacklist (id, type, identifier, starts_at, ends_at) VALUES (${b.id}, ${b.type}, ${b.identifier}, ${b.starts_at}, ${b.ends_at})`;
    }
  });
}

/** Facts about holders a gate needs (birth date for age limits, groups for overrides). */
export function rememberPeople(s: EventStore, people: Person[]): void {
  for (const p of people) {
    s.sql`INSERT INTO people (user_id, birth_date, groups) VALUES (${p.user_id}, ${p.birth_date}, ${JSON.stringify(p.group_ids)})
          ON CONFLICT (user_id) DO UPDATE SET birth_date = excluded.birth_date, groups = excluded.groups`;
  }
}
