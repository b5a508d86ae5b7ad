import { and, eq } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import type { RightView } from "../../durable-objects/event/contract.ts";
import { applicableTemplate } from "../catalog/templates.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { heldRight, QR_STATUSES, rightInactive } from "../access/held-rights.ts";
import { issueAccessTokens } from "../access/signing-keys.ts";
import { getDb } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { sha256Hex } from "../lib/crypto/hash.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { now } from "../lib/time.ts";
import { eventAccess } from "../organizations/permissions.ts";
import { organizations } from "../organizations/schema.ts";
import { readablePass, managedPass } from "../passes/read.ts";
import { sniffImage } from "../users/media.ts";
import { users } from "../users/schema.ts";
import { appleWalletConfig, renderPkpass } from "./apple-wallet.ts";
import { renderCard } from "./card.ts";
import { eventFacts, isVip, rightFacts, type EventFacts, type RightFacts } from "./facts.ts";
import { googleSaveLink, googleWalletConfig } from "./google-wallet.ts";
import { renderIcs } from "./ics.ts";
import type { Language } from "./labels.ts";
import { imageSize } from "./png.ts";
import { renderPdf, renderThermal, type Logo } from "./print.ts";
import { season_card_requests, season_cards } from "./schema.ts";
import { languageFor, templateFor, type DocumentTemplate } from "./templates.ts";

/**
 * Documents of access rights: what each route and the notifications render.
 *
 * Every document is drawn from the right's live state in its event's
 * Durable Object and carries the right's current QR token. They are cached
 * in the private bucket (VAULT) under the right, keyed by what they were
 * drawn from (kind, language, template version, token): a new token or a
 * changed template draws a new one, and the older copies of that kind are
 * deleted. A right that was transferred, cancelled or blocked has no
 * document: asking for one deletes what was cached and answers 409, and
 * since the QR in every copy handed out before is that right's token, the
 * gate refuses it. A transfer's recipient holds a new right, with its own
 * token and documents.
 */

export type PrintFormat = "A4" | "THERMAL";
export type DocumentKind = "pdf" | "thermal" | "pkpass";

export interface Document {
  bytes: Uint8Array;
  contentType: string;
  filename: string;
}

const MEDIA_TYPES: Record<DocumentKind, string> = { pdf: "application/pdf", thermal: "application/pdf", pkpass: "application/vnd.apple.pkpass" };

/** Logos printed on documents: PNG or JPEG, at most 256 kB and 1024 px a side (a logo, not a poster). */
export const LOGO_MAX_BYTES = 256 * 1024;
export const LOGO_MAX_PIXELS = 1024;

export const logoTooLarge = (detail: string) => new ProblemError(422, "logo_too_large", "Logo too large", detail);

/** Checks a logo's bytes: its type from its content, its size and dimensions. */
export function checkLogo(bytes: Uint8Array): Logo {
  const type = sniffImage(bytes);
  if (type !== "image/png" && type !== "image/jpeg") throw new ProblemError(415, "unsupported_media_type", "Unsupported media type", "A logo is a PNG or JPEG image.");
  if (bytes.length > LOGO_MAX_BYTES) throw logoTooLarge(`A logo is at most ${LOGO_MAX_BYTES / 1024} kB; this one is ${Math.ceil(bytes.length / 1024)} kB.`);
  const size = imageSize(bytes);
  if (!size) throw new ProblemError(415, "unsupported_media_type", "Unsupported media type", "The logo's dimensions cannot be read.");
  if (size.width > LOGO_MAX_PIXELS || size.height > LOGO_MAX_PIXELS) throw logoTooLarge(`A logo is at most ${LOGO_MAX_PIXELS} × ${LOGO_MAX_PIXELS} pixels; this one is ${size.width} × ${size.height}.`);
  return { bytes, type };
}

/**
 * The logo a template prints: its own (`metadata.logo_key`, uploaded through
 * PUT /v1/ticket-templates/{id}/logo; refused if it does not fit), else the
 * organizer's profile photo when it would fit as a logo, else none.
 */
