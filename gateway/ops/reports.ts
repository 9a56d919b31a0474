/**
 * The station board and the daily report: what the duty officers see on the console. Counts of
 * screenings come from InfluxDB (the gateway's verdicts); transfers and handovers from the
 * closed alerts in SQLite. Without InfluxDB (spool-only) the counts are zero and say so.
 */
import { DEFAULT_LOCALE, dayBounds, dayIn, type Locale, ROLLUPS, t } from "@checkpoint/protocol";
import type { InfluxDB } from "influx";
import type { AlertStore } from "./alert-store.ts";

export interface StationRow {
  station: string;
  /** Display name (Chinese; the registry's stations), or null: show the id. */
  name: string | null;
  devices: number;
  online: number;
  last_seen: string | null;
  screened_today: number;
  fevers_today: number;
  outbox: number;
  sensor_faults: number;
}

export interface ReportRow {
  station: string;
  name: string | null;
  screened: number;
  retests: number;
  fevers: number;
  transfers: number;
  handovers: number;
}

export interface ReportSources {
  devices(): { station: string; device: string }[];
  status(key: string): { online: boolean; sinceMs: number } | undefined;
  telemetry(key: string): { outbox: number; sensorOk: boolean; atMs: number } | undefined;
  influx: InfluxDB | null;
  alerts: AlertStore;
  /**
   * The oldest instant raw screenings are kept from (RETENTION_DAYS): a day before it is counted
   * from the hourly rollups, which are kept longer and hold no person.
   */
  rawSinceMs?(): number;
  /** Stations' display names by id (gateway/registry/stations.ts); ids stay the key. */
  names?(): Map<string, string>;
}

/**
 * Screenings per station and verdict in [fromMs, toMs): from the raw points, or, with `rollup`
 * (a range older than raw points are kept), from the hourly rollups (whole UTC hours: a day in a
 * time zone a whole number of hours from UTC, as Asia/Shanghai, is exactly its hours).
 */
async function verdictCounts(
  influx: InfluxDB | null,
  fromMs: number,
  toMs: number,
  rollup = false,
): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  if (!influx) return out;
  const H = ROLLUPS["1h"];
  const source = rollup
    ? `SELECT sum("n") AS "count" FROM "${H.policy}"."${H.measurement}"`
    : `SELECT count("body_c") AS "count" FROM "screening"`;
  const rows = await influx.query<{ station: string; verdict: string; count: number }>(
    `${source} WHERE time >= ${Math.floor(fromMs)}ms AND time < ${Math.floor(toMs)}ms GROUP BY "station", "verdict"`,
  );
  for (const r of rows) {
    const entry = out.get(r.station) ?? {};
    entry[r.verdict] = (entry[r.verdict] ?? 0) + Number(r.count);
    out.set(r.station, entry);
  }
  return out;
}

const sum = (r: Record<string, number> | undefined) => Object.values(r ?? {}).reduce((a, b) => a + b, 0);

/** A day ("YYYY-MM-DD") of the officers' time zone, as instants. */
export function localDayBounds(date: string, timeZone: string): { fromMs: number; toMs: number } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error("date must be YYYY-MM-DD");
  return dayBounds(date, timeZone);
}

/** "Today" is the officers' day (TIME_ZONE), whatever the server's own zone. */
export async function stationBoard(
  src: ReportSources,
  nowMs: number,
  timeZone: string,
): Promise<StationRow[]> {
  const midnight = localDayBounds(dayIn(nowMs, timeZone), timeZone).fromMs;
  const counts = await verdictCounts(src.influx, midnight, nowMs + 60_000);
  const rows = new Map<string, StationRow>();
  const names = src.names?.() ?? new Map<string, string>();
  for (const { station, device } of src.devices()) {
    const key = `${station}/${device}`;
    const row = rows.get(station) ?? {
      station,
      name: names.get(station) ?? null,
      devices: 0,
      online: 0,
      last_seen: null,
      screened_today: sum(counts.get(station)),
      fevers_today: counts.get(station)?.fever ?? 0,
      outbox: 0,
      sensor_faults: 0,
    };
    row.devices++;
    const status = src.status(key);
    const telemetry = src.telemetry(key);
    if (status?.online) row.online++;
    const seen = Math.max(status?.sinceMs ?? 0, telemetry?.atMs ?? 0);
    if (seen > 0 && (!row.last_seen || seen > Date.parse(row.last_seen)))
      row.last_seen = new Date(seen).toISOString();
    row.outbox += telemetry?.outbox ?? 0;
    if (telemetry && !telemetry.sensorOk) row.sensor_faults++;
    rows.set(station, row);
  }
  return [...rows.values()].sort((a, b) => a.station.localeCompare(b.station));
}

