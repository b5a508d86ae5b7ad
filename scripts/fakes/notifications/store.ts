import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** An email as the fake Email Service received it. */
export interface StoredEmail {
  id: string;
  received_at: string;
  to: string[];
  from: string;
  reply_to: string | null;
  subject: string;
  html: string | null;
  text: string | null;
  headers: Record<string, string>;
  attachments: { filename: string; type: string; disposition: string; content_id: string | null; content: string /* base64 */ }[];
  outcome: "delivered" | "bounced";
}

export interface StoredSms {
  sid: string;
  received_at: string;
  to: string;
  from: string;
  body: string;
  status: string;
  status_callback: string | null;
  callbacks: { status: string; at: string; answered: number | null }[];
}

export interface StoredPush {
  name: string;
  received_at: string;
  token: string;
  title: string | null;
  body: string | null;
  data: Record<string, string>;
  android: unknown;
  apns: unknown;
}

export interface State {
  emails: StoredEmail[];
  sms: StoredSms[];
  push: StoredPush[];
}

interface Saved extends State {
  version: 1;
}

/**
 * What the fakes received: in memory (tests, the benchmark), or also in a
 * JSON file (`npm start`), read back at start and written after every request
 * that changed something, so the messages page still lists earlier messages
 * after a restart. The same pattern as the payment fakes' store
 * (scripts/fakes/payments/store.ts).
 */
export class Store {
  readonly state: State = { emails: [], sms: [], push: [] };
  private dirty = false;
  private readonly file: string | null;

  private constructor(file: string | null) {
    this.file = file;
  }

  /** A store kept in `file` (read now if it exists), or in memory only. */
  static open(file?: string | null): Store {
    const store = new Store(file ?? null);
    if (file && existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, "utf8")) as Partial<Saved>;
      if (saved.version !== undefined && saved.version !== 1) throw new Error(`unknown fake notifications state version ${String(saved.version)}`);
      store.state.emails = saved.emails ?? [];
      store.state.sms = saved.sms ?? [];
      store.state.push = saved.push ?? [];
    }
    return store;
  }

  /** Something was received or changed: the next `persist` writes it. */
  changed(): void {
    this.dirty = true;
  }

  /** Writes the state to its file (atomically) if it has one and something changed. */
  persist(): void {
    if (!this.file || !this.dirty) return;
    this.dirty = false;
    const saved: Saved = { version: 1, ...this.state };
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, JSON.stringify(saved));
    renameSync(temporary, this.file);
  }
}
