import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

/**
 * What the fakes received, kept in memory and, for `npm start`, in a JSON
 * file written shortly after each change and read back at start, so the
 * demo page still lists earlier messages after a restart.
 */
export class Store {
  readonly state: State = { emails: [], sms: [], push: [] };
  private timer: NodeJS.Timeout | null = null;
  private readonly path: string | null;

  constructor(path: string | null) {
    this.path = path;
    if (path && existsSync(path)) {
      const saved = JSON.parse(readFileSync(path, "utf8")) as Partial<State>;
      this.state.emails = saved.emails ?? [];
      this.state.sms = saved.sms ?? [];
      this.state.push = saved.push ?? [];
    }
  }

  changed(): void {
    if (!this.path || this.timer) return;
    this.timer = setTimeout(() => this.flush(), 200);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.path) return;
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(this.path, JSON.stringify(this.state));
  }
}
