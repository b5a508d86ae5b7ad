import { describe, expect, it } from "vitest";
import { formatMoney } from "../../src/lib/money.ts";
import { encodePng, renderQrPng } from "../../src/lib/qr-png.ts";
import { formatDateTime } from "../../src/lib/time.ts";
import { quietUntil } from "../../src/notifications/deliver.ts";
import { sendEmail } from "../../src/notifications/providers/email.ts";
import { smsStatus, verifyTwilioSignature } from "../../src/notifications/providers/sms.ts";
import { defaultContent, fillHtml, fillText, htmlToText, renderEmail, variablesOf } from "../../src/notifications/render.ts";
import { NOTIFICATION_TYPES } from "../../src/notifications/schema.ts";
import { checkTemplateEdit } from "../../src/notifications/template-admin.ts";
import vector from "../fixtures/notifications/twilio-status.json";

/** Spaces of every kind (Intl uses narrow no-break spaces) as plain ones, to compare with what people write. */
const plain = (text: string) => text.replace(/\s/g, " ");

describe("amounts as people read them", () => {
  it("formats dinars with three decimals after a point, CFA francs without, euros per language", () => {
    expect(plain(formatMoney(191_250, "TND"))).toBe("191.250 TND");
    expect(plain(formatMoney(60_000, "TND"))).toBe("60.000 TND");
    expect(plain(formatMoney(1_234_567_890, "TND"))).toBe("1 234 567.890 TND");
    expect(plain(formatMoney(10_000, "XOF"))).toBe("10 000 FCFA");
    expect(plain(formatMoney(1_250, "EUR"))).toBe("12,50 €");
    expect(plain(formatMoney(1_250, "EUR", "en"))).toBe("€12.50");
    expect(plain(formatMoney(191_250, "TND", "en"))).toBe("TND 191.250");
    expect(plain(formatMoney(191_250, "TND", "ar"))).toBe("191.250 د.ت");
    expect(plain(formatMoney(-35_000, "TND"))).toBe("-35.000 TND");
  });

  it("never goes through a float: every digit of a large amount is kept", () => {
    expect(plain(formatMoney(900_719_925_474_099, "TND"))).toBe("900 719 925 474.099 TND");
  });

  it("shows instants on the event's own clock, in the reader's language", () => {
    const at = "2026-12-05T19:00:00.000Z";
    expect(formatDateTime(at, "Africa/Tunis", "fr")).toBe("samedi 5 décembre 2026 à 20:00");
    expect(formatDateTime(at, "Africa/Porto-Novo", "en")).toBe("Saturday, 5 December 2026 at 20:00");
    expect(formatDateTime(at, "Africa/Tunis", "ar")).toContain("2026");
  });
});

