/**
 * Stations in the gateway's registry (a table of gateway.db): a display name in Chinese, an
 * optional English one, and opening hours in the deployment's TIME_ZONE. The station id stays the
 * key everywhere (topics, InfluxDB tags, alerts); the names are only what people read.
 *
 * A station exists once a lane is registered at it; a row here is needed only to name it or give it
 * hours. Without one, it shows its id and counts as open all day (the highway service stations'
 * hours; a quiet village gate needs its hours set, or the silence alert fires for it at night).
 * Set with `npm run gateway -- set-station` (gateway/admin.ts); a running gateway reads the table
 * again each minute, so a change needs no restart.
 */
import { isNodeId, MessageError } from "@checkpoint/protocol";
import type Database from "better-sqlite3";
import { ALL_DAY, type OpeningHours, parseHours } from "./opening-hours.ts";

export interface Station {
  id: string;
  /** Chinese display name; null: none set (show the id). */
  name: string | null;
  name_en: string | null;
  /** Normalised opening hours, e.g. "06:00-22:00". */
  hours: string;
}

/** What `set` changes: a field left out stays as it was; null clears a name. */
export interface StationChange {
  name?: string | null;
  name_en?: string | null;
  hours?: string;
}

/** A name people read: 1–64 characters, no "|" (Grafana's station variable splits on it), no control characters. */
function checkName(name: string | null | undefined): string | null | undefined {
  if (name === undefined || name === null) return name;
  const trimmed = name.trim().normalize("NFC");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if ([...trimmed].length < 1 || [...trimmed].length > 64 || /[|\u0000-\u001f\u007f-\u009f]/.test(trimmed)) {
    throw new MessageError("station.bad-name");
  }
  return trimmed;
}

interface Row {
  id: string;
  name: string | null;
  name_en: string | null;
  hours: string;
}

export class Stations {
  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS stations (
      id TEXT PRIMARY KEY,
      name TEXT,
      name_en TEXT,
      hours TEXT NOT NULL DEFAULT '${ALL_DAY}',
      updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    )`);
  }

  /** Sets a station's names or hours (checked first: nothing changes when one is wrong); returns the result. */
  set(id: string, change: StationChange): Station {
    if (!isNodeId(id)) throw new MessageError("station.bad-id", { station: id });
    const name = checkName(change.name);
    const nameEn = checkName(change.name_en);
    const hours = change.hours === undefined ? undefined : parseHours(change.hours).text;
    const before = this.get(id);
    const after: Station = {
      id,
      name: name === undefined ? before.name : name,
      name_en: nameEn === undefined ? before.name_en : nameEn,
      hours: hours ?? before.hours,
    };
    this.db
      .prepare(
        `INSERT INTO stations (id, name, name_en, hours) VALUES (@id, @name, @name_en, @hours)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,
           hours = excluded.hours, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(after);
    return after;
  }

  /** A station's record; one nobody has set comes back unnamed and open all day. */
  get(id: string): Station {
    const row = this.db.prepare("SELECT id, name, name_en, hours FROM stations WHERE id = ?").get(id) as
      | Row
      | undefined;
    return row ?? { id, name: null, name_en: null, hours: ALL_DAY };
  }

  /** Every station that has a record, by id. */
  list(): Station[] {
    return this.db.prepare("SELECT id, name, name_en, hours FROM stations ORDER BY id").all() as Row[];
  }

  /** Records by id, for many lookups at once (the board, the minute's activity points). */
  byId(): Map<string, Station> {
    return new Map(this.list().map((s) => [s.id, s]));
  }
}

/** What people read for a station: its Chinese name, else its id. */
export function displayName(station: Pick<Station, "id" | "name">): string {
  return station.name ?? station.id;
}

/** Parsed hours of a stored station (stored hours were checked when set; a damaged row counts as all day). */
export function hoursOf(station: Pick<Station, "hours">): OpeningHours {
  try {
    return parseHours(station.hours);
  } catch {
    return parseHours(ALL_DAY);
  }
}
