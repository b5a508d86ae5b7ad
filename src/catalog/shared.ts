import type { AuthContext } from "../env.ts";
import type { Db } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { problems, type FieldError } from "../lib/errors.ts";
import { memberRole, organizationForMove, chooseOrganization, requireManaged } from "../organizations/permissions.ts";
import { ticket_types } from "./schema.ts";

// What the catalog's services share: who is calling, field errors, owners, and what undoes a change.

export type Caller = Pick<AuthContext, "userId" | "role">;
export type EventRow = typeof events.$inferSelect;
export type TicketTypeRow = typeof ticket_types.$inferSelect;

export const fieldErrors = (errors: FieldError[]) => {
  if (errors.length > 0) throw problems.validation(errors);
};

export const invalid = (path: string, message: string, code = "invalid") => problems.invalidField(path, message, code);

/**
 * The organization of a new catalog object: one where the caller has
 * `catalog.manage` (see `chooseOrganization`); admins leave it platform-wide
 * (null, their default) or name an organization.
 */
export const organizationOfNew = (db: Db, caller: Caller, requested: string | null | undefined) =>
  chooseOrganization(db, caller, requested, "catalog.manage", { platformWide: true });

/** A change of a catalog object's organization: admins only (undefined: no change). */
export const organizationOfMoved = (db: Db, caller: Caller, current: string | null, requested: string | null | undefined) =>
  organizationForMove(db, caller, current, requested, { platformWide: true });

/** A catalog object the caller may read: the platform's (every organizer uses them), its organization's members', admins'; anyone else 404. */
export async function requireReadable(db: Db, caller: Caller, organizationId: string | null, what: string): Promise<void> {
  if (organizationId === null || caller.role === "ADMIN") return;
  if ((await memberRole(db, caller.userId, organizationId)) === null) throw problems.notFound(what);
}

/** A catalog object the caller may change: `catalog.manage` in its organization (other members 403; platform objects are admins', 403). */
export const requireCatalogManager = (db: Db, caller: Caller, organizationId: string | null, what: string) =>
  requireManaged(db, caller, organizationId, "catalog.manage", what, "forbidden");

/** The values `row` had for the keys of `changes`: what undoes them. */
export const previousValues = <T extends Record<string, unknown>>(row: T, changes: Partial<T>): Partial<T> =>
  Object.fromEntries(Object.keys(changes).map((key) => [key, row[key]])) as Partial<T>;

/** `before ≤ after` for optional instants, reported on `path`. */
export function ordered(errors: FieldError[], before: string | null | undefined, after: string | null | undefined, path: string, message: string, strict = false) {
  if (before && after && (strict ? after <= before : after < before)) errors.push({ path, message, code: "inconsistent" });
}

export const codeTaken = (what: string) => problems.conflict("code_taken", `Another ${what} already uses this code.`);
