import { createRoute, z } from "@hono/zod-openapi";
import { organizerOnly, requireAuth, signedIn } from "../auth/middleware.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageQuery, pageSchema } from "../lib/pagination.ts";
import { clientMeta } from "../lib/request.ts";
import { actorOf } from "../site/audit.ts";
import { acceptInvitation, inviteMember, listInvitations, revokeInvitation } from "./invitations.ts";
import { changeRole, listMembers, removeMember } from "./members.ts";
import { createOrganization, listOrganizations, readOrganization, updateOrganization } from "./organizations.ts";
import {
  AcceptedInvitationSchema,
  AcceptInvitationBody,
  InvitationCreateBody,
  InvitationListQuery,
  invitationParams,
  InvitationSchema,
  MemberRoleBody,
  memberParams,
  MemberSchema,
  OrganizationCreateBody,
  organizationIdParam,
  OrganizationListQuery,
  OrganizationSchema,
  OrganizationUpdateBody,
} from "./schemas.ts";

const tags = ["Organizations"];
const noContent = { description: "Done." };
const matrix = "What each role may do is the permission matrix of docs/organizations.md.";

/** Organizations, their members and invitations. */
export function organizationRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/organizations",
      operationId: "createOrganization",
      tags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Create an organization (I become its first OWNER)",
      description:
        "For accounts with the platform role ORGANIZER (and admins, who may name another account as `owner_id`): the platform role is what lets an account own organizations. Team members of any role need no platform role. Audited.",
      request: { body: jsonBody(OrganizationCreateBody) },
      responses: { 201: jsonResponse(OrganizationSchema, "The organization."), ...errors("forbidden") },
    }),
    async (c) => c.json(await createOrganization(c.env, actorOf(c), c.req.valid("json")), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/organizations",
      operationId: "listOrganizations",
      tags,
      security: bearerAuth,
      summary: "My organizations, with my role in each",
      description: "By name. Admins may list every organization with `all=true` (`my_role` null where they are not a member).",
      request: { query: OrganizationListQuery },
      responses: { 200: jsonResponse(pageSchema(OrganizationSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => c.json(await listOrganizations(c.env, requireAuth(c.get("auth")), c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/organizations/{organization_id}",
      operationId: "getOrganization",
      tags,
      security: bearerAuth,
      summary: "One of my organizations",
      description: "For its members (any role) and admins; 404 for anyone else.",
      request: { params: organizationIdParam },
      responses: { 200: jsonResponse(OrganizationSchema, "The organization."), ...errors("not_found") },
    }),
    async (c) => c.json(await readOrganization(c.env, c.get("auth"), c.req.valid("param").organization_id), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/organizations/{organization_id}",
      operationId: "updateOrganization",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Rename or describe an organization",
      description: "Needs `members.manage` (OWNER); other members get 403, anyone else 404. Audited.",
      request: { params: organizationIdParam, body: jsonBody(OrganizationUpdateBody) },
      responses: { 200: jsonResponse(OrganizationSchema, "The organization."), ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => c.json(await updateOrganization(c.env, actorOf(c), c.get("auth"), c.req.valid("param").organization_id, c.req.valid("json")), 200),
  );

  // ------------------------------------------------------------ members

  r.openapi(
    createRoute({
      method: "get",
      path: "/organizations/{organization_id}/members",
      operationId: "listOrganizationMembers",
      tags,
      security: bearerAuth,
      summary: "The members of an organization",
      description: `Needs \`team.manage\` (OWNER, MANAGER); other members get 403, anyone else 404. Oldest first. ${matrix}`,
      request: { params: organizationIdParam, query: z.object(pageQuery) },
      responses: { 200: jsonResponse(pageSchema(MemberSchema), "One page."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(await listMembers(c.env, c.get("auth"), c.req.valid("param").organization_id, c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/organizations/{organization_id}/members/{user_id}",
      operationId: "changeOrganizationMemberRole",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Change a member's role",
      description: `Needs \`members.manage\` (OWNER). The last OWNER cannot be demoted (409 \`last_owner\`), even by two owners demoting each other at once. Audited. ${matrix}`,
      request: { params: memberParams, body: jsonBody(MemberRoleBody) },
      responses: { 200: jsonResponse(MemberSchema, "The member."), ...errors("concurrent_change", "forbidden", "last_owner", "not_found") },
    }),
    async (c) => {
      const { organization_id, user_id } = c.req.valid("param");
      return c.json(await changeRole(c.env, actorOf(c), c.get("auth"), organization_id, user_id, c.req.valid("json").role), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/organizations/{organization_id}/members/{user_id}",
      operationId: "removeOrganizationMember",
      tags,
      security: bearerAuth,
      summary: "Remove a member, or leave",
      description:
        "Needs `members.manage` (OWNER), except to remove yourself (leaving). The last OWNER cannot go (409 `last_owner`), even with two owners removing each other at once. Per-event staff assignments are separate and stay. Audited.",
      request: { params: memberParams },
      responses: { 204: noContent, ...errors("concurrent_change", "forbidden", "last_owner", "not_found") },
    }),
    async (c) => {
      const { organization_id, user_id } = c.req.valid("param");
      await removeMember(c.env, actorOf(c), c.get("auth"), organization_id, user_id);
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ invitations

  r.openapi(
    createRoute({
      method: "post",
      path: "/organizations/{organization_id}/invitations",
      operationId: "inviteOrganizationMember",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Invite someone by email",
      description:
        "Needs `members.manage` (OWNER). The address receives an email (ORGANIZATION_INVITATION, through the notifications queue) with a single-use token to accept within 7 days; the token is never returned here. 409 `already_member` when the address's account is a member; 409 `already_invited` while another invitation of the address is pending (revoke it first). Audited.",
      request: { params: organizationIdParam, body: jsonBody(InvitationCreateBody) },
      responses: { 201: jsonResponse(InvitationSchema, "The invitation, PENDING."), ...errors("already_invited", "already_member", "forbidden", "not_found", "rate_limited") },
    }),
    async (c) => c.json(await inviteMember(c.env, actorOf(c), c.get("auth"), c.req.valid("param").organization_id, c.req.valid("json")), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/organizations/{organization_id}/invitations",
      operationId: "listOrganizationInvitations",
      tags,
      security: bearerAuth,
      summary: "An organization's invitations",
      description: "Needs `team.manage` (OWNER, MANAGER). Newest first; `status` filters (EXPIRED includes pending ones past their expiry).",
      request: { params: organizationIdParam, query: InvitationListQuery },
      responses: { 200: jsonResponse(pageSchema(InvitationSchema), "One page."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(await listInvitations(c.env, c.get("auth"), c.req.valid("param").organization_id, c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/organizations/{organization_id}/invitations/{invitation_id}/revoke",
      operationId: "revokeOrganizationInvitation",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Revoke a pending invitation",
      description: "Needs `members.manage` (OWNER). Its token stops working at once (410 `invitation_revoked`); anything but PENDING is 409. Audited.",
      request: { params: invitationParams },
      responses: { 200: jsonResponse(InvitationSchema, "The invitation, REVOKED."), ...errors("concurrent_change", "forbidden", "invitation_not_pending", "not_found") },
    }),
    async (c) => {
      const { organization_id, invitation_id } = c.req.valid("param");
      return c.json(await revokeInvitation(c.env, actorOf(c), c.get("auth"), organization_id, invitation_id), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/organization-invitations/accept",
      operationId: "acceptOrganizationInvitation",
      tags,
      security: [{}, ...bearerAuth],
      summary: "Accept an invitation with its token",
      description:
        "Signed in: your account joins, and it must use the invited address (403 `invitation_for_another_email`). Not signed in: the address's account joins; an account with a password must sign in first (409 `sign_in_to_accept`), otherwise give `password` (and names): the account is created, or a passwordless one (a guest's) gets it. " +
        "Exactly once: of two accepts only one makes a membership; the same account accepting again gets the same answer. An account already a member keeps its role (`already_member`). 404 for an unknown token, 410 `invitation_expired` / `invitation_revoked`, 409 `invitation_already_accepted` once another account took it.",
      request: { body: jsonBody(AcceptInvitationBody) },
      responses: { 200: jsonResponse(AcceptedInvitationSchema, "The membership."), ...errors("concurrent_change", "invitation_already_accepted", "invitation_expired", "invitation_for_another_email", "invitation_revoked", "not_found", "rate_limited", "sign_in_to_accept") },
    }),
    async (c) => c.json(await acceptInvitation(c.env, c.get("auth"), c.req.valid("json"), clientMeta(c)), 200),
  );

  return r;
}
