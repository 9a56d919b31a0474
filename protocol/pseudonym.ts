/**
 * Pseudonyms for scanned codes: "h1:" + base32(HMAC-SHA256(key, code))[0..26].
 * The raw code never leaves the device; only this keyed hash does. 26 base32 characters keep
 * 130 bits, far beyond any collision risk for a city's population, and without the key nobody
 * can test a guessed code against a pseudonym.
 */
import { createHmac } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
export const PSEUDONYM_PATTERN = "^h1:[A-Z2-7]{26}$";
const PSEUDONYM_LENGTH = 26;

/** RFC 4648 base32 without padding. */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

export function pseudonym(key: Uint8Array | string, code: string): string {
  if (typeof key === "string" ? key.length === 0 : key.byteLength === 0) {
    throw new Error("pseudonym key is empty: provision a key in the device config before scanning");
  }
  const mac = createHmac("sha256", key).update(code, "utf8").digest();
  return `h1:${base32(mac).slice(0, PSEUDONYM_LENGTH)}`;
}
