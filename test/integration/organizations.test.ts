import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  addMember,
  api,
  expectProblem,
  login,
  PASSWORD,
  registerAdmin,
  registerMember,
  registerOrganizer,
  registerUser,
  waitForMessage,
} from "../support/api.ts";
import { ticketedEvent } from "../support/ticketing.ts";

type Person = { id: string; token: string };

const invite = (owner: Person, organizationId: string, body: Record<string, unknown>) => api("POST", `/v1/organizations/${organizationId}/invitations`, { token: owner.token, body });
const accept = (body: Record<string, unknown>, token?: string) => api("POST", "/v1/organization-invitations/accept", { token, body });
const members = async (organizationId: string) =>
  (await env.DB.prepare("SELECT user_id, role FROM organization_members WHERE organization_id = ? ORDER BY created_at").bind(organizationId).all<{ user_id: string; role: string }>()).results;
const unique = () => crypto.randomUUID().slice(0, 8);

/** Invites `email` and returns the token the invitation email carries, as the invitee reads it. */
async function invitedToken(owner: Person, organizationId: string, email: string, role = "BOX_OFFICE") {
  const res = await invite(owner, organizationId, { email, role });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const message = await waitForMessage(email.toLowerCase(), "ORGANIZATION_INVITATION");
  return { invitation: res.body, token: (message.data as Record<string, string>).token!, message };
}

