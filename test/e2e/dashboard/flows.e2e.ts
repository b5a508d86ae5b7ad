/**
 * The dashboard's flows end to end, in the browser against the real Worker
 * with the demo data: an organizer creates and submits an event and an admin
 * approves it; the box office sells two tickets for cash and prints them; the
 * live gate view moves when a gate scans; a banned fan is refused at the gate
 * and the denial shows live; a payment is refunded; an identity verification
 * is approved; a FAQ entry is created, edited and deleted; sign-in with 2FA and token refresh; the API's problem+json
 * beside the fields, with nothing lost; the URL layout (dashboard at /, API at /v1).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PDFDocument } from "pdf-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { account, api, BASE, disconnect, expectOk, heading, loginAs, openTab, PNG, seriousViolations, signIn, totp, unique, type Session, type Tab } from "./browser.ts";

let admin: Session;
let organizer: Session;
let controller: Session;
let adminTab: Tab;
let organizerTab: Tab;

beforeAll(async () => {
  [admin, organizer, controller] = await Promise.all([loginAs("ADMIN"), loginAs("ORGANIZER"), loginAs("CONTROLLER")]);
  // The demo organizer's free allowance is two events a month: a plan without a limit, given by the admin.
  const plan = await expectOk(
    api("POST", "/v1/admin/organizer-plans", { token: admin.token, body: { name: unique("Illimité"), plan_type: "GOLD", price: 0, currency: "TND", billing_period: "YEARLY", max_events_per_month: null } }),
    201,
  );
  const [club] = (await expectOk(api("GET", "/v1/organizations", { token: organizer.token }))).data;
  await expectOk(api("POST", "/v1/admin/organizer-subscriptions", { token: admin.token, body: { organization_id: club.id, plan_id: plan.id } }), 201);
  adminTab = await openTab();
  organizerTab = await openTab();
  await signIn(adminTab.page, account("ADMIN").email, account("ADMIN").password);
  await signIn(organizerTab.page, account("ORGANIZER").email, account("ORGANIZER").password);
});

afterAll(async () => {
  await adminTab?.close();
  await organizerTab?.close();
  await disconnect();
});

/** `<input type="datetime-local">` value `minutes` from now, on the browser's clock. */
async function localInput(tab: Tab, minutes: number): Promise<string> {
  return tab.page.evaluate((m) => {
    const date = new Date(Date.now() + m * 60_000);
    return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  }, minutes);
}

