/**
 * The browsable API reference at /docs, rendered on the server from the same
 * OpenAPI document as /openapi.json: no script, no CDN, readable on any phone.
 * A table of contents by tag; per operation its parameters, request body and
 * responses with their schemas expanded (fields, types, enums, formats,
 * limits, examples) and the problem codes it can answer per status; then
 * every error code with its meaning and the operations that answer it.
 */
import type { ProblemCatalog } from "./openapi.ts";

type Schema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  example?: unknown;
  examples?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
};
type Parameter = { name: string; in: string; required?: boolean; schema?: Schema; description?: string };
type Media = Record<string, { schema?: Schema }>;
type Response = { description?: string; content?: Media; "x-problem-codes"?: string[] };
type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, unknown>[];
  parameters?: Parameter[];
  requestBody?: { description?: string; required?: boolean; content?: Media };
  responses?: Record<string, Response>;
};
type Document = {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};

const METHODS = ["get", "post", "put", "patch", "delete"];
/** Nested objects deeper than this are named, not expanded again. */
const MAX_DEPTH = 6;

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/** The little Markdown the descriptions use: `code`, **bold**, and line breaks. */
const prose = (text: string | undefined) =>
  text
    ? escape(text)
        .replace(/`([^`]+)`/g, "<code>$1</code>")
        .replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>")
        .replace(/\n\n/g, "<br>")
    : "";

const json = (value: unknown) => escape(JSON.stringify(value));
const anchor = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

export function renderApiReference(openapi: object, problemCodes: ProblemCatalog = {}): string {
  const doc = openapi as Document;
  const components = doc.components?.schemas ?? {};
  const refName = (ref: string) => ref.split("/").pop()!;
  const resolve = (schema: Schema | undefined): Schema => (schema?.$ref ? (components[refName(schema.$ref)] ?? {}) : (schema ?? {}));

  /** allOf parts merged into one object schema (the Problem of an error response with its codes, extended bodies). */
  const flatten = (schema: Schema): Schema => {
    const own = resolve(schema);
    if (!own.allOf) return own;
    const merged: Schema = { ...own, allOf: undefined, properties: { ...own.properties }, required: [...(own.required ?? [])] };
    for (const part of own.allOf.map(flatten)) {
      merged.type ??= part.type;
      merged.description ??= part.description;
      for (const [name, property] of Object.entries(part.properties ?? {})) merged.properties![name] = { ...merged.properties![name], ...property };
      merged.required!.push(...(part.required ?? []));
    }
    return merged;
  };

  const variants = (schema: Schema) => (schema.oneOf ?? schema.anyOf ?? []).filter((s) => resolve(s).type !== "null");
  const isNullable = (schema: Schema) =>
    schema.nullable === true || (Array.isArray(schema.type) && schema.type.includes("null")) || (schema.oneOf ?? schema.anyOf ?? []).some((s) => resolve(s).type === "null");

  /** "string (uuid)", "integer", "array of Order", "object", "one of: …". */
  function typeOf(raw: Schema): string {
    const schema = flatten(raw);
    const named = raw.$ref ? refName(raw.$ref) : undefined;
    const alternatives = variants(schema);
    if (alternatives.length === 1) return typeOf(alternatives[0]!) + (isNullable(schema) ? " | null" : "");
    if (alternatives.length > 1) return `one of ${alternatives.map(typeOf).join(" | ")}`;
    const base = Array.isArray(schema.type) ? schema.type.filter((t) => t !== "null").join(" | ") : schema.type;
    let text: string;
    if (base === "array") text = `array of ${schema.items ? typeOf(schema.items) : "any"}`;
    else if (named && (base === "object" || schema.properties)) text = named;
    else text = `${base ?? (schema.properties ? "object" : "any")}${schema.format ? ` (${schema.format})` : ""}`;
    return isNullable(schema) ? `${text} | null` : text;
  }

  /** Enum, const, limits, default and example of one field, as short notes. */
  function notes(raw: Schema): string[] {
    const schema = flatten(raw);
    const out: string[] = [];
    const values = schema.enum ?? variants(schema).flatMap((v) => resolve(v).enum ?? []);
    if (values.length) out.push(`one of ${values.map((v) => `<code>${json(v)}</code>`).join(", ")}`);
    if (schema.const !== undefined) out.push(`always <code>${json(schema.const)}</code>`);
    const limit = (label: string, value: number | undefined) => value !== undefined && out.push(`${label} ${value}`);
    limit("≥", schema.minimum);
    limit("≤", schema.maximum);
    limit(">", schema.exclusiveMinimum);
    limit("<", schema.exclusiveMaximum);
    limit("min length", schema.minLength);
    limit("max length", schema.maxLength);
    limit("min items", schema.minItems);
    limit("max items", schema.maxItems);
    if (schema.pattern) out.push(`pattern <code>${escape(schema.pattern)}</code>`);
    if (schema.default !== undefined) out.push(`default <code>${json(schema.default)}</code>`);
    const example = schema.example ?? schema.examples?.[0];
    if (example !== undefined) out.push(`e.g. <code>${json(example)}</code>`);
    return out;
  }

  /** The object (or array of objects) a field holds, to expand under it. */
  function objectOf(raw: Schema): Schema | null {
    let schema = flatten(raw);
    const alternatives = variants(schema);
    if (alternatives.length === 1) schema = flatten(alternatives[0]!);
    if (schema.type === "array" || (Array.isArray(schema.type) && schema.type.includes("array"))) schema = schema.items ? flatten(schema.items) : {};
    return schema.properties && Object.keys(schema.properties).length ? schema : null;
  }

  /** A table of an object's fields, nested objects expanded under their field. */
  function fields(schema: Schema, depth: number, seen: ReadonlySet<string>): string {
    const required = new Set(schema.required ?? []);
    const rows = Object.entries(schema.properties ?? {}).map(([name, property]) => {
      const nested = objectOf(property);
      const key = property.$ref ?? (property.items as Schema | undefined)?.$ref;
      const cyclic = key !== undefined && seen.has(key);
      const inner = nested && depth < MAX_DEPTH && !cyclic ? fields(nested, depth + 1, key ? new Set([...seen, key]) : seen) : "";
      const description = [prose(property.description ?? resolve(property).description), ...notes(property)].filter(Boolean).join("<br>");
      return `<tr><td><code>${escape(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ""}</td><td>${escape(typeOf(property))}</td><td>${description}${inner}</td></tr>`;
    });
    const extra = schema.additionalProperties && typeof schema.additionalProperties === "object" ? `<p>Other keys: ${escape(typeOf(schema.additionalProperties))}</p>` : "";
    return rows.length ? `<table class="fields"><tr><th>Field</th><th>Type</th><th>Description</th></tr>${rows.join("")}</table>${extra}` : extra;
  }

  /** A body schema: its type, then its fields (or each alternative's). */
  function body(raw: Schema | undefined): string {
    if (!raw) return "";
    const schema = flatten(raw);
    const head = `<p class="type">${escape(typeOf(raw))}${schema.description && !raw.$ref ? ` — ${prose(schema.description)}` : ""}</p>`;
    const alternatives = variants(schema);
    if (alternatives.length > 1) return head + alternatives.map((alt) => `<div class="alt"><p>${escape(typeOf(alt))}</p>${body(alt)}</div>`).join("");
    const object = objectOf(raw);
    return head + (object ? fields(object, 1, new Set(raw.$ref ? [raw.$ref] : [])) : notes(raw).length ? `<p>${notes(raw).join("; ")}</p>` : "");
  }

  function media(content: Media | undefined): string {
    return Object.entries(content ?? {})
      .map(([type, { schema }]) => `<p class="media"><code>${escape(type)}</code></p>${type.includes("json") ? body(schema) : schema ? `<p class="type">${escape(typeOf(schema))}</p>` : ""}`)
      .join("");
  }

  const codeUsers = new Map<string, string[]>();

  function operation(method: string, path: string, op: Operation): string {
    const id = op.operationId ?? `${method}-${path}`;
    const params = (op.parameters ?? [])
      .map(
        (p) =>
          `<tr><td><code>${escape(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ""}</td><td>${escape(p.in)}</td><td>${escape(typeOf(p.schema ?? {}))}</td><td>${[prose(p.description ?? p.schema?.description), ...notes(p.schema ?? {})].filter(Boolean).join("<br>")}</td></tr>`,
      )
      .join("");
    const responses = Object.entries(op.responses ?? {}).map(([status, response]) => {
      const codes = response["x-problem-codes"];
      if (!codes) return `<div class="response"><h5>${escape(status)} ${prose(response.description)}</h5>${media(response.content)}</div>`;
      for (const code of codes) codeUsers.set(code, [...(codeUsers.get(code) ?? []), id]);
      const title = (response.description ?? "").split(";")[0] ?? "";
      const list = codes.map((code) => `<li><a href="#error-${escape(code)}"><code>${escape(code)}</code></a> ${prose(problemCodes[code]?.description ?? "")}</li>`).join("");
      return `<div class="response error"><h5>${escape(status)} ${escape(title)}</h5><ul>${list}</ul></div>`;
    });
    const auth = op.security?.some((requirement) => Object.keys(requirement).length > 0);
    return `<section class="op" id="${escape(id)}"><h3><span class="m ${escape(method)}">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h3>
<p class="summary">${prose(op.summary)} <small>operationId <code>${escape(id)}</code>${auth ? " · 🔒 bearer token" : " · public"}</small></p>
${op.description ? `<p>${prose(op.description)}</p>` : ""}${params ? `<h4>Parameters</h4><table class="fields"><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr>${params}</table>` : ""}${
      op.requestBody ? `<h4>Request body${op.requestBody.required ? "" : " (optional)"}</h4>${prose(op.requestBody.description)}${media(op.requestBody.content)}` : ""
    }<h4>Responses</h4>${responses.join("")}</section>`;
  }

  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = methods[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? "Other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method, path, op }]);
    }
  }
  const tags = [...byTag.keys()];
  const sections = tags
    .map((tag) => `<section class="tag"><h2 id="tag-${anchor(tag)}">${escape(tag)}</h2>${byTag.get(tag)!.map(({ method, path, op }) => operation(method, path, op)).join("\n")}</section>`)
    .join("\n");
  const toc = tags
    .map(
      (tag) =>
        `<li><a href="#tag-${anchor(tag)}">${escape(tag)}</a><ul>${byTag
          .get(tag)!
          .map(({ method, path, op }) => `<li><a href="#${escape(op.operationId ?? `${method}-${path}`)}"><span class="m ${escape(method)}">${escape(method.toUpperCase())}</span> ${escape(path)}</a> ${prose(op.summary)}</li>`)
          .join("")}</ul></li>`,
    )
    .join("");
  const codes = [...new Set([...Object.keys(problemCodes), ...codeUsers.keys()])].sort();
  const errorRows = codes
    .map((code) => {
      const info = problemCodes[code];
      const status = info ? (typeof info.status === "number" ? String(info.status) : info.status.join(", ")) : "";
      const users = [...new Set(codeUsers.get(code) ?? [])];
      return `<tr id="error-${escape(code)}"><td><code>${escape(code)}</code></td><td>${escape(status)}</td><td>${prose(info?.description)}</td><td>${users.map((u) => `<a href="#${escape(u)}">${escape(u)}</a>`).join(", ")}</td></tr>`;
    })
    .join("");

  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(doc.info.title)} — API reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:1rem;color:#1b1b1b}h2{border-bottom:2px solid #ddd;margin-top:2.5rem}
.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.2rem .9rem .6rem}.op h3{margin:.5rem 0 0;font-size:16px}.summary{margin:.2rem 0}.summary small{color:#666}
table{border-collapse:collapse;width:100%;margin:.3rem 0;font-size:14px}td,th{border-top:1px solid #eee;padding:.25rem .4rem;text-align:left;vertical-align:top}th{font-weight:600;background:#fafafa}
table table{margin-left:.5rem;width:calc(100% - .5rem)}.req{color:#b00;font-size:12px}.type{margin:.2rem 0;color:#444}.media{margin:.4rem 0 0}.alt{border-left:3px solid #ddd;padding-left:.6rem}
.response h5{margin:.6rem 0 .2rem;font-size:14px}.error ul{margin:.2rem 0}.m{display:inline-block;min-width:4.2em;font-weight:700;font-size:12px}.get{color:#0a7}.post{color:#06c}.put,.patch{color:#c70}.delete{color:#c22}
nav ul{list-style:none;padding-left:1rem}nav>ul{padding-left:0}nav li{margin:.1rem 0}code{font-size:13px}</style></head>
<body><h1>${escape(doc.info.title)} <small>v${escape(doc.info.version)}</small></h1><p>${prose(doc.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Every error is <code>application/problem+json</code>; its <code>code</code> is listed under each operation and in <a href="#errors">Error codes</a>.</p>
<nav><h2>Contents</h2><ul>${toc}<li><a href="#errors">Error codes</a></li></ul></nav>
${sections}
<section><h2 id="errors">Error codes</h2><table class="fields"><tr><th>Code</th><th>Status</th><th>Meaning</th><th>Answered by</th></tr>${errorRows}</table></section>
</body></html>`;
}