async function logoFor(env: Env, template: DocumentTemplate, organizer: EventFacts["organizer"]): Promise<Logo | null> {
  const own = template.metadata.logo_key;
  if (typeof own === "string") {
    const object = await env.MEDIA.get(own);
    if (object) {
      try {
        return checkLogo(new Uint8Array(await object.arrayBuffer()));
      } catch (error) {
        if (error instanceof ProblemError) throw new ProblemError(422, error.code === "logo_too_large" ? "logo_too_large" : "logo_unusable", error.title, `The template's logo cannot be printed: ${error.detail}`);
        throw error;
      }
    }
  }
  if (!organizer.photo_key) return null;
  const photo = await env.MEDIA.get(organizer.photo_key);
  if (!photo || photo.size > LOGO_MAX_BYTES) return null;
  try {
    return checkLogo(new Uint8Array(await photo.arrayBuffer()));
  } catch {
    return null;
  }
}

/** A holder's photo for a card: PNG or JPEG (a WebP photo is left out: PDF has no WebP). */
async function photoOf(env: Env, key: string | null): Promise<Logo | null> {
  if (!key) return null;
  const object = await env.MEDIA.get(key);
  if (!object) return null;
  const bytes = new Uint8Array(await object.arrayBuffer());
  const type = sniffImage(bytes);
  return type === "image/png" || type === "image/jpeg" ? { bytes, type } : null;
}

// ---------------------------------------------------------------- cache

const rightPrefix = (eventId: string, rightId: string) => `documents/${eventId}/${rightId}/`;
const orderPrefix = (eventId: string, orderId: string) => `documents/${eventId}/orders/${orderId}/`;

/** Deletes what is cached under `prefix` (of one kind, or all), except `keep`. */
async function purge(env: Env, prefix: string, kind?: string, keep?: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await env.VAULT.list({ prefix, cursor });
    const stale = page.objects.map((o) => o.key).filter((key) => key !== keep && (!kind || key.slice(prefix.length).startsWith(`${kind}-`)));
    if (stale.length) await env.VAULT.delete(stale);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}

/** The cached document at `prefix + kind-digest`, or a fresh one stored there (older ones of the kind deleted). */
async function cachedDocument(env: Env, prefix: string, kind: string, parts: string[], contentType: string, render: () => Promise<Uint8Array>): Promise<Uint8Array> {
  const key = `${prefix}${kind}-${(await sha256Hex(parts.join("\n"))).slice(0, 32)}`;
  const hit = await env.VAULT.get(key);
  if (hit) return new Uint8Array(await hit.arrayBuffer());
  const bytes = await render();
  await env.VAULT.put(key, bytes, { httpMetadata: { contentType } });
  await purge(env, prefix, kind, key);
  return bytes;
}

/** Forgets every document of a right (it was transferred, cancelled or blocked). */
export const forgetRightDocuments = (env: Env, eventId: string, rightId: string) => purge(env, rightPrefix(eventId, rightId));

// ---------------------------------------------------------------- what a document is drawn from

interface Drawing {
  event: EventFacts;
  template: DocumentTemplate;
  language: Language;
  facts: RightFacts[];
  tokens: string[];
  logo: Logo | null;
}

/** Facts, template (VIP_PASS for rights all in VIP zones when such a template applies), language, tokens and logo. */
async function drawingOf(env: Env, eventId: string, rights: RightView[], format: DocumentTemplate["format"], asked: Language | undefined): Promise<Drawing> {
  const event = await eventFacts(env, eventId);
  if (!event) throw problems.notFound("Event");
  const facts = await rightFacts(env, eventId, rights);
  const vip = facts.length > 0 && facts.every(isVip) && (await applicableTemplate(env, event.organization_id, "VIP_PASS", format)) !== null;
  const template = await templateFor(env, event.organization_id, vip ? "VIP_PASS" : "TICKET", format);
  const language = languageFor(template, asked, facts[0]?.holder.language ?? null);
  const [signed, logo] = await Promise.all([issueAccessTokens(env, eventId, rights.map((r) => r.id)), logoFor(env, template, event.organizer)]);
  return { event, template, language, facts, tokens: signed.map((s) => s.token), logo };
}

