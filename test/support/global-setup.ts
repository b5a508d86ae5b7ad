import type { TestProject } from "vitest/node";
import { unstable_readConfig } from "wrangler";
import { startFakeProviders } from "./fake-providers.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the fake Google and Facebook (test/support/fake-providers.ts). */
    fakeProvidersUrl: string;
  }
}

/**
 * Starts the fake identity providers once per run. The Worker's configuration
 * points at them (vitest.config.ts); the fake Facebook knows our app by the id
 * in wrangler.toml and the secret vitest.config.ts generated for this run.
 */
export default async function setup(project: TestProject) {
  const secret = process.env.FAKE_FACEBOOK_APP_SECRET;
  if (!secret) throw new Error("vitest.config.ts sets FAKE_FACEBOOK_APP_SECRET before the global setup runs");
  const { vars } = unstable_readConfig({ config: "./wrangler.toml" });
  const fakes = await startFakeProviders({ facebookApp: { id: String(vars.FACEBOOK_APP_ID), secret } });
  project.provide("fakeProvidersUrl", fakes.url);
  return () => fakes.close();
}
