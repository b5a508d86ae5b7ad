import { eq, type Column, type SQL } from "drizzle-orm";
import type { AuthContext } from "../env.ts";
import { requireAuth, requireRole } from "../auth/middleware.ts";
import type { Db } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import { isActiveOrganizer } from "../users/accounts.ts";

// What venues and event groups share: who owns a new one, which ones a list shows, and two SQL helpers.

export type Caller = Pick<AuthContext, "userId" | "role">;

/** `LIKE` pattern matching `text` anywhere, with its wildcards escaped (use with ESCAPE '\'). */
export const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** JSON text for `json_each`: lists go to D1 as one bound parameter, whatever their length (D1 allows 100 per statement). */
export const jsonList = (values: unknown[]) => JSON.stringify(values);

/**
 * Who manages a new or transferred object: the caller, or for admins any active
 * organizer (or admin) they name. Organizers cannot hand objects to someone else.
 */
export async function resolveOwner(db: Db, caller: Caller, requested: string | undefined, field: string): Promise<string> {
  if (requested === undefined || requested === caller.userId) return caller.userId;
  if (caller.role !== "ADMIN") throw problems.forbidden(`Only admins choose \`${field}\`.`);
  if (!(await isActiveOrganizer(db, requested))) throw problems.validation([{ path: field, message: "Expected an active organizer account.", code: "invalid_owner" }]);
  return requested;
}

/** Ownership filter of a list: mine (signed in), everything (admins, include_inactive), or active only (public). */
export function ownedListScope(auth: AuthContext | undefined, query: { mine?: boolean; include_inactive?: boolean }, ownerColumn: Column, activeColumn: Column): SQL | undefined {
  if (query.mine) return eq(ownerColumn, requireAuth(auth).userId);
  if (query.include_inactive) {
    requireRole(auth, "ADMIN");
    return undefined;
  }
  return eq(activeColumn, true);
}
