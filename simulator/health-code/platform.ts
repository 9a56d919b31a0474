/**
 * The simulated provincial health-code platform: the real wire (protocol/health-code.ts) on
 * 127.0.0.1 and a free port, for `npm start`, the technician's bench and the tests. Each holder's
 * colour comes from colours.ts (deterministic per holder and seed), unless a technician set it:
 *
 *   POST /sim/colour  {"r":"44","uid":"<token>","colour":"red"}    that holder is red from now on
 *   POST /sim/colour  {"code":"https://hc.gov.example/q?…","colour":"yellow"}   the same, by code
 *   POST /sim/colour  {…, "colour":null}                          back to the seeded colour
 *
 * and faults a technician (or a test) injects: `down` (every lookup 503), `slow` (every answer
 * held back that long, ms). Lookups need one of the lanes' bearer keys; the technician's endpoint
 * needs none (loopback only). It logs nothing about holders.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CODE_COLOURS,
  COLOUR_PATH,
  type CodeColour,
  extractIdentity,
  healthCodeHolder,
} from "@checkpoint/protocol";
import { type ColourShares, DEFAULT_COLOUR_SHARES, simulatedColour } from "./colours.ts";

export interface PlatformSimOptions {
  seed: number;
  /** The bearer keys it takes (one per lane). */
  keys: readonly string[];
  shares?: ColourShares;
  port?: number;
}

const HOLDER = /^[1-9]\d$/;
const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

export class SimulatedPlatform {
  private server: Server | null = null;
  private readonly set = new Map<string, CodeColour>();
  /** Every lookup answers 503 while true. */
  down = false;
  /** Every answer is held back this long (ms). */
  slowMs = 0;
  /** Lookups answered (by colour), for a run's summary. */
  readonly answered: Record<CodeColour | "unknown-holder" | "refused", number> = {
    green: 0,
    yellow: 0,
    red: 0,
    "unknown-holder": 0,
    refused: 0,
  };
  url = "";

  constructor(private readonly options: PlatformSimOptions) {}

  /** The holder's colour now: the technician's, or the seeded one. */
  colourOf(province: string, token: string): CodeColour {
    return (
      this.set.get(`${province}:${token}`) ??
      simulatedColour(this.options.seed, province, token, this.options.shares ?? DEFAULT_COLOUR_SHARES)
    );
  }

  /** A technician sets a holder's colour (null: back to the seeded one). */
  setColour(province: string, token: string, colour: CodeColour | null): void {
    const key = `${province}:${token}`;
    if (colour === null) this.set.delete(key);
    else this.set.set(key, colour);
  }

  /** The same, by a scanned health code; false when the code is not one. */
  setColourOfCode(code: string, colour: CodeColour | null): boolean {
    const found = extractIdentity(code, ["health-code"]);
    const holder = found.ok ? healthCodeHolder(found.identity) : null;
    if (!holder) return false;
    this.setColour(holder.province, holder.token, colour);
    return true;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? 0, "127.0.0.1", () => resolve());
    });
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  private authorised(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7) : "");
    return this.options.keys.some((k) => {
      const key = Buffer.from(k);
      return key.length === given.length && timingSafeEqual(key, given);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "POST" && url.pathname === "/sim/colour") return this.technician(req, res);
    if (req.method !== "GET" || url.pathname !== COLOUR_PATH) return send(res, 404, {});
    if (!this.authorised(req)) {
      this.answered.refused++;
      return send(res, 401, {});
    }
    if (this.slowMs > 0) await new Promise((r) => setTimeout(r, this.slowMs));
    if (this.down) return send(res, 503, {});
    const province = url.searchParams.get("r") ?? "";
    const token = url.searchParams.get("uid") ?? "";
    if (!HOLDER.test(province) || !TOKEN.test(token)) {
      this.answered["unknown-holder"]++;
      return send(res, 404, {});
    }
    const colour = this.colourOf(province, token);
    this.answered[colour]++;
    send(res, 200, { colour, as_of: new Date().toISOString() });
  }

  private async technician(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of req) {
      body += String(chunk);
      if (body.length > 8192) return send(res, 413, { error: "too large" });
    }
    let data: { r?: unknown; uid?: unknown; code?: unknown; colour?: unknown };
    try {
      data = JSON.parse(body) as typeof data;
    } catch {
      return send(res, 400, { error: "not JSON" });
    }
    const colour = data.colour === null ? null : CODE_COLOURS.find((c) => c === data.colour);
    if (colour === undefined)
      return send(res, 400, { error: `colour: one of ${CODE_COLOURS.join(", ")} or null` });
    if (typeof data.code === "string") {
      if (!this.setColourOfCode(data.code, colour))
        return send(res, 400, { error: "code: not a health code" });
      return send(res, 200, { ok: true });
    }
    if (
      typeof data.r !== "string" ||
      !HOLDER.test(data.r) ||
      typeof data.uid !== "string" ||
      !TOKEN.test(data.uid)
    )
      return send(res, 400, { error: "give code, or r and uid" });
    this.setColour(data.r, data.uid, colour);
    send(res, 200, { ok: true });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function send(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
