import type { Env } from "../env.ts";
import type { Delivery, PaymentRow } from "../payments/hooks.ts";
import { activatePaidPass } from "./lifecycle.ts";
import { carryOutPaid, transferIdOf } from "./transfers.ts";

/**
 * A SEASON_PASS payment is PAID (payments' `passPaid` hook): a transfer fee
 * (metadata.transfer_id) carries out its transfer; anything else (the pass, an
 * instalment, a zone upgrade) is the lifecycle's.
 */
export async function passPaymentPaid({ env, payment }: { env: Env; payment: PaymentRow }): Promise<Delivery> {
  const transferId = transferIdOf(payment);
  if (transferId) return carryOutPaid(env, payment, transferId);
  return activatePaidPass({ env, payment });
}
