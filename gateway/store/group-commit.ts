/**
 * Group commit: "acknowledged means durable" at thousands of events per second.
 *
 * Callers submit the points of one message and wait; points are gathered for at most `lingerMs`
 * (or until `maxBatch`) and committed together, one commit at a time, so the commit rate adapts to
 * the load: one write per event when quiet, thousands per write when busy. A commit is durable when
 * InfluxDB took the batch, or, when InfluxDB is down or slow, when the batch is fsync'd in the disk
 * spool. While anything is spooled, new batches go to the spool too (so storage order is kept) and
 * a replayer drains the spool into InfluxDB oldest first, probing with exponential backoff.
 * A point InfluxDB could never take (a 400, or one that cannot be serialised) is set aside alone in
 * `refused.jsonl` beside the spool, with its reason, instead of being retried forever or taking its
 * batch with it.
 *
 * Backpressure: a submit resolves only after its commit, and aedes reads no more from a socket
 * until the publishes of its last read are authorised, so memory stays bounded by connections.
 */
import { appendFile, open } from "node:fs/promises";
import { join } from "node:path";
import { pointProblem, type StoredPoint } from "./points.ts";
import { type PointSink, StoreError } from "./sink.ts";
import type { Spool } from "./spool.ts";

export interface GroupCommitOptions {
  maxBatch: number;
  lingerMs: number;
  /** Direct writes to InfluxDB under way at once. */
  maxInFlight: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** Folder for refused.jsonl (the spool's folder). */
  dir: string;
}

export interface GroupCommitLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

interface Waiter {
  points: StoredPoint[];
  resolve: () => void;
  reject: (error: Error) => void;
}

export type StoreMode = "direct" | "spooling";

export class GroupCommit {
  private pending: Waiter[] = [];
  private pendingPoints = 0;
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private lock: Promise<void> = Promise.resolve();
  private replaying = false;
  private stopped = false;
  private wake: (() => void) | null = null;

  mode: StoreMode = "direct";
  readonly stats = { commits: 0, stored: 0, spooled: 0, replayed: 0, refused: 0, failed: 0, writeMs: 0 };

  constructor(
    private readonly sink: PointSink,
    private readonly spool: Spool,
    private readonly options: GroupCommitOptions,
    private readonly log: GroupCommitLogger,
  ) {}

  /** Call once at start: replays whatever an earlier run left in the spool. */
  start(): void {
    if (this.sink.offline) {
      this.mode = "spooling";
      return;
    }
    if (!this.spool.isEmpty) {
      this.log.info({ bytes: this.spool.bytes }, "store: spool holds batches from an earlier run; replaying");
      this.enterSpooling();
    }
  }

  get spoolBytes(): number {
    return this.spool.bytes;
  }

  get pendingCount(): number {
    return this.pendingPoints;
  }

  /** Resolves when the points are durable (InfluxDB or spool). */
  submit(points: StoredPoint[]): Promise<void> {
    if (this.stopped) return Promise.reject(new Error("store is shutting down"));
    return new Promise((resolve, reject) => {
      this.pending.push({ points, resolve, reject });
      this.pendingPoints += points.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight >= this.options.maxInFlight) return;
    if (this.pendingPoints >= this.options.maxBatch) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.options.lingerMs);
    }
  }

