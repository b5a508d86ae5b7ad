import { env, exports } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { event_participations, event_shares, event_views, events } from "../../src/events/schema.ts";
import { api, eventInput, expectProblem, freshIp, publishEvent, registerAdmin, registerOrganizer, registerUser } from "../support/api.ts";

const db = () => getDb(env.DB);

async function published(overrides: Record<string, unknown> = {}) {
  const admin = await registerAdmin();
  const organizer = await registerOrganizer({ plan: null });
  return { admin, organizer, event: await publishEvent(organizer, admin, overrides) };
}

async function draftOf(organizer: { token: string }) {
  const res = await api("POST", "/v1/events", { token: organizer.token, body: eventInput() });
  expect(res.status).toBe(201);
  return res.body;
}

async function eventRow(id: string) {
  const [row] = await db().select().from(events).where(eq(events.id, id));
  return row!;
}

// ---------------------------------------------------------------- views

describe("views", () => {
  const view = (id: string, options: { token?: string; ip?: string; agent?: string } = {}) =>
    api("POST", `/v1/events/${id}/views`, { token: options.token, ip: options.ip, headers: { "User-Agent": options.agent ?? "SpotVibe/2.1 (Android 14)" } });

  it("counts an anonymous device once per day", async () => {
    const { event } = await published();
    const ip = freshIp();
    expect((await view(event.id, { ip })).body).toEqual({ counted: true, view_count: 1 });
    expect((await view(event.id, { ip })).body).toEqual({ counted: false, view_count: 1 });
    // Another device on the same network is another viewer.
    expect((await view(event.id, { ip, agent: "SpotVibe/2.1 (iOS 18)" })).body).toEqual({ counted: true, view_count: 2 });
    expect((await eventRow(event.id)).view_count).toBe(2);

    const rows = await db().select().from(event_views).where(eq(event_views.event_id, event.id));
    expect(rows).toHaveLength(2);
    expect(rows[0]!.day).toBe(new Date().toISOString().slice(0, 10));
    // The fingerprint is a keyed digest: no IP in the table.
    for (const row of rows) {
      expect(row.viewer_key).toMatch(/^f:[0-9a-f]{64}$/);
      expect(row.viewer_key).not.toContain(ip);
    }
  });

  it("counts a signed-in user once per day, wherever they connect from", async () => {
    const { event } = await published();
    const fan = await registerUser();
    expect((await view(event.id, { token: fan.token, ip: freshIp() })).body.counted).toBe(true);
    expect((await view(event.id, { token: fan.token, ip: freshIp(), agent: "Other" })).body.counted).toBe(false);
    const [row] = await db().select().from(event_views).where(eq(event_views.event_id, event.id));
    expect(row).toMatchObject({ viewer_key: `u:${fan.id}`, user_id: fan.id });
  });

  it("keeps one row and one count under concurrent views by the same viewer", async () => {
    const { event } = await published();
    const fan = await registerUser();
    const results = await Promise.all(Array.from({ length: 5 }, () => view(event.id, { token: fan.token })));
    expect(results.filter((res) => res.body.counted)).toHaveLength(1);
    expect((await eventRow(event.id)).view_count).toBe(1);
  });

  it("does not touch the event's version, so a view never conflicts with an edit", async () => {
    const { event } = await published();
    const before = (await eventRow(event.id)).updated_at;
    await view(event.id, { ip: freshIp() });
    expect((await eventRow(event.id)).updated_at).toBe(before);
  });

  it("answers 404 for drafts of others and unknown events, and does not count unpublished ones", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const draft = await draftOf(organizer);
    expectProblem(await view(draft.id), 404);
    expectProblem(await view(crypto.randomUUID()), 404);
    expectProblem(await view("nope"), 422);
    expect((await view(draft.id, { token: organizer.token })).body).toEqual({ counted: false, view_count: 0 });
  });
});

// ---------------------------------------------------------------- participation

