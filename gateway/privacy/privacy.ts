/**
 * The gateway's privacy keys in one place (all in gateway.db): the versioned pseudonym keys
 * (pseudonym-keys.ts), the re-keying of subjects (subjects.ts) and the daily station keys
 * (station-keys.ts). The README's "Privacy" section says what each protects and from whom.
 */
import { createSecretKey, type KeyObject } from "node:crypto";
import type { SealKey, StationKey } from "@checkpoint/protocol";
import type Database from "better-sqlite3";
import { OpenPool } from "./open-pool.ts";
import { PseudonymKeys } from "./pseudonym-keys.ts";
import { StationKeys } from "./station-keys.ts";
import { IDENTITY_PATTERN, OPEN_ERRORS, Subjects } from "./subjects.ts";

export interface PrivacyOptions {
  /** Days raw per-person data is kept (RETENTION_DAYS): retired pseudonym keys live as long. */
  retentionDays: number;
  /** The time zone whose days the station keys follow. */
  timeZone: string;
  /** Threads that open sealed subjects (open-pool.ts); 0 or absent: opened in this thread. */
  openThreads?: number;
}

export class Privacy {
  private constructor(
    readonly keys: PseudonymKeys,
    readonly stations: StationKeys,
    readonly subjects: Subjects,
    private readonly timeZone: string,
    private readonly pool: OpenPool | null,
  ) {}

  static open(db: Database.Database, options: PrivacyOptions, nowMs = Date.now()): Privacy {
    const keys = PseudonymKeys.open(db, options.retentionDays * 86_400_000, nowMs);
    const material = () => keys.live.map((k) => k.material);
    const pool = options.openThreads
      ? new OpenPool(options.openThreads, material(), IDENTITY_PATTERN, OPEN_ERRORS)
      : null;
    const subjects = new Subjects(keys, () => legacyKey(db), pool);
    // A rotation or a destruction reaches the threads and the sessions at once: a destroyed key
    // opens nothing more.
    keys.onChange = () => {
      pool?.setKeys(material());
      subjects.sessions.clear();
    };
    return new Privacy(keys, StationKeys.open(db), subjects, options.timeZone, pool);
  }

  /** Stops the seal-opening threads. */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  /** What a device's retained config carries: the key to seal to, its station's keys. */
  deviceKeys(station: string, nowMs = Date.now()): { seal: SealKey; station_keys: StationKey[] } {
    return {
      seal: this.keys.sealKey(),
      station_keys: this.stations.forStation(station, nowMs, this.timeZone),
    };
  }

  /**
   * Reads what another process (an admin command) changed: `all` when the pseudonym keys
   * changed (every lane needs the new public key), else the stations whose keys did.
   */
  reload(): { all: boolean; stations: string[] } {
    return { all: this.keys.reload(), stations: this.stations.reload() };
  }
}

/**
 * The key every lane shared before pseudonyms were re-keyed at the gateway (setting
 * `pseudonym_key`, base64), when this deployment had one: only for tracing old lanes' subjects.
 */
function legacyKey(db: Database.Database): KeyObject | null {
  try {
    const row = db.prepare("SELECT value FROM settings WHERE key = 'pseudonym_key'").get() as
      | { value: string }
      | undefined;
    return row ? createSecretKey(Buffer.from(row.value, "base64")) : null;
  } catch {
    return null; // no settings table: a database the registry never opened
  }
}
