/**
 * The project's own OpenAPI rules, as a Redocly plugin (redocly.yaml), beside
 * the recommended ones: every problem+json error response of an operation
 * says which problem `code`s it answers (`x-problem-codes`, the `enum` of its `code`),
 * so a client can handle each one by name. src/lib/openapi.ts writes them.
 */
type Report = { message: string; location: unknown };
type Context = { report: (problem: Report) => void; location: { child: (path: string | number | (string | number)[]) => unknown } };
type Response = { content?: Record<string, { schema?: { allOf?: { properties?: { code?: { enum?: string[] } } }[] } }>; "x-problem-codes"?: unknown };

function ProblemCodesDocumented() {
  return {
    Operation: {
      enter(operation: { operationId?: string; responses?: Record<string, Response> }, ctx: Context) {
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          // Error responses in problem+json (the health check's 503 is its own JSON report).
          if (!/^[45]\d\d$/.test(status) || !response.content?.["application/problem+json"]) continue;
          const where = ctx.location.child(["responses", status]);
          const codes = response["x-problem-codes"];
          if (!Array.isArray(codes) || codes.length === 0 || !codes.every((code) => typeof code === "string" && /^[a-z][a-z0-9_]*$/.test(code))) {
            ctx.report({ message: `${status} does not list its problem codes (x-problem-codes): declare them on the route with errors(…) from src/problem-codes.ts.`, location: where });
            continue;
          }
          const schemaCodes = response.content?.["application/problem+json"]?.schema?.allOf?.[1]?.properties?.code?.enum;
          if (!schemaCodes || schemaCodes.join() !== codes.join()) {
            ctx.report({ message: `${status}: the problem+json schema's code enum is not the documented codes.`, location: where });
          }
        }
      },
    },
  };
}

export default function edgeEventsRules() {
  return {
    id: "edge-events",
    rules: { oas3: { "problem-codes-documented": ProblemCodesDocumented } },
  };
}
