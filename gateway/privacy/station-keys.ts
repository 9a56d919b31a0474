/**
 * The daily station keys the gateway hands out (protocol/station-keys.ts says what lanes do with
 * them). One key per station per calendar day of the gateway's time zone (TIME_ZONE, Asia/Shanghai
 * by default), derived, not stored:
 *   key(station, day) = HMAC-SHA256(master, "station-key/v1" ‖ station ‖ day ‖ generation)
 * with a master secret that never leaves gateway.db. Every lane of a station gets the same keys in
 * its retained config, for today and the STATION_KEY_DAYS − 1 days ahead, so a lane cut off from
 * the gateway keeps matching retests (with the other lanes of its station too) for that long.
 * The gateway publishes the configs again when its day changes, so the window moves along.
 *
 * Daily keys bound what a stolen lane exposes to the people it sent to rest within one retest
 * window; it also holds the keys of the days ahead, which match nothing until someone is tagged
 * with them. After a theft, `npm run gateway -- rotate-station-keys <station>` moves that
 * station to a new generation: today's and every later key change for its other lanes at once,
 * and the stolen keys match nothing anyone computes any more.
 */
import { createHmac, randomBytes } from "node:crypto";
import { addDays, dayBounds, dayIn, type StationKey } from "@checkpoint/protocol";
import type Database from "better-sqlite3";

/** Today and the days ahead that a lane holds keys for. */
export const STATION_KEY_DAYS = 7;

export class StationKeys {
  private generations = new Map<string, number>();
  /** The day the cache is for, and its bounds: one day's keys are computed once per station. */
  private today: { day: string; zone: string; fromMs: number; toMs: number } | null = null;
  private readonly cache = new Map<string, StationKey[]>();

  private constructor(
    private readonly db: Database.Database,
    private readonly master: Buffer,
  ) {}

  static open(db: Database.Database): StationKeys {
    db.exec(`
      CREATE TABLE IF NOT EXISTS station_key_master (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS station_key_generations (
        station TEXT PRIMARY KEY, generation INTEGER NOT NULL, rotated_at INTEGER NOT NULL
      );
    `);
    db.prepare("INSERT OR IGNORE INTO station_key_master (id, key) VALUES (1, ?)").run(randomBytes(32));
    const row = db.prepare("SELECT key FROM station_key_master WHERE id = 1").get() as { key: Buffer };
    const keys = new StationKeys(db, row.key);
    keys.reload();
    return keys;
  }

  /** Reads the generations again; returns the stations whose generation changed. */
  reload(): string[] {
    const rows = this.db.prepare("SELECT station, generation FROM station_key_generations").all() as {
      station: string;
      generation: number;
    }[];
    const changed = rows
      .filter((r) => this.generations.get(r.station) !== r.generation)
      .map((r) => r.station);
    this.generations = new Map(rows.map((r) => [r.station, r.generation]));
    if (changed.length > 0) this.cache.clear();
    return changed;
  }

  generation(station: string): number {
    return this.generations.get(station) ?? 0;
  }

  /** A station's keys for the day of `nowMs` in `timeZone` and the days ahead. */
  forStation(station: string, nowMs: number, timeZone: string, days = STATION_KEY_DAYS): StationKey[] {
    const generation = this.generation(station);
    const t = this.today;
    if (!t || t.zone !== timeZone || nowMs < t.fromMs || nowMs >= t.toMs) {
      const day = dayIn(nowMs, timeZone);
      this.today = { day, zone: timeZone, ...dayBounds(day, timeZone) };
      this.cache.clear();
    }
    const today = this.today?.day ?? dayIn(nowMs, timeZone);
    const cacheKey = `${station}\0${generation}\0${days}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const keys: StationKey[] = [];
    for (let i = 0; i < days; i++) {
      const day = addDays(today, i);
      const { fromMs, toMs } = dayBounds(day, timeZone);
      const key = createHmac("sha256", this.master)
        .update(`station-key/v1\0${station}\0${day}\0${generation}`, "utf8")
        .digest();
      keys.push({
        id: `${day}/${generation}`,
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        key: key.toString("base64url"),
      });
    }
    this.cache.set(cacheKey, keys);
    return keys;
  }

  /** Moves a station to a new generation of keys; returns it. */
  rotate(station: string, nowMs = Date.now()): number {
    const next = this.generation(station) + 1;
    this.db
      .prepare(
        `INSERT INTO station_key_generations (station, generation, rotated_at) VALUES (?, ?, ?)
         ON CONFLICT(station) DO UPDATE SET generation = generation + 1, rotated_at = excluded.rotated_at`,
      )
      .run(station, next, nowMs);
    this.reload();
    return this.generation(station);
  }
}
