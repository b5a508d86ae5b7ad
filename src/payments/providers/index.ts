import { fedapayProvider } from "./fedapay.ts";
import { kkiapayProvider } from "./kkiapay.ts";
import { konnectProvider } from "./konnect.ts";
import { mtnMomoProvider } from "./mtn-momo.ts";
import { stripeProvider } from "./stripe.ts";
import type { OnlineProvider, PaymentProvider, ProvidersConfig } from "./types.ts";

const FACTORIES: Record<OnlineProvider, (config: ProvidersConfig) => PaymentProvider> = {
  MTN_MOMO: mtnMomoProvider,
  FEDAPAY: fedapayProvider,
  KKIAPAY: kkiapayProvider,
  KONNECT: konnectProvider,
  STRIPE: stripeProvider,
};

/** The adapter of one provider, on the base URL and credentials of this configuration. */
export const paymentProvider = (config: ProvidersConfig, name: OnlineProvider): PaymentProvider => FACTORIES[name](config);
