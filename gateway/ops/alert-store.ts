/**
 * The duty officers' alert lifecycle, in SQLite (operational state, not time series):
 *   new → acknowledged → closed (with a disposition, the clinical thermometer's reading, a note
 *   and the officer's name). Transitions are checked here; each one is also returned as a point
 *   for InfluxDB so dashboards can count confirmed referrals.
 */

import { type FileHandle, open } from "node:fs/promises";
import { type Alert, type AlertKind, MessageError, type MessageKey } from "@checkpoint/protocol";
import type Database from "better-sqlite3";
import { TurnWriter } from "../ingest/turn-writer.ts";
import { alertPoint, type StoredPoint } from "../store/points.ts";

/** What an officer (or, for a device, a technician) closes an alert with. */
export const DISPOSITIONS = [
  "released",
  "home-isolation",
  "fever-clinic",
  "not-found",
  "device-repaired",
  "code-checked",
  "returned-home",
  "reading-taken",
] as const;
/**
 * The outcomes that fit each kind of alert: a person's alert ends with what became of the person;
 * a missed retest may also end with the person not found (handed to the community to trace); a
 * device's alert ends with the device repaired, never with a person "released". A yellow or red
 * code ends checked by hand (`code-checked`: the officer saw the platform's colour was wrong or has
 * changed) or with the person handed over; a breach with the person back home; a missed daily
 * reading with the reading taken late.
 */
export const DISPOSITIONS_BY_KIND: Readonly<Record<AlertKind, readonly OfficerDisposition[]>> = {
  fever: ["released", "home-isolation", "fever-clinic"],
  watchlist: ["released", "home-isolation", "fever-clinic"],
  "missed-retest": ["released", "home-isolation", "fever-clinic", "not-found"],
  "device-offline": ["device-repaired"],
  "health-code": ["code-checked", "home-isolation", "fever-clinic", "not-found"],
  "isolation-breach": ["returned-home", "fever-clinic", "not-found"],
  "isolation-missed": ["reading-taken", "fever-clinic", "not-found"],
  "isolation-fever": ["released", "fever-clinic"],
};
/**
 * What the gateway closes an alert with itself: `withdrawn`, a missed-retest alert whose person
 * did come back (their attempt 2 reached the gateway late, from an outbox after a network cut);
 * `device-back`, a device-offline alert whose device came back online; `reading-late`, an
 * isolation-missed alert whose day's reading was taken that day and arrived after its end.
 */
export const GATEWAY_DISPOSITIONS = ["withdrawn", "device-back", "reading-late"] as const;
export type OfficerDisposition = (typeof DISPOSITIONS)[number];
export type Disposition = OfficerDisposition | (typeof GATEWAY_DISPOSITIONS)[number];
const ALL_DISPOSITIONS: readonly string[] = [...DISPOSITIONS, ...GATEWAY_DISPOSITIONS];
/** Who closed an alert the gateway withdrew. */
export const GATEWAY_OFFICER = "gateway";
export type AlertState = "new" | "acknowledged" | "closed";

/** What happened to an alert after it was raised. */
export interface Lifecycle {
  state: AlertState;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  closed_by: string | null;
  closed_at: string | null;
  disposition: Disposition | null;
  clinical_c: number | null;
  note: string | null;
}

export interface AlertRecord extends Alert, Lifecycle {}

/** A change of state the alert cannot make; its text comes from the message catalogue. */
export class AlertTransitionError<K extends MessageKey = MessageKey> extends MessageError<K> {
  override name = "AlertTransitionError";
}

/** The lifecycle of an alert just raised. */
export const NEW_LIFECYCLE: Lifecycle = {
  state: "new",
  acknowledged_by: null,
  acknowledged_at: null,
  closed_by: null,
  closed_at: null,
  disposition: null,
  clinical_c: null,
  note: null,
};

interface Row extends Lifecycle {
  id: string;
  alert: string;
}

