import { and, asc, eq } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { getDb } from "../db/client.ts";
import { season_card_requests } from "../documents/schema.ts";
import { problems } from "../lib/errors.ts";
import { memberRole, roleGrants } from "../organizations/permissions.ts";
import { users } from "../users/schema.ts";
import { subscriptions } from "./schema.ts";

/**
 * The printed cards asked for with a plan's passes, oldest first, for the box
 * office that prints them (`tickets.resend` in the plan's organization, or an
 * admin; its other members 403, anyone else 404). Passes cancelled or expired
 * since are left out of the REQUESTED ones: there is nothing to print for them.
 */
export async function listCardRequests(env: Env, auth: AuthContext, planId: string, status: "REQUESTED" | "PRINTED") {
  const db = getDb(env.DB);
  const [plan] = await db.select({ organization_id: subscription_plans.organization_id }).from(subscription_plans).where(eq(subscription_plans.id, planId)).limit(1);
  if (!plan) throw problems.notFound("Season-pass plan");
  if (auth.role !== "ADMIN") {
    const role = plan.organization_id ? await memberRole(db, auth.userId, plan.organization_id) : null;
    if (!role) throw problems.notFound("Season-pass plan");
    if (!roleGrants(role, "tickets.resend")) throw problems.forbidden(`This needs the \`tickets.resend\` permission, which your role (${role}) does not give.`);
  }
  const rows = await db
    .select({
      subscription_id: season_card_requests.subscription_id,
      subscription_number: subscriptions.subscription_number,
      subscription_status: subscriptions.status,
      holder: { id: users.id, first_name: users.first_name, last_name: users.last_name, email: users.email },
      status: season_card_requests.status,
      requested_at: season_card_requests.requested_at,
      card_id: season_card_requests.card_id,
      printed_at: season_card_requests.printed_at,
    })
    .from(season_card_requests)
    .innerJoin(subscriptions, eq(subscriptions.id, season_card_requests.subscription_id))
    .innerJoin(users, eq(users.id, subscriptions.user_id))
    .where(and(eq(subscriptions.subscription_plan_id, planId), eq(season_card_requests.status, status)))
    .orderBy(asc(season_card_requests.requested_at), asc(season_card_requests.subscription_id))
    .limit(500);
  return { items: status === "REQUESTED" ? rows.filter((r) => r.subscription_status === "ACTIVE" || r.subscription_status === "SUSPENDED") : rows };
}
