/**
 * Every screen of the dashboard renders for the roles that open it, without a
 * console error, and passes axe-core with no serious or critical violation;
 * navigation shows each role only its sections; Arabic lays the page out
 * right to left.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ACCOUNTS } from "../../../src/demo/seed.ts";
import { account, api, disconnect, expectOk, heading, loginAs, openTab, seriousViolations, signIn, type Tab } from "./browser.ts";

afterAll(disconnect);

/** Opens each path, waits for its heading, and checks errors and axe. */
async function sweep(tab: Tab, paths: string[]) {
  const problems: string[] = [];
  for (const path of paths) {
    tab.errors.length = 0;
    await tab.page.goto(path);
    const title = await heading(tab.page);
    expect(title, path).not.toBe("");
    expect(title, path).not.toMatch(/introuvable|refusé/);
    const violations = await seriousViolations(tab.page);
    if (violations.length) problems.push(`${path}: ${violations.join("; ")}`);
    if (tab.errors.length) problems.push(`${path}: console: ${tab.errors.join("; ")}`);
  }
  expect(problems).toEqual([]);
}

async function navPaths(tab: Tab): Promise<string[]> {
  return tab.page.locator("nav#nav a").evaluateAll((links) => links.map((a) => new URL((a as unknown as { href: string }).href).pathname));
}

describe("as the admin", () => {
  let tab: Tab;
  beforeAll(async () => {
    tab = await openTab();
    await signIn(tab.page, account("ADMIN").email, account("ADMIN").password);
  });
  afterAll(() => tab.close());

  it("every screen in the navigation renders without errors and passes axe", async () => {
    const paths = await navPaths(tab);
    expect(paths).toEqual(expect.arrayContaining(["/admin/moderation", "/admin/verifications", "/admin/users", "/admin/refunds", "/admin/blacklist", "/admin/payments", "/admin/dead-letters", "/admin/commissions", "/admin/organizer-plans", "/admin/settings", "/admin/faq", "/admin/contact", "/admin/status", "/admin/audit", "/admin/notification-templates", "/organizer/campaigns", "/organizer/events", "/gate"]));
    await sweep(tab, [...paths, "/admin/payments?tab=webhooks", "/admin/moderation?status=APPROVED"]);
  });

  it("detail screens render: a user, an event under review", async () => {
    await tab.page.goto("/admin/users");
    await heading(tab.page);
    const user = await tab.page.locator("main table a").first().getAttribute("href");
    await tab.page.goto("/admin/moderation?status=APPROVED");
    await heading(tab.page);
    const event = await tab.page.locator("main table a").first().getAttribute("href");
    await sweep(tab, [user!, event!]);
  });
});

describe("as the organizer", () => {
  let tab: Tab;
  beforeAll(async () => {
    tab = await openTab();
    await signIn(tab.page, account("ORGANIZER").email, account("ORGANIZER").password);
  });
  afterAll(() => tab.close());

  it("sees only the organizer and gate sections, and each screen renders", async () => {
    const paths = await navPaths(tab);
    expect(paths.some((path) => path.startsWith("/admin"))).toBe(false);
    expect(paths).toEqual(expect.arrayContaining(["/organizer/events", "/organizer/venues", "/organizer/ticket-types", "/organizer/pricing-rules", "/organizer/season-passes", "/organizer/event-groups", "/organizer/user-groups", "/organizer/campaigns", "/organizer/team", "/gate"]));
    await sweep(tab, [...paths, "/join"]);
    // An admin screen by its address: refused, not shown.
    await tab.page.goto("/admin/users");
    await expect.poll(() => tab.page.locator("main h1").textContent()).toBe("Accès refusé");
  });

  it("every screen of an event and of a venue renders", async () => {
    await tab.page.goto("/organizer/events");
    await heading(tab.page);
    const event = (await tab.page.locator("main table a").first().getAttribute("href"))!;
    const id = event.split("/").pop()!;
    await tab.page.goto("/organizer/venues");
    await heading(tab.page);
    const venue = (await tab.page.locator("main table a").first().getAttribute("href"))!;
    await sweep(tab, [event, `${event}/edit`, `${event}/tickets`, `${event}/sales`, `${event}/box-office`, `${event}/staff`, `${event}/grants`, `${event}/overrides`, `${event}/seats`, `${event}/orders`, `${event}/attendees`, `${event}/reports`, `/gate/${id}`, venue, "/organizer/events/new"]);
  });
});

