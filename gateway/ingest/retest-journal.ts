/**
 * The retest tracker's journal in SQLite (in `events.db`, beside the event ledger; WAL,
 * synchronous=NORMAL: a pending retest survives a crash of the gateway process). One row per person
 * waiting for attempt 2 at a station; the tracker keeps its working copy in memory and writes
 * through, one transaction per event-loop turn; `durable()` resolves once those writes are
 * committed, and the ingest waits for it before a PUBACK.
 */
import type Database from "better-sqlite3";
import { openEventsDb } from "./event-ledger.ts";
import type { PendingRetest, RetestJournal } from "./retest-tracker.ts";
import { TurnWriter } from "./turn-writer.ts";

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
  private readonly putRow: Database.Statement<[Row]>;
  private readonly removeRow: Database.Statement<[string, string]>;
  private readonly writer: TurnWriter;

  private constructor(private readonly db: Database.Database) {
    this.putRow = db.prepare(
      `INSERT OR REPLACE INTO pending_retests (station, subject, device, event_id, body_c, ts_ms, received_ms)
       VALUES (@station, @subject, @device, @event_id, @body_c, @ts_ms, @received_ms)`,
    );
    this.removeRow = db.prepare("DELETE FROM pending_retests WHERE station = ? AND subject = ?");
    this.writer = new TurnWriter(db);
  }

  static open(path: string): SqliteRetestJournal {
    const db = openEventsDb(path);
    db.exec(`CREATE TABLE IF NOT EXISTS pending_retests (
      station TEXT NOT NULL,
      subject TEXT NOT NULL,
      device TEXT NOT NULL,
      event_id TEXT NOT NULL,
      body_c REAL NOT NULL,
      ts_ms INTEGER NOT NULL,
      received_ms INTEGER NOT NULL,
      PRIMARY KEY (station, subject)
    ) WITHOUT ROWID`);
    return new SqliteRetestJournal(db);
  }

  load(): PendingRetest[] {
    this.writer.commitNow();
    const rows = this.db.prepare("SELECT * FROM pending_retests ORDER BY received_ms").all() as Row[];
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
    const row: Row = {
      station: e.station,
      subject: e.subject,
      device: e.device,
      event_id: e.eventId,
      body_c: e.bodyC,
      ts_ms: e.tsMs,
      received_ms: e.receivedMs,
    };
    void this.writer.write(() => this.putRow.run(row)).catch(() => undefined);
  }

  remove(station: string, subject: string): void {
    void this.writer.write(() => this.removeRow.run(station, subject)).catch(() => undefined);
  }

  durable(): Promise<void> {
    return this.writer.durable();
  }

  close(): void {
    this.writer.commitNow();
    this.db.close();
  }
}
