/**
 * Alert ids derived from what caused the alert, so the same cause can never raise two alerts:
 * not on a retry after a failed commit, not on a replay after a restart, not on two gateways.
 * The id is ULID-shaped (the contract's alert id is a ULID): its 48-bit time is the cause's time,
 * so ids still sort by time, and its 80 random bits are the first 80 bits of
 * SHA-256(kind, cause key).
 *
 * Cause keys: a fever → the screening's device and event id (time: the id's own ULID time, the same
 * on every delivery, whatever the gateway makes of the lane's clock); a missed retest → the retest's
 * device and event id; a yellow or red health code → the screening's device and event id, as a
 * fever's (the kind tells them apart); a device
 * going offline → the device and the moment its session began (one alert per lost session).
 */
import { createHash, randomBytes } from "node:crypto";
import type { AlertKind } from "@checkpoint/protocol";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const MAX_TIME = 2 ** 48 - 1;

function encodeTime(ms: number): string {
  let t = Math.min(Math.max(Math.trunc(ms), 0), MAX_TIME);
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeBits(bytes: Buffer, chars: number): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  let i = 0;
  while (out.length < chars) {
    if (bits < 5) {
      acc = (acc << 8) | (bytes[i++] ?? 0);
      bits += 8;
    }
    bits -= 5;
    out += CROCKFORD[(acc >> bits) & 31];
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** The millisecond time in a ULID's first ten characters (the device's clock when it made the id). */
export function ulidTimeMs(id: string): number {
  let t = 0;
  for (const ch of id.slice(0, 10)) t = t * 32 + Math.max(CROCKFORD.indexOf(ch), 0);
  return t;
}

export function alertId(kind: AlertKind, causeKey: string, causeMs: number): string {
  const digest = createHash("sha256").update(`${kind}\u0000${causeKey}`).digest();
  return encodeTime(causeMs) + encodeBits(digest, 16);
}

/** A fresh ULID for an event the gateway makes itself (a desk registration): time `ms`, 80 random bits. */
export function newUlid(ms: number): string {
  return encodeTime(ms) + encodeBits(randomBytes(10), 16);
}