describe("as the box office of the organizer's team", () => {
  it("sees the events, their live sales and the box office, and nothing of the catalog", async () => {
    const tab = await openTab();
    try {
      const member = DEMO_ACCOUNTS.find((a) => a.team_role === "BOX_OFFICE")!;
      await signIn(tab.page, member.email, member.password);
      expect(await navPaths(tab)).toEqual(["/organizer/events", "/organizer/team"]);
      await tab.page.goto("/organizer/events");
      await heading(tab.page);
      expect(await tab.page.getByRole("link", { name: "Nouvel événement" }).count()).toBe(0);
      const event = (await tab.page.locator("main table a").first().getAttribute("href"))!;
      await tab.page.goto(event);
      await heading(tab.page);
      const tabs = await tab.page.getByRole("navigation", { name: "Rubriques de l'événement" }).getByRole("link").allTextContents();
      expect(tabs).toEqual(["Aperçu", "Ventes en direct", "Guichet", "Commandes", "Participants"]);
      await sweep(tab, ["/organizer/events", event, `${event}/sales`, `${event}/box-office`, `${event}/orders`, `${event}/attendees`, "/organizer/team"]);
      // Their role and a way to leave; the members and invitations are for the owner and managers.
      await tab.page.getByText("Votre rôle : Guichet.").waitFor();
      expect(await tab.page.getByRole("table").count()).toBe(0);
      await tab.page.goto("/organizer/venues");
      await expect.poll(() => tab.page.locator("main h1").textContent()).toBe("Accès refusé");
    } finally {
      await tab.close();
    }
  });
});

describe("as the gate controller", () => {
  it("sees only the gate section, with the matches they staff", async () => {
    const tab = await openTab();
    try {
      await signIn(tab.page, account("CONTROLLER").email, account("CONTROLLER").password);
      const paths = await navPaths(tab);
      expect(paths).toEqual(["/gate"]);
      await sweep(tab, ["/gate"]);
      // One row per current assignment: the demo matches, and any event another test file staffed them on.
      const assignments = await expectOk(api("GET", "/v1/me/staff-assignments?limit=100", { token: (await loginAs("CONTROLLER")).token }));
      expect(assignments.data.length).toBeGreaterThanOrEqual(5);
      const titles = await tab.page.locator("main tbody tr td:first-child").allTextContents();
      expect(titles.sort()).toEqual(assignments.data.map((a: { event: { title: string } }) => a.event.title).sort());
    } finally {
      await tab.close();
    }
  });
});

describe("in Arabic", () => {
  it("lays the page out right to left, translated, and stays accessible", async () => {
    const tab = await openTab({ locale: "ar-TN" });
    try {
      await signIn(tab.page, account("ORGANIZER").email, account("ORGANIZER").password);
      await tab.page.getByLabel("Langue").first().selectOption("ar");
      await expect.poll(() => tab.page.evaluate(() => { const { documentElement } = (globalThis as unknown as { document: { documentElement: { dir: string; lang: string } } }).document; return [documentElement.dir, documentElement.lang].join(); })).toBe("rtl,ar");
      await tab.page.goto("/organizer/events");
      expect(await heading(tab.page)).toBe("أحداثي");
      // The navigation sits on the right, the main region on its left.
      const nav = await tab.page.locator("nav#nav").boundingBox();
      const main = await tab.page.locator("main").boundingBox();
      expect(nav!.x).toBeGreaterThan(main!.x);
      expect(await tab.page.locator("main table th").first().evaluate((th) => (globalThis as unknown as { getComputedStyle: (e: unknown) => { textAlign: string } }).getComputedStyle(th).textAlign)).toBe("start");
      expect(await seriousViolations(tab.page)).toEqual([]);
      expect(tab.errors).toEqual([]);
    } finally {
      await tab.close();
    }
  });
});
