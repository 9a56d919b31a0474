/**
 * The gateway's operational state in SQLite (better-sqlite3): the principals allowed on the
 * broker (devices and read-only operators, with secrets under a keyed hash: secrets.ts) and gateway settings
 * such as the deployment's pseudonym key. WAL mode, so a crash loses nothing committed.
 */

import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { isNodeId, LANE_ROLES, type LaneRole } from "@checkpoint/protocol";
import type Database from "better-sqlite3";
import type { Identity } from "../broker/acl.ts";
import { DESK_DEVICE } from "../ops/desk.ts";
import { openPrivateDatabase } from "../security/private-database.ts";
import { openSecret, sealSecret } from "./secret-box.ts";
import { keyedHash, loadPepper, verifyKeyedHash, verifySecret } from "./secrets.ts";
import { Stations } from "./stations.ts";

interface PrincipalRow {
  username: string;
  role: "device" | "operator";
  station: string | null;
  device: string | null;
  secret_hash: string;
}

/** A principal as stored, with its lifecycle (disabled, a rotation in progress). */
interface StoredPrincipal extends PrincipalRow {
  /** When an admin disabled it (ISO time), or null. */
  disabled_at: string | null;
  /** During a rotation: the old secret's hash, accepted until `previous_until` (ms). */
  previous_hash: string | null;
  previous_until: number | null;
  /** During a rotation: the new secret, sealed (secret-box.ts), for the gateway to send. */
  pending_secret: string | null;
}

/** The lifecycle columns, added to a database made before they existed. */
const LIFECYCLE_COLUMNS: Record<string, string> = {
  disabled_at: "TEXT",
  previous_hash: "TEXT",
  previous_until: "INTEGER",
  pending_secret: "TEXT",
  /** The lane's role at its station (LANE_ROLES); NULL: `both`. */
  lane_role: "TEXT",
  /** The lane's display name (Chinese, as the station's staff call it: 东侧1号通道); NULL: its id. */
  lane_name: "TEXT",
};

/** A device as an admin and the running gateway see it. */
export interface DeviceState {
  station: string;
  device: string;
  disabled: boolean;
  /** A rotation in progress: the old secret works until then (ms), the new one is waiting to be sent. */
  rotatingUntil: number | null;
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
  private readonly laneRoleRow: Database.Statement<[string]>;

  constructor(path: string) {
    this.db = openPrivateDatabase(path, "FULL");
    this.pepper = path === ":memory:" ? randomBytes(32) : loadPepper(join(dirname(path), "pepper"));
    this.dummyHash = keyedHash(this.pepper, randomBytes(24).toString("base64url"));
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
    const columns = new Set(
      (this.db.prepare("PRAGMA table_info(principals)").all() as { name: string }[]).map((c) => c.name),
    );
    for (const [name, type] of Object.entries(LIFECYCLE_COLUMNS))
      if (!columns.has(name)) this.db.exec(`ALTER TABLE principals ADD COLUMN ${name} ${type}`);
    this.dataVersion = this.readDataVersion();
    this.stations = new Stations(this.db);
    this.laneRoleRow = this.db.prepare("SELECT lane_role FROM principals WHERE username = ?");
  }

