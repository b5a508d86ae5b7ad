import type { TestProject } from "vitest/node";
import { unstable_readConfig } from "wrangler";
import { startFakeNotificationProviders, type FakeNotificationSecrets } from "../../scripts/fakes/notifications/server.ts";
import { startFakePaymentProviders, type FakePaymentSecrets } from "../../scripts/fakes/payments/server.ts";
import { startFakeTurnstile } from "../../scripts/fakes/turnstile.ts";
import { startFakeProviders } from "./fake-providers.ts";
import { startPdfQrDecoder } from "./pdf-qr.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the fake Google and Facebook (test/support/fake-providers.ts). */
    fakeProvidersUrl: string;
    /** Base URL of the fake payment providers (scripts/fakes/payments/): `${url}/mtn`, `${url}/stripe`, … */
    fakePaymentsUrl: string;
    /** Base URL of the fake Turnstile Siteverify (scripts/fakes/turnstile.ts). */
    fakeTurnstileUrl: string;
    /** Base URL of the fake notification providers (scripts/fakes/notifications/), in memory: `/_control/emails?to=` … */
    fakeNotificationsUrl: string;
    /** Reads the QR codes of a PDF's pages (test/support/pdf-qr.ts): POST the PDF. */
    pdfQrUrl: string;
  }
}

/**
 * Starts the fake identity and payment providers once per run. The Worker's
 * configuration points at them (vitest.config.ts); the fake Facebook knows our
 * app by the id in wrangler.toml and the secret vitest.config.ts generated for
 * this run, the fake payment providers the credentials it fixed. The Worker is
 * not reachable over HTTP in tests, so the payment fake delivers no webhooks:
 * tests take the webhook it builds (addressed to https://api.test, the origin
 * of test/support/api.ts) and hand it to the Worker themselves.
 */
export default async function setup(project: TestProject) {
  const secret = process.env.FAKE_FACEBOOK_APP_SECRET;
  const payment = process.env.FAKE_PAYMENT_CREDENTIALS;
  const turnstileSecret = process.env.FAKE_TURNSTILE_SECRET;
  const notification = process.env.FAKE_NOTIFICATION_CREDENTIALS;
  if (!secret || !payment || !notification || !turnstileSecret) {
    throw new Error("vitest.config.ts sets FAKE_FACEBOOK_APP_SECRET, FAKE_PAYMENT_CREDENTIALS, FAKE_NOTIFICATION_CREDENTIALS and FAKE_TURNSTILE_SECRET before the global setup runs");
  }
  const { vars } = unstable_readConfig({ config: "./wrangler.toml" });
  const fakes = await startFakeProviders({ facebookApp: { id: String(vars.FACEBOOK_APP_ID), secret } });
  const payments = await startFakePaymentProviders({ secrets: JSON.parse(payment) as FakePaymentSecrets, webhookBase: "https://api.test" });
  project.provide("fakeProvidersUrl", fakes.url);
  project.provide("fakePaymentsUrl", payments.url);
  const turnstile = await startFakeTurnstile({ secrets: [turnstileSecret] });
  project.provide("fakeTurnstileUrl", turnstile.url);
  // In memory, on any free port: each run starts with no messages received.
  const notifications = await startFakeNotificationProviders({ secrets: JSON.parse(notification) as FakeNotificationSecrets });
  project.provide("fakeNotificationsUrl", notifications.url);
  const pdfQr = await startPdfQrDecoder();
  project.provide("pdfQrUrl", pdfQr.url);
  return async () => {
    await Promise.all([fakes.close(), payments.close(), turnstile.close(), notifications.close(), pdfQr.close()]);
  };
}
