import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { importVerifyKeys, verifyAccessToken } from "../../src/access/qr-tokens.ts";
import { retireEventKey, signAccessToken } from "../../src/access/signing-keys.ts";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { decryptSecret } from "../../src/lib/crypto/encryption.ts";
import { api, decodeQrSvg, expectProblem, registerUser } from "../support/api.ts";
import { orderRequest, ticketedEvent, type TicketingFixture } from "../support/ticketing.ts";

/** A registered fan holding `quantity` confirmed access rights of a fresh event, projected to D1. */
async function fanWithRights(quantity = 1, options: { cancellationAllowed?: boolean } = {}) {
  const fixture = await ticketedEvent({ quantity: 10, cancellationAllowed: options.cancellationAllowed });
  const fan = await registerUser();
  const hold = await fixture.stub.placeOrder(orderRequest(fixture, fan.id, quantity));
  if (!hold.ok) throw new Error(`hold failed: ${hold.problem.code}`);
  const confirmed = await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
  if (!confirmed.ok) throw new Error(`confirm failed: ${confirmed.problem.code}`);
  await fixture.stub.flushProjection();
  return { fixture, fan, orderId: hold.order.id, rights: confirmed.rights };
}

const qr = (rightId: string, token?: string) => api<string>("GET", `/v1/me/access-rights/${rightId}/qr`, { token });
const tokenOf = (rightId: string, token?: string) => api("GET", `/v1/me/access-rights/${rightId}/token`, { token });

/** The event's published keys, imported as a gate would. */
async function publishedKeys(eventId: string) {
  const res = await api("GET", `/v1/events/${eventId}/keys`);
  expect(res.status).toBe(200);
  return { jwks: res.body.keys as { kid: string; kty: "OKP"; crv: "Ed25519"; x: string }[], verify: await importVerifyKeys(res.body.keys) };
}

/** Sets a right's status inside its event's Durable Object, as a transfer or a block would. */
async function setLiveStatus(fixture: TicketingFixture, rightId: string, status: string) {
  await runInDurableObject(fixture.stub, (_instance, state) => {
    state.storage.sql.exec("UPDATE rights SET status = ? WHERE id = ?", status, rightId);
  });
}