  private async flush(): Promise<void> {
    if (this.inFlight >= this.options.maxInFlight || this.pending.length === 0) return;
    this.inFlight++;
    const batch: Waiter[] = [];
    let count = 0;
    while (
      this.pending.length > 0 &&
      (count === 0 || count + (this.pending[0]?.points.length ?? 0) <= this.options.maxBatch)
    ) {
      const w = this.pending.shift() as Waiter;
      batch.push(w);
      count += w.points.length;
    }
    this.pendingPoints -= count;
    const points = batch.flatMap((w) => w.points);
    try {
      await this.commit(points);
      for (const w of batch) w.resolve();
    } catch (error) {
      this.stats.failed += count;
      for (const w of batch) w.reject(error as Error);
    } finally {
      this.inFlight--;
      if (this.pending.length > 0) this.schedule();
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Direct writes run concurrently (up to maxInFlight): points are idempotent, so their order in
   * InfluxDB does not matter, and an event waits for its own write only. Everything that touches
   * the spool (appends, replay) runs one at a time under the lock, which keeps the spool in order.
   */
  private async commit(points: StoredPoint[]): Promise<void> {
    this.stats.commits++;
    if (this.mode === "direct" && (await this.writeDirect(points))) return;
    await this.exclusive(async () => {
      if (this.mode === "direct" && (await this.writeDirect(points))) return;
      await this.spool.append(points);
      this.stats.spooled += points.length;
    });
  }

  /** True when the points are stored (or set aside as refused); false when InfluxDB is unreachable. */
  private async writeDirect(points: StoredPoint[]): Promise<boolean> {
    const started = performance.now();
    try {
      await this.writeOrSetAside(points);
      this.stats.writeMs = performance.now() - started;
      return true;
    } catch (error) {
      if (this.mode === "direct") {
        this.log.warn(
          { err: (error as Error).message },
          "store: InfluxDB unreachable; spooling to disk until it is back",
        );
      }
      this.enterSpooling();
      return false;
    }
  }

  /**
   * Writes the points; a point InfluxDB could never take is set aside alone, with its reason, and
   * never blocks the others: points that cannot be serialised are taken out first, and a batch
   * InfluxDB refuses as malformed is split in halves until the refused points stand alone.
   * Throws (retryable) when InfluxDB is unreachable.
   */
  private async writeOrSetAside(points: StoredPoint[]): Promise<void> {
    const good: StoredPoint[] = [];
    for (const p of points) {
      const problem = pointProblem(p);
      if (problem === null) good.push(p);
      else await this.setAside([p], new StoreError(problem, false));
    }
    if (good.length === 0) return;
    try {
      await this.sink.write(good);
      this.stats.stored += good.length;
    } catch (error) {
      if (!(error instanceof StoreError) || error.retryable) throw error;
      if (good.length === 1) return this.setAside(good, error);
      const half = Math.ceil(good.length / 2);
      await this.writeOrSetAside(good.slice(0, half));
      await this.writeOrSetAside(good.slice(half));
    }
  }

  private async setAside(points: StoredPoint[], error: Error): Promise<void> {
    const file = join(this.options.dir, "refused.jsonl");
    await appendFile(file, `${JSON.stringify({ error: error.message, points })}\n`, { mode: 0o600 });
    const fh = await open(file, "r");
    await fh.sync();
    await fh.close();
    this.stats.refused += points.length;
    this.log.error(
      { err: error.message, points: points.length, file },
      "store: InfluxDB refused a batch as malformed; kept it aside, not retrying",
    );
  }

  private enterSpooling(): void {
    this.mode = "spooling";
    if (!this.replaying) void this.replayLoop();
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.wake = null;
  }

  private async replayLoop(): Promise<void> {
    this.replaying = true;
    let backoff = this.options.retryMinMs;
    try {
      while (!this.stopped && this.mode === "spooling") {
        if (!(await this.sink.ping())) {
          await this.sleep(backoff);
          backoff = Math.min(backoff * 2, this.options.retryMaxMs);
          continue;
        }
        const done = await this.exclusive(() => this.replayStep()).catch((error: Error) => {
          this.log.warn({ err: error.message }, "store: replay write failed; will retry");
          return "retry" as const;
        });
        if (done === "retry") {
          await this.sleep(backoff);
          backoff = Math.min(backoff * 2, this.options.retryMaxMs);
        } else {
          backoff = this.options.retryMinMs;
          if (done === "drained") {
            this.log.info(
              { replayed: this.stats.replayed },
              "store: spool drained; writing to InfluxDB directly",
            );
          }
        }
      }
    } finally {
      this.replaying = false;
    }
  }

  /** Replays the oldest spooled batch; "drained" when nothing is left (and switches to direct). */
  private async replayStep(): Promise<"more" | "drained"> {
    const batch = await this.spool.peek();
    if (!batch) {
      await this.spool.compactIfDrained();
      this.mode = "direct";
      return "drained";
    }
    const storedBefore = this.stats.stored;
    await this.writeOrSetAside(batch.points);
    await batch.ack();
    this.stats.replayed += this.stats.stored - storedBefore;
    return "more";
  }

  /** Commits what is pending, then stops the replayer (the spool keeps the rest for next start). */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.pending.length > 0 || this.inFlight > 0) {
      await this.flush();
      await this.lock;
      if (this.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    }
    this.stopped = true;
    this.wake?.();
    await this.lock;
  }
}
