import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { event_categories } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../../src/site/audit.ts";
import { audit_log } from "../../src/site/schema.ts";
import { users } from "../../src/users/schema.ts";
import { registerUser } from "../support/api.ts";

const db = () => getDb(env.DB);

async function adminActor(): Promise<Actor> {
  const admin = await registerUser();
  return { userId: admin.id, role: "ADMIN", ip: "41.226.11.226", userAgent: "dashboard" };
}

const trail = (objectId: string) => db().select().from(audit_log).where(eq(audit_log.object_id, objectId)).orderBy(audit_log.created_at);

describe("audit trail", () => {
  it("records a create with the object's state, the actor, IP and user agent", async () => {
    const actor = await adminActor();
    const id = newId();
    await auditedInsert(db(), actor, event_categories, { id, name: "Football", color: "#00aa00" });
    const [entry] = await trail(id);
    expect(entry).toMatchObject({ action: "CREATE", object_type: "event_categories", user_id: actor.userId, ip_address: "41.226.11.226", user_agent: "dashboard", data_before: null });
    expect(entry!.data_after).toMatchObject({ id, name: "Football" });
  });

  it("records before and after of an update", async () => {
    const actor = await adminActor();
    const id = newId();
    await auditedInsert(db(), actor, event_categories, { id, name: "Concerts" });
    const { after } = await auditedUpdate(db(), actor, event_categories, id, { name: "Concerts & shows" });
    expect(after.name).toBe("Concerts & shows");
    const entries = await trail(id);
    expect(entries[1]).toMatchObject({ action: "UPDATE" });
    expect(entries[1]!.data_before).toMatchObject({ name: "Concerts" });
    expect(entries[1]!.data_after).toMatchObject({ name: "Concerts & shows" });
  });

  it("lets one of two concurrent updates from the same state win, and audits only that one", async () => {
    const actor = await adminActor();
    const id = newId();
    await auditedInsert(db(), actor, event_categories, { id, name: "Festivals" });
    const results = await Promise.allSettled([
      auditedUpdate(db(), actor, event_categories, id, { name: "A" }),
      auditedUpdate(db(), actor, event_categories, id, { name: "B" }),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    // Both may win only if they ran one after the other (each reads the state the other left).
    const entries = (await trail(id)).filter((e) => e.action === "UPDATE");
    expect(entries).toHaveLength(won.length);
    for (const r of results) if (r.status === "rejected") expect((r.reason as { code: string }).code).toBe("concurrent_change");
  });

  it("writes nothing when the guard refuses the change", async () => {
    const actor = await adminActor();
    const id = newId();
    await auditedInsert(db(), actor, event_categories, { id, name: "Galas", is_active: false });
    await expect(auditedUpdate(db(), actor, event_categories, id, { name: "X" }, { guard: eq(event_categories.is_active, true) })).rejects.toMatchObject({ status: 409 });
    expect((await trail(id)).map((e) => e.action)).toEqual(["CREATE"]);
    const [row] = await db().select().from(event_categories).where(eq(event_categories.id, id));
    expect(row!.name).toBe("Galas");
  });

  it("keeps secrets out of the trail", async () => {
    const actor = await adminActor();
    const target = await registerUser();
    await auditedUpdate(db(), actor, users, target.id, { role: "ORGANIZER" }, { description: "promote" });
    const [entry] = await trail(target.id);
    expect(entry!.data_before).toMatchObject({ role: "USER" });
    expect(entry!.data_after).toMatchObject({ role: "ORGANIZER" });
    expect(entry!.data_before).not.toHaveProperty("password_hash");
    expect(entry!.data_after).not.toHaveProperty("password_hash");
  });

  it("records deletes with the last state, and 404s unknown objects", async () => {
    const actor = await adminActor();
    const id = newId();
    await auditedInsert(db(), actor, event_categories, { id, name: "Mariages" });
    await auditedDelete(db(), actor, event_categories, id);
    const entries = await trail(id);
    expect(entries[1]).toMatchObject({ action: "DELETE", data_after: null });
    expect(entries[1]!.data_before).toMatchObject({ name: "Mariages" });
    await expect(auditedDelete(db(), actor, event_categories, newId())).rejects.toMatchObject({ status: 404 });
  });
});
