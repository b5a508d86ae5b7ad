/**
 * The one Worker of the D1 process in the benchmarks' multi-process topology
 * (bench/lib/workerd.ts, Topology.d1 = "own-process"). It serves nothing: its
 * workerd is there to be the shared storage owner, so that Miniflare's D1
 * service, and the SQLite work behind every D1 query of the other processes,
 * runs in this process. Bound to the app's database so the process is
 * configured with it.
 */
export default {
  fetch: () => new Response("D1 storage owner: no routes", { status: 404 }),
} satisfies ExportedHandler;