export async function dailyReport(src: ReportSources, date: string, timeZone: string): Promise<ReportRow[]> {
  const { fromMs, toMs } = localDayBounds(date, timeZone);
  // Raw screenings of that day may be gone (RETENTION_DAYS): count it from the rollups then.
  const counts = await verdictCounts(src.influx, fromMs, toMs, fromMs < (src.rawSinceMs?.() ?? 0));
  const closed = src.alerts.dispositions(new Date(fromMs).toISOString(), new Date(toMs).toISOString());
  const stations = new Set([...counts.keys(), ...closed.map((c) => c.station)]);
  const names = src.names?.() ?? new Map<string, string>();
  return [...stations].sort().map((station) => {
    const c = counts.get(station);
    const by = (d: string) =>
      closed.filter((x) => x.station === station && x.disposition === d).reduce((a, x) => a + x.n, 0);
    return {
      station,
      name: names.get(station) ?? null,
      screened: sum(c),
      retests: c?.retest ?? 0,
      fevers: c?.fever ?? 0,
      transfers: by("fever-clinic"),
      handovers: by("home-isolation"),
    };
  });
}

/**
 * One CSV field: quoted when it holds a comma, quote or line break; a text that a spreadsheet would
 * take for a formula (= + - @, a tab or carriage return first) is prefixed with an apostrophe.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The daily report as a CSV that Excel opens cleanly as it is: UTF-8 with a byte-order mark, CRLF
 * line ends, headers in the reader's language, the station's display name beside its id.
 */
/** The city's people flows for the report's day, as the city reports them (ops/people-flows.ts). */
export interface ReportCity {
  roster_active: number;
  roster_read_today: number;
  compliance: number;
  handed_over: number;
  transferred: number;
}

/**
 * The daily report as CSV: a row per station, then (with `city`) a blank row and the city's people
 * flows — people in home isolation, of them read today and the share, handed over and transferred
 * that day — the way the city's daily return is laid out.
 */
export function reportCsv(
  date: string,
  rows: ReportRow[],
  locale: Locale = DEFAULT_LOCALE,
  city?: ReportCity,
): string {
  const header = REPORT_COLUMNS.map((key) => csvField(t(locale, key)));
  const lines = rows.map((r) =>
    [date, r.station, r.name, r.screened, r.retests, r.fevers, r.transfers, r.handovers].map(csvField),
  );
  if (city) {
    lines.push(
      [],
      CITY_COLUMNS.map((key) => csvField(t(locale, key))),
    );
    lines.push(
      [
        date,
        city.roster_active,
        city.roster_read_today,
        `${Math.round(city.compliance * 1000) / 10}%`,
        city.handed_over,
        city.transferred,
      ].map(csvField),
    );
  }
  return `\uFEFF${[header, ...lines].map((l) => l.join(",")).join("\r\n")}\r\n`;
}

const CITY_COLUMNS = [
  "report.col.date",
  "dash.city.roster-active",
  "flows.read-today",
  "dash.city.roster-compliance",
  "dash.city.handed-over-today",
  "dash.city.transferred-today",
] as const;

const REPORT_COLUMNS = [
  "report.col.date",
  "report.col.station",
  "report.col.name",
  "console.col.screened",
  "console.col.retests",
  "console.col.fevers",
  "console.col.transfers",
  "console.col.handovers",
] as const;
