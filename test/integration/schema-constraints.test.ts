import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ticket_types } from "../../src/catalog/schema.ts";
import { getDb } from "../../src/db/client.ts";
import { newId } from "../../src/lib/ids.ts";

/** The database refuses what the API would never write: a second line of defence. */
describe("D1 schema constraints", () => {
  const insertUser = (values: Partial<Record<string, unknown>>) => {
    const row = { id: newId(), email: `${newId()}@example.com`, role: "USER", ...values };
    return env.DB.prepare("INSERT INTO users (id, email, role) VALUES (?, ?, ?)").bind(row.id, row.email, row.role).run();
  };
  const ticketType = (overrides: Partial<typeof ticket_types.$inferInsert> = {}) => ({
    id: newId(),
    code: `T-${newId().slice(0, 8)}`,
    name: "Tribune",
    base_price: 15_000,
    currency: "TND" as const,
    default_zone_category: "STANDARD" as const,
    ...overrides,
  });

  it("refuses an enum value outside the list", async () => {
    await expect(insertUser({ role: "SUPERUSER" })).rejects.toThrow(/CHECK constraint failed/);
  });

  it("stores emails lower-cased only", async () => {
    await expect(insertUser({ email: "Mixed@Example.com" })).rejects.toThrow(/CHECK constraint failed/);
  });

  it("refuses an unknown currency and an inverted price range", async () => {
    const db = getDb(env.DB);
    await expect(db.insert(ticket_types).values(ticketType({ currency: "FCFA" as "XOF" }))).rejects.toThrow();
    await expect(db.insert(ticket_types).values(ticketType({ min_price: 20_000 }))).rejects.toThrow();
    await db.insert(ticket_types).values(ticketType());
  });

  it("validates JSON columns with their zod schema on write", async () => {
    const db = getDb(env.DB);
    expect(() => db.insert(ticket_types).values(ticketType({ restrictions: { min_age: "sixteen" } as never })).toSQL()).toThrow();
    await db.insert(ticket_types).values(ticketType({ restrictions: { min_age: 16, requires_id: true } }));
  });

  it("enforces foreign keys", async () => {
    await expect(
      env.DB.prepare("INSERT INTO follows (follower_id, following_id) VALUES (?, ?)").bind(newId(), newId()).run(),
    ).rejects.toThrow(/FOREIGN KEY constraint failed/);
  });
});
