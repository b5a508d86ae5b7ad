import type { z } from "@hono/zod-openapi";
import { and, asc, desc, eq, gt, lt, ne, or, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { access_rights } from "../access/schema.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { getDb, type Db } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import { decodeCursor, toPage } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { memberRole, roleGrants, type OrganizationPermission } from "../organizations/permissions.ts";
import { subscription_bookings } from "./bookings-schema.ts";
import { subscription_instalments } from "./instalments-schema.ts";
import { season_card_requests } from "../documents/schema.ts";
import { subscriptions } from "./schema.ts";
import type { MySubscriptionsQuery } from "./schemas.ts";

// Season passes as their holders and managers see them, and who may see or change one.

export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type PlanRow = typeof subscription_plans.$inferSelect;
export type BookingRow = typeof subscription_bookings.$inferSelect;

/** Statuses in which a pass holds its place on the plan and its seat: what `current_subscribers` counts. */
export const LIVE = ["PENDING", "ACTIVE", "SUSPENDED"] as const;

export const LIVE_SQL = sql.raw(`('PENDING', 'ACTIVE', 'SUSPENDED')`);
export const today = (at: string = now()) => at.slice(0, 10);
export const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00.000Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** The rights of a pass: source_id is the pass itself, or `<pass>:<booking>` for a booked match. */
export const sourceOf = (subscriptionId: string, bookingId?: string) => (bookingId ? `${subscriptionId}:${bookingId}` : subscriptionId);

export const rightsOfPass = (subscriptionId: string) =>
  and(
    eq(access_rights.source_type, "SUBSCRIPTION"),
    or(eq(access_rights.source_id, subscriptionId), and(gt(access_rights.source_id, `${subscriptionId}:`), lt(access_rights.source_id, `${subscriptionId};`))),
  );

type Access = "HOLDER" | "MANAGER";
type Caller = Pick<AuthContext, "userId" | "role">;

/** The caller's role in the plan's organization ("ADMIN" for admins), or null. */
async function roleOnPlan(db: Db, auth: Caller, plan: PlanRow) {
  if (auth.role === "ADMIN") return "ADMIN" as const;
  return plan.organization_id === null ? null : memberRole(db, auth.userId, plan.organization_id);
}

async function loadPass(db: Db, id: string) {
  const [row] = await db.select({ sub: subscriptions, plan: subscription_plans }).from(subscriptions).innerJoin(subscription_plans, eq(subscription_plans.id, subscriptions.subscription_plan_id)).where(eq(subscriptions.id, id)).limit(1);
  return row;
}

/**
 * The pass for its holder, for a member of the plan's organization whose role
 * gives `permission` (MANAGER access) and for admins; another member of that
 * organization gets 403, anyone else 404.
 */
export async function readablePass(db: Db, auth: Caller, id: string, permission: OrganizationPermission = "sales.read"): Promise<{ sub: SubscriptionRow; plan: PlanRow; as: Access }> {
  const row = await loadPass(db, id);
  if (!row) throw problems.notFound("Season pass");
  const role = await roleOnPlan(db, auth, row.plan);
  if (role === "ADMIN" || roleGrants(role, permission)) return { ...row, as: "MANAGER" };
  if (row.sub.user_id === auth.userId) return { ...row, as: "HOLDER" };
  if (role) throw problems.forbidden(`This needs the \`${permission}\` permission, which your role (${role}) does not give.`);
  throw problems.notFound("Season pass");
}

/** The pass for who manages it with `permission`; its holder (who can see it) and other members get 403, anyone else 404. */
export async function managedPass(db: Db, auth: Caller, id: string, permission: OrganizationPermission) {
  const pass = await readablePass(db, auth, id, permission);
  if (pass.as !== "MANAGER") throw problems.forbidden("Only the club selling this pass or an admin can do this.");
  return pass;
}

/** The pass for its holder only; the plan's organization's members and admins get 403, anyone else 404. */
export async function heldPass(db: Db, auth: AuthContext, id: string) {
  const row = await loadPass(db, id);
  if (!row) throw problems.notFound("Season pass");
  if (row.sub.user_id !== auth.userId) {
    if (await roleOnPlan(db, auth, row.plan)) throw problems.forbidden("Only the pass holder can do this.");
    throw problems.notFound("Season pass");
  }
  return row;
}

export const matchesIncluded = (plan: PlanRow): number | null => (plan.type === "FLEX" ? (plan.benefits?.number_of_matches ?? null) : null);

function viewOf(sub: SubscriptionRow, plan: PlanRow, rightsCount: number, booked: number) {
  const { metadata: _m, last_transfer_date: _t, created_by: _c, ...fields } = sub;
  const total = matchesIncluded(plan);
  return {
    ...fields,
    plan: { id: plan.id, code: plan.code, name: plan.name, type: plan.type, organizer_id: plan.organizer_id, organization_id: plan.organization_id },
    rights_count: rightsCount,
    matches: plan.type === "FLEX" ? { total: total ?? 0, booked } : null,
  };
}

export const bookingView = (b: BookingRow) => ({
  id: b.id,
  subscription_id: b.subscription_id,
  event_id: b.event_id,
  status: b.status,
  access_right_id: b.access_right_id,
  booked_at: b.booked_at,
  cancelled_at: b.cancelled_at,
});

export async function detailOf(db: Db, sub: SubscriptionRow, plan: PlanRow) {
  const [[rights], bookings, instalments, [card]] = await db.batch([
    db.select({ n: sql<number>`count(*)` }).from(access_rights).where(and(rightsOfPass(sub.id), ne(access_rights.status, "CANCELLED"))),
    db.select().from(subscription_bookings).where(eq(subscription_bookings.subscription_id, sub.id)).orderBy(desc(subscription_bookings.booked_at), desc(subscription_bookings.id)),
    db.select().from(subscription_instalments).where(eq(subscription_instalments.subscription_id, sub.id)).orderBy(asc(subscription_instalments.number)),
    db.select().from(season_card_requests).where(eq(season_card_requests.subscription_id, sub.id)).limit(1),
  ]);
  const booked = bookings.filter((b) => b.status !== "CANCELLED").length;
  return {
    ...viewOf(sub, plan, rights?.n ?? 0, booked),
    bookings: bookings.map(bookingView),
    instalments: instalments.map(({ subscription_id: _s, created_at: _c, updated_at: _u, ...i }) => i),
    card_request: card ? { status: card.status, requested_at: card.requested_at, card_id: card.card_id, printed_at: card.printed_at } : null,
    package: {
      of: typeof sub.metadata?.package_of === "string" ? sub.metadata.package_of : null,
      companions: Array.isArray(sub.metadata?.companion_subscriptions) ? (sub.metadata.companion_subscriptions as string[]) : [],
    },
  };
}

export async function readSubscription(env: Env, auth: AuthContext, id: string) {
  const db = getDb(env.DB);
  const { sub, plan } = await readablePass(db, auth, id);
  return detailOf(db, sub, plan);
}

/** The caller's passes, newest first, each with its plan and counts. */
export async function listMySubscriptions(env: Env, auth: AuthContext, query: z.infer<typeof MySubscriptionsQuery>) {
  const db = getDb(env.DB);
  const after = decodeCursor(query.cursor);
  const s = subscriptions;
  const rows = await db
    .select({
      sub: s,
      plan: subscription_plans,
      rights: sql<number>`(SELECT count(*) FROM access_rights r WHERE r.source_type = 'SUBSCRIPTION' AND (r.source_id = ${s.id} OR (r.source_id > ${s.id} || ':' AND r.source_id < ${s.id} || ';')) AND r.status <> 'CANCELLED')`.as("rights_count"),
      booked: sql<number>`(SELECT count(*) FROM subscription_bookings b WHERE b.subscription_id = ${s.id} AND b.status <> 'CANCELLED')`.as("booked_count"),
    })
    .from(s)
    .innerJoin(subscription_plans, eq(subscription_plans.id, s.subscription_plan_id))
    .where(
      and(
        eq(s.user_id, auth.userId),
        query.status ? eq(s.status, query.status) : undefined,
        after ? or(lt(s.created_at, String(after.k)), and(eq(s.created_at, String(after.k)), lt(s.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(s.created_at), desc(s.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.sub.created_at, id: row.sub.id }));
  return { data: page.data.map((row) => viewOf(row.sub, row.plan, row.rights, row.booked)), next_cursor: page.next_cursor };
}
