/**
 * Where a Worker's CPU time goes: a V8 sampling profile of one worker's
 * isolate (its fetch handler and its Durable Objects) taken through
 * Miniflare's inspector, with self time grouped by the source module each
 * function was bundled from (esbuild marks module boundaries with a
 * `// path` comment line), and the workerd processes' CPU time beside it:
 * all of them summed, or each one's (/proc/<pid>/stat) for a benchmark
 * whose topology runs several (bench/lib/workerd.ts).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface CpuBreakdown {
  wallMs: number;
  /** Self time in the isolate per source module (or V8 pseudo-frame such as "(idle)", "(garbage collector)"). */
  modules: { name: string; ms: number }[];
  functions: { name: string; ms: number }[];
  /** Self time per package (node_modules/<package>) or app folder. */
  packages: { name: string; ms: number }[];
  /** Inclusive time under each requested stage (a function of a module), each sample counted once per stage. */
  stages: { label: string; ms: number }[];
  /** CPU time of every workerd process of this run summed (every isolate, SQLite, I/O) over the same window. */
  workerdCpuMs: number | null;
}

/** Module boundaries of an esbuild bundle: [first line (0-based), path], in order. */
function moduleMap(bundlePath: string): [number, string][] {
  const map: [number, string][] = [];
  readFileSync(bundlePath, "utf8")
    .split("\n")
    .forEach((line, i) => {
      const match = /^\/\/ ((?:node_modules|src|durable-objects|bench)\/\S+)$/.exec(line);
      if (match) map.push([i, match[1]!]);
    });
  return map;
}

