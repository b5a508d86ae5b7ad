import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { users } from "../../src/users/schema.ts";
import { api, buyAndPay, expectProblem, freshIp, guestOrder, PASSWORD, registerAdmin, registerOrganizer, registerUser, sellingEvent } from "../support/api.ts";
import { deliverPending, emailsTo, pushesTo, type ReceivedEmail } from "../support/notifications.ts";
import { pageQrs } from "../support/pdf-qrs.ts";
import { createOrganization, createUsers, giveFixture, orderRequest, ticketedEvent } from "../support/ticketing.ts";
import { ticketLink } from "../../src/access/ticket-links.ts";
import { BODY_LIMIT } from "../../src/lib/body-limit.ts";

/** Reads a QR code out of an email's inline PNG (inflated here, decoded by jsQR, an independent decoder). */
async function qrOf(attachment: { content: string }): Promise<string | null> {
  const png = Uint8Array.from(atob(attachment.content), (c) => c.charCodeAt(0));
  const view = new DataView(png.buffer);
  const width = view.getUint32(16);
  const parts: Uint8Array[] = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    if (String.fromCharCode(...png.slice(at + 4, at + 8)) === "IDAT") parts.push(png.slice(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, p) => (joined.set(p, offset), offset + p.length), 0);
  const raw = new Uint8Array(await new Response(new Response(joined).body!.pipeThrough(new DecompressionStream("deflate"))).arrayBuffer());
  const rowBytes = Math.ceil(width / 8);
  const pixels = new Uint8ClampedArray(width * width * 4);
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      const light = (raw[y * (rowBytes + 1) + 1 + (x >> 3)]! >> (7 - (x & 7))) & 1;
      pixels.set(light ? [255, 255, 255, 255] : [0, 0, 0, 255], (y * width + x) * 4);
    }
  }
  const { default: jsQR } = await import("jsqr");
  return jsQR(pixels, width, width)?.data ?? null;
}

/** The link in a ticket email (the button), as a path the test client can call. */
function linkIn(email: ReceivedEmail): string {
  const href = /href="(https:\/\/api\.test\/t\/[^"/]+)"/.exec(email.html!)![1]!;
  return new URL(href).pathname;
}

describe("ticket confirmations", () => {
  it("give a fan who bought tickets an email with each QR inline and a push on their device", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await sellingEvent(organizer, admin, { price: 60_000, currency: "TND" });
    const fan = await registerUser({ first_name: "Yassine" });
    const device = `fcm-${crypto.randomUUID()}-${crypto.randomUUID()}`;
    expect((await api("POST", "/v1/me/push-tokens", { token: fan.token, body: { token: device, platform: "ANDROID" } })).status).toBe(201);
    const { orderId } = await buyAndPay(fan, event, { quantity: 2 });
    await deliverPending({ user_id: fan.id });

    const email = (await emailsTo(fan.email)).find((e) => e.subject === "Vos billets sont prêts")!;
    expect(email.text!.replace(/\s/g, " ")).toContain("120.000 TND"); // 2 × 60.000 TND, as people write dinars
    const qrs = email.attachments.filter((a) => a.disposition === "inline" && a.type === "image/png");
    expect(qrs).toHaveLength(2);
    for (const qr of qrs) expect(email.html).toContain(`src="cid:${qr.content_id}"`);
    // Each inline QR is the signed token the holder's app shows, which the gate admits.
    const rights = (await api("GET", "/v1/me/access-rights", { token: fan.token })).body.data.filter((r: { order_id: string }) => r.order_id === orderId);
    expect(rights).toHaveLength(2);
    const tokens = await Promise.all(rights.map(async (r: { id: string }) => (await api("GET", `/v1/me/access-rights/${r.id}/token`, { token: fan.token })).body.token));
    expect((await Promise.all(qrs.map(qrOf))).sort()).toEqual(tokens.sort());
    for (const r of rights) expect(email.text).toContain(r.qr_code);
    // An account with a password opens its tickets in the app: no link.
    expect(email.html).not.toContain("/t/");

    // The order's tickets as one PDF, attached (documents' renderOrderDocuments): one page per ticket, each
    // page's QR (drawn by poppler, read by jsQR) the token of one of the order's rights.
    const pdfs = email.attachments.filter((a) => a.disposition === "attachment");
    expect(pdfs).toHaveLength(1);
    expect(pdfs[0]).toMatchObject({ type: "application/pdf", content_id: null });
    const order = (await api("GET", "/v1/me/orders", { token: fan.token })).body.data.find((o: { id: string }) => o.id === orderId);
    expect(pdfs[0]!.filename).toBe(`${order.ticket_number}.pdf`);
    const pdf = Uint8Array.from(atob(pdfs[0]!.content), (c) => c.charCodeAt(0));
    expect(new TextDecoder().decode(pdf.slice(0, 5))).toBe("%PDF-");
    expect((await pageQrs(pdf)).sort()).toEqual(tokens.sort());
    expect(email.html).toContain(pdfs[0]!.filename);
    // Wallets are configured in tests: each ticket has its Google Wallet save link (a signed JWT of its token)
    // and its Apple Wallet pass (the API's route, which the app opens with its session).
    for (const r of rights) expect(email.html).toContain(`https://api.test/v1/me/access-rights/${r.id}/wallet.pkpass`);
    const saves = [...email.html!.matchAll(/href="(https:\/\/pay\.google\.com\/gp\/v\/save\/[^"]+)"/g)].map((m) => m[1]!);
    expect(saves).toHaveLength(2);
    const saved = saves.map((url) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(url.split("/").pop()!.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)))));
    expect(saved.map((claims) => claims.payload.eventTicketObjects[0].barcode.value).sort()).toEqual(tokens.sort());

    const [push] = await pushesTo(device);
    expect(push).toMatchObject({ title: "Vos billets sont prêts", data: { type: "TICKET_PURCHASED", object_type: "order", object_id: orderId } });
    expect(push!.body.replace(/\s/g, " ")).toContain("120.000 TND");
    const inbox = (await api("GET", "/v1/me/notifications", { token: fan.token })).body.data;
    expect(inbox.find((n: { notification_type: string }) => n.notification_type === "TICKET_PURCHASED")).toMatchObject({ object_type: "order", object_id: orderId });
  });
});