/**
 * A trace's alerts by pseudonym, the handover's and the report's by time: without these each was a
 * scan of every alert, parsing its JSON (150–190 ms at 300,000 alerts, on the main thread).
 */
const LOOKUP_INDEXES = `CREATE INDEX IF NOT EXISTS alerts_subject ON alerts (json_extract(alert, '$.subject'));
    CREATE INDEX IF NOT EXISTS alerts_raised ON alerts (raised_at);`;

/** A shift's summary (AlertStore.handover). */
export interface Handover {
  since: string;
  raised: { kind: string; n: number }[];
  closed: { disposition: string; officer: string; n: number }[];
  open: { kind: string; state: string; n: number; oldest: string }[];
}

/** Which alerts a console page lists (AlertStore.page). */
export interface AlertFilter {
  state: "open" | AlertState;
  station?: string;
  kind?: string;
  q?: string;
  limit: number;
  offset: number;
}

export class AlertStore {
  /** An alert was added since the last durability barrier. */
  private dirty = false;
  /** The last fsync of the WAL asked for: it covers every alert added before it was asked. */
  private lastSync: Promise<void> = Promise.resolve();
  private wal: Promise<FileHandle> | null = null;
  private readonly walPath: string | null;
  /** WAL fsyncs made for raised alerts (one per turn that raised any). */
  syncs = 0;
  private readonly insertRow: Database.Statement<[string, string, string, string, string]>;
  private readonly existsRow: Database.Statement<[string], unknown>;
  private readonly selectRow: Database.Statement<[string], Row>;
  private readonly barrierRow: Database.Statement<[string]>;
  private readonly openMissedRows: Database.Statement<[string, string, string], Row>;
  private readonly withdrawRow: Database.Statement<[string, string, string, string]>;
  private readonly openDeviceRows: Database.Statement<[string, string], Row>;
  private readonly resolveRow: Database.Statement<[string, string, string, string]>;
  /** Raised this turn, committed at its end (one transaction for all of them). */
  private readonly fresh = new Map<string, Alert>();
  private readonly writer: TurnWriter;

