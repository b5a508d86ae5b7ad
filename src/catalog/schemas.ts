import { z } from "@hono/zod-openapi";
import { ZONE_CATEGORIES } from "../events/schema.ts";

// Request fields the catalog's schemas share (src/catalog/*-schemas.ts hold each job's requests and views).

/** Largest quantity of one ticket configuration (a stadium is far below). */
export const MAX_QUANTITY = 10_000_000;

/** Technical codes (TRIBUNE, GROUP_10PLUS, SEASON_TRIBUNE_2025), stored upper-case. */
export const code = (max: number) =>
  z
    .string()
    .trim()
    .toUpperCase()
    .regex(new RegExp(`^[A-Z0-9][A-Z0-9_.-]{0,${max - 1}}$`), { message: "Letters, digits, '_', '.' or '-', starting with a letter or digit." })
    .openapi({ example: "TRIBUNE" });

/** Each item of a replaced list names its key once. */
export const uniqueBy =
  <T>(key: (item: T) => string, field: string) =>
  (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(key(item))) ctx.addIssue({ code: "custom", path: [i, field], message: `Listed twice: ${key(item)}.` });
      seen.add(key(item));
    });
  };

/** At most one item of a zone list is the primary zone. */
const onePrimary = (items: { is_primary: boolean }[], ctx: z.RefinementCtx) => {
  if (items.filter((item) => item.is_primary).length > 1) ctx.addIssue({ code: "custom", path: [], message: "At most one zone category is primary." });
};

/** A replaced list of zone categories: each named once, at most one primary. */
export const zoneList = <T extends z.ZodType<{ zone_category: string; is_primary: boolean }>>(item: T) =>
  z
    .array(item)
    .max(ZONE_CATEGORIES.length)
    .superRefine(uniqueBy((zone) => zone.zone_category, "zone_category"))
    .superRefine(onePrimary);

/** The 204 of a DELETE. */
export const noContent = { description: "Deleted." };
export const owned = "Needs `catalog.manage` in its organization (OWNER, MANAGER; its other members get 403); admins manage all. Another organization's object is 404.";
