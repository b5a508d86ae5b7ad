import { z } from "zod";
import { ProblemError, type FieldError } from "../lib/errors.ts";

/**
 * What a template's `elements` may name, per output format: section →
 * field → the value it takes (true/false to show a field or not, or an
 * option). These are the sections of the Entrix specification's three
 * example templates, each drawn by the renderer of its format; a template
 * naming anything else cannot be rendered and is refused with the path of
 * every unknown entry, rather than silently printing less than it asks.
 */
const flag = z.boolean();

const PRINTED = {
  header: { logo: flag, club_name: flag, event_type: flag },
  main_info: { event_title: flag, event_date: flag, event_time: flag, doors_open: flag, venue: flag, teams: flag },
  ticket_info: { holder_name: flag, zone: flag, gate: flag, seat: flag, price: flag, ticket_type: flag, ticket_number: flag },
  qr_code: { size: z.enum(["small", "medium", "large"]), position: z.enum(["left", "center", "right"]), include_text: flag },
  footer: { terms: flag, support_contact: flag, sponsors: flag },
} as const;

const CARD = {
  front: { background_image: flag, club_logo: flag, season: flag, subscriber_photo: flag, subscriber_name: flag, subscriber_number: flag, card_type: flag, nfc_indicator: flag },
  back: { qr_code: flag, barcode: flag, terms_summary: flag, emergency_contact: flag, validity_dates: flag, signature_area: flag },
} as const;

const WALLET = {
  header: { event_name: flag, event_date: flag, logo: flag },
  primary_fields: { event_name: flag, zone: flag, seat: flag },
  secondary_fields: { event_date: flag, doors_open: flag, gate: flag, holder_name: flag },
  auxiliary_fields: { ticket_type: flag, price: flag, ticket_number: flag, zone: flag },
  back_fields: { terms: flag, venue_map: flag, transport_info: flag, support_contact: flag },
  barcode: { format: z.enum(["QR"]), message: z.enum(["dynamic"]), encoding: z.enum(["UTF-8", "iso-8859-1"]) },
} as const;

export const VOCABULARY = { PDF: PRINTED, THERMAL: PRINTED, PLASTIC_CARD: CARD, MOBILE: WALLET } as const;
export type TemplateFormat = keyof typeof VOCABULARY;

type Vocabulary = Record<string, Record<string, z.ZodType>>;

/** The elements of one template, checked: `on(section, field)` says whether a field is drawn, `option` reads a setting. */
export interface Elements {
  on(section: string, field: string): boolean;
  option<T extends string>(section: string, field: string, fallback: T): T;
  flag(section: string, field: string, fallback: boolean): boolean;
  sections: Record<string, Record<string, unknown>>;
}

export const templateInvalid = (errors: FieldError[], code = "template_invalid") =>
  new ProblemError(
    422,
    code,
    "Unusable ticket template",
    "The ticket template names elements its format cannot draw; change the template (PATCH /v1/ticket-templates/{id}) or choose another.",
    errors,
  );

/** What in a template's elements its format cannot draw: one error per unknown or ill-typed entry. */
export function elementErrors(format: TemplateFormat, elements: Record<string, Record<string, unknown>>): FieldError[] {
  const vocabulary = VOCABULARY[format] as Vocabulary;
  const errors: FieldError[] = [];
  for (const [section, fields] of Object.entries(elements)) {
    const known = vocabulary[section];
    if (!known) {
      errors.push({ path: `elements.${section}`, message: `Unknown section for ${format}; known: ${Object.keys(vocabulary).join(", ")}.`, code: "unknown_element" });
      continue;
    }
    for (const [field, value] of Object.entries(fields)) {
      const schema = known[field];
      if (!schema) errors.push({ path: `elements.${section}.${field}`, message: `Unknown field of ${section}; known: ${Object.keys(known).join(", ")}.`, code: "unknown_element" });
      else if (!schema.safeParse(value).success) errors.push({ path: `elements.${section}.${field}`, message: "Not a value this field takes.", code: "invalid_element" });
    }
  }
  return errors;
}

/** A stored template's elements, checked: a template saved before a check existed is refused when drawn (422 template_invalid). */
export function readElements(format: TemplateFormat, elements: Record<string, Record<string, unknown>>): Elements {
  const errors = elementErrors(format, elements);
  if (errors.length > 0) throw templateInvalid(errors);
  return {
    sections: elements,
    on: (section, field) => elements[section]?.[field] === true,
    option: (section, field, fallback) => (elements[section]?.[field] as typeof fallback | undefined) ?? fallback,
    flag: (section, field, fallback) => (typeof elements[section]?.[field] === "boolean" ? (elements[section]![field] as boolean) : fallback),
  };
}
