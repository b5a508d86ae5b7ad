import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { events } from "../../src/events/schema.ts";
import worker from "../../src/index.ts";
import { newId } from "../../src/lib/ids.ts";
import { addMonths, monthStart } from "../../src/lib/time.ts";
import { consumeEventQuota, effectiveCommissionBp, FREE_EVENTS_PER_MONTH, resetMonthlyEventCounters } from "../../src/payments/organizer-plan-limits.ts";
import { activateOrganizerSubscription, expireOrganizerSubscriptions } from "../../src/payments/organizer-subscriptions.ts";
import { organizer_plan_features, organizer_subscription_history, organizer_subscriptions } from "../../src/payments/schema.ts";
import { audit_log } from "../../src/site/schema.ts";
import { api, expectProblem, registerAdmin, registerMember, registerOrganizer, registerUser } from "../support/api.ts";

const db = () => getDb(env.DB);

const planBody = (overrides: Record<string, unknown> = {}) => ({
  name: `Plan ${crypto.randomUUID().slice(0, 6)}`,
  plan_type: "STANDARD",
  price: 5000,
  currency: "XOF",
  billing_period: "MONTHLY",
  max_events_per_month: 3,
  ...overrides,
});

async function createPlan(token: string, overrides: Record<string, unknown> = {}) {
  const res = await api("POST", "/v1/admin/organizer-plans", { token, body: planBody(overrides) });
  if (res.status !== 201) throw new Error(`plan: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function grant(token: string, organizationId: string, planId: string, extra: Record<string, unknown> = {}) {
  return api("POST", "/v1/admin/organizer-subscriptions", { token, body: { organization_id: organizationId, plan_id: planId, ...extra } });
}

async function granted(token: string, organizationId: string, planId: string, extra: Record<string, unknown> = {}) {
  const res = await grant(token, organizationId, planId, extra);
  if (res.status !== 201) throw new Error(`grant: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** An organizer on a plan allowing `limit` events a month (null: unlimited). */
async function organizerOnPlan(limit: number | null, overrides: Record<string, unknown> = {}) {
  const admin = await registerAdmin();
  const organizer = await registerOrganizer();
  const plan = await createPlan(admin.token, { max_events_per_month: limit, ...overrides });
  const subscription = await granted(admin.token, organizer.organizationId, plan.id);
  return { admin, organizer, plan, subscription };
}

const historyOf = (subscriptionId: string) =>
  db()
    .select()
    .from(organizer_subscription_history)
    .where(eq(organizer_subscription_history.organizer_subscription_id, subscriptionId))
    .orderBy(asc(organizer_subscription_history.created_at));

const auditOf = (objectId: string) => db().select().from(audit_log).where(eq(audit_log.object_id, objectId)).orderBy(asc(audit_log.created_at));

async function subscriptionRow(id: string) {
  const [row] = await db().select().from(organizer_subscriptions).where(eq(organizer_subscriptions.id, id));
  return row!;
}

async function insertEvent(organizer: { id: string; organizationId: string }, createdAt = new Date().toISOString(), createdBy = organizer.id) {
  const organizerId = organizer.id;
  await db()
    .insert(events)
    .values({
      id: newId(),
      title: "Concert",
      starts_at: "2030-01-01T20:00:00.000Z",
      ends_at: "2030-01-01T23:00:00.000Z",
      timezone: "Africa/Porto-Novo",
      venue_name: "Palais des congrès",
      organizer_id: organizerId,
      organization_id: organizer.organizationId,
      created_by: createdBy,
      currency: "XOF",
      created_at: createdAt,
    });
}

const lastMonth = () => new Date(new Date(monthStart()).getTime() - 24 * 3600 * 1000).toISOString();

async function quotaError(organizationId: string) {
  try {
    await consumeEventQuota(env, organizationId);
  } catch (error) {
    return error as { status: number; code: string; detail: string };
  }
  return null;
}

// ---------------------------------------------------------------- plans

describe("organizer plans", () => {
  it("creates a plan with its features in order, and lists active plans publicly", async () => {
    const admin = await registerAdmin();
    const plan = await createPlan(admin.token, {
      plan_type: "GOLD",
      price: 25000,
      billing_period: "QUARTERLY",
      max_events_per_month: null,
      reduced_commission_bp: 350,
      priority_support: true,
      display_order: 1,
      features: [
        { name: "Événements illimités", limit_label: "Illimité" },
        { name: "Support prioritaire", description: "Réponse en 4 h" },
        { name: "Statistiques avancées", is_included: false },
      ],
    });
    expect(plan).toMatchObject({ plan_type: "GOLD", price: 25000, currency: "XOF", billing_period: "QUARTERLY", max_events_per_month: null, reduced_commission_bp: 350, priority_support: true, advanced_analytics: false, is_active: true });
    expect(plan.features.map((f: { name: string; display_order: number }) => [f.name, f.display_order])).toEqual([
      ["Événements illimités", 0],
      ["Support prioritaire", 1],
      ["Statistiques avancées", 2],
    ]);
    const hidden = await createPlan(admin.token, { is_active: false });

    const list = await api("GET", "/v1/organizer-plans");
    expect(list.status).toBe(200);
    const ids = list.body.data.map((p: { id: string }) => p.id);
    expect(ids).toContain(plan.id);
    expect(ids).not.toContain(hidden.id);
    expect(list.body.data.find((p: { id: string }) => p.id === plan.id).features).toHaveLength(3);
    const adminList = await api("GET", "/v1/admin/organizer-plans", { token: admin.token });
    expect(adminList.body.data.map((p: { id: string }) => p.id)).toContain(hidden.id);
  });

  it("audits the plan and each feature it is created with", async () => {
    const admin = await registerAdmin();
    const plan = await createPlan(admin.token, { features: [{ name: "Badge vérifié" }] });
    expect((await auditOf(plan.id)).map((e) => [e.action, e.user_id])).toEqual([["CREATE", admin.id]]);
    expect((await auditOf(plan.features[0].id)).map((e) => [e.action, e.object_type])).toEqual([["CREATE", "organizer_plan_features"]]);
  });

  it("rejects invalid plans field by field", async () => {
    const admin = await registerAdmin();
    const bad = await api("POST", "/v1/admin/organizer-plans", {
      token: admin.token,
      body: planBody({ price: -1, currency: "FCFA", billing_period: "MENSUEL", max_events_per_month: 0, reduced_commission_bp: 10_001, display_order: 1.5 }),
    });
    const problem = expectProblem(bad, 422, "validation_failed");
    const paths = problem.errors.map((e: { path: string }) => e.path);
    for (const path of ["price", "currency", "billing_period", "max_events_per_month", "reduced_commission_bp", "display_order"]) expect(paths).toContain(path);

    expectProblem(await api("POST", "/v1/admin/organizer-plans", { token: admin.token, body: planBody({ prix: 5000 }) }), 422, "validation_failed");
    expectProblem(await api("POST", "/v1/admin/organizer-plans", { token: admin.token, body: planBody({ price: 10.5 }) }), 422, "validation_failed");
    expectProblem(await api("POST", "/v1/admin/organizer-plans", { token: admin.token, body: planBody({ name: "  " }) }), 422, "validation_failed");
    const tooMany = Array.from({ length: 21 }, (_, i) => ({ name: `F${i}` }));
    expectProblem(await api("POST", "/v1/admin/organizer-plans", { token: admin.token, body: planBody({ features: tooMany }) }), 422, "validation_failed");
    expectProblem(
      await api("POST", "/v1/admin/organizer-plans", { token: admin.token, body: planBody({ features: [{ name: "x", secret: 1 }] }) }),
      422,
      "validation_failed",
    );
  });

  it("changes only the fields sent, replaces the feature list when sent, and audits both", async () => {
    const admin = await registerAdmin();
    const plan = await createPlan(admin.token, { features: [{ name: "Ancienne" }] });
    const res = await api("PATCH", `/v1/admin/organizer-plans/${plan.id}`, {
      token: admin.token,
      body: { price: 7500, max_events_per_month: null, features: [{ name: "Nouvelle A" }, { name: "Nouvelle B", display_order: 0 }] },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ price: 7500, max_events_per_month: null, name: plan.name, currency: "XOF" });
    expect(res.body.features.map((f: { name: string }) => f.name)).toEqual(["Nouvelle A", "Nouvelle B"]);
    const stored = await db().select().from(organizer_plan_features).where(eq(organizer_plan_features.plan_id, plan.id));
    expect(stored).toHaveLength(2);

    const planAudit = await auditOf(plan.id);
    expect(planAudit.map((e) => e.action)).toEqual(["CREATE", "UPDATE"]);
    expect(planAudit[1]!.data_before).toMatchObject({ price: 5000 });
    expect(planAudit[1]!.data_after).toMatchObject({ price: 7500 });
    expect((await auditOf(plan.features[0].id)).map((e) => e.action)).toEqual(["CREATE", "DELETE"]);

    const untouched = await api("PATCH", `/v1/admin/organizer-plans/${plan.id}`, { token: admin.token, body: { name: "Pro" } });
    expect(untouched.body.features).toHaveLength(2);
  });

  it("keeps one whole feature list when two edits race", async () => {
    const admin = await registerAdmin();
    const plan = await createPlan(admin.token, { features: [{ name: "Départ" }] });
    const lists = [["A1", "A2"], ["B1", "B2", "B3"]];
    const results = await Promise.all(
      lists.map((names) => api("PATCH", `/v1/admin/organizer-plans/${plan.id}`, { token: admin.token, body: { features: names.map((name) => ({ name })) } })),
    );
    for (const res of results) expect([200, 409]).toContain(res.status);
    const stored = await db().select().from(organizer_plan_features).where(eq(organizer_plan_features.plan_id, plan.id)).orderBy(asc(organizer_plan_features.display_order));
    expect(lists).toContainEqual(stored.map((f) => f.name));
  });

  it("404s unknown plans and 422s malformed ids", async () => {
    const admin = await registerAdmin();
    expectProblem(await api("PATCH", `/v1/admin/organizer-plans/${newId()}`, { token: admin.token, body: { price: 1 } }), 404, "not_found");
    expectProblem(await api("DELETE", `/v1/admin/organizer-plans/${newId()}`, { token: admin.token }), 404, "not_found");
    expectProblem(await api("PATCH", "/v1/admin/organizer-plans/not-a-uuid", { token: admin.token, body: { price: 1 } }), 422);
  });

  it("deletes an unused plan with its features, but refuses a plan someone subscribed to", async () => {
    const admin = await registerAdmin();
    const unused = await createPlan(admin.token, { features: [{ name: "F" }] });
    expect((await api("DELETE", `/v1/admin/organizer-plans/${unused.id}`, { token: admin.token })).status).toBe(204);
    expect(await db().select().from(organizer_plan_features).where(eq(organizer_plan_features.plan_id, unused.id))).toHaveLength(0);
    expect((await auditOf(unused.id)).map((e) => e.action)).toEqual(["CREATE", "DELETE"]);
    expect((await auditOf(unused.features[0].id)).map((e) => e.action)).toEqual(["CREATE", "DELETE"]);

    const { plan } = await organizerOnPlan(3);
    expectProblem(await api("DELETE", `/v1/admin/organizer-plans/${plan.id}`, { token: admin.token }), 409, "plan_in_use");
    expect((await api("GET", "/v1/admin/organizer-plans", { token: admin.token })).body.data.map((p: { id: string }) => p.id)).toContain(plan.id);
  });

  it("is for admins only: organizers and users get 403, anonymous callers 401", async () => {
    const admin = await registerAdmin();
    const plan = await createPlan(admin.token);
    const organizer = await registerOrganizer();
    const user = await registerUser();
    for (const token of [organizer.token, user.token]) {
      expectProblem(await api("POST", "/v1/admin/organizer-plans", { token, body: planBody() }), 403);
      expectProblem(await api("PATCH", `/v1/admin/organizer-plans/${plan.id}`, { token, body: { price: 0 } }), 403);
      expectProblem(await api("DELETE", `/v1/admin/organizer-plans/${plan.id}`, { token }), 403);
      expectProblem(await api("GET", "/v1/admin/organizer-plans", { token }), 403);
      expectProblem(await grant(token, organizer.organizationId, plan.id), 403);
      expectProblem(await api("GET", "/v1/admin/organizer-subscriptions", { token }), 403);
    }
    expectProblem(await api("POST", "/v1/admin/organizer-plans", { body: planBody() }), 401);
    expect((await api("GET", `/v1/organizer-plans`)).status).toBe(200);
    const [stored] = await db().select().from(audit_log).where(and(eq(audit_log.object_id, plan.id), eq(audit_log.action, "UPDATE")));
    expect(stored).toBeUndefined();
  });
});

// ---------------------------------------------------------------- subscriptions

describe("organizer subscriptions", () => {
  it("grants a plan for its billing period, with a SUBSCRIBE history row and an audit entry", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer();
    const plan = await createPlan(admin.token, { billing_period: "QUARTERLY" });
    const res = await grant(admin.token, organizer.organizationId, plan.id, { auto_renew: true, comment: "Partenaire" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ organizer_id: organizer.id, organization_id: organizer.organizationId, plan_id: plan.id, plan_name: plan.name, status: "ACTIVE", price_paid: 0, currency: "XOF", auto_renew: true, events_created_this_month: 0 });
    expect(res.body.ends_at).toBe(addMonths(res.body.starts_at, 3));

    const entries = await historyOf(res.body.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: "SUBSCRIBE", previous_status: null, new_status: "ACTIVE", comment: "Partenaire", performed_by: admin.id });
    const audit = await auditOf(res.body.id);
    expect(audit.map((e) => [e.action, e.user_id, e.object_type])).toEqual([["CREATE", admin.id, "organizer_subscriptions"]]);
  });

  it("accepts a start in the past but not in the future, nor one already over", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer();
    const plan = await createPlan(admin.token);
    const future = new Date(Date.now() + 86_400_000).toISOString();
    expectProblem(await grant(admin.token, organizer.organizationId, plan.id, { starts_at: future }), 422, "validation_failed");
    expectProblem(await grant(admin.token, organizer.organizationId, plan.id, { starts_at: "2020-01-01T00:00:00Z" }), 422, "validation_failed");
    expectProblem(await grant(admin.token, organizer.organizationId, plan.id, { starts_at: "yesterday" }), 422, "validation_failed");
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString();
    const ok = await grant(admin.token, organizer.organizationId, plan.id, { starts_at: tenDaysAgo });
    expect(ok.status).toBe(201);
    expect(ok.body.starts_at).toBe(tenDaysAgo);
  });

  it("grants only active plans, to organizations", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer();
    const user = await registerUser();
    const plan = await createPlan(admin.token);
    const inactive = await createPlan(admin.token, { is_active: false });
    const paths = async (res: Awaited<ReturnType<typeof grant>>) => expectProblem(res, 422, "validation_failed").errors.map((e: { code: string }) => e.code);
    // An account is no organization.
    expect(await paths(await grant(admin.token, user.id, plan.id))).toEqual(["unknown_organization"]);
    expect(await paths(await grant(admin.token, newId(), plan.id))).toEqual(["unknown_organization"]);
    expect(await paths(await grant(admin.token, organizer.organizationId, newId()))).toEqual(["unknown_plan"]);
    expect(await paths(await grant(admin.token, organizer.organizationId, inactive.id))).toEqual(["plan_inactive"]);
    expectProblem(await grant(admin.token, organizer.organizationId, plan.id, { price_paid: 0 }), 422, "validation_failed");
  });

  it("keeps one active subscription per organizer: another plan is a plan change, the same plan a conflict", async () => {
    const { admin, organizer, subscription } = await organizerOnPlan(5);
    await consumeEventQuota(env, organizer.organizationId);
    await consumeEventQuota(env, organizer.organizationId);
    expectProblem(await grant(admin.token, organizer.organizationId, subscription.plan_id), 409, "already_subscribed");

    const gold = await createPlan(admin.token, { plan_type: "GOLD", max_events_per_month: 10 });
    const changed = await granted(admin.token, organizer.organizationId, gold.id, { comment: "Upgrade" });
    expect(changed).toMatchObject({ status: "ACTIVE", plan_id: gold.id, events_created_this_month: 2 });

    const old = await subscriptionRow(subscription.id);
    expect(old.status).toBe("CANCELLED");
    expect(old.ends_at <= new Date().toISOString()).toBe(true);
    expect((await historyOf(subscription.id)).map((h) => [h.action, h.previous_status, h.new_status, h.comment])).toEqual([
      ["SUBSCRIBE", null, "ACTIVE", null],
      ["PLAN_CHANGE", "ACTIVE", "CANCELLED", "Upgrade"],
    ]);
    expect((await historyOf(changed.id)).map((h) => [h.action, h.new_status, h.performed_by])).toEqual([["PLAN_CHANGE", "ACTIVE", admin.id]]);
    expect((await auditOf(subscription.id)).map((e) => e.action)).toEqual(["CREATE", "UPDATE"]);
    expect((await auditOf(changed.id)).map((e) => e.action)).toEqual(["CREATE"]);

    const active = await db()
      .select()
      .from(organizer_subscriptions)
      .where(and(eq(organizer_subscriptions.user_id, organizer.id), eq(organizer_subscriptions.status, "ACTIVE")));
    expect(active.map((s) => s.id)).toEqual([changed.id]);
  });

  it("leaves exactly one active subscription when two grants race", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer();
    const [a, b] = [await createPlan(admin.token), await createPlan(admin.token)];
    const results = await Promise.all([grant(admin.token, organizer.organizationId, a.id), grant(admin.token, organizer.organizationId, b.id)]);
    for (const res of results) expect([201, 409]).toContain(res.status);
    const active = await db()
      .select()
      .from(organizer_subscriptions)
      .where(and(eq(organizer_subscriptions.user_id, organizer.id), eq(organizer_subscriptions.status, "ACTIVE")));
    expect(active).toHaveLength(1);
  });

  it("suspends, reactivates and cancels with a history row and an audit entry each", async () => {
    const { admin, subscription } = await organizerOnPlan(3);
    const base = `/v1/admin/organizer-subscriptions/${subscription.id}`;
    expectProblem(await api("POST", `${base}/suspend`, { token: admin.token, body: {} }), 422, "validation_failed");

    const suspended = await api("POST", `${base}/suspend`, { token: admin.token, body: { comment: "Impayé" } });
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe("SUSPENDED");
    expectProblem(await api("POST", `${base}/suspend`, { token: admin.token, body: { comment: "encore" } }), 409, "invalid_transition");

    const reactivated = await api("POST", `${base}/reactivate`, { token: admin.token });
    expect(reactivated.body.status).toBe("ACTIVE");
    const cancelled = await api("POST", `${base}/cancel`, { token: admin.token, body: { comment: "Fin du partenariat" } });
    expect(cancelled.body).toMatchObject({ status: "CANCELLED", auto_renew: false });
    expectProblem(await api("POST", `${base}/reactivate`, { token: admin.token, body: {} }), 409, "invalid_transition");

    expect((await historyOf(subscription.id)).map((h) => [h.action, h.previous_status, h.new_status, h.comment, h.performed_by])).toEqual([
      ["SUBSCRIBE", null, "ACTIVE", null, admin.id],
      ["SUSPEND", "ACTIVE", "SUSPENDED", "Impayé", admin.id],
      ["REACTIVATE", "SUSPENDED", "ACTIVE", null, admin.id],
      ["CANCEL", "ACTIVE", "CANCELLED", "Fin du partenariat", admin.id],
    ]);
    const audit = await auditOf(subscription.id);
    expect(audit.map((e) => e.action)).toEqual(["CREATE", "UPDATE", "UPDATE", "UPDATE"]);
    expect(audit[1]!.data_before).toMatchObject({ status: "ACTIVE" });
    expect(audit[1]!.data_after).toMatchObject({ status: "SUSPENDED" });

    const detail = await api("GET", base, { token: admin.token });
    expect(detail.body.history.map((h: { action: string }) => h.action)).toEqual(["SUBSCRIBE", "SUSPEND", "REACTIVATE", "CANCEL"]);
  });

  it("records one suspension when two admins suspend at once", async () => {
    const { admin, subscription } = await organizerOnPlan(3);
    const results = await Promise.all(
      ["Premier", "Second"].map((comment) => api("POST", `/v1/admin/organizer-subscriptions/${subscription.id}/suspend`, { token: admin.token, body: { comment } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await historyOf(subscription.id)).filter((h) => h.action === "SUSPEND")).toHaveLength(1);
    expect((await auditOf(subscription.id)).filter((e) => e.action === "UPDATE")).toHaveLength(1);
  });

  it("refuses to reactivate while the organizer has another active subscription", async () => {
    const { admin, organizer, subscription } = await organizerOnPlan(3);
    await api("POST", `/v1/admin/organizer-subscriptions/${subscription.id}/suspend`, { token: admin.token, body: { comment: "Contrôle" } });
    const other = await createPlan(admin.token);
    await granted(admin.token, organizer.organizationId, other.id);
    expectProblem(await api("POST", `/v1/admin/organizer-subscriptions/${subscription.id}/reactivate`, { token: admin.token }), 409, "active_subscription_exists");
    expect((await subscriptionRow(subscription.id)).status).toBe("SUSPENDED");
    expect((await historyOf(subscription.id)).map((h) => h.action)).toEqual(["SUBSCRIBE", "SUSPEND"]);
  });

  it("404s unknown subscriptions", async () => {
    const admin = await registerAdmin();
    expectProblem(await api("POST", `/v1/admin/organizer-subscriptions/${newId()}/cancel`, { token: admin.token, body: { comment: "x" } }), 404);
    expectProblem(await api("GET", `/v1/admin/organizer-subscriptions/${newId()}`, { token: admin.token }), 404);
  });

  it("lists subscriptions for admins, filtered by status and organizer, page by page", async () => {
    const { admin, organizer, subscription } = await organizerOnPlan(3);
    const second = await createPlan(admin.token);
    const changed = await granted(admin.token, organizer.organizationId, second.id);
    const mine = await api("GET", `/v1/admin/organizer-subscriptions?organizer_id=${organizer.id}&limit=1`, { token: admin.token });
    expect(mine.status).toBe(200);
    expect(mine.body.data.map((s: { id: string }) => s.id)).toEqual([changed.id]);
    const next = await api("GET", `/v1/admin/organizer-subscriptions?organizer_id=${organizer.id}&limit=1&cursor=${mine.body.next_cursor}`, { token: admin.token });
    expect(next.body.data.map((s: { id: string }) => s.id)).toEqual([subscription.id]);
    expect(next.body.next_cursor).toBeNull();
    const cancelled = await api("GET", `/v1/admin/organizer-subscriptions?organization_id=${organizer.organizationId}&status=CANCELLED`, { token: admin.token });
    expect(cancelled.body.data.map((s: { id: string }) => s.id)).toEqual([subscription.id]);
    expectProblem(await api("GET", "/v1/admin/organizer-subscriptions?status=ACTIF", { token: admin.token }), 422);
  });
});