describe("QR codes of access rights", () => {
  it("gives the holder an SVG that decodes to the signed token, verifiable with the event's public keys", async () => {
    const { fixture, fan, rights } = await fanWithRights(1);
    const right = rights[0]!;
    const res = await qr(right.id, fan.token);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("image/svg+xml");
    expect(res.headers.get("Cache-Control")).toBe("private, no-store");
    const decoded = await decodeQrSvg(res.body);

    const token = await tokenOf(right.id, fan.token);
    expect(token.status).toBe(200);
    expect(token.headers.get("Cache-Control")).toBe("private, no-store");
    expect(token.body).toEqual({ token: decoded, qr_code: right.qr_code, kid: expect.stringMatching(/^[A-Z2-7]{8}$/) });
    expect(token.body.token).toHaveLength(142);

    const { verify } = await publishedKeys(fixture.eventId);
    expect(await verifyAccessToken(decoded!, verify)).toEqual({ ok: true, access_right_id: right.id, event_id: fixture.eventId, kid: token.body.kid });
  });

  it("stores the QR in the private bucket and serves it from there", async () => {
    const { fixture, fan, rights } = await fanWithRights(1);
    const right = rights[0]!;
    const first = await qr(right.id, fan.token);
    const stored = await env.VAULT.get(`qr/${fixture.eventId}/${right.id}.svg`);
    expect(await stored!.text()).toBe(first.body);
    expect(stored!.httpMetadata?.contentType).toBe("image/svg+xml");
    expect(await env.MEDIA.get(`qr/${fixture.eventId}/${right.id}.svg`)).toBeNull();
    // A marker in the cached copy shows the second response came from the bucket.
    await env.VAULT.put(`qr/${fixture.eventId}/${right.id}.svg`, first.body.replace("<rect", "<rect data-cached=\"1\""), { customMetadata: stored!.customMetadata });
    expect((await qr(right.id, fan.token)).body).toContain('data-cached="1"');
  });

  it("gives each of several rights its own QR", async () => {
    const { fan, rights } = await fanWithRights(3);
    const decoded = await Promise.all(rights.map(async (r) => decodeQrSvg((await qr(r.id, fan.token)).body)));
    expect(new Set(decoded).size).toBe(3);
  });

  it("shows a right's QR and token to its holder only", async () => {
    const { fan, rights } = await fanWithRights(1);
    const other = await registerUser();
    const right = rights[0]!;
    expectProblem(await qr(right.id, other.token), 404, "not_found");
    expectProblem(await tokenOf(right.id, other.token), 404, "not_found");
    expectProblem(await qr(right.id), 401, "unauthorized");
    expectProblem(await tokenOf(right.id), 401, "unauthorized");
    expectProblem(await qr(crypto.randomUUID(), fan.token), 404, "not_found");
    expectProblem(await qr("not-a-uuid", fan.token), 422, "validation_failed");
  });

  it("gives a transferred right no QR, and drops the QR it had, as soon as its event says so", async () => {
    const { fixture, fan, rights } = await fanWithRights(1);
    const right = rights[0]!;
    expect((await qr(right.id, fan.token)).status).toBe(200);
    // D1 still says ENABLED: the live status in the event's Durable Object decides.
    await setLiveStatus(fixture, right.id, "TRANSFERRED");
    const res = expectProblem(await qr(right.id, fan.token), 409, "access_right_inactive");
    expect(res.detail).toContain("TRANSFERRED");
    expectProblem(await tokenOf(right.id, fan.token), 409, "access_right_inactive");
    expect(await env.VAULT.get(`qr/${fixture.eventId}/${right.id}.svg`)).toBeNull();
  });

  it("gives cancelled and blocked rights no QR, and used ones theirs (for exit and re-entry)", async () => {
    const { fixture, fan, rights, orderId } = await fanWithRights(2, { cancellationAllowed: true });
    await setLiveStatus(fixture, rights[0]!.id, "USED");
    expect((await qr(rights[0]!.id, fan.token)).status).toBe(200);
    await setLiveStatus(fixture, rights[0]!.id, "BLOCKED");
    expectProblem(await qr(rights[0]!.id, fan.token), 409, "access_right_inactive");

    expect((await qr(rights[1]!.id, fan.token)).status).toBe(200);
    const cancelled = await fixture.stub.cancelOrder(orderId, "cannot come", fan.id);
    expect(cancelled.ok).toBe(true);
    expectProblem(await qr(rights[1]!.id, fan.token), 409, "access_right_inactive");
    expect(await env.VAULT.get(`qr/${fixture.eventId}/${rights[1]!.id}.svg`)).toBeNull();
  });
});

