import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { unzipSync } from "fflate";
import ICAL from "ical.js";
import { importSPKI, jwtVerify } from "jose";
import { PDFDict, PDFDocument, PDFName } from "pdf-lib";
import * as asn1js from "asn1js";
import { Certificate, ContentInfo, SignedData } from "pkijs";
import { describe, expect, it } from "vitest";
import { retireEventKey } from "../../src/access/signing-keys.ts";
import { pemBlocks } from "../../src/lib/crypto/pem.ts";
import { toHex } from "../../src/lib/crypto/encoding.ts";
import { ProblemError } from "../../src/lib/errors.ts";
import { newId } from "../../src/lib/ids.ts";
import { googleWalletLink, rightDocument } from "../../src/documents/service.ts";
import { solidPng } from "../../src/documents/png.ts";
import { api, expectProblem, publishEvent, registerAdmin, registerMember, registerOrganizer, registerUser, setRole } from "../support/api.ts";
import { gatedEvent, scanHttp } from "../support/gate.ts";
import { pageQrs } from "../support/pdf-qrs.ts";
import { createOrganization, giveFixture, orderRequest, ticketedEvent, type TicketingFixture } from "../support/ticketing.ts";

type User = Awaited<ReturnType<typeof registerUser>>;

/** Calls the Worker and keeps the body as bytes (PDFs, passes). */
async function raw(path: string, token?: string, init: { method?: string; body?: BodyInit; headers?: Record<string, string> } = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const response = await (exports as unknown as { default: Fetcher }).default.fetch(new Request(`https://api.test${path}`, { method: init.method ?? "GET", headers, body: init.body }));
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

/** The base names of the fonts embedded in a PDF. */
async function fontNames(pdf: Uint8Array): Promise<string[]> {
  const doc = await PDFDocument.load(pdf);
  return doc.context
    .enumerateIndirectObjects()
    .map(([, object]) => (object instanceof PDFDict ? object.get(PDFName.of("BaseFont")) : undefined))
    .filter((name): name is PDFName => name instanceof PDFName)
    .map((name) => name.decodeText());
}

const problemOf = (res: { status: number; headers: Headers; bytes: Uint8Array }) => ({ status: res.status, headers: res.headers, body: JSON.parse(new TextDecoder().decode(res.bytes)) });

/** A registered fan holding `quantity` confirmed rights of the fixture's event, projected to D1. */
async function buy(fixture: TicketingFixture, fan: User, quantity = 1) {
  const hold = await fixture.stub.placeOrder(orderRequest(fixture, fan.id, quantity));
  if (!hold.ok) throw new Error(`hold failed: ${hold.problem.code}`);
  const confirmed = await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
  if (!confirmed.ok) throw new Error(`confirm failed: ${confirmed.problem.code}`);
  await fixture.stub.flushProjection();
  return { orderId: hold.order.id, rights: confirmed.rights };
}

const currentToken = async (rightId: string, user: User) => {
  const res = await api("GET", `/v1/me/access-rights/${rightId}/token`, { token: user.token });
  expect(res.status).toBe(200);
  return res.body.token as string;
};

const donate = async (fixture: TicketingFixture, rightId: string, from: User, to: User) => {
  const res = await api("POST", `/v1/events/${fixture.eventId}/access-rights/${rightId}/transfers`, { token: from.token, body: { type: "DONATION", recipient_user_id: to.id } });
  expect(res.status).toBe(201);
  return res.body.new_access_right_id as string;
};

async function setLiveStatus(fixture: TicketingFixture, rightId: string, status: string) {
  await runInDurableObject(fixture.stub, (_instance, state) => {
    state.storage.sql.exec("UPDATE rights SET status = ? WHERE id = ?", status, rightId);
  });
}

/** The fixture's event, owned by the organization of a registered organizer (its OWNER) who can sign in (to create templates). */
async function ownedEvent(fixture: TicketingFixture) {
  const organizer = await registerUser({ first_name: "Club", last_name: "Africain" });
  await setRole(organizer.id, "ORGANIZER");
  const organizationId = await createOrganization(organizer.id);
  await giveFixture(fixture, organizationId, organizer.id);
  return { ...organizer, organizationId };
}

const PRINT_ELEMENTS = {
  header: { logo: true, club_name: true, event_type: true },
  main_info: { event_title: true, event_date: true, event_time: true, venue: true },
  ticket_info: { holder_name: true, zone: true, seat: true, price: true, ticket_type: true, ticket_number: true },
  qr_code: { size: "large", position: "center", include_text: true },
  footer: { terms: true },
};

const createTemplate = (organizer: User, body: Record<string, unknown>) =>
  api("POST", "/v1/ticket-templates", { token: organizer.token, body: { code: `T_${newId().slice(0, 8).toUpperCase()}`, name: "Billet club", type: "TICKET", format: "PDF", layout: {}, version: "1.0.0", ...body } });

describe("printed tickets", () => {
  it("gives the holder an A4 PDF whose QR, read off the rendered page, is the right's current token", async () => {
    const fixture = await ticketedEvent({ currency: "TND", price: 15_500 });
    const fan = await registerUser();
    const { rights } = await buy(fixture, fan);
    const res = await raw(`/v1/me/access-rights/${rights[0]!.id}/ticket.pdf`, fan.token);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/pdf");
    expect(res.headers.get("Cache-Control")).toBe("private, no-store");
    expect(res.headers.get("Content-Disposition")).toMatch(/^attachment; filename="Derby-.+\.pdf"$/);
    const doc = await PDFDocument.load(res.bytes);
    expect(doc.getPageCount()).toBe(1);
    expect(Math.round(doc.getPage(0).getWidth())).toBe(595);
    expect(await pageQrs(res.bytes)).toEqual([await currentToken(rights[0]!.id, fan)]);
  });

  it("prints 80 mm thermal receipts, and in Arabic with the Arabic face embedded", async () => {
    const fixture = await ticketedEvent();
    const fan = await registerUser();
    const { rights } = await buy(fixture, fan);
    const thermal = await raw(`/v1/me/access-rights/${rights[0]!.id}/ticket.pdf?format=THERMAL&lang=ar`, fan.token);
    expect(thermal.status).toBe(200);
    const doc = await PDFDocument.load(thermal.bytes);
    expect(doc.getPage(0).getWidth()).toBeCloseTo((80 * 72) / 25.4, 1);
    expect(await fontNames(thermal.bytes)).toEqual(expect.arrayContaining([expect.stringMatching(/^NotoSansArabic-Bold-/), expect.stringMatching(/^NotoSans-Bold-/)]));
    expect(await pageQrs(thermal.bytes)).toEqual([await currentToken(rights[0]!.id, fan)]);
  });

  it("puts an order in one file, a page per right: the buyer's held rights, or every active one for the box office", async () => {
    const fixture = await ticketedEvent();
    const organizer = await ownedEvent(fixture);
    const [alice, bob, stranger] = [await registerUser(), await registerUser(), await registerUser()];
    const { orderId, rights } = await buy(fixture, alice, 3);
    const path = `/v1/events/${fixture.eventId}/orders/${orderId}/tickets.pdf`;
    const all = await raw(path, alice.token);
    expect(all.status).toBe(200);
    expect(await pageQrs(all.bytes)).toEqual(await Promise.all(rights.map((r) => currentToken(r.id, alice))));

    const given = await donate(fixture, rights[1]!.id, alice, bob);
    const mine = await raw(path, alice.token);
    expect(await pageQrs(mine.bytes)).toEqual([await currentToken(rights[0]!.id, alice), await currentToken(rights[2]!.id, alice)]);
    // The box office prints every right of the order that admits, whoever holds it now.
    const counter = await raw(`${path}?format=THERMAL`, organizer.token);
    expect(counter.status).toBe(200);
    expect(new Set(await pageQrs(counter.bytes))).toEqual(new Set([await currentToken(rights[0]!.id, alice), await currentToken(given, bob), await currentToken(rights[2]!.id, alice)]));
    // So does a BOX_OFFICE member of the event's organization; members without `tickets.resend` get 403.
    const boxOffice = await registerMember(organizer.organizationId, "BOX_OFFICE");
    expect((await raw(path, boxOffice.token)).status).toBe(200);
    for (const role of ["CONTROLLER", "FINANCE"] as const) {
      expectProblem(problemOf(await raw(path, (await registerMember(organizer.organizationId, role)).token)), 403, "forbidden");
    }
    expectProblem(problemOf(await raw(path, bob.token)), 404, "not_found");
    expectProblem(problemOf(await raw(path, stranger.token)), 404, "not_found");
    expectProblem(problemOf(await raw(path)), 401);
  });

  it("caches a right's document in the private bucket, and draws a new one when the token changes", async () => {
    const fixture = await ticketedEvent();
    const fan = await registerUser();
    const { rights } = await buy(fixture, fan);
    const path = `/v1/me/access-rights/${rights[0]!.id}/ticket.pdf`;
    const first = await raw(path, fan.token);
    const listed = await env.VAULT.list({ prefix: `documents/${fixture.eventId}/${rights[0]!.id}/` });
    expect(listed.objects.map((o) => o.key)).toEqual([expect.stringMatching(/\/pdf-[0-9a-f]{32}$/)]);
    expect(await env.MEDIA.list({ prefix: "documents/" }).then((l) => l.objects.length)).toBe(0);
    const key = listed.objects[0]!.key;
    expect(new Uint8Array(await (await env.VAULT.get(key))!.arrayBuffer())).toEqual(first.bytes);
    // A marker in the stored copy shows the next response came from the bucket.
    await env.VAULT.put(key, new TextEncoder().encode("%PDF-cached"));
    expect(new TextDecoder().decode((await raw(path, fan.token)).bytes)).toBe("%PDF-cached");
    // A new signing key means a new token: a new document, and the old copy is deleted.
    await retireEventKey(env, fixture.eventId);
    const redrawn = await raw(path, fan.token);
    expect(await pageQrs(redrawn.bytes)).toEqual([await currentToken(rights[0]!.id, fan)]);
    const after = await env.VAULT.list({ prefix: `documents/${fixture.eventId}/${rights[0]!.id}/` });
    expect(after.objects.map((o) => o.key)).not.toContain(key);
    expect(after.objects).toHaveLength(1);
  });
});

describe("documents after a transfer", () => {
  it("refuses the old holder's printed QR at the gate and admits the new holder's", async () => {
    const fixture = await gatedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    const { rights } = await buy(fixture, alice);
    const oldPdf = await raw(`/v1/me/access-rights/${rights[0]!.id}/ticket.pdf`, alice.token);
    const [oldQr] = await pageQrs(oldPdf.bytes);
    expect(oldQr).toBe(await currentToken(rights[0]!.id, alice));

    const newRight = await donate(fixture, rights[0]!.id, alice, bob);
    // The old holder gets no document any more, and what was cached of it is gone.
    expectProblem(problemOf(await raw(`/v1/me/access-rights/${rights[0]!.id}/ticket.pdf`, alice.token)), 409, "access_right_inactive");
    expect((await env.VAULT.list({ prefix: `documents/${fixture.eventId}/${rights[0]!.id}/` })).objects).toHaveLength(0);
    const newPdf = await raw(`/v1/me/access-rights/${newRight}/ticket.pdf`, bob.token);
    expect(newPdf.status).toBe(200);
    const [newQr] = await pageQrs(newPdf.bytes);
    expect(newQr).not.toBe(oldQr);
    expect(newQr).toBe(await currentToken(newRight, bob));

    // The doors open: the QR read off the old PDF is refused, the one off the new PDF admitted.
    await runInDurableObject(fixture.stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE rights SET valid_from = ?", new Date(Date.now() - 60_000).toISOString());
    });
    const refused = await scanHttp(fixture, oldQr!);
    expect(refused.body.results?.[0] ?? refused.body).toMatchObject({ status: "DENIED" });
    const admitted = await scanHttp(fixture, newQr!);
    expect(admitted.body.results?.[0] ?? admitted.body).toMatchObject({ status: "SUCCESS", denial_reason: null });
  });
});

