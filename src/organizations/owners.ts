import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { organization_members } from "./schema.ts";

/**
 * The organization's first owner: the account things done for the
 * organization by an admin are attributed to where a table needs an account
 * (an event's `organizer_id`, a commission settlement's payer).
 */
export async function firstOwner(db: Db, organizationId: string): Promise<string | undefined> {
  const [owner] = await db
    .select({ id: organization_members.user_id })
    .from(organization_members)
    .where(and(eq(organization_members.organization_id, organizationId), eq(organization_members.role, "OWNER")))
    .orderBy(asc(organization_members.created_at), asc(organization_members.id))
    .limit(1);
  return owner?.id;
}
