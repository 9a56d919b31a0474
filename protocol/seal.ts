/**
 * Sealing an identity to the gateway: the `h2:` subject a lane sends (pseudonym.ts). Only the
 * holder of the gateway's private key can open it; a lane, its outbox, the network and the
 * broker's subscribers see ciphertext that links nothing (a fresh key per seal) and reveals only
 * that the identity fits the common size.
 *
 * The construction is ECIES with the primitives HPKE (RFC 9180) uses, from node:crypto only:
 *   esk, epk  = a fresh X25519 key pair, for this one seal (the secret half is dropped at once)
 *   shared    = X25519(esk, gateway public key)
 *   key‖nonce = HKDF-SHA256(shared, salt = epk ‖ gateway public key,
 *                           info = "checkpoint/seal/v1" ‖ kid ‖ station ‖ device ‖ event id), 32+12 bytes
 *   sealed    = epk ‖ ChaCha20-Poly1305(key, nonce, padded identity) ‖ tag
 *   subject   = "h2:" + kid + ":" + base64url(sealed)
 * - ChaCha20-Poly1305, not AES-GCM: a Raspberry Pi 4's Cortex-A72 has no AES instructions, and
 *   ChaCha20 is fast in software and constant-time everywhere.
 * - The event's station, device and id are in `info`: a sealed identity opens only inside the
 *   event it was made for, so nobody can lift one person's seal into an event of their own.
 * - `kid` names the gateway key (the retained config's `seal.kid`): after a rotation, events
 *   sealed to the old key still open while the gateway keeps it (the retention period).
 * - Padding: the identity, 0x80, then zeros to 96 bytes (an ID number, a health-code token, a
 *   short plain code all look alike), or to a multiple of 128 for a long plain code.
 * Cost, measured on this project's x86 cores (bench:privacy): about 0.08 ms to seal (a key pair
 * and two X25519), about 0.05 ms to open.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from "node:crypto";

/** The gateway's public key as the retained config carries it. */
export interface SealKey {
  /** The gateway's key number: it names the key in every subject sealed to it. */
  kid: number;
  /** The X25519 public key, 32 bytes, base64url. */
  key: string;
}

/** The event a seal belongs to: the seal opens only with the same three. */
export interface SealContext {
  station: string;
  device: string;
  id: string;
}

/** The private half, on the gateway only. */
export interface SealOpener {
  kid: number;
  privateKey: KeyObject;
  /** The public key, 32 bytes raw. */
  publicKey: Buffer;
}

/** The HKDF info prefix of every seal (then kid, station, device, event id, 0-separated). */
export const SEAL_INFO = "checkpoint/seal/v1";
/** X25519's base point (u = 9): X25519(k, base) is k's public key. */
const BASE_POINT = Buffer.concat([Buffer.from([9]), Buffer.alloc(31)]).toString("base64url");
let basePoint: KeyObject | null = null;
const PUBLIC_BYTES = 32;
const TAG_BYTES = 16;
const MAX_IDENTITY_BYTES = 600;

function x25519Public(raw: string): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "X25519", x: raw }, format: "jwk" });
}

function rawPublic(key: KeyObject): Buffer {
  const x = key.export({ format: "jwk" }).x;
  if (typeof x !== "string") throw new Error("not an X25519 key");
  return Buffer.from(x, "base64url");
}

function derive(shared: Buffer, epk: Buffer, gpk: Buffer, kid: number, c: SealContext) {
  const info = Buffer.from(`${SEAL_INFO}\0${kid}\0${c.station}\0${c.device}\0${c.id}`, "utf8");
  const okm = Buffer.from(hkdfSync("sha256", shared, Buffer.concat([epk, gpk]), info, 44));
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) };
}

function pad(identity: string): Buffer {
  const bytes = Buffer.from(identity, "utf8");
  if (bytes.length === 0 || bytes.length > MAX_IDENTITY_BYTES) {
    throw new Error(`an identity to seal has 1 to ${MAX_IDENTITY_BYTES} bytes`);
  }
  const size = bytes.length < 96 ? 96 : Math.ceil((bytes.length + 1) / 128) * 128;
  const out = Buffer.alloc(size);
  bytes.copy(out);
  out[bytes.length] = 0x80;
  return out;
}

