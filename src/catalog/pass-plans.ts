import { and, asc, eq, gt, inArray, isNull, lte, or, sql, type SQL, type Column } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { AuthContext, Env } from "../env.ts";
import { isAdmin } from "../auth/middleware.ts";
import { getDb, type Db } from "../db/client.ts";
import { isCheckViolation, isForeignKeyViolation, isUniqueViolation } from "../db/errors.ts";
import { event_groups, events } from "../events/schema.ts";
import { problems, type FieldError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { changedFields } from "../lib/patch.ts";
import { now } from "../lib/time.ts";
import { organizationsWhere, requireManaged, seesInside } from "../organizations/permissions.ts";
import { subscriptions } from "../passes/schema.ts";
import { auditedDelete, auditedInsert, auditedUpdate, auditWhere, insertWhere, type Actor } from "../site/audit.ts";
import type { PlanCreateInput, PlanLinks, PlanUpdateInput } from "./pass-plans-schemas.ts";
import { subscription_plan_event_groups, subscription_plan_events, subscription_plan_zones, subscription_plans } from "./schema.ts";
import { type Caller, codeTaken, fieldErrors, ordered, organizationOfMoved, organizationOfNew } from "./shared.ts";

// Season-pass plans: what a pass covers (event groups, events, zones), its price and sales window; passes themselves are src/passes.

type PlanRow = typeof subscription_plans.$inferSelect;

async function linksOf(db: Db, planIds: string[]): Promise<Map<string, PlanLinks>> {
  const byPlan = new Map<string, PlanLinks>(planIds.map((id) => [id, { groups: [], events: [], zones: [] }]));
  if (planIds.length === 0) return byPlan;
  const [groups, planEvents, zones] = await db.batch([
    db.select().from(subscription_plan_event_groups).where(inArray(subscription_plan_event_groups.subscription_plan_id, planIds)).orderBy(asc(subscription_plan_event_groups.created_at), asc(subscription_plan_event_groups.event_group_id)),
    db.select().from(subscription_plan_events).where(inArray(subscription_plan_events.subscription_plan_id, planIds)).orderBy(asc(subscription_plan_events.created_at), asc(subscription_plan_events.event_id)),
    db.select().from(subscription_plan_zones).where(inArray(subscription_plan_zones.subscription_plan_id, planIds)).orderBy(sql`${subscription_plan_zones.is_primary} DESC`, asc(subscription_plan_zones.zone_category)),
  ]);
  for (const row of groups) byPlan.get(row.subscription_plan_id)?.groups.push(row);
  for (const row of planEvents) byPlan.get(row.subscription_plan_id)?.events.push(row);
  for (const row of zones) byPlan.get(row.subscription_plan_id)?.zones.push(row);
  return byPlan;
}

async function planWithLinks(db: Db, plan: PlanRow) {
  return { plan, links: (await linksOf(db, [plan.id])).get(plan.id)! };
}

/** On sale: active, and now inside its sales window (open ends allowed). */
const onSale = (at: string) =>
  and(
    eq(subscription_plans.is_active, true),
    or(isNull(subscription_plans.sales_start), lte(subscription_plans.sales_start, at)),
    or(isNull(subscription_plans.sales_end), gt(subscription_plans.sales_end, at)),
  );

/** The plan if the caller manages it (`catalog.manage` in its organization, admins); other members 403, anyone else 404. */
async function managedPlan(db: Db, caller: Caller, id: string): Promise<PlanRow> {
  const [row] = await db.select().from(subscription_plans).where(eq(subscription_plans.id, id)).limit(1);
  if (!row) throw problems.notFound("Season-pass plan");
  await requireManaged(db, caller, row.organization_id, "catalog.manage", "Season-pass plan");
  return row;
}

/** Plans on sale for everyone; any other state only for its organization's members and admins. */
export async function readPlan(env: Env, auth: AuthContext | undefined, id: string) {
  const db = getDb(env.DB);
  const [row] = await db.select().from(subscription_plans).where(eq(subscription_plans.id, id)).limit(1);
  if (!row) throw problems.notFound("Season-pass plan");
  const [visible] = await db.select({ id: subscription_plans.id }).from(subscription_plans).where(and(eq(subscription_plans.id, id), onSale(now())));
  if (!visible && !(await seesInside(db, auth, row.organization_id))) throw problems.notFound("Season-pass plan");
  return planWithLinks(db, row);
}

function checkPlanWindow(state: Pick<PlanRow, "sales_start" | "sales_end">): void {
  const errors: FieldError[] = [];
  ordered(errors, state.sales_start, state.sales_end, "sales_end", "Sales must end after they start.", true);
  fieldErrors(errors);
}

export async function createPlan(env: Env, actor: Actor, input: PlanCreateInput) {
  const db = getDb(env.DB);
  const { organization_id, ...fields } = input;
  const organizationId = await organizationOfNew(db, actor, organization_id);
  const row = {
    ...fields,
    id: newId(),
    organizer_id: actor.userId,
    organization_id: organizationId,
    description: fields.description ?? null,
    duration_months: fields.duration_months ?? null,
    max_subscribers: fields.max_subscribers ?? null,
    default_zone_category: fields.default_zone_category ?? null,
    benefits: fields.benefits ?? null,
    restrictions: fields.restrictions ?? null,
    sales_start: fields.sales_start ?? null,
    sales_end: fields.sales_end ?? null,
    metadata: fields.metadata ?? null,
  };
  checkPlanWindow(row);
  try {
    return planWithLinks(db, await auditedInsert(db, actor, subscription_plans, row));
  } catch (error) {
    if (isUniqueViolation(error, "subscription_plans.code")) throw codeTaken("season-pass plan");
    throw error;
  }
}

export async function listPlans(env: Env, auth: AuthContext | undefined, query: { mine?: boolean; all?: boolean; organization_id?: string; limit: number; cursor?: string }) {
  const db = getDb(env.DB);
  let scope: SQL | undefined;
  if (query.all) {
    if (!auth) throw problems.unauthorized();
    if (!isAdmin(auth)) throw problems.forbidden("Only admins list every plan.");
  } else if (query.mine) {
    if (!auth) throw problems.unauthorized();
    scope = inArray(subscription_plans.organization_id, organizationsWhere(db, auth.userId, "event.read"));
  } else scope = onSale(now());
  const rows = await db
    .select()
    .from(subscription_plans)
    .where(and(scope, query.organization_id ? eq(subscription_plans.organization_id, query.organization_id) : undefined, afterCursor(decodeCursor(query.cursor), subscription_plans.price, subscription_plans.id)))
    .orderBy(asc(subscription_plans.price), asc(subscription_plans.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.price, id: row.id }));
  const links = await linksOf(db, page.data.map((row) => row.id));
  return { data: page.data.map((plan) => ({ plan, links: links.get(plan.id)! })), next_cursor: page.next_cursor };
}

