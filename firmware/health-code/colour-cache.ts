/**
 * What the platform said about a holder in the last few minutes, for when it does not answer: in
 * memory only (never on disk), keyed by a keyed hash of the identity under a key made at start and
 * never stored (so the map holds no token, and its keys match nothing outside this process), each
 * entry for `ttlMs` after the platform's answer (lane.json `healthCode.cacheTtlS`, 5 minutes by
 * default), at most `capacity` of them (the oldest answer goes first). A colour past its time is
 * not used: a code can turn red, and an old green is no longer evidence.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { CodeColour } from "@checkpoint/protocol";

export const DEFAULT_CACHE_TTL_S = 300;
const DEFAULT_CAPACITY = 10_000;

export class ColourCache {
  private readonly key = randomBytes(32);
  /** By hashed identity: the colour and when the platform gave it (insertion order = age). */
  private readonly entries = new Map<string, { colour: CodeColour; atMs: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  private keyOf(identity: string): string {
    return createHmac("sha256", this.key).update(identity).digest("base64url");
  }

  /** The platform's answer, just received. */
  put(identity: string, colour: CodeColour): void {
    if (this.ttlMs <= 0) return;
    const key = this.keyOf(identity);
    this.entries.delete(key);
    this.entries.set(key, { colour, atMs: this.now() });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** The colour heard within the TTL, or null. */
  get(identity: string): CodeColour | null {
    const key = this.keyOf(identity);
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (this.now() - entry.atMs >= this.ttlMs) {
      this.entries.delete(key);
      return null;
    }
    return entry.colour;
  }

  /** Forgets a holder the platform says it does not know. */
  forget(identity: string): void {
    this.entries.delete(this.keyOf(identity));
  }

  get size(): number {
    return this.entries.size;
  }
}