describe("templates", () => {
  it("has a default text in French, Arabic and English for every type, using only its own variables", () => {
    for (const type of NOTIFICATION_TYPES) {
      for (const language of ["fr", "ar", "en"] as const) {
        const content = defaultContent(type, language);
        expect(content.email_subject.length).toBeGreaterThan(0);
        expect(checkTemplateEdit(type, content)).toEqual([]);
        if (content.sms_body) expect(content.sms_body.length).toBeLessThanOrEqual(160);
      }
    }
    expect(NOTIFICATION_TYPES.slice(0, 16)).toEqual([
      "EVENT_CREATED", "EVENT_APPROVED", "EVENT_REJECTED", "EVENT_REMINDER", "EVENT_CANCELLED", "NEW_FOLLOWER", "FOLLOW_EVENT", "PAYMENT_SUCCESS",
      "PAYMENT_FAILED", "SUBSCRIPTION_EXPIRING", "SUBSCRIPTION_EXPIRED", "TICKET_PURCHASED", "VERIFICATION_APPROVED", "VERIFICATION_REJECTED", "SYSTEM_MAINTENANCE", "WELCOME",
    ]);
  });

  it("escapes every value in email HTML, so a name cannot carry markup", () => {
    const html = fillHtml("<p>{follower_name} vous suit</p>", { follower_name: '<img src=x onerror="alert(1)">' }, "fr");
    expect(html).toBe("<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt; vous suit</p>");
    expect(fillText("{follower_name} vous suit", { follower_name: "<b>Awa</b>" }, "fr")).toBe("<b>Awa</b> vous suit");
  });

  it("formats money and dates in the message's language, and turns HTML into its plain-text alternative", () => {
    const data = { amount: { amount: 60_000, currency: "TND" as const }, reference: "PAY-1" };
    expect(plain(fillText("Paiement de {amount} ({reference})", data, "fr"))).toBe("Paiement de 60.000 TND (PAY-1)");
    expect(htmlToText("<p>Bonjour &amp; bienvenue</p><p>Ligne<br>suivante</p>")).toBe("Bonjour & bienvenue\n\nLigne\nsuivante");
    const email = renderEmail(defaultContent("PAYMENT_SUCCESS", "en"), { first_name: "Awa", ...data }, "en", { tickets: [], tickets_url: null, unsubscribe_url: null });
    expect(plain(email.text)).toContain("your payment of TND 60.000 (ref. PAY-1) is confirmed");
  });

  it("refuses unknown variables, broken braces and active content in edits", () => {
    expect(checkTemplateEdit("WELCOME", { in_app_body: "Hello {frist_name}" })).toEqual([expect.objectContaining({ path: "in_app_body", code: "unknown_variable" })]);
    expect(checkTemplateEdit("WELCOME", { push_body: "Hello {first_name" })).toEqual([expect.objectContaining({ code: "malformed_placeholder" })]);
    expect(checkTemplateEdit("WELCOME", { email_body_html: '<p onclick="x()">Hi</p>' })).toEqual([expect.objectContaining({ code: "unsafe_html" })]);
    expect(checkTemplateEdit("WELCOME", { email_body_html: "<script>alert(1)</script>" })).toEqual([expect.objectContaining({ code: "unsafe_html" })]);
    expect(variablesOf("TICKET_PURCHASED")).toEqual(expect.arrayContaining(["amount", "first_name", "tickets_url", "ticket_number"]));
  });
});

describe("Twilio's request signature", () => {
  const params = () => new URLSearchParams(vector.body);

  it("verifies the published vector (checked with twilio's own validateRequest)", async () => {
    expect(await verifyTwilioSignature(vector.auth_token, vector.url, params(), vector.header)).toBe(true);
  });

  it("fails when any parameter, the URL or the token changes", async () => {
    for (const [name, value] of Object.entries(vector.params)) {
      const changed = params();
      changed.set(name, `${value}x`);
      expect(await verifyTwilioSignature(vector.auth_token, vector.url, changed, vector.header)).toBe(false);
    }
    const added = params();
    added.append("Extra", "1");
    expect(await verifyTwilioSignature(vector.auth_token, vector.url, added, vector.header)).toBe(false);
    for (const url of [vector.url.replace("https:", "http:"), vector.url.replace("api.example.com", "api.example.org"), vector.url.replace(".com/", ".com:8443/"), `${vector.url}/x`, `${vector.url}?a=1`]) {
      expect(await verifyTwilioSignature(vector.auth_token, url, params(), vector.header)).toBe(false);
    }
    expect(await verifyTwilioSignature(`${vector.auth_token}x`, vector.url, params(), vector.header)).toBe(false);
    expect(await verifyTwilioSignature(vector.auth_token, vector.url, params(), null)).toBe(false);
  });

  it("reads Twilio's statuses: delivered, failed, and numbers that will never work", () => {
    expect(smsStatus("delivered", "")).toEqual({ status: "DELIVERED", suppress: false });
    expect(smsStatus("undelivered", "30003")).toEqual({ status: "FAILED", suppress: false });
    expect(smsStatus("undelivered", "30006")).toEqual({ status: "BOUNCED", suppress: true });
    expect(smsStatus("queued", "")).toBeNull();
  });
});

