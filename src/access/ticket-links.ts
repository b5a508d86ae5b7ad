import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { and, eq, inArray } from "drizzle-orm";
import type { AppEnv, Env } from "../env.ts";
import { completeClaim, startClaim } from "../auth/claim.ts";
import { walletsAvailable } from "../documents/messages.ts";
import { googleWalletLink, rightDocument } from "../documents/service.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { getDb } from "../db/client.ts";
import { events, venue_zones } from "../events/schema.ts";
import { InvalidTokenError, signJwt, verifyJwt } from "../lib/crypto/jwt.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { BODY_LIMIT } from "../lib/body-limit.ts";
import { createRouter, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { clientMeta } from "../lib/request.ts";
import { formatDateTime } from "../lib/time.ts";
import type { TicketContent } from "../notifications/hooks.ts";
import type { TicketRef } from "../notifications/schema.ts";
import { users } from "../users/schema.ts";
import { renderQrSvg } from "./qr-svg.ts";
import { access_rights } from "./schema.ts";
import { issueAccessTokens } from "./signing-keys.ts";

/**
 * The link that opens a person's tickets without a password, for people whose
 * account was opened for them (a guest order, a ticket transferred or granted
 * to their email): a signed token of one purpose (`tickets+jwt`, which the
 * API never accepts as an access token) naming the account, expiring after
 * TICKET_LINK_TTL_DAYS, and working only while the account has no password:
 * once it is claimed (POST /v1/auth/claim), its owner signs in instead.
 */
const LINK_TYPE = "tickets+jwt";
/** Rights a link shows: the ones that admit. */
const SHOWN = ["ENABLED", "USED"];

export async function ticketLink(env: Env, userId: string): Promise<string> {
  const days = Number(env.TICKET_LINK_TTL_DAYS || "30");
  const token = await signJwt(env.JWT_SIGNING_KEYS, { sub: userId, purpose: "tickets" }, Math.max(1, days) * 86_400, LINK_TYPE);
  return `${env.PUBLIC_API_URL.replace(/\/+$/, "")}/t/${token}`;
}

/** The unclaimed account a link names, or the problem to show. */
async function linkHolder(env: Env, token: string) {
  let claims;
  try {
    claims = await verifyJwt(env.JWT_SIGNING_KEYS, token, LINK_TYPE);
  } catch (error) {
    if (error instanceof InvalidTokenError && error.message === "token expired") throw problems.gone("ticket_link_expired", "This link has expired; claim your account (POST /v1/auth/claim) to see your tickets.");
    throw problems.notFound("Ticket link");
  }
  if (claims.purpose !== "tickets") throw problems.notFound("Ticket link");
  const [user] = await getDb(env.DB).select().from(users).where(eq(users.id, claims.sub)).limit(1);
  if (!user || !user.is_active) throw problems.notFound("Ticket link");
  if (user.password_hash) throw problems.gone("account_claimed", "This account was claimed: sign in to see its tickets.");
  return user;
}

interface ShownTicket {
  access_right_id: string;
  qr_code: string;
  token: string;
  status: string;
  event: { id: string; title: string; starts_at: string; timezone: string; venue_name: string | null };
  zone: string | null;
}

/** Every admitting right of the person, with its signed QR token (registered with the event's gate), soonest event first. */
async function holderTickets(env: Env, userId: string): Promise<ShownTicket[]> {
  const db = getDb(env.DB);
  const rights = await db
    .selectDistinct({ event_id: access_rights.event_id })
    .from(access_rights)
    .where(and(eq(access_rights.user_id, userId), inArray(access_rights.status, ["ENABLED", "USED"])));
  const eventIds = [...new Set(rights.map((r) => r.event_id))];
  if (eventIds.length === 0) return [];
  const eventRows = await db
    .select({ id: events.id, title: events.title, starts_at: events.starts_at, timezone: events.timezone, venue_name: events.venue_name })
    .from(events)
    .where(inArray(events.id, eventIds));
  const shown: ShownTicket[] = [];
  for (const event of eventRows.sort((a, b) => a.starts_at.localeCompare(b.starts_at))) {
    const content = await rightsOf(env, userId, { event_id: event.id });
    for (const t of content.rights) shown.push({ access_right_id: t.id, qr_code: t.qr_code, token: t.token, status: t.status, event, zone: t.zone });
  }
  return shown;
}

/** The person's live rights in one event (from its EventDO), narrowed to an order, a source or ids, with their QR tokens and zone names. */
async function rightsOf(env: Env, userId: string, ref: TicketRef) {
  const stub = eventStub(env, ref.event_id);
  const all = await stub.listRights(ref.order_id ? { order_id: ref.order_id } : ref.source_id ? { source_id: ref.source_id } : { user_id: userId });
  const mine = all.filter((r) => r.user_id === userId && SHOWN.includes(r.status) && (!ref.right_ids || ref.right_ids.includes(r.id)));
  if (mine.length === 0) return { rights: [] };
  const tokens = await issueAccessTokens(env, ref.event_id, mine.map((r) => r.id));
  const zoneIds = [...new Set(mine.map((r) => r.zone_id).filter((id): id is string => id !== null))];
  const zones = zoneIds.length ? await getDb(env.DB).select({ id: venue_zones.id, name: venue_zones.name }).from(venue_zones).where(inArray(venue_zones.id, zoneIds)) : [];
  return {
    rights: mine.map((r, i) => ({ id: r.id, qr_code: r.qr_code, status: r.status, token: tokens[i]!.token, zone: zones.find((z) => z.id === r.zone_id)?.name ?? null })),
  };
}

/**
 * What a ticket-bearing message carries (the answer to notifications' ticketsForMessage hook,
 * attached in src/hooks.ts): the rights it is about with their QR tokens, and
 * the person's link when their account has no password.
 */
export async function ticketContentForMessage(env: Env, userId: string, ref: TicketRef): Promise<TicketContent> {
  const db = getDb(env.DB);
  const [[event], [user]] = await db.batch([
    db.select({ title: events.title }).from(events).where(eq(events.id, ref.event_id)).limit(1),
    db.select({ password_hash: users.password_hash }).from(users).where(eq(users.id, userId)).limit(1),
  ]);
  const { rights } = await rightsOf(env, userId, ref);
  return {
    tickets: rights.map((r) => ({ access_right_id: r.id, qr_code: r.qr_code, token: r.token, label: [event?.title, r.zone].filter(Boolean).join(" — ") })),
    link: user && !user.password_hash ? await ticketLink(env, userId) : null,
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const PAGE_STRINGS = {
  fr: { pdf: "Billet PDF", apple: "Ajouter à Apple Wallet", google: "Ajouter à Google Wallet", title: "Mes billets", none: "Aucun billet valable pour le moment.", show: "Présentez ce code QR à l'entrée.", claim: "Gardez vos billets dans l'application : activez votre compte.", send: "Recevoir mon code", code: "Code reçu par e-mail", password: "Mot de passe (10 caractères ou plus)", activate: "Activer mon compte", sent: "Un code a été envoyé à", done: "Compte activé. Connectez-vous dans l'application avec votre e-mail et votre mot de passe." },
  ar: { pdf: "التذكرة PDF", apple: "أضف إلى Apple Wallet", google: "أضف إلى Google Wallet", title: "تذاكري", none: "لا توجد تذاكر صالحة حاليًا.", show: "قدّم رمز QR هذا عند الدخول.", claim: "احتفظ بتذاكرك في التطبيق: فعّل حسابك.", send: "استلام الرمز", code: "الرمز المرسل بالبريد", password: "كلمة المرور (10 أحرف أو أكثر)", activate: "تفعيل حسابي", sent: "تم إرسال رمز إلى", done: "تم تفعيل الحساب. سجّل الدخول في التطبيق ببريدك وكلمة المرور." },
  en: { pdf: "Ticket PDF", apple: "Add to Apple Wallet", google: "Add to Google Wallet", title: "My tickets", none: "No valid tickets for now.", show: "Show this QR code at the entrance.", claim: "Keep your tickets in the app: activate your account.", send: "Send me a code", code: "Code received by email", password: "Password (10 characters or more)", activate: "Activate my account", sent: "A code was sent to", done: "Account activated. Sign in to the app with your email and password." },
} as const;

function page(language: "fr" | "ar" | "en", body: string): string {
  const dir = language === "ar" ? "rtl" : "ltr";
  return `<!doctype html><html lang="${language}" dir="${dir}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>SpotVibe</title>
<style>body{font-family:Arial,Helvetica,sans-serif;max-width:640px;margin:24px auto;padding:0 16px;color:#222}.t{border:1px solid #ddd;border-radius:8px;padding:16px;margin:16px 0}.t svg{width:240px;height:240px}code{font-size:18px}input,button{font-size:16px;padding:8px;margin:4px 0;display:block;width:100%;box-sizing:border-box}</style></head><body dir="${dir}">${body}</body></html>`;
}

type Wallets = { apple: boolean; google: boolean };

/** Each ticket's documents, under the link (they open without signing in, like the page). */
function ticketDocumentLinks(action: string, rightId: string, wallets: Wallets, s: (typeof PAGE_STRINGS)[keyof typeof PAGE_STRINGS]): string {
  const base = `${action}/rights/${encodeURIComponent(rightId)}`;
  const links = [
    `<a href="${base}/ticket.pdf">${escapeHtml(s.pdf)}</a>`,
    ...(wallets.apple ? [`<a href="${base}/wallet.pkpass">${escapeHtml(s.apple)}</a>`] : []),
    ...(wallets.google ? [`<a href="${base}/google-wallet">${escapeHtml(s.google)}</a>`] : []),
  ];
  return `<p>${links.join(" · ")}</p>`;
}

function ticketsPage(token: string, user: { email: string; language: "fr" | "ar" | "en" }, tickets: ShownTicket[], wallets: Wallets, notice = ""): string {
  const s = PAGE_STRINGS[user.language];
  const action = `/t/${encodeURIComponent(token)}`;
  const list = tickets.length
    ? tickets
        .map(
          (t) =>
            `<div class="t"><h2>${escapeHtml(t.event.title)}</h2><p>${escapeHtml(formatDateTime(t.event.starts_at, t.event.timezone, user.language))}${t.event.venue_name ? ` — ${escapeHtml(t.event.venue_name)}` : ""}${t.zone ? `<br>${escapeHtml(t.zone)}` : ""}</p>${renderQrSvg(t.token)}<p>${escapeHtml(s.show)}<br><code>${escapeHtml(t.qr_code)}</code></p>${ticketDocumentLinks(action, t.access_right_id, wallets, s)}</div>`,
        )
        .join("")
    : `<p>${escapeHtml(s.none)}</p>`;
  return page(
    user.language,
    `<h1>${escapeHtml(s.title)}</h1>${notice}${list}<hr><p>${escapeHtml(s.claim)}</p>` +
      `<form method="post" action="${action}/claim"><button>${escapeHtml(s.send)}</button></form>` +
      `<form method="post" action="${action}/claim/confirm"><input name="code" inputmode="numeric" pattern="[0-9]{6}" placeholder="${escapeHtml(s.code)}" required><input name="password" type="password" minlength="10" placeholder="${escapeHtml(s.password)}" required><button>${escapeHtml(s.activate)}</button></form>`,
  );
}

const tokenParam = z.object({ token: z.string().min(20).max(2000) });

const TicketLinkSchema = z
  .object({
    email: z.string(),
    first_name: z.string(),
    claimable: z.literal(true),
    tickets: z.array(
      z.object({
        access_right_id: z.string(),
        qr_code: z.string(),
        token: z.string().openapi({ description: "The signed QR token: draw it as a QR code." }),
        status: z.string(),
        zone: z.string().nullable(),
        event: z.object({ id: z.string(), title: z.string(), starts_at: z.string(), timezone: z.string(), venue_name: z.string().nullable() }),
      }),
    ),
  })
  .openapi("TicketLink");

/** `GET /v1/ticket-links/{token}`: the same tickets as JSON, for the app opening the link. */
export function ticketLinkRoutes() {
  const r = createRouter();
  r.openapi(
    createRoute({
      method: "get",
      path: "/ticket-links/{token}",
      operationId: "getTicketLink",
      tags: ["Access rights"],
      summary: "The tickets a guest's link opens",
      description:
        "The link emailed with a guest order, a transfer or a grant to an email address opens that person's tickets without a password while their account is unclaimed. 404 for a bad link, 410 once it expired or the account was claimed (then sign in).",
      request: { params: tokenParam },
      responses: { 200: jsonResponse(TicketLinkSchema, "The person's tickets."), ...errors("account_claimed", "not_found", "ticket_link_expired") },
    }),
    async (c) => {
      const user = await linkHolder(c.env, c.req.valid("param").token);
      c.header("Cache-Control", "private, no-store");
      c.header("Referrer-Policy", "no-referrer");
      return c.json({ email: user.email, first_name: user.first_name, claimable: true as const, tickets: await holderTickets(c.env, user.id) }, 200);
    },
  );
  return r;
}

/**
 * The page a guest's link opens (`/t/{token}`, outside /v1 like share
 * links): their tickets with QR codes, each ticket's PDF and wallet passes
 * (`/t/{token}/rights/{id}/ticket.pdf`, `wallet.pkpass`, `google-wallet`:
 * the same documents as the holder's /v1/me routes, for the link's holder),
 * and the claim in two forms that call the same claim code as /v1/auth/claim.
 */
export function ticketLinkPages() {
  const app = new OpenAPIHono<AppEnv>();
  const headers = { "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'" };
  const fail = (language: "fr" | "ar" | "en", error: unknown) => {
    if (!(error instanceof ProblemError)) throw error;
    return new Response(page(language, `<p>${escapeHtml(error.detail ?? error.title)}</p>`), { status: error.status, headers: { ...headers, "Content-Type": "text/html; charset=utf-8" } });
  };
  const html = (body: string, status = 200) => new Response(body, { status, headers: { ...headers, "Content-Type": "text/html; charset=utf-8" } });
  // Outside /v1, so outside the app-wide limit: the forms' bodies get the same one, refused as a page.
  app.use("/t/*", bodyLimit({ maxSize: BODY_LIMIT, onError: () => fail("fr", problems.payloadTooLarge(`Request bodies are limited to ${BODY_LIMIT} bytes.`)) }));

  app.get("/t/:token", async (c) => {
    const token = c.req.param("token");
    try {
      const user = await linkHolder(c.env, token);
      return html(ticketsPage(token, user, await holderTickets(c.env, user.id), await walletsAvailable(c.env)));
    } catch (error) {
      return fail("fr", error);
    }
  });
  const document = (kind: "pdf" | "pkpass") => async (c: Context<AppEnv>) => {
    try {
      const user = await linkHolder(c.env, c.req.param("token")!);
      const file = await rightDocument(c.env, user.id, c.req.param("rightId")!, kind, user.language);
      return new Response(file.bytes, {
        headers: { ...headers, "Content-Type": file.contentType, "Content-Disposition": `${kind === "pdf" ? "inline" : "attachment"}; filename="${file.filename}"` },
      });
    } catch (error) {
      return fail("fr", error);
    }
  };
  app.get("/t/:token/rights/:rightId/ticket.pdf", document("pdf"));
  app.get("/t/:token/rights/:rightId/wallet.pkpass", document("pkpass"));
  app.get("/t/:token/rights/:rightId/google-wallet", async (c) => {
    try {
      const user = await linkHolder(c.env, c.req.param("token"));
      const { save_url } = await googleWalletLink(c.env, user.id, c.req.param("rightId"), user.language);
      return new Response(null, { status: 302, headers: { ...headers, Location: save_url } });
    } catch (error) {
      return fail("fr", error);
    }
  });
  app.post("/t/:token/claim", async (c) => {
    const token = c.req.param("token");
    try {
      const user = await linkHolder(c.env, token);
      await startClaim(c.env, user.email, clientMeta(c));
      const s = PAGE_STRINGS[user.language];
      return html(ticketsPage(token, user, await holderTickets(c.env, user.id), await walletsAvailable(c.env), `<p><strong>${escapeHtml(s.sent)} ${escapeHtml(user.email)}.</strong></p>`));
    } catch (error) {
      return fail("fr", error);
    }
  });
  app.post("/t/:token/claim/confirm", async (c) => {
    const token = c.req.param("token");
    try {
      const user = await linkHolder(c.env, token);
      const form = await c.req.parseBody().catch(() => {
        throw new ProblemError(400, "malformed_request", "Bad request", "The form could not be read.");
      });
      const code = String(form.code ?? "");
      const password = String(form.password ?? "");
      if (!/^\d{6}$/.test(code) || password.length < 10 || password.length > 128) {
        throw problems.validation([{ path: "code", message: "Expected the 6-digit code and a password of 10 to 128 characters.", code: "invalid" }]);
      }
      await completeClaim(c.env, { email: user.email, code, password }, clientMeta(c));
      return html(page(user.language, `<p>${escapeHtml(PAGE_STRINGS[user.language].done)}</p>`));
    } catch (error) {
      return fail("fr", error);
    }
  });
  return app;
}

