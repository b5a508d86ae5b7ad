import { z } from "@hono/zod-openapi";
import { pageQuery } from "../lib/pagination.ts";
import { booleanQuery, text } from "../lib/schemas.ts";
import { TEMPLATE_FORMATS, TEMPLATE_ORIENTATIONS, TEMPLATE_TYPES, templateElementsSchema, templateLanguagesSchema, templateLayoutSchema, ticketTemplateMetadataSchema, type ticket_templates } from "./schema.ts";
import { code } from "./schemas.ts";
import { organizationField, organizationFilter, organizationOut } from "../organizations/schemas.ts";

type TemplateRow = typeof ticket_templates.$inferSelect;
export const templateIdParam = z.object({ template_id: z.uuid().openapi({ param: { name: "template_id", in: "path" } }) });

/** A design or stylesheet: an https URL or a path served by the platform (/templates/…). */
const assetRef = z
  .string()
  .trim()
  .max(500)
  .regex(/^(https:\/\/[^\s]+|\/[A-Za-z0-9._~\/-]+)$/, { message: "An https URL or an absolute path such as /templates/styles/ticket.css." });

const templateFields = {
  code: code(50),
  name: text(100),
  description: z.string().trim().max(2000).nullable(),
  type: z.enum(TEMPLATE_TYPES),
  category: z.string().trim().toUpperCase().regex(/^[A-Z0-9_]{1,50}$/).nullable().openapi({ example: "MATCH" }),
  format: z.enum(TEMPLATE_FORMATS),
  paper_size: z.string().trim().toUpperCase().regex(/^[A-Z0-9_]{1,20}$/).nullable().openapi({ example: "A4" }),
  orientation: z.enum(TEMPLATE_ORIENTATIONS),
  design_url: assetRef.nullable(),
  css_url: assetRef.nullable(),
  elements: templateElementsSchema
    .refine((elements) => Object.keys(elements).length > 0, { message: "Name at least one section and the fields it shows." })
    .openapi({ description: "Section → fields shown, e.g. {\"qr_code\": {\"size\": \"large\"}}." }),
  // A copy made here, where @hono/zod-openapi has extended zod: the drizzle schema may be loaded first.
  layout: templateLayoutSchema.clone().openapi({ description: "Margins, sections, fonts, colours or the card / wallet-pass specification." }),
  languages: templateLanguagesSchema.refine((list) => new Set(list).size === list.length, { message: "Each language once." }),
  is_default: z.boolean().openapi({ description: "Admins only: the default template of its type and format; setting it clears the previous default." }),
  requires_printer: z.string().trim().max(100).nullable(),
  version: z.string().regex(/^\d{1,4}\.\d{1,4}\.\d{1,4}$/, { message: "A version such as 2.0.0." }),
  is_active: z.boolean(),
  metadata: ticketTemplateMetadataSchema.nullable(),
  organization_id: organizationField,
};

export const TemplateCreateBody = z
  .strictObject({
    ...templateFields,
    description: templateFields.description.optional(),
    category: templateFields.category.optional(),
    paper_size: templateFields.paper_size.optional(),
    orientation: templateFields.orientation.default("PORTRAIT"),
    design_url: templateFields.design_url.optional(),
    css_url: templateFields.css_url.optional(),
    languages: templateFields.languages.default(["fr"]),
    is_default: templateFields.is_default.default(false),
    requires_printer: templateFields.requires_printer.optional(),
    is_active: templateFields.is_active.default(true),
    metadata: templateFields.metadata.optional(),
    organization_id: templateFields.organization_id.optional(),
  })
  .openapi("TicketTemplateCreateRequest");

export const TemplateUpdateBody = z.strictObject(templateFields).partial().openapi("TicketTemplateUpdateRequest", { description: "Only the fields sent change." });

export const TemplateListQuery = z.object({
  type: z.enum(TEMPLATE_TYPES).optional(),
  format: z.enum(TEMPLATE_FORMATS).optional(),
  is_active: booleanQuery.optional(),
  mine: booleanQuery.optional().openapi({ description: "`true`: only my organizations' templates." }),
  organization_id: organizationFilter,
  ...pageQuery,
});

export const TemplateSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    type: z.enum(TEMPLATE_TYPES),
    category: z.string().nullable(),
    format: z.enum(TEMPLATE_FORMATS),
    paper_size: z.string().nullable(),
    orientation: z.enum(TEMPLATE_ORIENTATIONS),
    design_url: z.string().nullable(),
    css_url: z.string().nullable(),
    elements: templateElementsSchema,
    layout: templateLayoutSchema,
    languages: z.array(z.string()),
    is_default: z.boolean(),
    requires_printer: z.string().nullable(),
    version: z.string(),
    is_active: z.boolean(),
    metadata: ticketTemplateMetadataSchema.nullable(),
    organization_id: organizationOut,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("TicketTemplate");

export const toTemplate = (row: TemplateRow): z.infer<typeof TemplateSchema> => ({
  id: row.id,
  code: row.code,
  name: row.name,
  description: row.description,
  type: row.type,
  category: row.category,
  format: row.format,
  paper_size: row.paper_size,
  orientation: row.orientation,
  design_url: row.design_url,
  css_url: row.css_url,
  elements: row.elements,
  layout: row.layout,
  languages: row.languages,
  is_default: row.is_default,
  requires_printer: row.requires_printer,
  version: row.version,
  is_active: row.is_active,
  metadata: row.metadata ?? null,
  organization_id: row.organization_id,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

export type TemplateCreateInput = z.infer<typeof TemplateCreateBody>;
export type TemplateUpdateInput = z.infer<typeof TemplateUpdateBody>;