function unpad(padded: Buffer): string | null {
  const end = padded.lastIndexOf(0x80);
  if (end <= 0 || padded.subarray(end + 1).some((b) => b !== 0)) return null;
  return padded.subarray(0, end).toString("utf8");
}

let lastKey: { raw: string; key: KeyObject; bytes: Buffer } | null = null;

/** The gateway's public key as a key object and as bytes (the last one kept). */
function gatewayPublic(raw: string): { key: KeyObject; bytes: Buffer } {
  if (lastKey?.raw !== raw) {
    const key = x25519Public(raw);
    lastKey = { raw, key, bytes: rawPublic(key) };
  }
  return lastKey;
}

/**
 * Seals `identity` to the gateway key `to`, for the event `context`: an `h2:` subject, one
 * X25519 key pair for this one event (the previous firmware's seal; lanes now seal with `Sealer`).
 */
export function sealIdentity(to: SealKey, identity: string, context: SealContext): string {
  const gateway = gatewayPublic(to.key);
  // The ephemeral public key as X25519 with the base point, not by exporting the generated key:
  // Node 20 can deadlock exporting (JWK) a key whose generation job the garbage collector is
  // finalizing at that moment (both take the key's mutex); bench:ingest hit it after ~300k seals.
  const ephemeral = generateKeyPairSync("x25519").privateKey;
  basePoint ??= x25519Public(BASE_POINT);
  const epk = diffieHellman({ privateKey: ephemeral, publicKey: basePoint });
  const shared = diffieHellman({ privateKey: ephemeral, publicKey: gateway.key });
  const { key, nonce } = derive(shared, epk, gateway.bytes, to.kid, context);
  const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_BYTES });
  const body = Buffer.concat([epk, cipher.update(pad(identity)), cipher.final(), cipher.getAuthTag()]);
  shared.fill(0);
  key.fill(0);
  return `h2:${to.kid}:${body.toString("base64url")}`;
}

/** The key number an `h2:` (or `h3:`) subject was sealed to, or null when it is not one. */
export function sealedKid(subject: string, prefix: "h2:" | "h3:" = "h2:"): number | null {
  if (!subject.startsWith(prefix)) return null;
  const end = subject.indexOf(":", 3);
  const kid = Number(subject.slice(3, end));
  return end > 3 && Number.isSafeInteger(kid) && kid > 0 ? kid : null;
}

/**
 * The identity in an `h2:` subject, or null when it does not open with this key for this event
 * (another key, another event, altered on the way).
 */
