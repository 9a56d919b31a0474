/**
 * Pseudonyms: the only thing about a person that leaves a lane, is stored or is shown. Each
 * format names itself by its prefix, so every part can tell what it holds:
 *
 * - `h1:` + base32(HMAC-SHA256(key, identity))[0..26]: the legacy lane pseudonym, made with one
 *   key that every lane of a deployment held. Whoever held that key (any lane, stolen) could
 *   enumerate an ID number from its pseudonym in a fraction of a second, so lanes no longer make
 *   it; the gateway still takes it from old firmware (gateway/privacy/subjects.ts).
 * - `h3:<kid>:<sealed>`: what a lane sends now. The identity sealed to the gateway's public key
 *   number `kid` (seal.ts, `Sealer`: one X25519 per lane session, then a hash ratchet): only the
 *   gateway can open it, and no two seals of one identity look alike, so nothing on a lane (its
 *   outbox and its memory included) links or reveals a person.
 * - `h2:<kid>:<sealed>`: the same with one X25519 per event (the previous firmware): accepted.
 * - `g<v>:` + 26 base32 characters: the stored pseudonym, HMAC-SHA256 under the gateway's
 *   pseudonym key version `v`, a key that never leaves the gateway. Everything stored, published
 *   to officers or exported carries this form (or the next).
 * - `l<v>:` + 26 base32 characters: the same, made from a legacy `h1:` pseudonym (an old lane):
 *   flagged by its letter, it links only with that lane generation's screenings.
 *
 * 26 base32 characters keep 130 bits, far beyond any collision risk for a city's population.
 */
import { createHmac } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** A legacy lane pseudonym (`h1:`). */
export const LEGACY_PSEUDONYM_PATTERN = "^h1:[A-Z2-7]{26}$";
/** An identity sealed to the gateway (`h3:` or `h2:`, then `<kid>:<base64url>`): seal.ts. */
export const SEALED_SUBJECT_PATTERN = "^h[23]:[1-9][0-9]{0,5}:[A-Za-z0-9_-]{150,1000}$";
/** What a screening event may carry as its subject on the wire. */
export const WIRE_SUBJECT_PATTERN = "^(h1:[A-Z2-7]{26}|h[23]:[1-9][0-9]{0,5}:[A-Za-z0-9_-]{150,1000})$";
/** A stored pseudonym: gateway-keyed (`g<v>:`), or gateway-keyed from a legacy one (`l<v>:`). */
export const STORED_SUBJECT_PATTERN = "^[gl][1-9][0-9]{0,5}:[A-Z2-7]{26}$";
export const PSEUDONYM_LENGTH = 26;

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

/** The legacy `h1:` pseudonym (old lanes, and the gateway's trace of their screenings). */
export function pseudonym(key: Uint8Array | string, code: string): string {
  if (typeof key === "string" ? key.length === 0 : key.byteLength === 0) {
    throw new Error("pseudonym key is empty: provision a key in the device config before scanning");
  }
  const mac = createHmac("sha256", key).update(code, "utf8").digest();
  return `h1:${base32(mac).slice(0, PSEUDONYM_LENGTH)}`;
}
