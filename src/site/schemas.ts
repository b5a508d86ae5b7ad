import { z } from "@hono/zod-openapi";
import { emailSchema } from "../auth/schemas.ts";
import { LANGUAGES } from "../db/enums.ts";
import { pageQuery } from "../lib/pagination.ts";
import { phoneSchema } from "../lib/phone.ts";
import { booleanQuery, instant } from "../lib/schemas.ts";
import {
  AUDIT_ACTIONS,
  auditSnapshotSchema,
  CONTACT_CATEGORIES,
  CONTACT_STATUSES,
  FAQ_CATEGORIES,
  SETTING_VALUE_TYPES,
  SYSTEM_SEVERITIES,
  SYSTEM_STATES,
} from "./schema.ts";
import type { ContactRow } from "./contact.ts";
import type { FaqRow } from "./faq.ts";
import type { SettingRow } from "./settings.ts";
import { typedValue } from "./settings.ts";

const uuid = z.uuid();

// ---------------------------------------------------------------- settings

export const settingKeyParam = z.object({
  key: z
    .string()
    .regex(/^[a-z][a-z0-9_.-]{0,99}$/, { message: "Lower-case letters, digits, `_`, `.` and `-`, starting with a letter (at most 100)." })
    .openapi({ param: { name: "key", in: "path" }, example: "support.email" }),
});
const settingCategory = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,49}$/, { message: "Lower-case letters, digits, `_` and `-`, starting with a letter (at most 50)." })
  .openapi({ example: "public" });
const settingText = z.string().max(10_000).openapi({ description: "The value as text, checked against `value_type`: INTEGER `42`, FLOAT `2.5`, BOOLEAN `true`/`false`, JSON any JSON text." });

export const SettingSchema = z
  .object({
    id: z.string(),
    key: z.string(),
    value: z.string(),
    value_type: z.enum(SETTING_VALUE_TYPES),
    typed_value: z.unknown().openapi({ description: "`value` parsed per `value_type` (null if the stored text does not fit it)." }),
    description: z.string().nullable(),
    category: z.string(),
    is_editable: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Setting");

export const toSetting = (row: SettingRow): z.infer<typeof SettingSchema> => ({ ...row, typed_value: typedValue(row) });

export const SettingCreateBody = z
  .strictObject({
    key: settingKeyParam.shape.key,
    value: settingText,
    value_type: z.enum(SETTING_VALUE_TYPES).default("STRING"),
    description: z.string().trim().max(1000).nullable().optional(),
    category: settingCategory.optional().openapi({ description: "Default `general`; settings in `public` are readable by anyone at /v1/settings/public." }),
    is_editable: z.boolean().optional().openapi({ description: "Default true. False locks the setting: the API no longer changes or deletes it." }),
  })
  .openapi("SettingCreateRequest");

export const SettingUpdateBody = z
  .strictObject({
    value: settingText.optional(),
    value_type: z.enum(SETTING_VALUE_TYPES).optional(),
    description: z.string().trim().max(1000).nullable().optional(),
    category: settingCategory.optional(),
    is_editable: z.boolean().optional().openapi({ description: "False locks the setting for good." }),
  })
  .openapi("SettingUpdateRequest");

export const SettingQuery = z.object({ category: settingCategory.optional(), ...pageQuery });

export const PublicSettingsSchema = z.record(z.string(), z.unknown()).openapi("PublicSettings", { example: { "support.email": "support@spotvibe.bj" } });

// ---------------------------------------------------------------- audit log

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    user_id: z.string().nullable(),
    action: z.enum(AUDIT_ACTIONS),
    description: z.string(),
    object_type: z.string().nullable(),
    object_id: z.string().nullable(),
    ip_address: z.string().nullable(),
    user_agent: z.string().nullable(),
    data_before: auditSnapshotSchema.nullable(),
    data_after: auditSnapshotSchema.nullable(),
    created_at: z.string(),
  })
  .openapi("AuditEntry");

export const AuditQuery = z
  .object({
    object_type: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, { message: "A table name, e.g. events." }).optional(),
    object_id: z.string().min(1).max(100).optional(),
    user_id: uuid.optional(),
    action: z.enum(AUDIT_ACTIONS).optional(),
    from: instant.optional().openapi({ description: "Entries at or after this instant." }),
    to: instant.optional().openapi({ description: "Entries before this instant." }),
    ...pageQuery,
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "`from` must not be after `to`.", path: ["to"] });

