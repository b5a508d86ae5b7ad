/**
 * How the Worker reaches an event's EventDO: the typed stub, and the
 * refusals it returns as values (`{ ok: false, problem }`, contract.ts) turned
 * into the problem+json the client gets. Every module that calls the object
 * imports this, never the class file (event-do.ts), whose type alone the
 * stub carries (src/env.ts).
 */
import type { Env } from "../../src/env.ts";
import { ProblemError } from "../../src/lib/errors.ts";
import type { Problem } from "./contract.ts";

/** The event's object, addressed by its id (`idFromName`): one per event. */
export const eventStub = (env: Env, eventId: string) => env.EVENT_DO.get(env.EVENT_DO.idFromName(eventId));

/** An EventDO refusal (which crosses RPC as a value) as the problem+json the client gets. */
export const problemFrom = (problem: Problem) =>
  new ProblemError(problem.status, problem.code, problem.status === 409 ? "Conflict" : problem.status === 404 ? "Not found" : "Refused", problem.detail);