export function openSealed(opener: SealOpener, subject: string, context: SealContext): string | null {
  if (sealedKid(subject) !== opener.kid) return null;
  const body = Buffer.from(subject.slice(subject.indexOf(":", 3) + 1), "base64url");
  if (body.length < PUBLIC_BYTES + 96 + TAG_BYTES) return null;
  const epk = body.subarray(0, PUBLIC_BYTES);
  try {
    const shared = diffieHellman({
      privateKey: opener.privateKey,
      publicKey: x25519Public(epk.toString("base64url")),
    });
    const { key, nonce } = derive(shared, epk, opener.publicKey, opener.kid, context);
    const decipher = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const padded = Buffer.concat([
      decipher.update(body.subarray(PUBLIC_BYTES, body.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return unpad(padded);
  } catch {
    // A point X25519 refuses, or a tag that does not verify: not a seal for this key and event.
    return null;
  }
}

/** A new gateway key pair: the private half as PKCS#8 DER, the public as the config carries it. */
export function newSealKeyPair(): { privateDer: Buffer; publicKey: string } {
  // Encoded by the generation itself (see sealIdentity: no export of a freshly generated key).
  const pair = generateKeyPairSync("x25519", {
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "der" },
  });
  return {
    privateDer: pair.privateKey,
    publicKey: pair.publicKey.subarray(pair.publicKey.length - PUBLIC_BYTES).toString("base64url"),
  };
}

/** The opener for a stored private key. */
export function sealOpener(kid: number, privateDer: Buffer): SealOpener {
  const privateKey = createPrivateKey({ key: privateDer, format: "der", type: "pkcs8" });
  return { kid, privateKey, publicKey: rawPublic(createPublicKey(privateKey)) };
}

/**
 * Session seals, `h3:` (what a lane sends now): the X25519 of an `h2:` seal once per session of
 * up to SESSION_EVENTS events, then a hash ratchet, so the gateway opens an event with one hash
 * and a decryption (about 5 µs) instead of an X25519 (about 55 µs, the most expensive step of its
 * whole ingest):
 *   esk, epk  = a fresh X25519 key pair per session; esk is dropped once `shared` is made
 *   shared    = X25519(esk, gateway public key)
 *   chain 0   = HKDF-SHA256(shared, salt = epk ‖ gateway public key,
 *                           info = "checkpoint/seal/v2" ‖ kid ‖ station ‖ device), 32 bytes
 *   chain n+1 ‖ key n = SHA-512(chain n ‖ 0x01), 32 + 32 bytes (a fixed-length secret input:
 *               a one-way step; half as costly as an HMAC in node)
 *   sealed n  = epk ‖ n (2 bytes) ‖ ChaCha20-Poly1305(key n, nonce = n, aad = station ‖ device ‖
 *               event id, padded identity) ‖ tag
 * The lane keeps only the chain key it will use next, and wipes each one as it steps: whoever takes
 * the lane (its memory included) can seal future events but opens none already sealed, as with
 * h2; its outbox holds ciphertext under keys that no longer exist anywhere but the gateway. Events
 * of one session share `epk`, which tells an observer they came from one lane in one session (the
 * topic says the lane already), never that two of them are one person.
 * The gateway keeps each session's chain keys every CHECKPOINT_EVERY steps (open in any order,
 * as an outbox resends); a session ends at SESSION_EVENTS, which bounds what one event can cost it.
 */
export const SEAL_SESSION_INFO = "checkpoint/seal/v2";
/**
 * Events per session: the counter stays below this. It bounds what one event can cost the gateway
 * (the hashes from the session's first chain key, when that event is the first it sees of the
 * session: 255 at most, about 0.3 ms), so a hostile lane cannot make one event cost much more than
 * an X25519; a new session every 256 events costs a lane and the gateway 0.2 µs an event.
 */
export const SESSION_EVENTS = 256;
const COUNTER_BYTES = 2;

/** One session's next chain key and the key that seals event `n`. */
export function ratchetStep(chain: Buffer): { next: Buffer; key: Buffer } {
  const out = createHash("sha512").update(chain).update(STEP_INPUT).digest();
  return { next: out.subarray(0, 32), key: out.subarray(32, 64) };
}
const STEP_INPUT = Buffer.from([1]);

function rootChain(shared: Buffer, epk: Buffer, gpk: Buffer, kid: number, station: string, device: string) {
  const info = Buffer.from(`${SEAL_SESSION_INFO}\0${kid}\0${station}\0${device}`, "utf8");
  return Buffer.from(hkdfSync("sha256", shared, Buffer.concat([epk, gpk]), info, 32));
}

function sessionNonce(n: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt16BE(n, 10);
  return nonce;
}

function eventAad(c: SealContext): Buffer {
  return Buffer.from(`${c.station}\0${c.device}\0${c.id}`, "utf8");
}

interface LaneSession {
  kid: number;
  gatewayKey: string;
  station: string;
  device: string;
  epk: Buffer;
  chain: Buffer;
  n: number;
}

/**
 * A lane's sealer: `seal` gives the `h3:` subject of one event. A new session starts at the first
 * seal, at SESSION_EVENTS, and when the gateway key or the lane's name changes.
 */
export class Sealer {
  private session: LaneSession | null = null;

  constructor(private readonly sessionEvents = SESSION_EVENTS) {
    if (!(sessionEvents >= 1 && sessionEvents <= SESSION_EVENTS))
      throw new Error(`1 to ${SESSION_EVENTS} events a session`);
  }

  seal(to: SealKey, identity: string, context: SealContext): string {
    const s = this.current(to, context);
    const n = s.n;
    const { next, key } = ratchetStep(s.chain);
    s.chain.fill(0);
    s.chain = Buffer.from(next);
    next.fill(0);
    s.n = n + 1;
    const cipher = createCipheriv("chacha20-poly1305", key, sessionNonce(n), { authTagLength: TAG_BYTES });
    const padded = pad(identity);
    cipher.setAAD(eventAad(context), { plaintextLength: padded.length });
    const counter = Buffer.alloc(COUNTER_BYTES);
    counter.writeUInt16BE(n);
    const body = Buffer.concat([s.epk, counter, cipher.update(padded), cipher.final(), cipher.getAuthTag()]);
    key.fill(0);
    return `h3:${to.kid}:${body.toString("base64url")}`;
  }

  private current(to: SealKey, c: SealContext): LaneSession {
    const s = this.session;
    if (
      s &&
      s.n < this.sessionEvents &&
      s.kid === to.kid &&
      s.gatewayKey === to.key &&
      s.station === c.station &&
      s.device === c.device
    ) {
      return s;
    }
    s?.chain.fill(0);
    const gateway = gatewayPublic(to.key);
    const ephemeral = generateKeyPairSync("x25519").privateKey;
    basePoint ??= x25519Public(BASE_POINT);
    const epk = diffieHellman({ privateKey: ephemeral, publicKey: basePoint });
    const shared = diffieHellman({ privateKey: ephemeral, publicKey: gateway.key });
    const chain = rootChain(shared, epk, gateway.bytes, to.kid, c.station, c.device);
    shared.fill(0);
    this.session = {
      kid: to.kid,
      gatewayKey: to.key,
      station: c.station,
      device: c.device,
      epk,
      chain,
      n: 0,
    };
    return this.session;
  }
}

/** The parts of an `h3:` subject, or null when it is not one this format could have made. */
export function sessionSealParts(
  subject: string,
): { kid: number; epk: Buffer; n: number; body: Buffer } | null {
  const kid = sealedKid(subject, "h3:");
  if (kid === null) return null;
  const raw = Buffer.from(subject.slice(subject.indexOf(":", 3) + 1), "base64url");
  if (raw.length < PUBLIC_BYTES + COUNTER_BYTES + 96 + TAG_BYTES) return null;
  const n = raw.readUInt16BE(PUBLIC_BYTES);
  if (n >= SESSION_EVENTS) return null;
  return { kid, epk: raw.subarray(0, PUBLIC_BYTES), n, body: raw.subarray(PUBLIC_BYTES + COUNTER_BYTES) };
}

/** A session's first chain key, on the gateway: one X25519 (null when X25519 refuses `epk`). */
export function openerRootChain(
  opener: SealOpener,
  epk: Buffer,
  station: string,
  device: string,
): Buffer | null {
  try {
    const shared = diffieHellman({
      privateKey: opener.privateKey,
      publicKey: x25519Public(epk.toString("base64url")),
    });
    const root = rootChain(shared, epk, opener.publicKey, opener.kid, station, device);
    shared.fill(0);
    return root;
  } catch {
    return null;
  }
}

/** The identity in event `context`'s sealed body under the message key `key`, or null. */
export function openWithKey(key: Buffer, n: number, body: Buffer, context: SealContext): string | null {
  try {
    const decipher = createDecipheriv("chacha20-poly1305", key, sessionNonce(n), {
      authTagLength: TAG_BYTES,
    });
    const sealed = body.subarray(0, body.length - TAG_BYTES);
    decipher.setAAD(eventAad(context), { plaintextLength: sealed.length });
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const padded = Buffer.concat([decipher.update(sealed), decipher.final()]);
    return unpad(padded);
  } catch {
    return null; // the tag does not verify: altered, another event, another session
  }
}
