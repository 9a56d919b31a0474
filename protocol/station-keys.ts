/**
 * Station keys and the station's waiting list: how the lanes of one station recognise a person
 * sent to rest, with the network down, while holding nothing that unmasks anyone else.
 *
 * The gateway gives every lane of a station the same daily keys, one per calendar day of its
 * time zone (Asia/Shanghai by default), for today and the days ahead (gateway/privacy/
 * station-keys.ts), in the retained device config. A lane that loses the network keeps matching
 * on the keys it already holds until they run out.
 *
 * A person sent to rest is kept only as a **tag**: scrypt(identity, key of the day), 16 bytes.
 * Every lane of the station computes the same tag for the same person on the same day, so a
 * waiting list can be matched at any of its lanes (issue 10 shares it). The tag is never sent
 * and never written to disk; the lane's events carry the sealed identity instead (seal.ts).
 *
 * What a stolen lane gives away: the tags in its waiting list (the people sent to rest within
 * one retest window) and the keys it holds. Testing a guessed identity against a tag costs one
 * scrypt with 8 MiB of memory (N = 2^13, r = 8): about 13 ms on one x86 core, a few thousand
 * core-hours for a county's tens of millions of candidate ID numbers, and a fresh start for
 * every station and every day (the key is the salt, so nothing can be computed ahead). The lane
 * pays one scrypt per scan (two for one retest window after midnight or a key change), well
 * inside its 300 ms verdict budget (bench:privacy measures it).
 *
 * Keys leave a lane as soon as they can: a key whose day is over, or that the gateway replaced,
 * is dropped from the saved config at once and kept in memory only for one retest window (for
 * the people sent to rest just before midnight), then wiped. A lane that holds no key for now
 * (offline past its last key, or a clock outside them) matches with a key of its own, random
 * and in memory only: at that lane alone, until the gateway's keys arrive.
 */
import { randomBytes, randomUUID, scrypt } from "node:crypto";
import { base32 } from "./pseudonym.ts";
import type { StationKey } from "./schemas.ts";

/** scrypt's cost for a station tag: 8 MiB of memory, about 13 ms on an x86 core. */
export const STATION_TAG_SCRYPT = { N: 8192, r: 8, p: 1 } as const;
const TAG_BYTES = 16;
const SALT_PREFIX = Buffer.from("checkpoint/station-tag/v1\0", "utf8");

/** A person's tag under one station key: base32 of 16 bytes of scrypt. */
export function stationTag(key: Buffer, identity: string): Promise<string> {
  return new Promise((resolve, reject) => {
    scrypt(
      identity,
      Buffer.concat([SALT_PREFIX, key]),
      TAG_BYTES,
      { ...STATION_TAG_SCRYPT, maxmem: 32 * 1024 * 1024 },
      (error, tag) => (error ? reject(error) : resolve(base32(tag))),
    );
  });
}

/** A station key as a lane holds it. */
export interface HeldKey {
  id: string;
  fromMs: number;
  toMs: number;
  key: Buffer;
  /** The lane's own key, made when it had none from the gateway: in memory, this lane only. */
  local?: boolean;
}

function held(k: StationKey): HeldKey {
  return {
    id: k.id,
    fromMs: Date.parse(k.from),
    toMs: Date.parse(k.to),
    key: Buffer.from(k.key, "base64url"),
  };
}

/** The station keys one lane holds: issued (saved with its config), and retired (memory only). */
export class StationKeyring {
  private issued: HeldKey[] = [];
  private local: HeldKey | null = null;
  private readonly retired = new Map<string, { key: HeldKey; untilMs: number }>();
  /** Counts changes to the issued keys: the lane rewrites its saved config when it moves. */
  revision = 0;

  /** `graceMs`: how long a retired key stays in memory (the retest window). */
  constructor(private readonly graceMs: () => number) {}

  /**
   * The gateway's keys (from a new retained config, or the saved one at start). A held key the
   * new set no longer has (a rotation) is retired now; keys whose day is over are not taken.
   */
  set(keys: readonly StationKey[], nowMs: number): void {
    const next = keys
      .map(held)
      .filter((k) => k.toMs > nowMs)
      .sort((a, b) => a.fromMs - b.fromMs);
    for (const old of this.issued) {
      if (!next.some((k) => k.id === old.id && k.key.equals(old.key))) this.retire(old, nowMs);
    }
    this.issued = next;
    this.revision++;
    this.tick(nowMs);
  }

  /**
   * Retires the keys whose day is over (kept in memory for one grace from their day's end) and
   * wipes retired keys past their grace. When the issued keys change, `revision` moves: the lane
   * then rewrites its saved config with `persisted()`.
   */
  tick(nowMs: number): void {
    const before = this.issued.length;
    this.issued = this.issued.filter((k) => {
      if (k.toMs > nowMs) return true;
      this.retire(k, k.toMs);
      return false;
    });
    if (this.issued.length !== before) this.revision++;
    for (const [id, r] of this.retired) {
      if (r.untilMs > nowMs) continue;
      r.key.key.fill(0);
      this.retired.delete(id);
    }
  }

