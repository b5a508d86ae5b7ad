import { PDFDocument, rgb, type Color, type PDFImage, type PDFPage } from "pdf-lib";
import { formatMoney } from "../lib/money.ts";
import type { EventFacts, RightFacts } from "./facts.ts";
import { DocumentFonts } from "./fonts.ts";
import { DEFAULT_TERMS, formatDate, formatTime, label, sourceLabel, type LabelKey, type Language } from "./labels.ts";
import { drawQr } from "./qr.ts";
import { hexColor, layoutValue, type DocumentTemplate } from "./templates.ts";
import { Typesetter, type Align } from "./text.ts";

/**
 * Printed tickets: PDF pages (A4 or A5, either orientation; one right per
 * page, an order as one file) and thermal receipts (80 mm wide, as tall as
 * their content; one right per receipt). What is drawn follows the
 * template's elements; the QR code is always drawn, since a ticket without
 * it admits no one. Arabic documents are laid out right to left.
 */

export interface Logo {
  bytes: Uint8Array;
  type: "image/png" | "image/jpeg";
}

export interface PrintedRight {
  facts: RightFacts;
  /** The right's current QR token. */
  token: string;
}

export interface PrintInput {
  template: DocumentTemplate;
  language: Language;
  event: EventFacts;
  rights: PrintedRight[];
  logo: Logo | null;
}

const MM = 72 / 25.4;
const PAPER: Record<string, [number, number]> = { A4: [595.28, 841.89], A5: [419.53, 595.28], LETTER: [612, 792] };

/** "Zone / المنطقة / Zone": the document's language first, then the template's others. */
function labelIn(template: DocumentTemplate, language: Language, key: LabelKey): string {
  return [language, ...template.languages.filter((l) => l !== language)].map((l) => label(key, l)).filter((v, i, all) => all.indexOf(v) === i).join(" / ");
}

/** What a right prints in each ticket field, or null to leave the field out. */
function fieldValues(input: PrintInput, right: PrintedRight, language: Language) {
  const { facts } = right;
  const event = input.event;
  return {
    holder_name: facts.holder.name || null,
    ticket_type: facts.ticket_type ?? sourceLabel(facts.right.source_type === "TRANSFER" ? "" : facts.right.source_type, language),
    zone: facts.zone?.name ?? null,
    gate: facts.gates.length ? facts.gates.join(", ") : null,
    seat: facts.seat ? `${label("section", language)} ${facts.seat.section} · ${label("row", language)} ${facts.seat.row} · ${label("seat", language)} ${facts.seat.number}` : null,
    price: facts.price ? (facts.price.amount === 0 ? label("free", language) : formatMoney(facts.price.amount, facts.price.currency, language)) : null,
    ticket_number: facts.reference,
    event_date: formatDate(event.starts_at, event.timezone, language),
    event_time: formatTime(event.starts_at, event.timezone, language),
    doors_open: event.doors_open_at ? formatTime(event.doors_open_at, event.timezone, language) : null,
  };
}

function termsOf(template: DocumentTemplate, language: Language): string {
  const terms = template.metadata.terms;
  if (terms && typeof terms === "object" && typeof (terms as Record<string, unknown>)[language] === "string") return (terms as Record<string, string>)[language]!;
  return DEFAULT_TERMS[language];
}

const sponsorsOf = (template: DocumentTemplate) => (Array.isArray(template.metadata.sponsors) ? template.metadata.sponsors.filter((s): s is string => typeof s === "string") : []);

const contactOf = (event: EventFacts) => [event.organizer.email, event.organizer.phone].filter(Boolean).join(" · ");

async function embedLogo(doc: PDFDocument, logo: Logo | null): Promise<PDFImage | null> {
  if (!logo) return null;
  return logo.type === "image/png" ? doc.embedPng(logo.bytes) : doc.embedJpg(logo.bytes);
}

/** Positions mirrored for right-to-left pages: `at(x)` is x measured from the reading side. */
function sides(width: number, rtl: boolean) {
  return {
    at: (x: number) => (rtl ? width - x : x),
    start: (rtl ? "right" : "left") as Align,
    end: (rtl ? "left" : "right") as Align,
    direction: (rtl ? "rtl" : "ltr") as "rtl" | "ltr",
  };
}

