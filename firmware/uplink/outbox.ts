/**
 * The durable outbox: every screening is written here (SQLite, WAL, synchronous=FULL) before the
 * lane shows its verdict, and deleted only when the gateway's PUBACK arrives. It survives SIGKILL
 * and power loss; after hours offline it replays oldest first with the original timestamps.
 * It is bounded: a loud warning from `warnAt`, and when full, enqueue() refuses (the lane stops
 * screening and says so) — it never drops an event silently.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ScreeningEvent } from "@checkpoint/protocol";
import Database from "better-sqlite3";
import type { Logger } from "pino";

export interface OutboxEntry {
  id: string;
  topic: string;
  payload: string;
}

export class Outbox {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly oldest: Database.Statement;
  private readonly count: Database.Statement;
  private warned = false;
  depth: number;

  constructor(
    path: string,
    readonly capacity: number,
    private readonly log: Logger,
    private readonly warnAt = Math.floor(capacity * 0.8),
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(`CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, topic TEXT NOT NULL, payload TEXT NOT NULL)`);
    this.insert = this.db.prepare("INSERT OR IGNORE INTO outbox (id, topic, payload) VALUES (?, ?, ?)");
    this.remove = this.db.prepare("DELETE FROM outbox WHERE id = ?");
    this.oldest = this.db.prepare("SELECT id, topic, payload FROM outbox ORDER BY seq LIMIT ?");
    this.count = this.db.prepare("SELECT count(*) AS n FROM outbox");
    this.depth = (this.count.get() as { n: number }).n;
  }

  get full(): boolean {
    return this.depth >= this.capacity;
  }

  /** Durably stores an event; false (and a loud error) when the outbox is full. */
  enqueue(topic: string, event: ScreeningEvent): boolean {
    if (this.full) {
      this.log.error(
        { depth: this.depth, capacity: this.capacity },
        "firmware:outbox: FULL — the lane has stopped screening. Restore the network link to the gateway.",
      );
      return false;
    }
    this.insert.run(event.id, topic, JSON.stringify(event));
    this.depth++;
    if (this.depth >= this.warnAt && !this.warned) {
      this.warned = true;
      this.log.warn(
        { depth: this.depth, capacity: this.capacity },
        "firmware:outbox: nearly full — the gateway has not acknowledged events for a long time; check the network",
      );
    }
    return true;
  }

  /** The oldest `n` events, in the order they were taken. */
  peek(n: number): OutboxEntry[] {
    return this.oldest.all(n) as OutboxEntry[];
  }

  /** The gateway acknowledged this event. */
  ack(id: string): void {
    if (this.remove.run(id).changes > 0) this.depth--;
    if (this.depth < this.warnAt) this.warned = false;
  }

  close(): void {
    this.db.close();
  }
}
