/**
 * The home-isolation roster (operational state, SQLite in gateway.db):
 * - An officer closes a person's alert as `home-isolation` and names the township: the person
 *   (their stored pseudonym) goes on the roster from now to the end of the local day `days`
 *   later (ISOLATION_DAYS; days are cut in the gateway's TIME_ZONE). One entry per alert.
 * - A temperature is due every local day after the day of the handover: from a community worker's
 *   device (MQTT `home-reading`) or typed in the console. A day that ends without one is a missed
 *   day, found once (sweep()) and raised once as an `isolation-missed` alert by the caller.
 * - The entry ends by itself after its end date (`completed`) or earlier by an officer (`ended`,
 *   with a reason). While it is active, the person scanned at any checkpoint is a breach.
 * Pseudonyms are the only link to the person (an entry follows them to the current key's pseudonym
 * each time they are read or scanned); the roster is pruned with the alerts' personal data
 * (RETENTION_DAYS after an entry ends).
 */
import { addDays, dayBounds, dayIn, MessageError } from "@checkpoint/protocol";
import type Database from "better-sqlite3";

export type RosterState = "active" | "completed" | "ended";

export interface RosterEntry {
  id: string;
  subject: string;
  township: string;
  /** The alert whose handover started it. */
  alert_id: string;
  /** Where the person was screened (the alert's station). */
  station: string;
  start_at: string;
  /** The last local day of isolation (YYYY-MM-DD). */
  end_day: string;
  created_by: string;
  state: RosterState;
  ended_at: string | null;
  ended_by: string | null;
  end_reason: string | null;
}

export interface HomeReadingRow {
  id: string;
  roster_id: string;
  at: string;
  day: string;
  body_c: number;
  method: string;
  /** The worker's device ("station/device") or the officer who typed it. */
  source: string;
}

export interface RosterView extends RosterEntry {
  readings: number;
  last_reading_at: string | null;
  last_body_c: number | null;
  /** Whether today's (local) reading is in. */
  read_today: boolean;
  missed_days: number;
}

export interface RosterStats {
  active: number;
  read_today: number;
  admitted: number;
  ended: number;
}

const DAY_MS = 86_400_000;

/** A change the roster or a transfer cannot make; its text comes from the message catalogue. */
export class RosterError extends MessageError<"roster.not-found" | "roster.not-active"> {
  override name = "RosterError";
}

export class IsolationRoster {
  private activeRow: Database.Statement<[string]> | null = null;
  constructor(
    private readonly db: Database.Database,
    private readonly options: { days: () => number; timeZone: string; now: () => number },
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS isolation_roster (
      id TEXT PRIMARY KEY,
      subject TEXT NOT NULL,
      township TEXT NOT NULL,
      alert_id TEXT NOT NULL UNIQUE,
      station TEXT NOT NULL,
      start_at TEXT NOT NULL,
      end_day TEXT NOT NULL,
      created_by TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('active', 'completed', 'ended')),
      ended_at TEXT, ended_by TEXT, end_reason TEXT
    );
    CREATE INDEX IF NOT EXISTS roster_subject ON isolation_roster (subject, state);
    CREATE INDEX IF NOT EXISTS roster_township ON isolation_roster (township, state, start_at);
    CREATE TABLE IF NOT EXISTS isolation_readings (
      id TEXT PRIMARY KEY,
      roster_id TEXT NOT NULL,
      at TEXT NOT NULL,
      day TEXT NOT NULL,
      body_c REAL NOT NULL,
      method TEXT NOT NULL,
      source TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS readings_roster_day ON isolation_readings (roster_id, day);
    CREATE TABLE IF NOT EXISTS isolation_missed (
      roster_id TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (roster_id, day)
    );`);
  }

  private today(): string {
    return dayIn(this.options.now(), this.options.timeZone);
  }

  /**
   * Puts the person of a closed alert on the roster (idempotent by alert). A person already on it
   * (a second alert about them handed over too) has their earlier entry ended by this handover:
   * one active entry per person, or the readings, found by the person, would go to the latest
   * entry and every day of the earlier one would read as missed.
   */
  admit(input: {
    subject: string;
    township: string;
    alertId: string;
    station: string;
    officer: string;
  }): RosterEntry {
    const now = this.options.now();
    const start = new Date(now).toISOString();
    const endDay = addDays(dayIn(now, this.options.timeZone), this.options.days());
    const inserted = this.db
      .prepare(
        `INSERT OR IGNORE INTO isolation_roster
           (id, subject, township, alert_id, station, start_at, end_day, created_by, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active')`,
      )
      .run(
        input.alertId,
        input.subject,
        input.township,
        input.alertId,
        input.station,
        start,
        endDay,
        input.officer,
      );
    if (inserted.changes > 0)
      this.db
        .prepare(
          `UPDATE isolation_roster SET state = 'ended', ended_at = ?, ended_by = ?, end_reason = ?
             WHERE subject = ? AND state = 'active' AND id != ?`,
        )
        .run(
          start,
          input.officer,
          `handed over again (alert ${input.alertId})`,
          input.subject,
          input.alertId,
        );
    return this.require(input.alertId);
  }

