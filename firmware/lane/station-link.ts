/**
 * The station link: the lanes of one station tell each other who was sent to rest, over the
 * station's own network, so the station's retest point recognises them with the gateway
 * unreachable (the uplink down, the city's network cut) — a retest never needs the gateway.
 *
 * HTTP on the station LAN, lane to lane (lane.json `stationLink`: where this lane listens, the
 * peers it tells): `POST /v1/waiting` with `{station, entries}`, each entry one person sent to rest
 * (`wait`) or retested (`done`): the station tag, the station key's id, when, which lane. Nothing
 * else about the person crosses: a tag is scrypt of the identity under the station key of the day
 * (protocol/station-keys.ts), worthless without that key.
 *
 * Each entry carries an HMAC-SHA256 under the station key it names: only a lane that holds the
 * station's key of that day can add someone to another lane's list or take someone off it (a
 * laptop on the station LAN cannot silence a retest). Entries made with a lane's own key (no
 * gateway key for now) stay at that lane. A receiver refuses an entry from the future, one older
 * than the retest window, one of another station, and counts what it refused.
 *
 * Clocks: lanes offline for days drift apart, and a lane's clock can simply be wrong. Each message
 * says when it was sent (`sentMs`, the sender's clock); the receiver moves the entries' times onto
 * its own clock by the difference, so the rest is counted from when the person really left, and a
 * lane minutes ahead is neither refused nor lets anyone skip the rest.
 *
 * Delivery: every entry is queued for every peer and sent again every few seconds until the peer
 * took it or the window has passed; a peer that restarts gets what it missed.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { StationKeyring, Waiting, WaitingList } from "@checkpoint/protocol";
import type { Logger } from "pino";

export type WaitingOp = "wait" | "done";

export interface LinkEntry extends Waiting {
  op: WaitingOp;
  mac: string;
}

export interface StationLinkOptions {
  station: string;
  /** Where this lane listens ("host:port"), when other lanes tell it; absent: it only tells. */
  listen?: string;
  /** The other lanes it tells: "http://host:port". */
  peers: readonly string[];
  keyring: StationKeyring;
  waiting: WaitingList;
  windowMs(): number;
  now(): number;
  /** The waiting list changed from a peer's entry (the app saves it). */
  onChange(): void;
  log: Logger;
  /** How often undelivered entries are sent again, ms. */
  retryMs?: number;
}

const MAX_BODY = 64 * 1024;
/** The most people a lane keeps waiting from its peers' entries. */
export const MAX_WAITING = 5000;
const FUTURE_SLACK_MS = 5 * 60_000;
const INFO = "checkpoint/station-link/v1";

function macOf(key: Buffer, station: string, e: Waiting & { op: WaitingOp }): string {
  return createHmac("sha256", key)
    .update(`${INFO}\0${station}\0${e.op}\0${e.keyId}\0${e.tag}\0${e.atMs}\0${e.device}`)
    .digest("base64url");
}

export class StationLink {
  private server: Server | null = null;
  private readonly queues = new Map<string, LinkEntry[]>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  readonly counts = { sent: 0, received: 0, refused: 0 };

  constructor(private readonly o: StationLinkOptions) {
    for (const peer of o.peers) this.queues.set(peer.replace(/\/+$/, ""), []);
  }

  /** The address it listens on (after start), for tests and the log. */
  get address(): AddressInfo | null {
    return (this.server?.address() as AddressInfo | null) ?? null;
  }