  async addDevice(station: string, device: string, secret: string): Promise<void> {
    if (!isNodeId(station) || !isNodeId(device)) {
      throw new Error(`device ${station}/${device}: ids must be 1-32 characters of a-z, 0-9 and "-"`);
    }
    if (device === DESK_DEVICE) {
      throw new Error(
        `device ${station}/${device}: "${DESK_DEVICE}" is the station's registration desk at the duty console (gateway/ops/desk.ts); name the lane otherwise`,
      );
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
           device = excluded.device, secret_hash = excluded.secret_hash,
           previous_hash = NULL, previous_until = NULL, pending_secret = NULL`,
      )
      .run(row);
  }

  /** Sets a registered lane's role (`set-lane-role`); false when no such lane is registered. */
  setLaneRole(station: string, device: string, role: LaneRole): boolean {
    return (
      this.db
        .prepare("UPDATE principals SET lane_role = ? WHERE username = ? AND role = 'device'")
        .run(role === "both" ? null : role, deviceUsername(station, device)).changes === 1
    );
  }

  /** Names a registered lane (`set-lane-name`; empty: back to its id); false when no such lane. */
  setLaneName(station: string, device: string, name: string): boolean {
    return (
      this.db
        .prepare("UPDATE principals SET lane_name = ? WHERE username = ? AND role = 'device'")
        .run(name.trim() === "" ? null : name.trim(), deviceUsername(station, device)).changes === 1
    );
  }

  /** Every named lane: station, device, name. */
  laneNames(): { station: string; device: string; name: string }[] {
    return this.db
      .prepare(
        "SELECT station, device, lane_name AS name FROM principals WHERE role = 'device' AND lane_name IS NOT NULL ORDER BY station, device",
      )
      .all() as { station: string; device: string; name: string }[];
  }

  /** A lane's role: `both` unless an admin set another (or for a lane not registered). */
  laneRole(station: string, device: string): LaneRole {
    const row = this.laneRoleRow.get(deviceUsername(station, device)) as
      | { lane_role: string | null }
      | undefined;
    const role = row?.lane_role;
    return (LANE_ROLES as readonly string[]).includes(role ?? "") ? (role as LaneRole) : "both";
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
  async authenticate(username: string, secret: string, now = Date.now()): Promise<Identity | null> {
    const row = this.db.prepare("SELECT * FROM principals WHERE username = ?").get(username) as
      | StoredPrincipal
      | undefined;
    if (!row) {
      verifyKeyedHash(this.pepper, secret, this.dummyHash);
      return null;
    }
    const inGrace = row.previous_hash !== null && (row.previous_until ?? 0) > now;
    if (row.secret_hash.startsWith("scrypt$")) {
      // A hash from before the keyed hash: checked the slow way once, then re-keyed.
      if (!(await verifySecret(secret, row.secret_hash))) return null;
      this.db
        .prepare("UPDATE principals SET secret_hash = ? WHERE username = ?")
        .run(keyedHash(this.pepper, secret), username);
    } else if (verifyKeyedHash(this.pepper, secret, row.secret_hash)) {
      // The current secret. In a rotation, the lane now has the new one: the old one is retired.
      if (row.previous_hash !== null) {
        this.endRotation(username);
        if (row.disabled_at === null && inGrace) this.onSecretAdopted?.(username);
      }
    } else if (!(inGrace && row.previous_hash && verifyKeyedHash(this.pepper, secret, row.previous_hash))) {
      // A rotation whose grace period is over leaves nothing behind.
      if (row.previous_hash !== null && !inGrace) this.endRotation(username);
      return null;
    }
    // Disabled: refused after the same work as any other login.
    if (row.disabled_at !== null) return null;
    if (row.role === "device" && row.station && row.device) {
      return { role: "device", username, station: row.station, device: row.device };
    }
    return { role: "operator", username };
  }

  /** Called when a device logs in with its new secret during a rotation (for the audit log). */
  onSecretAdopted: ((username: string) => void) | null = null;
  private dataVersion = 0;

  private readDataVersion(): number {
    return Number(this.db.pragma("data_version", { simple: true }));
  }

  /**
   * Whether another connection (an admin command) changed the database since the last call: the
   * running gateway then looks again at who may stay connected. One pragma, no table read.
   */
  changedElsewhere(): boolean {
    const version = this.readDataVersion();
    if (version === this.dataVersion) return false;
    this.dataVersion = version;
    return true;
  }

  private stored(station: string, device: string): StoredPrincipal | undefined {
    return this.db
      .prepare("SELECT * FROM principals WHERE username = ? AND role = 'device'")
      .get(deviceUsername(station, device)) as StoredPrincipal | undefined;
  }

  /** A device's lifecycle, or null when it is not registered. */
  deviceState(station: string, device: string, now = Date.now()): DeviceState | null {
    const row = this.stored(station, device);
    if (!row) return null;
    const rotating = row.previous_hash !== null && (row.previous_until ?? 0) > now;
    return {
      station,
      device,
      disabled: row.disabled_at !== null,
      rotatingUntil: rotating ? row.previous_until : null,
    };
  }

  /** Every device's lifecycle, by station and device. */
  deviceStates(now = Date.now()): DeviceState[] {
    return this.devices().flatMap(({ station, device }) => this.deviceState(station, device, now) ?? []);
  }

  /** Disables (or enables) a device: a disabled one is refused at login. False: no such device. */
  setDeviceDisabled(station: string, device: string, disabled: boolean, now = Date.now()): boolean {
    return (
      this.db
        .prepare("UPDATE principals SET disabled_at = ? WHERE username = ? AND role = 'device'")
        .run(disabled ? new Date(now).toISOString() : null, deviceUsername(station, device)).changes > 0
    );
  }

  /** Removes a device and its secrets. False: no such device. */
  removeDevice(station: string, device: string): boolean {
    return (
      this.db
        .prepare("DELETE FROM principals WHERE username = ? AND role = 'device'")
        .run(deviceUsername(station, device)).changes > 0
    );
  }

  /**
   * Gives a device a new secret. The secret it has now keeps working for `graceMs` (or until it
   * logs in with the new one), so that a running gateway can send the new one to the lane over
   * its authenticated connection. A rotation during a rotation keeps the oldest secret's grace:
   * the lane may still hold only that one. Returns the end of the grace period, or null: no such
   * device.
   */
  rotateSecret(
    station: string,
    device: string,
    secret: string,
    graceMs: number,
    now = Date.now(),
  ): number | null {
    const row = this.stored(station, device);
    if (!row) return null;
    const rotating = row.previous_hash !== null && (row.previous_until ?? 0) > now;
    const previous = rotating ? row.previous_hash : row.secret_hash;
    const until = now + graceMs;
    this.db
      .prepare(
        `UPDATE principals SET secret_hash = ?, previous_hash = ?, previous_until = ?, pending_secret = ?
         WHERE username = ?`,
      )
      .run(
        keyedHash(this.pepper, secret),
        previous,
        until,
        sealSecret(this.pepper, row.username, secret),
        row.username,
      );
    return until;
  }

  /** The new secret waiting to reach a lane in its grace period, or null. */
  pendingSecret(station: string, device: string, now = Date.now()): { secret: string; until: number } | null {
    const row = this.stored(station, device);
    if (!row?.pending_secret || (row.previous_until ?? 0) <= now) return null;
    const secret = openSecret(this.pepper, row.username, row.pending_secret);
    return secret === null ? null : { secret, until: row.previous_until ?? now };
  }

  private endRotation(username: string): void {
    this.db
      .prepare(
        "UPDATE principals SET previous_hash = NULL, previous_until = NULL, pending_secret = NULL WHERE username = ?",
      )
      .run(username);
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
