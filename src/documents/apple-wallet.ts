import * as asn1js from "asn1js";
import { zipSync } from "fflate";
import { Attribute, Certificate, ContentInfo, EncapsulatedContentInfo, IssuerAndSerialNumber, SignedAndUnsignedAttributes, SignedData, SignerInfo } from "pkijs";
import type { Env } from "../env.ts";
import { toHex, utf8 } from "../lib/crypto/encoding.ts";
import { pemBlocks } from "../lib/crypto/pem.ts";
import { ProblemError } from "../lib/errors.ts";
import { formatMoney } from "../lib/money.ts";
import type { EventFacts, RightFacts } from "./facts.ts";
import { DOCUMENT_LANGUAGES, DEFAULT_TERMS, formatDate, formatTime, label, sourceLabel, type LabelKey, type Language } from "./labels.ts";
import { imageSize, solidPng } from "./png.ts";
import type { Logo } from "./print.ts";
import { hexColor, layoutValue, type DocumentTemplate } from "./templates.ts";

/**
 * Apple Wallet passes (.pkpass): a zip of pass.json (an eventTicket whose
 * barcode is the right's current QR token), its images, one pass.strings
 * per language of the template (labels are keys Wallet translates on the
 * phone), manifest.json (the SHA-1 of every other file) and `signature`,
 * a detached CMS SignedData over manifest.json made with the pass type
 * certificate's key, carrying that certificate and Apple's WWDR
 * intermediate (pkijs over WebCrypto).
 */

export interface AppleWalletConfig {
  passTypeId: string;
  teamId: string;
  certificates: Certificate[];
  key: CryptoKey;
}

const notConfigured = (detail: string) => new ProblemError(503, "wallet_not_configured", "Wallet not configured", detail);

/** The signing identity from configuration, or a 503 naming what is missing or unusable. */
export async function appleWalletConfig(env: Env): Promise<AppleWalletConfig> {
  const missing = (["APPLE_PASS_TYPE_ID", "APPLE_TEAM_ID", "APPLE_PASS_CERTIFICATE", "APPLE_PASS_PRIVATE_KEY", "APPLE_WWDR_CERTIFICATE"] as const).filter((name) => !env[name]);
  if (missing.length > 0) throw notConfigured(`Apple Wallet passes are not configured on this deployment (missing ${missing.join(", ")}).`);
  const [leaf] = pemBlocks(env.APPLE_PASS_CERTIFICATE!, "CERTIFICATE");
  const [wwdr] = pemBlocks(env.APPLE_WWDR_CERTIFICATE!, "CERTIFICATE");
  const [pkcs8] = pemBlocks(env.APPLE_PASS_PRIVATE_KEY!, "PRIVATE KEY");
  if (!leaf || !wwdr) throw notConfigured("APPLE_PASS_CERTIFICATE and APPLE_WWDR_CERTIFICATE must be PEM certificates.");
  if (!pkcs8) throw notConfigured("APPLE_PASS_PRIVATE_KEY must be an unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY).");
  try {
    const certificates = [Certificate.fromBER(leaf), Certificate.fromBER(wwdr)];
    const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
    return { passTypeId: env.APPLE_PASS_TYPE_ID!, teamId: env.APPLE_TEAM_ID!, certificates, key };
  } catch {
    throw notConfigured("The Apple Wallet certificate or key could not be read (an RSA key in PKCS#8 and DER-encoded X.509 certificates are expected).");
  }
}