  private retire(key: HeldKey, fromMs: number): void {
    this.retired.set(key.id, { key, untilMs: fromMs + this.graceMs() });
  }

  /**
   * The key new waiting entries are made with: the gateway's key of the moment or, when the lane
   * has none for now, its own (random, in memory only, matching at this lane alone).
   */
  current(nowMs: number): HeldKey {
    const issued = this.issued.find((k) => k.fromMs <= nowMs && nowMs < k.toMs);
    if (issued) {
      if (this.local) {
        this.retire(this.local, nowMs);
        this.local = null;
      }
      return issued;
    }
    this.local ??= {
      id: `local-${randomUUID()}`,
      fromMs: nowMs,
      toMs: Number.POSITIVE_INFINITY,
      key: randomBytes(32),
      local: true,
    };
    return this.local;
  }

  /** A key this lane still holds (issued, its own, or retired within its grace). */
  get(id: string): HeldKey | undefined {
    if (this.local?.id === id) return this.local;
    return this.issued.find((k) => k.id === id) ?? this.retired.get(id)?.key;
  }

  /** The ids of every key held, in the saved config or in memory. */
  heldIds(): string[] {
    return [
      ...this.issued.map((k) => k.id),
      ...(this.local ? [this.local.id] : []),
      ...[...this.retired.keys()],
    ];
  }

  /** The issued keys as the saved config keeps them: none whose day is over. */
  persisted(): StationKey[] {
    return this.issued.map((k) => ({
      id: k.id,
      from: new Date(k.fromMs).toISOString(),
      to: new Date(k.toMs).toISOString(),
      key: k.key.toString("base64url"),
    }));
  }
}

/** One person waiting for their retest: who by tag, under which key, since when, sent by which lane. */
export interface Waiting {
  keyId: string;
  tag: string;
  atMs: number;
  device: string;
}

/** A person's tag under the key of the moment (for a new waiting entry). */
export interface CurrentTag {
  keyId: string;
  tag: string;
}

/**
 * The people sent to rest at a station within the retest window, by tag. Any lane of the station
 * can match an entry another lane made (the station link shares them with `merge`); the lane keeps
 * the list in its data folder across a restart (firmware/lane/waiting-file.ts).
 */
export class WaitingList {
  private readonly entries = new Map<string, Waiting>();

  constructor(
    private readonly keyring: StationKeyring,
    private readonly windowMs: () => number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Looks `identity` up: its tag under the key of the moment and under every key a live entry
   * was made with (one scrypt each, in parallel on the thread pool). Returns the newest entry
   * that matches, and the tag for a new entry.
   */
  async match(identity: string, nowMs: number): Promise<{ waiting: Waiting | null; current: CurrentTag }> {
    this.expire(nowMs);
    const current = this.keyring.current(nowMs);
    const ids = new Set([current.id]);
    for (const e of this.entries.values()) ids.add(e.keyId);
    const tags = await Promise.all(
      [...ids].map(async (id) => {
        const key = this.keyring.get(id);
        return key ? { id, tag: await stationTag(key.key, identity) } : null;
      }),
    );
    let waiting: Waiting | null = null;
    let tag = "";
    for (const t of tags) {
      if (!t) continue;
      if (t.id === current.id) tag = t.tag;
      const hit = this.entries.get(entryKey(t.id, t.tag));
      if (hit && (!waiting || hit.atMs > waiting.atMs)) waiting = hit;
    }
    return { waiting, current: { keyId: current.id, tag } };
  }

  /** A person sent to rest now. */
  add(tagged: CurrentTag, atMs: number, device: string): Waiting {
    const entry: Waiting = { ...tagged, atMs, device };
    this.entries.set(entryKey(tagged.keyId, tagged.tag), entry);
    return entry;
  }

  /** Another lane's entry (issue 10: the station's lanes share who is waiting). */
  merge(entry: Waiting): void {
    const key = entryKey(entry.keyId, entry.tag);
    const mine = this.entries.get(key);
    if (!mine || mine.atMs < entry.atMs) this.entries.set(key, { ...entry });
  }

  /** The person's retest is done (unless they were sent to rest again since `entry`). */
  remove(entry: Waiting): void {
    const key = entryKey(entry.keyId, entry.tag);
    const mine = this.entries.get(key);
    if (mine && mine.atMs <= entry.atMs) this.entries.delete(key);
  }

  /** Everyone waiting, oldest first (what a lane shares with its station). */
  list(): Waiting[] {
    return [...this.entries.values()].sort((a, b) => a.atMs - b.atMs);
  }

  /** Forgets entries older than the window and those whose key this lane no longer holds. */
  expire(nowMs: number): void {
    this.keyring.tick(nowMs);
    const window = this.windowMs();
    for (const [k, e] of this.entries) {
      if (nowMs - e.atMs > window || !this.keyring.get(e.keyId)) this.entries.delete(k);
    }
  }
}

const entryKey = (keyId: string, tag: string) => `${keyId}\u0000${tag}`;
