/**
 * The whole D1 schema: each domain owns its tables in `src/<domain>/schema.ts`;
 * drizzle-kit reads this file to generate `migrations/`.
 */
export * from "../users/schema.ts";
export * from "../auth/schema.ts";
export * from "../notifications/schema.ts";
export * from "../notifications/dead-letters.ts";
