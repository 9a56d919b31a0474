/**
 * The thief's side of bench:privacy: an enumerator of Chinese ID numbers, written from the
 * published formats only (GB 11643-1999, and what the firmware's README and protocol/ document
 * about pseudonyms and station tags), never calling the scheme's own code. Run as a worker thread
 * (one per core) by privacy.bench.ts, or imported for its helpers.
 *
 * A task names a county (region code), a range of birth days and the sequence numbers 001–999;
 * every candidate gets its check character, then each derivation asked for:
 * - `hmac`: HMAC-SHA256 under each key, base32, first 26 characters (the shape of every keyed
 *   pseudonym in this project: the legacy `h1:`, the stored `g`/`l`);
 * - `tag`: scrypt(identity, "checkpoint/station-tag/v1\0" ‖ key, N = 2^13, r = 8, p = 1), 16
 *   bytes, base32 (a lane's station tag).
 * and looks the result up among the targets. It stops at the end of its range or its time limit.
 */
import { createHmac, scryptSync } from "node:crypto";
import { isMainThread, parentPort, workerData } from "node:worker_threads";

export interface AttackTask {
  region: string;
  /** First birth day, "YYYY-MM-DD", and how many days from it. */
  fromDay: string;
  days: number;
  derivation: "hmac" | "tag";
  /** Key material, base64. */
  keys: string[];
  /** What to find: 26 base32 characters each. */
  targets: string[];
  /** Stop after this long (the candidates tried so far are reported). */
  limitMs: number;
}

export interface AttackResult {
  tried: number;
  /** Candidate × key derivations made. */
  derivations: number;
  found: { identity: string; key: number; target: string }[];
  ms: number;
  /** The CPU time this thread used (ms). */
  cpuMs: number;
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = "10X98765432";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base32(bytes: Uint8Array, chars: number): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= chars) break;
  }
  if (out.length < chars && bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Every ID number of `region` born on the `days` days from `fromDay`, in order. */
export function* idNumbers(region: string, fromDay: string, days: number): Generator<string> {
  const start = Date.parse(`${fromDay}T00:00:00Z`);
  let regionSum = 0;
  for (let i = 0; i < 6; i++) regionSum += Number(region[i]) * (WEIGHTS[i] ?? 0);
  for (let d = 0; d < days; d++) {
    const date = new Date(start + d * 86_400_000).toISOString().slice(0, 10).replaceAll("-", "");
    let dateSum = regionSum;
    for (let i = 0; i < 8; i++) dateSum += Number(date[i]) * (WEIGHTS[6 + i] ?? 0);
    for (let seq = 1; seq <= 999; seq++) {
      const s = String(seq).padStart(3, "0");
      const sum = dateSum + Number(s[0]) * 8 + Number(s[1]) * 4 + Number(s[2]) * 2;
      yield `${region}${date}${s}${CHECK[sum % 11]}`;
    }
  }
}

const TAG_SALT = Buffer.from("checkpoint/station-tag/v1\0", "utf8");

/** The first 30 bits of 26 base32 characters (6 characters): a quick filter before comparing. */
function prefix30(text: string): number {
  let v = 0;
  for (let i = 0; i < 6; i++) v = v * 32 + ALPHABET.indexOf(text[i] ?? "A");
  return v;
}

const bytePrefix30 = (d: Buffer) =>
  (((d[0] ?? 0) << 22) | ((d[1] ?? 0) << 14) | ((d[2] ?? 0) << 6) | ((d[3] ?? 0) >>> 2)) >>> 0;

export function attack(task: AttackTask): AttackResult {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const keys = task.keys.map((k) => Buffer.from(k, "base64"));
  const salts = keys.map((k) => Buffer.concat([TAG_SALT, k]));
  const targets = new Set(task.targets);
  const prefixes = new Set(task.targets.map(prefix30));
  const found: AttackResult["found"] = [];
  let tried = 0;
  let derivations = 0;
  const deadline = started + task.limitMs;
  for (const number of idNumbers(task.region, task.fromDay, task.days)) {
    const identity = `cn-id:${number}`;
    for (let k = 0; k < keys.length; k++) {
      const digest =
        task.derivation === "hmac"
          ? createHmac("sha256", keys[k] as Buffer)
              .update(identity)
              .digest()
          : scryptSync(identity, salts[k] as Buffer, 16, { N: 8192, r: 8, p: 1 });
      derivations++;
      if (!prefixes.has(bytePrefix30(digest))) continue;
      const out = base32(digest, 26);
      if (targets.has(out)) found.push({ identity, key: k, target: out });
    }
    tried++;
    if ((task.derivation === "tag" || (tried & 1023) === 0) && performance.now() > deadline) break;
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    tried,
    derivations,
    found,
    ms: performance.now() - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

if (!isMainThread && parentPort) parentPort.postMessage(attack(workerData as AttackTask));
