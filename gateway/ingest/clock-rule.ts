/**
 * Which time a screening is stored at. A lane's clock is the lane's word, and lanes get it wrong:
 * a Raspberry Pi has no real-time clock, so one that reboots while offline stamps a stale time (or
 * 1970) until it syncs; a misconfigured one runs ahead. A screening is never thrown away for its
 * timestamp, because a person really was measured:
 *
 * - `ok`: the claimed time lies within [received − maxBehind, received + maxAhead]. maxBehind is how
 *   long a lane may legitimately hold events in its outbox (days offline, then a replay); maxAhead is
 *   small, since nothing legitimate is ahead of the gateway by more than clock jitter.
 * - `behind` / `ahead` / `invalid` (no real date): the point is stored at the gateway's receive time
 *   (of the first delivery, remembered in the event ledger so replays write the same point), with
 *   the device's claimed `ts` kept beside it and the flag, and the lane is told its clock is wrong.
 *
 * Only `ok` times move a device's clock for missed-retest windows (retest-tracker.ts).
 */
import { parseUtcTimestamp } from "@checkpoint/protocol";

export type ClockVerdict = "ok" | "behind" | "ahead" | "invalid";

export interface ClockLimits {
  maxBehindMs: number;
  maxAheadMs: number;
}

export const DEFAULT_CLOCK_LIMITS: ClockLimits = { maxBehindMs: 7 * 86_400_000, maxAheadMs: 120_000 };

export interface JudgedTime {
  clock: ClockVerdict;
  /** The device's claimed time, ms (null when it is no date). */
  claimedMs: number | null;
  /** The time the event is stored and reasoned about at, ms. */
  atMs: number;
}

export function judgeTimestamp(ts: string, receivedMs: number, limits: ClockLimits): JudgedTime {
  const claimedMs = parseUtcTimestamp(ts);
  if (claimedMs === null) return { clock: "invalid", claimedMs, atMs: receivedMs };
  if (claimedMs < receivedMs - limits.maxBehindMs) return { clock: "behind", claimedMs, atMs: receivedMs };
  if (claimedMs > receivedMs + limits.maxAheadMs) return { clock: "ahead", claimedMs, atMs: receivedMs };
  return { clock: "ok", claimedMs, atMs: claimedMs };
}
