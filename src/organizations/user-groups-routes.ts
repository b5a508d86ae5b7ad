import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { requireAuth, signedIn } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import type { AppEnv } from "../env.ts";
import { ownBodyLimit } from "../lib/body-limit.ts";
import { problems } from "../lib/errors.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageQuery, pageSchema } from "../lib/pagination.ts";
import { actorOf } from "../site/audit.ts";
import { memberWith } from "./permissions.ts";
import { addGroupMember, createGroup, deleteGroup, listGroupMembers, listGroups, managedGroup, readGroup, removeGroupMember, updateGroup } from "./user-groups.ts";
import { IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, importGroupMembers } from "./user-groups-import.ts";
import {
  GroupCreateBody,
  groupIdParam,
  GroupListQuery,
  groupMemberParams,
  GroupMemberSchema,
  GroupSchema,
  GroupUpdateBody,
  ImportResultSchema,
  MemberAddBody,
} from "./user-groups-schemas.ts";

const tags = ["User groups"];
const managed =
  "Needs `groups.manage` in the group's organization (OWNER, MANAGER; its other members get 403); the platform's groups are admins' (403); another organization's group is 404.";

/** The caller manages the group, checked before the body is read (so others get 401/403/404, never 413/415). */
const managesGroup: MiddlewareHandler<AppEnv> = async (c, next) => {
  await managedGroup(getDb(c.env.DB), requireAuth(c.get("auth")), c.req.param("group_id") ?? "");
  await next();
};

const csvLimit = ownBodyLimit(IMPORT_MAX_BYTES, "A CSV import", `Send several files of at most ${IMPORT_MAX_ROWS} rows.`);