/** A detached CMS SignedData (DER) over `content`: SHA-256 with RSA, signing time and digest signed, both certificates included. */
export async function signDetached(content: Uint8Array, config: AppleWalletConfig): Promise<Uint8Array> {
  const [signer] = config.certificates;
  const digest = await crypto.subtle.digest("SHA-256", content);
  const signedData = new SignedData({
    version: 1,
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: ContentInfo.DATA }),
    signerInfos: [
      new SignerInfo({
        version: 1,
        sid: new IssuerAndSerialNumber({ issuer: signer!.issuer, serialNumber: signer!.serialNumber }),
        signedAttrs: new SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new Attribute({ type: "1.2.840.113549.1.9.3", values: [new asn1js.ObjectIdentifier({ value: ContentInfo.DATA })] }),
            new Attribute({ type: "1.2.840.113549.1.9.5", values: [new asn1js.UTCTime({ valueDate: new Date() })] }),
            new Attribute({ type: "1.2.840.113549.1.9.4", values: [new asn1js.OctetString({ valueHex: digest })] }),
          ],
        }),
      }),
    ],
    certificates: config.certificates,
  });
  // pkijs signs with the runtime's WebCrypto (globalThis.crypto).
  await signedData.sign(config.key, 0, "SHA-256", content);
  const info = new ContentInfo({ contentType: ContentInfo.SIGNED_DATA, content: signedData.toSchema(true) });
  return new Uint8Array(info.toSchema().toBER(false));
}

export interface PassInput {
  template: DocumentTemplate;
  language: Language;
  event: EventFacts;
  facts: RightFacts;
  token: string;
  logo: Logo | null;
}

const rgbText = (hex: unknown, fallback: [number, number, number]) => {
  const [r, g, b] = hexColor(hex, fallback);
  return `rgb(${Math.round(r * 255)}, ${Math.round(g * 255)}, ${Math.round(b * 255)})`;
};

/**
 * pass.strings (UTF-16 with a byte-order mark, as Wallet reads them) for one
 * language: pass.json's labels are in the document's language, and each
 * phone shows them in its own when the pass has it.
 */
function passStrings(from: Language, language: Language, keys: LabelKey[]): Uint8Array {
  const escape = (text: string) => text.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  const text = keys.map((key) => `"${escape(label(key, from))}" = "${escape(label(key, language))}";`).join("\n") + "\n";
  const out = new Uint8Array(2 + text.length * 2);
  out[0] = 0xff;
  out[1] = 0xfe;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out[2 + i * 2] = code & 0xff;
    out[3 + i * 2] = code >> 8;
  }
  return out;
}

