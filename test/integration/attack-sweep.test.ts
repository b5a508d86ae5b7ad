import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp, openApiDocument } from "../../src/app.ts";
import { freshIp, publishEvent, registerAdmin, registerOrganizer, registerUser } from "../support/api.ts";

/**
 * A hostile client against every documented operation: random and malformed
 * ids, bodies at and past their schema's edges (largest and smallest numbers,
 * longest strings of astral and control characters, lone surrogates, nulls),
 * malformed JSON, and no credentials at all. Whatever the route, the answer is
 * never a 5xx, and every refusal is an RFC 9457 problem whose code the
 * route's OpenAPI document lists for that status.
 */

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  operationId: string;
  parameters: { name: string; in: string; schema?: Schema; required?: boolean }[];
  body?: { type: string; schema: Schema };
  codes: Map<number, readonly string[]>;
}

const doc = openApiDocument(createApp()) as unknown as { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, Schema> } };

function resolve(schema: Schema | undefined): Schema {
  let s = schema ?? {};
  while (s.$ref) s = doc.components?.schemas?.[String(s.$ref).split("/").pop()!] ?? {};
  if (s.allOf) return Object.assign({}, ...s.allOf.map(resolve), { ...s, allOf: undefined });
  return s;
}

const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => {
    const content = op.requestBody?.content as Record<string, { schema: Schema }> | undefined;
    const [type, media] = content ? Object.entries(content)[0]! : [];
    return {
      method: method.toUpperCase(),
      path,
      operationId: op.operationId,
      parameters: (op.parameters ?? []).map((p: Schema) => resolve(p)),
      body: type && media ? { type, schema: media.schema } : undefined,
      codes: new Map(Object.entries(op.responses as Record<string, { "x-problem-codes"?: string[] }>).flatMap(([status, r]) => (r["x-problem-codes"] ? [[Number(status), r["x-problem-codes"]]] : []))),
    };
  }),
);

type Edge = "high" | "low" | "null";
const HOSTILE_TEXT = "\u202e\u0000\ud83d\ude00\ud800é'\"<x>%00";

function stringFor(s: Schema, edge: Edge): string {
  if (s.enum) return edge === "low" ? s.enum[0] : s.enum[s.enum.length - 1];
  switch (s.format) {
    case "uuid":
      return crypto.randomUUID();
    case "date-time":
      return edge === "low" ? "1970-01-01T00:00:00.000Z" : "9999-12-31T23:59:59.999Z";
    case "date":
      return edge === "low" ? "1970-01-01" : "9999-12-31";
    case "email":
      return `a${"é".repeat(edge === "high" ? 40 : 0)}@example.com`;
    case "uri":
    case "url":
      return "https://example.com/%00";
  }
  if (s.pattern) return edge === "low" ? "" : "\ud800";
  const max = s.maxLength ?? 300;
  const min = s.minLength ?? 0;
  if (edge === "low") return "\u0000".repeat(min);
  return HOSTILE_TEXT.repeat(Math.ceil(max / HOSTILE_TEXT.length)).slice(0, max);
}

function valueFor(schema: Schema | undefined, edge: Edge, depth = 0): unknown {
  const s = resolve(schema);
  if (depth > 6) return null;
  const options = s.anyOf ?? s.oneOf;
  if (options) {
    const choices = options.map(resolve);
    if (edge === "null" && choices.some((c: Schema) => c.type === "null")) return null;
    const pick = choices.find((c: Schema) => c.type !== "null") ?? choices[0];
    return valueFor(pick, edge, depth + 1);
  }
  const type = Array.isArray(s.type) ? (edge === "null" && s.type.includes("null") ? "null" : s.type.find((t: string) => t !== "null")) : s.type;
  if (s.const !== undefined) return s.const;
  switch (type) {
    case "null":
      return null;
    case "string":
      return stringFor(s, edge);
    case "integer":
    case "number":
      if (edge === "low") return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -9_007_199_254_740_991);
      return s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 9_007_199_254_740_991);
    case "boolean":
      return edge !== "low";
    case "array": {
      const count = edge === "high" ? Math.min(s.maxItems ?? 3, 3) : (s.minItems ?? 0);
      return Array.from({ length: count }, () => valueFor(s.items, edge, depth + 1));
    }
    case "object":
    default: {
      if (!s.properties) return s.additionalProperties ? { [HOSTILE_TEXT]: valueFor(s.additionalProperties, edge, depth + 1) } : {};
      return Object.fromEntries(Object.entries(s.properties as Record<string, Schema>).map(([key, prop]) => [key, valueFor(prop, edge, depth + 1)]));
    }
  }
}

const FORGED_CURSORS = ['{"k":"abc","id":"x"}', '{"k":1e999,"id":"x"}', '{"k":-1e308,"id":"","s":"zzz"}', '{"k":"\\u0000","id":"\\ud800"}', '{"k":"[1,2,3]","id":"x","s":"price"}'];