  /** Entries not yet delivered, over all peers. */
  get pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Tells every peer (now, and again until it took it). */
  share(entry: Waiting, op: WaitingOp): void {
    const key = this.o.keyring.get(entry.keyId);
    if (!key || key.local || this.queues.size === 0) return;
    const linked: LinkEntry = { ...entry, op, mac: macOf(key.key, this.o.station, { ...entry, op }) };
    for (const q of this.queues.values()) q.push(linked);
    void this.flush();
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => void this.flush(), this.o.retryMs ?? 5000);
    this.timer.unref();
    if (!this.o.listen) return;
    const at = this.o.listen.lastIndexOf(":");
    const host = this.o.listen.slice(0, at) || "0.0.0.0";
    const port = Number(this.o.listen.slice(at + 1));
    const server = createServer((req, res) => void this.handle(req, res));
    server.requestTimeout = 5000;
    server.headersTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host.replace(/^\[|\]$/g, ""), () => resolve());
    });
    this.o.log.info({ listen: this.address }, "firmware:station-link: listening for the station's lanes");
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /**
   * Sends what each peer has not taken yet; drops what the window has passed. One round at a
   * time: called during a round, it waits for it and runs another (for what was queued since).
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    let done = () => {};
    this.flushing = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      const oldest = this.o.now() - this.o.windowMs();
      await Promise.all(
        [...this.queues].map(async ([peer, queue]) => {
          const live = queue.filter((e) => e.atMs >= oldest);
          this.queues.set(peer, live);
          if (live.length === 0) return;
          try {
            const res = await fetch(`${peer}/v1/waiting`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ station: this.o.station, sentMs: this.o.now(), entries: live }),
              signal: AbortSignal.timeout(3000),
            });
            await res.body?.cancel();
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
            // Entries queued while this one was in flight stay for the next round.
            this.queues.set(
              peer,
              (this.queues.get(peer) ?? []).filter((e) => !live.includes(e)),
            );
            this.counts.sent += live.length;
          } catch (error) {
            this.o.log.warn(
              { peer, waiting: live.length, err: (error as Error).message },
              "firmware:station-link: a lane of this station did not take who is waiting; sent again in a few seconds (check that lane and the station network)",
            );
          }
        }),
      );
    } finally {
      this.flushing = null;
      done();
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST" || req.url !== "/v1/waiting")
      return reply(404, { error: "POST /v1/waiting only" });
    let size = 0;
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY) return reply(413, { error: `at most ${MAX_BODY} bytes` });
        chunks.push(chunk);
      }
    } catch {
      return; // the peer went away
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      this.counts.refused++;
      return reply(400, { error: "not JSON" });
    }
    const { station, sentMs, entries } = (body ?? {}) as {
      station?: unknown;
      sentMs?: unknown;
      entries?: unknown;
    };
    if (station !== this.o.station || !Array.isArray(entries) || !Number.isSafeInteger(sentMs)) {
      this.counts.refused++;
      return reply(400, { error: "another station's, or no entries" });
    }
    let accepted = 0;
    let refused = 0;
    for (const raw of entries) {
      if (this.take(raw, this.o.now() - (sentMs as number))) accepted++;
      else refused++;
    }
    this.counts.received += accepted;
    this.counts.refused += refused;
    if (refused > 0) {
      this.o.log.warn(
        { refused, accepted },
        "firmware:station-link: refused waiting entries (not signed with a station key this lane holds, too old, or from the future)",
      );
    }
    if (accepted > 0) this.o.onChange();
    reply(200, { accepted, refused });
  }

  /**
   * One entry from a peer: checked, then merged into the waiting list or taken off it, its time
   * moved onto this lane's clock by `skewMs` (this clock minus the sender's).
   */
  private take(raw: unknown, skewMs: number): boolean {
    const e = raw as Partial<LinkEntry> | null;
    if (
      !e ||
      (e.op !== "wait" && e.op !== "done") ||
      typeof e.keyId !== "string" ||
      typeof e.tag !== "string" ||
      typeof e.device !== "string" ||
      typeof e.mac !== "string" ||
      typeof e.atMs !== "number" ||
      !Number.isSafeInteger(e.atMs)
    ) {
      return false;
    }
    const now = this.o.now();
    const atMs = e.atMs + skewMs;
    if (atMs > now + FUTURE_SLACK_MS || atMs < now - this.o.windowMs()) return false;
    const key = this.o.keyring.get(e.keyId);
    if (!key || key.local) return false;
    const entry: Waiting = { keyId: e.keyId, tag: e.tag, atMs: e.atMs, device: e.device };
    const expected = Buffer.from(macOf(key.key, this.o.station, { ...entry, op: e.op }));
    const given = Buffer.from(e.mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
    // A station's retest window never holds this many: a lane that floods the list (stolen, with
    // the day's key) fills no disk and no memory beyond it.
    if (e.op === "wait" && this.o.waiting.size >= MAX_WAITING) return false;
    const here = { ...entry, atMs };
    if (e.op === "wait") this.o.waiting.merge(here);
    // Two translations (there and back) may leave a done a little before the entry it closes.
    else this.o.waiting.remove({ ...here, atMs: atMs + FUTURE_SLACK_MS });
    return true;
  }
}
