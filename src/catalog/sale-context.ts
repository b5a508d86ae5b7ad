import type { PricingRule } from "./pricing.ts";

/**
 * How long an isolate reuses what every order of an event reads alike (the
 * event, its automatic pricing rules) before reading it again: a rule
 * changed through another isolate reaches orders at most this late. Its own
 * rule changes clear the cache at once (`forgetSaleContexts`); the event's
 * status and inventory are decided by its EventDO, never from here.
 */
export const SALE_CONTEXT_MAX_AGE_MS = 2_000;
const MAX_EVENTS = 500;

export interface SaleContext {
  event: { id: string; organization_id: string | null; status: string; title: string };
  /** Active, for tickets, automatic: the rules every order of the event is priced with. */
  autoRules: PricingRule[];
}

interface Entry {
  at: number;
  context: Promise<SaleContext | null>;
}

// Per D1 binding, so test files (each with its own database) never share entries.
const caches = new WeakMap<D1Database, Map<string, Entry>>();

/**
 * The sale context of an event on sale (APPROVED), from this isolate's cache
 * or `load`; null when the event is not on sale, which is never cached, so an
 * event approved a moment ago sells at once.
 */
export async function saleContext(d1: D1Database, eventId: string, load: () => Promise<SaleContext | null>): Promise<SaleContext | null> {
  let cache = caches.get(d1);
  if (!cache) caches.set(d1, (cache = new Map()));
  const cached = cache.get(eventId);
  if (cached && Date.now() - cached.at <= SALE_CONTEXT_MAX_AGE_MS) return cached.context;
  const entry: Entry = { at: Date.now(), context: load() };
  cache.delete(eventId);
  cache.set(eventId, entry);
  // The oldest entry goes first (a Map keeps insertion order).
  if (cache.size > MAX_EVENTS) cache.delete(cache.keys().next().value!);
  const context = await entry.context.catch((error: unknown) => {
    if (cache.get(eventId) === entry) cache.delete(eventId);
    throw error;
  });
  if (context === null && cache.get(eventId) === entry) cache.delete(eventId);
  return context;
}

/** A pricing rule changed here: every order this isolate takes from now on reads the rules again. */
export function forgetSaleContexts(d1: D1Database): void {
  caches.get(d1)?.clear();
}
