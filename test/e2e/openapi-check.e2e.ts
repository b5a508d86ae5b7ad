/**
 * `npm run openapi:check` fails when it should: an operation without an
 * operationId, an error response that does not list its codes, a code the
 * source makes that the catalog lacks (or makes with another status), and a
 * catalog code nothing makes or no operation answers. Its pass on the real
 * document is `npm test` itself.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../bench/lib/workerd.ts";
import { catalogProblems, lint } from "../../scripts/openapi/check.ts";

const dir = tempDir("edge-events-openapi-check-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const problem = (codes: string[]) => ({
  description: "Conflict",
  content: { "application/problem+json": { schema: { allOf: [{ $ref: "#/components/schemas/Problem" }, { type: "object", properties: { code: { type: "string", enum: codes } } }] } } },
  "x-problem-codes": codes,
});

function document(operation: Record<string, unknown>) {
  return {
    openapi: "3.1.0",
    info: { title: "Test", version: "1.0.0" },
    servers: [{ url: "/" }],
    paths: { "/v1/things/{id}": { get: { summary: "A thing", security: [], parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }], ...operation } } },
    components: { schemas: { Problem: { type: "object", properties: { code: { type: "string" } }, required: ["code"] } } },
  };
}

function linted(doc: object): boolean {
  const file = join(dir, `${crypto.randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(doc));
  return lint(file);
}

const ok = { 200: { description: "The thing." } };

describe("the OpenAPI lint", () => {
  it("passes an operation with an operationId whose error responses list their codes", () => {
    expect(linted(document({ operationId: "getThing", responses: { ...ok, 404: problem(["not_found"]) } }))).toBe(true);
  });

  it("fails an operation without an operationId", () => {
    expect(linted(document({ responses: { ...ok, 404: problem(["not_found"]) } }))).toBe(false);
  });

  it("fails an error response that does not list its problem codes", () => {
    const bare = { description: "Not found", content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } };
    expect(linted(document({ operationId: "getThing", responses: { ...ok, 404: bare } }))).toBe(false);
  });

  it("fails codes listed apart from the schema's enum", () => {
    expect(linted(document({ operationId: "getThing", responses: { ...ok, 404: { ...problem(["not_found"]), "x-problem-codes": ["gone_missing"] } } }))).toBe(false);
  });
});

describe("the catalog against the source", () => {
  const root = join(dir, "repo");
  mkdirSync(join(root, "src"), { recursive: true });
  mkdirSync(join(root, "durable-objects"), { recursive: true });
  writeFileSync(
    join(root, "src", "things.ts"),
    [
      'export const a = () => { throw problems.conflict("thing_taken", "Taken."); };',
      'export const b = () => { throw new ProblemError(422, "thing_odd", "Odd", "Odd."); };',
      'export const c = () => { throw problems.notFound("Thing"); };',
      'export const d = (reason: string) => new ProblemError(401, `hook_${reason}`, "Refused", "No.");',
      'export const f = (status: number) => { const code = status === 415 ? "thing_unread" : "thing_taken"; return new ProblemError(status as 415, code, "Unread", "No."); };',
    ].join("\n"),
  );
  writeFileSync(join(root, "durable-objects", "do.ts"), 'export const e = () => fail(409, "thing_gone", "Gone.");');
  const doc = (catalog: Record<string, { status: number }>, answered: string[]) => ({
    "x-problem-codes": Object.fromEntries(Object.entries(catalog).map(([code, info]) => [code, { ...info, description: code }])),
    paths: { "/v1/things": { get: { responses: { 409: { "x-problem-codes": answered } } } } },
  });
  const full = { thing_taken: { status: 409 }, thing_odd: { status: 422 }, not_found: { status: 404 }, hook_bad: { status: 401 }, thing_gone: { status: 409 }, thing_unread: { status: 415 } };
  const all = Object.keys(full);

  it("agrees when every code made is in the catalog with its status, made somewhere and answered", () => {
    expect(catalogProblems(doc(full, all), root)).toEqual([]);
  });

  it("reports a code the source makes that the catalog lacks, or gives another status", () => {
    const { thing_gone: _gone, ...rest } = full;
    expect(catalogProblems(doc({ ...rest, thing_odd: { status: 400 } }, all.filter((code) => code !== "thing_gone")), root)).toEqual([
      expect.stringMatching(/^src\/things\.ts:2: "thing_odd" is made with 422 here; src\/problem-codes\.ts gives 400$/),
      expect.stringMatching(/^durable-objects\/do\.ts:1: "thing_gone" is made here but not in src\/problem-codes\.ts$/),
    ]);
  });

  it("reads a code held in a constant (app.ts's onError picks one by status)", () => {
    const { thing_unread: _unread, ...rest } = full;
    expect(catalogProblems(doc(rest, Object.keys(rest)), root)).toEqual([expect.stringMatching(/^src\/things\.ts:5: "thing_unread" is made here but not in src\/problem-codes\.ts$/)]);
  });

  it("reports a catalog code made nowhere, and one no operation answers", () => {
    const problems = catalogProblems(doc({ ...full, thing_stale: { status: 409 } }, all.filter((code) => code !== "thing_odd")), root);
    expect(problems).toEqual([
      'src/problem-codes.ts: no operation lists "thing_odd": declare it with errors(…) on the routes that answer it',
      'src/problem-codes.ts: "thing_stale" is made nowhere in src/ or durable-objects/: remove it',
      'src/problem-codes.ts: no operation lists "thing_stale": declare it with errors(…) on the routes that answer it',
    ]);
  });

  it("reports a prefix made at run time that no catalog code starts with", () => {
    const { hook_bad: _bad, ...rest } = full;
    expect(catalogProblems(doc(rest, Object.keys(rest)), root)).toEqual([expect.stringMatching(/^src\/things\.ts:4: codes starting "hook_" are made here; none is in/)]);
  });
});