/** pass.json for one right. */
export function passJson(input: PassInput, config: Pick<AppleWalletConfig, "passTypeId" | "teamId">) {
  const { template, language, event, facts } = input;
  const el = template.elements;
  const field = (key: string, labelKey: LabelKey, value: string | null) => (value ? [{ key, label: label(labelKey, language), value }] : []);
  const seat = facts.seat ? `${facts.seat.section}-${facts.seat.row}-${facts.seat.number}` : null;
  const price = facts.price ? (facts.price.amount === 0 ? label("free", language) : formatMoney(facts.price.amount, facts.price.currency, language)) : null;
  const type = facts.ticket_type ?? sourceLabel(facts.right.source_type, language);
  const terms = (template.metadata.terms as Record<string, string> | undefined)?.[language] ?? DEFAULT_TERMS[language];
  const transport = typeof template.metadata.transport_info === "string" ? template.metadata.transport_info : null;
  const [latitude, longitude] = [event.latitude, event.longitude];
  const barcode = { format: "PKBarcodeFormatQR", message: input.token, messageEncoding: el.option("barcode", "encoding", "iso-8859-1"), altText: facts.right.qr_code };
  return {
    formatVersion: 1,
    passTypeIdentifier: config.passTypeId,
    teamIdentifier: config.teamId,
    serialNumber: facts.right.id,
    organizationName: event.organizer.name,
    description: `${label("ticket", language)} – ${event.title}`,
    ...(el.on("header", "logo") ? { logoText: event.organizer.name } : {}),
    foregroundColor: rgbText(layoutValue(template, "foreground_color"), [1, 1, 1]),
    backgroundColor: rgbText(layoutValue(template, "background_color"), [0.04, 0.24, 0.57]),
    labelColor: rgbText(layoutValue(template, "label_color"), [0.78, 0.84, 0.94]),
    relevantDate: event.starts_at,
    expirationDate: facts.right.valid_until,
    ...(latitude !== null && longitude !== null ? { locations: [{ latitude, longitude, relevantText: event.venue_name }] } : {}),
    barcodes: [barcode],
    barcode,
    eventTicket: {
      headerFields: el.on("header", "event_date") ? field("date", "date", formatDate(event.starts_at, event.timezone, language)) : [],
      primaryFields: [...(el.on("primary_fields", "event_name") || el.on("header", "event_name") ? field("event", "ticket", event.title) : []), ...(el.on("primary_fields", "zone") ? field("zone", "zone", facts.zone?.name ?? null) : []), ...(el.on("primary_fields", "seat") ? field("seat", "seat", seat) : [])],
      secondaryFields: [
        ...(el.on("secondary_fields", "event_date") ? field("time", "time", formatTime(event.starts_at, event.timezone, language)) : []),
        ...(el.on("secondary_fields", "doors_open") && event.doors_open_at ? field("doors", "doors", formatTime(event.doors_open_at, event.timezone, language)) : []),
        ...(el.on("secondary_fields", "gate") ? field("gate", "gate", facts.gates.join(", ") || null) : []),
        ...(el.on("secondary_fields", "holder_name") ? field("holder", "holder", facts.holder.name || null) : []),
      ],
      auxiliaryFields: [
        ...(el.on("auxiliary_fields", "zone") ? field("zone2", "zone", facts.zone?.name ?? null) : []),
        ...(el.on("auxiliary_fields", "ticket_type") ? field("type", "ticket_type", type) : []),
        ...(el.on("auxiliary_fields", "price") ? field("price", "price", price) : []),
        ...(el.on("auxiliary_fields", "ticket_number") ? field("number", "ticket_number", facts.reference) : []),
      ],
      backFields: [
        ...field("venue", "venue", [event.venue_name, event.address, event.city].filter(Boolean).join(", ")),
        ...(el.on("back_fields", "venue_map") ? field("map", "venue", event.maps_url) : []),
        ...(el.on("back_fields", "transport_info") ? field("transport", "venue", transport) : []),
        ...(el.on("back_fields", "support_contact") ? field("contact", "support", [event.organizer.email, event.organizer.phone].filter(Boolean).join(" · ")) : []),
        ...(el.on("back_fields", "terms") ? field("terms", "terms", terms) : []),
        ...field("code", "code", facts.right.qr_code),
      ],
    },
  };
}

const LABEL_KEYS: LabelKey[] = ["ticket", "date", "time", "doors", "venue", "zone", "gate", "seat", "holder", "ticket_type", "price", "ticket_number", "support", "terms", "code"];

/** The signed .pkpass archive of one right. */
export async function renderPkpass(input: PassInput, config: AppleWalletConfig): Promise<Uint8Array> {
  const colour = hexColor(layoutValue(input.template, "background_color"), [0.04, 0.24, 0.57]);
  const files: Record<string, Uint8Array> = {
    "pass.json": utf8(JSON.stringify(passJson(input, config))),
    "icon.png": solidPng(29, 29, colour),
    "icon@2x.png": solidPng(58, 58, colour),
  };
  // Wallet shows PNG logos only (at most 160 × 50 points): a JPEG logo is left out.
  if (input.logo?.type === "image/png" && input.template.elements.on("header", "logo") && imageSize(input.logo.bytes)) files["logo.png"] = input.logo.bytes;
  for (const language of DOCUMENT_LANGUAGES) if (input.template.languages.includes(language)) files[`${language}.lproj/pass.strings`] = passStrings(input.language, language, LABEL_KEYS);
  const manifest: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(files)) manifest[name] = toHex(new Uint8Array(await crypto.subtle.digest("SHA-1", bytes)));
  files["manifest.json"] = utf8(JSON.stringify(manifest));
  files.signature = await signDetached(files["manifest.json"], config);
  return zipSync(files, { level: 6, mtime: new Date("2000-01-01T00:00:00Z") });
}