describe("ticket documents in email", () => {
  it("links the PDF, and still sends the email, when the order's PDF cannot be drawn now", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await sellingEvent(organizer, admin, { price: 2_000, currency: "XOF" });
    // The organizer's PDF template, stored before templates were checked (straight into D1): drawing it fails (template_invalid).
    const template = await api("POST", "/v1/ticket-templates", {
      token: organizer.token,
      body: { code: `T_${crypto.randomUUID().slice(0, 8).toUpperCase()}`, name: "Billet club", type: "TICKET", format: "PDF", layout: {}, version: "1.0.0", elements: { qr_code: { size: "large" } } },
    });
    expect(template.status).toBe(201);
    await env.DB.prepare("UPDATE ticket_templates SET elements = ? WHERE id = ?").bind(JSON.stringify({ qr_code: { size: "huge" } }), template.body.id).run();
    const fan = await registerUser();
    const { orderId } = await buyAndPay(fan, event, { quantity: 1 });
    await deliverPending({ user_id: fan.id });

    const email = (await emailsTo(fan.email)).find((e) => e.subject === "Vos billets sont prêts")!;
    expect(email.attachments.filter((a) => a.type === "application/pdf")).toEqual([]);
    expect(email.attachments.filter((a) => a.type === "image/png")).toHaveLength(1); // the QR is still inline
    expect(email.html).toContain(`href="https://api.test/v1/events/${event.eventId}/orders/${orderId}/tickets.pdf"`);
    expect(email.text).toContain(`https://api.test/v1/events/${event.eventId}/orders/${orderId}/tickets.pdf`);
  });
});

