import { PDFDocument, rgb } from "pdf-lib";
import { DocumentFonts } from "./fonts.ts";
import { DEFAULT_TERMS, formatDay, label, type Language } from "./labels.ts";
import type { Logo } from "./print.ts";
import { drawQr } from "./qr.ts";
import { hexColor, layoutValue, type DocumentTemplate } from "./templates.ts";
import { Typesetter } from "./text.ts";

/**
 * A season pass's plastic card, print-ready for a card printer: ISO/IEC
 * 7810 ID-1 (CR80, 85.60 × 53.98 mm), front then back as two pages. The
 * front carries the club, the season, the holder's photo and name, the
 * pass number and plan and the contactless mark; the back a QR code of the
 * pass number (for the box office to find the pass; the gate admits per
 * match with each right's own QR), the validity, terms, the club's contact
 * and a signature strip. The NFC chip's id is recorded with the card.
 */

export interface CardInput {
  template: DocumentTemplate;
  language: Language;
  club: { name: string; contact: string };
  pass: { number: string; plan: string; season: string | null; valid_from: string; valid_until: string; nfc_uid: string | null };
  holder: { name: string };
  photo: Logo | null;
  logo: Logo | null;
}

const MM = 72 / 25.4;
export const CARD_WIDTH = 85.6 * MM;
export const CARD_HEIGHT = 53.98 * MM;

