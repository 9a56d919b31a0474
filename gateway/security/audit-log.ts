/**
 * The security audit log: who did what, to what, from where and when, as rows in SQLite.
 *
 * It is its own database file (`audit.db` in the data folder), not a table in gateway.db, so
 * that restoring a backup of the registry never rewinds the record of what happened, and so that
 * a flood of failed logins writes to a file the registry's fsync'd writes do not wait behind.
 * WAL mode with NORMAL synchronous: a row survives the gateway crashing at once; a power cut may
 * lose the last moment's rows (what FULL would keep, at an fsync per row).
 *
 * Any part of the gateway appends through one call, `audit.record({ actor, action, subject,
 * detail, address })`; the admin command `audit` reads the rows back (gateway/admin.ts). Rows
 * are kept `retentionDays` (at least 180: China's Cybersecurity Law, art. 21, asks for network
 * logs of at least six months) and pruned after.
 */
import type Database from "better-sqlite3";
import { openPrivateDatabase } from "./private-database.ts";

/**
 * What happened, as `<area>.<event>`. A new kind of row is one more name here (and, for the
 * `audit` command to print it in words, an `audit.<action>` entry in protocol/messages.ts).
 */
export const AUDIT_ACTIONS = [
  /** A duty console login succeeded. */
  "console.login",
  /** A console login was refused: wrong username or password (which one is never told). */
  "console.login-failure",
  /** Too many failed console logins: a username or an address is locked for a while. */
  "console.lockout",
  "console.logout",
  /** An MQTT login was refused for its credentials. */
  "mqtt.login-failure",
  /** Too many failed MQTT logins from one address (for one username, or for all). */
  "mqtt.lockout",
  /** An admin lifted the login limits on a username or an address (`unlock`). */
  "admin.unlock",
  /** An admin made a new pseudonym key version (`rotate-pseudonym-key`); the old one is kept for the retention period. */
  "admin.pseudonym-key-rotated",
  /** An admin gave a station new daily keys (`rotate-station-keys`), e.g. after one of its lanes was stolen. */
  "admin.station-keys-rotated",
  /** An admin named a station or changed its opening hours (`set-station`). */
  "admin.set-station",
  /** An admin set what a lane does with people sent to rest (`set-lane-role`). */
  "admin.set-lane-role",
  /** An admin named a lane (`set-lane-name`). */
  "admin.set-lane-name",
  /** An admin set InfluxDB's database and users up (`influx-setup`). */
  "admin.influx-setup",
  /** An admin took a device's access away for a while, gave it back, or removed the device. */
  "admin.device-disabled",
  "admin.device-enabled",
  "admin.device-removed",
  /** An admin gave a device a new secret (`rotate-secret`); the old one works until `until`. */
  "admin.secret-rotated",
  /** An admin disabled, enabled or removed a duty console user (their sessions end). */
  "admin.user-disabled",
  "admin.user-enabled",
  "admin.user-removed",
  /** The gateway sent a device its new secret over its authenticated connection. */
  "mqtt.secret-sent",
  /** A device logged in with its new secret: the old one works no more. */
  "mqtt.secret-adopted",
  /** The gateway disconnected a device that was disabled or removed. */
  "mqtt.cut-off",
  /** An officer traced a person (one-code tracing): the pseudonym, never the code, and the reason. */
  "trace.lookup",
  /** An officer searched the alerts (the search matches pseudonyms): what was searched, if a pseudonym. */
  "alerts.search",
  /**
   * An officer registered a person without a code at the console's desk (gateway/ops/desk.ts):
   * the station, the pseudonym and the verdict, never the ID number.
   */
  "desk.register",
  /** An officer read a station's visitor log with pseudonyms (once per station and day a session reads). */
  "visitors.view",
  /** A station's visitor log for a day exported as CSV (every export: it takes pseudonyms off the screen). */
  "visitors.export",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who acts when no person does: a lockout is the gateway's decision. */
export const GATEWAY_ACTOR = "gateway";

export interface AuditEntry {
  /** Who did it: a username (as given, for a failed login), an operator, or GATEWAY_ACTOR. */
  actor: string;
  action: AuditAction;
  /** What it was done to: a username, an address, an alert id. */
  subject: string;
  /** The remote address it came from, when it came over the network. */
  address?: string | null;
  /** A few facts more (never a secret, never a person's health data). */
  detail?: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditRow {
  id: number;
  /** Milliseconds since the epoch. */
  at: number;
  actor: string;
  action: string;
  subject: string;
  address: string | null;
  detail: Record<string, string | number | boolean | null>;
}

export interface AuditQuery {
  /** Rows at or after this time (ms). */
  since?: number;
  action?: string;
  /** Rows whose actor or subject is this. */
  who?: string;
  /** The newest this many. */
  limit?: number;
}

export const MIN_RETENTION_DAYS = 180;
const DAY_MS = 86_400_000;
/** Longest text kept in a column: a hostile username is not stored whole. */
const MAX_TEXT = 200;

const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);

export class AuditLog {
  private readonly insert: Database.Statement;
  private readonly unlockAfter: Database.Statement;

  private constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        address TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
      CREATE INDEX IF NOT EXISTS audit_action_subject ON audit (action, subject, at);
    `);
    this.insert = db.prepare(
      "INSERT INTO audit (at, actor, action, subject, address, detail) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.unlockAfter = db.prepare(
      "SELECT 1 FROM audit WHERE action = 'admin.unlock' AND subject = ? AND at >= ? LIMIT 1",
    );
  }

  /** Opens (creating) the audit database at `path`, or an in-memory one for ":memory:". */
  static open(path: string, now: () => number = Date.now): AuditLog {
    const db = openPrivateDatabase(path);
    db.pragma("busy_timeout = 5000");
    return new AuditLog(db, now);
  }

  /** Appends one row, stamped now. */
  record(entry: AuditEntry): void {
    this.insert.run(
      this.now(),
      clip(entry.actor),
      entry.action,
      clip(entry.subject),
      entry.address ? clip(entry.address) : null,
      JSON.stringify(entry.detail ?? {}),
    );
  }

  /** Rows, newest first. */
  list(query: AuditQuery = {}): AuditRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.since !== undefined) {
      where.push("at >= ?");
      args.push(query.since);
    }
    if (query.action !== undefined) {
      where.push("action = ?");
      args.push(query.action);
    }
    if (query.who !== undefined) {
      where.push("(actor = ? OR subject = ?)");
      args.push(query.who, query.who);
    }
    const sql = `SELECT id, at, actor, action, subject, address, detail FROM audit
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY at DESC, id DESC LIMIT ?`;
    args.push(query.limit ?? 1000);
    const rows = this.db.prepare(sql).all(...args) as (Omit<AuditRow, "detail"> & { detail: string })[];
    return rows.map((row) => ({ ...row, detail: JSON.parse(row.detail) as AuditRow["detail"] }));
  }

  /** Whether an admin lifted the login limits on one of `names` at or after `sinceMs`. */
  unlockedSince(names: readonly string[], sinceMs: number): boolean {
    return names.some((name) => this.unlockAfter.get(clip(name), sinceMs) !== undefined);
  }

  /** Deletes rows older than `retentionDays` (never fewer than MIN_RETENTION_DAYS); returns how many. */
  prune(retentionDays: number): number {
    const days = Math.max(MIN_RETENTION_DAYS, retentionDays);
    return this.db.prepare("DELETE FROM audit WHERE at < ?").run(this.now() - days * DAY_MS).changes;
  }

  close(): void {
    this.db.close();
  }
}
