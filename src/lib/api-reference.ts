/**
 * The browsable API reference at /docs, rendered on the server from the same
 * OpenAPI document as /openapi.json: no script, no CDN, readable on any phone.
 */
type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
};
type Document = { info: { title: string; version: string; description?: string }; paths?: Record<string, Record<string, Operation>> };

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

const schemaText = (schema: unknown) => escape(JSON.stringify(schema, null, 2) ?? "");

export function renderApiReference(openapi: object): string {
  const doc = openapi as Document;
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags?.[0] ?? "Other";
      const params = (op.parameters ?? [])
        .map((p) => `<li><code>${escape(p.name)}</code> <small>(${escape(p.in)}${p.required ? ", required" : ""})</small> ${escape(p.description ?? "")}</li>`)
        .join("");
      const body = op.requestBody?.content?.["application/json"]?.schema;
      const responses = Object.entries(op.responses ?? {})
        .map(([code, r]) => `<li><code>${escape(code)}</code> ${escape(r.description ?? "")}</li>`)
        .join("");
      const html = `<details id="${escape(method + path)}"><summary><span class="m ${escape(method)}">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code> ${escape(op.summary ?? "")}${op.security?.length ? ' <span class="lock" title="Bearer token">🔒</span>' : ""}</summary>
${op.description ? `<p>${escape(op.description)}</p>` : ""}${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ""}${body ? `<h4>Body</h4><pre>${schemaText(body)}</pre>` : ""}<h4>Responses</h4><ul>${responses}</ul></details>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const sections = [...byTag.entries()].map(([tag, ops]) => `<section><h2>${escape(tag)}</h2>${ops.join("\n")}</section>`).join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(doc.info.title)} — API reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:0 auto;padding:1rem;color:#1b1b1b}details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.4rem .6rem}summary{cursor:pointer}pre{background:#f6f6f6;padding:.6rem;overflow:auto;font-size:13px}.m{display:inline-block;min-width:4.2em;font-weight:700;font-size:12px}.get{color:#0a7}.post{color:#06c}.put,.patch{color:#c70}.delete{color:#c22}</style></head>
<body><h1>${escape(doc.info.title)} <small>v${escape(doc.info.version)}</small></h1><p>${escape(doc.info.description ?? "")}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
${sections}</body></html>`;
}
