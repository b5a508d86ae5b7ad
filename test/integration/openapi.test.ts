import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { api } from "../support/api.ts";

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

describe("OpenAPI document", () => {
  it("is served as OpenAPI 3.1 with the bearer scheme", async () => {
    const res = await api("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    expect(res.body.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("documents every /v1 route the app serves", async () => {
    const doc = (await api("GET", "/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
    const served = createApp()
      .routes.filter((route) => route.path.startsWith("/v1/") && route.method !== "ALL")
      .map((route) => `${route.method.toLowerCase()} ${toOpenApiPath(route.path)}`);
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`)));
    expect(served.length).toBeGreaterThan(20);
    expect(served.filter((route) => !documented.has(route))).toEqual([]);
  });

  it("documents a 401 on every authenticated operation and a problem on every error", async () => {
    const doc = (await api("GET", "/openapi.json")).body as {
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> }>>;
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op.security?.length) expect(op.responses, `${method} ${path}`).toHaveProperty("401");
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) >= 400 && Number(status) !== 503) expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toContain("application/problem+json");
        }
      }
    }
  });

  it("has a browsable reference at /docs", async () => {
    const res = await api("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/html");
    expect(res.body).toContain("/v1/auth/login");
    expect(res.body).not.toContain("<script");
  });
});
