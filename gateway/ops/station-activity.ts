/**
 * Station activity: once a minute, one `station_activity` point per station the gateway knows
 * (protocol/storage.ts), whether or not anything happened there, so that Grafana's silence rule
 * has a series for a silent station (a `GROUP BY "station"` over screenings has none: the station
 * that most needs the alert is the one that drops out of the result).
 *
 * - `since_last_s`: seconds since the gateway last received a screening from the station. At start
 *   it takes the last stored screening per station from InfluxDB (the last 30 days); a station
 *   with none counts from when the gateway started watching.
 * - `open`: 1 while the station's opening hours (gateway/registry/stations.ts, in TIME_ZONE) say
 *   it is open.
 * - `silent_open_s`: while open, seconds since its last screening or since it opened, whichever is
 *   later; 0 while closed. A village gate that closes at 22:00 is not silent at night, and is not
 *   "silent for 8 hours" the minute it opens at 06:00: the rule fires at 06:15 if nobody came.
 * - `name`, `label`: what Grafana shows for the station (its Chinese name, else its id).
 *
 * One gateway writes these points. With several ingest workers sharing the lanes, each would see
 * only part of a station's screenings: give the points an instance tag before running more than one.
 */
import { ROLLUPS } from "@checkpoint/protocol";
import { isOpen, openedAt } from "../registry/opening-hours.ts";
import type { Registry } from "../registry/registry.ts";
import { displayName, hoursOf, type Station } from "../registry/stations.ts";
import { nsFromMs, pointOf, type StoredPoint } from "../store/points.ts";

const MINUTE_MS = 60_000;