// ---------------------------------------------------------------- the monthly quota

describe("event quota", () => {
  it("lets exactly the plan's limit through when creations race", async () => {
    const { organizer, subscription } = await organizerOnPlan(3);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => consumeEventQuota(env, organizer.organizationId)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(refused).toHaveLength(7);
    for (const r of refused) expect(r.reason).toMatchObject({ status: 403, code: "plan_limit_reached", detail: expect.stringContaining("3") });
    expect((await subscriptionRow(subscription.id)).events_created_this_month).toBe(3);
  });

  it("does not count against the plan's updated_at (admins' edits are not disturbed)", async () => {
    const { subscription } = await organizerOnPlan(3);
    const before = await subscriptionRow(subscription.id);
    await consumeEventQuota(env, subscription.organization_id);
    expect((await subscriptionRow(subscription.id)).updated_at).toBe(before.updated_at);
  });

  it("never limits an unlimited plan", async () => {
    const { organizer, subscription } = await organizerOnPlan(null);
    await Promise.all(Array.from({ length: 12 }, () => consumeEventQuota(env, organizer.organizationId)));
    expect((await subscriptionRow(subscription.id)).events_created_this_month).toBe(12);
  });

  it("gives organizers without a plan a free allowance counted from this month's events", async () => {
    const organizer = await registerOrganizer();
    const other = await registerOrganizer();
    await insertEvent(organizer, lastMonth());
    await insertEvent(other);
    for (let i = 0; i < FREE_EVENTS_PER_MONTH; i++) {
      expect(await quotaError(organizer.organizationId)).toBeNull();
      await insertEvent(organizer);
    }
    expect(await quotaError(organizer.organizationId)).toMatchObject({ status: 403, code: "plan_limit_reached", detail: expect.stringContaining(String(FREE_EVENTS_PER_MONTH)) });
    expect(await quotaError(other.organizationId)).toBeNull();
  });

  it("does not count the events admins created for the organization against its free allowance", async () => {
    const organizer = await registerOrganizer();
    const admin = await registerAdmin();
    for (let i = 0; i < FREE_EVENTS_PER_MONTH + 2; i++) await insertEvent(organizer, undefined, admin.id);
    expect(await quotaError(organizer.organizationId)).toBeNull();
    for (let i = 0; i < FREE_EVENTS_PER_MONTH; i++) await insertEvent(organizer);
    expect(await quotaError(organizer.organizationId)).toMatchObject({ code: "plan_limit_reached" });
  });

  it("falls back to the free allowance while the subscription is suspended", async () => {
    const { admin, organizer, subscription } = await organizerOnPlan(null);
    await api("POST", `/v1/admin/organizer-subscriptions/${subscription.id}/suspend`, { token: admin.token, body: { comment: "Contrôle" } });
    for (let i = 0; i < FREE_EVENTS_PER_MONTH; i++) await insertEvent(organizer);
    expect(await quotaError(organizer.organizationId)).toMatchObject({ code: "plan_limit_reached" });
    expect((await subscriptionRow(subscription.id)).events_created_this_month).toBe(0);
  });

  it("starts a new month at zero even before the cron has reset the counter", async () => {
    const { organizer, subscription } = await organizerOnPlan(1);
    await env.DB.prepare("UPDATE organizer_subscriptions SET events_created_this_month = 1, counter_reset_at = ? WHERE id = ?").bind(lastMonth(), subscription.id).run();
    expect(await quotaError(organizer.organizationId)).toBeNull();
    const row = await subscriptionRow(subscription.id);
    expect(row.events_created_this_month).toBe(1);
    expect(row.counter_reset_at! >= monthStart()).toBe(true);
    expect(await quotaError(organizer.organizationId)).toMatchObject({ code: "plan_limit_reached" });
  });

  it("treats a plan past its end as over, even before the cron expires it", async () => {
    const { organizer, subscription } = await organizerOnPlan(null);
    await env.DB.prepare("UPDATE organizer_subscriptions SET starts_at = ?, ends_at = ? WHERE id = ?").bind("2020-01-01T00:00:00.000Z", "2020-02-01T00:00:00.000Z", subscription.id).run();
    for (let i = 0; i < FREE_EVENTS_PER_MONTH; i++) await insertEvent(organizer);
    expect(await quotaError(organizer.organizationId)).toMatchObject({ code: "plan_limit_reached" });
  });
});