// ---------------------------------------------------------------- contact messages

export const contactIdParam = z.object({ message_id: uuid.openapi({ param: { name: "message_id", in: "path" } }) });

export const ContactBody = z
  .strictObject({
    name: z.string().trim().min(1).max(150),
    email: emailSchema,
    phone: phoneSchema.optional(),
    category: z.enum(CONTACT_CATEGORIES),
    subject: z.string().trim().min(1).max(200),
    message: z.string().trim().min(1).max(5000),
  })
  .openapi("ContactRequest");

/** What the sender sees of their message. */
export const OwnContactMessageSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    phone: z.string().nullable(),
    category: z.enum(CONTACT_CATEGORIES),
    subject: z.string(),
    message: z.string(),
    status: z.enum(CONTACT_STATUSES),
    response: z.string().nullable(),
    created_at: z.string(),
    handled_at: z.string().nullable(),
    resolved_at: z.string().nullable(),
  })
  .openapi("OwnContactMessage");

export const ContactMessageSchema = OwnContactMessageSchema.extend({
  user_id: z.string().nullable(),
  assigned_to: z.string().nullable(),
  ip_address: z.string().nullable(),
  updated_at: z.string(),
}).openapi("ContactMessage");

export const toOwnContactMessage = (row: ContactRow): z.infer<typeof OwnContactMessageSchema> => ({
  id: row.id,
  name: row.name,
  email: row.email,
  phone: row.phone,
  category: row.category,
  subject: row.subject,
  message: row.message,
  status: row.status,
  response: row.response,
  created_at: row.created_at,
  handled_at: row.handled_at,
  resolved_at: row.resolved_at,
});

export const ContactQuery = z.object({ status: z.enum(CONTACT_STATUSES).optional(), assigned_to: uuid.optional(), ...pageQuery });

export const ContactUpdateBody = z
  .strictObject({
    status: z.enum(CONTACT_STATUSES).optional().openapi({ description: "Only forward: NEW → IN_PROGRESS → RESOLVED → CLOSED." }),
    assigned_to: uuid.nullable().optional().openapi({ description: "An active admin, or null to unassign." }),
  })
  .openapi("ContactUpdateRequest");

export const ContactReplyBody = z.strictObject({ reply: z.string().trim().min(1).max(10_000) }).openapi("ContactReplyRequest");

// ---------------------------------------------------------------- FAQ

export const faqIdParam = z.object({ faq_id: uuid.openapi({ param: { name: "faq_id", in: "path" } }) });

export const FaqSchema = z
  .object({
    id: z.string(),
    question: z.string(),
    answer: z.string(),
    category: z.enum(FAQ_CATEGORIES),
    language: z.enum(LANGUAGES),
    display_order: z.number().int(),
    view_count: z.number().int(),
    helpful_yes_count: z.number().int(),
    helpful_no_count: z.number().int(),
    updated_at: z.string(),
  })
  .openapi("Faq");

export const FaqDetailSchema = FaqSchema.extend({
  my_vote: z.boolean().nullable().openapi({ description: "The caller's vote: true helpful, false not helpful, null none." }),
}).openapi("FaqDetail");

export const AdminFaqSchema = FaqSchema.extend({ is_active: z.boolean(), created_by: z.string().nullable(), created_at: z.string() }).openapi("AdminFaq");

export const toFaq = (row: FaqRow): z.infer<typeof FaqSchema> => ({
  id: row.id,
  question: row.question,
  answer: row.answer,
  category: row.category,
  language: row.language,
  display_order: row.display_order,
  view_count: row.view_count,
  helpful_yes_count: row.helpful_yes_count,
  helpful_no_count: row.helpful_no_count,
  updated_at: row.updated_at,
});

export const toAdminFaq = (row: FaqRow): z.infer<typeof AdminFaqSchema> => ({
  ...toFaq(row),
  is_active: row.is_active,
  created_by: row.created_by,
  created_at: row.created_at,
});

export const FaqQuery = z.object({
  category: z.enum(FAQ_CATEGORIES).optional(),
  language: z.enum(LANGUAGES).default("fr").openapi({ description: "Default fr." }),
  ...pageQuery,
});

