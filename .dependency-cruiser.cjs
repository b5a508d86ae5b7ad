// The import rules `npm run deps:check` enforces (part of `npm test`); docs/architecture.md
// explains the layering. TypeScript is parsed with swc (dependency-cruiser's TypeScript
// parser needs the typescript compiler API, which TypeScript 7 no longer ships); swc marks
// `import type` as type-only, which the no-circular rule ignores: those vanish at runtime.

/** Drizzle table files: every `schema.ts`, and the tables kept apart from one to keep the schema files acyclic. */
const TABLES = "^src/([a-z]+/schema|catalog/rule-uses|passes/(bookings|renewals|upgrades|instalments|transfers)-schema)\\.ts$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      // No exception, the table files included: where two tables point at each other (a payment and the order or pass it
      // settles), only one side is a drizzle foreign key and D1 triggers keep the other
      // (migrations/*_settling_payment_triggers.sql), so that the table files import one way.
      comment: "No runtime import cycles: a cycle makes module load order matter and hides which domain depends on which.",
      from: {},
      to: {
        circular: true,
        dependencyTypesNot: ["type-only"],
        viaOnly: { dependencyTypesNot: ["type-only"] },
      },
    },
    {
      name: "lib-knows-no-domain",
      severity: "error",
      comment: "src/lib is generic: it imports no domain and no database (src/env.ts's types excepted).",
      from: { path: "^src/lib/" },
      to: { path: "^src/", pathNot: ["^src/lib/", "^src/env\\.ts$"] },
    },
    {
      name: "product-imports-no-tests-or-tools",
      severity: "error",
      comment: "The Worker and its Durable Objects never import tests, scripts or benchmarks.",
      from: { path: "^(src|durable-objects)/" },
      to: { path: "^(test|scripts|bench)/" },
    },
    {
      name: "services-import-no-routes",
      severity: "error",
      comment: "Routes → services → schema: only the app (src/app.ts) mounts routers; nothing else imports a routes module.",
      from: { path: "^(src|durable-objects)/", pathNot: ["^src/app\\.ts$", "(^|/|-)routes\\.ts$"] },
      to: { path: "(/|-)routes\\.ts$" },
    },
    {
      name: "tables-import-only-tables",
      severity: "error",
      comment: "Table files import only other tables, column helpers and lib: drizzle-kit loads them alone, and they must not reach the database client.",
      from: { path: TABLES },
      to: {
        path: "^src/",
        pathNot: [TABLES, "^src/db/(columns|enums)\\.ts$", "^src/lib/", "^src/payments/providers/types\\.ts$"],
      },
    },
    {
      name: "dashboard-speaks-only-the-api",
      severity: "error",
      comment:
        "The dashboard is a client of the public API: it imports no Worker code. Only types cross over, and only the gate protocol's (the WebSocket messages, which OpenAPI does not describe); request and response types come from the generated dashboard/src/api/schema.d.ts.",
      from: { path: "^dashboard/src/" },
      to: { path: "^(src|durable-objects|scripts|bench|test)/", pathNot: "^durable-objects/event/gate-protocol\\.ts$" },
    },
    {
      name: "dashboard-takes-only-types-of-the-gate-protocol",
      severity: "error",
      comment: "A runtime import of the gate protocol would bundle Worker code (zod schemas) into the dashboard.",
      from: { path: "^dashboard/src/" },
      to: { path: "^durable-objects/event/gate-protocol\\.ts$", dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    parser: "swc",
    includeOnly: "^(src|durable-objects|scripts|bench|test|dashboard/src)/",
    doNotFollow: { path: "node_modules" },
    moduleSystems: ["es6"],
    reporterOptions: { text: { highlightFocused: true } },
  },
};
