/**
 * Fever-clinic transfers (operational state, SQLite in gateway.db): an officer closes a person's
 * alert as `fever-clinic` and names the clinic (CLINICS); the transfer records which clinic, when
 * the person was handed over and by whom. The clinic's result comes back later (an officer types
 * what the clinic reported): excluded (not an infectious fever, person free), kept for observation,
 * admitted, or sent to home isolation. One transfer per alert; a result is recorded once.
 */
import { dayBounds, MessageError } from "@checkpoint/protocol";
import type Database from "better-sqlite3";

export const CLINIC_RESULTS = ["excluded", "observation", "admitted", "home-isolation"] as const;
export type ClinicResult = (typeof CLINIC_RESULTS)[number];

export interface Transfer {
  id: string;
  alert_id: string;
  subject: string;
  station: string;
  clinic: string;
  handed_over_at: string;
  handed_over_by: string;
  result: ClinicResult | null;
  result_at: string | null;
  result_by: string | null;
  result_note: string | null;
}

/** A change the roster or a transfer cannot make; its text comes from the message catalogue. */
export class TransferError extends MessageError<"transfer.not-found" | "transfer.has-result"> {
  override name = "TransferError";
}

export class Transfers {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS transfers (
      id TEXT PRIMARY KEY,
      alert_id TEXT NOT NULL UNIQUE,
      subject TEXT NOT NULL,
      station TEXT NOT NULL,
      clinic TEXT NOT NULL,
      handed_over_at TEXT NOT NULL,
      handed_over_by TEXT NOT NULL,
      result TEXT CHECK (result IS NULL OR result IN (${CLINIC_RESULTS.map((r) => `'${r}'`).join(", ")})),
      result_at TEXT, result_by TEXT, result_note TEXT
    );
    CREATE INDEX IF NOT EXISTS transfers_handed ON transfers (handed_over_at);
    CREATE INDEX IF NOT EXISTS transfers_open ON transfers (result, handed_over_at);`);
  }

  /** Records the handover of a closed alert's person to a clinic (idempotent by alert). */
  create(input: {
    alertId: string;
    subject: string;
    station: string;
    clinic: string;
    officer: string;
  }): Transfer {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO transfers (id, alert_id, subject, station, clinic, handed_over_at, handed_over_by)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        input.alertId,
        input.alertId,
        input.subject,
        input.station,
        input.clinic,
        new Date(this.now()).toISOString(),
        input.officer,
      );
    return this.require(input.alertId);
  }

  get(id: string): Transfer | undefined {
    return this.db.prepare("SELECT * FROM transfers WHERE id = ?").get(id) as Transfer | undefined;
  }

  private require(id: string): Transfer {
    const transfer = this.get(id);
    if (!transfer) throw new TransferError("transfer.not-found", { id: id });
    return transfer;
  }

  /**
   * The clinic's result, once. `alongside` runs in the same transaction (what follows from it: a
   * person sent home goes on the roster): both are written or neither is.
   */
  result(
    id: string,
    result: ClinicResult,
    officer: string,
    note: string,
    alongside?: (transfer: Transfer) => void,
  ): Transfer {
    const transfer = this.require(id);
    if (transfer.result !== null) throw new TransferError("transfer.has-result", { id: id });
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE transfers SET result = ?, result_at = ?, result_by = ?, result_note = ?
             WHERE id = ? AND result IS NULL`,
        )
        .run(result, new Date(this.now()).toISOString(), officer, note.slice(0, 500), id);
      alongside?.(transfer);
    })();
    return this.require(id);
  }

  /** Transfers of some people (a trace): newest first. */
  forSubjects(subjects: readonly string[]): Transfer[] {
    return this.db
      .prepare(
        "SELECT * FROM transfers WHERE subject IN (SELECT value FROM json_each(?)) ORDER BY handed_over_at DESC",
      )
      .all(JSON.stringify(subjects)) as Transfer[];
  }

  /** A page, newest first; `awaiting`: only those without the clinic's result. */
  page(filter: { awaiting?: boolean; limit: number; offset: number }): {
    total: number;
    transfers: Transfer[];
  } {
    const clause = filter.awaiting ? "WHERE result IS NULL" : "";
    const total = this.db.prepare(`SELECT count(*) FROM transfers ${clause}`).pluck().get() as number;
    const transfers = this.db
      .prepare(`SELECT * FROM transfers ${clause} ORDER BY handed_over_at DESC, id LIMIT ? OFFSET ?`)
      .all(filter.limit, filter.offset) as Transfer[];
    return { total, transfers };
  }

  /** Handed over on one local day, and results recorded that day, by result. */
  stats(
    day: string,
    timeZone: string,
  ): { transferred: number; results: Partial<Record<ClinicResult, number>> } {
    const { fromMs, toMs } = dayBounds(day, timeZone);
    const from = new Date(fromMs).toISOString();
    const to = new Date(toMs).toISOString();
    const transferred = this.db
      .prepare("SELECT count(*) FROM transfers WHERE handed_over_at >= ? AND handed_over_at < ?")
      .pluck()
      .get(from, to) as number;
    const rows = this.db
      .prepare(
        "SELECT result, count(*) AS n FROM transfers WHERE result_at >= ? AND result_at < ? GROUP BY result",
      )
      .all(from, to) as { result: ClinicResult; n: number }[];
    return { transferred, results: Object.fromEntries(rows.map((r) => [r.result, r.n])) };
  }

  /** Forgets transfers handed over more than `retentionDays` ago (their person's data). */
  prune(retentionDays: number): number {
    const before = new Date(this.now() - retentionDays * 86_400_000).toISOString();
    return this.db.prepare("DELETE FROM transfers WHERE handed_over_at < ?").run(before).changes;
  }
}
