import { createRoute, z } from "@hono/zod-openapi";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { clientMeta } from "../lib/request.ts";
import { requireAuth } from "./middleware.ts";
import { SOCIAL_PROVIDERS } from "./schema.ts";
import { MfaRequiredSchema, TokenPairSchema } from "./schemas.ts";
import { linkProvider, listProviders, signInWithProvider, unlinkProvider, type SocialProvider } from "./social.ts";

const tags = ["Social login"];

const GoogleBody = z
  .strictObject({
    id_token: z.string().min(1).max(4096).openapi({ description: "The ID token from Google Sign-In." }),
    access_token: z.string().min(1).max(4096).optional().openapi({ description: "Google OAuth access token to keep (encrypted) for later API calls." }),
    refresh_token: z.string().min(1).max(2048).optional(),
    expires_in: z.number().int().positive().max(31_536_000).optional().openapi({ description: "Seconds until access_token expires." }),
  })
  .refine((body) => body.expires_in === undefined || body.access_token !== undefined, { message: "expires_in describes access_token; send both.", path: ["expires_in"] })
  .openapi("GoogleCredential");

const FacebookBody = z
  .strictObject({ access_token: z.string().min(1).max(4096).openapi({ description: "The user access token from Facebook Login." }) })
  .openapi("FacebookCredential");

const SignedIn = z.union([TokenPairSchema, MfaRequiredSchema]);

const SocialAccountSchema = z
  .object({
    provider: z.enum(SOCIAL_PROVIDERS),
    email: z.string().nullable(),
    full_name: z.string().nullable(),
    photo_url: z.string().nullable(),
    linked_at: z.string(),
    last_used_at: z.string().nullable(),
  })
  .openapi("SocialAccount");

const toSocialAccount = (row: Awaited<ReturnType<typeof listProviders>>[number]): z.infer<typeof SocialAccountSchema> => ({
  provider: row.provider,
  email: row.email,
  full_name: row.full_name,
  photo_url: row.photo_url,
  linked_at: row.created_at,
  last_used_at: row.last_used_at,
});

const signInDescription = (provider: string) =>
  `Signs in the account linked to this ${provider} identity. Otherwise links the account that has the same email address when ${provider} says the address is verified and the account verified it too; otherwise creates an account (201) from a verified address. Returns tokens, or \`mfa_required\` when two-factor authentication is on. 401 \`invalid_social_token\`, 403 \`verified_email_required\` or \`account_deactivated\`, 409 \`email_unverified_account\`.`;

export function socialRoutes() {
  const r = createRouter();

  const signIn = <B extends z.ZodType>(provider: "google" | "facebook", label: string, body: B) =>
    createRoute({
      method: "post",
      path: `/auth/social/${provider}`,
      operationId: provider === "google" ? "signInWithGoogle" : "signInWithFacebook",
      tags,
      summary: `Sign in or sign up with ${label}`,
      description: signInDescription(label),
      request: { body: jsonBody(body) },
      responses: {
        200: jsonResponse(SignedIn, "Signed in, or a second factor is needed."),
        201: jsonResponse(SignedIn, "Account created and signed in."),
        ...errors("account_deactivated", "email_unverified_account", "invalid_social_token", "provider_already_linked", "provider_unavailable", "rate_limited", "social_account_disabled", "verified_email_required"),
      },
    });

  r.openapi(signIn("google", "Google", GoogleBody), async (c) => {
    const { created, result } = await signInWithProvider(c.env, { provider: "GOOGLE", ...c.req.valid("json") }, clientMeta(c));
    return created ? c.json(result, 201) : c.json(result, 200);
  });

  r.openapi(signIn("facebook", "Facebook", FacebookBody), async (c) => {
    const { created, result } = await signInWithProvider(c.env, { provider: "FACEBOOK", ...c.req.valid("json") }, clientMeta(c));
    return created ? c.json(result, 201) : c.json(result, 200);
  });

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/social-accounts",
      operationId: "listMySocialAccounts",
      tags,
      security: bearerAuth,
      summary: "My linked Google / Facebook accounts",
      responses: { 200: jsonResponse(z.object({ data: z.array(SocialAccountSchema) }), "Linked providers, oldest first."), ...errors() },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      return c.json({ data: (await listProviders(c.env, auth.userId)).map(toSocialAccount) }, 200);
    },
  );

  const link = <B extends z.ZodType>(provider: "google" | "facebook", label: string, body: B) =>
    createRoute({
      method: "post",
      path: `/me/social-accounts/${provider}`,
      operationId: provider === "google" ? "linkGoogleAccount" : "linkFacebookAccount",
      tags,
      security: bearerAuth,
      summary: `Link my account to ${label}`,
      description: `409 \`social_account_taken\` when this ${label} identity is linked to another account, \`provider_already_linked\` when mine already has ${label}.`,
      request: { body: jsonBody(body) },
      responses: { 201: jsonResponse(SocialAccountSchema, "Linked."), ...errors("invalid_social_token", "provider_already_linked", "provider_unavailable", "rate_limited", "social_account_taken") },
    });

  r.openapi(link("google", "Google", GoogleBody), async (c) => {
    const auth = requireAuth(c.get("auth"));
    return c.json(toSocialAccount(await linkProvider(c.env, auth.userId, { provider: "GOOGLE", ...c.req.valid("json") }, clientMeta(c))), 201);
  });

  r.openapi(link("facebook", "Facebook", FacebookBody), async (c) => {
    const auth = requireAuth(c.get("auth"));
    return c.json(toSocialAccount(await linkProvider(c.env, auth.userId, { provider: "FACEBOOK", ...c.req.valid("json") }, clientMeta(c))), 201);
  });

  r.openapi(
    createRoute({
      method: "delete",
      path: "/me/social-accounts/{provider}",
      operationId: "unlinkSocialAccount",
      tags,
      security: bearerAuth,
      summary: "Unlink a provider from my account",
      description: "409 `last_login_method` when it is the only way to sign in (no password, no other provider).",
      request: { params: z.object({ provider: z.enum(["google", "facebook"]) }) },
      responses: { 204: { description: "Unlinked." }, ...errors("last_login_method", "not_found") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      await unlinkProvider(c.env, auth.userId, c.req.valid("param").provider.toUpperCase() as SocialProvider);
      return c.body(null, 204);
    },
  );

  return r;
}
