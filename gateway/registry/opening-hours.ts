/**
 * A station's opening hours: one or more daily ranges of wall-clock time in the deployment's
 * TIME_ZONE, written "06:00-22:00", "06:00-11:30,13:00-22:00", "22:00-06:00" (across midnight)
 * or "00:00-24:00" (all day: highway service stations). The same every day of the week.
 *
 * Kept as the minutes of the day that are open (1440 flags), so that overlapping, adjoining and
 * midnight-crossing ranges need no special cases. Pure: the time and the zone are arguments.
 *
 * On a day the zone changes its clocks (not in China) the length of an opening is counted in
 * wall-clock minutes, so it may be off by the change for that one opening.
 */
import { MessageError } from "@checkpoint/protocol";

const DAY_MINUTES = 1440;
const MINUTE_MS = 60_000;

/** Open all day: the hours of a station nobody has set any for. */
export const ALL_DAY = "00:00-24:00";

export interface OpeningHours {
  /** As given, normalised: "06:00-22:00,23:00-01:00". */
  readonly text: string;
  /** open[m]: the minute m of the day (0 = 00:00 … 1439 = 23:59) is open. */
  readonly open: readonly boolean[];
  /** Every minute of the day is open. */
  readonly allDay: boolean;
}

const RANGE = /^(\d{2}):(\d{2})\s*[-–~]\s*(\d{2}):(\d{2})$/;

function minuteOf(hh: string, mm: string, end: boolean): number | null {
  const h = Number(hh);
  const m = Number(mm);
  if (m > 59) return null;
  if (h === 24 && m === 0 && end) return DAY_MINUTES;
  if (h > 23) return null;
  return h * 60 + m;
}

const pad = (n: number) => String(n).padStart(2, "0");
const clock = (minute: number) => `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;

/**
 * Parses opening hours; throws a MessageError ("station.bad-hours") saying how they are written.
 * Ranges are separated by commas (also "，" and "、"); a range whose end is before its start
 * runs across midnight; "24:00" may end a range; a range may not be empty ("08:00-08:00").
 */
export function parseHours(text: string): OpeningHours {
  const bad = () => new MessageError("station.bad-hours", { hours: text });
  const parts = text
    .trim()
    .split(/\s*[,，、]\s*/)
    .filter((p) => p !== "");
  if (parts.length === 0 || parts.length > 12) throw bad();
  const open: boolean[] = new Array(DAY_MINUTES).fill(false);
  const ranges: string[] = [];
  for (const part of parts) {
    const m = RANGE.exec(part);
    if (!m) throw bad();
    const from = minuteOf(m[1] as string, m[2] as string, false);
    const to = minuteOf(m[3] as string, m[4] as string, true);
    if (from === null || to === null || from === to) throw bad();
    for (let i = from; i !== to; i = (i + 1) % DAY_MINUTES) {
      open[i] = true;
      if (to === DAY_MINUTES && i === DAY_MINUTES - 1) break;
    }
    ranges.push(`${clock(from)}-${to === DAY_MINUTES ? "24:00" : clock(to)}`);
  }
  return { text: ranges.join(","), open, allDay: open.every(Boolean) };
}

const minuteFormats = new Map<string, Intl.DateTimeFormat>();

/** The minute of the day (0…1439) an instant is on the zone's wall clock. */
export function localMinute(atMs: number, timeZone: string): number {
  let format = minuteFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hour: "numeric",
      minute: "numeric",
      hourCycle: "h23",
    });
    minuteFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(atMs);
  const value = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return (value("hour") % 24) * 60 + value("minute");
}

export function isOpen(hours: OpeningHours, atMs: number, timeZone: string): boolean {
  return hours.open[localMinute(atMs, timeZone)] === true;
}

/**
 * When the opening the station is in at `atMs` began: -Infinity when it is open all day, null
 * when it is closed. (Zones' offsets are whole minutes, so a wall-clock minute begins when the
 * UTC minute does.)
 */
export function openedAt(hours: OpeningHours, atMs: number, timeZone: string): number | null {
  if (hours.allDay) return Number.NEGATIVE_INFINITY;
  const now = localMinute(atMs, timeZone);
  if (!hours.open[now]) return null;
  // Open minutes in a row, back from this one (not all 1440: then it would be all day).
  let minutes = 0;
  while (hours.open[(now - minutes - 1 + DAY_MINUTES) % DAY_MINUTES]) minutes++;
  const minuteStart = atMs - (((atMs % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
  return minuteStart - minutes * MINUTE_MS;
}