describe("wallet passes", () => {
  it("signs a .pkpass whose manifest lists every file's SHA-1 and whose CMS signature chains to the CA", async () => {
    const fixture = await ticketedEvent({ currency: "TND", price: 15_500 });
    const fan = await registerUser();
    const { rights } = await buy(fixture, fan);
    const res = await raw(`/v1/me/access-rights/${rights[0]!.id}/wallet.pkpass`, fan.token);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/vnd.apple.pkpass");
    const files = unzipSync(res.bytes);
    expect(Object.keys(files).sort()).toEqual(["ar.lproj/pass.strings", "en.lproj/pass.strings", "fr.lproj/pass.strings", "icon.png", "icon@2x.png", "manifest.json", "pass.json", "signature"]);
    const manifest = JSON.parse(new TextDecoder().decode(files["manifest.json"])) as Record<string, string>;
    expect(Object.keys(manifest).sort()).toEqual(Object.keys(files).filter((f) => f !== "manifest.json" && f !== "signature").sort());
    for (const [name, digest] of Object.entries(manifest)) expect(toHex(new Uint8Array(await crypto.subtle.digest("SHA-1", files[name]!)))).toBe(digest);

    const pass = JSON.parse(new TextDecoder().decode(files["pass.json"]));
    const token = await currentToken(rights[0]!.id, fan);
    expect(pass).toMatchObject({ formatVersion: 1, passTypeIdentifier: "pass.dev.edge-events.test", teamIdentifier: "TESTTEAM01", serialNumber: rights[0]!.id, barcodes: [{ format: "PKBarcodeFormatQR", message: token, altText: rights[0]!.qr_code }] });
    expect(pass.eventTicket.auxiliaryFields).toContainEqual(expect.objectContaining({ key: "price", value: expect.stringMatching(/^15\.500\sTND$/) }));

    const info = new ContentInfo({ schema: asn1js.fromBER(files.signature!).result });
    expect(info.contentType).toBe(ContentInfo.SIGNED_DATA);
    const signed = new SignedData({ schema: info.content });
    expect(signed.encapContentInfo.eContent).toBeUndefined(); // detached
    const root = Certificate.fromBER(pemBlocks(env.TEST_WALLET_ROOT_CA, "CERTIFICATE")[0]!);
    const verify = (data: Uint8Array) => signed.verify({ signer: 0, data: data.slice().buffer, trustedCerts: [root], checkChain: true, extendedMode: true });
    const result = (await verify(files["manifest.json"]!)) as unknown as { signatureVerified: boolean };
    expect(result.signatureVerified).toBe(true);
    // The same signature over any other manifest does not verify.
    const forged = new TextEncoder().encode(JSON.stringify({ ...manifest, "pass.json": "0".repeat(40) }));
    const forgedVerified = await verify(forged).then((r) => (r as unknown as { signatureVerified: boolean }).signatureVerified, () => false);
    expect(forgedVerified).toBe(false);
  });

  it("signs a Google Wallet save JWT carrying the right's token, verifiable with the service account's key", async () => {
    const fixture = await ticketedEvent();
    const fan = await registerUser();
    const { rights } = await buy(fixture, fan);
    const res = await api("GET", `/v1/me/access-rights/${rights[0]!.id}/google-wallet`, { token: fan.token });
    expect(res.status).toBe(200);
    expect(res.body.save_url).toBe(`https://pay.google.com/gp/v/save/${res.body.jwt}`);
    const key = await importSPKI(env.TEST_GOOGLE_WALLET_PUBLIC_KEY, "RS256");
    const { payload, protectedHeader } = await jwtVerify(res.body.jwt, key, { issuer: "wallet@edge-events-test.iam.gserviceaccount.com", audience: "google" });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload.typ).toBe("savetowallet");
    const body = payload.payload as { eventTicketClasses: Record<string, any>[]; eventTicketObjects: Record<string, any>[] };
    expect(body.eventTicketClasses[0]).toMatchObject({ id: `3388000000012345678.event-${fixture.eventId}`, eventName: { defaultValue: { value: "Derby" } } });
    expect(body.eventTicketObjects[0]).toMatchObject({
      id: `3388000000012345678.${rights[0]!.id}`,
      classId: `3388000000012345678.event-${fixture.eventId}`,
      state: "ACTIVE",
      barcode: { type: "QR_CODE", value: await currentToken(rights[0]!.id, fan), alternateText: rights[0]!.qr_code },
      faceValue: { micros: "5000000000", currencyCode: "XOF" },
    });
  });

  it("answers 503 wallet_not_configured, naming what is missing, when a deployment has no wallet credentials", async () => {
    const fixture = await ticketedEvent();
    const fan = await registerUser();
    const { rights } = await buy(fixture, fan);
    const bare = { ...env, APPLE_PASS_CERTIFICATE: undefined, GOOGLE_WALLET_PRIVATE_KEY: "" };
    const apple = await rightDocument(bare, fan.id, rights[0]!.id, "pkpass").catch((error: unknown) => error);
    expect(apple).toBeInstanceOf(ProblemError);
    expect(apple).toMatchObject({ status: 503, code: "wallet_not_configured", detail: expect.stringContaining("APPLE_PASS_CERTIFICATE") });
    const google = await googleWalletLink(bare, fan.id, rights[0]!.id).catch((error: unknown) => error);
    expect(google).toMatchObject({ status: 503, code: "wallet_not_configured", detail: expect.stringContaining("GOOGLE_WALLET_PRIVATE_KEY") });
    const broken = await rightDocument({ ...env, APPLE_PASS_PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----" }, fan.id, rights[0]!.id, "pkpass").catch((e: unknown) => e);
    expect(broken).toMatchObject({ status: 503, code: "wallet_not_configured", detail: expect.stringContaining("PKCS#8") });
  });
});

describe("calendar files", () => {
  it("serves an approved event as an .ics that parses back to its times and place", async () => {
    const fixture = await ticketedEvent();
    const res = await api<string>("GET", `/v1/events/${fixture.eventId}/calendar.ics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/calendar; charset=utf-8");
    expect(res.body).toMatch(/\r\n$/);
    const event = await env.DB.prepare("SELECT starts_at, ends_at FROM events WHERE id = ?").bind(fixture.eventId).first<{ starts_at: string; ends_at: string }>();
    const calendar = new ICAL.Component(ICAL.parse(res.body));
    const vevent = new ICAL.Event(calendar.getFirstSubcomponent("vevent")!);
    expect(vevent.uid).toBe(`${fixture.eventId}@edge-events`);
    expect(vevent.summary).toBe("Derby");
    expect(vevent.location).toBe("Stade de l'Amitié, Cotonou");
    // iCalendar times have whole seconds.
    const seconds = (iso: string) => iso.replace(/\.\d+Z$/, ".000Z");
    expect(vevent.startDate.toJSDate().toISOString()).toBe(seconds(event!.starts_at));
    expect(vevent.endDate.toJSDate().toISOString()).toBe(seconds(event!.ends_at));
  });

  it("folds long lines at 75 octets without splitting characters, and hides drafts", async () => {
    const fixture = await ticketedEvent();
    const title = `Finale ${"é".repeat(60)}, stade; "Radès"`;
    await env.DB.prepare("UPDATE events SET title = ? WHERE id = ?").bind(title, fixture.eventId).run();
    const res = await api<string>("GET", `/v1/events/${fixture.eventId}/calendar.ics`);
    for (const line of res.body.split("\r\n")) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    expect(new ICAL.Event(new ICAL.Component(ICAL.parse(res.body)).getFirstSubcomponent("vevent")!).summary).toBe(title);
    const draft = await ticketedEvent({ status: "DRAFT" });
    expectProblem(await api("GET", `/v1/events/${draft.eventId}/calendar.ics`), 404, "not_found");
  });
});

describe("calendar files under a hostile title", () => {
  it("keeps an organizer's title inside SUMMARY: a bare CR or a control character cannot start a property of its own", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    // Accepted as a title (trimmed text): a bare CR, a NUL and a BEL inside it.
    const title = "Derby\rURL:https://evil.example/\rATTACH:https://evil.example/x\u0000\u0007 fin";
    const event = await publishEvent(organizer, admin, { title });
    const res = await api<string>("GET", `/v1/events/${event.id}/calendar.ics`);
    expect(res.status).toBe(200);
    expect(res.body).not.toMatch(/\r(?!\n)|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
    const vevent = new ICAL.Component(ICAL.parse(res.body)).getFirstSubcomponent("vevent")!;
    expect(vevent.getAllProperties("url").map((p) => p.getFirstValue())).toHaveLength(1);
    expect(vevent.getAllProperties("attach")).toHaveLength(0);
    expect(vevent.getFirstPropertyValue("summary")).toBe("Derby\nURL:https://evil.example/\nATTACH:https://evil.example/x fin");
  });
});

describe("season-pass cards", () => {
  async function activePass(holder: User) {
    const organizer = await registerUser({ first_name: "Espérance", last_name: "ST" });
    await setRole(organizer.id, "ORGANIZER");
    const organizationId = await createOrganization(organizer.id);
    const planId = newId();
    const subId = newId();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO subscription_plans (id, code, name, organizer_id, organization_id, type, price, currency) VALUES (?, ?, 'Abonnement Pelouse', ?, ?, 'FULL_SEASON', 240000, 'TND')").bind(planId, `PLAN_${planId.slice(0, 8)}`, organizer.id, organizationId),
      env.DB.prepare("INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until, status) VALUES (?, ?, ?, ?, 240000, 'TND', '2026-08-01', '2027-06-30', 'ACTIVE')").bind(subId, `SUB-2026-${subId.slice(0, 6)}`, holder.id, planId),
    ]);
    return { organizer, organizationId, subId, number: `SUB-2026-${subId.slice(0, 6)}` };
  }

  it("prints a CR80 card, front and back, whose back QR is the pass number, and records its NFC chip id", async () => {
    const holder = await registerUser();
    const { organizer, organizationId, subId, number } = await activePass(holder);
    const card = await raw(`/v1/subscriptions/${subId}/card.pdf`, holder.token);
    expect(card.status).toBe(200);
    const doc = await PDFDocument.load(card.bytes);
    expect(doc.getPageCount()).toBe(2);
    expect(doc.getPage(0).getWidth()).toBeCloseTo((85.6 * 72) / 25.4, 1);
    expect(doc.getPage(0).getHeight()).toBeCloseTo((53.98 * 72) / 25.4, 1);
    const printed = await raw(`/v1/subscriptions/${subId}/cards`, organizer.token, { method: "POST", body: JSON.stringify({ nfc_uid: "04:a2:3b:4c:5d:6e:7f" }), headers: { "Content-Type": "application/json" } });
    expect(printed.status).toBe(201);
    const cardId = printed.headers.get("Season-Card-Id");
    expect(await env.DB.prepare("SELECT subscription_id, nfc_uid, status, printed_by FROM season_cards WHERE id = ?").bind(cardId).first()).toEqual({ subscription_id: subId, nfc_uid: "04A23B4C5D6E7F", status: "ACTIVE", printed_by: organizer.id });
    expect(await pageQrs(printed.bytes.slice())).toEqual([null, number]);
    // Reprinting replaces the card; the same chip id cannot go on another pass's card.
    const reprint = await raw(`/v1/subscriptions/${subId}/cards`, organizer.token, { method: "POST", body: JSON.stringify({ nfc_uid: "04B23B4C5D6E7F" }), headers: { "Content-Type": "application/json" } });
    expect(reprint.status).toBe(201);
    expect(await env.DB.prepare("SELECT status FROM season_cards WHERE id = ?").bind(cardId).first("status")).toBe("REPLACED");
    const other = await activePass(await registerUser());
    expectProblem(problemOf(await raw(`/v1/subscriptions/${other.subId}/cards`, other.organizer.token, { method: "POST", body: JSON.stringify({ nfc_uid: "04B23B4C5D6E7F" }), headers: { "Content-Type": "application/json" } })), 409, "nfc_uid_taken");
    expectProblem(problemOf(await raw(`/v1/subscriptions/${subId}/cards`, holder.token, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } })), 403);
    expectProblem(problemOf(await raw(`/v1/subscriptions/${subId}/cards`, organizer.token, { method: "POST", body: JSON.stringify({ nfc_uid: "XYZ" }), headers: { "Content-Type": "application/json" } })), 422, "validation_failed");
    expectProblem(problemOf(await raw(`/v1/subscriptions/${subId}/card.pdf`, other.organizer.token)), 404);
    // The organization's box office prints cards too; its FINANCE member reads the card but does not print one.
    const boxOffice = await registerMember(organizationId, "BOX_OFFICE");
    expect((await raw(`/v1/subscriptions/${subId}/cards`, boxOffice.token, { method: "POST", body: JSON.stringify({ nfc_uid: "04C23B4C5D6E7F" }), headers: { "Content-Type": "application/json" } })).status).toBe(201);
    const finance = await registerMember(organizationId, "FINANCE");
    expect((await raw(`/v1/subscriptions/${subId}/card.pdf`, finance.token)).status).toBe(200);
    expectProblem(problemOf(await raw(`/v1/subscriptions/${subId}/cards`, finance.token, { method: "POST", body: JSON.stringify({ nfc_uid: "04D23B4C5D6E7F" }), headers: { "Content-Type": "application/json" } })), 403, "forbidden");
  });
});

describe("bad input", () => {
  it("refuses a template naming elements its format cannot draw, listing each, when saved and when drawn", async () => {
    const fixture = await ticketedEvent();
    const organizer = await ownedEvent(fixture);
    const bad = { ...PRINT_ELEMENTS, header: { logo: true, hologram: true }, sponsors_wall: { big: true }, qr_code: { size: "huge" } };
    // Refused when saved, each entry named...
    const refused = expectProblem(await createTemplate(organizer, { elements: bad }), 422, "validation_failed");
    expect(refused.errors.map((e: { path: string }) => e.path).sort()).toEqual(["elements.header.hologram", "elements.qr_code.size", "elements.sponsors_wall"]);
    const created = await createTemplate(organizer, { elements: PRINT_ELEMENTS });
    expect(created.status).toBe(201);
    // ...including by a change of format its elements do not fit.
    expectProblem(await api("PATCH", `/v1/ticket-templates/${created.body.id}`, { token: organizer.token, body: { format: "PLASTIC_CARD" } }), 422, "validation_failed");
    // ...and when drawn, for a template stored before that check (written here straight into D1).
    await env.DB.prepare("UPDATE ticket_templates SET elements = ? WHERE id = ?").bind(JSON.stringify(bad), created.body.id).run();
    const fan = await registerUser();
    const { rights } = await buy(fixture, fan);
    const res = expectProblem(problemOf(await raw(`/v1/me/access-rights/${rights[0]!.id}/ticket.pdf`, fan.token)), 422, "template_invalid");
    expect(res.errors.map((e: { path: string }) => e.path).sort()).toEqual(["elements.header.hologram", "elements.qr_code.size", "elements.sponsors_wall"]);
    // The organizer's valid template is used once it is the one changed last.
    const good = await createTemplate(organizer, { elements: PRINT_ELEMENTS, languages: ["en"] });
    expect(good.status).toBe(201);
    const english = await raw(`/v1/me/access-rights/${rights[0]!.id}/ticket.pdf`, fan.token);
    expect(english.status).toBe(200);
    // An English-only template prints no Arabic: the Arabic face is not embedded.
    expect((await fontNames(english.bytes)).filter((name) => name.includes("Arabic"))).toEqual([]);
    expectProblem(problemOf(await raw(`/v1/me/access-rights/${rights[0]!.id}/ticket.pdf?lang=ar`, fan.token)), 422, "validation_failed");
  });

  it("refuses oversized logos: 413 past 256 kB, 422 past 1024 px, and at render time a stored one that does not fit", async () => {
    const fixture = await ticketedEvent();
    const organizer = await ownedEvent(fixture);
    const template = (await createTemplate(organizer, { elements: PRINT_ELEMENTS })).body;
    const put = (bytes: Uint8Array, type = "image/png") => raw(`/v1/ticket-templates/${template.id}/logo`, organizer.token, { method: "PUT", body: bytes, headers: { "Content-Type": type } });
    const big = new Uint8Array(300 * 1024);
    big.set(solidPng(4, 4, [1, 0, 0]));
    expectProblem(problemOf(await put(big)), 413, "payload_too_large");
    expectProblem(problemOf(await put(solidPng(2000, 8, [1, 0, 0]))), 422, "logo_too_large");
    expectProblem(problemOf(await put(new TextEncoder().encode("<svg/>"), "image/png")), 415);
    const ok = await put(solidPng(120, 40, [0.8, 0, 0]));
    expect(ok.status).toBe(200);
    const key = JSON.parse(new TextDecoder().decode(ok.bytes)).metadata.logo_key as string;
    expect(key).toMatch(new RegExp(`^templates/${template.id}/logo-.+\\.png$`));
    const fan = await registerUser();
    const { rights } = await buy(fixture, fan);
    expect((await raw(`/v1/me/access-rights/${rights[0]!.id}/ticket.pdf`, fan.token)).status).toBe(200);
    // A logo object that grew past the limits (written by other means) is refused when drawn.
    await env.MEDIA.put(key, solidPng(1500, 8, [0, 0, 0]));
    expectProblem(problemOf(await raw(`/v1/me/access-rights/${rights[0]!.id}/ticket.pdf`, fan.token)), 422, "logo_too_large");
  });

  it("renders nothing for a cancelled or blocked right, nor for a right the caller does not hold", async () => {
    const fixture = await ticketedEvent();
    const [fan, other] = [await registerUser(), await registerUser()];
    const { orderId, rights } = await buy(fixture, fan);
    const right = rights[0]!.id;
    for (const path of [`/v1/me/access-rights/${right}/ticket.pdf`, `/v1/me/access-rights/${right}/wallet.pkpass`]) {
      expectProblem(problemOf(await raw(path, other.token)), 404, "not_found");
    }
    expectProblem(await api("GET", `/v1/me/access-rights/${right}/google-wallet`, { token: other.token }), 404, "not_found");
    expectProblem(problemOf(await raw(`/v1/me/access-rights/${newId()}/ticket.pdf`, fan.token)), 404, "not_found");
    expectProblem(problemOf(await raw(`/v1/me/access-rights/not-a-uuid/ticket.pdf`, fan.token)), 422, "validation_failed");
    expectProblem(problemOf(await raw(`/v1/me/access-rights/${right}/ticket.pdf?format=A3`, fan.token)), 422, "validation_failed");
    expect((await raw(`/v1/me/access-rights/${right}/ticket.pdf`, fan.token)).status).toBe(200);
    for (const status of ["CANCELLED", "BLOCKED"]) {
      await setLiveStatus(fixture, right, status);
      const res = expectProblem(problemOf(await raw(`/v1/me/access-rights/${right}/ticket.pdf`, fan.token)), 409, "access_right_inactive");
      expect(res.detail).toContain(status);
      expectProblem(problemOf(await raw(`/v1/me/access-rights/${right}/wallet.pkpass`, fan.token)), 409, "access_right_inactive");
      expectProblem(await api("GET", `/v1/me/access-rights/${right}/google-wallet`, { token: fan.token }), 409, "access_right_inactive");
      expectProblem(problemOf(await raw(`/v1/events/${fixture.eventId}/orders/${orderId}/tickets.pdf`, fan.token)), 409, "no_active_rights");
      expect((await env.VAULT.list({ prefix: `documents/${fixture.eventId}/${right}/` })).objects).toHaveLength(0);
    }
  });
});