/** User groups and their members, managed by organizations (and admins for the platform's). */
export function userGroupRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/user-groups",
      operationId: "createUserGroup",
      tags,
      security: bearerAuth,
      middleware: [memberWith("groups.manage")] as const,
      summary: "Create a user group",
      description:
        "Members, students, away supporters…: a group pricing rules (`conditions.required_groups`, by code), members-only ticket configurations (`membership_group_id`) and zone overrides (`user_group_id`) of the same organization use. In an organization where the caller has `groups.manage` (`organization_id`, default: the only one); admins may create platform groups (no organization), which every organization may use. Codes are unique (409 `code_taken`). Audited.",
      request: { body: jsonBody(GroupCreateBody) },
      responses: { 201: jsonResponse(GroupSchema, "The group."), ...errors("code_taken", "forbidden", "no_organization") },
    }),
    async (c) => c.json(await createGroup(c.env, actorOf(c), c.req.valid("json")), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/user-groups",
      operationId: "listUserGroups",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "User groups",
      description: "By name: the groups of the organizations where I have `groups.manage`, and the platform's; admins see all. Filter by `organization_id` and `is_active`.",
      request: { query: GroupListQuery },
      responses: { 200: jsonResponse(pageSchema(GroupSchema), "One page.") },
    }),
    async (c) => c.json(await listGroups(c.env, requireAuth(c.get("auth")), c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/user-groups/{group_id}",
      operationId: "getUserGroup",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "One user group",
      description: "The platform's groups for anyone signed in; an organization's for members with `groups.manage` (others of it 403, anyone else 404).",
      request: { params: groupIdParam },
      responses: { 200: jsonResponse(GroupSchema, "The group."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(await readGroup(c.env, requireAuth(c.get("auth")), c.req.valid("param").group_id), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/user-groups/{group_id}",
      operationId: "updateUserGroup",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Rename, describe or (de)activate a user group",
      description: `${managed} The code never changes (pricing rules name groups by it); only admins move a group to another organization. Audited.`,
      request: { params: groupIdParam, body: jsonBody(GroupUpdateBody) },
      responses: { 200: jsonResponse(GroupSchema, "The group."), ...errors("code_taken", "concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => c.json(await updateGroup(c.env, actorOf(c), c.req.valid("param").group_id, c.req.valid("json")), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/user-groups/{group_id}",
      operationId: "deleteUserGroup",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete a user group nothing uses",
      description: `${managed} With its memberships. 409 \`group_in_use\` while a ticket configuration, a zone override or a pricing rule uses it: deactivate it instead. Audited.`,
      request: { params: groupIdParam },
      responses: { 204: { description: "Deleted." }, ...errors("concurrent_change", "forbidden", "group_in_use", "not_found") },
    }),
    async (c) => {
      await deleteGroup(c.env, actorOf(c), c.req.valid("param").group_id);
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ members

  r.openapi(
    createRoute({
      method: "get",
      path: "/user-groups/{group_id}/members",
      operationId: "listUserGroupMembers",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "A user group's members",
      description: `${managed} Oldest first, ended memberships included (with their \`valid_until\`).`,
      request: { params: groupIdParam, query: z.object(pageQuery) },
      responses: { 200: jsonResponse(pageSchema(GroupMemberSchema), "One page."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(await listGroupMembers(c.env, requireAuth(c.get("auth")), c.req.valid("param").group_id, c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/user-groups/{group_id}/members",
      operationId: "addUserGroupMember",
      tags,
      security: bearerAuth,
      middleware: [managesGroup] as const,
      summary: "Add a member, by account, email or phone",
      description:
        `${managed} By \`user_id\` (an active account), \`email\` (an address without an account gets a passwordless one) or \`phone\` (the number of exactly one active account: 422 \`unknown_phone\` / \`ambiguous_phone\` otherwise). ` +
        "201 for a new member; 200 when already one (`valid_until` set to the one given). The gates of live events with a zone override for the group learn of it at once. Audited.",
      request: { params: groupIdParam, body: jsonBody(MemberAddBody) },
      responses: {
        200: jsonResponse(GroupMemberSchema, "Already a member; membership updated."),
        201: jsonResponse(GroupMemberSchema, "Added."),
        ...errors("forbidden", "not_found", "recipient_email_unverified"),
      },
    }),
    async (c) => {
      const { member, created } = await addGroupMember(c.env, actorOf(c), c.req.valid("param").group_id, c.req.valid("json"));
      return created ? c.json(member, 201) : c.json(member, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/user-groups/{group_id}/members/{user_id}",
      operationId: "removeUserGroupMember",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Remove a member",
      description: `${managed} At once: sales, prices and gates no longer count them as a member. 404 if they are not one. Audited.`,
      request: { params: groupMemberParams },
      responses: { 204: { description: "Removed." }, ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const { group_id, user_id } = c.req.valid("param");
      await removeGroupMember(c.env, actorOf(c), group_id, user_id);
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/user-groups/{group_id}/members/import",
      operationId: "importUserGroupMembers",
      tags,
      security: bearerAuth,
      middleware: [managesGroup, csvLimit] as const,
      summary: "Import members from a CSV file (all rows or none)",
      description:
        `${managed} The body is a CSV file (\`Content-Type: text/csv\`, UTF-8, comma or semicolon separated, at most ${IMPORT_MAX_BYTES / 1024} KiB and ${IMPORT_MAX_ROWS} rows). ` +
        "Its first line names the columns: `user_id`, `email`, `phone` (at least one; each row names its person by the first of them it fills in) and optionally `valid_until` (a date, meaning the end of that day UTC, or an ISO 8601 instant). " +
        "All or none: every row is checked first, and any error refuses the whole file (422) with one error per faulty row, its `path` `rows.<line>.<column>`, lines numbered as in the file (the header is line 1); nothing is written. " +
        "Otherwise every row is written in one step: addresses without an account get passwordless ones, members already there get the file's `valid_until`. Audited as one IMPORT.",
      request: {
        params: groupIdParam,
        body: { required: true, content: { "text/csv": { schema: z.string().openapi({ example: "email,valid_until\nawa@example.com,2027-06-30\n" }) } } },
      },
      responses: { 200: jsonResponse(ImportResultSchema, "Imported."), ...errors("forbidden", "not_found", "payload_too_large", "unsupported_media_type") },
    }),
    async (c) => {
      const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (type !== "text/csv") throw problems.unsupportedMediaType("Send the file with Content-Type text/csv.");
      const text = new TextDecoder().decode(await c.req.arrayBuffer());
      return c.json(await importGroupMembers(c.env, actorOf(c), c.req.valid("param").group_id, text), 200);
    },
  );

  return r;
}
