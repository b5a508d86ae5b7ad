import { importPKCS8, SignJWT } from "jose";
import type { Env } from "../env.ts";
import { ProblemError } from "../lib/errors.ts";
import { CURRENCIES } from "../lib/money.ts";
import type { EventFacts, RightFacts } from "./facts.ts";
import { sourceLabel, type Language } from "./labels.ts";
import { hexColor, layoutValue, type DocumentTemplate } from "./templates.ts";

/**
 * Google Wallet "save" links: an EventTicketClass (the event) and an
 * EventTicketObject (the right, whose barcode is its current QR token) in a
 * JWT signed RS256 with the issuer's service account, opened at
 * https://pay.google.com/gp/v/save/{jwt}. Google creates or updates the
 * class and object from the JWT when the holder saves it.
 */

export const GOOGLE_SAVE_URL = "https://pay.google.com/gp/v/save/";

export interface GoogleWalletConfig {
  issuerId: string;
  serviceAccount: string;
  key: CryptoKey;
}

const notConfigured = (detail: string) => new ProblemError(503, "wallet_not_configured", "Wallet not configured", detail);

export async function googleWalletConfig(env: Env): Promise<GoogleWalletConfig> {
  const missing = (["GOOGLE_WALLET_ISSUER_ID", "GOOGLE_WALLET_SERVICE_ACCOUNT", "GOOGLE_WALLET_PRIVATE_KEY"] as const).filter((name) => !env[name]);
  if (missing.length > 0) throw notConfigured(`Google Wallet is not configured on this deployment (missing ${missing.join(", ")}).`);
  try {
    const key = await importPKCS8(env.GOOGLE_WALLET_PRIVATE_KEY!.replace(/\\n/g, "\n"), "RS256");
    return { issuerId: env.GOOGLE_WALLET_ISSUER_ID!, serviceAccount: env.GOOGLE_WALLET_SERVICE_ACCOUNT!, key };
  } catch {
    throw notConfigured("GOOGLE_WALLET_PRIVATE_KEY must be the service account's RSA private key (PKCS#8 PEM, as in its JSON key file).");
  }
}

const text = (value: string, language: Language) => ({ defaultValue: { language, value } });

/** Wallet ids: the issuer id, a dot, then letters, digits, '.', '_' or '-'. */
const walletId = (issuerId: string, suffix: string) => `${issuerId}.${suffix.replace(/[^A-Za-z0-9._-]/g, "_")}`;

export interface GoogleTicketInput {
  template: DocumentTemplate;
  language: Language;
  event: EventFacts;
  facts: RightFacts;
  token: string;
}

export function ticketClass(input: GoogleTicketInput, config: Pick<GoogleWalletConfig, "issuerId">) {
  const { event, language, template } = input;
  const [r, g, b] = hexColor(layoutValue(template, "background_color"), [0.04, 0.24, 0.57]);
  return {
    id: walletId(config.issuerId, `event-${event.id}`),
    issuerName: event.organizer.name,
    reviewStatus: "UNDER_REVIEW",
    eventId: event.id,
    eventName: text(event.title, language),
    venue: { name: text(event.venue_name, language), address: text([event.address, event.city].filter(Boolean).join(", ") || event.venue_name, language) },
    dateTime: { start: event.starts_at, end: event.ends_at, ...(event.doors_open_at ? { doorsOpen: event.doors_open_at } : {}) },
    hexBackgroundColor: `#${[r, g, b].map((c) => Math.round(c * 255).toString(16).padStart(2, "0")).join("")}`,
  };
}

export function ticketObject(input: GoogleTicketInput, config: Pick<GoogleWalletConfig, "issuerId">) {
  const { facts, language } = input;
  const el = input.template.elements;
  const seatInfo = {
    ...(facts.seat && el.on("primary_fields", "seat") ? { seat: text(facts.seat.number, language), row: text(facts.seat.row, language), section: text(facts.seat.section, language) } : {}),
    ...(facts.gates.length && el.on("secondary_fields", "gate") ? { gate: text(facts.gates.join(", "), language) } : {}),
  };
  const type = facts.ticket_type ?? sourceLabel(facts.right.source_type, language);
  return {
    id: walletId(config.issuerId, facts.right.id),
    classId: ticketClass(input, config).id,
    state: "ACTIVE",
    barcode: { type: "QR_CODE", value: input.token, alternateText: facts.right.qr_code },
    ...(facts.holder.name && el.on("secondary_fields", "holder_name") ? { ticketHolderName: facts.holder.name } : {}),
    ...(facts.reference && el.on("auxiliary_fields", "ticket_number") ? { ticketNumber: facts.reference } : {}),
    ...(type && el.on("auxiliary_fields", "ticket_type") ? { ticketType: text(type, language) } : {}),
    ...(Object.keys(seatInfo).length ? { seatInfo } : {}),
    // Micros: minor units × 10^(6 − the currency's decimals), still an integer.
    ...(facts.price && el.on("auxiliary_fields", "price") ? { faceValue: { micros: String(facts.price.amount * 10 ** (6 - CURRENCIES[facts.price.currency])), currencyCode: facts.price.currency } } : {}),
    validTimeInterval: { start: { date: facts.right.valid_from }, end: { date: facts.right.valid_until } },
  };
}

/** The signed save JWT and its URL. */
export async function googleSaveLink(input: GoogleTicketInput, config: GoogleWalletConfig, origin: string): Promise<{ jwt: string; url: string }> {
  const jwt = await new SignJWT({
    typ: "savetowallet",
    origins: [origin],
    payload: { eventTicketClasses: [ticketClass(input, config)], eventTicketObjects: [ticketObject(input, config)] },
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT" })
    .setIssuer(config.serviceAccount)
    .setAudience("google")
    .setIssuedAt()
    .sign(config.key);
  return { jwt, url: `${GOOGLE_SAVE_URL}${jwt}` };
}
