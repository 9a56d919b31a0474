/**
 * The gateway's operational state in SQLite (better-sqlite3): the principals allowed on the
 * broker (devices and read-only operators, with secrets under a keyed hash: secrets.ts) and gateway settings
 * such as the deployment's pseudonym key. WAL mode, so a crash loses nothing committed.
 */
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import { isNodeId } from "@checkpoint/protocol";
import Database from "better-sqlite3";
import type { Identity } from "../broker/acl.ts";
import { keyedHash, loadPepper, verifyKeyedHash, verifySecret } from "./secrets.ts";
import { Stations } from "./stations.ts";

interface PrincipalRow {
  username: string;
  role: "device" | "operator";
  station: string | null;
  device: string | null;
  secret_hash: string;
}

export function deviceUsername(station: string, device: string): string {
  return `${station}/${device}`;
}

export class Registry {
  /** The gateway's operational database; other stores (alerts) keep their tables in it too. */
  readonly db: Database.Database;
  /** Keys the stored secret hashes; in `pepper` beside the database (never in it). */
  private readonly pepper: Buffer;
  /** What an unknown username's secret is checked against: the same work as for a known one. */
  private readonly dummyHash: string;
  /** Stations' display names and opening hours (stations.ts). */
  readonly stations: Stations;

  constructor(path: string) {
    if (path !== ":memory:") {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Its user's alone whatever the umask (SQLite gives -wal and -shm the same mode).
      closeSync(openSync(path, "a", 0o600));
    }
    this.pepper = path === ":memory:" ? randomBytes(32) : loadPepper(join(dirname(path), "pepper"));
    this.dummyHash = keyedHash(this.pepper, randomBytes(24).toString("base64url"));
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS principals (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('device', 'operator')),
        station TEXT,
        device TEXT,
        secret_hash TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.stations = new Stations(this.db);
  }

  async addDevice(station: string, device: string, secret: string): Promise<void> {
    if (!isNodeId(station) || !isNodeId(device)) {
      throw new Error(`device ${station}/${device}: ids must be 1-32 characters of a-z, 0-9 and "-"`);
    }
    const username = deviceUsername(station, device);
    this.upsert({ username, role: "device", station, device, secret_hash: keyedHash(this.pepper, secret) });
  }

  async addOperator(username: string, secret: string): Promise<void> {
    this.upsert({
      username,
      role: "operator",
      station: null,
      device: null,
      secret_hash: keyedHash(this.pepper, secret),
    });
  }

  private upsert(row: PrincipalRow): void {
    this.db
      .prepare(
        `INSERT INTO principals (username, role, station, device, secret_hash)
         VALUES (@username, @role, @station, @device, @secret_hash)
         ON CONFLICT(username) DO UPDATE SET role = excluded.role, station = excluded.station,
           device = excluded.device, secret_hash = excluded.secret_hash`,
      )
      .run(row);
  }

  devices(): { station: string; device: string }[] {
    return this.db
      .prepare("SELECT station, device FROM principals WHERE role = 'device' ORDER BY station, device")
      .all() as { station: string; device: string }[];
  }

  /**
   * The identity for a username and secret, or null when either is wrong. An unknown username
   * costs what a known one does: one lookup and one keyed hash compared in constant time. (A
   * login still on a pre-keyed scrypt hash costs a scrypt until its first success re-keys it.)
   * Throttling and the audit of failures are the caller's (gateway/security/mqtt-logins.ts).
   */
  async authenticate(username: string, secret: string): Promise<Identity | null> {
    const row = this.db.prepare("SELECT * FROM principals WHERE username = ?").get(username) as
      | PrincipalRow
      | undefined;
    if (!row) {
      verifyKeyedHash(this.pepper, secret, this.dummyHash);
      return null;
    }
    if (row.secret_hash.startsWith("scrypt$")) {
      // A hash from before the keyed hash: checked the slow way once, then re-keyed.
      if (!(await verifySecret(secret, row.secret_hash))) return null;
      this.db
        .prepare("UPDATE principals SET secret_hash = ? WHERE username = ?")
        .run(keyedHash(this.pepper, secret), username);
    } else if (!verifyKeyedHash(this.pepper, secret, row.secret_hash)) {
      return null;
    }
    if (row.role === "device" && row.station && row.device) {
      return { role: "device", username, station: row.station, device: row.device };
    }
    return { role: "operator", username };
  }

  /** A setting, created with `make()` the first time it is asked for. */
  setting(key: string, make: () => string): string {
    const row = this.db.prepare("SELECT value FROM settings WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    if (row) return row.value;
    const value = make();
    this.db.prepare("INSERT INTO settings (key, value) VALUES (?, ?)").run(key, value);
    return value;
  }

  pseudonymKey(): string {
    return this.setting("pseudonym_key", () => randomBytes(32).toString("base64"));
  }

  close(): void {
    this.db.close();
  }
}