describe("participation", () => {
  const put = (id: string, token: string | undefined, body: unknown) => api("PUT", `/v1/events/${id}/participation`, { token, body });

  it("records, changes and removes my participation, with counts per status", async () => {
    const { event } = await published();
    const fan = await registerUser();
    const other = await registerUser();

    const interested = await put(event.id, fan.token, { status: "INTERESTED", comment: "J'amène des amis" });
    expect(interested.status).toBe(200);
    expect(interested.body).toMatchObject({ event_id: event.id, user_id: fan.id, status: "INTERESTED", comment: "J'amène des amis" });
    expect(interested.body.participation_counts).toEqual({ INTERESTED: 1, GOING: 0, ATTENDED: 0, CANCELLED: 0 });

    // An omitted comment is kept; null clears it.
    const going = await put(event.id, fan.token, { status: "GOING" });
    expect(going.body).toMatchObject({ status: "GOING", comment: "J'amène des amis" });
    expect((await put(event.id, other.token, { status: "GOING" })).body.participation_counts).toMatchObject({ INTERESTED: 0, GOING: 2 });
    expect((await put(event.id, fan.token, { status: "CANCELLED", comment: null })).body).toMatchObject({ status: "CANCELLED", comment: null });

    const detail = await api("GET", `/v1/events/${event.id}`, { token: fan.token });
    expect(detail.body).toMatchObject({ my_participation: "CANCELLED", participation_counts: { GOING: 1, CANCELLED: 1 } });

    expect((await api("DELETE", `/v1/events/${event.id}/participation`, { token: fan.token })).status).toBe(204);
    expect((await api("DELETE", `/v1/events/${event.id}/participation`, { token: fan.token })).status).toBe(204);
    expect((await api("GET", `/v1/events/${event.id}`, { token: fan.token })).body.my_participation).toBeNull();
    // The other user's participation is untouched.
    expect((await api("GET", `/v1/events/${event.id}`)).body.participation_counts).toMatchObject({ GOING: 1, CANCELLED: 0 });
  });

  it("never lets a user claim or change ATTENDED", async () => {
    const { event } = await published();
    const fan = await registerUser();
    expectProblem(await put(event.id, fan.token, { status: "ATTENDED" }), 422);
    await put(event.id, fan.token, { status: "GOING" });
    await db()
      .update(event_participations)
      .set({ status: "ATTENDED" })
      .where(and(eq(event_participations.event_id, event.id), eq(event_participations.user_id, fan.id)));
    expectProblem(await put(event.id, fan.token, { status: "CANCELLED" }), 409, "already_attended");
    expectProblem(await api("DELETE", `/v1/events/${event.id}/participation`, { token: fan.token }), 409, "already_attended");
    expect((await api("GET", `/v1/events/${event.id}`, { token: fan.token })).body.my_participation).toBe("ATTENDED");
  });

  it("stops GOING at the capacity of an event without ticketing", async () => {
    const { event } = await published({ max_capacity: 2 });
    const [a, b, c] = [await registerUser(), await registerUser(), await registerUser()];
    expect((await put(event.id, a.token, { status: "GOING" })).status).toBe(200);
    expect((await put(event.id, b.token, { status: "GOING" })).status).toBe(200);
    expectProblem(await put(event.id, c.token, { status: "GOING" }), 409, "event_full");
    expect((await put(event.id, c.token, { status: "INTERESTED" })).status).toBe(200);
    // Those already going can say so again; a place freed is a place taken.
    expect((await put(event.id, a.token, { status: "GOING", comment: "Toujours là" })).status).toBe(200);
    await put(event.id, b.token, { status: "CANCELLED" });
    expect((await put(event.id, c.token, { status: "GOING" })).body.status).toBe("GOING");
  });

  it("admits no more than the capacity under concurrent requests", async () => {
    const { event } = await published({ max_capacity: 3 });
    const fans = await Promise.all(Array.from({ length: 8 }, () => registerUser()));
    const results = await Promise.all(fans.map((fan) => put(event.id, fan.token, { status: "GOING" })));
    expect(results.filter((res) => res.status === 200)).toHaveLength(3);
    expect(results.filter((res) => res.status === 409)).toHaveLength(5);
    expect((await api("GET", `/v1/events/${event.id}`)).body.participation_counts.GOING).toBe(3);
  });

  it("takes no new participants for unpublished, cancelled or finished events", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const fan = await registerUser();
    const draft = await draftOf(organizer);
    expectProblem(await put(draft.id, fan.token, { status: "INTERESTED" }), 404);
    expectProblem(await put(draft.id, organizer.token, { status: "INTERESTED" }), 409, "event_not_open");

    const { event, organizer: owner } = await published();
    await put(event.id, fan.token, { status: "GOING" });
    await api("POST", `/v1/events/${event.id}/cancel`, { token: owner.token, body: { reason: "Pluie" } });
    expectProblem(await put(event.id, fan.token, { status: "GOING" }), 409, "event_not_open");
    // Withdrawing from a cancelled event is still possible.
    expect((await put(event.id, fan.token, { status: "CANCELLED" })).status).toBe(200);
  });

  it("lists my participations only, with their events", async () => {
    const { event } = await published();
    const { event: second } = await published();
    const fan = await registerUser();
    const other = await registerUser();
    await put(event.id, fan.token, { status: "INTERESTED" });
    await put(second.id, fan.token, { status: "GOING" });
    await put(event.id, other.token, { status: "GOING" });

    const mine = await api("GET", "/v1/me/participations", { token: fan.token });
    expect(mine.status).toBe(200);
    expect(mine.body.data.map((p: { event_id: string }) => p.event_id)).toEqual([second.id, event.id]);
    expect(mine.body.data[0].event).toMatchObject({ id: second.id, title: second.title });
    const going = await api("GET", "/v1/me/participations?status=GOING", { token: fan.token });
    expect(going.body.data.map((p: { event_id: string }) => p.event_id)).toEqual([second.id]);
    const page = await api("GET", "/v1/me/participations?limit=1", { token: fan.token });
    const rest = await api("GET", `/v1/me/participations?limit=1&cursor=${page.body.next_cursor}`, { token: fan.token });
    expect(rest.body.data.map((p: { event_id: string }) => p.event_id)).toEqual([event.id]);
  });

  it("needs a signed-in caller", async () => {
    const { event } = await published();
    expectProblem(await put(event.id, undefined, { status: "GOING" }), 401);
    expectProblem(await api("DELETE", `/v1/events/${event.id}/participation`), 401);
    expectProblem(await api("GET", "/v1/me/participations"), 401);
    const fan = await registerUser();
    expectProblem(await put(event.id, fan.token, { status: "GOING", extra: 1 }), 422);
  });
});