  constructor(
    private readonly db: Database.Database,
    /** The clinical fever line (policy fever_line_c): a referral is confirmed at or above it. */
    private readonly feverLineC: () => number,
    private readonly now: () => number = Date.now,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS alerts (
      id TEXT PRIMARY KEY,
      alert TEXT NOT NULL,
      station TEXT NOT NULL,
      kind TEXT NOT NULL,
      raised_at TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('new', 'acknowledged', 'closed')),
      acknowledged_by TEXT, acknowledged_at TEXT,
      closed_by TEXT, closed_at TEXT,
      disposition TEXT CHECK (disposition IS NULL OR disposition IN (${ALL_DISPOSITIONS.map((d) => `'${d}'`).join(", ")})),
      clinical_c REAL, note TEXT
    );
    CREATE TABLE IF NOT EXISTS alerts_barrier (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS alerts_open ON alerts (state, raised_at);
    CREATE INDEX IF NOT EXISTS alerts_station_day ON alerts (station, raised_at);
    -- The console's closed history (page(): newest closed first): without it, every load of that
    -- view sorted the whole history on the gateway's only thread (~250 ms at 200,000 alerts).
    CREATE INDEX IF NOT EXISTS alerts_closed ON alerts (state, closed_at, id);
    ${LOOKUP_INDEXES}`);
    migrateDispositions(db);
    this.insertRow = db.prepare(
      "INSERT OR IGNORE INTO alerts (id, alert, station, kind, raised_at, state) VALUES (?, ?, ?, ?, ?, 'new')",
    );
    this.existsRow = db.prepare("SELECT 1 FROM alerts WHERE id = ?").pluck();
    this.selectRow = db.prepare("SELECT * FROM alerts WHERE id = ?");
    this.barrierRow = db.prepare("INSERT OR REPLACE INTO alerts_barrier (id, at) VALUES (1, ?)");
    this.openMissedRows = db.prepare(
      `SELECT * FROM alerts WHERE station = ? AND kind = 'missed-retest' AND state = 'new'
         AND raised_at >= ? AND json_extract(alert, '$.subject') IN (SELECT value FROM json_each(?))`,
    );
    this.openDeviceRows = db.prepare(
      `SELECT * FROM alerts WHERE station = ? AND kind = 'device-offline' AND state != 'closed'
         AND json_extract(alert, '$.device') = ?`,
    );
    this.resolveRow = db.prepare(
      `UPDATE alerts SET state = 'closed', closed_by = ?, closed_at = ?, disposition = 'device-back', note = ?
         WHERE id = ? AND state != 'closed'`,
    );
    this.withdrawRow = db.prepare(
      `UPDATE alerts SET state = 'closed', closed_by = ?, closed_at = ?, disposition = 'withdrawn', note = ?
         WHERE id = ? AND state = 'new'`,
    );
    this.writer = new TurnWriter(db);
    this.walPath = db.memory ? null : `${db.name}-wal`;
    // The gateway's connection commits without waiting for the disk; what must be durable (a
    // raised alert before its PUBACK, an officer's acknowledge or close) is made so by a barrier.
    db.pragma("synchronous = NORMAL");
  }

  private toRecord(row: Row): AlertRecord {
    const { alert, ...rest } = row;
    return { ...(JSON.parse(alert) as Alert), ...rest };
  }

  /**
   * Records a raised alert; false when one with that id is already kept (idempotent by id).
   * The alerts raised in one event-loop turn are committed together at its end, without waiting
   * for the disk (an fsync per fever alert cost ~3 ms of the gateway's only thread); `durable()`
   * makes every alert added so far durable with one fsync. (The admin commands that register
   * devices and users never open an AlertStore, so their connections stay fully synchronous.)
   */
  add(alert: Alert): boolean {
    if (this.fresh.has(alert.id) || this.existsRow.get(alert.id) !== undefined) return false;
    this.fresh.set(alert.id, alert);
    this.dirty = true;
    void this.writer
      .write(() => {
        this.fresh.delete(alert.id);
        this.insertRow.run(alert.id, JSON.stringify(alert), alert.station, alert.kind, alert.raised_at);
      })
      .catch(() => undefined); // durable() reports it
    return true;
  }

  /** Commits a barrier with a full fsync: every earlier commit of this connection is on disk after. */
  private barrierNow(): void {
    this.dirty = false;
    this.db.pragma("synchronous = FULL");
    this.barrierRow.run(new Date(this.now()).toISOString());
    this.db.pragma("synchronous = NORMAL");
  }

  /**
   * Resolves once every alert added before it is on disk: their turn's transaction committed, then
   * one fsync of the WAL (gateway.db is in WAL mode, so its committed frames are all in that one
   * file), in the thread pool, off the event loop. One fsync per turn that raised alerts, whatever
   * their number. The ingest waits for it before a PUBACK, as it waits for the points.
   * `committed`: also whatever else was committed on this connection (the roster's daily readings
   * share gateway.db), whether or not an alert was raised.
   */
  durable(committed = false): Promise<void> {
    if (!this.dirty && !committed) return this.lastSync;
    this.dirty = false;
    const sync = this.writer
      .durable()
      .then(() => this.syncWal())
      .catch((error: Error) => {
        this.dirty = true;
        throw error;
      });
    this.lastSync = sync;
    return sync;
  }

  private async syncWal(): Promise<void> {
    if (this.walPath !== null) {
      this.wal ??= open(this.walPath, "r");
      const wal = this.wal;
      try {
        await (await wal).sync();
      } catch (error) {
        this.wal = null;
        await (await wal.catch(() => null))?.close().catch(() => undefined);
        throw error;
      }
    }
    this.syncs++;
  }

  /** Commits the alerts raised this turn now; call before the database is closed. */
  flush(): void {
    this.settle();
  }

  /** Commits what is pending and releases the WAL's file handle (the registry closes the database). */
  async release(): Promise<void> {
    this.settle();
    const wal = this.wal;
    this.wal = null;
    await (await wal?.catch(() => null))?.close().catch(() => undefined);
  }

  /** Commits the alerts raised this turn now (before an officer's change reads or updates them). */
  private settle(): void {
    this.writer.commitNow();
  }

  get(id: string): AlertRecord | null {
    const fresh = this.fresh.get(id);
    if (fresh) return { ...fresh, ...NEW_LIFECYCLE };
    const row = this.selectRow.get(id);
    return row ? this.toRecord(row) : null;
  }

  /**
   * One page of alerts, newest first, and how many match in all: open ones (new and acknowledged),
   * only new, only acknowledged, or closed (the history), optionally of one station and one kind,
   * and containing `q` in the station, device or pseudonym.
   */
  page(filter: AlertFilter): { total: number; alerts: AlertRecord[] } {
    this.settle();
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.state === "open") where.push("state != 'closed'");
    else {
      where.push("state = ?");
      args.push(filter.state);
    }
    if (filter.station) {
      where.push("station = ?");
      args.push(filter.station);
    }
    if (filter.kind) {
      where.push("kind = ?");
      args.push(filter.kind);
    }
    if (filter.q) {
      // A literal substring: LIKE's own wildcards in what the officer typed match themselves.
      const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(
        "(station LIKE ? ESCAPE '\\' OR json_extract(alert, '$.device') LIKE ? ESCAPE '\\' OR json_extract(alert, '$.subject') LIKE ? ESCAPE '\\')",
      );
      args.push(like, like, like);
    }
    const clause = where.join(" AND ");
    const order = filter.state === "closed" ? "closed_at DESC" : "raised_at DESC";
    const total = this.db
      .prepare(`SELECT count(*) FROM alerts WHERE ${clause}`)
      .pluck()
      .get(...args) as number;
    const rows = this.db
      .prepare(`SELECT * FROM alerts WHERE ${clause} ORDER BY ${order}, id DESC LIMIT ? OFFSET ?`)
      .all(...args, filter.limit, filter.offset) as Row[];
    return { total, alerts: rows.map((r) => this.toRecord(r)) };
  }

  /** Whether one of `subjects` has an alert of `kind` at `station` not yet closed. */
  hasOpen(kind: AlertKind, station: string, subjects: readonly string[]): boolean {
    this.settle();
    return (
      this.db
        .prepare(
          `SELECT 1 FROM alerts WHERE json_extract(alert, '$.subject') IN (SELECT value FROM json_each(?))
             AND kind = ? AND station = ? AND state != 'closed' LIMIT 1`,
        )
        .get(JSON.stringify(subjects), kind, station) !== undefined
    );
  }

  /** Every alert about any of `subjects` (one person's pseudonyms), oldest first (a trace). */
  forSubjects(subjects: readonly string[], limit = 500): AlertRecord[] {
    this.settle();
    return (
      this.db
        .prepare(
          `SELECT * FROM alerts WHERE json_extract(alert, '$.subject') IN (SELECT value FROM json_each(?))
             ORDER BY raised_at LIMIT ?`,
        )
        .all(JSON.stringify(subjects), limit) as Row[]
    ).map((r) => this.toRecord(r));
  }

  /**
   * What a duty officer hands over at the end of a shift (since `sinceIso`): alerts raised by kind,
   * closed by outcome and by whom, and what is still open now (new, acknowledged, the oldest).
   * `station`: of that station's alerts only (a township's summary is of the alerts raised to it).
   */
  handover(sinceIso: string, station?: string): Handover {
    this.settle();
    const at = station === undefined ? "" : "AND station = ?";
    const of = station === undefined ? [] : [station];
    const raised = this.db
      .prepare(
        `SELECT kind, count(*) AS n FROM alerts WHERE raised_at >= ? ${at} GROUP BY kind ORDER BY kind`,
      )
      .all(sinceIso, ...of) as { kind: string; n: number }[];
    const closed = this.db
      .prepare(
        `SELECT disposition, closed_by AS officer, count(*) AS n FROM alerts
           WHERE state = 'closed' AND closed_at >= ? ${at} GROUP BY disposition, closed_by ORDER BY n DESC`,
      )
      .all(sinceIso, ...of) as { disposition: string; officer: string; n: number }[];
    const open = this.db
      .prepare(
        `SELECT kind, state, count(*) AS n, min(raised_at) AS oldest FROM alerts
           WHERE state != 'closed' ${at} GROUP BY kind, state ORDER BY kind, state`,
      )
      .all(...of) as { kind: string; state: string; n: number; oldest: string }[];
    return { since: sinceIso, raised, closed, open };
  }

  /** Alerts not yet closed, newest first. */
  open(limit = 200): AlertRecord[] {
    this.settle();
    return (
      this.db
        .prepare("SELECT * FROM alerts WHERE state != 'closed' ORDER BY raised_at DESC LIMIT ?")
        .all(limit) as Row[]
    ).map((r) => this.toRecord(r));
  }

  /** Closed alerts per station and disposition between two instants (for the daily report). */
  dispositions(fromIso: string, toIso: string): { station: string; disposition: Disposition; n: number }[] {
    return this.db
      .prepare(
        `SELECT station, disposition, count(*) AS n FROM alerts
         WHERE state = 'closed' AND closed_at >= ? AND closed_at < ? GROUP BY station, disposition`,
      )
      .all(fromIso, toIso) as { station: string; disposition: Disposition; n: number }[];
  }

  acknowledge(id: string, officer: string): StoredPoint {
    this.settle();
    const current = this.require(id);
    if (current.state !== "new")
      throw new AlertTransitionError(
        current.state === "closed" ? "alert.already-closed" : "alert.already-acknowledged",
        { id },
      );
    const at = new Date(this.now()).toISOString();
    this.db
      .prepare(
        "UPDATE alerts SET state = 'acknowledged', acknowledged_by = ?, acknowledged_at = ? WHERE id = ?",
      )
      .run(officer, at, id);
    this.barrierNow();
    return this.point(this.require(id));
  }

  /**
   * Closes an alert. `alongside` runs in the close's own transaction (what follows from the
   * outcome: a roster entry, a transfer): both are written, durably, or neither is.
   */
  /**
   * Acknowledges every one of `ids` still new, in one transaction made durable once (a page of 50
   * was 50 fsyncs, seconds on a loaded disk); the others are skipped. Returns the changed alerts' points.
   */
  acknowledgeMany(
    ids: readonly string[],
    officer: string,
  ): { points: StoredPoint[]; ids: string[]; skipped: number } {
    this.settle();
    const at = new Date(this.now()).toISOString();
    const update = this.db.prepare(
      "UPDATE alerts SET state = 'acknowledged', acknowledged_by = ?, acknowledged_at = ? WHERE id = ? AND state = 'new'",
    );
    const changed = this.db.transaction(() =>
      [...new Set(ids)].filter((id) => update.run(officer, at, id).changes === 1),
    )();
    if (changed.length > 0) this.barrierNow();
    return {
      points: changed.map((id) => this.point(this.require(id))),
      ids: changed,
      skipped: new Set(ids).size - changed.length,
    };
  }

  close(
    id: string,
    officer: string,
    disposition: OfficerDisposition,
    clinicalC: number | null,
    note: string,
    alongside?: () => void,
  ): StoredPoint {
    this.settle();
    const current = this.require(id);
    if (current.state === "closed") throw new AlertTransitionError("alert.already-closed", { id });
    const fits = DISPOSITIONS_BY_KIND[current.kind] ?? DISPOSITIONS;
    if (!fits.includes(disposition)) {
      throw new AlertTransitionError("alert.bad-disposition", { dispositions: fits.join(", ") });
    }
    if (current.kind === "fever" && (clinicalC === null || !(clinicalC >= 34 && clinicalC <= 43))) {
      throw new AlertTransitionError("alert.clinical-required");
    }
    const at = new Date(this.now()).toISOString();
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE alerts SET state = 'closed', closed_by = ?, closed_at = ?, disposition = ?, clinical_c = ?, note = ?,
           acknowledged_by = COALESCE(acknowledged_by, ?), acknowledged_at = COALESCE(acknowledged_at, ?) WHERE id = ?`,
        )
        .run(officer, at, disposition, clinicalC, note.slice(0, 2000), officer, at, id);
      alongside?.();
    })();
    this.barrierNow();
    return this.point(this.require(id));
  }

  /**
   * A device is back online: its open device-offline alerts are closed as `device-back` by the
   * gateway (durable with the next durable(), like a withdrawal). Returns their points and alerts.
   */
  resolveDeviceOffline(
    station: string,
    device: string,
    note: string,
  ): { points: StoredPoint[]; alerts: AlertRecord[] } {
    this.settle();
    const rows = this.openDeviceRows.all(station, device);
    if (rows.length === 0) return { points: [], alerts: [] };
    const at = new Date(this.now()).toISOString();
    this.db.transaction(() => {
      for (const row of rows) this.resolveRow.run(GATEWAY_OFFICER, at, note.slice(0, 2000), row.id);
    })();
    this.dirty = true;
    const alerts = rows.map((r) => this.require(r.id));
    return { points: alerts.map((a) => this.point(a)), alerts };
  }

  /**
   * A late attempt 2 answers a missed-retest alert: the missed-retest alerts no officer has taken
   * up yet (`new`: one an officer acknowledged is theirs to close, with what they found) of
   * `station` for any of `subjects` (one person under each pseudonym key kept) whose retest was
   * taken at most `windowMs` before `answerTsMs` are closed as `withdrawn` by the gateway, with a
   * note naming the attempt 2. Returns their points (the dashboards and the console see them
   * closed) and the alerts, for publishing.
   */
  withdrawMissedRetest(
    station: string,
    subjects: readonly string[],
    answerTsMs: number,
    windowMs: number,
    note: string,
  ): { points: StoredPoint[]; alerts: AlertRecord[] } {
    this.settle();
    const rows = this.openMissedRows.all(
      station,
      new Date(answerTsMs - windowMs - 7 * 86_400_000).toISOString(),
      JSON.stringify(subjects),
    );
    const answered = rows
      .map((row) => this.toRecord(row))
      .filter((a) => {
        const retestMs = Date.parse(a.ts);
        return answerTsMs >= retestMs && answerTsMs <= retestMs + windowMs;
      });
    if (answered.length === 0) return { points: [], alerts: [] };
    const at = new Date(this.now()).toISOString();
    this.db.transaction(() => {
      for (const a of answered) this.withdrawRow.run(GATEWAY_OFFICER, at, note.slice(0, 2000), a.id);
    })();
    // Durable as raised alerts are: with the next durable() (one fsync per turn, off the event
    // loop, before the PUBACK), not one fsync in the ingest's thread per withdrawal.
    this.dirty = true;
    const alerts = answered.map((a) => this.require(a.id));
    return { points: alerts.map((a) => this.point(a)), alerts };
  }

  /**
   * An isolation-missed alert whose day's reading arrived late (taken that day) is closed as
   * `reading-late` by the gateway while no one has taken it up (`new`: one an officer or a
   * township acknowledged is theirs to close). Durable with the next durable(), like a withdrawn
   * missed retest. Null when it is not new (or not there).
   */
  withdrawMissedDay(id: string, note: string): { point: StoredPoint; alert: AlertRecord } | null {
    this.settle();
    const at = new Date(this.now()).toISOString();
    const closed = this.db
      .prepare(
        `UPDATE alerts SET state = 'closed', closed_by = ?, closed_at = ?, disposition = 'reading-late', note = ?
           WHERE id = ? AND kind = 'isolation-missed' AND state = 'new'`,
      )
      .run(GATEWAY_OFFICER, at, note.slice(0, 2000), id);
    if (closed.changes === 0) return null;
    this.dirty = true;
    const alert = this.require(id);
    return { point: this.point(alert), alert };
  }

  /**
   * Retention (RETENTION_DAYS, PIPL: no longer than needed): alerts raised before `beforeMs` lose
   * what is about the person: the pseudonym, the body temperature, the health code's colour and
   * the event it came from (in the alert), the clinical reading and the note. What the reports count stays: station, kind,
   * times, state, disposition and the officers who handled it. Open alerts too: an alert no one
   * closed within the period has outlived its purpose as well. Returns how many were cleared.
   */
  pruneBefore(beforeMs: number): number {
    this.settle();
    return this.db
      .prepare(
        `UPDATE alerts SET alert = json_remove(alert, '$.subject', '$.body_c', '$.event_id', '$.code_colour'),
           clinical_c = NULL, note = NULL
         WHERE raised_at < ? AND (json_type(alert, '$.subject') IS NOT NULL
           OR json_type(alert, '$.body_c') IS NOT NULL OR json_type(alert, '$.event_id') IS NOT NULL
           OR json_type(alert, '$.code_colour') IS NOT NULL
           OR clinical_c IS NOT NULL OR note IS NOT NULL)`,
      )
      .run(new Date(beforeMs).toISOString()).changes;
  }

  private require(id: string): AlertRecord {
    const record = this.get(id);
    if (!record) throw new AlertTransitionError("alert.not-found", { id });
    return record;
  }

  /**
   * The alert's current state as a point: the same identity as the point written when it was
   * raised (so dashboards see its latest state), with the outcome when it is closed. A fever
   * referral counts as confirmed when the clinical reading is at or above the fever line.
   */
  private point(record: AlertRecord): StoredPoint {
    const p = alertPoint(record, record.state);
    if (record.disposition) p.fields.disposition = record.disposition;
    if (record.clinical_c !== null) {
      p.fields.clinical_c = record.clinical_c;
      p.fields.confirmed = record.clinical_c >= this.feverLineC() ? 1 : 0;
    }
    return p;
  }
}