// ---------------------------------------------------------------- commission

describe("effective commission", () => {
  it("applies the plan's reduced commission when it is lower than the event's", async () => {
    const { admin, organizer, subscription } = await organizerOnPlan(null, { reduced_commission_bp: 500 });
    expect(await effectiveCommissionBp(env, organizer.organizationId, 1000)).toBe(500);
    expect(await effectiveCommissionBp(env, organizer.organizationId, 300)).toBe(300);
    await api("POST", `/v1/admin/organizer-subscriptions/${subscription.id}/suspend`, { token: admin.token, body: { comment: "Contrôle" } });
    expect(await effectiveCommissionBp(env, organizer.organizationId, 1000)).toBe(1000);
  });

  it("keeps the event's commission without a plan or without a reduced rate", async () => {
    const organizer = await registerOrganizer();
    expect(await effectiveCommissionBp(env, organizer.organizationId, 1000)).toBe(1000);
    const onPlan = await organizerOnPlan(3);
    expect(await effectiveCommissionBp(env, onPlan.organizer.organizationId, 1000)).toBe(1000);
  });
});

// ---------------------------------------------------------------- cron

describe("organizer plan cron", () => {
  it("resets counters once per month: a second run in the same month changes nothing", async () => {
    const { organizer, subscription } = await organizerOnPlan(5);
    await env.DB.prepare("UPDATE organizer_subscriptions SET events_created_this_month = 4, counter_reset_at = ? WHERE id = ?").bind(lastMonth(), subscription.id).run();
    const before = await subscriptionRow(subscription.id);

    await resetMonthlyEventCounters(env);
    const reset = await subscriptionRow(subscription.id);
    expect(reset.events_created_this_month).toBe(0);
    expect(reset.counter_reset_at! >= monthStart()).toBe(true);
    expect(reset.updated_at).toBe(before.updated_at);

    await consumeEventQuota(env, organizer.organizationId);
    await resetMonthlyEventCounters(env);
    const again = await subscriptionRow(subscription.id);
    expect(again.events_created_this_month).toBe(1);
    expect(again.counter_reset_at).toBe(reset.counter_reset_at);
  });

  it("expires subscriptions past their end once, with a history row", async () => {
    const { admin, organizer, subscription } = await organizerOnPlan(null);
    const suspended = await organizerOnPlan(null);
    await api("POST", `/v1/admin/organizer-subscriptions/${suspended.subscription.id}/suspend`, { token: suspended.admin.token, body: { comment: "Contrôle" } });
    for (const id of [subscription.id, suspended.subscription.id]) {
      await env.DB.prepare("UPDATE organizer_subscriptions SET starts_at = ?, ends_at = ? WHERE id = ?").bind("2020-01-01T00:00:00.000Z", "2020-02-01T00:00:00.000Z", id).run();
    }
    const current = await organizerOnPlan(null);

    expect(await expireOrganizerSubscriptions(env)).toBeGreaterThanOrEqual(2);
    expect(await expireOrganizerSubscriptions(env)).toBe(0);

    expect((await subscriptionRow(subscription.id)).status).toBe("EXPIRED");
    expect((await subscriptionRow(suspended.subscription.id)).status).toBe("EXPIRED");
    expect((await subscriptionRow(current.subscription.id)).status).toBe("ACTIVE");
    const entries = await historyOf(subscription.id);
    expect(entries.map((h) => [h.action, h.previous_status, h.new_status, h.performed_by])).toEqual([
      ["SUBSCRIBE", null, "ACTIVE", admin.id],
      ["CANCEL", "ACTIVE", "EXPIRED", null],
    ]);
    expect((await historyOf(suspended.subscription.id)).map((h) => h.new_status)).toEqual(["ACTIVE", "SUSPENDED", "EXPIRED"]);

    // Expired: the organizer may be given a plan again.
    expect((await grant(admin.token, organizer.organizationId, subscription.plan_id)).status).toBe(201);
  });

  it("runs from the Worker's scheduled handler", async () => {
    const { subscription } = await organizerOnPlan(5);
    await env.DB.prepare("UPDATE organizer_subscriptions SET events_created_this_month = 2, counter_reset_at = ? WHERE id = ?").bind(lastMonth(), subscription.id).run();
    const expiring = await organizerOnPlan(5);
    await env.DB.prepare("UPDATE organizer_subscriptions SET starts_at = ?, ends_at = ? WHERE id = ?").bind("2020-01-01T00:00:00.000Z", "2020-02-01T00:00:00.000Z", expiring.subscription.id).run();

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    expect((await subscriptionRow(subscription.id)).events_created_this_month).toBe(0);
    expect((await subscriptionRow(expiring.subscription.id)).status).toBe("EXPIRED");
  });
});

