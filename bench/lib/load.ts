/**
 * A closed-loop HTTP load generator: a fixed number of requests, at most
 * `concurrency` in flight, stopped at a deadline. Each client owns one
 * keep-alive HTTP/1.1 connection per server it calls and has one request in
 * flight on it at a time, as a browser tab does. The client shares the
 * machine's cores with workerd, so it speaks HTTP/1.1 itself over `node:net`
 * (bench/lib/http1.ts): node:http's request objects cost about 0.04 ms of CPU
 * per request, as much as workerd answering a constant (bench:onsale prints both).
 */
import { Http1Connection } from "./http1.ts";

export interface Call {
  method: "GET" | "POST";
  /** Another Worker than the run's `base` (a baseline interleaved with the measured calls). */
  base?: URL;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface Sample {
  index: number;
  status: number; // 0: the connection failed
  startMs: number; // since the run started
  ms: number;
  body: string;
}

export interface LoadResult {
  samples: Sample[];
  elapsedMs: number;
  timedOut: boolean;
}

export async function runLoad(options: { base: URL; count: number; concurrency: number; deadlineMs: number; call: (index: number) => Call }): Promise<LoadResult> {
  const samples: Sample[] = [];
  const started = performance.now();
  const open: Http1Connection[] = [];
  let next = 0;
  let timedOut = false;

  const client = async () => {
    // This client's connection to each server (by host:port), opened on first use.
    const connections = new Map<string, Http1Connection>();
    while (next < options.count) {
      if (performance.now() - started > options.deadlineMs) {
        timedOut = true;
        return;
      }
      const index = next++;
      const { method, path, headers = {}, body, base = options.base } = options.call(index);
      let connection = connections.get(base.host);
      if (!connection || connection.closed) {
        connection = new Http1Connection(base);
        connections.set(base.host, connection);
        open.push(connection);
      }
      const t0 = performance.now();
      try {
        const response = await connection.request(method, path, headers, body);
        samples.push({ index, status: response.status, startMs: t0 - started, ms: performance.now() - t0, body: response.body });
      } catch (error) {
        samples.push({ index, status: 0, startMs: t0 - started, ms: performance.now() - t0, body: String(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, client));
  const elapsedMs = performance.now() - started;
  for (const connection of open) connection.close();
  return { samples, elapsedMs, timedOut };
}

/** The p-th percentile (0–100) of already sorted values, nearest rank. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Stats {
  count: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Rate over `elapsedMs` and latency percentiles of the given samples. */
export function stats(samples: Sample[], elapsedMs: number): Stats {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return { count: samples.length, perSecond: samples.length / (elapsedMs / 1000), p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

/** Deterministic pseudo-random numbers (mulberry32), so runs are comparable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
