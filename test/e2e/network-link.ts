/**
 * The gate's network, between the client and workerd: a TCP relay a test can
 * cut (connections reset, new ones refused), stall (bytes held, connections
 * kept, as on a saturated link) and bring back on the same port. The target
 * is looked up per connection, so it follows workerd across a restart.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export class NetworkLink {
  private server: Server | null = null;
  private readonly pairs = new Set<[Socket, Socket]>();
  private stalled = false;
  private port = 0;
  private readonly target: () => Promise<URL>;

  constructor(target: () => Promise<URL>) {
    this.target = target;
  }

  /** http://127.0.0.1:<port> — the same across cuts. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = createServer((client) => void this.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Every connection reset, nothing accepted until `up()`. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const [client, upstream] of this.pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.pairs.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Bytes stop flowing both ways; the connections stay open. */
  stall(): void {
    this.stalled = true;
    for (const [client, upstream] of this.pairs) this.unpipe(client, upstream);
  }

  resume(): void {
    this.stalled = false;
    for (const [client, upstream] of this.pairs) this.pipe(client, upstream);
  }

  private async relay(client: Socket) {
    client.pause();
    const to = await this.target();
    const upstream = connect(Number(to.port), to.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    if (!this.stalled) this.pipe(client, upstream);
  }

  private pipe(client: Socket, upstream: Socket) {
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private unpipe(client: Socket, upstream: Socket) {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }
}