// ---------------------------------------------------------------- payment activation

describe("activation by payment", () => {
  async function pending(organizer: { id: string; organizationId: string }, planId: string) {
    const id = newId();
    const at = new Date().toISOString();
    await db().insert(organizer_subscriptions).values({
      id,
      user_id: organizer.id,
      organization_id: organizer.organizationId,
      plan_id: planId,
      starts_at: at,
      ends_at: addMonths(at, 1),
      status: "PENDING",
      price_paid: 5000,
      currency: "XOF",
    });
    return id;
  }

  it("activates a pending subscription once, whatever the repeats", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer();
    const plan = await createPlan(admin.token, { billing_period: "YEARLY" });
    const id = await pending(organizer, plan.id);
    const [a, b] = await Promise.all([activateOrganizerSubscription(env, id, "MTN-123"), activateOrganizerSubscription(env, id, "MTN-123")]);
    expect(a.status).toBe("ACTIVE");
    expect(b.id).toBe(id);
    expect(a.payment_reference).toBe("MTN-123");
    expect(a.ends_at).toBe(addMonths(a.starts_at, 12));
    expect((await historyOf(id)).map((h) => [h.action, h.previous_status, h.new_status, h.performed_by])).toEqual([["SUBSCRIBE", "PENDING", "ACTIVE", null]]);
    await expect(activateOrganizerSubscription(env, id, "MTN-999")).rejects.toMatchObject({ status: 409, code: "invalid_transition" });
  });

  it("replaces an active subscription on another plan in the same step", async () => {
    const { admin, organizer, subscription } = await organizerOnPlan(5);
    await consumeEventQuota(env, organizer.organizationId);
    const gold = await createPlan(admin.token, { plan_type: "GOLD" });
    const id = await pending(organizer, gold.id);
    const activated = await activateOrganizerSubscription(env, id, "MOOV-1");
    expect(activated).toMatchObject({ status: "ACTIVE", events_created_this_month: 1 });
    expect((await subscriptionRow(subscription.id)).status).toBe("CANCELLED");
    expect((await historyOf(subscription.id)).map((h) => h.action)).toEqual(["SUBSCRIBE", "PLAN_CHANGE"]);
    expect((await historyOf(id)).map((h) => h.action)).toEqual(["PLAN_CHANGE"]);
  });
});

