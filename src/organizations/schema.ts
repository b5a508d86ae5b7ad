import { sql } from "drizzle-orm";
import { index, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { bool, checkThat, createdAt, enumCheck, id, json, timestamp, updatedAt } from "../db/columns.ts";
import { users } from "../users/schema.ts";

/**
 * What a member does in an organization. What each role may do is the matrix
 * of src/organizations/permissions.ts (docs/organizations.md).
 */
export const ORGANIZATION_ROLES = ["OWNER", "MANAGER", "BOX_OFFICE", "FINANCE", "SUPERVISOR", "CONTROLLER"] as const;
export type OrganizationRole = (typeof ORGANIZATION_ROLES)[number];
/** EXPIRED is written when a newer invitation replaces a lapsed one; a PENDING one past `expires_at` reads as EXPIRED too. */
export const INVITATION_STATUSES = ["PENDING", "ACCEPTED", "REVOKED", "EXPIRED"] as const;

/** An organizer's team (a club, a promoter): it owns events, venues, the catalog and user groups; members act in it by role. */
export const organizations = sqliteTable(
  "organizations",
  {
    id: id(),
    name: text("name").notNull(),
    description: text("description"),
    contact_email: text("contact_email"),
    created_by: text("created_by").references(() => users.id, { onDelete: "set null" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("organizations_created_by_idx").on(t.created_by)],
);

/** One person's role in one organization. */
export const organization_members = sqliteTable(
  "organization_members",
  {
    id: id(),
    organization_id: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ORGANIZATION_ROLES }).notNull(),
    added_by: text("added_by").references(() => users.id, { onDelete: "set null" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("organization_members_org_user_unique").on(t.organization_id, t.user_id),
    index("organization_members_user_idx").on(t.user_id, t.role),
    index("organization_members_org_role_idx").on(t.organization_id, t.role),
    enumCheck("organization_members", t.role, ORGANIZATION_ROLES),
  ],
);

/** An invitation by email to join an organization in a role; its single-use token is stored as a SHA-256 digest. */
export const organization_invitations = sqliteTable(
  "organization_invitations",
  {
    id: id(),
    organization_id: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    email: text("email").notNull(), // lower-cased
    role: text("role", { enum: ORGANIZATION_ROLES }).notNull(),
    token_hash: text("token_hash").notNull(),
    status: text("status", { enum: INVITATION_STATUSES }).notNull().default("PENDING"),
    invited_by: text("invited_by").references(() => users.id, { onDelete: "set null" }),
    expires_at: timestamp("expires_at").notNull(),
    accepted_by: text("accepted_by").references(() => users.id, { onDelete: "set null" }),
    accepted_at: timestamp("accepted_at"),
    revoked_by: text("revoked_by").references(() => users.id, { onDelete: "set null" }),
    revoked_at: timestamp("revoked_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("organization_invitations_token_unique").on(t.token_hash),
    uniqueIndex("organization_invitations_one_pending").on(t.organization_id, t.email).where(sql`${t.status} = 'PENDING'`),
    index("organization_invitations_org_idx").on(t.organization_id, t.created_at),
    enumCheck("organization_invitations", t.role, ORGANIZATION_ROLES),
    enumCheck("organization_invitations", t.status, INVITATION_STATUSES),
    checkThat("organization_invitations", "email_lowercase", sql`${t.email} = lower(${t.email})`),
  ],
);

export const userGroupMetadata = z.record(z.string(), z.unknown());

/** Groups of users (members, students, away supporters), used by pricing rules, members-only configurations and zone overrides. */
export const user_groups = sqliteTable(
  "user_groups",
  {
    id: id(),
    code: text("code").notNull(), // unique platform-wide: pricing rules name groups by code
    name: text("name").notNull(),
    description: text("description"),
    owner_id: text("owner_id").references(() => users.id), // the account that created it (before organizations: its owner)
    organization_id: text("organization_id").references(() => organizations.id), // null: the platform's (admins')
    is_active: bool("is_active").notNull().default(true),
    metadata: json("metadata", userGroupMetadata),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("user_groups_code_unique").on(t.code),
    index("user_groups_owner_idx").on(t.owner_id),
    index("user_groups_organization_idx").on(t.organization_id),
  ],
);

export const user_group_members = sqliteTable(
  "user_group_members",
  {
    group_id: text("group_id")
      .notNull()
      .references(() => user_groups.id, { onDelete: "cascade" }),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    member_since: createdAt("member_since"),
    valid_until: timestamp("valid_until"),
    added_by: text("added_by").references(() => users.id),
  },
  (t) => [primaryKey({ columns: [t.group_id, t.user_id] }), index("user_group_members_user_idx").on(t.user_id)],
);