describe("guests and email-only holders", () => {
  it("get a link that opens their tickets without a password; the account is claimed with a code, then the link stops", async () => {
    const fixture = await ticketedEvent({ price: 0, quantity: 10 });
    const guest = `guest-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const ordered = await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 2, guest_email: guest });
    expect(ordered.status).toBe(201);
    expect(ordered.body.booking_status).toBe("CONFIRMED");
    await deliverPending({ recipient: guest });
    const [email] = await emailsTo(guest);
    expect(email!.subject).toBe("Vos billets sont prêts");
    expect(email!.attachments.filter((a) => a.type === "image/png")).toHaveLength(2);
    const link = linkIn(email!);
    expect(email!.text).toContain(`https://api.test${link}`);
    // The order's PDF is attached, and the wallet links are the guest page's, which open without signing in.
    const [attached] = email!.attachments.filter((a) => a.type === "application/pdf");
    expect(attached).toMatchObject({ disposition: "attachment" });
    expect(await pageQrs(Uint8Array.from(atob(attached!.content), (c) => c.charCodeAt(0)))).toHaveLength(2);
    expect(email!.html).toMatch(new RegExp(`href="https://api\\.test${link}/rights/[^/"]+/wallet\\.pkpass"`));

    // The link opens a page with the tickets (QR codes and printed codes), and the same as JSON for the app.
    const page = await api("GET", link);
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toContain("text/html");
    expect(page.headers.get("Cache-Control")).toBe("private, no-store");
    expect((page.body as string).match(/<svg /g)).toHaveLength(2);
    const token = link.slice(3);
    const json = await api("GET", `/v1/ticket-links/${token}`);
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ email: guest, claimable: true });
    expect(json.body.tickets).toHaveLength(2);
    for (const t of json.body.tickets) expect(page.body).toContain(t.qr_code);
    // Each ticket's PDF from the page: its QR is that ticket's token, which the holder's app would show.
    for (const t of json.body.tickets) {
      expect(page.body).toContain(`${link}/rights/${t.access_right_id}/ticket.pdf`);
      const response = await (exports as unknown as { default: Fetcher }).default.fetch(`https://api.test${link}/rights/${t.access_right_id}/ticket.pdf`);
      expect(response.status).toBe(200);
      expect(response.headers.get("Content-Type")).toBe("application/pdf");
      expect(response.headers.get("Cache-Control")).toBe("private, no-store");
      expect(await pageQrs(new Uint8Array(await response.arrayBuffer()))).toEqual([t.token]);
      const pass = await (exports as unknown as { default: Fetcher }).default.fetch(`https://api.test${link}/rights/${t.access_right_id}/wallet.pkpass`);
      expect(pass.status).toBe(200);
      expect(pass.headers.get("Content-Type")).toBe("application/vnd.apple.pkpass");
      const google = await (exports as unknown as { default: Fetcher }).default.fetch(`https://api.test${link}/rights/${t.access_right_id}/google-wallet`, { redirect: "manual" });
      expect(google.status).toBe(302);
      expect(google.headers.get("Location")).toMatch(/^https:\/\/pay\.google\.com\/gp\/v\/save\//);
    }
    // Another person's ticket, or one that does not exist, is not the link's to print.
    const stranger = await registerUser();
    const strangers = await buyAndPay(stranger, await sellingEvent(await registerOrganizer({ plan: null }), await registerAdmin(), { price: 1_000, currency: "XOF" }), { quantity: 1 });
    const theirs = (await api("GET", "/v1/me/access-rights", { token: stranger.token })).body.data.find((r: { order_id: string }) => r.order_id === strangers.orderId);
    expect((await (exports as unknown as { default: Fetcher }).default.fetch(`https://api.test${link}/rights/${theirs.id}/ticket.pdf`)).status).toBe(404);
    expect((await (exports as unknown as { default: Fetcher }).default.fetch(`https://api.test${link}/rights/nope/ticket.pdf`)).status).toBe(404);
    // Not an access token, and not forgeable.
    expectProblem(await api("GET", "/v1/me", { token }), 401);
    expectProblem(await api("GET", `/v1/ticket-links/${token.slice(0, -2)}xx`), 404);

    // Signing up with that address points to the claim; the claim needs the emailed code.
    const signup = await api("POST", "/v1/auth/register", { body: { email: guest, password: PASSWORD, first_name: "G", last_name: "Uest" }, ip: freshIp() });
    expectProblem(signup, 409, "account_claimable");
    expect((await api("POST", "/v1/auth/claim", { body: { email: guest }, ip: freshIp() })).status).toBe(202);
    expect((await api("POST", "/v1/auth/claim", { body: { email: `nobody-${crypto.randomUUID()}@example.com` }, ip: freshIp() })).status).toBe(202);
    await deliverPending({ recipient: guest });
    const claimEmail = (await emailsTo(guest)).find((e) => e.subject === "Activez votre compte")!;
    const code = /\b(\d{6})\b/.exec(claimEmail.text!)![1]!;
    const wrong = await api("POST", "/v1/auth/claim/confirm", { body: { email: guest, code: code === "000000" ? "111111" : "000000", password: PASSWORD }, ip: freshIp() });
    expectProblem(wrong, 400, "invalid_code");
    const claimed = await api("POST", "/v1/auth/claim/confirm", { body: { email: guest, code, password: PASSWORD, first_name: "Gaëlle", last_name: "Houngbo" }, ip: freshIp() });
    expect(claimed.status).toBe(200);
    const mine = await api("GET", "/v1/me/access-rights", { token: claimed.body.access_token });
    expect(mine.body.data).toHaveLength(2);
    const [account] = await getDb(env.DB).select().from(users).where(eq(users.email, guest));
    expect(account!.email_verified_at).not.toBeNull();
    // Claimed: the link has done its job; sign in instead. A second claim finds nothing to claim.
    expectProblem(await api("GET", `/v1/ticket-links/${token}`), 410, "account_claimed");
    expect((await api("GET", link)).status).toBe(410);
    expectProblem(await api("POST", "/v1/auth/claim/confirm", { body: { email: guest, code, password: PASSWORD }, ip: freshIp() }), 400, "no_pending_code");
  });

  it("can claim from the page the link opens, which uses the same claim", async () => {
    const fixture = await ticketedEvent({ price: 0, quantity: 10 });
    const guest = `page-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: guest })).status).toBe(201);
    await deliverPending({ recipient: guest });
    const link = linkIn((await emailsTo(guest))[0]!);
    const asked = await api("POST", `${link}/claim`, { ip: freshIp() });
    expect(asked.status).toBe(200);
    expect(asked.body).toContain(guest);
    await deliverPending({ recipient: guest });
    const code = /\b(\d{6})\b/.exec((await emailsTo(guest)).find((e) => e.subject === "Activez votre compte")!.text!)![1]!;
    const form = (fields: Record<string, string>) => ({ rawBody: new URLSearchParams(fields).toString(), headers: { "Content-Type": "application/x-www-form-urlencoded" }, ip: freshIp() });
    expect((await api("POST", `${link}/claim/confirm`, form({ code, password: "short" }))).status).toBe(422);
    const done = await api("POST", `${link}/claim/confirm`, form({ code, password: PASSWORD }));
    expect(done.status).toBe(200);
    expect((await api("POST", "/v1/auth/login", { body: { email: guest, password: PASSWORD }, ip: freshIp() })).status).toBe(200);
  });

  it("refuse a hostile body on the link's forms with a page and a 4xx, never a 500, and never read one past the body limit", async () => {
    const [guest] = await createUsers(1);
    const link = (await ticketLink(env, guest!)).slice("https://api.test".length);
    const post = async (path: string, rawBody: BodyInit, type: string, status: number) => {
      const res = await api("POST", `${link}${path}`, { rawBody, headers: { "Content-Type": type }, ip: freshIp() });
      expect([res.status, res.headers.get("Content-Type")]).toEqual([status, "text/html; charset=utf-8"]);
    };
    // A multipart body whose parts never end, and one with no boundary at all.
    await post("/claim/confirm", "--x\r\nbroken", "multipart/form-data; boundary=x", 400);
    await post("/claim/confirm", "--x\r\nbroken", "multipart/form-data", 400);
    // The app-wide limit holds outside /v1 too: these bodies are refused before they are read.
    await post("/claim/confirm", `code=123456&password=${"p".repeat(BODY_LIMIT)}`, "application/x-www-form-urlencoded", 413);
    await post("/claim", new Uint8Array(BODY_LIMIT + 1), "application/octet-stream", 413);
  });

  it("get the link with a transfer to their email and with a grant to their email", async () => {
    const fixture = await ticketedEvent();
    const alice = await registerUser();
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, alice.id, 1));
    if (!hold.ok) throw new Error(hold.problem.code);
    const confirmed = await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
    if (!confirmed.ok) throw new Error(confirmed.problem.code);
    const friend = `friend-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const sent = await api("POST", `/v1/events/${fixture.eventId}/access-rights/${confirmed.rights[0]!.id}/transfers`, { token: alice.token, body: { type: "DONATION", recipient_email: friend } });
    expect(sent.status).toBe(201);
    await deliverPending({ recipient: friend });
    const transferred = (await emailsTo(friend)).find((e) => e.subject === "Un billet vous a été transféré")!;
    expect(transferred.attachments.filter((a) => a.type === "image/png")).toHaveLength(1);
    const linked = await api("GET", `/v1/ticket-links/${linkIn(transferred).slice(3)}`);
    expect(linked.body.tickets.map((t: { access_right_id: string }) => t.access_right_id)).toEqual([sent.body.new_access_right_id]);

    const organizer = await registerOrganizer();
    await giveFixture(fixture, await createOrganization(organizer.id), organizer.id);
    const invited = `invited-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const granted = await api("POST", `/v1/events/${fixture.eventId}/grants`, { token: organizer.token, body: { source_type: "COMP", holders: [{ email: invited }, { email: invited }] } });
    expect(granted.status).toBe(201);
    await deliverPending({ recipient: invited });
    const invitation = (await emailsTo(invited)).find((e) => e.subject === "Vous êtes invité(e)")!;
    expect(invitation.attachments.filter((a) => a.type === "image/png")).toHaveLength(2);
    expect(invitation.text).toMatch(/^Bonjour, vous avez reçu 2 accès pour « Derby »/); // no name yet: no gap
    expect((await api("GET", `/v1/ticket-links/${linkIn(invitation).slice(3)}`)).body.tickets).toHaveLength(2);
  });
});
