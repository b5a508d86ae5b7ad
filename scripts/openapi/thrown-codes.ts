/**
 * Every problem code the Worker's source can answer, read from the code itself:
 * the calls that make a problem (`problems.*`, `new ProblemError`, the
 * EventDO's `fail`) and the `{ status, code }` objects that travel as values
 * before becoming one. Parsed with swc (TypeScript 7 ships no compiler API);
 * a code given as a literal, as a conditional between literals, or through a
 * name given one in the same file, is read with its status; a code built at run time (`webhook_${reason}`) is read as
 * its literal prefix. `npm run openapi:check` compares these with the
 * catalog (src/problem-codes.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseSync } from "@swc/core";

export interface ThrownCode {
  /** The code, or the literal start of one built at run time (then `prefix` is true). */
  code: string;
  prefix: boolean;
  /** null when the status is not a literal at that place. */
  status: number | null;
  file: string;
  line: number;
}

/** The factories of src/lib/errors.ts: status, and code when the factory fixes it. */
const FACTORIES: Record<string, { status: number; code?: string; codeArg?: number }> = {
  validation: { status: 422, code: "validation_failed" },
  badRequest: { status: 400, codeArg: 0 },
  unauthorized: { status: 401, code: "unauthorized", codeArg: 1 },
  forbidden: { status: 403, code: "forbidden", codeArg: 1 },
  notFound: { status: 404, code: "not_found" },
  conflict: { status: 409, codeArg: 0 },
  gone: { status: 410, codeArg: 0 },
  payloadTooLarge: { status: 413, code: "payload_too_large" },
  unsupportedMediaType: { status: 415, code: "unsupported_media_type" },
  locked: { status: 423, code: "account_locked" },
  tooManyRequests: { status: 429, code: "rate_limited" },
  unavailable: { status: 503, code: "unavailable" },
};

type Node = { type: string; [key: string]: unknown };
type Arg = { expression: Node; spread?: unknown };

const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null && typeof (value as Node).type === "string";

/** The literal strings an expression can be: a literal, either branch of a conditional, or a template's fixed start. */
function literals(node: Node | undefined): { value: string; prefix: boolean }[] {
  if (!node) return [];
  switch (node.type) {
    case "StringLiteral":
      return [{ value: node.value as string, prefix: false }];
    case "ConditionalExpression":
      return [...literals(node.consequent as Node), ...literals(node.alternate as Node)];
    case "ParenthesisExpression":
    case "TsAsExpression":
    case "TsConstAssertion":
      return literals(node.expression as Node);
    case "TemplateLiteral": {
      const quasis = node.quasis as { raw: string }[];
      if (quasis.length === 1) return [{ value: quasis[0]!.raw, prefix: false }];
      return quasis[0]!.raw ? [{ value: quasis[0]!.raw, prefix: true }] : [];
    }
    default:
      return [];
  }
}

const numberOf = (node: Node | undefined): number | null => (node?.type === "NumericLiteral" ? (node.value as number) : null);

function walk(node: unknown, visit: (node: Node) => void) {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (!isNode(node) && (typeof node !== "object" || node === null)) return;
  if (isNode(node)) visit(node);
  for (const [key, value] of Object.entries(node as object)) if (key !== "span" && typeof value === "object") walk(value, visit);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** The problem codes made anywhere under `dirs` (relative to `root`). */
export function thrownCodes(root: string, dirs = ["src", "durable-objects"]): ThrownCode[] {
  const found: ThrownCode[] = [];
  // src/lib/errors.ts defines the factories read above.
  for (const file of dirs.flatMap((dir) => sourceFiles(join(root, dir))).filter((file) => !file.endsWith(join("src", "lib", "errors.ts")))) {
    const text = readFileSync(file, "utf8");
    const module = parseSync(text, { syntax: "typescript", target: "es2022" });
    // swc spans count from the start of everything it parsed in this process: make them relative to this file.
    const base = (module.span as { start: number }).start;
    const lineOf = (node: Node) => text.slice(0, (node.span as { start: number }).start - base).split("\n").length;
    // A code held in a name first: a factory's parameter default (`code = "template_invalid"`, the code
    // its calls without one make) or a constant (`const code = status === 415 ? "…" : "…"`).
    const defaults = new Map<string, { value: string; prefix: boolean }[]>();
    walk(module, (node) => {
      const [name, value] =
        node.type === "AssignmentPattern" ? [node.left as Node, node.right as Node] : node.type === "VariableDeclarator" ? [node.id as Node, node.init as Node | undefined] : [];
      if (name?.type !== "Identifier") return;
      const given = literals(value);
      if (given.length) defaults.set(name.value as string, [...(defaults.get(name.value as string) ?? []), ...given]);
    });
    const codesOf = (node: Node | undefined) => (node?.type === "Identifier" ? (defaults.get(node.value as string) ?? []) : literals(node));
    const add = (node: Node, status: number | null, codes: { value: string; prefix: boolean }[]) => {
      for (const { value, prefix } of codes) found.push({ code: value, prefix, status, file: relative(root, file), line: lineOf(node) });
    };
    walk(module, (node) => {
      const args = Array.isArray(node.arguments) ? (node.arguments as Arg[]).map((arg) => arg.expression) : undefined;
      if (node.type === "CallExpression") {
        const callee = node.callee as Node;
        // problems.conflict("sold_out", …) and the other factories
        if (callee.type === "MemberExpression" && (callee.object as Node).type === "Identifier" && (callee.object as Node).value === "problems") {
          const factory = FACTORIES[((callee.property as Node).value as string) ?? ""];
          if (!factory) return;
          const given = factory.codeArg !== undefined ? literals(args?.[factory.codeArg]) : [];
          add(node, factory.status, given.length ? given : factory.code ? [{ value: factory.code, prefix: false }] : []);
          return;
        }
        // the EventDO's fail(409, "sold_out", …)
        if (callee.type === "Identifier" && callee.value === "fail" && numberOf(args?.[0]) !== null) add(node, numberOf(args?.[0]), literals(args?.[1]));
        return;
      }
      if (node.type === "NewExpression" && (node.callee as Node).type === "Identifier" && (node.callee as Node).value === "ProblemError") {
        add(node, numberOf(args?.[0]), codesOf(args?.[1]));
        return;
      }
      // { status: 409, code: "promo_code_exhausted", detail } travelling as a value
      if (node.type === "ObjectExpression") {
        const props = (node.properties as Node[]).filter((p) => p.type === "KeyValueProperty");
        const prop = (name: string) => props.find((p) => ((p.key as Node).value as string) === name)?.value as Node | undefined;
        const status = numberOf(prop("status"));
        const codes = literals(prop("code"));
        if (status !== null && status >= 400 && codes.length) add(node, status, codes);
      }
    });
  }
  return found;
}