  get(id: string): RosterEntry | undefined {
    return this.db.prepare("SELECT * FROM isolation_roster WHERE id = ?").get(id) as RosterEntry | undefined;
  }

  private require(id: string): RosterEntry {
    const entry = this.get(id);
    if (!entry) throw new RosterError("roster.not-found", { id: id });
    return entry;
  }

  /** The active entry of any of `subjects` (one person under every pseudonym key kept), if any. */
  activeFor(subjects: readonly string[]): RosterEntry | undefined {
    if (subjects.length === 0) return undefined;
    // Asked for every screening (a breach?): prepared once, not per call.
    this.activeRow ??= this.db.prepare(
      `SELECT * FROM isolation_roster WHERE state = 'active'
         AND subject IN (SELECT value FROM json_each(?)) ORDER BY start_at DESC LIMIT 1`,
    );
    return this.activeRow.get(JSON.stringify(subjects)) as RosterEntry | undefined;
  }

  /**
   * The entry takes the person's pseudonym under the current key (`subject`, found under an older
   * one): after a key rotation the older key is destroyed at RETENTION_DAYS, which may come before
   * the isolation's end (ISOLATION_DAYS is up to 60), and the roster would lose the person.
   */
  follow(entry: RosterEntry, subject: string): void {
    if (entry.subject === subject) return;
    this.db
      .prepare("UPDATE isolation_roster SET subject = ? WHERE id = ? AND state = 'active'")
      .run(subject, entry.id);
  }

  /** The townships with people on their roster now, and how many each. */
  activeTownships(): { township: string; active: number }[] {
    return this.db
      .prepare(
        "SELECT township, count(*) AS active FROM isolation_roster WHERE state = 'active' GROUP BY township ORDER BY township",
      )
      .all() as { township: string; active: number }[];
  }

  /** Every entry of some people (a trace), newest first. */
  forSubjects(subjects: readonly string[]): RosterEntry[] {
    return this.db
      .prepare(
        "SELECT * FROM isolation_roster WHERE subject IN (SELECT value FROM json_each(?)) ORDER BY start_at DESC",
      )
      .all(JSON.stringify(subjects)) as RosterEntry[];
  }

