/**
 * The retest tracker's journal in SQLite (in `events.db`, beside the event ledger; WAL,
 * synchronous=NORMAL: a pending retest survives a crash of the gateway process). One row per person
 * waiting for attempt 2 at a station; the tracker keeps its working copy in memory and writes
 * through events.db's writer (events-db.ts: one transaction per event-loop turn, off the event loop);
 * `durable()` resolves once those writes are committed, and the ingest waits for it before a PUBACK.
 */
import { EventsDb } from "./events-db.ts";
import type { PendingRetest, RetestJournal } from "./retest-tracker.ts";

interface Row {
  station: string;
  subject: string;
  device: string;
  event_id: string;
  body_c: number;
  ts_ms: number;
  received_ms: number;
}

export class SqliteRetestJournal implements RetestJournal {
  /** `owned`: this journal opened the database and closes it. */
  constructor(
    private readonly events: EventsDb,
    private readonly owned = false,
  ) {}

  /** A journal with a database of its own (tests, tools). */
  static open(path: string): SqliteRetestJournal {
    return new SqliteRetestJournal(EventsDb.open(path), true);
  }

  /** What is pending, as committed (call at start, before any write). */
  load(): PendingRetest[] {
    const rows = this.events.db.prepare("SELECT * FROM pending_retests ORDER BY received_ms").all() as Row[];
    return rows.map((r) => ({
      station: r.station,
      subject: r.subject,
      device: r.device,
      eventId: r.event_id,
      bodyC: r.body_c,
      tsMs: r.ts_ms,
      receivedMs: r.received_ms,
    }));
  }

  put(e: PendingRetest): void {
    this.events
      .write(["retestPut", e.station, e.subject, e.device, e.eventId, e.bodyC, e.tsMs, e.receivedMs])
      .catch(() => undefined); // durable() reports it
  }

  remove(station: string, subject: string): void {
    this.events.write(["retestRemove", station, subject]).catch(() => undefined);
  }

  durable(): Promise<void> {
    return this.events.durable();
  }

  async close(): Promise<void> {
    if (this.owned) await this.events.close();
  }
}