/** A4/A5 pages, one right each. */
export async function renderPdf(input: PrintInput): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`${input.event.title} – ${label("ticket", input.language)}`);
  doc.setProducer("edge-events");
  doc.setCreationDate(new Date(0));
  doc.setModificationDate(new Date(0));
  const fonts = await DocumentFonts.for(doc);
  const type = new Typesetter(fonts);
  const logo = await embedLogo(doc, input.logo);
  const { template, language, event } = input;
  const elements = template.elements;
  const [w0, h0] = PAPER[template.paper_size ?? "A4"] ?? PAPER.A4!;
  const [width, height] = template.orientation === "LANDSCAPE" ? [h0, w0] : [w0, h0];
  const margins = (layoutValue(template, "margins") ?? {}) as Record<string, number>;
  const margin = (side: string) => (typeof margins[side] === "number" ? Math.min(Math.max(margins[side]!, 5), 40) : 15) * MM;
  const rtl = language === "ar";
  const s = sides(width, rtl);
  const left = margin(rtl ? "right" : "left");
  const right = margin(rtl ? "left" : "right");
  const inner = width - left - right;
  const [pr, pg, pb] = hexColor(layoutValue(template, "colors.primary"), [0.04, 0.24, 0.57]);
  const primary = rgb(pr, pg, pb);
  const [tr, tg, tb] = hexColor(layoutValue(template, "colors.text"), [0.07, 0.07, 0.07]);
  const ink = rgb(tr, tg, tb);
  const grey = rgb(0.4, 0.4, 0.4);

  input.rights.forEach((printed, index) => {
    const page = doc.addPage([width, height]);
    const values = fieldValues(input, printed, language);
    let y = height - margin("top");

    // Header band: logo, the club (organizer), the kind of event and of document.
    const headerHeight = 64;
    page.drawRectangle({ x: 0, y: y - headerHeight + 10, width, height: headerHeight + margin("top"), color: primary });
    let textStart = left;
    if (logo && elements.on("header", "logo")) {
      const box = 44;
      const scale = Math.min(box / logo.width, box / logo.height);
      const w = logo.width * scale;
      page.drawImage(logo, { x: rtl ? width - left - w : left, y: y - 44, width: w, height: logo.height * scale });
      textStart = left + w + 10;
    }
    if (elements.on("header", "club_name")) type.draw(page, event.organizer.name, s.at(textStart), y - 22, { size: 15, bold: true, color: rgb(1, 1, 1), align: s.start });
    type.draw(page, labelIn(template, language, "ticket"), s.at(width - right), y - 22, { size: 12, bold: true, color: rgb(1, 1, 1), align: s.end, direction: s.direction });
    const kind = [event.category, event.match_type].filter(Boolean).join(" · ");
    if (kind && elements.on("header", "event_type")) type.draw(page, kind, s.at(width - right), y - 40, { size: 10, color: rgb(1, 1, 1), align: s.end });
    y -= headerHeight + 24;

    // The event.
    if (elements.on("main_info", "event_title")) {
      const size = type.fit(event.title, { size: 24, bold: true }, inner, 12);
      type.draw(page, event.title, s.at(left), y, { size, bold: true, color: ink, align: s.start });
      y -= size + 8;
    }
    if (event.teams && elements.on("main_info", "teams")) {
      type.draw(page, event.teams, s.at(left), y, { size: 14, color: ink, align: s.start });
      y -= 22;
    }
    const pair = (key: LabelKey, value: string | null, x: number, at: number, columnWidth: number) => {
      if (!value) return false;
      type.draw(page, labelIn(template, language, key), s.at(x), at, { size: 8, color: grey, align: s.start, direction: s.direction });
      type.draw(page, value, s.at(x), at - 14, { size: type.fit(value, { size: 12, bold: true }, columnWidth - 6), bold: true, color: ink, align: s.start });
      return true;
    };
    const grid = (fields: [LabelKey, string | null][], columns: number) => {
      const shown = fields.filter(([, value]) => value);
      const columnWidth = inner / columns;
      shown.forEach(([key, value], i) => pair(key, value, left + (i % columns) * columnWidth, y - Math.floor(i / columns) * 34, columnWidth));
      y -= Math.ceil(shown.length / columns) * 34;
    };
    y -= 6;
    grid(
      [
        ["date", elements.on("main_info", "event_date") ? values.event_date : null],
        ["time", elements.on("main_info", "event_time") ? values.event_time : null],
        ["doors", elements.on("main_info", "doors_open") ? values.doors_open : null],
      ],
      3,
    );
    if (elements.on("main_info", "venue")) {
      pair("venue", [event.venue_name, event.address, event.city].filter(Boolean).join(", "), left, y, inner);
      y -= 40;
    }

    // The right: who, where, what.
    const infoFields: [LabelKey, string | null][] = (
      [
        ["holder", "holder_name"],
        ["ticket_type", "ticket_type"],
        ["zone", "zone"],
        ["gate", "gate"],
        ["seat", "seat"],
        ["price", "price"],
        ["ticket_number", "ticket_number"],
      ] as const
    ).map(([key, field]) => [key, elements.on("ticket_info", field) ? values[field] : null]);
    const rows = Math.ceil(infoFields.filter(([, v]) => v).length / 2);
    if (rows > 0) {
      page.drawRectangle({ x: left - 6, y: y - rows * 34 + 14, width: inner + 12, height: rows * 34 + 4, color: rgb(0.95, 0.96, 0.98), borderColor: primary, borderWidth: 0.8 });
      grid(infoFields, 2);
    }
    y -= 10;

    // The QR code and the code printed under it.
    const qrSize = { small: 120, medium: 170, large: 220 }[elements.option<"small" | "medium" | "large">("qr_code", "size", "large")];
    const position = elements.option<"left" | "center" | "right">("qr_code", "position", "center");
    const qrX = position === "left" ? s.at(left) - (rtl ? qrSize : 0) : position === "right" ? s.at(width - right) - (rtl ? 0 : qrSize) : (width - qrSize) / 2;
    const footerTop = margin("bottom") + 70;
    const qrY = Math.max(footerTop + 26, y - qrSize);
    drawQr(page, printed.token, qrX, qrY, qrSize);
    if (elements.flag("qr_code", "include_text", true)) {
      type.draw(page, printed.facts.right.qr_code, qrX + qrSize / 2, qrY - 16, { size: 15, bold: true, color: ink, align: "center" });
    }

    // Footer: terms, contact, sponsors, page number.
    let fy = margin("bottom") + 58;
    if (elements.on("footer", "terms")) {
      const style = { size: 7.5, color: grey };
      type.draw(page, labelIn(template, language, "terms"), s.at(left), fy, { ...style, bold: true, align: s.start, direction: s.direction });
      for (const line of type.wrap(termsOf(template, language), style, inner).slice(0, 4)) {
        fy -= 10;
        type.draw(page, line, s.at(left), fy, { ...style, align: s.start, direction: s.direction });
      }
    }
    let by = margin("bottom");
    if (elements.on("footer", "support_contact")) {
      type.draw(page, `${labelIn(template, language, "support")} : ${contactOf(event)}`, s.at(left), by, { size: 7.5, color: grey, align: s.start, direction: s.direction });
    }
    const sponsors = sponsorsOf(template);
    if (sponsors.length && elements.on("footer", "sponsors")) {
      by += 0;
      type.draw(page, `${label("sponsors", language)} : ${sponsors.join(" · ")}`, s.at(width / 2), by, { size: 7.5, color: grey, align: "center", direction: s.direction });
    }
    if (input.rights.length > 1) {
      type.draw(page, label("page", language, { n: index + 1, total: input.rights.length }), s.at(width - right), by, { size: 7.5, color: grey, align: s.end, direction: s.direction });
    }
  });
  await fonts.embed();
  return doc.save({ useObjectStreams: true });
}

