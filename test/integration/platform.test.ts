import { describe, expect, it } from "vitest";
import { api } from "../support/api.ts";

describe("platform", () => {
  it("answers /v1 with its name, version and where to go next, documented in OpenAPI; / is the dashboard's", async () => {
    for (const path of ["/v1"]) {
      const res = await api("GET", path);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        name: "Edge events platform",
        version: "1.0.0",
        links: { api: "/v1", docs: "/docs", openapi: "/openapi.json", health: "/v1/health" },
      });
      // Every link leads somewhere.
      for (const link of Object.values(res.body.links as Record<string, string>)) expect((await api("GET", link)).status).toBe(200);
    }
    const openapi = (await api("GET", "/openapi.json")).body;
    expect(openapi.info.title).toBe("Edge events platform");
    expect(openapi.paths["/v1"].get).toMatchObject({ operationId: "getApiIndex" });
    expect(openapi.paths["/v1"].get.responses["200"].content["application/json"].schema.$ref).toBe("#/components/schemas/ApiIndex");
    // `/` is the dashboard, served as a static asset before the Worker runs (test/e2e/dashboard/flows.e2e.ts): the Worker has no route there.
    expect(openapi.paths["/"]).toBeUndefined();
    expect((await api("GET", "/")).status).toBe(404);
    expect((await api("POST", "/v1")).status).toBe(404);
  });

  it("answers /v1/health with the database checked", async () => {
    const res = await api("GET", "/v1/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", database: "ok" });
  });

  it("puts a request id on every response, keeping a sane incoming one", async () => {
    const own = await api("GET", "/v1/health", { headers: { "X-Request-Id": "client-req-12345" } });
    expect(own.headers.get("X-Request-Id")).toBe("client-req-12345");
    const hostile = await api("GET", "/v1/health", { headers: { "X-Request-Id": "<script>alert(1)</script>" } });
    expect(hostile.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await api("GET", "/v1/nope");
    expect(missing.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(missing.body.request_id).toBe(missing.headers.get("X-Request-Id"));
  });

  it("answers unknown routes with problem+json 404", async () => {
    const res = await api("GET", "/v1/does-not-exist");
    expect(res.status).toBe(404);
    expect(res.headers.get("Content-Type")).toContain("application/problem+json");
    expect(res.body).toMatchObject({ status: 404, code: "not_found", instance: "/v1/does-not-exist" });
  });

  it("sends security headers", async () => {
    const res = await api("GET", "/v1/health");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("X-Frame-Options")).toBe("DENY");
    expect(res.headers.get("Strict-Transport-Security")).toContain("max-age=");
  });

  it("allows CORS only for configured origins", async () => {
    const allowed = await api("OPTIONS", "/v1/health", {
      headers: { Origin: "http://localhost:8787", "Access-Control-Request-Method": "GET" },
    });
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("http://localhost:8787");
    const denied = await api("OPTIONS", "/v1/health", {
      headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "GET" },
    });
    expect(denied.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