describe("event signing keys", () => {
  it("publishes public keys only, and stores the private key encrypted", async () => {
    const { fixture, fan, rights } = await fanWithRights(1);
    await tokenOf(rights[0]!.id, fan.token);
    const res = await api("GET", `/v1/events/${fixture.eventId}/keys`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=300");
    expect(res.body.keys).toHaveLength(1);
    const [published] = res.body.keys;
    expect(Object.keys(published).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);

    const row = await env.DB.prepare("SELECT kid, public_jwk, private_jwk_encrypted FROM event_signing_keys WHERE event_id = ?")
      .bind(fixture.eventId)
      .first<{ kid: string; public_jwk: string; private_jwk_encrypted: string }>();
    expect(row!.kid).toBe(published.kid);
    expect(JSON.parse(row!.public_jwk)).toEqual({ kty: "OKP", crv: "Ed25519", x: published.x });
    expect(row!.private_jwk_encrypted).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(() => JSON.parse(row!.private_jwk_encrypted)).toThrow();
    const privateJwk = JSON.parse(await decryptSecret(env.DATA_ENCRYPTION_KEY, "event_signing_keys.private_jwk", row!.private_jwk_encrypted));
    expect(privateJwk).toMatchObject({ kty: "OKP", crv: "Ed25519", x: published.x, d: expect.any(String) });
    // Sealed for its column: the same ciphertext does not open as another secret.
    await expect(decryptSecret(env.DATA_ENCRYPTION_KEY, "user_two_factor.secret", row!.private_jwk_encrypted)).rejects.toThrow();
    expect(JSON.stringify(res.body)).not.toContain(privateJwk.d);
  });

  it("creates one key when ten first signings race for it", async () => {
    const fixture = await ticketedEvent();
    // An approved event got its key when it was synced; start again without one.
    await env.DB.prepare("DELETE FROM event_signing_keys WHERE event_id = ?").bind(fixture.eventId).run();
    const right = { id: crypto.randomUUID(), event_id: fixture.eventId };
    const results = await Promise.all(Array.from({ length: 10 }, () => signAccessToken(env, right)));
    const rows = await env.DB.prepare("SELECT kid FROM event_signing_keys WHERE event_id = ?").bind(fixture.eventId).all<{ kid: string }>();
    expect(rows.results).toHaveLength(1);
    for (const result of results) expect(result.kid).toBe(rows.results[0]!.kid);
    expect((await api("GET", `/v1/events/${fixture.eventId}/keys`)).body.keys.map((k: { kid: string }) => k.kid)).toEqual([rows.results[0]!.kid]);
  });

  it("makes an event's key when its ticketing opens, and never on a GET: drafts answer 404", async () => {
    const countKeys = async (eventId: string) => (await env.DB.prepare("SELECT count(*) AS n FROM event_signing_keys WHERE event_id = ?").bind(eventId).first<{ n: number }>())!.n;
    const draft = await ticketedEvent({ status: "DRAFT" });
    expectProblem(await api("GET", `/v1/events/${draft.eventId}/keys`), 404, "not_found");
    expect(await countKeys(draft.eventId)).toBe(0);
    // Approved and synced (what approval does): the key exists before anyone asks.
    await env.DB.prepare("UPDATE events SET status = 'APPROVED' WHERE id = ?").bind(draft.eventId).run();
    await syncEventInventory(env, draft.eventId);
    expect(await countKeys(draft.eventId)).toBe(1);
    const published = await api("GET", `/v1/events/${draft.eventId}/keys`);
    expect(published.body.keys).toHaveLength(1);
    expect(published.headers.get("Cache-Control")).toBe("public, max-age=300");
    // An anonymous GET on a published event with no key reads, and creates nothing.
    await env.DB.prepare("DELETE FROM event_signing_keys WHERE event_id = ?").bind(draft.eventId).run();
    const empty = await api("GET", `/v1/events/${draft.eventId}/keys`);
    expect(empty.body).toEqual({ keys: [] });
    expect(empty.headers.get("Cache-Control")).toBe("no-store");
    expect(await countKeys(draft.eventId)).toBe(0);
  });

  it("keeps one event's tokens from verifying with another event's keys", async () => {
    const a = await fanWithRights(1);
    const b = await ticketedEvent();
    const token = (await tokenOf(a.rights[0]!.id, a.fan.token)).body.token as string;
    const { verify: keysOfB } = await publishedKeys(b.eventId);
    expect(await verifyAccessToken(token, keysOfB)).toEqual({ ok: false, reason: "unknown_kid" });
    const { verify: keysOfA } = await publishedKeys(a.fixture.eventId);
    expect((await verifyAccessToken(token, keysOfA)).ok).toBe(true);
  });

  it("rotates: new QRs are signed by a new key, tokens of the retired key still verify", async () => {
    const { fixture, fan, rights } = await fanWithRights(1);
    const right = rights[0]!;
    const before = await decodeQrSvg((await qr(right.id, fan.token)).body);
    const oldKid = (await tokenOf(right.id, fan.token)).body.kid;
    expect(await retireEventKey(env, fixture.eventId)).toBe(oldKid);

    const after = await decodeQrSvg((await qr(right.id, fan.token)).body);
    const newKid = (await tokenOf(right.id, fan.token)).body.kid;
    expect(newKid).not.toBe(oldKid);
    expect(after).not.toBe(before);
    expect(after!.split(".")[1]).toBe(newKid);

    const { jwks, verify } = await publishedKeys(fixture.eventId);
    expect(jwks.map((k) => k.kid)).toEqual([oldKid, newKid]);
    expect(await verifyAccessToken(before!, verify)).toMatchObject({ ok: true, access_right_id: right.id, kid: oldKid });
    expect(await verifyAccessToken(after!, verify)).toMatchObject({ ok: true, access_right_id: right.id, kid: newKid });
  });

  it("answers 404 for the keys of an unknown event and 422 for a malformed id", async () => {
    expectProblem(await api("GET", `/v1/events/${crypto.randomUUID()}/keys`), 404, "not_found");
    expectProblem(await api("GET", "/v1/events/nope/keys"), 422, "validation_failed");
  });
});
