/**
 * The dashboard's build: a folder of static files (dashboard/dist) that the
 * Worker serves through Workers Static Assets and that Cloudflare Pages serves
 * unchanged. `VITE_API_ORIGIN` names the API when it is on another origin
 * (Pages); empty, the dashboard calls its own origin (the Worker).
 */
import { gzipSync } from "node:zlib";
import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv, type Plugin } from "vite";

/** The most gzipped JavaScript the first screen may load before any lazy screen. */
export const INITIAL_JS_BUDGET = 250 * 1024;

/**
 * Prints the gzipped size of the JavaScript the page loads first (the entry
 * chunk and what it imports statically) and of the largest lazy chunk, and
 * fails the build over the budget.
 */
function initialJavaScriptBudget(): Plugin {
  return {
    name: "initial-javascript-budget",
    apply: "build",
    generateBundle(_options, bundle) {
      const chunks = new Map(Object.values(bundle).flatMap((file) => (file.type === "chunk" ? [[file.fileName, file] as const] : [])));
      const entry = [...chunks.values()].find((chunk) => chunk.isEntry);
      if (!entry) return;
      const initial = new Set<string>();
      const visit = (name: string) => {
        if (initial.has(name)) return;
        initial.add(name);
        for (const imported of chunks.get(name)?.imports ?? []) visit(imported);
      };
      visit(entry.fileName);
      const gzip = (name: string) => gzipSync(chunks.get(name)!.code, { level: 9 }).length;
      const initialBytes = [...initial].reduce((sum, name) => sum + gzip(name), 0);
      const lazy = [...chunks.keys()].filter((name) => !initial.has(name));
      const largestLazy = Math.max(0, ...lazy.map(gzip));
      const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
      console.log(
        `dashboard: initial JavaScript: ${kb(initialBytes)} gzip in ${initial.size} file(s) (budget ${kb(INITIAL_JS_BUDGET)}); ` +
          `${lazy.length} lazy chunks, the largest ${kb(largestLazy)} gzip`,
      );
      // Read by the tests and the docs: the same figures as one JSON line.
      this.emitFile({
        type: "asset",
        fileName: "build-report.json",
        source: JSON.stringify({ initial_js_gzip_bytes: initialBytes, initial_files: initial.size, lazy_chunks: lazy.length, largest_lazy_gzip_bytes: largestLazy }),
      });
      if (initialBytes > INITIAL_JS_BUDGET) this.error(`initial JavaScript is ${kb(initialBytes)} gzip, over the ${kb(INITIAL_JS_BUDGET)} budget`);
    },
  };
}

/**
 * Security headers for the static files (`_headers`, read by Workers Static
 * Assets and by Pages): the Worker's own headers never reach files served as
 * assets. The API's origin, if another, is allowed for fetch and WebSocket.
 */
function securityHeaders(apiOrigin: string): Plugin {
  const connect = ["'self'", "ws:", "wss:"];
  if (apiOrigin) connect.push(apiOrigin, apiOrigin.replace(/^http/, "ws"));
  const policy = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: blob: ${apiOrigin}`.trim(),
    `connect-src ${connect.join(" ")}`,
    "frame-src blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    name: "security-headers",
    apply: "build",
    generateBundle() {
      this.emitFile({
        type: "asset",
        fileName: "_headers",
        source: [
          "/*",
          `  Content-Security-Policy: ${policy}`,
          "  X-Content-Type-Options: nosniff",
          "  X-Frame-Options: DENY",
          "  Referrer-Policy: no-referrer",
          "  Strict-Transport-Security: max-age=63072000; includeSubDomains",
          "/assets/*",
          "  Cache-Control: public, max-age=31536000, immutable",
          "",
        ].join("\n"),
      });
    },
  };
}

export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, import.meta.dirname, "VITE_");
  const apiOrigin = (env.VITE_API_ORIGIN ?? "").replace(/\/+$/, "");
  return {
    root: import.meta.dirname,
    base: "/",
    plugins: [react(), initialJavaScriptBudget(), securityHeaders(apiOrigin)],
    build: {
      outDir: "dist",
      emptyOutDir: true,
      target: "es2022",
      sourcemap: false,
      chunkSizeWarningLimit: 400,
    },
    server: {
      // `npm run dashboard:dev` next to `npm start`: the API is proxied to the Worker.
      proxy: { "/v1": { target: "http://127.0.0.1:8787", ws: true } },
    },
  };
});
