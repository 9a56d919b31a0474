/**
 * A fault-injecting HTTP proxy in front of influxd, for chaos runs: the gateway's INFLUX_URL points
 * here and every request is forwarded to influxd, unless the mode says otherwise:
 * - `pass`: forward, answer with influxd's answer;
 * - `error`: a share `p` of the /write requests is answered 500 or 503 at once, without forwarding
 *   (so influxd never sees those points); everything else is forwarded;
 * - `slow`: forward at once, but hold influxd's answer back for `delayMs` (a write the gateway gives
 *   up on may still have been stored: the retry must overwrite it, never add to it);
 * - `blackhole`: take the request and never answer (until the mode changes, or the caller gives up).
 * Changing the mode releases held and blackholed requests: blackholed ones are forwarded then.
 */
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";

export type FaultMode =
  | { kind: "pass" }
  | { kind: "error"; p: number }
  | { kind: "slow"; delayMs: number }
  | { kind: "blackhole" };

export interface FaultProxyStats {
  forwarded: number;
  injectedErrors: number;
  delayed: number;
  blackholed: number;
  /** influxd could not be reached (not counting requests dropped because the caller gave up). */
  upstreamErrors: number;
}

export function describeMode(mode: FaultMode): string {
  switch (mode.kind) {
    case "pass":
      return "pass";
    case "error":
      return `error p=${mode.p}`;
    case "slow":
      return `slow ${mode.delayMs} ms`;
    case "blackhole":
      return "blackhole";
  }
}

export class FaultProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  /** Requests held in blackhole mode, released (forwarded) when the mode changes. */
  private held: (() => void)[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private mode: FaultMode = { kind: "pass" };
  port = 0;
  readonly stats: FaultProxyStats = {
    forwarded: 0,
    injectedErrors: 0,
    delayed: 0,
    blackholed: 0,
    upstreamErrors: 0,
  };

  constructor(
    private readonly target: string,
    private readonly random: () => number = Math.random,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get currentMode(): FaultMode {
    return this.mode;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5000;
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    this.port = typeof address === "object" && address !== null ? address.port : port;
    this.server = server;
  }

  setMode(mode: FaultMode): void {
    this.mode = mode;
    const held = this.held;
    this.held = [];
    for (const release of held) release();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const mode = this.mode;
    const isWrite = (req.url ?? "").startsWith("/write");
    if (mode.kind === "error" && isWrite && this.random() < mode.p) {
      this.stats.injectedErrors++;
      req.resume();
      const status = this.random() < 0.5 ? 500 : 503;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ error: `chaos proxy: injected ${status === 500 ? "server error" : "unavailable"}` }),
      );
      return;
    }
    if (mode.kind === "blackhole") {
      this.stats.blackholed++;
      // Buffer the body so the request can still be forwarded when the mode changes.
      const chunks: Buffer[] = [];
      const body = new Promise<Buffer>((resolve) => {
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks)));
      });
      this.held.push(() => {
        void body.then((buffer) => {
          if (!res.destroyed && !res.writableEnded) this.forward(req, res, buffer, 0);
        });
      });
      return;
    }
    this.forward(req, res, null, mode.kind === "slow" ? mode.delayMs : 0);
  }

  /** Forwards `req` (its body streamed, or `body` when already read); answers after `delayMs`. */
  private forward(req: IncomingMessage, res: ServerResponse, body: Buffer | null, delayMs: number): void {
    const target = new URL(req.url ?? "/", this.target);
    this.stats.forwarded++;
    const upstream = request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host }, agent: this.agent },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (c: Buffer) => chunks.push(c));
        answer.on("error", () => res.destroy());
        answer.on("end", () => {
          const reply = () => {
            if (res.destroyed) return;
            const headers = { ...answer.headers };
            delete headers["transfer-encoding"];
            delete headers.connection;
            res.writeHead(answer.statusCode ?? 502, headers);
            res.end(Buffer.concat(chunks));
          };
          if (delayMs > 0) {
            this.stats.delayed++;
            const timer = setTimeout(() => {
              this.timers.delete(timer);
              reply();
            }, delayMs);
            this.timers.add(timer);
          } else reply();
        });
      },
    );
    let abandoned = false;
    upstream.on("error", () => {
      if (!abandoned) this.stats.upstreamErrors++;
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "chaos proxy: influxd unreachable" }));
      }
    });
    // The caller gave up (the gateway's request timeout): drop the upstream request as well.
    res.once("close", () => {
      if (!res.writableFinished) {
        abandoned = true;
        upstream.destroy();
      }
    });
    if (body !== null) upstream.end(body);
    else req.pipe(upstream);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.held = [];
    const server = this.server;
    this.server = null;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of this.sockets) s.destroy();
      await closed;
    }
    this.agent.destroy();
  }
}