export async function updatePlan(env: Env, actor: Actor, id: string, input: PlanUpdateInput) {
  const db = getDb(env.DB);
  const plan = await managedPlan(db, actor, id);
  const { organization_id, ...fields } = input;
  const patch: Partial<PlanRow> = { ...fields };
  const moved = await organizationOfMoved(db, actor, plan.organization_id, organization_id);
  if (moved !== undefined) patch.organization_id = moved;
  const changes = changedFields(plan, patch);
  if (Object.keys(changes).length === 0) return planWithLinks(db, plan);
  const state = { ...plan, ...changes };
  checkPlanWindow(state);
  if (state.max_subscribers !== null && state.max_subscribers < plan.current_subscribers) {
    throw problems.conflict("below_current_subscribers", `The plan already has ${plan.current_subscribers} subscriber(s).`);
  }
  // Upgrade fees are amounts in the plan's currency: they would silently change value.
  const zoneFees = sql`EXISTS (SELECT 1 FROM ${subscription_plan_zones} WHERE ${subscription_plan_zones.subscription_plan_id} = ${id} AND ${subscription_plan_zones.upgrade_fee} IS NOT NULL)`;
  if (changes.currency) {
    const [row] = await db.select({ fees: sql<number>`${zoneFees}` }).from(subscription_plans).where(eq(subscription_plans.id, id));
    if (row?.fees) throw problems.conflict("currency_in_use", "Zone upgrade fees are priced in the current currency; replace the zones first.");
  }
  try {
    const { after } = await auditedUpdate(db, actor, subscription_plans, id, changes, {
      what: "Season-pass plan",
      guard: changes.currency ? sql`NOT ${zoneFees}` : undefined,
    });
    return planWithLinks(db, after);
  } catch (error) {
    if (isUniqueViolation(error, "subscription_plans.code")) throw codeTaken("season-pass plan");
    if (isCheckViolation(error, "subscribers_within_limit")) throw problems.conflict("below_current_subscribers", "The plan has more subscribers than that.");
    throw error;
  }
}

