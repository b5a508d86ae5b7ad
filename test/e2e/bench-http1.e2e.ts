/**
 * The benchmarks' HTTP/1.1 client (bench/lib/http1.ts, used by runLoad): its
 * figures are only as right as its framing. Against Node's own HTTP server on
 * loopback: Content-Length and chunked bodies (split across TCP writes),
 * bodies-less statuses, a server closing the connection, request bodies
 * counted in bytes, and a connection reused request after request.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Http1Connection } from "../../bench/lib/http1.ts";
import { runLoad } from "../../bench/lib/load.ts";

let server: Server;
let base: URL;
const connections = new Set<unknown>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (req.url === "/chunked") {
        // Two writes, a pause between them: the answer arrives in pieces.
        res.write(`first ${body};`);
        setTimeout(() => res.end("second"), 5);
      } else if (req.url === "/no-content") {
        res.writeHead(204).end();
      } else if (req.url === "/not-modified") {
        res.writeHead(304, { ETag: '"v1"' }).end();
      } else if (req.url === "/close") {
        res.writeHead(200, { Connection: "close", "Content-Length": "3" }).end("bye");
      } else if (req.url === "/until-close") {
        // Neither Content-Length nor chunked: the body ends with the connection.
        res.socket!.end("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
      } else {
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, length: req.headers["content-length"] ?? null, body }));
      }
    });
  });
  server.on("connection", (socket) => connections.add(socket));
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(() => new Promise<void>((closed) => server.close(() => closed())));

describe("the benchmarks' HTTP/1.1 client", () => {
  it("reads Content-Length and chunked answers, 204 and 304 without a body, on one reused connection", async () => {
    const before = connections.size;
    const connection = new Http1Connection(base);
    const body = JSON.stringify({ name: "Café à Cotonou" });
    const sent = await connection.request("POST", "/echo?x=1", { "Content-Type": "application/json", Authorization: "Bearer t" }, body);
    expect(sent.status).toBe(200);
    expect(JSON.parse(sent.body)).toEqual({ method: "POST", url: "/echo?x=1", host: base.host, length: String(Buffer.byteLength(body)), body });
    expect(await connection.request("GET", "/chunked", {})).toEqual({ status: 200, body: "first ;second" });
    expect(await connection.request("POST", "/chunked", {}, "é")).toEqual({ status: 200, body: "first é;second" });
    expect(await connection.request("GET", "/no-content", {})).toEqual({ status: 204, body: "" });
    expect(await connection.request("GET", "/not-modified", {})).toEqual({ status: 304, body: "" });
    expect((await connection.request("GET", "/again", {})).status).toBe(200);
    expect(connections.size - before).toBe(1);
    expect(connection.closed).toBe(false);
    connection.close();
  });

  it("takes an answer the server ends by closing, and is closed after it; a request on it then fails", async () => {
    const framed = new Http1Connection(base);
    expect(await framed.request("GET", "/close", {})).toEqual({ status: 200, body: "bye" });
    expect(framed.closed).toBe(true);
    await expect(framed.request("GET", "/echo", {})).rejects.toThrow("connection closed");

    const unframed = new Http1Connection(base);
    expect(await unframed.request("GET", "/until-close", {})).toEqual({ status: 200, body: "until the end" });
    expect(unframed.closed).toBe(true);
  });

  it("refuses a second request while one is in flight on the connection", async () => {
    const connection = new Http1Connection(base);
    const first = connection.request("GET", "/chunked", {});
    await expect(connection.request("GET", "/echo", {})).rejects.toThrow("already in flight");
    expect((await first).body).toBe("first ;second");
    connection.close();
  });

  it("reports a refused connection as a failed request", async () => {
    const closed = createServer();
    await new Promise<void>((listening) => closed.listen(0, "127.0.0.1", listening));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    await expect(new Http1Connection(new URL(`http://127.0.0.1:${port}`)).request("GET", "/", {})).rejects.toThrow(/ECONNREFUSED/);
  });

  it("runLoad: every index once, each client on its own connection per server, reopened after the server closes it", async () => {
    const before = connections.size;
    const paths = ["/echo", "/chunked", "/no-content", "/close"];
    const result = await runLoad({ base, count: 400, concurrency: 8, deadlineMs: 30_000, call: (i) => ({ method: "GET", path: paths[i % paths.length]! }) });
    expect(result.timedOut).toBe(false);
    expect(result.samples.map((s) => s.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i));
    expect(result.samples.filter((s) => s.status === 0)).toEqual([]);
    expect(result.samples.filter((s) => s.index % 4 === 2).every((s) => s.status === 204 && s.body === "")).toBe(true);
    // 100 answers closed their connection: each was replaced, and nothing else was opened.
    expect(connections.size - before).toBeLessThanOrEqual(8 + 100);
    expect(connections.size - before).toBeGreaterThan(8);
  });
});