function moduleAt(map: [number, string][], line: number): string {
  let lo = 0;
  let hi = map.length - 1;
  let found = "(bundle prelude)";
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map[mid]![0] <= line) {
      found = map[mid]![1];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export interface Stage {
  label: string;
  module: string; // bundled source path, e.g. "src/auth/middleware.ts"
  fn: string; // function or method name
}

const packageOf = (module: string) =>
  /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(module)?.[1] ?? /^(src\/[^/]+|durable-objects\/[^/]+|bench)/.exec(module)?.[1] ?? module;

/** The workerd processes that are children of this process (Linux), by pid; none where pgrep cannot tell. */
export function workerdPids(): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(process.pid), "workerd"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU milliseconds (user + system) used so far by each workerd child of this process (Linux), by pid; null where /proc cannot tell. */
export function readWorkerdCpu(): Map<number, number> | null {
  try {
    const pids = workerdPids();
    if (!pids.length) return null;
    return new Map(
      pids.map((pid) => {
        const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        return [pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100]; // utime + stime, in USER_HZ ticks
      }),
    );
  } catch {
    return null;
  }
}

/** CPU milliseconds (user + system) used so far by all the workerd children of this process together (Linux), or null. */
export function workerdCpuMs(): number | null {
  const cpu = readWorkerdCpu();
  return cpu && [...cpu.values()].reduce((sum, ms) => sum + ms, 0);
}

/** The CPU each workerd process used between two readings: all of them summed, and each process by its role. */
export interface CpuSplit {
  totalMs: number;
  byRole: { role: string; ms: number }[];
}

export function cpuBetween(before: Map<number, number> | null, after: Map<number, number> | null, processes: { role: string; pid: number | null }[]): CpuSplit | null {
  if (!before || !after) return null;
  const used = (pid: number) => (after.get(pid) ?? 0) - (before.get(pid) ?? 0);
  const known = new Set(processes.map((p) => p.pid));
  const byRole = processes.map((p) => ({ role: p.role, ms: p.pid === null ? 0 : used(p.pid) }));
  const other = [...after.keys()].filter((pid) => !known.has(pid)).reduce((sum, pid) => sum + used(pid), 0);
  if (other) byRole.push({ role: "other", ms: other });
  return { totalMs: [...after.keys()].reduce((sum, pid) => sum + used(pid), 0), byRole };
}

/** Two splits added, process by process (the CPU of a run and of what it left to drain). */
export function addSplits(a: CpuSplit, b: CpuSplit): CpuSplit {
  const byRole = new Map(a.byRole.map((r) => [r.role, r.ms]));
  for (const r of b.byRole) byRole.set(r.role, (byRole.get(r.role) ?? 0) + r.ms);
  return { totalMs: a.totalMs + b.totalMs, byRole: [...byRole].map(([role, ms]) => ({ role, ms })) };
}

/** Each process's part of a split, per operation: "home 0.41 (62%), d1 0.25 (38%)". */
export function describeSplit(split: CpuSplit, operations: number, digits = 2): string {
  return split.byRole.map((r) => `${r.role} ${(r.ms / operations).toFixed(digits)} (${split.totalMs ? Math.round((r.ms / split.totalMs) * 100) : 0}%)`).join(", ");
}

/** Starts profiling the isolate of `worker`; `stop()` returns the breakdown over the interval. */
export async function startCpuProfile(inspector: URL, worker: string, bundlePath: string, stages: Stage[] = []): Promise<{ stop(): Promise<CpuBreakdown> }> {
  const socket = new WebSocket(new URL(`/core:user:${worker}`, inspector).href);
  await new Promise<void>((open, fail) => {
    socket.addEventListener("open", () => open(), { once: true });
    socket.addEventListener("error", () => fail(new Error(`cannot open the inspector of ${worker}`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const send = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((done) => {
      const id = nextId++;
      pending.set(id, done as (result: unknown) => void);
      socket.send(JSON.stringify({ id, method, params }));
    });

  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 250 });
  await send("Profiler.start");
  const started = performance.now();
  const cpuBefore = workerdCpuMs();

  return {
    async stop() {
      const { profile } = await send<{ profile: Profile }>("Profiler.stop");
      const wallMs = performance.now() - started;
      const cpuAfter = workerdCpuMs();
      socket.close();
      const map = moduleMap(bundlePath);
      const moduleOf = (frame: CallFrame) =>
        frame.url === "" ? `(${frame.functionName.replace(/[()]/g, "") || "native"})` : frame.url.endsWith(".js") ? moduleAt(map, frame.lineNumber) : frame.url;
      const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
      const parents = new Map<number, number>();
      for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);
      const stagesOf = new Map<number, Set<number>>();
      const stageSet = (id: number): Set<number> => {
        let set = stagesOf.get(id);
        if (set) return set;
        const parent = parents.get(id);
        set = new Set(parent === undefined ? [] : stageSet(parent));
        const frame = nodes.get(id)!.callFrame;
        stages.forEach((stage, i) => {
          if (frame.functionName === stage.fn && moduleOf(frame) === stage.module) set!.add(i);
        });
        stagesOf.set(id, set);
        return set;
      };
      const byModule = new Map<string, number>();
      const byFunction = new Map<string, number>();
      const byPackage = new Map<string, number>();
      const byStage = stages.map(() => 0);
      profile.samples.forEach((nodeId, i) => {
        const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
        const frame = nodes.get(nodeId)!.callFrame;
        const module = moduleOf(frame);
        byModule.set(module, (byModule.get(module) ?? 0) + ms);
        byPackage.set(packageOf(module), (byPackage.get(packageOf(module)) ?? 0) + ms);
        const fn = `${frame.functionName || "(anonymous)"} ${module.replace(/^node_modules\//, "")}`;
        byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
        for (const stage of stageSet(nodeId)) byStage[stage] = byStage[stage]! + ms;
      });
      const sorted = (m: Map<string, number>) => [...m].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
      return {
        wallMs,
        modules: sorted(byModule),
        functions: sorted(byFunction),
        packages: sorted(byPackage),
        stages: stages.map((stage, i) => ({ label: stage.label, ms: byStage[i]! })),
        workerdCpuMs: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
      };
    },
  };
}
