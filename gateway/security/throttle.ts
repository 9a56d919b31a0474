/**
 * Failed-login throttling for one kind of key (a username, an address, a username at an address).
 *
 * Each key has a failure score that grows by one per failed attempt and leaks away by one every
 * `leakMs`, so an old typo is forgotten and a slow, steady misconfiguration never adds up. While
 * the score is under `free`, attempts go ahead at once (at most `free` of them in flight). Past
 * it, attempts go one at a time, and each only after a wait since the last failure that doubles
 * with every failure (`baseMs`, 2·baseMs, … up to `maxDelayMs`). At `lockAfter` the key is locked
 * for `lockMs`: nothing is tried, not even the right password. A lock always expires; the score
 * leaks meanwhile, so after it the key gets one attempt per lock period until someone gets it
 * right (which clears the key when `resetOnSuccess`) or the score has leaked below the lock line.
 * An admin can lift it sooner (`unlock`): `cleared()` is asked, at most once a second per key,
 * whether that happened since the key's record began.
 *
 * Refused attempts are not failures: they check nothing and change nothing, so a flood of them
 * cannot lengthen a lock nor cost a password hash. The records live in memory, bounded by
 * `capacity` (the least recently touched go first; a fully leaked record is dropped anyway):
 * losing them on a restart only gives a guesser a fresh start, which the restart itself would
 * cost them far more than it gives.
 */

export interface ThrottlePolicy {
  /** Failures allowed with no wait. */
  free: number;
  /** The wait after the first failure past `free`; it doubles with each further one. */
  baseMs: number;
  maxDelayMs: number;
  /** The score at which the key is locked (Infinity: never). */
  lockAfter: number;
  lockMs: number;
  /** One failure is forgiven every `leakMs`. */
  leakMs: number;
  /** Whether a success forgets the key's failures (a user's: yes; a shared address's: no). */
  resetOnSuccess: boolean;
}

export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterMs: number; locked: boolean };

/** What an attempt's failure did to its key. */
export interface FailureOutcome {
  /** The key's failures that count now (those not yet forgiven). */
  failures: number;
  /** This failure locked the key, until `lockedUntil`. */
  locked: boolean;
  lockedUntil: number;
}

export interface ThrottleOptions {
  now?: () => number;
  /** Most keys remembered. */
  capacity?: number;
  /** Whether an admin lifted the limits on one of these names at or after `sinceMs`. */
  cleared?: (names: readonly string[], sinceMs: number) => boolean;
}

interface Entry {
  score: number;
  /** When `score` was last brought up to date. */
  atMs: number;
  lastFailureMs: number;
  lockedUntil: number;
  inFlight: number;
  /** When this record began: an admin's unlock after it clears it. */
  sinceMs: number;
  /** When `cleared()` was last asked. */
  checkedMs: number;
  names: readonly string[];
}

const CLEARED_CHECK_MS = 1000;

/** Failures still counted: a failure is forgiven only once it has leaked away whole. */
const failures = (entry: Entry) => Math.ceil(entry.score);

export class Throttle {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly capacity: number;
  private readonly cleared: (names: readonly string[], sinceMs: number) => boolean;

  constructor(
    readonly policy: ThrottlePolicy,
    options: ThrottleOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.capacity = options.capacity ?? 50_000;
    this.cleared = options.cleared ?? (() => false);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * May an attempt on `key` go ahead now? When it may, it is counted as in flight until `end()`
   * or `cancel()`. `names` are what an admin's unlock matches (a username, an address).
   */
  begin(key: string, names: readonly string[]): ThrottleVerdict {
    const now = this.now();
    const entry = this.current(key, now);
    if (!entry) {
      this.store(key, { ...this.fresh(now, names), inFlight: 1 });
      return { ok: true };
    }
    const verdict = this.judge(entry, now);
    if (!verdict.ok && now - entry.checkedMs >= CLEARED_CHECK_MS) {
      entry.checkedMs = now;
      if (this.cleared(entry.names, entry.sinceMs)) {
        const inFlight = entry.inFlight;
        this.store(key, { ...this.fresh(now, entry.names), inFlight: inFlight + 1 });
        return { ok: true };
      }
    }
    if (verdict.ok) entry.inFlight++;
    this.store(key, entry);
    return verdict;
  }

  /** The outcome of an attempt that `begin()` let through. */
  end(key: string, ok: boolean): FailureOutcome | null {
    const now = this.now();
    const entry = this.current(key, now);
    if (!entry) return null;
    entry.inFlight = Math.max(0, entry.inFlight - 1);
    if (ok) {
      if (this.policy.resetOnSuccess && entry.inFlight === 0) this.entries.delete(key);
      else this.store(key, entry);
      return null;
    }
    entry.score += 1;
    entry.lastFailureMs = now;
    const locked = failures(entry) >= this.policy.lockAfter && entry.lockedUntil <= now;
    if (locked) entry.lockedUntil = now + this.policy.lockMs;
    this.store(key, entry);
    return { failures: failures(entry), locked, lockedUntil: entry.lockedUntil };
  }

  /** An attempt `begin()` let through that was never made (another key refused it). */
  cancel(key: string): void {
    const entry = this.entries.get(key);
    if (entry) entry.inFlight = Math.max(0, entry.inFlight - 1);
  }

  /** Forgets every key with one of these names (an admin's unlock in this process). */
  clear(name: string): void {
    for (const [key, entry] of this.entries) if (entry.names.includes(name)) this.entries.delete(key);
  }

  private judge(entry: Entry, now: number): ThrottleVerdict {
    const { policy } = this;
    if (entry.lockedUntil > now) return { ok: false, retryAfterMs: entry.lockedUntil - now, locked: true };
    const counted = failures(entry);
    if (counted + entry.inFlight < policy.free) return { ok: true };
    // Past the free attempts: one at a time, each after its wait.
    const past = counted - policy.free;
    const wait = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** Math.max(0, past));
    const due = entry.lastFailureMs + wait;
    if (entry.inFlight > 0)
      return { ok: false, retryAfterMs: Math.max(policy.baseMs, due - now), locked: false };
    if (now < due) return { ok: false, retryAfterMs: due - now, locked: false };
    return { ok: true };
  }

  /** The key's record with its score leaked up to now; null (and dropped) when nothing is left. */
  private current(key: string, now: number): Entry | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    entry.score = Math.max(0, entry.score - (now - entry.atMs) / this.policy.leakMs);
    entry.atMs = now;
    if (entry.score === 0 && entry.inFlight === 0 && entry.lockedUntil <= now) {
      this.entries.delete(key);
      return null;
    }
    return entry;
  }

  private fresh(now: number, names: readonly string[]): Entry {
    return {
      score: 0,
      atMs: now,
      lastFailureMs: 0,
      lockedUntil: 0,
      inFlight: 0,
      sinceMs: now,
      checkedMs: 0,
      names,
    };
  }

  /** Keeps the most recently touched keys last, and the map within its capacity. */
  private store(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size <= this.capacity) return;
    const now = this.now();
    for (const [k] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      if (k !== key && this.current(k, now) !== null) this.entries.delete(k);
    }
  }
}

/** A remote address as people read it: an IPv4-mapped IPv6 address as plain IPv4. */
export function plainAddress(address: string | undefined): string {
  if (!address) return "unknown";
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
}

/**
 * The address a throttle counts: an IPv4 address as it is (also when IPv4-mapped), an IPv6
 * address by its /64 network, which one subscriber usually holds whole.
 */
export function addressKey(remote: string | undefined): string {
  const address = plainAddress(remote);
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.split("%")[0]?.split("::") ?? [""];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(":")}::/64`;
}
