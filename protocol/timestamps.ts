/**
 * Real dates, not only the shape of one. `2026-13-01T00:00:00.000Z` matches the contract's pattern
 * but names no instant, and `Date.parse` of it is NaN; `2026-02-30` would be rolled into March by a
 * lenient parser. Here every field is range-checked and the result must round-trip.
 * A leap second (`23:59:60`) is a real UTC label but not an instant JavaScript (or InfluxDB) can
 * hold: it is refused as not representable, so the gateway treats it like any other wrong clock.
 */
/** The contract's UTC_TIMESTAMP_PATTERN (schemas.ts), with its parts captured. */
const PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** Milliseconds since the epoch of an ISO-8601 UTC timestamp, or null when it names no instant. */
export function parseUtcTimestamp(text: string): number | null {
  const m = PARTS.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Number((m[7] ?? "0").padEnd(3, "0").slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const at = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const back = new Date(at);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    return null;
  }
  return at;
}
