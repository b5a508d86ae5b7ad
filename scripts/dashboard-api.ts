/**
 * `npm run dashboard:api`: writes dashboard/src/api/schema.d.ts, the types of
 * every route of the API, from the Worker's own OpenAPI document, built from
 * the app in this process (no server): src/app.ts bundled with esbuild, then
 * `createApp().getOpenAPI31Document()`. `--check` fails when the file on disk
 * differs (part of `npm test`), so the dashboard never calls a route the way
 * it used to be.
 *
 * The output has openapi-typescript's shape (`paths`, `components`), which
 * openapi-fetch reads; it is written here because openapi-typescript prints
 * through the TypeScript 5 compiler API, which TypeScript 7 no longer has.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const SCHEMA_FILE = join(ROOT, "dashboard", "src", "api", "schema.d.ts");
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  prefixItems?: Schema[];
  format?: string;
  nullable?: boolean;
  description?: string;
};
type Parameter = { name: string; in: "query" | "header" | "path" | "cookie"; required?: boolean; schema?: Schema };
type Operation = {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};
export interface OpenApiDocument {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components?: { schemas?: Record<string, Schema> };
}

/** The OpenAPI document of the app as the Worker serves it at /openapi.json. */
export async function buildOpenApiDocument(): Promise<OpenApiDocument> {
  const dir = mkdtempSync(join(tmpdir(), "edge-events-openapi-"));
  try {
    const outfile = join(dir, "app.mjs");
    await build({
      entryPoints: [join(ROOT, "src", "app.ts")],
      outfile,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "es2022",
      external: ["cloudflare:*"],
      loader: { ".woff": "binary" },
      logLevel: "error",
    });
    const { createApp, API_INFO } = (await import(pathToFileURL(outfile).href)) as typeof import("../src/app.ts");
    return createApp().getOpenAPI31Document(API_INFO) as unknown as OpenApiDocument;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Status codes stay numbers (`200:`), as openapi-fetch matches them against numeric literal types.
const key = (name: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$|^[1-9]\d*$/.test(name) ? name : JSON.stringify(name));
const pad = (depth: number) => "    ".repeat(depth);

/** One schema as a TypeScript type. */
function typeOf(schema: Schema | undefined, depth: number): string {
  if (!schema || Object.keys(schema).length === 0) return "unknown";
  if (schema.$ref) {
    const name = schema.$ref.replace("#/components/schemas/", "");
    return `components["schemas"][${JSON.stringify(name)}]`;
  }
  let type: string;
  if (schema.const !== undefined) type = JSON.stringify(schema.const);
  else if (schema.enum) type = schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  else if (schema.anyOf || schema.oneOf) type = (schema.anyOf ?? schema.oneOf)!.map((s) => typeOf(s, depth)).join(" | ");
  else if (schema.allOf) type = schema.allOf.map((s) => `(${typeOf(s, depth)})`).join(" & ");
  else if (Array.isArray(schema.type)) type = schema.type.map((t) => typeOf({ ...schema, type: t }, depth)).join(" | ");
  else {
    switch (schema.type) {
      case "string":
        type = schema.format === "binary" ? "Blob" : "string";
        break;
      case "number":
      case "integer":
        type = "number";
        break;
      case "boolean":
        type = "boolean";
        break;
      case "null":
        type = "null";
        break;
      case "array":
        type = schema.prefixItems ? `[${schema.prefixItems.map((s) => typeOf(s, depth)).join(", ")}]` : `(${typeOf(schema.items, depth)})[]`;
        break;
      case "object":
      case undefined:
        type = objectOf(schema, depth);
        break;
      default:
        type = "unknown";
    }
  }
  return schema.nullable ? `${type} | null` : type;
}

function objectOf(schema: Schema, depth: number): string {
  const required = new Set(schema.required ?? []);
  const lines = Object.entries(schema.properties ?? {}).map(
    ([name, property]) => `${pad(depth + 1)}${key(name)}${required.has(name) ? "" : "?"}: ${typeOf(property, depth + 1)};`,
  );
  const extra = schema.additionalProperties;
  if (extra === true || (typeof extra === "object" && extra !== null)) {
    lines.push(`${pad(depth + 1)}[key: string]: ${extra === true ? "unknown" : typeOf(extra, depth + 1)};`);
  } else if (lines.length === 0) {
    return extra === false ? "Record<string, never>" : "Record<string, unknown>";
  }
  return `{\n${lines.join("\n")}\n${pad(depth)}}`;
}

function parametersOf(parameters: Parameter[], depth: number): string {
  const lines = (["query", "header", "path", "cookie"] as const).map((place) => {
    const here = parameters.filter((p) => p.in === place);
    if (here.length === 0) return `${pad(depth + 1)}${place}?: never;`;
    const fields = here.map((p) => `${pad(depth + 2)}${key(p.name)}${p.required ? "" : "?"}: ${typeOf(p.schema, depth + 2)};`);
    const optional = here.every((p) => !p.required) ? "?" : "";
    return `${pad(depth + 1)}${place}${optional}: {\n${fields.join("\n")}\n${pad(depth + 1)}};`;
  });
  return `{\n${lines.join("\n")}\n${pad(depth)}}`;
}

function contentOf(content: Record<string, { schema?: Schema }> | undefined, depth: number): string {
  if (!content) return "never";
  const lines = Object.entries(content).map(([media, { schema }]) => `${pad(depth + 1)}${JSON.stringify(media)}: ${typeOf(schema, depth + 1)};`);
  return `{\n${lines.join("\n")}\n${pad(depth)}}`;
}

function operationOf(operation: Operation, depth: number): string {
  const body = operation.requestBody;
  const responses = Object.entries(operation.responses ?? {}).map(
    ([status, response]) =>
      `${pad(depth + 2)}${key(status)}: {\n${pad(depth + 3)}headers: {\n${pad(depth + 4)}[name: string]: unknown;\n${pad(depth + 3)}};\n${pad(depth + 3)}content${response.content ? "" : "?"}: ${contentOf(response.content, depth + 3)};\n${pad(depth + 2)}};`,
  );
  return [
    "{",
    `${pad(depth + 1)}parameters: ${parametersOf(operation.parameters ?? [], depth + 1)};`,
    body ? `${pad(depth + 1)}requestBody${body.required ? "" : "?"}: {\n${pad(depth + 2)}content: ${contentOf(body.content, depth + 2)};\n${pad(depth + 1)}};` : `${pad(depth + 1)}requestBody?: never;`,
    `${pad(depth + 1)}responses: {\n${responses.join("\n")}\n${pad(depth + 1)}};`,
    `${pad(depth)}}`,
  ].join("\n");
}

/** The whole file: `paths` and `components`, in openapi-typescript's shape. */
export function renderSchema(document: OpenApiDocument): string {
  const paths = Object.entries(document.paths).map(([path, item]) => {
    const methods = METHODS.map((method) => {
      const operation = item[method];
      return operation ? `${pad(2)}${method}: ${operationOf(operation, 2)};` : `${pad(2)}${method}?: never;`;
    });
    return `${pad(1)}${JSON.stringify(path)}: {\n${pad(2)}parameters: {\n${pad(3)}query?: never;\n${pad(3)}header?: never;\n${pad(3)}path?: never;\n${pad(3)}cookie?: never;\n${pad(2)}};\n${methods.join("\n")}\n${pad(1)}};`;
  });
  const schemas = Object.entries(document.components?.schemas ?? {}).map(([name, schema]) => `${pad(2)}${key(name)}: ${typeOf(schema, 2)};`);
  return [
    "// Generated by `npm run dashboard:api` from the Worker's OpenAPI document. Do not edit.",
    "",
    `export interface paths {\n${paths.join("\n")}\n}`,
    `export interface components {\n${pad(1)}schemas: {\n${schemas.join("\n")}\n${pad(1)}};\n}`,
    "export type webhooks = Record<string, never>;",
    "export type $defs = Record<string, never>;",
    "export type operations = Record<string, never>;",
    "",
  ].join("\n");
}

async function main() {
  const check = process.argv.includes("--check");
  const text = renderSchema(await buildOpenApiDocument());
  let current = "";
  try {
    current = readFileSync(SCHEMA_FILE, "utf8");
  } catch {
    // No file yet: written below, or stale under --check.
  }
  if (check) {
    if (current !== text) {
      console.error("✖ dashboard/src/api/schema.d.ts is stale: the API changed. Run `npm run dashboard:api` and commit the result.");
      process.exit(1);
    }
    console.log("✓ dashboard/src/api/schema.d.ts matches the API");
    return;
  }
  writeFileSync(SCHEMA_FILE, text);
  console.log(current === text ? "dashboard/src/api/schema.d.ts unchanged" : "wrote dashboard/src/api/schema.d.ts");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