// ---------------------------------------------------------------- shares

describe("shares", () => {
  const share = (id: string, token: string | undefined, platform = "WHATSAPP") => api("POST", `/v1/events/${id}/shares`, { token, body: { platform } });

  async function follow(path: string) {
    const response = await (exports as unknown as { default: Fetcher }).default.fetch(new Request(`https://api.test${path}`, { redirect: "manual" }));
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text };
  }

  it("creates a tracked short link and counts the share", async () => {
    const { event } = await published();
    const fan = await registerUser();
    const res = await share(event.id, fan.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ event_id: event.id, platform: "WHATSAPP", click_count: 0 });
    expect(res.body.code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    expect(res.body.url).toBe(`https://api.test/s/${res.body.code}`);
    expect((await eventRow(event.id)).share_count).toBe(1);
    const [row] = await db().select().from(event_shares).where(eq(event_shares.id, res.body.id));
    expect(row).toMatchObject({ user_id: fan.id, code: res.body.code });

    const second = await share(event.id, fan.token, "FACEBOOK");
    expect(second.body.code).not.toBe(res.body.code);
    expect((await api("GET", `/v1/events/${event.id}`)).body.share_count).toBe(2);
  });

  it("redirects the short link to the event page and counts each click", async () => {
    const { event } = await published();
    const fan = await registerUser();
    const { code } = (await share(event.id, fan.token)).body;
    const first = await follow(`/s/${code}`);
    expect(first.status).toBe(302);
    expect(first.headers.get("Location")).toBe(`https://api.test/v1/events/${event.id}`);
    expect(first.headers.get("Cache-Control")).toBe("no-store");
    expect((await follow(`/s/${code.toLowerCase()}`)).status).toBe(302);
    const [row] = await db().select().from(event_shares).where(eq(event_shares.code, code));
    expect(row!.click_count).toBe(2);
  });

  it("builds the link and its redirect on the configured origin, whatever Host the request names", async () => {
    const { event } = await published();
    const fan = await registerUser();
    const fetchAs = (host: string, path: string, init: RequestInit = {}) =>
      (exports as unknown as { default: Fetcher }).default.fetch(new Request(`https://${host}${path}`, { redirect: "manual", ...init }));
    const created = await fetchAs("attacker.example", `/v1/events/${event.id}/shares`, {
      method: "POST",
      headers: { Authorization: `Bearer ${fan.token}`, "Content-Type": "application/json", "CF-Connecting-IP": freshIp() },
      body: JSON.stringify({ platform: "WHATSAPP" }),
    });
    expect(created.status).toBe(201);
    const { code, url } = (await created.json()) as { code: string; url: string };
    expect(url).toBe(`https://api.test/s/${code}`);
    const followed = await fetchAs("attacker.example", `/s/${code}`);
    expect(followed.status).toBe(302);
    expect(followed.headers.get("Location")).toBe(`https://api.test/v1/events/${event.id}`);
  });

  it("counts concurrent clicks exactly", async () => {
    const { event } = await published();
    const { code } = (await share(event.id, (await registerUser()).token)).body;
    await Promise.all(Array.from({ length: 10 }, () => follow(`/s/${code}`)));
    const [row] = await db().select().from(event_shares).where(eq(event_shares.code, code));
    expect(row!.click_count).toBe(10);
  });

  it("answers problem+json for unknown and malformed codes", async () => {
    const unknown = await follow("/s/ZZZZZZZZ");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("Content-Type")).toContain("application/problem+json");
    expect((await follow("/s/short")).status).toBe(422);
    expect((await follow("/s/AAAAAAA0")).status).toBe(422);
  });

  it("is documented in the OpenAPI document", async () => {
    const doc = (await api("GET", "/openapi.json")).body;
    expect(doc.paths["/s/{code}"]).toHaveProperty("get");
    expect(doc.paths["/v1/events/{event_id}/shares"]).toHaveProperty("post");
  });

  it("shares approved events only, and hides others' drafts", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const draft = await draftOf(organizer);
    const fan = await registerUser();
    expectProblem(await share(draft.id, fan.token), 404);
    expectProblem(await share(draft.id, organizer.token), 409, "event_not_shareable");
    expectProblem(await share(crypto.randomUUID(), fan.token), 404);
    const { event } = await published();
    expectProblem(await share(event.id, fan.token, "MYSPACE"), 422);
    expectProblem(await share(event.id, undefined), 401);
    expect((await eventRow(event.id)).share_count).toBe(0);
  });
});
