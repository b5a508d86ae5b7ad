import type { Env } from "../env.ts";
import { problems } from "../lib/errors.ts";
import { applicableTemplate } from "../catalog/templates.ts";
import type { ticket_templates } from "../catalog/schema.ts";
import { readElements, type Elements, type TemplateFormat } from "./elements.ts";
import { DOCUMENT_LANGUAGES, type Language } from "./labels.ts";

type TemplateRow = typeof ticket_templates.$inferSelect;
export type TemplateType = TemplateRow["type"];

/** A template as the renderers use it: the stored row's layout with its elements checked. */
export interface DocumentTemplate {
  /** null: the built-in layout (no template of this type and format exists for the event's organization or the platform). */
  id: string | null;
  code: string;
  type: TemplateType;
  format: TemplateFormat;
  paper_size: string | null;
  orientation: "PORTRAIT" | "LANDSCAPE";
  elements: Elements;
  layout: Record<string, unknown>;
  languages: Language[];
  metadata: Record<string, unknown>;
  /** Changes when the template does: part of the cache key of what it drew. */
  version: string;
}

const all = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, true]));

/** The platform's built-in layouts, used until an admin sets a default template of the type and format. */
const BUILT_IN: Record<TemplateFormat, Omit<TemplateRow, "id" | "type" | "created_at" | "updated_at" | "description" | "category" | "design_url" | "css_url" | "requires_printer" | "metadata" | "is_default" | "is_active">> = {
  PDF: {
    code: "BUILT_IN_PDF",
    organization_id: null,
    name: "Billet A4",
    format: "PDF",
    paper_size: "A4",
    orientation: "PORTRAIT",
    elements: {
      header: all(["logo", "club_name", "event_type"]),
      main_info: all(["event_title", "event_date", "event_time", "doors_open", "venue", "teams"]),
      ticket_info: all(["holder_name", "zone", "gate", "seat", "price", "ticket_type", "ticket_number"]),
      qr_code: { size: "large", position: "center", include_text: true },
      footer: all(["terms", "support_contact", "sponsors"]),
    },
    layout: { colors: { primary: "#0B3D91", text: "#111111" } },
    languages: ["fr", "ar", "en"],
    version: "1.0.0",
  },
  THERMAL: {
    code: "BUILT_IN_THERMAL",
    organization_id: null,
    name: "Ticket thermique 80 mm",
    format: "THERMAL",
    paper_size: "THERMAL_80MM",
    orientation: "PORTRAIT",
    elements: {
      header: all(["club_name"]),
      main_info: all(["event_title", "event_date", "event_time", "venue"]),
      ticket_info: all(["holder_name", "zone", "gate", "seat", "price", "ticket_type", "ticket_number"]),
      qr_code: { size: "large", position: "center", include_text: true },
      footer: all(["terms"]),
    },
    layout: {},
    languages: ["fr", "ar"],
    version: "1.0.0",
  },
  MOBILE: {
    code: "BUILT_IN_MOBILE",
    organization_id: null,
    name: "Pass mobile",
    format: "MOBILE",
    paper_size: null,
    orientation: "PORTRAIT",
    elements: {
      header: all(["event_name", "event_date", "logo"]),
      primary_fields: all(["event_name"]),
      secondary_fields: all(["event_date", "gate", "holder_name"]),
      auxiliary_fields: all(["zone", "ticket_type", "price"]),
      back_fields: all(["terms", "venue_map", "support_contact"]),
      barcode: { format: "QR", message: "dynamic", encoding: "iso-8859-1" },
    },
    layout: { background_color: "#0B3D91", foreground_color: "#FFFFFF", label_color: "#C8D6F0" },
    languages: ["fr", "ar", "en"],
    version: "1.0.0",
  },
  PLASTIC_CARD: {
    code: "BUILT_IN_CARD",
    organization_id: null,
    name: "Carte d'abonné CR80",
    format: "PLASTIC_CARD",
    paper_size: "CARD_86X54",
    orientation: "LANDSCAPE",
    elements: {
      front: all(["background_image", "club_logo", "season", "subscriber_photo", "subscriber_name", "subscriber_number", "card_type", "nfc_indicator"]),
      back: all(["qr_code", "terms_summary", "emergency_contact", "validity_dates", "signature_area"]),
    },
    layout: { colors: { primary: "#0B3D91", text: "#111111" } },
    languages: ["fr", "ar"],
    version: "1.0.0",
  },
};

function toDocumentTemplate(row: Omit<TemplateRow, "id" | "created_at" | "updated_at"> & { id: string | null; updated_at: string | null }): DocumentTemplate {
  const format = row.format as TemplateFormat;
  return {
    id: row.id,
    code: row.code,
    type: row.type,
    format,
    paper_size: row.paper_size,
    orientation: row.orientation,
    elements: readElements(format, row.elements),
    layout: row.layout,
    languages: (row.languages.length > 0 ? row.languages : ["fr"]).filter((l): l is Language => (DOCUMENT_LANGUAGES as readonly string[]).includes(l)),
    metadata: row.metadata ?? {},
    version: `${row.version}@${row.updated_at ?? "built-in"}`,
  };
}

/**
 * The template a document is drawn with: the organizer's own, else the
 * platform's default, else the built-in layout. A template with elements
 * its format cannot draw is a 422 `template_invalid` naming each one.
 */
export async function templateFor(env: Env, organizationId: string | null, type: TemplateType, format: TemplateFormat): Promise<DocumentTemplate> {
  const row = await applicableTemplate(env, organizationId, type, format);
  if (row) return toDocumentTemplate(row);
  return toDocumentTemplate({ ...BUILT_IN[format], id: null, type, description: null, category: null, design_url: null, css_url: null, requires_printer: null, metadata: null, is_default: true, is_active: true, updated_at: null });
}

/** The document's language: the one asked for if the template prints it, else the holder's, else the template's first. */
export function languageFor(template: DocumentTemplate, asked: Language | undefined, holder: string | null): Language {
  if (asked && !template.languages.includes(asked)) {
    throw problems.validation([{ path: "lang", message: `This ticket template prints ${template.languages.join(", ")}.`, code: "language_not_in_template" }]);
  }
  if (asked) return asked;
  if (holder && template.languages.includes(holder as Language)) return holder as Language;
  return template.languages[0] ?? "fr";
}

/** `#RRGGBB` → pdf-lib rgb components, or the fallback. */
export function hexColor(value: unknown, fallback: [number, number, number]): [number, number, number] {
  if (typeof value !== "string" || !/^#[0-9a-fA-F]{6}$/.test(value)) return fallback;
  return [1, 3, 5].map((i) => parseInt(value.slice(i, i + 2), 16) / 255) as [number, number, number];
}

/** A nested setting of the layout (`colors.primary`), or undefined. */
export function layoutValue(template: DocumentTemplate, path: string): unknown {
  return path.split(".").reduce<unknown>((at, key) => (at && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined), template.layout);
}