export async function renderCard(input: CardInput): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(`${label("season_card", input.language)} ${input.pass.number}`);
  doc.setProducer("edge-events");
  doc.setCreationDate(new Date(0));
  doc.setModificationDate(new Date(0));
  const fonts = await DocumentFonts.for(doc);
  const type = new Typesetter(fonts);
  const { template, language, pass } = input;
  const el = template.elements;
  const rtl = language === "ar";
  const at = (x: number) => (rtl ? CARD_WIDTH - x : x);
  const start = rtl ? "right" : "left";
  const direction = rtl ? "rtl" : "ltr";
  const safe = (typeof layoutValue(template, "safe_area.margin_mm") === "number" ? (layoutValue(template, "safe_area.margin_mm") as number) : 3) * MM;
  const [pr, pg, pb] = hexColor(layoutValue(template, "colors.primary"), [0.04, 0.24, 0.57]);
  const background = el.on("front", "background_image");
  const ink = background ? rgb(1, 1, 1) : rgb(0.07, 0.07, 0.07);

  // Front.
  const front = doc.addPage([CARD_WIDTH, CARD_HEIGHT]);
  if (background) front.drawRectangle({ x: 0, y: 0, width: CARD_WIDTH, height: CARD_HEIGHT, color: rgb(pr, pg, pb) });
  let top = CARD_HEIGHT - safe;
  let textFrom = safe;
  if (input.logo && el.on("front", "club_logo")) {
    const image = input.logo.type === "image/png" ? await doc.embedPng(input.logo.bytes) : await doc.embedJpg(input.logo.bytes);
    const scale = Math.min(22 / image.width, 22 / image.height);
    front.drawImage(image, { x: rtl ? CARD_WIDTH - safe - image.width * scale : safe, y: top - image.height * scale, width: image.width * scale, height: image.height * scale });
    textFrom = safe + image.width * scale + 4;
  }
  type.draw(front, input.club.name, at(textFrom), top - 10, { size: type.fit(input.club.name, { size: 9, bold: true }, CARD_WIDTH - textFrom - 60), bold: true, color: ink, align: start });
  if (el.on("front", "season") && pass.season) type.draw(front, `${label("season", language)} ${pass.season}`, at(CARD_WIDTH - safe), top - 10, { size: 7, color: ink, align: rtl ? "left" : "right", direction });
  top -= 30;
  // Photo zone: 20 × 25 mm (the template's design_zones.photo when given).
  const zone = (layoutValue(template, "design_zones.photo") ?? {}) as Record<string, number>;
  const photoW = (typeof zone.width === "number" ? Math.min(zone.width, 30) : 20) * MM;
  const photoH = (typeof zone.height === "number" ? Math.min(zone.height, 35) : 25) * MM;
  let infoFrom = safe;
  if (el.on("front", "subscriber_photo")) {
    const x = rtl ? CARD_WIDTH - safe - photoW : safe;
    const y = safe;
    front.drawRectangle({ x, y, width: photoW, height: photoH, color: rgb(0.92, 0.92, 0.92), borderColor: rgb(1, 1, 1), borderWidth: 0.6 });
    if (input.photo) {
      const image = input.photo.type === "image/png" ? await doc.embedPng(input.photo.bytes) : await doc.embedJpg(input.photo.bytes);
      // Cover the zone, centred; the PDF clips nothing, so the image is scaled to fit inside it.
      const scale = Math.min(photoW / image.width, photoH / image.height);
      front.drawImage(image, { x: x + (photoW - image.width * scale) / 2, y: y + (photoH - image.height * scale) / 2, width: image.width * scale, height: image.height * scale });
    }
    infoFrom = safe + photoW + 4;
  }
  const infoWidth = CARD_WIDTH - infoFrom - safe;
  let y = top;
  const line = (text: string | null, size: number, bold = false) => {
    if (!text) return;
    type.draw(front, text, at(infoFrom), y, { size: type.fit(text, { size, bold }, infoWidth, 5), bold, color: ink, align: start });
    y -= size + 4;
  };
  if (el.on("front", "subscriber_name")) line(input.holder.name, 10, true);
  if (el.on("front", "subscriber_number")) line(`${label("pass_number", language)} ${pass.number}`, 7);
  if (el.on("front", "card_type")) line(`${label("card_type", language)} : ${pass.plan}`, 7);
  if (el.on("front", "nfc_indicator")) {
    // The contactless mark: three arcs, drawn as an SVG path at the bottom corner.
    const x = rtl ? safe + 4 : CARD_WIDTH - safe - 14;
    front.drawSvgPath("M0 0 A6 6 0 0 1 0 12 M3 -2 A9 9 0 0 1 3 14 M6 -4 A12 12 0 0 1 6 16", { x, y: safe + 18, borderColor: ink, borderWidth: 1.1 });
  }

  // Back.
  const back = doc.addPage([CARD_WIDTH, CARD_HEIGHT]);
  const dark = rgb(0.07, 0.07, 0.07);
  const qrSize = 30 * MM;
  if (el.on("back", "qr_code") || el.on("back", "barcode")) drawQr(back, pass.number, rtl ? safe : CARD_WIDTH - safe - qrSize, CARD_HEIGHT - safe - qrSize, qrSize);
  const textWidth = CARD_WIDTH - 2 * safe - qrSize - 4;
  let by = CARD_HEIGHT - safe - 8;
  const backLine = (text: string, size: number, bold = false) => {
    for (const wrapped of type.wrap(text, { size, bold }, textWidth)) {
      type.draw(back, wrapped, at(safe), by, { size, bold, color: dark, align: start, direction });
      by -= size + 2.5;
    }
  };
  backLine(pass.number, 8, true);
  if (el.on("back", "validity_dates")) backLine(`${label("validity", language)} : ${formatDay(pass.valid_from, language)} – ${formatDay(pass.valid_until, language)}`, 6);
  if (el.on("back", "emergency_contact") && input.club.contact) backLine(`${label("emergency", language)} : ${input.club.contact}`, 5.5);
  if (el.on("back", "terms_summary")) {
    const terms = template.metadata.terms as Record<string, string> | undefined;
    backLine(typeof terms?.[language] === "string" ? terms[language]! : DEFAULT_TERMS[language], 4.5);
  }
  if (pass.nfc_uid) type.draw(back, `NFC ${pass.nfc_uid}`, at(CARD_WIDTH - safe), safe + 16, { size: 4.5, color: dark, align: rtl ? "left" : "right" });
  if (el.on("back", "signature_area")) {
    back.drawRectangle({ x: safe, y: safe, width: CARD_WIDTH - 2 * safe, height: 12, borderColor: dark, borderWidth: 0.5 });
    type.draw(back, label("signature", language), at(safe + 2), safe + 13.5, { size: 4.5, color: dark, align: start, direction });
  }
  await fonts.embed();
  return doc.save({ useObjectStreams: true });
}