describe("quiet hours", () => {
  const settings = { time_zone: "Africa/Tunis", quiet_hours_start: "22:00", quiet_hours_end: "07:00" };
  it("hold push and SMS until they end, on the person's clock, across midnight", () => {
    expect(quietUntil(settings, new Date("2026-12-05T22:30:00Z"))).toBe("2026-12-06T06:00:00.000Z"); // 23:30 in Tunis → 07:00
    expect(quietUntil(settings, new Date("2026-12-06T03:00:00Z"))).toBe("2026-12-06T06:00:00.000Z"); // 04:00 → 07:00
    expect(quietUntil(settings, new Date("2026-12-06T12:00:00Z"))).toBeNull();
    expect(quietUntil({ ...settings, quiet_hours_start: "13:00", quiet_hours_end: "14:00" }, new Date("2026-12-06T12:15:00Z"))).toBe("2026-12-06T13:00:00.000Z");
    expect(quietUntil(undefined, new Date())).toBeNull();
  });
});

describe("QR codes for email", () => {
  it("renders a 1-bit PNG whose pixels are the QR's modules", async () => {
    const png = await renderQrPng("E1.test-token", 4);
    expect([...png.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeLessThan(2_000);
    const { default: jsQR } = await import("jsqr");
    const { width, pixels } = await decodePng(png);
    expect(jsQR(pixels, width, width)?.data).toBe("E1.test-token");
  });

  it("encodes what it is given, pixel for pixel", async () => {
    const { width, pixels } = await decodePng(await encodePng([[true, false], [false, true]], 3));
    expect(width).toBe(6);
    const dark = (x: number, y: number) => pixels[(y * width + x) * 4] === 0;
    expect([dark(0, 0), dark(3, 0), dark(0, 3), dark(5, 5)]).toEqual([true, false, false, true]);
  });
});

/** A minimal decoder for the PNGs encodePng writes (1-bit grayscale, filter 0), to RGBA. */
async function decodePng(png: Uint8Array): Promise<{ width: number; pixels: Uint8ClampedArray }> {
  const view = new DataView(png.buffer, png.byteOffset);
  const width = view.getUint32(16);
  let at = 8;
  const idat: Uint8Array[] = [];
  while (at < png.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.slice(at + 4, at + 8));
    if (type === "IDAT") idat.push(png.slice(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const joined = new Uint8Array(idat.reduce((n, part) => n + part.length, 0));
  idat.reduce((offset, part) => (joined.set(part, offset), offset + part.length), 0);
  const raw = new Uint8Array(await new Response(new Response(joined).body!.pipeThrough(new DecompressionStream("deflate"))).arrayBuffer());
  const rowBytes = Math.ceil(width / 8);
  const pixels = new Uint8ClampedArray(width * width * 4);
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      const light = (raw[y * (rowBytes + 1) + 1 + (x >> 3)]! >> (7 - (x & 7))) & 1;
      pixels.set(light ? [255, 255, 255, 255] : [0, 0, 0, 255], (y * width + x) * 4);
    }
  }
  return { width, pixels };
}

describe("the send_email binding's errors", () => {
  const email = { to: "a@example.com", subject: "s", html: "<p>x</p>", text: "x", headers: {}, attachments: [] };
  const failingWith = (code: string | undefined) =>
    ({
      EMAIL_TRANSPORT: "binding",
      EMAIL_FROM_ADDRESS: "no-reply@spotvibe.app",
      EMAIL_FROM_NAME: "SpotVibe",
      EMAIL_REPLY_TO: "",
      EMAIL: { send: async () => Promise.reject(Object.assign(new Error("refused"), code ? { code } : {})) },
    }) as unknown as Parameters<typeof sendEmail>[0];

  it.each([
    ["E_RATE_LIMIT_EXCEEDED", "retry"],
    ["E_DAILY_LIMIT_EXCEEDED", "retry"],
    ["E_INTERNAL_SERVER_ERROR", "retry"],
    [undefined, "retry"],
    ["E_RECIPIENT_SUPPRESSED", "bounced"],
    ["E_VALIDATION_ERROR", "failed"],
    ["E_SENDER_NOT_VERIFIED", "failed"],
  ])("reads %s as %s", async (code, outcome) => {
    expect((await sendEmail(failingWith(code), email)).outcome).toBe(outcome);
  });
});
