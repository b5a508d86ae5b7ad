import { z } from "@hono/zod-openapi";
import { emailSchema, passwordSchema } from "../auth/schemas.ts";
import { pageQuery } from "../lib/pagination.ts";
import { booleanQuery, text } from "../lib/schemas.ts";
import { ORGANIZATION_ROLES } from "./schema.ts";

// The `organization_id` of organizer-owned objects (venues, event groups, the catalog, user groups), in requests and responses.

/** Which organization a new object goes to (see `chooseOrganization` in permissions.ts). */
export const organizationField = z
  .uuid()
  .nullable()
  .openapi({
    description:
      "The organization it belongs to: one where you may manage such objects (default: the only one; 422 if you could use several). Admins name any organization, or null for a platform object; only admins move an object to another organization.",
  });

export const organizationOut = z.string().nullable().openapi({ description: "The organization that owns it; null: the platform's (admins')." });
export const creatorOut = z.string().nullable().openapi({ description: "The account that created it (before organizations: its owner)." });

/** The list filter of a member's view: one of their organizations. */
export const organizationFilter = z.uuid().optional().openapi({ description: "Only this organization's." });

// ---------------------------------------------------------------- organizations, members, invitations

export const organizationIdParam = z.object({ organization_id: z.uuid().openapi({ param: { name: "organization_id", in: "path" } }) });
export const memberParams = organizationIdParam.extend({ user_id: z.uuid().openapi({ param: { name: "user_id", in: "path" } }) });
export const invitationParams = organizationIdParam.extend({ invitation_id: z.uuid().openapi({ param: { name: "invitation_id", in: "path" } }) });

const role = z.enum(ORGANIZATION_ROLES).openapi({ description: "OWNER, MANAGER, BOX_OFFICE, FINANCE, SUPERVISOR or CONTROLLER: what each may do is docs/organizations.md's matrix." });

const organizationFields = {
  name: text(200),
  description: z.string().trim().max(2000).nullable().optional(),
  contact_email: emailSchema.nullable().optional(),
};

export const OrganizationCreateBody = z
  .strictObject({
    ...organizationFields,
    owner_id: z.uuid().optional().openapi({ description: "Admins only: the account that becomes its first OWNER (default: the caller)." }),
  })
  .openapi("OrganizationCreateRequest");

export const OrganizationUpdateBody = z
  .strictObject({ ...organizationFields, name: organizationFields.name.optional() })
  .openapi("OrganizationUpdateRequest", { description: "Only the fields sent change; null clears an optional field." });

export const OrganizationListQuery = z.object({
  all: booleanQuery.optional().openapi({ description: "Admins only: every organization, not only mine." }),
  ...pageQuery,
});

export const OrganizationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    contact_email: z.string().nullable(),
    created_by: z.string().nullable(),
    my_role: z.enum(ORGANIZATION_ROLES).nullable().openapi({ description: "The caller's role in it; null for an admin who is not a member." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Organization");

export const MemberRoleBody = z.strictObject({ role }).openapi("OrganizationMemberRoleRequest");

export const MemberSchema = z
  .object({
    id: z.string(),
    organization_id: z.string(),
    user: z.object({ id: z.string(), email: z.string(), first_name: z.string(), last_name: z.string() }),
    role: z.enum(ORGANIZATION_ROLES),
    added_by: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("OrganizationMember");

export const InvitationCreateBody = z.strictObject({ email: emailSchema, role }).openapi("OrganizationInvitationRequest");

export const InvitationListQuery = z.object({
  status: z.enum(["PENDING", "ACCEPTED", "REVOKED", "EXPIRED"]).optional().openapi({ description: "EXPIRED includes pending invitations past their expiry." }),
  ...pageQuery,
});

export const InvitationSchema = z
  .object({
    id: z.string(),
    organization_id: z.string(),
    email: z.string(),
    role: z.enum(ORGANIZATION_ROLES),
    status: z.enum(["PENDING", "ACCEPTED", "REVOKED", "EXPIRED"]).openapi({ description: "A PENDING invitation past `expires_at` shows as EXPIRED." }),
    invited_by: z.string().nullable(),
    expires_at: z.string(),
    accepted_by: z.string().nullable(),
    accepted_at: z.string().nullable(),
    revoked_by: z.string().nullable(),
    revoked_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("OrganizationInvitation");

export const AcceptInvitationBody = z
  .strictObject({
    token: z.string().min(16).max(200).openapi({ description: "The token of the invitation email." }),
    password: passwordSchema.optional().openapi({ description: "Not signed in, for an address without a password yet: the account's new password." }),
    first_name: z.string().trim().min(1).max(150).optional(),
    last_name: z.string().trim().min(1).max(150).optional(),
  })
  .openapi("AcceptOrganizationInvitationRequest");

export const AcceptedInvitationSchema = z
  .object({
    organization: OrganizationSchema,
    member: MemberSchema,
    account_created: z.boolean().openapi({ description: "An account was created for the invited address (sign in with it and the password given)." }),
    already_member: z.boolean().openapi({ description: "The account was already a member: its role is unchanged." }),
  })
  .openapi("AcceptedOrganizationInvitation");
