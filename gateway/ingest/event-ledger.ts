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
import type { EntryKind, ScreenedCodeColour, Verdict } from "@checkpoint/protocol";
import type Database from "better-sqlite3";
import { BloomFilter } from "./bloom.ts";
import { EventsDb } from "./events-db.ts";

export interface LedgerEntry {
  id: string;
  /** The point's timestamp, ns digits. */
  pointNs: string;
  verdict: Verdict;
  receivedMs: number;
}

/** One screening in the subject index: who (the stored pseudonym), when, where, what was found. */
export interface TraceRow {
  subject: string;
  atMs: number;
  station: string;
  device: string;
  attempt: number;
  verdict: Verdict;
  bodyC: number;
  /** How the person was identified; null for a lane older than issue 11 (it did not say). */
  entry?: EntryKind | null;
  /** The health code's colour the lane learnt; null when it sent none. */
  codeColour?: ScreenedCodeColour | null;
}

/** One page of a station's visitor log (newest first) and how many screenings the day has. */
export interface VisitorPage {
  total: number;
  rows: TraceRow[];
}

interface Row {
  id: string;
  point_ns: string;
  verdict: Verdict;
  received_ms: number;
}

/** Ids the Bloom filter is sized for: a month of a large city's screenings. */
const BLOOM_CAPACITY = 4_000_000;

export class EventLedger {
  /** Recorded, not yet committed: what a lookup must see meanwhile. */
  private buffer = new Map<string, LedgerEntry>();
  /** Every id in the ledger is in here: a "no" skips the SQLite lookup (nearly every event). */
  private readonly seen = new BloomFilter(BLOOM_CAPACITY);
  private readonly find: Database.Statement<[string], Row>;
  private readonly findTraces: Database.Statement<[string, number, number], TraceRow>;
  private readonly findVisitors: Database.Statement<[string, number, number, number, number], TraceRow>;
  private readonly countVisitors: Database.Statement<[string, number, number], { n: number }>;
  private committing: Promise<number> | null = null;
  private turnEntries: LedgerEntry[] = [];

  /** `owned`: this ledger opened the database and closes it. */
  constructor(
    private readonly events: EventsDb,
    private readonly owned = false,
  ) {
    this.find = events.db.prepare("SELECT id, point_ns, verdict, received_ms FROM events WHERE id = ?");
    this.findTraces = events.db.prepare(
      `SELECT subject, at_ms AS atMs, station, device, attempt, verdict, body_c AS bodyC, entry,
              code_colour AS codeColour FROM traces
         WHERE subject IN (SELECT value FROM json_each(?)) AND at_ms >= ? ORDER BY at_ms LIMIT ?`,
    );
    this.findVisitors = events.db.prepare(
      `SELECT subject, at_ms AS atMs, station, device, attempt, verdict, body_c AS bodyC, entry FROM traces
         WHERE station = ? AND at_ms >= ? AND at_ms < ? ORDER BY at_ms DESC, event_key DESC LIMIT ? OFFSET ?`,
    );
    this.countVisitors = events.db.prepare(
      "SELECT count(*) AS n FROM traces WHERE station = ? AND at_ms >= ? AND at_ms < ?",
    );
    for (const row of events.db.prepare("SELECT id FROM events").pluck().iterate())
      this.seen.add(row as string);
  }

  /** A ledger with a database of its own (tests, tools). */
  static open(path: string): EventLedger {
    return new EventLedger(EventsDb.open(path), true);
  }

  /** False when the ledger has certainly never recorded this id (its Bloom filter). */
  mightHave(id: string): boolean {
    return this.seen.mightContain(id);
  }

  lookup(id: string): LedgerEntry | undefined {
    if (!this.seen.mightContain(id)) return undefined;
    const pending = this.buffer.get(id);
    if (pending) return pending;
    const row = this.find.get(id);
    return row && { id: row.id, pointNs: row.point_ns, verdict: row.verdict, receivedMs: row.received_ms };
  }

  /**
   * Resolves once the entry is committed (with the others of this turn); `trace`, the screening's
   * row of the subject index, in the same transaction.
   */
  record(entry: LedgerEntry, trace?: TraceRow): Promise<void> {
    if (this.buffer.has(entry.id)) return this.events.durable();
    this.buffer.set(entry.id, entry);
    this.seen.add(entry.id);
    if (trace) {
      void this.events
        .write([
          "traceInsert",
          entry.id,
          trace.subject,
          trace.atMs,
          trace.station,
          trace.device,
          trace.attempt,
          trace.verdict,
          trace.bodyC,
          trace.entry ?? null,
          trace.codeColour ?? null,
        ])
        .catch(() => undefined); // the ledger insert of the same turn reports a failed commit
    }
    const turn = this.events.write([
      "ledgerInsert",
      entry.id,
      entry.pointNs,
      entry.verdict,
      entry.receivedMs,
    ]);
    if (this.committing !== turn) {
      // The first entry of this turn: once the turn is committed, its entries leave the buffer.
      this.committing = turn;
      const entries: LedgerEntry[] = [];
      this.turnEntries = entries;
      turn.then(
        () => {
          for (const e of entries) if (this.buffer.get(e.id) === e) this.buffer.delete(e.id);
        },
        () => undefined, // the callers see it; their entries stay until forgotten
      );
    }
    this.turnEntries.push(entry);
    return turn as Promise<unknown> as Promise<void>;
  }

  /**
   * Forgets one entry whose points could not be stored, so its retry is not taken for a replay.
   * (Its insert may still be queued: the delete is queued after it.)
   */
  forget(id: string): void {
    this.buffer.delete(id);
    this.events.write(["ledgerDelete", id]).catch(() => undefined);
    this.events.write(["traceDelete", id]).catch(() => undefined);
  }

  /**
   * Every screening of any of `subjects` (one person's pseudonyms) at or after `sinceMs`, oldest
   * first; at most `limit`. Committed rows only (a screening of this very turn shows a moment later).
   */
  traces(subjects: readonly string[], sinceMs: number, limit = 5000): TraceRow[] {
    if (subjects.length === 0) return [];
    return this.findTraces.all(JSON.stringify(subjects), sinceMs, limit) as TraceRow[];
  }

  /**
   * A station's visitor log: its screenings in [fromMs, toMs) (a local day), newest first, one
   * page of `limit` from `offset`, with the day's total. Committed rows only.
   */
  visitors(station: string, fromMs: number, toMs: number, limit: number, offset: number): VisitorPage {
    const { n } = this.countVisitors.get(station, fromMs, toMs) ?? { n: 0 };
    return { total: n, rows: this.findVisitors.all(station, fromMs, toMs, limit, offset) as TraceRow[] };
  }

  /** Forgets the subject index's rows before `beforeMs` (RETENTION_DAYS); resolves to how many. */
  pruneTraces(beforeMs: number): Promise<number> {
    return this.events.runAlone(["tracePrune", beforeMs]);
  }

  /** Forgets entries received before `beforeMs`; resolves to how many. */
  prune(beforeMs: number): Promise<number> {
    return this.events.runAlone(["ledgerPrune", beforeMs]);
  }

  async close(): Promise<void> {
    if (this.owned) await this.events.close();
  }
}