/** Thermal receipts, 80 mm wide: black on white, one right per receipt (a page each), as tall as their content. */
export async function renderThermal(input: PrintInput): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`${input.event.title} – ${label("ticket", input.language)}`);
  doc.setProducer("edge-events");
  doc.setCreationDate(new Date(0));
  doc.setModificationDate(new Date(0));
  const fonts = await DocumentFonts.for(doc);
  const type = new Typesetter(fonts);
  const { template, language, event } = input;
  const elements = template.elements;
  const width = 80 * MM;
  const margin = 4 * MM;
  const inner = width - 2 * margin;
  const rtl = language === "ar";
  const s = sides(width, rtl);
  const black: Color = rgb(0, 0, 0);

  for (const printed of input.rights) {
    const values = fieldValues(input, printed, language);
    // Each line: text, size, bold, alignment; measured first so the page is exactly as tall as the receipt.
    const lines: { text: string; size: number; bold?: boolean; align: "start" | "center"; label?: boolean; gap?: number }[] = [];
    const center = (text: string | null, size: number, bold = false) => {
      if (text) for (const line of type.wrap(text, { size, bold }, inner)) lines.push({ text: line, size, bold, align: "center" });
    };
    const field = (key: LabelKey, value: string | null) => {
      if (!value) return;
      lines.push({ text: labelIn(template, language, key), size: 7, align: "start", label: true, gap: 3 });
      for (const line of type.wrap(value, { size: 10, bold: true }, inner)) lines.push({ text: line, size: 10, bold: true, align: "start" });
    };
    if (elements.on("header", "club_name")) center(event.organizer.name, 11, true);
    if (elements.on("main_info", "event_title")) center(event.title, 14, true);
    if (event.teams && elements.on("main_info", "teams")) center(event.teams, 10);
    if (elements.on("main_info", "event_date")) field("date", values.event_date);
    if (elements.on("main_info", "event_time")) field("time", values.event_time);
    if (elements.on("main_info", "doors_open")) field("doors", values.doors_open);
    if (elements.on("main_info", "venue")) field("venue", [event.venue_name, event.city].filter(Boolean).join(", "));
    for (const [key, name] of [
      ["holder", "holder_name"],
      ["ticket_type", "ticket_type"],
      ["zone", "zone"],
      ["gate", "gate"],
      ["seat", "seat"],
      ["price", "price"],
      ["ticket_number", "ticket_number"],
    ] as const) {
      if (elements.on("ticket_info", name)) field(key, values[name]);
    }
    const qrSize = { small: 120, medium: 150, large: inner }[elements.option<"small" | "medium" | "large">("qr_code", "size", "large")];
    const terms = elements.on("footer", "terms") ? type.wrap(termsOf(template, language), { size: 6.5 }, inner) : [];
    const lineHeight = (l: { size: number; gap?: number }) => l.size * 1.35 + (l.gap ?? 0);
    const height = margin + lines.reduce((sum, l) => sum + lineHeight(l), 0) + 8 + qrSize + 22 + terms.length * 9 + margin + 12;
    const page: PDFPage = doc.addPage([width, height]);
    let y = height - margin;
    for (const line of lines) {
      y -= lineHeight(line);
      if (line.align === "center") type.draw(page, line.text, width / 2, y, { size: line.size, bold: line.bold, color: black, align: "center" });
      else type.draw(page, line.text, s.at(margin), y, { size: line.size, bold: line.bold, color: black, align: s.start, direction: line.label ? s.direction : undefined });
    }
    y -= 8 + qrSize;
    drawQr(page, printed.token, (width - qrSize) / 2, y, qrSize);
    y -= 16;
    if (elements.flag("qr_code", "include_text", true)) type.draw(page, printed.facts.right.qr_code, width / 2, y, { size: 12, bold: true, color: black, align: "center" });
    y -= 6;
    for (const line of terms) {
      y -= 9;
      type.draw(page, line, s.at(margin), y, { size: 6.5, color: black, align: s.start, direction: s.direction });
    }
  }
  await fonts.embed();
  return doc.save({ useObjectStreams: true });
}
