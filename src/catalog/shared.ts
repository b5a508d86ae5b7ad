import type { AuthContext } from "../env.ts";
import { isAdmin } from "../auth/middleware.ts";
import type { Db } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { problems, type FieldError } from "../lib/errors.ts";
import { isActiveOrganizer } from "../users/accounts.ts";
import { ticket_types } from "./schema.ts";

// What the catalog's services share: who is calling, field errors, owners, and what undoes a change.

export type Caller = Pick<AuthContext, "userId" | "role">;
export type EventRow = typeof events.$inferSelect;
export type TicketTypeRow = typeof ticket_types.$inferSelect;

export const fieldErrors = (errors: FieldError[]) => {
  if (errors.length > 0) throw problems.validation(errors);
};

export const invalid = (path: string, message: string, code = "invalid") => problems.validation([{ path, message, code }]);

/**
 * The owner of a new or reassigned catalog object. Organizers own what they
 * create and cannot hand it to anyone; admins leave it platform-wide (null) or
 * name an active organizer.
 */
export async function ownerFor(db: Db, caller: Caller, requested: string | null | undefined): Promise<string | null> {
  if (!isAdmin(caller)) {
    if (requested === undefined || requested === caller.userId) return caller.userId;
    throw problems.forbidden("Only admins choose `organizer_id`.");
  }
  if (requested === undefined || requested === null) return null;
  if (!(await isActiveOrganizer(db, requested))) throw invalid("organizer_id", "Expected an active organizer account.", "invalid_owner");
  return requested;
}

/** The values `row` had for the keys of `changes`: what undoes them. */
export const previousValues = <T extends Record<string, unknown>>(row: T, changes: Partial<T>): Partial<T> =>
  Object.fromEntries(Object.keys(changes).map((key) => [key, row[key]])) as Partial<T>;

/** `before ≤ after` for optional instants, reported on `path`. */
export function ordered(errors: FieldError[], before: string | null | undefined, after: string | null | undefined, path: string, message: string, strict = false) {
  if (before && after && (strict ? after <= before : after < before)) errors.push({ path, message, code: "inconsistent" });
}

export const codeTaken = (what: string) => problems.conflict("code_taken", `Another ${what} already uses this code.`);
