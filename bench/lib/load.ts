/**
 * A closed-loop HTTP load generator: a fixed number of requests, at most
 * `concurrency` in flight over keep-alive connections, stopped at a deadline.
 * node:http rather than fetch: the client shares the machine with workerd,
 * so it must cost as little CPU per request as possible.
 */
import { Agent, request as httpRequest } from "node:http";

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
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const samples: Sample[] = [];
  const started = performance.now();
  let next = 0;
  let timedOut = false;

  const one = (index: number) =>
    new Promise<Sample>((done) => {
      const { method, path, headers = {}, body, base = options.base } = options.call(index);
      const t0 = performance.now();
      const req = httpRequest(
        { host: base.hostname, port: base.port, method, path, agent, headers: body === undefined ? headers : { ...headers, "Content-Length": Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => done({ index, status: res.statusCode ?? 0, startMs: t0 - started, ms: performance.now() - t0, body: Buffer.concat(chunks).toString("utf8") }));
        },
      );
      req.on("error", (error) => done({ index, status: 0, startMs: t0 - started, ms: performance.now() - t0, body: String(error) }));
      req.end(body);
    });

  const worker = async () => {
    while (next < options.count) {
      if (performance.now() - started > options.deadlineMs) {
        timedOut = true;
        return;
      }
      samples.push(await one(next++));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  const elapsedMs = performance.now() - started;
  agent.destroy();
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
