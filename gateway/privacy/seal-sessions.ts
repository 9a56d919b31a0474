/**
 * Opening `h3:` session seals (protocol/seal.ts) in the gateway's thread: the session's first
 * chain key costs one X25519, once per lane session; then each event costs the hash steps from
 * the nearest chain key kept to its own, and one decryption.
 *
 * Per session it keeps the chain key at every CHECKPOINT_EVERY-th event and the furthest one
 * reached, so events open in any order (an outbox resends old ones after a reconnect, a restart
 * of the gateway starts from the session's first key) for at most CHECKPOINT_EVERY - 1 steps each,
 * except the first of a session, bounded by SESSION_EVENTS steps (about 0.3 ms).
 * A session is kept only once one of its events opened: forged sessions cost their sender an
 * X25519 each and push out nobody's. The gateway holds the private key that makes every chain
 * anyway, so keeping these keys adds nothing a thief of the gateway would not have.
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
  /** Counters for the metrics: X25519s done (a session's first event, or a forgery), hash steps taken. */
  readonly counts = { sessions: 0, steps: 0 };

  /** About 2 KB a session. */
  constructor(capacity = 2048) {
    this.sessions = new BoundedMap(capacity);
  }

  /** The identity in `subject` (an `h3:` subject sealed to `opener`), or null when it does not open. */
  open(opener: SealOpener, subject: string, context: SealContext): string | null {
    const parts = sessionSealParts(subject);
    if (!parts || parts.kid !== opener.kid) return null;
    const id = `${opener.kid}\0${context.station}\0${context.device}\0${parts.epk.toString("base64url")}`;
    const known = this.sessions.get(id);
    let session = known;
    if (!session) {
      const root = openerRootChain(opener, parts.epk, context.station, context.device);
      if (!root) return null;
      this.counts.sessions++;
      const checkpoints = Buffer.alloc((SESSION_EVENTS / CHECKPOINT_EVERY) * KEY_BYTES);
      root.copy(checkpoints);
      session = { checkpoints, reached: 1, headN: 0, head: root };
    }
    const identity = openWithKey(this.keyOf(session, parts.n), parts.n, parts.body, context);
    if (identity !== null && !known) this.sessions.set(id, session);
    return identity;
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
