/**
 * One keep-alive HTTP/1.1 connection with one request in flight at a time:
 * the load generator's client (bench/lib/load.ts). It writes a request as one
 * string and reads the answer's status, framing headers and body, nothing
 * else, because every microsecond it spends is taken from workerd on the
 * same cores. Framing per RFC 9112: Content-Length, chunked, or until the
 * server closes; no body for 204, 304 and HEAD.
 */
import { connect, type Socket } from "node:net";

export interface Http1Response {
  status: number;
  body: string;
}

interface Pending {
  method: string;
  resolve: (response: Http1Response) => void;
  reject: (error: Error) => void;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const EMPTY = Buffer.alloc(0);

export class Http1Connection {
  private readonly socket: Socket;
  private readonly host: string;
  private pending: Pending | null = null;
  private buffered: Buffer = EMPTY;
  /** Set once the socket is gone: the caller opens another connection. */
  closed = false;

  constructor(base: URL) {
    this.host = base.host;
    this.socket = connect({ host: base.hostname, port: Number(base.port) });
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.parse(false);
    });
    this.socket.on("error", (error) => this.fail(error));
    this.socket.on("close", () => {
      // An answer framed by the end of the connection is complete now.
      if (this.pending) this.parse(true);
      this.fail(new Error("connection closed"));
    });
  }

  request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Http1Response> {
    if (this.closed) return Promise.reject(new Error("connection closed"));
    if (this.pending) return Promise.reject(new Error("a request is already in flight on this connection"));
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    if (body !== undefined) head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    return new Promise((resolve, reject) => {
      this.pending = { method, resolve, reject };
      this.socket.write(body === undefined ? `${head}\r\n` : `${head}\r\n${body}`);
    });
  }

  close() {
    this.closed = true;
    this.socket.destroy();
  }

  private fail(error: Error) {
    this.closed = true;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(error);
  }

  /** Completes the pending request if the buffered bytes hold its whole answer; `ended`: the server closed the connection. */
  private parse(ended: boolean): void {
    const pending = this.pending;
    const data = this.buffered;
    if (!pending) return;
    const headEnd = data.indexOf(HEAD_END);
    if (headEnd === -1) return;
    const lines = data.toString("latin1", 0, headEnd).split("\r\n");
    const status = Number(lines[0]!.slice(9, 12));
    let length = -1;
    let chunked = false;
    let close = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      if (name === "content-length") length = Number(line.slice(colon + 1).trim());
      else if (name === "transfer-encoding") chunked = line.slice(colon + 1).toLowerCase().includes("chunked");
      else if (name === "connection") close = line.slice(colon + 1).toLowerCase().includes("close");
    }
    const start = headEnd + HEAD_END.length;
    let body: Buffer;
    let end: number;
    if (status === 204 || status === 304 || pending.method === "HEAD" || (status >= 100 && status < 200)) {
      body = EMPTY;
      end = start;
    } else if (chunked) {
      let decoded: ReturnType<typeof dechunk>;
      try {
        decoded = dechunk(data, start);
      } catch (error) {
        this.socket.destroy();
        return this.fail(error as Error);
      }
      if (!decoded) return;
      ({ body, end } = decoded);
    } else if (length >= 0) {
      if (data.length < start + length) return;
      body = data.subarray(start, start + length);
      end = start + length;
    } else {
      if (!ended) return;
      body = data.subarray(start);
      end = data.length;
    }
    this.buffered = end === data.length ? EMPTY : data.subarray(end);
    if (status >= 100 && status < 200) return this.parse(ended);
    this.pending = null;
    if (close) this.close();
    pending.resolve({ status, body: body.toString("utf8") });
  }
}

/** A chunked body from `offset`, or null while it is incomplete. */
function dechunk(data: Buffer, offset: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  let at = offset;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd === -1) return null;
    const size = Number.parseInt(data.toString("latin1", at, lineEnd), 16);
    if (Number.isNaN(size)) throw new Error("malformed chunk size");
    at = lineEnd + 2;
    if (size === 0) {
      // The last chunk; trailers, if any, end with an empty line.
      if (data.length < at + 2) return null;
      if (data[at] === 13 && data[at + 1] === 10) return { body: Buffer.concat(parts), end: at + 2 };
      const trailersEnd = data.indexOf(HEAD_END, at);
      return trailersEnd === -1 ? null : { body: Buffer.concat(parts), end: trailersEnd + HEAD_END.length };
    }
    if (data.length < at + size + 2) return null;
    parts.push(data.subarray(at, at + size));
    at += size + 2;
  }
}
