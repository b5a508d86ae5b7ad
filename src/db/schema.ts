/**
 * The whole D1 schema: each domain owns its tables in `src/<domain>/schema.ts`;
 * drizzle-kit reads this file to generate `migrations/`.
 */
export * from "../users/schema.ts";
export * from "../organizations/schema.ts";
export * from "../auth/schema.ts";
export * from "../notifications/schema.ts";
export * from "../site/schema.ts";
export * from "../events/schema.ts";
export * from "../catalog/schema.ts";
export * from "../catalog/rule-uses.ts";
export * from "../orders/schema.ts";
export * from "../access/schema.ts";
export * from "../passes/schema.ts";
export * from "../passes/bookings-schema.ts";
export * from "../passes/upgrades-schema.ts";
export * from "../passes/transfers-schema.ts";
export * from "../passes/instalments-schema.ts";
export * from "../passes/renewals-schema.ts";
export * from "../payments/schema.ts";
export * from "../documents/schema.ts";
export * from "../backoffice/schema.ts";
