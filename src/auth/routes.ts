import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { verifyPassword } from "../lib/crypto/passwords.ts";
import { publicJwks } from "../lib/crypto/jwt.ts";
import { problems } from "../lib/errors.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { afterCursor, decodeCursor, pageQuery, pageSchema, toPage } from "../lib/pagination.ts";
import { clientMeta } from "../lib/request.ts";
import { personName } from "../lib/schemas.ts";
import { now } from "../lib/time.ts";
import { toUser, UserSchema } from "../users/schemas.ts";
import { users } from "../users/schema.ts";
import { issueEmailCode, verifyEmailCode } from "./email-codes.ts";
import { requireAuth } from "./middleware.ts";
import { changePassword, requestPasswordReset, resetPassword } from "./password.ts";
import { auth_sessions, login_attempts, TWO_FACTOR_METHODS } from "./schema.ts";
import {
  CodeBody,
  emailSchema,
  LoginAttemptSchema,
  LoginBody,
  MfaRequiredSchema,
  passwordSchema,
  RefreshBody,
  RegisterBody,
  SessionSchema,
  TokenPairSchema,
} from "./schemas.ts";
import { completeClaim, startClaim } from "./claim.ts";
import { login, register } from "./service.ts";
import { revokeSession, rotateRefreshToken } from "./tokens.ts";
import {
  completeLoginChallenge,
  confirmSetup,
  disable,
  regenerateRecoveryCodes,
  resendLoginCode,
  startSetup,
  twoFactorStatus,
} from "./two-factor.ts";

const tags = ["Authentication"];
const noContent = { description: "Done." };
const accepted = (description: string) => ({ description, content: { "application/json": { schema: z.object({ status: z.literal("accepted") }) } } });
const MfaCodeBody = z
  .strictObject({
    mfa_token: z.string().min(1).max(2048),
    code: z.string().regex(/^(\d{6}|[A-Za-z2-9]{5}-?[A-Za-z2-9]{5})$/, { message: "Expected a 6-digit code or a recovery code." }),
  })
  .openapi("MfaCodeRequest");

async function loadUser(env: Parameters<typeof getDb>[0], userId: string) {
  const [user] = await getDb(env).select().from(users).where(eq(users.id, userId)).limit(1);
  if (!user) throw problems.notFound("User");
  return user;
}

