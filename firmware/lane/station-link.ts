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
 * Each entry carries an HMAC-SHA256 under the station key it names, over the entry, the sending
 * lane (`from`) and when it was sent (`sentMs`): only a lane that holds the station's key of that
 * day can add someone to another lane's list or take someone off it (a laptop on the station LAN
 * cannot silence a retest). A receiver takes from each sender only messages sent after the last it
 * took, so a recorded message replayed later is refused. Entries made with a lane's own key (no
 * gateway key for now) stay at that lane. A receiver refuses an entry from the future, one older
 * than the retest window, one of another station, and counts what it refused.
 *
 * Clocks: lanes offline for days drift apart, and a lane's clock can simply be wrong. The receiver
 * moves the entries' times onto its own clock by the difference between its clock and `sentMs`, so
 * the rest is counted from when the person really left, and a lane minutes ahead is neither
 * refused nor lets anyone skip the rest. A sender whose clock differs by more than MAX_SKEW_MS is
 * refused (and says so in both logs): its times cannot be trusted to count a rest.
 *
 * Delivery: every entry is queued for every peer and sent (MAX_ENTRIES_PER_POST at a time) and sent
 * again every few seconds until the peer took it or the window has passed; a peer that restarts
 * gets what it missed, and a lane that restarts tells its peers again whom it sent to rest.
 * A dead peer is reported once a minute, not at every retry.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { StationKeyring, Waiting, WaitingList } from "@checkpoint/protocol";
import type { Logger } from "pino";

export type WaitingOp = "wait" | "done";

/** An entry as queued: signed when it is sent. */
export interface QueuedEntry extends Waiting {
  op: WaitingOp;
}

/** An entry on the wire. */
export interface LinkEntry extends QueuedEntry {
  mac: string;
}

export interface StationLinkOptions {
  station: string;
  /** This lane's device id: who the messages it sends are from. */
  device: string;
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
/** Entries per message: about 160 bytes each, well inside MAX_BODY. */
export const MAX_ENTRIES_PER_POST = 200;
/** The most two lanes' clocks may differ for the receiver to count a rest from the sender's times. */
export const MAX_SKEW_MS = 15 * 60_000;
const WARN_EVERY_MS = 60_000;
const MAX_CONNECTIONS = 32;
/** The most people a lane keeps waiting from its peers' entries. */
export const MAX_WAITING = 5000;
const FUTURE_SLACK_MS = 5 * 60_000;
const INFO = "checkpoint/station-link/v1";

function macOf(key: Buffer, station: string, from: string, sentMs: number, e: QueuedEntry): string {
  return createHmac("sha256", key)
    .update(`${INFO}\0${station}\0${from}\0${sentMs}\0${e.op}\0${e.keyId}\0${e.tag}\0${e.atMs}\0${e.device}`)
    .digest("base64url");
}

export class StationLink {
  private server: Server | null = null;
  private readonly queues = new Map<string, QueuedEntry[]>();
  private timer: NodeJS.Timeout | null = null;
  /** The send round under way, and whether another must follow it (entries queued meanwhile). */
  private round: Promise<void> | null = null;
  private again = false;
  private scheduled = false;
  /** The last `sentMs` taken from each sending lane: an older or equal one is a replay. */
  private readonly lastSent = new Map<string, number>();
  /** Per peer: failures since it was last reported, and when that was. */
  private readonly failures = new Map<string, { n: number; reportedMs: number }>();
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

  /** Tells every peer (at the end of this turn, and again until it took it). */
  share(entry: Waiting, op: WaitingOp): void {
    const key = this.o.keyring.get(entry.keyId);
    if (!key || key.local || this.queues.size === 0) return;
    const queued: QueuedEntry = {
      keyId: entry.keyId,
      tag: entry.tag,
      atMs: entry.atMs,
      device: entry.device,
      op,
    };
    for (const q of this.queues.values()) q.push(queued);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => void this.flush(), this.o.retryMs ?? 5000);
    this.timer.unref();
    if (!this.o.listen) return;
    const at = this.o.listen.lastIndexOf(":");
    const host = this.o.listen.slice(0, at) || "0.0.0.0";
    const port = Number(this.o.listen.slice(at + 1));
    // Slow or idle connections are cut within seconds, and a few at a time are all a LAN peer
    // gets: a laptop holding sockets open cannot starve the lane of file handles.
    const server = createServer(
      { connectionsCheckingInterval: 1000 },
      (req, res) => void this.handle(req, res),
    );
    server.requestTimeout = 5000;
    server.headersTimeout = 5000;
    server.maxConnections = MAX_CONNECTIONS;
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
   * time: called during a round, it asks for one more (for what was queued since) and resolves
   * with it.
   */
  flush(): Promise<void> {
    if (this.round) {
      this.again = true;
      return this.round;
    }
    this.round = (async () => {
      try {
        do {
          this.again = false;
          await Promise.all([...this.queues.keys()].map((peer) => this.sendTo(peer)));
        } while (this.again);
      } finally {
        this.round = null;
      }
    })();
    return this.round;
  }