describe("match day, from the event to the gate", () => {
  let eventId: string;
  let eventTitle: string;
  let gateId: string;
  let configId: string;

  it("an organizer creates and submits an event; the admin reviews it and approves it", async () => {
    const page = organizerTab.page;
    const title = unique("Match de gala");
    await page.goto("/organizer/events/new");
    await heading(page);
    await page.getByLabel("Titre", { exact: true }).fill(title);
    await page.getByLabel("Début").fill(await localInput(organizerTab, 60));
    await page.getByLabel("Fin", { exact: true }).fill(await localInput(organizerTab, 240));
    await page.getByLabel("Fuseau horaire").fill("Africa/Tunis");
    await page.getByLabel("Lieu", { exact: true }).selectOption({ label: "Stade olympique de Radès" });
    await page.getByLabel("Devise").selectOption("TND");
    await page.getByLabel("Prix à partir de").fill("15");
    const created = page.waitForResponse((response) => response.url().endsWith("/v1/events") && response.request().method() === "POST");
    await page.getByRole("button", { name: "Créer" }).click();
    const answer = await created;
    expect(answer.status(), await answer.text()).toBe(201);
    await page.waitForURL(/\/organizer\/events\/[0-9a-f-]{36}$/);
    eventId = page.url().split("/").pop()!;
    eventTitle = title;
    expect(await heading(page)).toBe(title);
    await page.getByRole("button", { name: "Soumettre à la validation" }).click();
    await page.getByText("En attente de validation").first().waitFor();

    const review = adminTab.page;
    await review.goto("/admin/moderation");
    await heading(review);
    await review.getByRole("link", { name: title }).click();
    expect(await heading(review)).toBe(title);
    await review.getByText("Première relecture : tout est nouveau.").waitFor();
    await review.getByRole("button", { name: "Approuver" }).click();
    await review.waitForURL(/\/admin\/moderation$/);
    const event = await expectOk(api("GET", `/v1/events/${eventId}`, { token: organizer.token }));
    expect(event.status).toBe("APPROVED");
    expect(adminTab.errors).toEqual([]);
    expect(organizerTab.errors).toEqual([]);

    // Its tickets and gate staff, set up through the API (their screens are covered in screens.e2e.ts).
    const types = await expectOk(api("GET", "/v1/ticket-types?limit=100", { token: organizer.token }));
    const tribune = types.data.find((type: { code: string }) => type.code === "TRIBUNE");
    const config = await expectOk(api("POST", `/v1/events/${eventId}/ticket-configs`, { token: organizer.token, body: { ticket_type_id: tribune.id, price: 15_000, quantity_total: 100 } }), 201);
    configId = config.id;
    const gates = await expectOk(api("GET", `/v1/venues/${event.venue_id}/access-points?limit=100`));
    const gateB = gates.data.find((gate: { code: string }) => gate.code === "GATE_B");
    gateId = gateB.id;
    // A gate closed for the season: the door desk must not offer it.
    await expectOk(api("POST", `/v1/venues/${event.venue_id}/access-points`, { token: organizer.token, body: { code: unique("CLOSED").toUpperCase(), name: "Porte fermée", zone_ids: gateB.zone_ids, is_active: false } }), 201);
    await expectOk(api("POST", `/v1/events/${eventId}/staff`, { token: organizer.token, body: { email: account("CONTROLLER").email, access_point_id: gateId } }), 201);
    await expectOk(api("POST", `/v1/admin/events/${eventId}/inventory/sync`, { token: admin.token }));
  });

  it("the box office sells two tickets for cash and prints them", async () => {
    const page = organizerTab.page;
    // Headless Chromium's renderer crashes when a PDF frame opens the print
    // dialog: every frame's print() (the PDF's too) is counted on the page instead.
    await page.addInitScript(() => {
      const scope = globalThis as unknown as { print: () => void; top: { printRequests?: number } };
      scope.print = () => {
        scope.top.printRequests = (scope.top.printRequests ?? 0) + 1;
      };
    });
    await page.goto(`/organizer/events/${eventId}/box-office`);
    await heading(page);
    await page.getByRole("button", { name: "Un de plus" }).click();
    expect(await page.getByLabel("Quantité").inputValue()).toBe("2");
    await page.getByRole("button", { name: "Réserver et encaisser" }).click();
    await expect.poll(() => page.getByTestId("order-total").textContent()).toMatch(/30[.,\s\u202f]?000/);
    const printed = page.waitForResponse((response) => response.url().includes("/tickets.pdf"));
    await page.getByRole("button", { name: "Espèces reçues" }).click();
    const pdf = await printed;
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()["content-type"]).toContain("application/pdf");
    await page.getByText("Paiement enregistré : 2 billets émis.").waitFor();
    // The print dialog was asked for once, from the frame holding the tickets.
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { printRequests?: number }).printRequests)).toBe(1);
    // What went to print: the PDF the page holds, two pages (one per ticket).
    const printedPdf = await page.getByTestId("tickets-pdf").evaluate(async (link) => [...new Uint8Array(await (await fetch((link as unknown as { href: string }).href)).arrayBuffer())]);
    expect((await PDFDocument.load(Uint8Array.from(printedPdf))).getPageCount()).toBe(2);
    const availability = await expectOk(api("GET", `/v1/events/${eventId}/availability`));
    expect(availability.configs.find((c: { id: string }) => c.id === configId).sold).toBe(2);
    expect(organizerTab.errors).toEqual([]);
  });

  it("the live gate view shows occupancy move when a gate scans, and a banned fan's denial as it happens", async () => {
    const page = organizerTab.page;
    await page.goto(`/gate/${eventId}`);
    await heading(page);
    await expect.poll(() => page.getByTestId("feed-state").textContent(), { timeout: 15_000 }).toBe("En direct");
    expect(await page.getByTestId("inside-total").textContent()).toBe("0");

    // A box-office ticket is scanned at gate B: the zone count goes up on the open page.
    const rights = await expectOk(api("GET", `/v1/me/access-rights?event_id=${eventId}&limit=10`, { token: organizer.token }));
    const right = rights.data.find((r: { event_id: string }) => r.event_id === eventId);
    const scan = (qr: string) =>
      expectOk(
        api("POST", `/v1/events/${eventId}/scans`, {
          token: controller.token,
          body: { id: randomUUID(), qr, action: "ENTRY", scan_method: "MANUAL_ENTRY", scanned_at: new Date().toISOString(), device_id: "TABLET-B1", access_point_id: gateId },
        }),
      );
    expect((await scan(right.qr_code)).status).toBe("SUCCESS");
    await expect.poll(() => page.getByTestId("inside-total").textContent(), { timeout: 10_000 }).toBe("1");
    await expect.poll(() => page.getByTestId(`zone-${right.zone_id}`).locator(".zone-count").textContent()).toBe("1");

    // A fan buys a ticket (paid cash); the admin bans them in the blacklist screen; the gate refuses them.
    const fan = await loginAs("USER");
    const order = await expectOk(api("POST", `/v1/events/${eventId}/orders`, { token: fan.token, headers: { "Idempotency-Key": randomUUID() }, body: { config_id: configId, quantity: 1 } }), 201);
    const paid = await expectOk(api("POST", `/v1/events/${eventId}/orders/${order.id}/confirm-cash`, { token: organizer.token }));
    const ban = adminTab.page;
    await ban.goto("/admin/blacklist");
    await heading(ban);
    await ban.getByLabel("Identifiant", { exact: true }).fill(fan.userId);
    await ban.getByLabel("Motif").fill("Envahissement de terrain");
    await ban.getByRole("button", { name: "Interdire" }).click();
    await ban.getByText("Interdiction enregistrée").waitFor();
    const refused = await scan(paid.access_rights[0].qr_code);
    expect(refused).toMatchObject({ status: "DENIED", denial_reason: "BLACKLISTED" });
    await page.getByTestId("denials").getByText("Interdit").waitFor({ timeout: 10_000 });
    expect(await page.getByTestId("inside-total").textContent()).toBe("1");
    expect(organizerTab.errors).toEqual([]);
    expect(adminTab.errors).toEqual([]);

    // The fan asks for their money back; the admin approves it in the refunds screen, then records it paid back (cash).
    await expectOk(api("POST", `/v1/payments/${paid.payment_id}/refunds`, { token: fan.token, body: { reason: "CUSTOMER_REQUEST", description: "Interdit de stade" } }), 201);
    await ban.goto("/admin/refunds");
    await heading(ban);
    await ban.locator("main tbody tr", { hasText: "Interdit de stade" }).getByRole("button", { name: "Décider" }).click();
    await ban.getByRole("dialog").getByRole("button", { name: "Approuver le remboursement" }).click();
    await ban.getByText("Remboursement approuvé").waitFor();
    await ban.getByLabel("Statut").selectOption("APPROVED");
    await ban.locator("main tbody tr").first().getByRole("button", { name: "Marquer comme remboursé" }).click();
    await ban.getByText("Remboursement enregistré comme effectué.").waitFor();
    await expect.poll(async () => (await api("GET", `/v1/payments/${paid.payment_id}`, { token: fan.token })).body.status).toBe("REFUNDED");
    expect(adminTab.errors).toEqual([]);
  });

  it("the organizer finds the box-office sale in the orders and its holder among the attendees, sends the tickets again, exports them, blocks one that the gate then refuses, and reads the reports", async () => {
    const page = organizerTab.page;
    const scan = (qr: string) =>
      expectOk(
        api("POST", `/v1/events/${eventId}/scans`, {
          token: controller.token,
          body: { id: randomUUID(), qr, action: "ENTRY", scan_method: "MANUAL_ENTRY", scanned_at: new Date().toISOString(), device_id: "TABLET-B1", access_point_id: gateId },
        }),
      );
    const sales = await expectOk(api("GET", `/v1/events/${eventId}/orders?channel=ONSITE&limit=10`, { token: organizer.token }));
    const sale = sales.data.find((o: { quantity: number }) => o.quantity === 2);
    const rights = (await expectOk(api("GET", `/v1/events/${eventId}/attendees?q=${sale.ticket_number}`, { token: organizer.token }))).data as { id: string; qr_code: string; checked_in: boolean }[];
    expect(rights).toHaveLength(2);

    // The order, found by its number; its tickets open among the attendees.
    await page.goto(`/organizer/events/${eventId}/orders`);
    await heading(page);
    await page.getByRole("searchbox", { name: "Rechercher une commande" }).fill(sale.ticket_number);
    await page.getByRole("button", { name: "Rechercher" }).click();
    const orders = page.getByRole("table", { name: `Commandes — ${eventTitle}` });
    await expect.poll(() => orders.locator("tbody tr").count()).toBe(1);
    expect(await orders.locator("tbody tr").textContent()).toContain("Guichet");
    await orders.getByRole("link", { name: "Ses billets" }).click();
    await page.waitForURL(/\/attendees\?q=/);
    await heading(page);
    const attendees = page.getByRole("table", { name: `Participants — ${eventTitle}` });
    await expect.poll(() => attendees.locator("tbody tr").count()).toBe(2);

    // Sent again: the holder gets every ticket they hold in the event.
    await attendees.locator("tbody tr").first().getByRole("button", { name: "Renvoyer les billets" }).click();
    await page.getByText(`Billets renvoyés à ${account("ORGANIZER").first_name} ${account("ORGANIZER").last_name} (2 billet(s)).`).waitFor();

    // The list as on screen, as CSV: a header and the two tickets, separated by semicolons.
    const dir = mkdtempSync(join(tmpdir(), "dashboard-export-"));
    try {
      const downloaded = page.waitForEvent("download");
      await page.getByRole("button", { name: "Exporter (CSV)" }).click();
      const file = join(dir, "attendees.csv");
      await (await downloaded).saveAs(file);
      const lines = readFileSync(file, "utf8").replace(/^\uFEFF/, "").trim().split(/\r?\n/);
      expect(lines[0]).toContain("qr_code");
      expect(lines[0]).toContain(";");
      expect(lines).toHaveLength(3);
      for (const right of rights) expect(lines.some((line) => line.includes(right.qr_code))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // One ticket blocked with a reason: every gate refuses it.
    const unused = rights.find((r) => !r.checked_in)!;
    const row = attendees.locator("tbody tr", { hasText: unused.qr_code });
    await row.getByRole("button", { name: "Bloquer" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Motif").fill("Billet déclaré perdu");
    await dialog.getByRole("button", { name: "Bloquer" }).click();
    await page.getByText(`Billet de ${account("ORGANIZER").first_name} ${account("ORGANIZER").last_name} bloqué`).waitFor();
    await row.getByText("Bloqué").waitFor();
    expect(await scan(unused.qr_code)).toMatchObject({ status: "DENIED", denial_reason: "BLACKLISTED" });
    // Its history: the block with its reason, and the refused scan, once the
    // event's Durable Object has drained its scan log into D1 (on its alarm).
    await expect
      .poll(async () => (await expectOk(api("GET", `/v1/events/${eventId}/access-rights/${unused.id}/history`, { token: organizer.token }))).scans.map((s: { status: string }) => s.status), { timeout: 15_000 })
      .toContain("DENIED");
    await row.getByRole("button", { name: "Historique" }).click();
    await dialog.getByText("Billet déclaré perdu").waitFor();
    await dialog.getByRole("table", { name: "Passages aux portes" }).getByText("Refusé").waitFor();
    await page.keyboard.press("Escape");

    // The reports: one entry so far, both refusals, the sales by ticket type drawn.
    await page.goto(`/organizer/events/${eventId}/reports`);
    await heading(page);
    const figure = (label: string) => page.locator(".stat").filter({ has: page.getByText(label, { exact: true }) }).locator("dd");
    await expect.poll(() => figure("Entrées").textContent()).toBe("1");
    await page.getByRole("img", { name: "Billets vendus par type" }).waitFor();
    await page.getByRole("img", { name: "Refus par motif" }).waitFor();
    expect(organizerTab.errors).toEqual([]);
  });

  it("at the live gate view, the organizer finds a fan by name and lets them in by hand with a reason; a gate that scanned first makes the door's admission refused", async () => {
    const page = organizerTab.page;
    const holder = account("USER", 1);
    const fan = await loginAs("USER", 1);
    const order = await expectOk(api("POST", `/v1/events/${eventId}/orders`, { token: fan.token, headers: { "Idempotency-Key": randomUUID() }, body: { config_id: configId, quantity: 2 } }), 201);
    const paid = await expectOk(api("POST", `/v1/events/${eventId}/orders/${order.id}/confirm-cash`, { token: organizer.token }));
    const [first, second] = paid.access_rights as { id: string; qr_code: string }[];
    await page.goto(`/gate/${eventId}`);
    await heading(page);
    await expect.poll(() => page.getByTestId("feed-state").textContent(), { timeout: 15_000 }).toBe("En direct");
    // One box-office ticket went in earlier in this match.
    await expect.poll(() => page.getByTestId("inside-total").textContent()).toBe("1");

    // A search the API refuses (one letter) shows its problem beside the field, which keeps its value.
    const door = page.getByRole("form", { name: "À la porte" });
    const search = door.getByLabel("Nom, téléphone ou code imprimé");
    await search.fill("K");
    await door.getByRole("button", { name: "Rechercher" }).click();
    await door.locator(".field-error").waitFor();
    expect(await search.inputValue()).toBe("K");
    await search.fill(holder.first_name);
    await door.getByRole("button", { name: "Rechercher" }).click();
    const found = page.getByRole("table", { name: "Titulaires trouvés" });
    await expect.poll(() => found.locator("tbody tr").count()).toBe(2);

    // Let in by hand: without a reason the API names the field; with one, the fan is inside.
    const dialog = page.getByRole("dialog");
    await found.locator("tbody tr", { hasText: first!.qr_code }).getByRole("button", { name: "Faire entrer" }).click();
    expect(await dialog.getByLabel("Porte").locator("option").allTextContents()).not.toContain("Porte fermée");
    await dialog.getByLabel("Porte").selectOption(gateId);
    await dialog.getByRole("button", { name: "Faire entrer" }).click();
    await dialog.locator(".field-error").waitFor();
    await dialog.getByLabel("Motif").fill("QR illisible, pièce d'identité vérifiée");
    await dialog.getByRole("button", { name: "Faire entrer" }).click();
    await page.getByText(`${holder.first_name} ${holder.last_name} est entré(e) par`).waitFor();
    await expect.poll(() => page.getByTestId("inside-total").textContent(), { timeout: 10_000 }).toBe("2");
    await found.locator("tbody tr", { hasText: first!.qr_code }).getByText("À l'intérieur").waitFor();
    expect(await found.locator("tbody tr", { hasText: first!.qr_code }).getByRole("button", { name: "Faire entrer" }).count()).toBe(0);
    // The gate log keeps who let them in, how, and why.
    await expect
      .poll(async () => (await expectOk(api("GET", `/v1/events/${eventId}/access-rights/${first!.id}/history`, { token: organizer.token }))).scans.map((scan: { status: string; scan_method: string; reason: string | null }) => [scan.status, scan.scan_method, scan.reason]), { timeout: 15_000 })
      .toEqual([["SUCCESS", "MANUAL_ENTRY", "QR illisible, pièce d'identité vérifiée"]]);

    // The second ticket: a gate takes its printed code while the dialog is open; the Durable Object refuses the door's admission.
    await found.locator("tbody tr", { hasText: second!.qr_code }).getByRole("button", { name: "Faire entrer" }).click();
    await dialog.getByLabel("Porte").selectOption(gateId);
    await dialog.getByLabel("Motif").fill("Billet sur un téléphone éteint");
    const scanned = await expectOk(
      api("POST", `/v1/events/${eventId}/scans`, {
        token: controller.token,
        body: { id: randomUUID(), qr: second!.qr_code, action: "ENTRY", scan_method: "MANUAL_ENTRY", scanned_at: new Date().toISOString(), device_id: "TABLET-B1", access_point_id: gateId },
      }),
    );
    expect(scanned).toMatchObject({ status: "SUCCESS" });
    await dialog.getByRole("button", { name: "Faire entrer" }).click();
    await dialog.getByText("Refusé par le contrôle : Déjà entré.").waitFor();
    expect(await dialog.getByLabel("Motif").inputValue()).toBe("Billet sur un téléphone éteint");
    await page.keyboard.press("Escape");
    await expect.poll(() => page.getByTestId("inside-total").textContent(), { timeout: 10_000 }).toBe("3");
    expect(await seriousViolations(page)).toEqual([]);
    // The errors expected here: the search's and the admission's 422, logged by the browser.
    expect(organizerTab.errors).toHaveLength(2);
    for (const error of organizerTab.errors) expect(error).toContain("422");
    organizerTab.errors.length = 0;
  });
});

describe("identity verification", () => {
  it("the admin sees the document and the selfie through the API and approves", async () => {
    const fan = await loginAs("USER", 1);
    const form = new FormData();
    form.set("document", new Blob([PNG], { type: "image/png" }), "id.png");
    form.set("selfie", new Blob([PNG], { type: "image/png" }), "selfie.png");
    await expectOk(api("POST", "/v1/me/verification", { token: fan.token, body: form }), 201);
    const page = adminTab.page;
    await page.goto("/admin/verifications");
    await heading(page);
    await page.getByRole("link", { name: `${account("USER", 1).first_name} ${account("USER", 1).last_name}` }).click();
    await heading(page);
    for (const name of ["Pièce d'identité", "Selfie"]) {
      const image = page.getByRole("img", { name });
      await expect.poll(() => image.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(1);
      expect(await image.getAttribute("src")).toMatch(/^blob:/);
    }
    await page.getByRole("button", { name: "Approuver" }).click();
    await page.waitForURL(/\/admin\/verifications$/);
    const me = await expectOk(api("GET", "/v1/me", { token: fan.token }));
    expect(me.is_identity_verified).toBe(true);
    expect(adminTab.errors).toEqual([]);
  });
});

describe("sign-in", () => {
  it("asks for the 2FA code, then keeps the session by refreshing the access token", async () => {
    const email = `${unique("orga")}@example.com`;
    const password = "a long enough passphrase 2026";
    const registered = await expectOk(api("POST", "/v1/auth/register", { body: { email, password, first_name: "Nadia", last_name: "Trabelsi" } }), 201);
    await expectOk(api("PATCH", `/v1/admin/users/${registered.user.id}`, { token: admin.token, body: { role: "ORGANIZER" } }));
    const token = registered.tokens.access_token;
    const setup = await expectOk(api("POST", "/v1/auth/2fa/setup", { token, body: { method: "TOTP" } }), 201);
    await expectOk(api("POST", "/v1/auth/2fa/enable", { token, body: { challenge_id: setup.challenge_id, code: totp(setup.secret) } }));

    const tab = await openTab();
    try {
      // The step used at enable time is spent: wait for the next one.
      const step = Math.floor(Date.now() / 30_000);
      await expect.poll(() => Math.floor(Date.now() / 30_000), { timeout: 35_000, interval: 500 }).toBeGreaterThan(step);
      await signIn(tab.page, email, password, () => totp(setup.secret));
      // A new organizer has no organization yet: the dashboard starts by creating it.
      expect(await heading(tab.page)).toBe("Créer votre organisation");
      await tab.page.getByLabel("Nom").fill(unique("Club de Nadia"));
      await tab.page.getByRole("button", { name: "Créer" }).click();
      await expect.poll(() => heading(tab.page), { timeout: 15_000 }).toBe("Mes événements");
      const mine = await expectOk(api("GET", "/v1/organizations", { token }));
      expect(mine.data.map((o: { my_role: string }) => o.my_role)).toEqual(["OWNER"]);

      // The access token lapses: the next screen refreshes it first and still loads.
      await tab.page.evaluate(() => {
        const { localStorage } = globalThis as unknown as { localStorage: { getItem(key: string): string; setItem(key: string, value: string): void } };
        const stored = JSON.parse(localStorage.getItem("dashboard.session"));
        localStorage.setItem("dashboard.session", JSON.stringify({ ...stored, access_expires_at: Date.now() - 1000 }));
      });
      const refreshed = tab.page.waitForResponse((response) => response.url().endsWith("/v1/auth/refresh"));
      await tab.page.reload();
      expect((await refreshed).status()).toBe(200);
      expect(await heading(tab.page)).toBe("Mes événements");
      expect(tab.errors).toEqual([]);
    } finally {
      await tab.close();
    }
  });
});

describe("the team", () => {
  it("the owner invites a box-office member by email, sees the invitation pending and revokes it; a wrong token is refused beside its field", async () => {
    const page = organizerTab.page;
    await page.goto("/organizer/team");
    expect(await heading(page)).toMatch(/^Équipe — /);
    await page.getByText("Votre rôle : Propriétaire.").waitFor();
    const members = page.getByRole("table", { name: "Membres" });
    await members.getByText(account("ORGANIZER").email).waitFor();
    const email = `${unique("caisse")}@example.com`;
    const invite = page.getByRole("form", { name: "Inviter par e-mail" });
    await invite.getByLabel("E-mail").fill(email);
    await invite.getByLabel("Rôle").selectOption("BOX_OFFICE");
    await invite.getByRole("button", { name: "Envoyer l'invitation" }).click();
    await page.getByText(`Invitation envoyée à ${email}.`).waitFor();
    const row = page.getByRole("table", { name: "Invitations" }).locator("tr", { hasText: email });
    await row.getByText("En attente").waitFor();
    expect(await row.textContent()).toContain("Guichet");
    // The same address again: the API's 409 is shown and the form keeps it.
    await invite.getByLabel("E-mail").fill(email);
    await invite.getByRole("button", { name: "Envoyer l'invitation" }).click();
    await invite.getByRole("alert").waitFor();
    expect(await invite.getByLabel("E-mail").inputValue()).toBe(email);
    await row.getByRole("button", { name: "Révoquer" }).click();
    await row.getByText("Révoquée").waitFor();
    const [club] = (await expectOk(api("GET", "/v1/organizations", { token: organizer.token }))).data;
    const invitations = await expectOk(api("GET", `/v1/organizations/${club.id}/invitations?status=REVOKED`, { token: organizer.token }));
    expect(invitations.data.map((i: { email: string }) => i.email)).toContain(email);

    await page.goto("/join");
    await heading(page);
    await page.getByLabel("Jeton d'invitation").fill("not-a-real-invitation-token");
    await page.getByRole("button", { name: "Accepter l'invitation" }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByLabel("Jeton d'invitation").inputValue()).toBe("not-a-real-invitation-token");
    // The errors expected here: the 409 and the 404, logged by the browser.
    organizerTab.errors.length = 0;
  });
});

describe("user groups", () => {
  it("the organizer creates a group, adds a fan by email, and imports a CSV: a faulty line refuses the file and names its line, a good file adds everyone", async () => {
    const page = organizerTab.page;
    await page.goto("/organizer/user-groups");
    await heading(page);
    const code = unique("ETUDIANTS").toUpperCase();
    await page.getByRole("button", { name: "Nouveau groupe" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Code").fill(code);
    await dialog.getByLabel("Nom").fill("Étudiants");
    await dialog.getByRole("button", { name: "Créer" }).click();
    await page.getByText("Groupe « Étudiants » créé.").waitFor();
    await page.getByRole("row", { name: new RegExp(code) }).getByRole("link", { name: "Étudiants" }).click();
    expect(await heading(page)).toBe("Groupe — Étudiants");

    const add = page.getByRole("form", { name: "Ajouter un membre" });
    await add.getByLabel("E-mail").fill(account("USER").email);
    await add.getByRole("button", { name: "Ajouter" }).click();
    await page.getByText("Membre ajouté.").waitFor();
    const members = page.getByRole("table", { name: "Membres" });
    await members.getByRole("cell", { name: account("USER").email }).first().waitFor();

    // Line 3 has no address: the whole file is refused, the line named, nothing added.
    const upload = page.getByRole("form", { name: "Importer un fichier CSV" });
    const invited = `${unique("etudiant")}@example.com`;
    await upload.getByLabel("Fichier CSV").setInputFiles({ name: "etudiants.csv", mimeType: "text/csv", buffer: Buffer.from(`email,valid_until\n${invited},2030-06-30\nnot-an-address,\n`) });
    await upload.getByRole("button", { name: "Importer" }).click();
    await upload.getByRole("alert").getByText(/rows\.3/).waitFor();
    expect(await members.locator("tbody tr").count()).toBe(1);
    await upload.getByLabel("Fichier CSV").setInputFiles({ name: "etudiants.csv", mimeType: "text/csv", buffer: Buffer.from(`email,valid_until\n${invited},2030-06-30\n${account("USER", 1).email},\n`) });
    await upload.getByRole("button", { name: "Importer" }).click();
    await page.getByText("Import terminé : 2 ajouté(s), 0 mis à jour.").waitFor();
    // Made from the address alone, the account shows it as its name too.
    await members.getByRole("cell", { name: invited }).first().waitFor();
    expect(await members.locator("tbody tr").count()).toBe(3);
    expect(await seriousViolations(page)).toEqual([]);
    // The errors expected here: the import's 422, logged by the browser.
    organizerTab.errors.length = 0;
  });
});

describe("catalogue screens", () => {
  it("the admin adds a FAQ entry, edits it and deletes it after confirming; the list follows each step", async () => {
    const page = adminTab.page;
    await page.goto("/admin/faq");
    await heading(page);
    const question = unique("Où retirer mon badge");
    await page.getByRole("button", { name: "Nouvelle question" }).click();
    let dialog = page.getByRole("dialog");
    expect(await dialog.getByRole("heading").textContent()).toBe("Nouvelle question");
    await dialog.getByLabel("Question").fill(question);
    await dialog.getByLabel("Réponse").fill("À l'accueil, porte A.");
    await dialog.getByRole("button", { name: "Créer" }).click();
    await page.getByRole("status").getByText("Enregistré.").waitFor();
    const row = page.getByRole("row", { name: new RegExp(question) });
    await row.waitFor();

    await row.getByRole("button", { name: "Modifier" }).click();
    dialog = page.getByRole("dialog");
    expect(await dialog.getByRole("heading").textContent()).toBe("Modifier");
    expect(await dialog.getByLabel("Question").inputValue()).toBe(question);
    await dialog.getByLabel("Question").fill(`${question} ?`);
    await dialog.getByRole("button", { name: "Enregistrer" }).click();
    const edited = page.getByRole("row", { name: new RegExp(`${question} \\?`) });
    await edited.waitFor();

    // The first confirmation is dismissed, the second accepted: one DELETE is sent, after the second.
    const deletes: string[] = [];
    const count = (request: { method(): string; url(): string }) => void (request.method() === "DELETE" && deletes.push(request.url()));
    page.on("request", count);
    page.once("dialog", (confirm) => void confirm.dismiss());
    await edited.getByRole("button", { name: "Supprimer" }).click();
    page.once("dialog", (confirm) => void confirm.accept());
    await edited.getByRole("button", { name: "Supprimer" }).click();
    await edited.waitFor({ state: "detached" });
    page.off("request", count);
    expect(deletes).toHaveLength(1);
    const left = await expectOk(api("GET", "/v1/admin/faqs?limit=100", { token: admin.token }));
    expect(left.data.some((faq: { question: string }) => faq.question.startsWith(question))).toBe(false);
    expect(adminTab.errors).toEqual([]);
  });
});

describe("messages", () => {
  it("the admin edits a template: an unknown variable is refused beside its field and kept, the preview shows each channel; the organizer sends a campaign to a match's ticket holders", async () => {
    const page = adminTab.page;
    await page.goto("/admin/notification-templates");
    await heading(page);
    await page.locator("main tbody tr").first().getByRole("button", { name: /^Modifier/ }).click();
    const dialog = page.getByRole("dialog");
    const inApp = dialog.getByLabel("Message dans l'application");
    const original = await inApp.inputValue();
    await inApp.fill(`${original} {pas_une_variable}`);
    await dialog.getByRole("button", { name: "Enregistrer" }).click();
    await expect.poll(() => inApp.getAttribute("aria-invalid")).toBe("true");
    expect(await inApp.inputValue()).toBe(`${original} {pas_une_variable}`);
    await inApp.fill(`${original} (aperçu)`);
    await dialog.getByRole("button", { name: "Aperçu" }).click();
    await expect.poll(() => dialog.getByTestId("template-preview").textContent()).toContain("(aperçu)");
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press("Escape");
    adminTab.errors.length = 0; // the 422, logged by the browser

    const organizerPage = organizerTab.page;
    await organizerPage.goto("/organizer/campaigns");
    await heading(organizerPage);
    await organizerPage.getByRole("button", { name: "Nouvelle campagne" }).click();
    const form = organizerPage.getByRole("dialog");
    const name = unique("Rappel portes");
    await form.getByLabel("Nom de la campagne").fill(name);
    await form.getByLabel("Public").selectOption("EVENT_HOLDERS");
    await form.getByLabel("Événement").selectOption({ index: 1 });
    await form.getByLabel("Titre du message").fill("Ouverture des portes");
    await form.getByLabel("Message", { exact: true }).fill("Les portes ouvrent deux heures avant le coup d'envoi.");
    await form.getByRole("button", { name: "Envoyer" }).click();
    await organizerPage.getByText(`Campagne « ${name} » enregistrée.`).waitFor();
    await organizerPage.locator("main tbody tr", { hasText: name }).waitFor();
    const campaigns = await expectOk(api("GET", "/v1/campaigns?limit=50", { token: organizer.token }));
    expect(campaigns.data.find((c: { name: string }) => c.name === name).targeting_criteria.audience).toBe("EVENT_HOLDERS");
    expect(organizerTab.errors).toEqual([]);
  });
});

describe("bad input", () => {
  it("shows the API's problem beside the field it names and keeps every value; a network failure loses nothing", async () => {
    const page = organizerTab.page;
    await page.goto("/organizer/venues");
    await heading(page);
    await page.getByRole("button", { name: "Nouveau lieu" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Nom").fill("Salle des fêtes");
    await dialog.getByLabel("Fuseau horaire").fill("Mars/Olympus");
    await dialog.getByLabel("Capacité").fill("-5");
    const answered = page.waitForResponse((response) => response.url().endsWith("/v1/venues") && response.request().method() === "POST");
    await dialog.getByRole("button", { name: "Créer" }).click();
    const response = await answered;
    expect(response.status()).toBe(422);
    const problem = await response.json();
    const paths = problem.errors.map((error: { path: string }) => error.path).sort();
    expect(paths).toEqual(["capacity", "timezone"]);
    for (const field of ["Fuseau horaire", "Capacité"]) {
      const input = dialog.getByLabel(field);
      expect(await input.getAttribute("aria-invalid")).toBe("true");
      const message = problem.errors.find((error: { path: string }) => error.path === (field === "Capacité" ? "capacity" : "timezone")).message;
      const described = await input.getAttribute("aria-describedby");
      expect(await page.locator(`#${described!.split(" ").pop()}`).textContent()).toBe(message);
    }
    expect(await dialog.getByLabel("Nom").inputValue()).toBe("Salle des fêtes");
    expect(await dialog.getByLabel("Fuseau horaire").inputValue()).toBe("Mars/Olympus");
    // The focus is on the first field in error.
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { value?: string } | null } }).document.activeElement?.value)).toBe("Mars/Olympus");

    // Offline: the request fails, the form says so and keeps what was typed.
    await page.route("**/v1/venues", (route) => route.abort("internetdisconnected"));
    await dialog.getByLabel("Fuseau horaire").fill("Africa/Tunis");
    await dialog.getByRole("button", { name: "Créer" }).click();
    await dialog.getByText("Le serveur est injoignable").waitFor();
    expect(await dialog.getByLabel("Nom").inputValue()).toBe("Salle des fêtes");
    await page.unroute("**/v1/venues");
    // The errors expected here: the 422 and the aborted request, logged by the browser.
    organizerTab.errors.length = 0;
    await page.keyboard.press("Escape");
  });
});

describe("URL layout", () => {
  it("serves the dashboard at / with its security headers, deep links as the app, and the API at /v1", async () => {
    const root = await fetch(new URL("/", BASE));
    expect(root.headers.get("content-type")).toContain("text/html");
    expect(root.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(root.headers.get("x-frame-options")).toBe("DENY");
    const deep = await fetch(new URL("/organizer/events/00000000-0000-4000-8000-000000000000/box-office", BASE), { headers: { "Sec-Fetch-Mode": "navigate", Accept: "text/html" } });
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="root">');
    const index = await fetch(new URL("/v1", BASE));
    expect(((await index.json()) as { links: { api: string } }).links.api).toBe("/v1");
    expect((await fetch(new URL("/openapi.json", BASE))).headers.get("content-type")).toContain("application/json");
    expect((await fetch(new URL("/v1/nothing-here", BASE))).status).toBe(404);
    // A guest's ticket page is the Worker's, not the app's.
    expect(await (await fetch(new URL("/t/not-a-ticket-link", BASE), { headers: { "Sec-Fetch-Mode": "navigate", Accept: "text/html" } })).text()).not.toContain('<div id="root">');
  });
});