describe("organizations", () => {
  it("are created by ORGANIZER accounts (their first OWNER), not by plain users; admins create one for an account", async () => {
    const user = await registerUser();
    expectProblem(await api("POST", "/v1/organizations", { token: user.token, body: { name: "Club" } }), 403);
    expectProblem(await api("POST", "/v1/organizations", { body: { name: "Club" } }), 401);
    const organizer = await registerOrganizer();
    const created = await api("POST", "/v1/organizations", { token: organizer.token, body: { name: "  Espérance Sportive de Tunis ", contact_email: "Club@EST.tn" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Espérance Sportive de Tunis", contact_email: "club@est.tn", created_by: organizer.id, my_role: "OWNER" });
    expect(await members(created.body.id)).toEqual([{ user_id: organizer.id, role: "OWNER" }]);
    const audit = await env.DB.prepare("SELECT object_type FROM audit_log WHERE object_id IN (?, (SELECT id FROM organization_members WHERE organization_id = ?))").bind(created.body.id, created.body.id).all<{ object_type: string }>();
    expect(audit.results.map((r) => r.object_type).sort()).toEqual(["organization_members", "organizations"]);

    expectProblem(await api("POST", "/v1/organizations", { token: organizer.token, body: { name: "Club", owner_id: user.id } }), 403);
    const admin = await registerAdmin();
    const forUser = await api("POST", "/v1/organizations", { token: admin.token, body: { name: "Club Africain", owner_id: user.id } });
    expect(forUser.status).toBe(201);
    expect(await members(forUser.body.id)).toEqual([{ user_id: user.id, role: "OWNER" }]);
    expect(expectProblem(await api("POST", "/v1/organizations", { token: admin.token, body: { name: "X", owner_id: crypto.randomUUID() } }), 422).errors[0].path).toBe("owner_id");
    for (const body of [{}, { name: "" }, { name: "X", contact_email: "nope" }, { name: "X", extra: 1 }]) expectProblem(await api("POST", "/v1/organizations", { token: organizer.token, body }), 422);
  });

  it("are read and listed by their members with their role, 404 for anyone else; only OWNERs rename them", async () => {
    const owner = await registerOrganizer();
    const cashier = await registerMember(owner.organizationId, "BOX_OFFICE");
    const other = await registerOrganizer();
    // One person, several organizations.
    await addMember(other.organizationId, cashier.id, "FINANCE");
    const mine = await api("GET", "/v1/organizations", { token: cashier.token });
    expect(mine.body.data.map((o: { id: string; my_role: string }) => [o.id, o.my_role]).sort()).toEqual(
      [
        [owner.organizationId, "BOX_OFFICE"],
        [other.organizationId, "FINANCE"],
      ].sort(),
    );
    expect((await api("GET", `/v1/organizations/${owner.organizationId}`, { token: cashier.token })).body.my_role).toBe("BOX_OFFICE");
    expectProblem(await api("GET", `/v1/organizations/${owner.organizationId}`, { token: (await registerOrganizer()).token }), 404);
    expectProblem(await api("GET", "/v1/organizations?all=true", { token: owner.token }), 403);
    expect((await api("GET", `/v1/organizations?all=true&limit=100`, { token: (await registerAdmin()).token })).body.data.length).toBeGreaterThanOrEqual(2);

    expect(expectProblem(await api("PATCH", `/v1/organizations/${owner.organizationId}`, { token: cashier.token, body: { name: "Pris" } }), 403).detail).toContain("members.manage");
    expectProblem(await api("PATCH", `/v1/organizations/${owner.organizationId}`, { token: other.token, body: { name: "Pris" } }), 404);
    expect((await api("PATCH", `/v1/organizations/${owner.organizationId}`, { token: owner.token, body: { description: "Le club" } })).body).toMatchObject({ description: "Le club", my_role: "OWNER" });
  });
});

describe("members", () => {
  it("are listed by OWNER and MANAGER; only OWNERs change roles or remove; anyone may leave", async () => {
    const owner = await registerOrganizer();
    const manager = await registerMember(owner.organizationId, "MANAGER");
    const controller = await registerMember(owner.organizationId, "CONTROLLER");
    const path = `/v1/organizations/${owner.organizationId}/members`;
    const listed = await api("GET", path, { token: manager.token });
    expect(listed.body.data.map((m: { user: { id: string }; role: string }) => [m.user.id, m.role])).toEqual([
      [owner.id, "OWNER"],
      [manager.id, "MANAGER"],
      [controller.id, "CONTROLLER"],
    ]);
    expectProblem(await api("GET", path, { token: controller.token }), 403);
    expectProblem(await api("GET", path, { token: (await registerOrganizer()).token }), 404);

    expectProblem(await api("PATCH", `${path}/${controller.id}`, { token: manager.token, body: { role: "OWNER" } }), 403);
    expectProblem(await api("PATCH", `${path}/${controller.id}`, { token: owner.token, body: { role: "BOSS" } }), 422);
    const promoted = await api("PATCH", `${path}/${controller.id}`, { token: owner.token, body: { role: "SUPERVISOR" } });
    expect(promoted.body).toMatchObject({ role: "SUPERVISOR", user: { id: controller.id } });
    expectProblem(await api("DELETE", `${path}/${owner.id}`, { token: manager.token }), 403);
    expect((await api("DELETE", `${path}/${manager.id}`, { token: manager.token })).status).toBe(204);
    expect((await api("DELETE", `${path}/${controller.id}`, { token: owner.token })).status).toBe(204);
    expectProblem(await api("DELETE", `${path}/${controller.id}`, { token: owner.token }), 404);
    expect(await members(owner.organizationId)).toEqual([{ user_id: owner.id, role: "OWNER" }]);
    // A removed member loses access at once.
    expectProblem(await api("GET", `/v1/organizations/${owner.organizationId}`, { token: manager.token }), 404);
  });

  it("always keep an OWNER: the last one can neither leave nor be demoted, even when two owners act at once", async () => {
    const owner = await registerOrganizer();
    const path = `/v1/organizations/${owner.organizationId}/members`;
    expectProblem(await api("DELETE", `${path}/${owner.id}`, { token: owner.token }), 409, "last_owner");
    expectProblem(await api("PATCH", `${path}/${owner.id}`, { token: owner.token, body: { role: "MANAGER" } }), 409, "last_owner");

    const second = await registerMember(owner.organizationId, "OWNER");
    // Two owners remove each other at the same moment: one wins, one OWNER remains.
    const [a, b] = await Promise.all([api("DELETE", `${path}/${second.id}`, { token: owner.token }), api("DELETE", `${path}/${owner.id}`, { token: second.token })]);
    expect([a.status, b.status].sort()).toEqual([204, 409]);
    const left = await members(owner.organizationId);
    expect(left).toHaveLength(1);
    expect(left[0]!.role).toBe("OWNER");

    // The same with demotions.
    const survivor = left[0]!.user_id === owner.id ? owner : second;
    const third = await registerMember(owner.organizationId, "OWNER");
    const [c, d] = await Promise.all([
      api("PATCH", `${path}/${third.id}`, { token: survivor.token, body: { role: "FINANCE" } }),
      api("PATCH", `${path}/${survivor.id}`, { token: third.token, body: { role: "FINANCE" } }),
    ]);
    expect([c.status, d.status].sort()).toEqual([200, 409]);
    expect((await members(owner.organizationId)).filter((m) => m.role === "OWNER")).toHaveLength(1);
  });
});

describe("invitations", () => {
  it("by email, end to end: the invitee gets the token by email, accepts it and works in the role at once", async () => {
    const owner = await registerOrganizer();
    const fixture = await ticketedEvent({ quantity: 10 });
    // The invited role acts on the organization's events: put the fixture's event in it.
    await env.DB.prepare("UPDATE events SET organization_id = ? WHERE id = ?").bind(owner.organizationId, fixture.eventId).run();
    const email = `Caisse-${unique()}@Club.tn`;
    const { invitation, token, message } = await invitedToken(owner, owner.organizationId, email, "BOX_OFFICE");
    expect(invitation).toMatchObject({ email: email.toLowerCase(), role: "BOX_OFFICE", status: "PENDING", invited_by: owner.id, accepted_by: null });
    expect(invitation).not.toHaveProperty("token");
    expect(JSON.stringify(invitation)).not.toContain(token);
    // The email is written for the invitee, token included (French by default).
    expect(message).toMatchObject({ channel: "EMAIL", recipient: email.toLowerCase(), language: "fr" });
    expect(message.body).toContain(token);
    expect(message.subject).toContain("Invitation");
    // D1 keeps a digest, never the token.
    const stored = await env.DB.prepare("SELECT token_hash FROM organization_invitations WHERE id = ?").bind(invitation.id).first<{ token_hash: string }>();
    expect(stored!.token_hash).not.toContain(token);

    // Not signed in, a new address: the account is created with the password given.
    expectProblem(await accept({ token }), 422);
    const accepted = await accept({ token, password: PASSWORD, first_name: "Amel", last_name: "Caisse" });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ account_created: true, already_member: false, organization: { id: owner.organizationId, my_role: "BOX_OFFICE" }, member: { role: "BOX_OFFICE", added_by: owner.id } });
    const signedIn = await login(email.toLowerCase());
    expect(signedIn.status).toBe(200);
    const cashier = { id: accepted.body.member.user.id as string, token: signedIn.body.access_token as string };
    expect((await api("GET", `/v1/organizations/${owner.organizationId}`, { token: cashier.token })).body.my_role).toBe("BOX_OFFICE");
    // The box office confirms a cash order of the organization's event.
    const fan = await registerUser();
    const hold = await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1 } });
    expect((await api("POST", `/v1/events/${fixture.eventId}/orders/${hold.body.id}/confirm-cash`, { token: cashier.token })).body.booking_status).toBe("CONFIRMED");

    // Used: the token does nothing more, and the list shows it ACCEPTED.
    expectProblem(await accept({ token, password: PASSWORD }), 409, "invitation_already_accepted");
    expect((await accept({ token }, cashier.token)).body).toMatchObject({ member: { role: "BOX_OFFICE" } });
    const listed = await api("GET", `/v1/organizations/${owner.organizationId}/invitations`, { token: owner.token });
    expect(listed.body.data[0]).toMatchObject({ id: invitation.id, status: "ACCEPTED", accepted_by: cashier.id });
    expect(await members(owner.organizationId)).toHaveLength(2);
  });

  it("attach an existing account: it must sign in, with the invited address", async () => {
    const owner = await registerOrganizer();
    const invitee = await registerUser();
    const { token } = await invitedToken(owner, owner.organizationId, invitee.email.toUpperCase(), "FINANCE");
    expectProblem(await accept({ token, password: PASSWORD }), 409, "sign_in_to_accept");
    expectProblem(await accept({ token }, (await registerUser()).token), 403, "invitation_for_another_email");
    const res = await accept({ token }, invitee.token);
    expect(res.body).toMatchObject({ account_created: false, member: { role: "FINANCE", user: { id: invitee.id } } });
    // No platform role is needed, nor given.
    expect((await api("GET", "/v1/me", { token: invitee.token })).body.role).toBe("USER");
  });

  it("give a passwordless account (a guest's) the password chosen", async () => {
    const owner = await registerOrganizer();
    const email = `guest-${unique()}@example.com`;
    await env.DB.prepare("INSERT INTO users (id, email) VALUES (?, ?)").bind(crypto.randomUUID(), email).run();
    const { token } = await invitedToken(owner, owner.organizationId, email, "CONTROLLER");
    const res = await accept({ token, password: PASSWORD });
    expect(res.body).toMatchObject({ account_created: false, member: { role: "CONTROLLER" } });
    expect((await login(email)).status).toBe(200);
  });

  it("make one membership when accepted twice at once", async () => {
    const owner = await registerOrganizer();
    const invitee = await registerUser();
    const { token } = await invitedToken(owner, owner.organizationId, invitee.email, "SUPERVISOR");
    const results = await Promise.all([accept({ token }, invitee.token), accept({ token }, invitee.token), accept({ token }, invitee.token)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const mine = (await members(owner.organizationId)).filter((m) => m.user_id === invitee.id);
    expect(mine).toEqual([{ user_id: invitee.id, role: "SUPERVISOR" }]);
    const audit = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE object_type = 'organization_members' AND json_extract(data_after, '$.user_id') = ?").bind(invitee.id).first<{ n: number }>();
    expect(audit!.n).toBe(1);
    const accepts = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE object_type = 'organization_invitations' AND action = 'UPDATE' AND json_extract(data_after, '$.accepted_by') = ?").bind(invitee.id).first<{ n: number }>();
    expect(accepts!.n).toBe(1);

    // Not signed in, a new address, twice at once: one account, one membership.
    const email = `new-${unique()}@example.com`;
    const second = await invitedToken(owner, owner.organizationId, email, "CONTROLLER");
    const racing = await Promise.all([accept({ token: second.token, password: PASSWORD }), accept({ token: second.token, password: PASSWORD })]);
    expect(racing.map((r) => r.status).sort()).toEqual([200, 409]);
    const accounts = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE email = ?").bind(email).first<{ n: number }>();
    expect(accounts!.n).toBe(1);
    expect((await members(owner.organizationId)).filter((m) => m.role === "CONTROLLER")).toHaveLength(1);
  });

  it("expire, can be revoked, and are refused to other addresses' holders, unknown tokens and bad bodies", async () => {
    const owner = await registerOrganizer();
    const expiring = await invitedToken(owner, owner.organizationId, `late-${unique()}@example.com`);
    await env.DB.prepare("UPDATE organization_invitations SET expires_at = ? WHERE id = ?").bind(new Date(Date.now() - 1000).toISOString(), expiring.invitation.id).run();
    expectProblem(await accept({ token: expiring.token, password: PASSWORD }), 410, "invitation_expired");
    expect((await api("GET", `/v1/organizations/${owner.organizationId}/invitations?status=EXPIRED`, { token: owner.token })).body.data.map((i: { id: string }) => i.id)).toEqual([expiring.invitation.id]);
    // A new invitation of the same address replaces the lapsed one.
    const again = await invite(owner, owner.organizationId, { email: expiring.invitation.email, role: "MANAGER" });
    expect(again.status).toBe(201);
    expect((await env.DB.prepare("SELECT status FROM organization_invitations WHERE id = ?").bind(expiring.invitation.id).first<{ status: string }>())!.status).toBe("EXPIRED");

    const revoked = await invitedToken(owner, owner.organizationId, `gone-${unique()}@example.com`);
    const manager = await registerMember(owner.organizationId, "MANAGER");
    expectProblem(await api("POST", `/v1/organizations/${owner.organizationId}/invitations/${revoked.invitation.id}/revoke`, { token: manager.token }), 403);
    const done = await api("POST", `/v1/organizations/${owner.organizationId}/invitations/${revoked.invitation.id}/revoke`, { token: owner.token });
    expect(done.body).toMatchObject({ status: "REVOKED", revoked_by: owner.id });
    expectProblem(await api("POST", `/v1/organizations/${owner.organizationId}/invitations/${revoked.invitation.id}/revoke`, { token: owner.token }), 409, "invitation_not_pending");
    expectProblem(await accept({ token: revoked.token, password: PASSWORD }), 410, "invitation_revoked");

    expectProblem(await accept({ token: "x".repeat(43), password: PASSWORD }), 404);
    for (const body of [{}, { token: "short" }, { token: expiring.token, password: "short" }, { token: expiring.token, role: "OWNER" }]) expectProblem(await accept(body), 422);
  });

  it("are sent only by OWNERs, once per address, never to members; others get 403 or 404", async () => {
    const owner = await registerOrganizer();
    const manager = await registerMember(owner.organizationId, "MANAGER");
    const email = `twice-${unique()}@example.com`;
    expectProblem(await invite(manager, owner.organizationId, { email, role: "CONTROLLER" }), 403);
    expectProblem(await invite(await registerOrganizer(), owner.organizationId, { email, role: "CONTROLLER" }), 404);
    expect((await invite(owner, owner.organizationId, { email, role: "CONTROLLER" })).status).toBe(201);
    expectProblem(await invite(owner, owner.organizationId, { email, role: "FINANCE" }), 409, "already_invited");
    const user = await registerUser();
    await addMember(owner.organizationId, user.id, "CONTROLLER");
    expectProblem(await invite(owner, owner.organizationId, { email: user.email, role: "FINANCE" }), 409, "already_member");
    for (const body of [{ email: "nope", role: "CONTROLLER" }, { email, role: "ADMIN" }, { email }]) {
      const problem = expectProblem(await invite(owner, owner.organizationId, body), 422);
      expect(problem.errors.length).toBeGreaterThan(0);
    }
    expect((await api("GET", `/v1/organizations/${owner.organizationId}/invitations`, { token: manager.token })).body.data).toHaveLength(1);
    expectProblem(await api("GET", `/v1/organizations/${owner.organizationId}/invitations`, { token: user.token }), 403);
  });
});
