import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { renderQrPng } from "../../src/lib/qr-png.ts";
import { sendEmail } from "../../src/notifications/providers/email.ts";

/**
 * The `binding` transport against the vitest pool's simulated `send_email`
 * binding (miniflare): the production path, as far as the local runtime can
 * run it.
 */
describe("the send_email binding (Cloudflare Email Service), as the local runtime simulates it", () => {
  it("takes the structured message the binding transport builds, inline PNG attachment included, and answers a message id", async () => {
    const result = await sendEmail(
      { ...env, EMAIL_TRANSPORT: "binding" },
      {
        to: "fan@example.com",
        subject: "Vos billets sont prêts",
        html: '<p>Bonjour</p><img src="cid:qr-1">',
        text: "Bonjour",
        headers: { "List-Unsubscribe": "<https://api.test/v1/notifications/unsubscribe?token=x>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
        attachments: [{ filename: "qr.png", type: "image/png", content: renderQrPng("E1.x"), content_id: "qr-1" }],
      },
    );
    // The simulator checks the message's shape and answers an id, but keeps no message to read back and cannot
    // be made to fail: what is sent, and failures, are tested through the REST transport and its fake.
    expect(result).toEqual({ outcome: "sent", id: expect.stringMatching(/^<.+@spotvibe\.app>$/) });
  });

  it("says what is wrong when the Worker has no binding", async () => {
    const result = await sendEmail({ ...env, EMAIL_TRANSPORT: "binding", EMAIL: undefined }, { to: "a@example.com", subject: "s", html: "<p>x</p>", text: "x", headers: {}, attachments: [] });
    expect(result).toEqual({ outcome: "failed", error: expect.stringContaining("no send_email binding") });
  });

  it("says what is wrong when the REST transport has no API token (an optional secret)", async () => {
    const result = await sendEmail({ ...env, EMAIL_TRANSPORT: "rest", CLOUDFLARE_EMAIL_API_TOKEN: undefined }, { to: "a@example.com", subject: "s", html: "<p>x</p>", text: "x", headers: {}, attachments: [] });
    expect(result).toEqual({ outcome: "failed", error: expect.stringContaining("CLOUDFLARE_EMAIL_API_TOKEN is not set") });
  });
});
