/**
 * The event ledger: what the gateway decided for every screening it took in, by event id, kept in
 * SQLite beside the registry (its own file, `events.db`). It makes a replay the same event, across
 * restarts and policy changes: a screening re-sent after a lost PUBACK, or replayed from an outbox
 * after a gateway restart, is written as exactly the point the first delivery wrote (same
 * timestamp, same verdict tag), and counted as a duplicate. Without it, a replay under a changed
 * policy would write a second point (the verdict is a tag), and an event stored at the gateway's
 * receive time (a lane with a wrong clock) would get a new time on every delivery.
 *
 * Rows are written in one transaction per event-loop turn (group commit), and the PUBACK waits for
 * that transaction as it waits for the point itself. WAL with synchronous=NORMAL: a committed row
 * survives a crash of the gateway process; after a power cut the last rows may be gone, and their
 * replays are then recomputed (identical unless the lane's clock was flagged or the policy changed
 * in between). Rows older than `keepMs` are pruned; an outbox replay older than that is rare enough
 * (a lost PUBACK and a month offline) to be recomputed.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Verdict } from "@checkpoint/protocol";
import Database from "better-sqlite3";
import { BloomFilter } from "./bloom.ts";
import { TurnWriter } from "./turn-writer.ts";

export interface LedgerEntry {
  id: string;
  /** The point's timestamp, ns digits. */
  pointNs: string;
  verdict: Verdict;
  receivedMs: number;
}

interface Row {
  id: string;
  point_ns: string;
  verdict: Verdict;
  received_ms: number;
}

/**
 * `events.db`, the gateway's high-rate SQLite file (the ledger, the retest journal): WAL with
 * synchronous=NORMAL, so a committed row survives a crash of the process without an fsync per row.
 */
export function openEventsDb(path: string): Database.Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  return db;
}

/** Ids the Bloom filter is sized for: a month of a large city's screenings. */
const BLOOM_CAPACITY = 4_000_000;

export class EventLedger {
  private buffer = new Map<string, LedgerEntry>();
  /** Every id in the ledger is in here: a "no" skips the SQLite lookup (nearly every event). */
  private readonly seen = new BloomFilter(BLOOM_CAPACITY);
  private readonly writer: TurnWriter;
  private readonly find: Database.Statement<[string], Row>;
  private readonly insert: Database.Statement<[string, string, string, number]>;

  private constructor(private readonly db: Database.Database) {
    this.find = db.prepare("SELECT id, point_ns, verdict, received_ms FROM events WHERE id = ?");
    this.insert = db.prepare(
      "INSERT OR IGNORE INTO events (id, point_ns, verdict, received_ms) VALUES (?, ?, ?, ?)",
    );
    this.writer = new TurnWriter(db);
    for (const row of db.prepare("SELECT id FROM events").pluck().iterate()) this.seen.add(row as string);
  }

  static open(path: string): EventLedger {
    const db = openEventsDb(path);
    db.exec(`CREATE TABLE IF NOT EXISTS events (
      id TEXT PRIMARY KEY,
      point_ns TEXT NOT NULL,
      verdict TEXT NOT NULL,
      received_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS events_received ON events (received_ms);`);
    return new EventLedger(db);
  }

  lookup(id: string): LedgerEntry | undefined {
    if (!this.seen.mightContain(id)) return undefined;
    const pending = this.buffer.get(id);
    if (pending) return pending;
    const row = this.find.get(id);
    return row && { id: row.id, pointNs: row.point_ns, verdict: row.verdict, receivedMs: row.received_ms };
  }

  /** Resolves once the entry is committed (with the others of this turn). */
  record(entry: LedgerEntry): Promise<void> {
    if (this.buffer.has(entry.id)) return this.writer.durable();
    this.buffer.set(entry.id, entry);
    this.seen.add(entry.id);
    return this.writer.write(() => {
      if (this.buffer.get(entry.id) !== entry) return; // forgotten since: its points were not stored
      this.insert.run(entry.id, entry.pointNs, entry.verdict, entry.receivedMs);
      this.buffer.delete(entry.id);
    });
  }

  /** Forgets one entry whose points could not be stored, so its retry is not taken for a replay. */
  forget(id: string): void {
    this.buffer.delete(id);
    this.db.prepare("DELETE FROM events WHERE id = ?").run(id);
  }

  /** Forgets entries received before `beforeMs`; returns how many. */
  prune(beforeMs: number): number {
    return this.db.prepare("DELETE FROM events WHERE received_ms < ?").run(beforeMs).changes;
  }

  close(): void {
    this.writer.commitNow();
    this.db.close();
  }
}