// ---------------------------------------------------------------- the organizer's own view

describe("my organizer subscription", () => {
  it("shows my plan, its features, this month's usage and my history", async () => {
    const { organizer, plan, subscription } = await organizerOnPlan(3, { features: [{ name: "Mise en avant" }] });
    await consumeEventQuota(env, organizer.organizationId);
    const res = await api("GET", "/v1/me/organizer-subscription", { token: organizer.token });
    expect(res.status).toBe(200);
    expect(res.body.subscription).toMatchObject({ id: subscription.id, status: "ACTIVE", events_created_this_month: 1 });
    expect(res.body.plan).toMatchObject({ id: plan.id, features: [{ name: "Mise en avant" }] });
    expect(res.body.usage).toMatchObject({ month: monthStart().slice(0, 7), events_created: 1, limit: 3, remaining: 2, source: "PLAN" });
    expect(res.body.history.map((h: { action: string; subscription_id: string }) => [h.action, h.subscription_id])).toEqual([["SUBSCRIBE", subscription.id]]);
  });

  it("shows the free allowance without a plan", async () => {
    const organizer = await registerOrganizer();
    await insertEvent(organizer);
    const res = await api("GET", "/v1/me/organizer-subscription", { token: organizer.token });
    expect(res.body).toMatchObject({
      subscription: null,
      plan: null,
      history: [],
      usage: { events_created: 1, limit: FREE_EVENTS_PER_MONTH, remaining: FREE_EVENTS_PER_MONTH - 1, source: "FREE_ALLOWANCE" },
    });
  });

  it("never shows another organizer's subscription", async () => {
    const mine = await organizerOnPlan(3);
    const other = await registerOrganizer();
    const res = await api("GET", "/v1/me/organizer-subscription", { token: other.token });
    expect(res.body.subscription).toBeNull();
    expect(res.body.history).toEqual([]);
    expectProblem(await api("GET", `/v1/admin/organizer-subscriptions/${mine.subscription.id}`, { token: other.token }), 403);
    expectProblem(await api("GET", `/v1/admin/organizer-subscriptions?organizer_id=${mine.organizer.id}`, { token: other.token }), 403);
    expectProblem(await api("POST", `/v1/admin/organizer-subscriptions/${mine.subscription.id}/cancel`, { token: other.token, body: { comment: "x" } }), 403);
    expect((await subscriptionRow(mine.subscription.id)).status).toBe("ACTIVE");
  });

  it("is for members with plan.manage (OWNER, FINANCE): other members and users get 403, anonymous callers 401", async () => {
    const { organizer, subscription } = await organizerOnPlan(3);
    const finance = await registerMember(organizer.organizationId, "FINANCE");
    expect((await api("GET", "/v1/me/organizer-subscription", { token: finance.token })).body.subscription).toMatchObject({ id: subscription.id });
    const manager = await registerMember(organizer.organizationId, "MANAGER");
    expect(expectProblem(await api("GET", "/v1/me/organizer-subscription", { token: manager.token }), 403).detail).toContain("plan.manage");
    const user = await registerUser();
    expectProblem(await api("GET", "/v1/me/organizer-subscription", { token: user.token }), 403, "no_organization");
    expectProblem(await api("GET", "/v1/me/organizer-subscription"), 401);
  });
});
