/**
 * A cuttable network link: a TCP relay between a lane and its gateway. The technician (or a test)
 * cuts it to simulate a dead uplink and restores it later. A cut is silent, like a pulled cable
 * or a dead mobile link: bytes vanish and nothing closes, so the lane must notice by itself
 * (MQTT keepalive). `cut({ reset: true })` instead drops connections at once. Loopback only.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export class NetworkLink {
  private server: Server | null = null;
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly blackholed = new Set<Socket>();
  up = true;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<string> {
    this.server = createServer((client) => {
      if (!this.up) {
        // Nothing answers: the connection attempt hangs until the lane gives up.
        client.on("error", () => undefined);
        client.on("data", () => undefined);
        this.blackholed.add(client);
        client.on("close", () => this.blackholed.delete(client));
        return;
      }
      client.setNoDelay(true);
      const upstream = connect(this.targetPort, this.targetHost);
      upstream.setNoDelay(true);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on("error", close);
      upstream.on("error", close);
      client.on("close", close);
      upstream.on("close", close);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(port, "127.0.0.1", () => resolve()));
    const a = this.server.address();
    this.port = typeof a === "object" && a ? a.port : port;
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** The cable is pulled: nothing gets through until restore(). */
  cut(options: { reset?: boolean } = {}): void {
    this.up = false;
    for (const pair of this.pairs) {
      const [a, b] = pair;
      if (options.reset) {
        a.destroy();
        b.destroy();
        continue;
      }
      a.unpipe(b);
      b.unpipe(a);
      a.on("data", () => undefined);
      b.on("data", () => undefined);
      this.blackholed.add(a);
      this.blackholed.add(b);
    }
    this.pairs.clear();
  }

  /** Traffic flows again for new connections; connections that went silent stay dead. */
  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut({ reset: true });
    for (const s of this.blackholed) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
