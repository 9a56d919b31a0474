/**
 * Opening `h3:` session seals (protocol/seal.ts) in the gateway's thread: the session's first
 * chain key costs one X25519, once per lane session; then each event costs the hash steps from
 * the nearest chain key kept to its own, and one decryption.
 *
 * Per session it keeps the chain key at every CHECKPOINT_EVERY-th event and the furthest one
 * reached, so events open in any order (an outbox resends old ones after a reconnect, a restart
 * of the gateway starts from the session's first key) for at most CHECKPOINT_EVERY - 1 steps each,
 * except the first of a session, bounded by SESSION_EVENTS steps (about 0.3 ms).
 * A session is kept only once one of its events opened: forged sessions push out nobody's. A forged
 * event costs the gateway an X25519 and up to SESSION_EVENTS hashes (about 0.5 ms) and its sender
 * almost nothing, so once a lane's events failed to open FAILED_OPENS_PER_MINUTE times in a
 * minute, a new session of that lane is opened for the rest of that minute only at its first
 * events (counter below CHECKPOINT_EVERY: an X25519 and a few hashes, what an h2 seal costs): an
 * honest lane never fails, and its new sessions start at 0, so it keeps working while a hostile
 * one (a stolen lane's login) can no longer make one event cost the gateway hundreds of hashes. The gateway holds the private key that makes every chain anyway, so
 * keeping these keys adds nothing a thief of the gateway would not have.
 */
import {
  openerRootChain,
  openWithKey,
  ratchetStep,
  SESSION_EVENTS,
  type SealContext,
  type SealOpener,
  sessionSealParts,
} from "@checkpoint/protocol";
import { BoundedMap } from "../ingest/bounded-map.ts";

export const CHECKPOINT_EVERY = 16;
/** Failed opens of new sessions one lane may cause in a minute before it gets no more. */
export const FAILED_OPENS_PER_MINUTE = 20;
const KEY_BYTES = 32;

interface Session {
  /** Chain keys at events 0, CHECKPOINT_EVERY, 2 × CHECKPOINT_EVERY, … side by side, `reached` of them. */
  checkpoints: Buffer;
  reached: number;
  /** The chain key of event `headN`, the furthest reached (the next event's, in order). */
  headN: number;
  head: Buffer;
}

export class SealSessions {
  private readonly sessions: BoundedMap<string, Session>;
  /** Counters for the metrics: X25519s done (a session's first event, or a forgery), hash steps taken, late opens refused after a lane's failures. */
  readonly counts = { sessions: 0, steps: 0, throttled: 0 };
  /** Per lane: failed opens of new sessions in the current minute. */
  private readonly failed = new BoundedMap<string, { minute: number; n: number }>(4096);

  /** About 0.5 KB a session. */
  constructor(
    capacity = 2048,
    private readonly now: () => number = Date.now,
  ) {
    this.sessions = new BoundedMap(capacity);
  }

  /** The identity in `subject` (an `h3:` subject sealed to `opener`), or null when it does not open. */
  open(opener: SealOpener, subject: string, context: SealContext): string | null {
    const parts = sessionSealParts(subject);
    if (!parts || parts.kid !== opener.kid) return null;
    const id = `${opener.kid}\0${context.station}\0${context.device}\0${parts.epk.toString("base64url")}`;
    const known = this.sessions.get(id);
    let session = known;
    const lane = `${context.station}/${context.device}`;
    const minute = Math.floor(this.now() / 60_000);
    if (!session) {
      const f = this.failed.get(lane);
      if (f && f.minute === minute && f.n >= FAILED_OPENS_PER_MINUTE && parts.n >= CHECKPOINT_EVERY) {
        this.counts.throttled++;
        return null;
      }
      const root = openerRootChain(opener, parts.epk, context.station, context.device);
      if (!root) return this.failedOpen(lane, minute);
      this.counts.sessions++;
      const checkpoints = Buffer.alloc((SESSION_EVENTS / CHECKPOINT_EVERY) * KEY_BYTES);
      root.copy(checkpoints);
      session = { checkpoints, reached: 1, headN: 0, head: root };
    }
    const identity = openWithKey(this.keyOf(session, parts.n), parts.n, parts.body, context);
    if (identity !== null && !known) this.sessions.set(id, session);
    if (identity === null && !known) return this.failedOpen(lane, minute);
    return identity;
  }

  private failedOpen(lane: string, minute: number): null {
    const f = this.failed.get(lane);
    if (f && f.minute === minute) f.n++;
    else this.failed.set(lane, { minute, n: 1 });
    return null;
  }

  /** Sessions kept (each opened at least one event). */
  get size(): number {
    return this.sessions.size;
  }

  /** Forgets every session (a key destroyed: its sessions must not open anything more). */
  clear(): void {
    this.sessions.clear();
  }

  private keyOf(s: Session, n: number): Buffer {
    let i: number;
    let chain: Buffer;
    if (n >= s.headN) {
      i = s.headN;
      chain = s.head;
    } else {
      const c = Math.floor(n / CHECKPOINT_EVERY);
      i = c * CHECKPOINT_EVERY;
      chain = s.checkpoints.subarray(c * KEY_BYTES, (c + 1) * KEY_BYTES);
    }
    for (;;) {
      // One hash gives event i's key and the chain key of i + 1.
      const { next, key } = ratchetStep(chain);
      this.counts.steps++;
      i++;
      if (i % CHECKPOINT_EVERY === 0 && s.reached === i / CHECKPOINT_EVERY) {
        next.copy(s.checkpoints, s.reached * KEY_BYTES);
        s.reached++;
      }
      if (i > s.headN) {
        s.headN = i;
        s.head = next;
      }
      if (i > n) return key;
      chain = next;
    }
  }
}
