import type { Env } from "../env.ts";
import { Hook } from "../lib/hooks.ts";

/**
 * What the auth domain tells the others (src/lib/hooks.ts). Handlers are
 * attached in src/hooks.ts.
 */

/** A sign-in session ended (logout, revocation, refresh-token reuse, password change, deactivation): what it holds open must close. */
export const sessionEnded: Hook<{ env: Env; session_id: string; user_id: string }> = new Hook("session.ended");