  /** One peer's queue, MAX_ENTRIES_PER_POST at a time, until it refuses or all is taken. */
  private async sendTo(peer: string): Promise<void> {
    const oldest = this.o.now() - this.o.windowMs();
    const keep = (this.queues.get(peer) ?? []).filter((e) => e.atMs >= oldest && this.o.keyring.get(e.keyId));
    this.queues.set(peer, keep);
    while ((this.queues.get(peer)?.length ?? 0) > 0) {
      const batch = (this.queues.get(peer) ?? []).slice(0, MAX_ENTRIES_PER_POST);
      const sentMs = this.o.now();
      const entries: LinkEntry[] = [];
      for (const e of batch) {
        const key = this.o.keyring.get(e.keyId);
        if (key) entries.push({ ...e, mac: macOf(key.key, this.o.station, this.o.device, sentMs, e) });
      }
      try {
        const res = await fetch(`${peer}/v1/waiting`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ station: this.o.station, from: this.o.device, sentMs, entries }),
          signal: AbortSignal.timeout(3000),
        });
        await res.body?.cancel();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        // Entries queued while this one was in flight stay for the next message.
        this.queues.set(
          peer,
          (this.queues.get(peer) ?? []).filter((e) => !batch.includes(e)),
        );
        this.counts.sent += batch.length;
        this.failures.delete(peer);
      } catch (error) {
        this.reportFailure(peer, (this.queues.get(peer) ?? []).length, (error as Error).message);
        return;
      }
    }
  }

  /** A peer that does not take what it is told: logged once a minute with how often it failed. */
  private reportFailure(peer: string, waiting: number, err: string): void {
    const now = Date.now();
    const f = this.failures.get(peer) ?? { n: 0, reportedMs: Number.NEGATIVE_INFINITY };
    f.n++;
    this.failures.set(peer, f);
    if (now - f.reportedMs < WARN_EVERY_MS) return;
    this.o.log.warn(
      { peer, waiting, failures: f.n, err },
      "firmware:station-link: a lane of this station did not take who is waiting; sent again every few seconds (check that lane and the station network)",
    );
    f.n = 0;
    f.reportedMs = now;
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
    const { station, from, sentMs, entries } = (body ?? {}) as {
      station?: unknown;
      from?: unknown;
      sentMs?: unknown;
      entries?: unknown;
    };
    if (
      station !== this.o.station ||
      typeof from !== "string" ||
      from.length > 64 ||
      !Array.isArray(entries) ||
      typeof sentMs !== "number" ||
      !Number.isSafeInteger(sentMs)
    ) {
      this.counts.refused++;
      return reply(400, { error: "another station's, or no entries" });
    }
    const skewMs = this.o.now() - sentMs;
    if (Math.abs(skewMs) > MAX_SKEW_MS) {
      this.counts.refused += entries.length;
      this.o.log.warn(
        { from, skew_min: Math.round(skewMs / 60_000) },
        "firmware:station-link: a lane's clock differs from this one's by more than 15 minutes; its waiting list is refused (set both lanes' clocks: they follow the gateway's when online)",
      );
      return reply(409, { error: "clock", skew_ms: skewMs });
    }
    // An older message from the same lane is a replay (or out of order, which one sender never is).
    if (sentMs < (this.lastSent.get(from) ?? Number.NEGATIVE_INFINITY)) {
      this.counts.refused += entries.length;
      return reply(409, { error: "replayed" });
    }
    let accepted = 0;
    let refused = 0;
    for (const raw of entries) {
      if (this.take(raw, from, sentMs, skewMs)) accepted++;
      else refused++;
    }
    // Only a message with a genuine entry moves the sender's clock on: a forged one cannot make
    // the lane's next real messages look like replays.
    if (accepted > 0 && this.lastSent.size < 1024) this.lastSent.set(from, sentMs);
    else if (accepted > 0) {
      this.lastSent.clear();
      this.lastSent.set(from, sentMs);
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
  private take(raw: unknown, from: string, sentMs: number, skewMs: number): boolean {
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
    const expected = Buffer.from(macOf(key.key, this.o.station, from, sentMs, { ...entry, op: e.op }));
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
