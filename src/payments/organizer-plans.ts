import { and, asc, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb, type Db } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { now, type Timestamp } from "../lib/time.ts";
import { auditedDelete, auditedInsert, auditedUpdate, auditWhere, insertWhere, type Actor } from "../site/audit.ts";
import type { PlanCreateInput, PlanUpdateInput } from "./organizer-plans-schemas.ts";
import { organizer_plan_features, organizer_plans, organizer_subscriptions } from "./schema.ts";

// Organizer plans (SpotVibe's subscriptions for organizers): what each plan offers, managed by admins; subscriptions to them are organizer-subscriptions.ts.

type PlanRow = typeof organizer_plans.$inferSelect;
type FeatureRow = typeof organizer_plan_features.$inferSelect;
const plans = organizer_plans;
const sub = organizer_subscriptions;
const features = organizer_plan_features;

async function featuresOf(db: Db, planIds: string[]): Promise<Map<string, FeatureRow[]>> {
  const byPlan = new Map<string, FeatureRow[]>(planIds.map((id) => [id, []]));
  if (planIds.length === 0) return byPlan;
  const rows = await db.select().from(features).where(inArray(features.plan_id, planIds)).orderBy(asc(features.display_order), asc(features.name), asc(features.id));
  for (const row of rows) byPlan.get(row.plan_id)?.push(row);
  return byPlan;
}

/** Plans with their features, in display order; `activeOnly` for the public list. */
export async function listPlans(env: Env, activeOnly: boolean): Promise<{ plan: PlanRow; features: FeatureRow[] }[]> {
  const db = getDb(env.DB);
  const rows = await db
    .select()
    .from(plans)
    .where(activeOnly ? eq(plans.is_active, true) : undefined)
    .orderBy(asc(plans.display_order), asc(plans.price), asc(plans.name), asc(plans.id));
  const byPlan = await featuresOf(db, rows.map((p) => p.id));
  return rows.map((plan) => ({ plan, features: byPlan.get(plan.id) ?? [] }));
}

export async function loadPlan(db: Db, planId: string): Promise<{ plan: PlanRow; features: FeatureRow[] }> {
  const [plan] = await db.select().from(plans).where(eq(plans.id, planId)).limit(1);
  if (!plan) throw problems.notFound("Organizer plan");
  return { plan, features: (await featuresOf(db, [planId])).get(planId) ?? [] };
}

const featureRows = (planId: string, input: PlanCreateInput["features"], at: Timestamp): FeatureRow[] =>
  input.map((f, index) => ({
    id: newId(),
    plan_id: planId,
    name: f.name,
    description: f.description ?? null,
    is_included: f.is_included,
    limit_label: f.limit_label ?? null,
    display_order: f.display_order ?? index,
    created_at: at,
  }));

/** Inserts each feature with its own audit entry, only if the plan's audited write happened. */
const insertFeatures = (db: Db, actor: Actor, written: SQL, rows: FeatureRow[]) =>
  rows.flatMap((row) => [
    insertWhere(db, features, row, written),
    auditWhere(db, actor, written, { action: "CREATE", table: features, id: row.id, before: null, after: row }),
  ]);

/** Deletes a plan's current features, each with its audit entry, only if the plan's audited write happened. */
const deleteFeatures = (db: Db, actor: Actor, written: SQL, rows: FeatureRow[]) =>
  rows.flatMap((row) => [
    db.delete(features).where(and(eq(features.id, row.id), written)),
    auditWhere(db, actor, written, { action: "DELETE", table: features, id: row.id, before: row, after: null }),
  ]);

export async function createPlan(env: Env, actor: Actor, input: PlanCreateInput) {
  const db = getDb(env.DB);
  const at = now();
  const { features: featureInput, ...fields } = input;
  const id = newId();
  const rows = featureRows(id, featureInput, at);
  await auditedInsert(db, actor, plans, { id, ...fields, description: fields.description ?? null, created_at: at, updated_at: at }, {
    also: (written) => insertFeatures(db, actor, written, rows),
  });
  return loadPlan(db, id);
}

/** Changes the fields sent; `features`, when sent, replaces the whole list (each removal and addition audited). */
export async function updatePlan(env: Env, actor: Actor, planId: string, input: PlanUpdateInput) {
  const db = getDb(env.DB);
  const { features: featureInput, ...patch } = input;
  if (featureInput === undefined && Object.keys(patch).length === 0) return loadPlan(db, planId);
  const current = featureInput === undefined ? [] : ((await featuresOf(db, [planId])).get(planId) ?? []);
  const rows = featureInput === undefined ? [] : featureRows(planId, featureInput, now());
  await auditedUpdate(db, actor, plans, planId, patch, {
    what: "Organizer plan",
    also: featureInput === undefined ? undefined : (written) => [...deleteFeatures(db, actor, written, current), ...insertFeatures(db, actor, written, rows)],
  });
  return loadPlan(db, planId);
}

/** Deletes a plan no subscription ever used; one that was used can only be deactivated (`is_active: false`). */
export async function deletePlan(env: Env, actor: Actor, planId: string): Promise<void> {
  const db = getDb(env.DB);
  const [[inUse], current] = await Promise.all([db.select({ id: sub.id }).from(sub).where(eq(sub.plan_id, planId)).limit(1), featuresOf(db, [planId])]);
  if (inUse) throw problems.conflict("plan_in_use", "Subscriptions refer to this plan; deactivate it (is_active: false) instead.");
  const rows = current.get(planId) ?? [];
  await auditedDelete(db, actor, plans, planId, {
    what: "Organizer plan",
    guard: sql`NOT EXISTS (SELECT 1 FROM ${sub} WHERE ${sub.plan_id} = ${planId})`,
    // The features go with the plan (ON DELETE CASCADE); their audit entries say so.
    also: (written) =>
      rows.map((row) => auditWhere(db, actor, written, { action: "DELETE", table: features, id: row.id, before: row, after: null })),
  });
}