/** Every station with a record (a name or hours) or a lane, by id. */
export function knownStations(registry: Pick<Registry, "devices" | "stations">): Station[] {
  const records = registry.stations.byId();
  for (const { station } of registry.devices()) {
    if (!records.has(station)) records.set(station, registry.stations.get(station));
  }
  return [...records.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** Display names of the stations that have one, by id. */
export function stationNames(registry: Pick<Registry, "stations">): Map<string, string> {
  const names = new Map<string, string>();
  for (const s of registry.stations.list()) if (s.name) names.set(s.id, s.name);
  return names;
}

/** When each station was last heard from; pure, time passed in. */
export class StationActivity {
  private readonly heard = new Map<string, number>();

  /** `watchingSinceMs`: from when a station never heard from counts as silent (the gateway's start). */
  constructor(private readonly watchingSinceMs: number) {}

  /** A screening from `station` reached the gateway at `atMs`. */
  heardFrom(station: string, atMs: number): void {
    const before = this.heard.get(station);
    if (before === undefined || atMs > before) this.heard.set(station, atMs);
  }

  /** When `station` was last heard from, if ever since the gateway started (or seeded). */
  lastHeard(station: string): number | undefined {
    return this.heard.get(station);
  }

  /** Stations heard from (or seeded), whether or not they have a lane registered now. */
  stations(): string[] {
    return [...this.heard.keys()];
  }

  /** The minute's points for `stations` (and any station heard from that is not among them). */
  points(stations: readonly Station[], nowMs: number, timeZone: string): StoredPoint[] {
    const all = new Map(stations.map((s) => [s.id, s]));
    for (const id of this.heard.keys()) {
      if (!all.has(id)) all.set(id, { id, name: null, name_en: null, hours: "00:00-24:00" });
    }
    // One point per station per minute: a second write in the same minute replaces the first.
    const timestamp = nsFromMs(Math.floor(nowMs / MINUTE_MS) * MINUTE_MS);
    return [...all.values()].map((station) => {
      const hours = hoursOf(station);
      const last = Math.min(nowMs, this.heard.get(station.id) ?? this.watchingSinceMs);
      const open = isOpen(hours, nowMs, timeZone);
      const opened = open ? (openedAt(hours, nowMs, timeZone) ?? nowMs) : nowMs;
      const name = displayName(station);
      return pointOf(
        "station_activity",
        { station: station.id },
        {
          since_last_s: Math.round((nowMs - last) / 1000),
          open: open ? 1 : 0,
          silent_open_s: open ? Math.round((nowMs - Math.max(last, opened)) / 1000) : 0,
          name,
          label: `${station.id}|${name === station.id ? name : `${name}（${station.id}）`}`,
        },
        timestamp,
      );
    });
  }
}

/**
 * The last stored screening per station in the last 30 days, from the per-minute rollup when it
 * has them and the raw screenings otherwise (the rollup lags a minute; the raw query is bounded
 * to a day, so a gateway restart does not scan a month of raw points).
 */
export const LAST_SCREENING_QUERIES = [
  `SELECT last("n") FROM "${ROLLUPS["1m"].policy}"."${ROLLUPS["1m"].measurement}" WHERE time > now() - 30d GROUP BY "station"`,
  `SELECT last("body_c") FROM "screening" WHERE time > now() - 1d GROUP BY "station"`,
];

export interface ActivityWriterDeps {
  activity: StationActivity;
  /** Every station with a record or a lane. */
  stations(): Station[];
  /** Runs an InfluxQL query (null: no InfluxDB, spool-only). */
  query: ((q: string) => Promise<{ station: string; time: Date }[]>) | null;
  submit(points: StoredPoint[]): Promise<void>;
  /** Lanes with a display name (registry `set-lane-name`), online or not: a `lane` point each, for Grafana. */
  lanes?(): { station: string; device: string; name: string; online: boolean }[];
  now(): number;
  timeZone: string;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** Writes the activity points every minute; at start, learns the last screenings from InfluxDB. */
/** How often each named lane's `lane` point is written. */
export const LANE_EVERY_MS = 10 * MINUTE_MS;

export class ActivityWriter {
  private timer: NodeJS.Timeout | null = null;
  /** The minute the lanes' points were last written, and what they said. */
  private lanesWrittenMs = Number.NEGATIVE_INFINITY;
  private lanesShown = "";

  constructor(private readonly deps: ActivityWriterDeps) {}

  start(intervalMs = MINUTE_MS): void {
    this.seed().finally(() => this.write());
    this.timer = setInterval(() => this.write(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Learns each station's last stored screening; a failure only means stations count from now. */
  async seed(): Promise<void> {
    const { query, activity, log, now } = this.deps;
    if (!query) return;
    try {
      let seeded = 0;
      for (const q of LAST_SCREENING_QUERIES) {
        for (const row of await query(q)) {
          const at = row.time instanceof Date ? row.time.getTime() : Number.NaN;
          if (row.station && Number.isFinite(at)) {
            activity.heardFrom(row.station, Math.min(at, now()));
            seeded++;
          }
        }
      }
      log.info({ stations: seeded }, "gateway: station activity knows when each station was last heard from");
    } catch (error) {
      log.warn(
        { err: error },
        "gateway: could not read the last screening of each station from InfluxDB; stations count as silent from the gateway's start",
      );
    }
  }

  /** Computes and stores this minute's points now. */
  async write(): Promise<StoredPoint[]> {
    const { activity, stations, submit, now, timeZone, log } = this.deps;
    try {
      const points = activity.points(stations(), now(), timeZone);
      const minuteMs = Math.floor(now() / MINUTE_MS) * MINUTE_MS;
      const minute = nsFromMs(minuteMs);
      // Every 10 minutes, and at once when a lane is named, renamed or goes on or off line: a
      // name changes seldom, and the station dashboard's lane table reads the last of each; per
      // minute it was 10 times the points for nothing.
      const lanes = this.deps.lanes?.() ?? [];
      const shown = JSON.stringify(lanes);
      const lanesDue = minuteMs - this.lanesWrittenMs >= LANE_EVERY_MS || shown !== this.lanesShown;
      if (lanesDue) {
        this.lanesWrittenMs = minuteMs;
        this.lanesShown = shown;
      }
      for (const lane of lanesDue ? lanes : [])
        points.push(
          pointOf(
            "lane",
            { station: lane.station, device: lane.device },
            { name: lane.name, online: lane.online ? 1 : 0 },
            minute,
          ),
        );
      if (points.length > 0) await submit(points);
      return points;
    } catch (error) {
      log.warn({ err: error }, "gateway: could not store the stations' activity; will try again in a minute");
      return [];
    }
  }
}