  /**
   * Records a daily temperature for an active entry; null when that reading id is already kept
   * (a device's retry), else its local day (`atMs` decides it) and whether that day had been
   * found missed (the reading was taken that day and delivered after its end: the day is missed
   * no more, and its alert is the caller's to withdraw).
   */
  record(
    entry: RosterEntry,
    reading: { id: string; atMs: number; bodyC: number; method: string; source: string },
  ): { day: string; wasMissed: boolean } | null {
    if (entry.state !== "active") throw new RosterError("roster.not-active", { id: entry.id });
    const day = dayIn(reading.atMs, this.options.timeZone);
    return this.db.transaction(() => {
      const info = this.db
        .prepare(
          `INSERT OR IGNORE INTO isolation_readings (id, roster_id, at, day, body_c, method, source)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          reading.id,
          entry.id,
          new Date(reading.atMs).toISOString(),
          day,
          reading.bodyC,
          reading.method,
          reading.source,
        );
      if (info.changes === 0) return null;
      const unmissed = this.db
        .prepare("DELETE FROM isolation_missed WHERE roster_id = ? AND day = ?")
        .run(entry.id, day);
      return { day, wasMissed: unmissed.changes > 0 };
    })();
  }

  /**
   * What an entry's missed day raises its isolation-missed alert from: the entry and the day, at
   * the day's end (so the same alert id however often, or late, the sweep finds it).
   */
  missedCause(entryId: string, day: string): { causeKey: string; causeMs: number } {
    return { causeKey: `${entryId}/${day}`, causeMs: dayBounds(day, this.options.timeZone).toMs };
  }

  readings(rosterId: string): HomeReadingRow[] {
    return this.db
      .prepare("SELECT * FROM isolation_readings WHERE roster_id = ? ORDER BY at")
      .all(rosterId) as HomeReadingRow[];
  }

  /** Ends an active entry before its date. */
  end(id: string, officer: string, reason: string): RosterEntry {
    const entry = this.require(id);
    if (entry.state !== "active") throw new RosterError("roster.not-active", { id: id });
    this.db
      .prepare(
        `UPDATE isolation_roster SET state = 'ended', ended_at = ?, ended_by = ?, end_reason = ?
           WHERE id = ? AND state = 'active'`,
      )
      .run(new Date(this.options.now()).toISOString(), officer, reason.slice(0, 500), id);
    return this.require(id);
  }

  /**
   * Ends the person's active entry, if any (they went to a fever clinic: not at home, no reading
   * due there; a clinic that sends them home puts them on a roster again).
   */
  endFor(subject: string, officer: string, reason: string): void {
    this.db
      .prepare(
        `UPDATE isolation_roster SET state = 'ended', ended_at = ?, ended_by = ?, end_reason = ?
           WHERE subject = ? AND state = 'active'`,
      )
      .run(new Date(this.options.now()).toISOString(), officer, reason.slice(0, 500), subject);
  }

  /**
   * The periodic pass: entries past their end day become `completed`; every local day that has
   * ended without a reading for an active entry (from the day after its start to yesterday) is
   * returned once, for an `isolation-missed` alert. `onMissed` raises that alert before the day is
   * marked found, in the pass's transaction: should it throw, nothing of the pass is kept and the
   * next pass finds those days again (the alerts' ids come from their cause: no day is raised twice).
   */
  sweep(onMissed?: (entry: RosterEntry, day: string) => void): {
    completed: RosterEntry[];
    missed: { entry: RosterEntry; day: string }[];
  } {
    const today = this.today();
    const nowIso = new Date(this.options.now()).toISOString();
    const completed = this.db
      .prepare("SELECT * FROM isolation_roster WHERE state = 'active' AND end_day < ?")
      .all(today) as RosterEntry[];
    const missed: { entry: RosterEntry; day: string }[] = [];
    const hasReading = this.db
      .prepare("SELECT 1 FROM isolation_readings WHERE roster_id = ? AND day = ?")
      .pluck();
    const wasMissed = this.db
      .prepare("SELECT 1 FROM isolation_missed WHERE roster_id = ? AND day = ?")
      .pluck();
    const markMissed = this.db.prepare(
      "INSERT OR IGNORE INTO isolation_missed (roster_id, day) VALUES (?, ?)",
    );
    this.db.transaction(() => {
      const active = this.db
        .prepare("SELECT * FROM isolation_roster WHERE state = 'active'")
        .all() as RosterEntry[];
      for (const entry of active) {
        const first = addDays(dayIn(Date.parse(entry.start_at), this.options.timeZone), 1);
        const last = entry.end_day < today ? entry.end_day : addDays(today, -1);
        for (let day = first; day <= last; day = addDays(day, 1)) {
          if (hasReading.get(entry.id, day) !== undefined || wasMissed.get(entry.id, day) !== undefined)
            continue;
          onMissed?.(entry, day);
          markMissed.run(entry.id, day);
          missed.push({ entry, day });
        }
      }
      for (const entry of completed)
        this.db
          .prepare(
            "UPDATE isolation_roster SET state = 'completed', ended_at = ? WHERE id = ? AND state = 'active'",
          )
          .run(nowIso, entry.id);
    })();
    return { completed: completed.map((e) => this.require(e.id)), missed };
  }

  /** A page of the roster, newest first, with each entry's readings summed up. */
  page(filter: { township?: string; state?: RosterState; limit: number; offset: number }): {
    total: number;
    entries: RosterView[];
  } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.township) {
      where.push("r.township = ?");
      args.push(filter.township);
    }
    if (filter.state) {
      where.push("r.state = ?");
      args.push(filter.state);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const total = this.db
      .prepare(`SELECT count(*) FROM isolation_roster r ${clause}`)
      .pluck()
      .get(...args) as number;
    const rows = this.db
      .prepare(
        `SELECT r.*,
           (SELECT count(*) FROM isolation_readings x WHERE x.roster_id = r.id) AS readings,
           (SELECT max(at) FROM isolation_readings x WHERE x.roster_id = r.id) AS last_reading_at,
           (SELECT body_c FROM isolation_readings x WHERE x.roster_id = r.id ORDER BY at DESC LIMIT 1) AS last_body_c,
           EXISTS (SELECT 1 FROM isolation_readings x WHERE x.roster_id = r.id AND x.day = ?) AS read_today,
           (SELECT count(*) FROM isolation_missed m WHERE m.roster_id = r.id) AS missed_days
         FROM isolation_roster r ${clause}
         ORDER BY r.start_at DESC, r.id LIMIT ? OFFSET ?`,
      )
      .all(this.today(), ...args, filter.limit, filter.offset) as (RosterEntry & {
      readings: number;
      last_reading_at: string | null;
      last_body_c: number | null;
      read_today: number;
      missed_days: number;
    })[];
    return { total, entries: rows.map((r) => ({ ...r, read_today: r.read_today === 1 })) };
  }

  /** The city's figures for one local day: roster size now, today's compliance, admitted and ended that day. */
  stats(day: string): RosterStats {
    const { fromMs, toMs } = dayBounds(day, this.options.timeZone);
    const from = new Date(fromMs).toISOString();
    const to = new Date(toMs).toISOString();
    const one = (sql: string, ...args: string[]) =>
      this.db
        .prepare(sql)
        .pluck()
        .get(...args) as number;
    return {
      active: one("SELECT count(*) FROM isolation_roster WHERE state = 'active'"),
      read_today: one(
        `SELECT count(DISTINCT r.id) FROM isolation_roster r JOIN isolation_readings x ON x.roster_id = r.id
           WHERE r.state = 'active' AND x.day = ?`,
        day,
      ),
      admitted: one("SELECT count(*) FROM isolation_roster WHERE start_at >= ? AND start_at < ?", from, to),
      ended: one(
        "SELECT count(*) FROM isolation_roster WHERE state != 'active' AND ended_at >= ? AND ended_at < ?",
        from,
        to,
      ),
    };
  }

  /** Forgets entries (and their readings) that ended more than `retentionDays` ago. */
  prune(retentionDays: number): number {
    const before = new Date(this.options.now() - retentionDays * DAY_MS).toISOString();
    return this.db.transaction(() => {
      const ids = this.db
        .prepare("SELECT id FROM isolation_roster WHERE state != 'active' AND ended_at < ?")
        .pluck()
        .all(before) as string[];
      const json = JSON.stringify(ids);
      this.db
        .prepare("DELETE FROM isolation_readings WHERE roster_id IN (SELECT value FROM json_each(?))")
        .run(json);
      this.db
        .prepare("DELETE FROM isolation_missed WHERE roster_id IN (SELECT value FROM json_each(?))")
        .run(json);
      this.db.prepare("DELETE FROM isolation_roster WHERE id IN (SELECT value FROM json_each(?))").run(json);
      return ids.length;
    })();
  }
}
