import type { TestProject } from "vitest/node";
import { startPlatform } from "./platform.ts";

declare module "vitest" {
  export interface ProvidedContext {
    dashboardUrl: string;
    browserEndpoint: string;
  }
}

/** Starts the platform and the browser once for every dashboard test file. */
export default async function setup(project: TestProject) {
  const platform = await startPlatform();
  project.provide("dashboardUrl", platform.url.href);
  project.provide("browserEndpoint", platform.browser.wsEndpoint());
  return async () => {
    if (platform.logs.length) console.warn(`Worker errors and warnings during the dashboard tests:\n${platform.logs.slice(-40).join("\n")}`);
    await platform.stop();
  };
}
