/**
 * Real dates, not only the shape of one. `2026-13-01T00:00:00.000Z` matches the contract's pattern
 * but names no instant, and `Date.parse` of it is NaN; `2026-02-30` would be rolled into March by a
 * lenient parser. Here every field is range-checked and the result must round-trip.
 * A leap second (`23:59:60`) is a real UTC label but not an instant JavaScript (or InfluxDB) can
 * hold: it is refused as not representable, so the gateway treats it like any other wrong clock.
 */
/**
 * The contract's UTC_TIMESTAMP_PATTERN (schemas.ts), read character by character (it runs for every
 * screening the gateway takes in; a test holds it to the pattern):
 *   ^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$
 */
function number(text: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

const SEPARATORS: readonly [number, string][] = [
  [4, "-"],
  [7, "-"],
  [10, "T"],
  [13, ":"],
  [16, ":"],
];

/** Milliseconds since the epoch of an ISO-8601 UTC timestamp, or null when it names no instant. */
export function parseUtcTimestamp(text: string): number | null {
  const length = text.length;
  if (length < 20 || length > 30 || text[length - 1] !== "Z") return null;
  for (const [at, char] of SEPARATORS) if (text[at] !== char) return null;
  let ms = 0;
  if (length > 20) {
    // a fraction of 1 to 9 digits; milliseconds from its first three
    if (text[19] !== "." || length < 22) return null;
    const fraction = number(text, 20, length - 21);
    if (fraction < 0) return null;
    const kept = Math.min(3, length - 21);
    ms = number(text, 20, kept) * 10 ** (3 - kept);
  }
  const year = number(text, 0, 4);
  const month = number(text, 5, 2);
  const day = number(text, 8, 2);
  const hour = number(text, 11, 2);
  const minute = number(text, 14, 2);
  const second = number(text, 17, 2);
  if (year < 0 || hour < 0 || minute < 0 || second < 0) return null;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const at = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const back = new Date(at);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    return null;
  }
  return at;
}
