/**
 * Scans decided offline, waiting to be uploaded with `sync`, oldest first.
 * Each keeps its nonce, so an upload repeated after a lost answer is recorded
 * once by the server. With a file, the queue is a journal (one JSON line per
 * added or acknowledged scan) that survives a restart of the client.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import type { ScanBody } from "../../durable-objects/event/gate-protocol.ts";
import type { OfflineDecision } from "./offline.ts";

export interface QueuedScan {
  body: ScanBody; // with offline_status: what the gate decided
  decision: OfflineDecision;
}

type JournalLine = { add: QueuedScan } | { ack: string };

export class OfflineQueue {
  private readonly entries = new Map<string, QueuedScan>();
  private readonly file: string | undefined;

  constructor(file?: string) {
    this.file = file;
    if (!file || !existsSync(file)) return;
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const entry = JSON.parse(line) as JournalLine;
      if ("add" in entry) this.entries.set(entry.add.body.id, entry.add);
      else this.entries.delete(entry.ack);
    }
    // Rewritten with what is still pending, so the journal does not grow forever.
    writeFileSync(file, [...this.entries.values()].map((e) => `${JSON.stringify({ add: e })}\n`).join(""));
  }

  get size(): number {
    return this.entries.size;
  }

  has(nonce: string): boolean {
    return this.entries.has(nonce);
  }

  add(entry: QueuedScan): void {
    this.entries.set(entry.body.id, entry);
    this.journal({ add: entry });
  }

  /** Removes a scan the server has recorded; returns it, or undefined if it was not queued. */
  ack(nonce: string): QueuedScan | undefined {
    const entry = this.entries.get(nonce);
    if (!entry) return undefined;
    this.entries.delete(nonce);
    this.journal({ ack: nonce });
    return entry;
  }

  /** Up to `max` scans, in the order they happened. */
  oldest(max: number): QueuedScan[] {
    return [...this.entries.values()].sort((a, b) => a.body.scanned_at.localeCompare(b.body.scanned_at)).slice(0, max);
  }

  private journal(line: JournalLine) {
    if (this.file) appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}
