/**
 * Re-keying: every screening's subject becomes the gateway's pseudonym before anything is stored,
 * published to officers or exported (gateway/ingest/ingest.ts calls `rekey` first thing).
 *
 * - `h3:` (a lane of this firmware): opened with the private key it names, one X25519 per lane
 *   session and two hashes per event (seal-sessions.ts), in this thread; the identity inside gives
 *   `g<v>:` + base32(HMAC-SHA256(key v, identity))[0..26] under the current version v, and is
 *   dropped. About 0.01 ms an event (bench:privacy measures it).
 * - `h2:` (the previous firmware): the same with one X25519 per event (about 0.05 ms), opened by
 *   the worker threads when the gateway has them (open-pool.ts).
 * - `h1:` (old firmware, made with the deployment's former shared key): accepted, so that old
 *   lanes keep working until they are upgraded, and re-keyed to `l<v>:` + HMAC(key v, the h1
 *   subject). The letter flags it: such a subject links only with that lane generation's
 *   screenings (the gateway cannot know which identity an h1 pseudonym stands for), and the
 *   stolen old lane's key, which makes h1 subjects, still cannot make or reverse an `l` one.
 *
 * Linking across a rotation: `aliases()` gives the same subject under every older version still
 * kept (a few HMACs, computed only when a retest is asked or answered), so a retest asked before
 * a rotation is answered by an attempt 2 after it; `pseudonymsOf(identity)` gives every stored
 * form of one identity for a trace, including its legacy one when the gateway still has the
 * former shared key.
 */
import { createHmac, type KeyObject } from "node:crypto";
import {
  base32,
  IDENTITY_KINDS,
  openSealed,
  PSEUDONYM_LENGTH,
  pseudonym,
  type ScreeningEvent,
  sealedKid,
} from "@checkpoint/protocol";
import type { OpenErrors, OpenPool } from "./open-pool.ts";
import type { KeyVersion, PseudonymKeys } from "./pseudonym-keys.ts";
import { SealSessions } from "./seal-sessions.ts";

export type Rekeyed =
  | {
      ok: true;
      /** The stored pseudonym, under the current version. */
      subject: string;
      /** Made from a legacy `h1:` subject. */
      legacy: boolean;
      /** The same subject under every older version still kept. */
      aliases(): string[];
    }
  | { ok: false; error: string };

/**
 * What a subject is sealed with: the identity, bound to the message that carries it (a screening,
 * or a home reading: the same seal, protocol/seal.ts).
 */
export type SealedMessage = Pick<ScreeningEvent, "subject" | "station" | "device" | "id">;

/** The re-keying ingest needs: at once for a legacy subject, later for a sealed one (open-pool.ts). */
export interface SubjectRekeyer {
  rekey(event: SealedMessage): Rekeyed | Promise<Rekeyed>;
}

/** How a sealed subject is refused (no values: they are logged and published as rejects). */
export const OPEN_ERRORS: OpenErrors = {
  unknownKey:
    "subject: sealed to key {kid}, which this gateway does not hold (destroyed after the retention period, or another deployment's)",
  notOpen: "subject: the sealed identity does not open for this event (altered, or sealed for another)",
};

function keyed(prefix: "g" | "l", key: KeyVersion, input: string): string {
  const mac = createHmac("sha256", key.hmac).update(input, "utf8").digest();
  return `${prefix}${key.version}:${base32(mac).slice(0, PSEUDONYM_LENGTH)}`;
}

/** What an opened identity must look like (a kind, then something). */
export const IDENTITY_PATTERN = `^(${IDENTITY_KINDS.join("|")}):.`;
const IDENTITY = new RegExp(IDENTITY_PATTERN);

export class Subjects implements SubjectRekeyer {
  /** `h3:` sessions: opened here, a few microseconds each (seal-sessions.ts). */
  readonly sessions = new SealSessions();

  constructor(
    private readonly keys: PseudonymKeys,
    /** The deployment's former shared lane key (gateway.db setting `pseudonym_key`), if any. */
    private readonly legacyKey: () => KeyObject | null = () => null,
    /** Threads that open sealed subjects; without, they are opened here. */
    private readonly pool: OpenPool | null = null,
  ) {}

  rekey(event: SealedMessage): Rekeyed | Promise<Rekeyed> {
    if (this.pool && event.subject.startsWith("h2:")) {
      return this.pool
        .open({ subject: event.subject, station: event.station, device: event.device, id: event.id })
        .then((r) => (r.ok ? { ok: true, subject: r.subject, legacy: false, aliases: () => r.aliases } : r));
    }
    return this.rekeyHere(event);
  }

  /** The same, in this thread. */
  rekeyHere(event: SealedMessage): Rekeyed {
    const current = this.keys.current;
    if (event.subject.startsWith("h1:")) {
      const h1 = event.subject;
      return { ok: true, subject: keyed("l", current, h1), legacy: true, aliases: () => this.older("l", h1) };
    }
    const session = event.subject.startsWith("h3:");
    const kid = sealedKid(event.subject, session ? "h3:" : "h2:");
    const key = kid === null ? undefined : this.keys.version(kid);
    if (!key) return { ok: false, error: OPEN_ERRORS.unknownKey.replace("{kid}", String(kid ?? "?")) };
    const identity = session
      ? this.sessions.open(key.opener, event.subject, event)
      : openSealed(key.opener, event.subject, event);
    if (identity === null || !IDENTITY.test(identity)) return { ok: false, error: OPEN_ERRORS.notOpen };
    return {
      ok: true,
      subject: keyed("g", current, identity),
      legacy: false,
      aliases: () => this.older("g", identity),
    };
  }

  /**
   * The stored pseudonym of an identity the gateway took itself (a desk registration's typed ID
   * number, gateway/ops/desk.ts): exactly what a lane's sealed subject of that identity becomes.
   */
  forIdentity(identity: string): Extract<Rekeyed, { ok: true }> {
    return {
      ok: true,
      subject: keyed("g", this.keys.current, identity),
      legacy: false,
      aliases: () => this.older("g", identity),
    };
  }

  private older(prefix: "g" | "l", input: string): string[] {
    const live = this.keys.live;
    const out: string[] = [];
    for (let i = 1; i < live.length; i++) {
      const key = live[i];
      if (key) out.push(keyed(prefix, key, input));
    }
    return out;
  }

  /**
   * Every stored pseudonym `identity` may have within the retention: under each version kept,
   * and, while the gateway still has the former shared lane key, the legacy form of each.
   * (A trace looks up all of them.)
   */
  pseudonymsOf(identity: string): string[] {
    const legacyKey = this.legacyKey();
    const h1 = legacyKey ? pseudonym(legacyKey.export(), identity) : null;
    const out: string[] = [];
    for (const key of this.keys.live) {
      out.push(keyed("g", key, identity));
      if (h1) out.push(keyed("l", key, h1));
    }
    return out;
  }
}