export const AdminFaqQuery = z.object({
  category: z.enum(FAQ_CATEGORIES).optional(),
  language: z.enum(LANGUAGES).optional(),
  is_active: booleanQuery.optional(),
  ...pageQuery,
});

const faqFields = {
  question: z.string().trim().min(1).max(500),
  answer: z.string().trim().min(1).max(10_000),
  category: z.enum(FAQ_CATEGORIES),
  language: z.enum(LANGUAGES),
  display_order: z.number().int().min(0).max(1_000_000),
  is_active: z.boolean(),
};

export const FaqCreateBody = z
  .strictObject({
    ...faqFields,
    category: faqFields.category.default("GENERAL"),
    language: faqFields.language.default("fr"),
    display_order: faqFields.display_order.default(0),
    is_active: faqFields.is_active.default(true),
  })
  .openapi("FaqCreateRequest");

export const FaqUpdateBody = z.strictObject(Object.fromEntries(Object.entries(faqFields).map(([k, v]) => [k, v.optional()])) as {
  [K in keyof typeof faqFields]: z.ZodOptional<(typeof faqFields)[K]>;
}).openapi("FaqUpdateRequest");

export const FaqVoteBody = z.strictObject({ helpful: z.boolean() }).openapi("FaqVoteRequest");

// ---------------------------------------------------------------- system status

export const statusIdParam = z.object({ status_id: uuid.openapi({ param: { name: "status_id", in: "path" } }) });

export const SystemStatusSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    status: z.enum(SYSTEM_STATES),
    severity: z.enum(SYSTEM_SEVERITIES),
    starts_at: z.string(),
    expected_end_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    show_banner: z.boolean(),
    block_access: z.boolean(),
    created_by: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("SystemStatus");

const statusFields = {
  title: z.string().trim().min(1).max(200),
  description: z.string().trim().max(5000),
  status: z.enum(SYSTEM_STATES),
  severity: z.enum(SYSTEM_SEVERITIES),
  starts_at: instant,
  expected_end_at: instant.nullable().openapi({ description: "Planned end; the window ends here unless `ended_at` is set." }),
  ended_at: instant.nullable().openapi({ description: "Actual end; set it to lift a status now." }),
  show_banner: z.boolean(),
  block_access: z.boolean().openapi({ description: "While the window covers now, the API answers 503 to everyone but admins." }),
};

export const StatusCreateBody = z
  .strictObject({
    title: statusFields.title,
    status: statusFields.status,
    description: statusFields.description.optional(),
    severity: statusFields.severity.optional(),
    starts_at: statusFields.starts_at.optional().openapi({ description: "Default now." }),
    expected_end_at: statusFields.expected_end_at.optional(),
    ended_at: statusFields.ended_at.optional(),
    show_banner: statusFields.show_banner.optional(),
    block_access: statusFields.block_access.optional(),
  })
  .openapi("SystemStatusCreateRequest");

export const StatusUpdateBody = z.strictObject(Object.fromEntries(Object.entries(statusFields).map(([k, v]) => [k, v.optional()])) as {
  [K in keyof typeof statusFields]: z.ZodOptional<(typeof statusFields)[K]>;
}).openapi("SystemStatusUpdateRequest");

export const StatusQuery = z.object({
  current: booleanQuery.optional().openapi({ description: "true: only those covering now; false: only past or upcoming." }),
  ...pageQuery,
});

export const PublicStatusSchema = z
  .object({
    status: z.enum(SYSTEM_STATES).openapi({ description: "The most serious state covering now; OPERATIONAL when none." }),
    access_blocked: z.boolean(),
    blocked_until: z.string().nullable().openapi({ description: "When the current block is expected to end, if known." }),
    current: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        description: z.string(),
        status: z.enum(SYSTEM_STATES),
        severity: z.enum(SYSTEM_SEVERITIES),
        starts_at: z.string(),
        expected_end_at: z.string().nullable(),
        show_banner: z.boolean(),
        block_access: z.boolean(),
      }),
    ),
    time: z.string(),
  })
  .openapi("PublicStatus");

/** The 204 of a route that answers nothing. */
export const noContent = { description: "Done." };
