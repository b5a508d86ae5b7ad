/**
 * How the Worker and the EventDO reach an event's waiting room: the typed
 * stub, apart from the class file (waiting-room.ts), whose type alone the
 * stub carries (src/env.ts), so that importing it loads no Durable Object code.
 */
import type { Env } from "../src/env.ts";

/** The event's room, addressed by the event's id (`idFromName`): one per event. */
export const roomStub = (env: Env, eventId: string) => env.WAITING_ROOM.get(env.WAITING_ROOM.idFromName(eventId));