const subscriptionsOf = (planId: string) => sql`EXISTS (SELECT 1 FROM ${subscriptions} WHERE ${subscriptions.subscription_plan_id} = ${planId})`;

export async function deletePlan(env: Env, actor: Actor, id: string): Promise<void> {
  const db = getDb(env.DB);
  await managedPlan(db, actor, id);
  const inUse = () => problems.conflict("plan_in_use", "Passes were sold on this plan; deactivate it instead (is_active: false).");
  const [sold] = await db.select({ id: subscriptions.id }).from(subscriptions).where(eq(subscriptions.subscription_plan_id, id)).limit(1);
  if (sold) throw inUse();
  const links = (await linksOf(db, [id])).get(id)!;
  const gone = [
    { table: subscription_plan_event_groups, rows: links.groups },
    { table: subscription_plan_events, rows: links.events },
    { table: subscription_plan_zones, rows: links.zones },
  ].filter((link) => link.rows.length > 0);
  try {
    await auditedDelete(db, actor, subscription_plans, id, {
      what: "Season-pass plan",
      guard: sql`NOT ${subscriptionsOf(id)}`,
      // The links go with the plan (ON DELETE CASCADE); the audit trail says so.
      also: (written) => gone.map((link) => auditWhere(db, actor, written, { action: "DELETE", table: link.table, id, before: { links: link.rows }, after: null })),
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw inUse();
    throw error;
  }
}

/** Replaces one list of a plan's links (`table`'s rows of the plan) in one audited batch. */
async function replacePlanLinks<T extends SQLiteTable & { subscription_plan_id: Column }>(
  db: Db,
  actor: Actor,
  plan: PlanRow,
  table: T,
  current: object[],
  rows: Record<string, unknown>[],
  description: string,
) {
  const { after } = await auditedUpdate(db, actor, subscription_plans, plan.id, {}, {
    what: "Season-pass plan",
    description,
    also: (written) => [
      db.delete(table).where(and(eq(table.subscription_plan_id, plan.id), written)),
      ...rows.map((row) => insertWhere(db, table, row, written)),
      auditWhere(db, actor, written, { action: "UPDATE", table, id: plan.id, before: { links: current }, after: { links: rows } }),
    ],
  });
  return planWithLinks(db, after);
}

export async function replacePlanGroups(
  env: Env,
  actor: Actor,
  id: string,
  input: { event_group_id: string; access_level: "FULL" | "HOME_ONLY" | "PARTIAL"; included_match_types?: string[] | null; excluded_events?: string[] | null; metadata?: Record<string, unknown> | null }[],
) {
  const db = getDb(env.DB);
  const plan = await managedPlan(db, actor, id);
  const groupIds = input.map((g) => g.event_group_id);
  const excluded = [...new Set(input.flatMap((g) => g.excluded_events ?? []))];
  const [groups, excludedEvents] = await Promise.all([
    groupIds.length ? db.select({ id: event_groups.id, organization_id: event_groups.organization_id }).from(event_groups).where(and(inArray(event_groups.id, groupIds), eq(event_groups.is_active, true))) : [],
    excluded.length ? db.select({ id: events.id, group: events.event_group_id }).from(events).where(inArray(events.id, excluded)) : [],
  ]);
  const groupOwner = new Map(groups.map((g) => [g.id, g.organization_id]));
  const groupOfEvent = new Map(excludedEvents.map((e) => [e.id, e.group]));
  const errors: FieldError[] = [];
  input.forEach((link, i) => {
    const owner = groupOwner.get(link.event_group_id);
    // A plan covers its own organization's seasons; admins link any.
    if (owner === undefined || (!isAdmin(actor) && owner !== plan.organization_id)) {
      errors.push({ path: `event_groups.${i}.event_group_id`, message: "No such active event group among the plan organization's.", code: "invalid_reference" });
    }
    (link.excluded_events ?? []).forEach((eventId, j) => {
      if (groupOfEvent.get(eventId) !== link.event_group_id) {
        errors.push({ path: `event_groups.${i}.excluded_events.${j}`, message: "Not an event of this group.", code: "invalid_reference" });
      }
    });
  });
  fieldErrors(errors);
  const at = now();
  const rows = input.map((link) => ({
    subscription_plan_id: id,
    event_group_id: link.event_group_id,
    access_level: link.access_level,
    included_match_types: link.included_match_types ?? null,
    excluded_events: link.excluded_events ?? null,
    metadata: link.metadata ?? null,
    created_at: at,
  }));
  return replacePlanLinks(db, actor, plan, subscription_plan_event_groups, (await linksOf(db, [id])).get(id)!.groups, rows, "replace event groups");
}

export async function replacePlanEvents(
  env: Env,
  actor: Actor,
  id: string,
  input: { event_id: string; access_level: "FULL" | "STANDARD" | "RESTRICTED"; requires_booking: boolean; booking_window_days?: number | null; metadata?: Record<string, unknown> | null }[],
) {
  const db = getDb(env.DB);
  const plan = await managedPlan(db, actor, id);
  const eventIds = input.map((e) => e.event_id);
  const found = eventIds.length ? await db.select({ id: events.id, organization_id: events.organization_id }).from(events).where(inArray(events.id, eventIds)) : [];
  const organizationOf = new Map(found.map((e) => [e.id, e.organization_id]));
  const errors: FieldError[] = [];
  input.forEach((link, i) => {
    const organization = organizationOf.get(link.event_id);
    if (organization === undefined || (!isAdmin(actor) && organization !== plan.organization_id)) {
      errors.push({ path: `events.${i}.event_id`, message: "No such event among the plan organization's.", code: "invalid_reference" });
    }
    if (link.booking_window_days != null && !link.requires_booking) {
      errors.push({ path: `events.${i}.booking_window_days`, message: "A booking window needs `requires_booking`.", code: "inconsistent" });
    }
  });
  fieldErrors(errors);
  const at = now();
  const rows = input.map((link) => ({
    subscription_plan_id: id,
    event_id: link.event_id,
    access_level: link.access_level,
    requires_booking: link.requires_booking,
    booking_window_days: link.booking_window_days ?? null,
    metadata: link.metadata ?? null,
    created_at: at,
  }));
  return replacePlanLinks(db, actor, plan, subscription_plan_events, (await linksOf(db, [id])).get(id)!.events, rows, "replace events");
}

export async function replacePlanZones(
  env: Env,
  actor: Actor,
  id: string,
  input: { zone_category: PlanRow["default_zone_category"] & string; is_primary: boolean; upgrade_allowed: boolean; upgrade_fee?: number | null; metadata?: Record<string, unknown> | null }[],
) {
  const db = getDb(env.DB);
  const plan = await managedPlan(db, actor, id);
  const at = now();
  const rows = input.map((zone) => ({
    subscription_plan_id: id,
    zone_category: zone.zone_category,
    is_primary: zone.is_primary,
    upgrade_allowed: zone.upgrade_allowed,
    upgrade_fee: zone.upgrade_fee ?? null,
    // Fees are in the plan's currency.
    currency: zone.upgrade_fee == null ? null : plan.currency,
    metadata: zone.metadata ?? null,
    created_at: at,
  }));
  return replacePlanLinks(db, actor, plan, subscription_plan_zones, (await linksOf(db, [id])).get(id)!.zones, rows, "replace zone categories");
}