// Routes that would end the caller's own session or account, leaving the rest of the sweep signed out.
const SELF_ENDING = new Set(["POST /v1/auth/logout", "DELETE /v1/auth/sessions/{session_id}", "DELETE /v1/me", "POST /v1/auth/password/change"]);

interface Outcome {
  request: string;
  status: number;
  problem: string;
}

let users: { user: { token: string }; organizer: { token: string }; admin: { token: string }; eventId: string };

beforeAll(async () => {
  const admin = await registerAdmin();
  const organizer = await registerOrganizer();
  const user = await registerUser();
  const event = await publishEvent(organizer, admin);
  users = { user, organizer, admin, eventId: event.id };
});

async function send(op: Operation, label: string, options: { token?: string; params?: Record<string, string>; query?: string; body?: BodyInit; type?: string }): Promise<Outcome | null> {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => options.params?.[name] ?? (name === "event_id" ? users.eventId : crypto.randomUUID()));
  const headers = new Headers({ "CF-Connecting-IP": freshIp() });
  if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
  if (options.type) headers.set("Content-Type", options.type);
  const url = `https://api.test${path}${options.query ? `?${options.query}` : ""}`;
  const response = await (exports as unknown as { default: Fetcher }).default.fetch(new Request(url, { method: op.method, headers, body: options.body }));
  const text = await response.text();
  const request = `${op.method} ${path} [${label}]`;
  // A 503 is a documented refusal (maintenance, a provider down); any other 5xx is a defect.
  if (response.status >= 500 && response.status !== 503) return { request, status: response.status, problem: text.slice(0, 300) };
  if (response.status >= 400) {
    const type = response.headers.get("Content-Type") ?? "";
    if (!type.startsWith("application/problem+json")) return { request, status: response.status, problem: `not problem+json (${type}): ${text.slice(0, 200)}` };
    const code = (JSON.parse(text) as { code?: string }).code ?? "";
    if (!op.codes.get(response.status)?.includes(code)) return { request, status: response.status, problem: `undocumented code ${code}: ${text.slice(0, 200)}` };
  }
  return null;
}

/** The text without its unpaired surrogates, which a URL cannot carry. */
const wellFormed = (text: string) => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "");

function queryFor(op: Operation, edge: Edge): string {
  const query = op.parameters.filter((p) => p.in === "query");
  return query
    .map((p) => {
      const value = p.name === "cursor" ? "eyJ4IjoxfQ" : valueFor(p.schema, edge === "null" ? "high" : edge);
      return `${encodeURIComponent(p.name)}=${encodeURIComponent(wellFormed(typeof value === "string" ? value : JSON.stringify(value)))}`;
    })
    .join("&");
}

describe("every operation under a hostile client", () => {
  it.each(operations.filter((op) => !SELF_ENDING.has(`${op.method} ${op.path}`)).map((op) => [`${op.method} ${op.path}`, op] as const))("%s never answers 5xx or an undocumented problem", async (_, op) => {
    const bad: Outcome[] = [];
    const record = (outcome: Outcome | null) => outcome && bad.push(outcome);
    const json = op.body?.type.includes("json");
    const roles = [["anonymous", undefined], ["user", users.user.token], ["organizer", users.organizer.token], ["admin", users.admin.token]] as const;
    for (const [role, token] of roles) {
      for (const edge of ["high", "low", "null"] as const) {
        const body = json ? JSON.stringify(valueFor(op.body!.schema, edge)) : undefined;
        record(await send(op, `${role} ${edge}`, { token, query: queryFor(op, edge), body, type: json ? "application/json" : undefined }));
      }
      if (json) {
        record(await send(op, `${role} malformed JSON`, { token, body: '{"a":', type: "application/json" }));
        record(await send(op, `${role} JSON array`, { token, body: "[1,2]", type: "application/json" }));
        record(await send(op, `${role} wrong type`, { token, body: "a=b", type: "application/x-www-form-urlencoded" }));
      }
      // Cursors well-formed enough to pass decoding, with keys of the wrong type, out of range or from another sort.
      if (token && op.parameters.some((p) => p.name === "cursor")) {
        for (const cursor of FORGED_CURSORS) record(await send(op, `${role} forged cursor ${cursor}`, { token, query: `cursor=${btoa(cursor).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")}` }));
      }
      const params = Object.fromEntries(op.parameters.filter((p) => p.in === "path").map((p) => [p.name, encodeURIComponent(HOSTILE_TEXT.replace("\ud800", ""))]));
      if (Object.keys(params).length) record(await send(op, `${role} hostile path ids`, { token, params }));
    }
    expect(bad).toEqual([]);
  });
});
