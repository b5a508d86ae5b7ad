import { and, eq, inArray, type Column, type SQL } from "drizzle-orm";
import type { AuthContext } from "../env.ts";
import { requireAuth, requireRole } from "../auth/middleware.ts";
import type { Db } from "../db/client.ts";
import { organizationsWhere } from "../organizations/permissions.ts";

// What venues and event groups share: which ones a list shows, and two SQL helpers.

export type Caller = Pick<AuthContext, "userId" | "role">;

/** `LIKE` pattern matching `text` anywhere, with its wildcards escaped (use with ESCAPE '\'). */
export const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** JSON text for `json_each`: lists go to D1 as one bound parameter, whatever their length (D1 allows 100 per statement). */
export const jsonList = (values: unknown[]) => JSON.stringify(values);

/**
 * Ownership filter of a list: the objects of my organizations, inactive ones
 * included (`mine`, signed in; `organization_id` narrows to one of them),
 * everything (admins, include_inactive), or active ones only (public).
 */
export function ownedListScope(
  db: Db,
  auth: AuthContext | undefined,
  query: { mine?: boolean; include_inactive?: boolean; organization_id?: string },
  organizationColumn: Column,
  activeColumn: Column,
): SQL | undefined {
  const organization = query.organization_id ? eq(organizationColumn, query.organization_id) : undefined;
  if (query.mine) return and(inArray(organizationColumn, organizationsWhere(db, requireAuth(auth).userId, "event.read")), organization);
  if (query.include_inactive) {
    requireRole(auth, "ADMIN");
    return organization;
  }
  return and(eq(activeColumn, true), organization);
}
