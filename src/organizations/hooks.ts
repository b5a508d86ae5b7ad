import type { Env } from "../env.ts";
import { Hook } from "../lib/hooks.ts";

/**
 * What the organizations domain tells the others (src/lib/hooks.ts).
 * Handlers are attached in src/hooks.ts.
 */

/** People joined or left a user group (added, removed, imported): gates that move the group's members must know. */
export const groupMembersChanged: Hook<{ env: Env; groupId: string; userIds: string[] }> = new Hook("user_group.members_changed");
