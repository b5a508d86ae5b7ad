import { createRoute } from "@hono/zod-openapi";
import { adminOnly } from "../auth/middleware.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { actorOf } from "./audit.ts";
import { PublicSettingsSchema, SettingCreateBody, settingKeyParam, SettingQuery, SettingSchema, SettingUpdateBody, toSetting } from "./schemas.ts";
import { noContent } from "./schemas.ts";
import { createSetting, deleteSetting, listSettings, loadSetting, publicSettings, SETTINGS_TTL_MS, updateSetting } from "./settings.ts";

const tags = ["Site"];
const adminTags = ["Administration"];

/** Site settings: the public ones, and admins' management of all. */
export function settingsRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/settings/public",
      operationId: "listPublicSettings",
      tags,
      summary: "Public app settings",
      description: `The settings of category \`public\` as \`{ key: typed value }\`. Served from a per-isolate cache: a change shows within ${SETTINGS_TTL_MS / 1000} seconds.`,
      responses: { 200: jsonResponse(PublicSettingsSchema, "Key → value.") },
    }),
    async (c) => {
      c.header("Cache-Control", "public, max-age=30");
      return c.json(await publicSettings(c.env), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/settings",
      operationId: "listSettings",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "App settings",
      description: "By key; optionally of one category.",
      request: { query: SettingQuery },
      responses: { 200: jsonResponse(pageSchema(SettingSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => {
      const page = await listSettings(c.env, c.req.valid("query"));
      return c.json({ data: page.data.map(toSetting), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/settings",
      operationId: "createSetting",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Create a setting",
      description: "The value is checked against its `value_type` (422 otherwise). Audited.",
      request: { body: jsonBody(SettingCreateBody) },
      responses: { 201: jsonResponse(SettingSchema, "Created."), ...errors("forbidden", "setting_exists") },
    }),
    async (c) => c.json(toSetting(await createSetting(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/settings/{key}",
      operationId: "getSetting",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "One setting",
      request: { params: settingKeyParam },
      responses: { 200: jsonResponse(SettingSchema, "The setting."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(toSetting(await loadSetting(c.env, c.req.valid("param").key)), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/admin/settings/{key}",
      operationId: "updateSetting",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Change a setting",
      description:
        "Only settings with `is_editable` (403 `setting_not_editable` otherwise). The value is checked against the (new) `value_type`. Audited as CONFIG. Code reading it through `getSetting` sees the change at once in this isolate, within 30 seconds elsewhere.",
      request: { params: settingKeyParam, body: jsonBody(SettingUpdateBody) },
      responses: { 200: jsonResponse(SettingSchema, "Updated."), ...errors("concurrent_change", "forbidden", "not_found", "setting_not_editable") },
    }),
    async (c) => c.json(toSetting(await updateSetting(c.env, actorOf(c), c.req.valid("param").key, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/admin/settings/{key}",
      operationId: "deleteSetting",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Delete a setting",
      description: "Only settings with `is_editable`; code falls back to its default.",
      request: { params: settingKeyParam },
      responses: { 204: noContent, ...errors("concurrent_change", "forbidden", "not_found", "setting_not_editable") },
    }),
    async (c) => {
      await deleteSetting(c.env, actorOf(c), c.req.valid("param").key);
      return c.body(null, 204);
    },
  );

  return r;
}
