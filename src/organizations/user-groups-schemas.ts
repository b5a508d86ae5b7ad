import { z } from "@hono/zod-openapi";
import { emailSchema } from "../auth/schemas.ts";
import { pageQuery } from "../lib/pagination.ts";
import { phoneSchema } from "../lib/phone.ts";
import { booleanQuery, text } from "../lib/schemas.ts";
import { userGroupMetadata, type user_groups } from "./schema.ts";
import { creatorOut, organizationField, organizationFilter, organizationOut } from "./schemas.ts";

type GroupRow = typeof user_groups.$inferSelect;

export const groupIdParam = z.object({ group_id: z.uuid().openapi({ param: { name: "group_id", in: "path" } }) });
export const groupMemberParams = groupIdParam.extend({ user_id: z.uuid().openapi({ param: { name: "user_id", in: "path" } }) });

/** A future instant: a membership that ends. */
const validUntil = z.iso
  .datetime({ offset: true })
  .nullable()
  .openapi({ description: "When the membership ends (ISO 8601 with an offset); null or absent: it does not." });

const groupFields = {
  name: text(150),
  description: z.string().trim().max(2000).nullable().optional(),
  is_active: z.boolean().optional().openapi({ description: "An inactive group grants nothing: its members are not members for pricing, sales or overrides." }),
  metadata: userGroupMetadata.nullable().optional(),
};

export const GroupCreateBody = z
  .strictObject({
    code: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$/, { message: "Letters, digits, _ and - (e.g. ETUDIANTS, away-2026)." })
      .openapi({ description: "Unique on the platform; pricing rules name groups by it (`conditions.required_groups`), so it never changes." }),
    ...groupFields,
    organization_id: organizationField.optional(),
  })
  .openapi("UserGroupCreateRequest");

export const GroupUpdateBody = z
  .strictObject({ ...groupFields, name: groupFields.name.optional(), organization_id: organizationField.optional() })
  .openapi("UserGroupUpdateRequest", { description: "Only the fields sent change; the code never does." });

export const GroupListQuery = z.object({
  organization_id: organizationFilter,
  is_active: booleanQuery.optional(),
  ...pageQuery,
});

export const GroupSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    organization_id: organizationOut,
    owner_id: creatorOut,
    is_active: z.boolean(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    members_count: z.number().int().openapi({ description: "Current members (memberships not ended)." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("UserGroup");

export const toGroup = (row: GroupRow, membersCount: number): z.infer<typeof GroupSchema> => ({
  id: row.id,
  code: row.code,
  name: row.name,
  description: row.description,
  organization_id: row.organization_id,
  owner_id: row.owner_id,
  is_active: row.is_active,
  metadata: row.metadata ?? null,
  members_count: membersCount,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

export const MemberAddBody = z
  .strictObject({
    user_id: z.uuid().optional(),
    email: emailSchema.optional().openapi({ description: "An address without an account gets a passwordless one, claimed by signing up (or resetting the password) with it." }),
    phone: phoneSchema.optional().openapi({ description: "The phone number of exactly one active account." }),
    valid_until: validUntil.optional(),
  })
  .superRefine((body, ctx) => {
    const named = [body.user_id, body.email, body.phone].filter((v) => v !== undefined).length;
    if (named !== 1) ctx.addIssue({ code: "custom", path: [], message: "Name the person by exactly one of `user_id`, `email` and `phone`." });
  })
  .openapi("UserGroupMemberRequest");

export const GroupMemberSchema = z
  .object({
    group_id: z.string(),
    user: z.object({ id: z.string(), email: z.string(), first_name: z.string(), last_name: z.string(), phone: z.string().nullable() }),
    member_since: z.string(),
    valid_until: z.string().nullable(),
    added_by: z.string().nullable(),
  })
  .openapi("UserGroupMember");

export const ImportResultSchema = z
  .object({
    rows: z.number().int().openapi({ description: "Data rows read (the header excluded)." }),
    added: z.number().int().openapi({ description: "People who were not members and now are." }),
    updated: z.number().int().openapi({ description: "Members already there, whose `valid_until` the file set again." }),
    accounts_created: z.number().int().openapi({ description: "Passwordless accounts created for addresses without one." }),
  })
  .openapi("UserGroupImportResult");
