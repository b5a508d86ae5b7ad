import { buyerFlags, priceOrder, promoCodeRefusal, type PriceQuote, type ZoneCategory } from "../../src/catalog/pricing.ts";
import type { Currency } from "../../src/lib/money.ts";
import { fail, type OrderRequest, type Result } from "./contract.ts";

type Row = Record<string, SqlStorageValue>;

export interface QuoteInput {
  config: Row;
  event: { id: string; starts_at: string; event_group_id: string | null; tags: string[] };
  req: OrderRequest;
  now: number;
  /** Uses of a rule already counted in this event: in total, and by this buyer. */
  usage: (ruleId: string) => { event_total: number; event_user: number };
}


/**
 * Prices an order inside the EventDO with the one pricing function: the tier
 * for the units already committed (sold + held), then the rules. A rule's
 * total use is its use elsewhere (as D1 knew it) plus its holds and sales here.
 */
export function quoteOrder(input: QuoteInput): Result<Omit<PriceQuote, "rejected" | "lines">> {
  const { config, event, req, now, usage } = input;
  // No facts only when no rule reads them (decideOrder asks for them otherwise).
  const { groups, age } = req.buyer ?? { groups: [], age: null };
  const counts = new Map(req.rules.map((rule) => [rule.id, usage(rule.id)]));
  const rules = req.rules.map((rule) => ({ ...rule, usage_count: rule.usage_count + (counts.get(rule.id)?.event_total ?? 0) }));
  const quote = priceOrder({
    config: {
      price: Number(config.price),
      currency: String(config.currency) as Currency,
      dynamic_pricing: Boolean(Number(config.dynamic_pricing)),
      price_tiers: config.price_tiers ? JSON.parse(String(config.price_tiers)) : null,
      early_bird_end: (config.early_bird_end as string | null) ?? null,
      ticket_type_code: String(config.ticket_type_code),
      zone_category: String(config.zone_category) as ZoneCategory,
    },
    order: {
      quantity: req.quantity,
      units_sold: Number(config.quantity_held) + Number(config.quantity_sold),
      now: new Date(now).toISOString(),
      event_start: event.starts_at,
      event_id: event.id,
      event_group_id: event.event_group_id,
      event_tags: event.tags,
      promo_code: req.promo_code,
    },
    buyer: {
      user_groups: groups.map((g) => ({ code: g.code, member_since: g.member_since })),
      age,
      ...buyerFlags(age, groups.map((g) => g.code)),
      rule_usage: Object.fromEntries(req.rules.map((rule) => [rule.id, counts.get(rule.id)!.event_user + (rule.user_uses_elsewhere ?? 0)])),
    },
    rules,
  });
  const refused = promoCodeRefusal(quote, rules, req.promo_code);
  if (refused) return fail(refused.status, refused.code, refused.detail);
  const { rejected: _rejected, lines: _lines, ...priced } = quote;
  return { ok: true, ...priced };
}