/**
 * A gateway.db made before the gateway could withdraw alerts has a CHECK that refuses
 * `withdrawn`: the table is rebuilt once with today's (SQLite cannot change a CHECK in place).
 */
function migrateDispositions(db: Database.Database): void {
  const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'alerts'").get() as
    | { sql: string }
    | undefined;
  if (!row || ALL_DISPOSITIONS.every((d) => row.sql.includes(`'${d}'`))) return;
  const create = row.sql.replace(
    /disposition IN \([^)]*\)/,
    `disposition IN (${ALL_DISPOSITIONS.map((d) => `'${d}'`).join(", ")})`,
  );
  db.transaction(() => {
    db.exec("ALTER TABLE alerts RENAME TO alerts_before_withdrawn");
    db.exec(create);
    db.exec("INSERT INTO alerts SELECT * FROM alerts_before_withdrawn");
    db.exec("DROP TABLE alerts_before_withdrawn");
    db.exec(`CREATE INDEX IF NOT EXISTS alerts_open ON alerts (state, raised_at);
      CREATE INDEX IF NOT EXISTS alerts_station_day ON alerts (station, raised_at);
      CREATE INDEX IF NOT EXISTS alerts_closed ON alerts (state, closed_at, id);
      ${LOOKUP_INDEXES}`);
  })();
}
