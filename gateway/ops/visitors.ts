/**
 * A station's visitor log (来访登记): every screening at one station during one local day
 * (TIME_ZONE: a day runs from local midnight to local midnight, protocol/messages.ts `dayBounds`)
 * — time, lane (its display name), how the person was identified, pseudonym, verdict, temperature
 * — read from the subject index (events.db `traces`, event-ledger.ts), newest first, a page at a
 * time, and the whole day as a CSV that Excel opens as it is (as the daily report's: reports.ts).
 * Technicians get it without pseudonyms: who came is the officers' to know.
 */
import {
  dayBounds,
  type EntryKind,
  formatDateTime,
  type Locale,
  type MessageKey,
  messageText,
  t,
  type Verdict,
} from "@checkpoint/protocol";
import type { TraceRow, VisitorPage } from "../ingest/event-ledger.ts";
import { DESK_DEVICE } from "./desk.ts";
import { csvField } from "./reports.ts";

export interface VisitorRow {
  /** ISO-8601 UTC. */
  at: string;
  device: string;
  /** The lane's display name (`set-lane-name`), or null: show the device id. */
  lane: string | null;
  /** Null for a lane older than issue 11. */
  entry: EntryKind | null;
  /** Present for officers and admins only. */
  subject?: string;
  attempt: number;
  verdict: Verdict;
  body_c: number;
}

export interface VisitorLog {
  station: string;
  date: string;
  total: number;
  offset: number;
  limit: number;
  rows: VisitorRow[];
}

export interface VisitorSources {
  visitors(station: string, fromMs: number, toMs: number, limit: number, offset: number): VisitorPage;
  /** Lanes' display names (`set-lane-name`). */
  lanes(): { station: string; device: string; name: string }[];
  timeZone: string;
}

export interface VisitorQuery {
  station: string;
  date: string;
  limit: number;
  offset: number;
  /** Whether the reader may see pseudonyms (officers and admins). */
  people: boolean;
}

/** Rows a CSV export holds at most (a very busy station's day is a few thousand). */
export const VISITOR_CSV_MAX = 100_000;

function row(r: TraceRow, names: Map<string, string>, people: boolean): VisitorRow {
  return {
    at: new Date(r.atMs).toISOString(),
    device: r.device,
    lane: names.get(r.device) ?? null,
    entry: r.entry ?? null,
    ...(people ? { subject: r.subject } : {}),
    attempt: r.attempt,
    verdict: r.verdict,
    body_c: r.bodyC,
  };
}

export function visitorLog(src: VisitorSources, q: VisitorQuery): VisitorLog {
  const { fromMs, toMs } = dayBounds(q.date, src.timeZone);
  const page = src.visitors(q.station, fromMs, toMs, q.limit, q.offset);
  const names = new Map(
    src
      .lanes()
      .filter((l) => l.station === q.station)
      .map((l) => [l.device, l.name]),
  );
  return {
    station: q.station,
    date: q.date,
    total: page.total,
    offset: q.offset,
    limit: q.limit,
    rows: page.rows.map((r) => row(r, names, q.people)),
  };
}

const ENTRY_TEXT = {
  code: "visitors.entry.code",
  card: "visitors.entry.card",
  keypad: "visitors.entry.keypad",
  desk: "visitors.entry.desk",
} as const satisfies Record<EntryKind, MessageKey>;

/** How a person was identified, as the reader reads it (an old lane's: "not recorded"). */
export function entryText(locale: Locale, entry: EntryKind | null): string {
  return t(locale, entry ? ENTRY_TEXT[entry] : "visitors.entry.unknown");
}

/** A lane as the reader reads it: its display name and id, the desk by its name. */
export function laneText(locale: Locale, r: Pick<VisitorRow, "device" | "lane">): string {
  if (r.device === DESK_DEVICE && r.lane === null) return t(locale, "visitors.desk");
  return r.lane ? `${r.lane}（${r.device}）` : r.device;
}

/**
 * The day's log as CSV, oldest first (a log book is read down): UTF-8 with a byte-order mark, CRLF
 * line ends, headers in the reader's language, local times, formula-like text defused (csvField).
 * Without `people`, no pseudonym column.
 */
export function visitorCsv(log: VisitorLog, locale: Locale, timeZone: string, people: boolean): string {
  const columns: MessageKey[] = [
    "visitors.col.time",
    "report.col.station",
    "console.col.lane",
    "visitors.col.entry",
    ...(people ? (["visitors.col.subject"] as const) : []),
    "console.col.attempt",
    "console.col.verdict",
    "console.col.estimate",
  ];
  const header = columns.map((key) => csvField(messageText(locale, key)));
  const lines = [...log.rows]
    .reverse()
    .map((r) =>
      [
        formatDateTime(locale, Date.parse(r.at), timeZone),
        log.station,
        laneText(locale, r),
        entryText(locale, r.entry),
        ...(people ? [r.subject ?? ""] : []),
        r.attempt,
        t(locale, `verdict.${r.verdict}`),
        Math.round(r.body_c * 100) / 100,
      ].map(csvField),
    );
  return `\uFEFF${[header, ...lines].map((l) => l.join(",")).join("\r\n")}\r\n`;
}
