import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { HttpError, nowIso, PROVIDERS, type Provider, type Reply, type Transaction } from "./shared.ts";

interface Saved {
  version: 1;
  transactions: Record<string, Transaction[]>;
  counters: Record<string, number>;
  mtn_tokens: Record<string, number>;
  stripe_idempotency: Record<string, { fingerprint: string; reply: Reply }>;
}

/**
 * What the providers remember: their transactions, their numbering (FedaPay's
 * transaction ids), the access tokens MTN issued and the idempotency keys
 * Stripe saw. In memory, or also in a JSON file (`npm start`), so that a
 * restarted fake knows the payments the local database refers to and never
 * hands out an id it already gave.
 */
export class PaymentStore {
  private readonly transactions = new Map<Provider, Map<string, Transaction>>(PROVIDERS.map((p) => [p, new Map()]));
  private readonly counters = new Map<string, number>();
  /** MTN access token → expiry (epoch ms). */
  readonly mtnTokens = new Map<string, number>();
  readonly stripeIdempotency = new Map<string, { fingerprint: string; reply: Reply }>();

  private readonly file: string | null;

  private constructor(file: string | null) {
    this.file = file;
  }

  /** A store kept in `file` (read now if it exists, written after every change), or in memory only. */
  static open(file?: string): PaymentStore {
    const store = new PaymentStore(file ?? null);
    if (file && existsSync(file)) store.load(JSON.parse(readFileSync(file, "utf8")) as Saved);
    return store;
  }

  private load(saved: Saved) {
    if (saved.version !== 1) throw new Error(`unknown fake payments state version ${String(saved.version)}`);
    for (const provider of PROVIDERS) {
      for (const tx of saved.transactions[provider] ?? []) this.transactions.get(provider)!.set(tx.reference, tx);
    }
    for (const [name, value] of Object.entries(saved.counters)) this.counters.set(name, value);
    for (const [token, expiry] of Object.entries(saved.mtn_tokens)) this.mtnTokens.set(token, expiry);
    for (const [key, value] of Object.entries(saved.stripe_idempotency)) this.stripeIdempotency.set(key, value);
  }

  /** Writes the state to its file (atomically), if it has one. */
  persist() {
    if (!this.file) return;
    const saved: Saved = {
      version: 1,
      transactions: Object.fromEntries(PROVIDERS.map((p) => [p, [...this.transactions.get(p)!.values()]])),
      counters: Object.fromEntries(this.counters),
      mtn_tokens: Object.fromEntries([...this.mtnTokens].filter(([, expiry]) => expiry > Date.now())),
      stripe_idempotency: Object.fromEntries(this.stripeIdempotency),
    };
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(saved, null, 1)}\n`);
    renameSync(temporary, this.file);
  }

  /** The next number of `counter`, never below `floor`. */
  next(counter: string, floor: number): number {
    const value = Math.max(this.counters.get(counter) ?? floor, floor);
    this.counters.set(counter, value + 1);
    return value;
  }

  get(provider: Provider, reference: string): Transaction | undefined {
    return this.transactions.get(provider)!.get(reference);
  }

  has(provider: Provider, reference: string): boolean {
    return this.transactions.get(provider)!.has(reference);
  }

  /** The transaction, or the control API's 404. */
  find(provider: Provider, reference: string): Transaction {
    const tx = this.get(provider, reference);
    if (!tx) throw new HttpError(404, { error: `no ${provider} transaction ${reference}` });
    return tx;
  }

  list(provider: Provider): Transaction[] {
    return [...this.transactions.get(provider)!.values()];
  }

  all(): Transaction[] {
    return PROVIDERS.flatMap((p) => this.list(p));
  }

  /** A new PENDING transaction at `provider`. */
  create(provider: Provider, fields: Omit<Transaction, "provider" | "status" | "created_at" | "settled_at" | "refunds">): Transaction {
    const tx: Transaction = { provider, status: "PENDING", created_at: nowIso(), settled_at: null, refunds: [], ...fields };
    this.transactions.get(provider)!.set(tx.reference, tx);
    return tx;
  }
}