export function authRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/register",
      operationId: "register",
      tags,
      summary: "Create an account",
      description: "Creates the account, signs it in and emails a 6-digit verification code (type SIGNUP).",
      request: { body: jsonBody(RegisterBody) },
      responses: {
        201: jsonResponse(z.object({ user: UserSchema, tokens: TokenPairSchema }), "Account created and signed in."),
        ...errors("account_claimable", "email_taken", "rate_limited", "username_taken"),
      },
    }),
    async (c) => {
      const { user, tokens } = await register(c.env, c.req.valid("json"), clientMeta(c));
      return c.json({ user: toUser(user), tokens }, 201);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/login",
      operationId: "login",
      tags,
      summary: "Sign in with email and password",
      description:
        "Returns tokens, or `mfa_required` with an `mfa_token` when two-factor authentication is on. A wrong password and an unknown address are the same 401 `invalid_credentials`, and every limit treats known and unknown addresses alike; no account is ever locked. Limits: 30 attempts per IP per 5 minutes, and 10 per IP at one address per 15 minutes (429 with Retry-After, for that IP only); past 10 attempts in 15 minutes at one address from networks it never signed in from, such attempts must carry `turnstile_token` (422 `turnstile_required`; a refused token is 403 `turnstile_failed`).",
      request: { body: jsonBody(LoginBody) },
      responses: {
        200: jsonResponse(z.union([TokenPairSchema, MfaRequiredSchema]), "Signed in, or a second factor is needed."),
        ...errors("account_deactivated", "invalid_credentials", "rate_limited", "turnstile_failed", "turnstile_unavailable"),
      },
    }),
    async (c) => c.json(await login(c.env, c.req.valid("json"), clientMeta(c)), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/login/2fa",
      operationId: "completeTwoFactorLogin",
      tags,
      summary: "Complete a sign-in with the second factor",
      description: "A TOTP, EMAIL or SMS code (each accepted once), or one of the recovery codes.",
      request: { body: jsonBody(MfaCodeBody) },
      responses: { 200: jsonResponse(TokenPairSchema, "Signed in."), ...errors("challenge_invalid", "code_already_used", "invalid_code", "invalid_mfa_token") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      return c.json(await completeLoginChallenge(c.env, body.mfa_token, body.code, clientMeta(c)), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/login/2fa/resend",
      operationId: "resendTwoFactorLoginCode",
      tags,
      summary: "Send a new EMAIL / SMS sign-in code",
      request: { body: jsonBody(z.strictObject({ mfa_token: z.string().min(1).max(2048) })) },
      responses: { 200: jsonResponse(MfaRequiredSchema, "A new code was sent; use the new mfa_token."), ...errors("invalid_mfa_token", "nothing_to_send", "rate_limited") },
    }),
    async (c) => c.json(await resendLoginCode(c.env, c.req.valid("json").mfa_token), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/refresh",
      operationId: "refreshTokens",
      tags,
      summary: "Rotate a refresh token",
      description: "Each refresh token works once. Presenting a used one closes its whole session (reuse detection).",
      request: { body: jsonBody(RefreshBody) },
      responses: { 200: jsonResponse(TokenPairSchema, "New token pair."), ...errors("invalid_refresh_token", "refresh_token_expired", "refresh_token_reused") },
    }),
    async (c) => c.json(await rotateRefreshToken(c.env, c.req.valid("json").refresh_token), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/logout",
      operationId: "logout",
      tags,
      security: bearerAuth,
      summary: "End the current session",
      description: "Its refresh token stops working. The gate and observer sockets it opened are closed (4003 `session ended`) before this answers; an event object that cannot be reached then closes them at their next frame.",
      responses: { 204: noContent, ...errors() },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      await revokeSession(c.env, auth.sessionId, "LOGOUT", clientMeta(c));
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/sessions",
      operationId: "listMySessions",
      tags,
      security: bearerAuth,
      summary: "List my open sessions",
      responses: { 200: jsonResponse(z.object({ data: z.array(SessionSchema) }), "Open sessions, newest first."), ...errors() },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const rows = await getDb(c.env.DB)
        .select()
        .from(auth_sessions)
        .where(and(eq(auth_sessions.user_id, auth.userId), isNull(auth_sessions.revoked_at), gt(auth_sessions.expires_at, now())))
        .orderBy(desc(auth_sessions.created_at))
        .limit(100);
      return c.json(
        {
          data: rows.map((s) => ({
            id: s.id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
            ip_address: s.ip_address,
            user_agent: s.user_agent,
            device_name: s.device_name,
            current: s.id === auth.sessionId,
          })),
        },
        200,
      );
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/sessions/{session_id}",
      operationId: "endMySession",
      tags,
      security: bearerAuth,
      summary: "End one of my sessions",
      description: "As logout does for that session: its refresh token stops working and its gate and observer sockets close (4003 `session ended`).",
      request: { params: z.object({ session_id: z.uuid() }) },
      responses: { 204: noContent, ...errors("not_found") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const { session_id } = c.req.valid("param");
      const [session] = await getDb(c.env.DB)
        .select({ id: auth_sessions.id })
        .from(auth_sessions)
        .where(and(eq(auth_sessions.id, session_id), eq(auth_sessions.user_id, auth.userId), isNull(auth_sessions.revoked_at)))
        .limit(1);
      if (!session) throw problems.notFound("Session");
      await revokeSession(c.env, session.id, "REVOKED", clientMeta(c));
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/login-attempts",
      operationId: "listMyLoginAttempts",
      tags,
      security: bearerAuth,
      summary: "My recent sign-in attempts",
      request: { query: z.object(pageQuery) },
      responses: { 200: jsonResponse(pageSchema(LoginAttemptSchema), "Newest first."), ...errors() },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const { limit, cursor } = c.req.valid("query");
      const after = decodeCursor(cursor);
      const rows = await getDb(c.env.DB)
        .select()
        .from(login_attempts)
        .where(
          and(
            eq(login_attempts.user_id, auth.userId),
            afterCursor(after, login_attempts.attempted_at, login_attempts.id, "desc"),
          ),
        )
        .orderBy(desc(login_attempts.attempted_at), desc(login_attempts.id))
        .limit(limit + 1);
      const page = toPage(rows, limit, (row) => ({ k: row.attempted_at, id: row.id }));
      return c.json(
        {
          data: page.data.map(({ user_id: _u, session_id: _s, ...row }) => row),
          next_cursor: page.next_cursor,
        },
        200,
      );
    },
  );

  // Email verification (SIGNUP), change of address (EMAIL_CHANGE), reactivation (REACTIVATION).
  r.openapi(
    createRoute({
      method: "post",
      path: "/email/verify",
      operationId: "verifyEmail",
      tags,
      security: bearerAuth,
      summary: "Verify my email address with the code sent at sign-up",
      request: { body: jsonBody(CodeBody) },
      responses: { 200: jsonResponse(UserSchema, "Email verified."), ...errors("code_expired", "invalid_code", "no_pending_code", "too_many_attempts") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      await verifyEmailCode(c.env, auth.userId, "SIGNUP", c.req.valid("json").code);
      return c.json(toUser(await loadUser(c.env.DB, auth.userId)), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/email/resend",
      operationId: "resendEmailVerification",
      tags,
      security: bearerAuth,
      summary: "Send a new sign-up verification code",
      responses: { 202: jsonResponse(z.object({ expires_at: z.string() }), "Code sent."), ...errors("email_already_verified", "rate_limited") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const user = await loadUser(c.env.DB, auth.userId);
      if (user.email_verified_at) throw problems.conflict("email_already_verified", "This email address is already verified.");
      return c.json(await issueEmailCode(c.env, user, "SIGNUP", user.email, clientMeta(c).ip), 202);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/email/change",
      operationId: "requestEmailChange",
      tags,
      security: bearerAuth,
      summary: "Ask to change my email address",
      description: "Sends a code to the new address; the change happens when it is confirmed.",
      request: { body: jsonBody(z.strictObject({ new_email: emailSchema, password: z.string().min(1).max(128) })) },
      responses: { 202: jsonResponse(z.object({ expires_at: z.string() }), "Code sent to the new address."), ...errors("email_taken", "invalid_credentials", "rate_limited") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const { new_email, password } = c.req.valid("json");
      const user = await loadUser(c.env.DB, auth.userId);
      if (!user.password_hash || !(await verifyPassword(password, user.password_hash, c.env.PASSWORD_PEPPER))) {
        throw problems.unauthorized("Wrong password.", "invalid_credentials");
      }
      const [taken] = await getDb(c.env.DB).select({ id: users.id }).from(users).where(eq(users.email, new_email)).limit(1);
      if (taken) throw problems.conflict("email_taken", "Another account uses this email address.");
      return c.json(await issueEmailCode(c.env, user, "EMAIL_CHANGE", new_email, clientMeta(c).ip), 202);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/email/change/confirm",
      operationId: "confirmEmailChange",
      tags,
      security: bearerAuth,
      summary: "Confirm the new email address with its code",
      request: { body: jsonBody(CodeBody) },
      responses: { 200: jsonResponse(UserSchema, "Address changed."), ...errors("email_taken", "invalid_code", "no_pending_code", "too_many_attempts") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      await verifyEmailCode(c.env, auth.userId, "EMAIL_CHANGE", c.req.valid("json").code);
      return c.json(toUser(await loadUser(c.env.DB, auth.userId)), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/reactivation/request",
      operationId: "requestReactivation",
      tags,
      summary: "Ask for a code to reactivate a deactivated account",
      description: "Always answers 202, so it does not reveal which addresses have accounts.",
      request: { body: jsonBody(z.strictObject({ email: emailSchema })) },
      responses: { 202: accepted("If a deactivated account uses this address, a code was sent."), ...errors("rate_limited") },
    }),
    async (c) => {
      const { email } = c.req.valid("json");
      const [user] = await getDb(c.env.DB).select().from(users).where(and(eq(users.email, email), eq(users.is_active, false))).limit(1);
      if (user) await issueEmailCode(c.env, user, "REACTIVATION", user.email, clientMeta(c).ip);
      return c.json({ status: "accepted" as const }, 202);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/reactivation/confirm",
      operationId: "confirmReactivation",
      tags,
      summary: "Reactivate an account with its code",
      request: { body: jsonBody(z.strictObject({ email: emailSchema, code: CodeBody.shape.code })) },
      responses: { 204: noContent, ...errors("invalid_code", "no_pending_code", "too_many_attempts") },
    }),
    async (c) => {
      const { email, code } = c.req.valid("json");
      const [user] = await getDb(c.env.DB).select({ id: users.id }).from(users).where(and(eq(users.email, email), eq(users.is_active, false))).limit(1);
      if (!user) throw problems.badRequest("no_pending_code", "There is no pending code; ask for a new one.");
      await verifyEmailCode(c.env, user.id, "REACTIVATION", code);
      return c.body(null, 204);
    },
  );

  // Claiming an account opened for tickets sent to an address (guest order, transfer, grant).
  r.openapi(
    createRoute({
      method: "post",
      path: "/claim",
      operationId: "requestAccountClaim",
      tags,
      summary: "Ask for a code to claim an account opened for my tickets",
      description:
        "Tickets bought as a guest, transferred or granted to an email address belong to an account opened without a password. Its owner claims it here: a 6-digit code is emailed (ACCOUNT_CLAIM), then `POST /v1/auth/claim/confirm` sets the password. Always 202, so it does not reveal which addresses have such an account.",
      request: { body: jsonBody(z.strictObject({ email: emailSchema })) },
      responses: { 202: accepted("If an unclaimed account uses this address, a code was sent."), ...errors("rate_limited") },
    }),
    async (c) => {
      await startClaim(c.env, c.req.valid("json").email, clientMeta(c));
      return c.json({ status: "accepted" as const }, 202);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/claim/confirm",
      operationId: "confirmAccountClaim",
      tags,
      summary: "Claim the account with its code and choose a password",
      description: "The code proves the address; the account gets the password (and the names, if given), its email is verified, and it is signed in. Once claimed, the tickets link sent by email stops working: sign in instead.",
      request: {
        body: jsonBody(
          z.strictObject({
            email: emailSchema,
            code: CodeBody.shape.code,
            password: passwordSchema,
            first_name: personName.optional(),
            last_name: personName.optional(),
          }),
        ),
      },
      responses: { 200: jsonResponse(TokenPairSchema, "Claimed and signed in."), ...errors("account_claimed", "code_expired", "invalid_code", "no_pending_code", "too_many_attempts") },
    }),
    async (c) => c.json(await completeClaim(c.env, c.req.valid("json"), clientMeta(c)), 200),
  );

  // Passwords.
  r.openapi(
    createRoute({
      method: "post",
      path: "/password/forgot",
      operationId: "forgotPassword",
      tags,
      summary: "Ask for a password reset token by email",
      request: { body: jsonBody(z.strictObject({ email: emailSchema })) },
      responses: { 202: accepted("If an active account uses this address, a reset token was sent."), ...errors("rate_limited") },
    }),
    async (c) => {
      await requestPasswordReset(c.env, c.req.valid("json").email, clientMeta(c));
      return c.json({ status: "accepted" as const }, 202);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/password/reset",
      operationId: "resetPassword",
      tags,
      summary: "Set a new password with a reset token",
      description: "The token works once. Every session of the account is closed.",
      request: { body: jsonBody(z.strictObject({ token: z.string().min(16).max(200), new_password: passwordSchema })) },
      responses: { 204: noContent, ...errors("invalid_reset_token") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      await resetPassword(c.env, body.token, body.new_password, clientMeta(c));
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/password/change",
      operationId: "changePassword",
      tags,
      security: bearerAuth,
      summary: "Change my password",
      description: "Ends my other sessions, closing their gate and observer sockets (4003).",
      request: { body: jsonBody(z.strictObject({ current_password: z.string().min(1).max(128), new_password: passwordSchema })) },
      responses: { 204: noContent, ...errors("invalid_credentials") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const body = c.req.valid("json");
      await changePassword(c.env, auth.userId, auth.sessionId, body.current_password, body.new_password);
      return c.body(null, 204);
    },
  );

  // Two-factor authentication.
  const TwoFactorStatusSchema = z
    .object({
      enabled: z.boolean(),
      method: z.enum(TWO_FACTOR_METHODS).nullable(),
      activated_at: z.string().nullable(),
      last_used_at: z.string().nullable(),
      recovery_codes_remaining: z.number().int(),
    })
    .openapi("TwoFactorStatus");
  const RecoveryCodesSchema = z.object({ recovery_codes: z.array(z.string()) }).openapi("RecoveryCodes");

  r.openapi(
    createRoute({ method: "get", path: "/2fa", operationId: "getTwoFactorStatus", tags, security: bearerAuth, summary: "My two-factor status", responses: { 200: jsonResponse(TwoFactorStatusSchema, "Status."), ...errors() } }),
    async (c) => c.json(await twoFactorStatus(c.env, requireAuth(c.get("auth")).userId), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/2fa/setup",
      operationId: "startTwoFactorSetup",
      tags,
      security: bearerAuth,
      summary: "Start turning on two-factor authentication",
      description: "TOTP returns the secret and an otpauth:// URL to show as a QR code; EMAIL and SMS send a code.",
      request: { body: jsonBody(z.strictObject({ method: z.enum(TWO_FACTOR_METHODS) })) },
      responses: {
        201: jsonResponse(
          z.object({ challenge_id: z.string(), method: z.enum(TWO_FACTOR_METHODS), secret: z.string().nullable(), otpauth_url: z.string().nullable() }),
          "Confirm with /v1/auth/2fa/enable.",
        ),
        ...errors("rate_limited", "two_factor_enabled"),
      },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      return c.json(await startSetup(c.env, await loadUser(c.env.DB, auth.userId), c.req.valid("json").method), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/2fa/enable",
      operationId: "enableTwoFactor",
      tags,
      security: bearerAuth,
      summary: "Confirm two-factor setup with a first code",
      description: "Returns ten single-use recovery codes, shown this once.",
      request: { body: jsonBody(z.strictObject({ challenge_id: z.uuid(), code: CodeBody.shape.code })) },
      responses: { 200: jsonResponse(RecoveryCodesSchema.extend({ method: z.enum(TWO_FACTOR_METHODS) }), "Two-factor authentication is on."), ...errors("challenge_invalid", "invalid_code") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const body = c.req.valid("json");
      return c.json(await confirmSetup(c.env, auth.userId, body.challenge_id, body.code), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/2fa/disable",
      operationId: "disableTwoFactor",
      tags,
      security: bearerAuth,
      summary: "Turn off two-factor authentication",
      description: "Needs the password; TOTP users also give a current code or a recovery code.",
      request: { body: jsonBody(z.strictObject({ password: z.string().min(1).max(128), code: MfaCodeBody.shape.code.optional() })) },
      responses: { 204: noContent, ...errors("code_already_used", "invalid_code", "invalid_credentials", "two_factor_disabled") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const body = c.req.valid("json");
      await disable(c.env, await loadUser(c.env.DB, auth.userId), body.password, body.code);
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/2fa/recovery-codes",
      operationId: "replaceRecoveryCodes",
      tags,
      security: bearerAuth,
      summary: "Replace my recovery codes",
      request: { body: jsonBody(z.strictObject({ password: z.string().min(1).max(128) })) },
      responses: { 200: jsonResponse(RecoveryCodesSchema, "New codes; the old ones stop working."), ...errors("invalid_credentials", "two_factor_disabled") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      return c.json(await regenerateRecoveryCodes(c.env, await loadUser(c.env.DB, auth.userId), c.req.valid("json").password), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/jwks",
      operationId: "getJwks",
      tags,
      summary: "Public keys that verify access tokens",
      responses: { 200: jsonResponse(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), "JWK set.") },
    }),
    async (c) => {
      c.header("Cache-Control", "public, max-age=300");
      return c.json(await publicJwks(c.env.JWT_SIGNING_KEYS), 200);
    },
  );

  return r;
}
