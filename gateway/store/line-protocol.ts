/**
 * InfluxDB line protocol for the points the gateway writes, in one pass per point.
 * (The `influx` package does the same through a generic per-point parse, sort and regex escape;
 * on the ingest path that was a tenth of the gateway's time, most of it garbage.)
 *
 * The encoding is the one the package wrote before, so stored data keeps its types:
 *   measurement   `,` and space escaped
 *   tag and field keys, tag values   `,`, `=` and space escaped
 *   string fields `"…"` with `"` and `\` escaped
 *   numbers       floats, JavaScript's shortest round-trip form (no `i` suffix)
 *   booleans      true / false
 *   timestamp     the point's nanosecond digits (precision=n)
 * A point that cannot be written at all is caught before this by points.ts pointProblem.
 */
import type { StoredPoint } from "./points.ts";

const NAME_SPECIAL = /[, =]/;
const NAME_SPECIAL_ALL = /[, =]/g;
const MEASUREMENT_SPECIAL = /[, ]/;
const MEASUREMENT_SPECIAL_ALL = /[, ]/g;
const STRING_SPECIAL = /["\\]/;
const STRING_SPECIAL_ALL = /["\\]/g;

/** Tag keys, tag values and field keys. */
export function escapeName(text: string): string {
  return NAME_SPECIAL.test(text) ? text.replace(NAME_SPECIAL_ALL, "\\$&") : text;
}

export function escapeMeasurement(text: string): string {
  return MEASUREMENT_SPECIAL.test(text) ? text.replace(MEASUREMENT_SPECIAL_ALL, "\\$&") : text;
}

export function quoteString(text: string): string {
  return STRING_SPECIAL.test(text) ? `"${text.replace(STRING_SPECIAL_ALL, "\\$&")}"` : `"${text}"`;
}

/** One point as one line (no newline). */
export function toLine(point: StoredPoint): string {
  let line = escapeMeasurement(point.measurement);
  const { tags, fields } = point;
  for (const key in tags) line += `,${escapeName(key)}=${escapeName(tags[key] as string)}`;
  let separator = " ";
  for (const key in fields) {
    const value = fields[key];
    line += `${separator}${escapeName(key)}=${typeof value === "string" ? quoteString(value) : String(value)}`;
    separator = ",";
  }
  return `${line} ${point.timestamp}`;
}

/** A batch as one request body. */
export function toLines(points: readonly StoredPoint[]): string {
  let body = "";
  for (let i = 0; i < points.length; i++) {
    if (i > 0) body += "\n";
    body += toLine(points[i] as StoredPoint);
  }
  return body;
}