const printInput = (d: Drawing) => ({ template: d.template, language: d.language, event: d.event, logo: d.logo, rights: d.facts.map((facts, i) => ({ facts, token: d.tokens[i]! })) });

const slug = (text: string) => text.normalize("NFKD").replace(/[^\w-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "ticket";

// ---------------------------------------------------------------- a holder's right

/** The caller's right if it may have documents; an inactive one loses those cached and is a 409. */
async function activeHeldRight(env: Env, userId: string, rightId: string): Promise<RightView> {
  const right = await heldRight(env, userId, rightId);
  if (!QR_STATUSES.includes(right.status)) {
    await forgetRightDocuments(env, right.event_id, right.id);
    throw rightInactive(right.status);
  }
  return right;
}

/** A document of one of the caller's rights: PDF (A4 or its template's paper), thermal PDF, or Apple Wallet pass. */
export async function rightDocument(env: Env, userId: string, rightId: string, kind: DocumentKind, language?: Language): Promise<Document> {
  const right = await activeHeldRight(env, userId, rightId);
  // A pass cannot be signed without the certificate: say so before drawing anything.
  const wallet = kind === "pkpass" ? await appleWalletConfig(env) : null;
  const drawing = await drawingOf(env, right.event_id, [right], kind === "pdf" ? "PDF" : kind === "thermal" ? "THERMAL" : "MOBILE", language);
  const contentType = MEDIA_TYPES[kind];
  const bytes = await cachedDocument(env, rightPrefix(right.event_id, right.id), kind, [drawing.language, drawing.template.id ?? "", drawing.template.version, drawing.tokens[0]!], contentType, async () => {
    if (kind === "pkpass") return renderPkpass({ template: drawing.template, language: drawing.language, event: drawing.event, facts: drawing.facts[0]!, token: drawing.tokens[0]!, logo: drawing.logo }, wallet!);
    return kind === "pdf" ? renderPdf(printInput(drawing)) : renderThermal(printInput(drawing));
  });
  return { bytes, contentType, filename: `${slug(drawing.event.title)}-${right.qr_code}.${kind === "pkpass" ? "pkpass" : "pdf"}` };
}

/** A Google Wallet save link for one of the caller's rights (signed anew each time: it is small and carries its issue time). */
export async function googleWalletLink(env: Env, userId: string, rightId: string, language?: Language): Promise<{ save_url: string; jwt: string }> {
  const right = await activeHeldRight(env, userId, rightId);
  const config = await googleWalletConfig(env);
  const drawing = await drawingOf(env, right.event_id, [right], "MOBILE", language);
  const { jwt, url } = await googleSaveLink({ template: drawing.template, language: drawing.language, event: drawing.event, facts: drawing.facts[0]!, token: drawing.tokens[0]! }, config, new URL(env.PUBLIC_API_URL).origin);
  return { save_url: url, jwt };
}

// ---------------------------------------------------------------- orders

/**
 * An order's tickets as one PDF: for its buyer, the order's rights they
 * still hold and that can admit (a right they gave away is the recipient's
 * now); for whoever has `tickets.resend` on the event (its organization's
 * OWNER, MANAGER and BOX_OFFICE members, admins), every active right of the
 * order, to print at the counter. Other members of its organization and its
 * gate staff: 403; anyone else: 404.
 */
export async function orderDocument(env: Env, auth: AuthContext, eventId: string, orderId: string, format: PrintFormat, language?: Language): Promise<Document> {
  const stub = eventStub(env, eventId);
  const order = await stub.getOrder(orderId);
  if (!order) throw problems.notFound("Order");
  const boxOffice = order.user_id !== auth.userId;
  if (boxOffice) await eventAccess(getDb(env.DB), auth, eventId, "tickets.resend");
  const rights = (await stub.listRights({ order_id: orderId })).filter((r) => QR_STATUSES.includes(r.status) && (boxOffice || r.user_id === auth.userId));
  if (rights.length === 0) throw problems.conflict("no_active_rights", order.booking_status === "CONFIRMED" ? "No right of this order can admit anyone now (transferred, cancelled or blocked)." : `This order is ${order.booking_status}: it has no tickets yet.`);
  return renderOrder(env, eventId, orderId, order.ticket_number, rights, format, language);
}

async function renderOrder(env: Env, eventId: string, orderId: string, number: string, rights: RightView[], format: PrintFormat, language?: Language): Promise<Document> {
  const drawing = await drawingOf(env, eventId, rights, format === "A4" ? "PDF" : "THERMAL", language);
  const kind = format === "A4" ? "pdf" : "thermal";
  const parts = [drawing.language, drawing.template.id ?? "", drawing.template.version, ...rights.map((r, i) => `${r.id}:${drawing.tokens[i]}`)];
  const bytes = await cachedDocument(env, orderPrefix(eventId, orderId), kind, parts, "application/pdf", () => (format === "A4" ? renderPdf(printInput(drawing)) : renderThermal(printInput(drawing))));
  return { bytes, contentType: "application/pdf", filename: `${number}.pdf` };
}

/**
 * For confirmation messages (notifications): the order's tickets its buyer
 * holds, as one A4 PDF in the buyer's language, or null when there is none
 * to send (not confirmed, or nothing active left).
 */
export async function renderOrderDocuments(env: Env, eventId: string, orderId: string): Promise<Document | null> {
  const stub = eventStub(env, eventId);
  const order = await stub.getOrder(orderId);
  if (!order || order.booking_status !== "CONFIRMED") return null;
  const rights = (await stub.listRights({ order_id: orderId })).filter((r) => QR_STATUSES.includes(r.status) && r.user_id === order.user_id);
  return rights.length ? renderOrder(env, eventId, orderId, order.ticket_number, rights, "A4") : null;
}

/** Where a holder (signed in) fetches each document, for messages and apps: absolute URLs on PUBLIC_API_URL. */
export function documentLinks(env: Env, ids: { event_id: string; order_id?: string; access_right_ids: string[] }) {
  const base = env.PUBLIC_API_URL.replace(/\/$/, "");
  return {
    order_pdf: ids.order_id ? `${base}/v1/events/${ids.event_id}/orders/${ids.order_id}/tickets.pdf` : null,
    calendar: `${base}/v1/events/${ids.event_id}/calendar.ics`,
    rights: ids.access_right_ids.map((id) => ({
      access_right_id: id,
      pdf: `${base}/v1/me/access-rights/${id}/ticket.pdf`,
      apple_wallet: `${base}/v1/me/access-rights/${id}/wallet.pkpass`,
      google_wallet: `${base}/v1/me/access-rights/${id}/google-wallet`,
    })),
  };
}

// ---------------------------------------------------------------- season cards

/** Upper-case hex of an NFC UID as readers print it (`04:A2:…`, spaces or colons allowed). */
export const normalizeNfcUid = (uid: string) => uid.replace(/[\s:-]/g, "").toUpperCase();

async function cardOf(env: Env, pass: Awaited<ReturnType<typeof readablePass>>, language: Language | undefined, nfcUid: string | null) {
  if (pass.sub.status !== "ACTIVE") throw problems.conflict("season_pass_inactive", `This season pass is ${pass.sub.status}: no card is printed for it.`);
  const db = getDb(env.DB);
  const [holder] = await db.select().from(users).where(eq(users.id, pass.sub.user_id)).limit(1);
  // The club is the plan's organization (its name and contact address); the account that created the plan gives the phone and the fallback logo.
  const organizationId = pass.plan.organization_id;
  const [organization] = organizationId ? await db.select().from(organizations).where(eq(organizations.id, organizationId)).limit(1) : [];
  const [club] = pass.plan.organizer_id ? await db.select().from(users).where(eq(users.id, pass.plan.organizer_id)).limit(1) : [];
  const template = await templateFor(env, organizationId, "SUBSCRIPTION_CARD", "PLASTIC_CARD");
  const lang = languageFor(template, language, holder?.language ?? null);
  const organizer = {
    id: club?.id ?? "",
    name: organization?.name ?? (club ? `${club.first_name} ${club.last_name}`.trim() || club.email : ""),
    email: organization?.contact_email ?? club?.email ?? "",
    phone: club?.phone ?? null,
    language: club?.language ?? "fr",
    photo_key: club?.profile_photo_key ?? null,
  };
  const [logo, photo] = await Promise.all([logoFor(env, template, organizer), photoOf(env, holder?.profile_photo_key ?? null)]);
  const season = `${pass.sub.valid_from.slice(0, 4)}${pass.sub.valid_until.slice(0, 4) !== pass.sub.valid_from.slice(0, 4) ? `-${pass.sub.valid_until.slice(0, 4)}` : ""}`;
  const bytes = await renderCard({
    template,
    language: lang,
    club: { name: organizer.name, contact: [organizer.phone, organizer.email].filter(Boolean).join(" · ") },
    pass: { number: pass.sub.subscription_number, plan: pass.plan.name, season, valid_from: pass.sub.valid_from, valid_until: pass.sub.valid_until, nfc_uid: nfcUid },
    holder: { name: holder ? `${holder.first_name} ${holder.last_name}`.trim() || holder.email : "" },
    photo,
    logo,
  });
  return { bytes, template };
}

/** The card of a season pass as its holder (or its club) sees it, with the NFC id of its active card if one was printed. */
export async function passCard(env: Env, auth: AuthContext, subscriptionId: string, language?: Language): Promise<Document> {
  const db = getDb(env.DB);
  const pass = await readablePass(db, auth, subscriptionId);
  const [active] = await db.select({ nfc_uid: season_cards.nfc_uid }).from(season_cards).where(and(eq(season_cards.subscription_id, subscriptionId), eq(season_cards.status, "ACTIVE"))).limit(1);
  const { bytes } = await cardOf(env, pass, language, active?.nfc_uid ?? null);
  return { bytes, contentType: "application/pdf", filename: `${pass.sub.subscription_number}-card.pdf` };
}

/**
 * Prints a plastic card for a season pass (its club or an admin): records
 * the card with its NFC chip id, replacing the pass's previous card, and
 * returns the print-ready PDF. A chip id already on another card is a 409.
 */
export async function printPassCard(env: Env, auth: AuthContext, subscriptionId: string, nfcUid: string | null, language?: Language): Promise<Document & { card_id: string }> {
  const db = getDb(env.DB);
  const pass = await managedPass(db, auth, subscriptionId, "tickets.resend");
  const { bytes, template } = await cardOf(env, pass, language, nfcUid);
  const cardId = newId();
  try {
    await db.batch([
      db.update(season_cards).set({ status: "REPLACED" }).where(and(eq(season_cards.subscription_id, subscriptionId), eq(season_cards.status, "ACTIVE"))),
      db.insert(season_cards).values({ id: cardId, subscription_id: subscriptionId, nfc_uid: nfcUid, template_id: template.id, printed_by: auth.userId, printed_at: now() }),
      // The card asked for with the pass, if one was, is fulfilled by this one.
      db.update(season_card_requests).set({ status: "PRINTED", card_id: cardId, printed_at: now() }).where(and(eq(season_card_requests.subscription_id, subscriptionId), eq(season_card_requests.status, "REQUESTED"))),
    ]);
  } catch (error) {
    if (isUniqueViolation(error, "season_cards.nfc_uid")) throw problems.conflict("nfc_uid_taken", "This NFC chip id is already recorded on another card.");
    if (isUniqueViolation(error, "season_cards.subscription_id")) throw problems.conflict("concurrent_change", "Another card was printed for this pass at the same time; try again.");
    throw error;
  }
  return { bytes, contentType: "application/pdf", filename: `${pass.sub.subscription_number}-card.pdf`, card_id: cardId };
}

// ---------------------------------------------------------------- calendar

/** The public .ics of an event people can see (approved, completed or cancelled); 404 for drafts and the rest. */
export async function eventCalendar(env: Env, eventId: string): Promise<string> {
  const event = await eventFacts(env, eventId);
  if (!event || !["APPROVED", "COMPLETED", "CANCELLED"].includes(event.status)) throw problems.notFound("Event");
  const page = env.EVENT_PAGE_URL.replace("{event_id}", eventId);
  const url = page.startsWith("/") ? `${env.PUBLIC_API_URL.replace(/\/$/, "")}${page}` : page;
  return renderIcs(event, { url, now: now() });
}
