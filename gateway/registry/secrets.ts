/**
 * Device and operator secrets are 192 random bits (newSecret), so a slow password hash buys
 * nothing: no one can enumerate 2^192 guesses, however fast the hash. What protects them if
 * gateway.db is copied is a keyed hash, HMAC-SHA256 under a pepper that lives in its own file
 * (mode 0600) beside the database, not in it. It costs microseconds, so a reconnect storm of
 * 10,000 lanes after a gateway restart costs milliseconds of CPU instead of the ~6 minutes scrypt
 * took (37 ms each). Stored as `hmac$<base64>`.
 *
 * scrypt (below) stays for hashes made before, verified once and then re-keyed by the registry,
 * and for passwords people choose (the console's users), where slowness is the point.
 *
 * Secret hashing with scrypt (N=2^14, r=8, p=1, 16-byte salt, 32-byte key), stored as
 * `scrypt$N$r$p$salt$hash` (base64). Verification runs on libuv's thread pool and compares in
 * constant time.
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

function derive(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_BYTES, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/**
 * A hash no secret matches, of the same cost as hashSecret's: checking a password against it
 * takes as long as checking one against a real user's, so an unknown username costs the same.
 */
export const DUMMY_SECRET_HASH = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString("base64")}$${Buffer.alloc(KEY_BYTES).toString("base64")}`;

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const key = await derive(secret, Buffer.from(salt, "base64"), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export function keyedHash(pepper: Buffer, secret: string): string {
  return `hmac$${createHmac("sha256", pepper).update(secret, "utf8").digest("base64")}`;
}

export function verifyKeyedHash(pepper: Buffer, secret: string, stored: string): boolean {
  const expected = Buffer.from(stored, "utf8");
  const actual = Buffer.from(keyedHash(pepper, secret), "utf8");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Reads the pepper file, creating it (0600, in a 0700 folder) on first use. */
export function loadPepper(path: string): Buffer {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, randomBytes(32), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new Error(
      `${path} is readable by others (mode ${mode.toString(8)}): it keys every device secret. Run: chmod 600 ${path}`,
    );
  }
  const pepper = readFileSync(path);
  if (pepper.length < 32) throw new Error(`${path} is too short to be a pepper; restore it from a backup`);
  return pepper;
}

/** A fresh random secret for a device: 24 bytes, base64url. */
export function newSecret(): string {
  return randomBytes(24).toString("base64url");
}
