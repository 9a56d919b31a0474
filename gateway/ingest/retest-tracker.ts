/**
 * Missed-retest detection: a `retest` needs an attempt 2 of the same subject at the same station
 * within the policy's window, or the person left and the duty officer must be told.
 *
 * Two clocks decide that the window has passed, whichever comes first:
 * - the device's own event clock (the newest `ts` that device has sent, never ahead of the
 *   gateway's clock): right when a device replays its outbox after hours offline, and when the
 *   simulator runs a compressed day. Per device: one lane's clock never moves another's, so a lane
 *   that runs ahead cannot raise missed-retest alerts for people screened at other lanes;
 * - the gateway's wall clock since the retest arrived: right when a station has gone quiet.
 * Events whose timestamp the gateway did not trust (clock-rule.ts) are not observed at all.
 *
 * Lanes drain their outboxes independently, so an attempt 2 taken at another lane can reach the
 * gateway before the attempt 1 it answers, and a lane whose commit failed resends its attempt 1
 * after the attempt 2 was taken: recent attempts 2 are remembered for one window, and a retest that
 * one of them answers (within the window on the event clock or on the gateway's) is never left
 * pending. The attempt 2 must have been taken after the attempt 1, within the window.
 *
 * Subjects are the stored pseudonyms (gateway/privacy/subjects.ts). Across a rotation of the
 * pseudonym key the same person has one under each key still kept: the caller passes the older
 * ones as aliases, so a retest asked under the old key is answered under the new one.
 *
 * Pending retests outlive a gateway restart through the journal (SQLite beside the event ledger):
 * a person who walked off while the gateway restarted still raises the alert. Memory is bounded:
 * past `capacity` pending retests the oldest is reported as missed (and counted as an overflow)
 * rather than forgotten.
 */
import { BoundedMap } from "./bounded-map.ts";

export interface PendingRetest {
  station: string;
  device: string;
  subject: string;
  eventId: string;
  bodyC: number;
  /** Event time of the retest, ms. */
  tsMs: number;
  /** Gateway time it arrived, ms. */
  receivedMs: number;
}

/** Where pending retests are kept across restarts. */
export interface RetestJournal {
  load(): PendingRetest[];
  /** Queue a write; `durable()` resolves once every write queued so far is committed. */
  put(entry: PendingRetest): void;
  remove(station: string, subject: string): void;
  durable(): Promise<void>;
}

interface Answer {
  tsMs: number;
  receivedMs: number;
  /** The lane that took it (for the report of an attempt 2 that answered nothing). */
  device?: string;
  /** A retest it answers was seen (pending when it came, or arriving after it). */
  matched?: boolean;
}

/** An attempt 2 that no attempt 1 at its station asked for, within one window either way. */
export interface UnmatchedAttempt {
  station: string;
  device: string;
  tsMs: number;
}

export class RetestTracker {
  private readonly pending: BoundedMap<string, PendingRetest>;
  private readonly answered: BoundedMap<string, Answer>;
  private readonly deviceClock = new Map<string, number>();
  private unmatched: UnmatchedAttempt[] = [];
  overflows = 0;

  constructor(
    private readonly windowMs: () => number,
    capacity: number,
    private readonly journal: RetestJournal | null = null,
  ) {
    this.pending = new BoundedMap(capacity);
    this.answered = new BoundedMap(capacity);
    for (const entry of journal?.load() ?? [])
      this.pending.set(this.key(entry.station, entry.subject), entry);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once the journal holds every change made so far. */
  durable(): Promise<void> {
    return this.journal?.durable() ?? Promise.resolve();
  }

  private key(station: string, subject: string): string {
    return `${station}\u0000${subject}`;
  }

  private deviceKey(station: string, device: string): string {
    return `${station}\u0000${device}`;
  }

  /**
   * Records a device's event time, capped at the gateway's clock; events may arrive out of order,
   * the clock only moves on.
   */
  observe(station: string, device: string, tsMs: number, nowMs: number): void {
    const key = this.deviceKey(station, device);
    const at = Math.min(tsMs, nowMs);
    const seen = this.deviceClock.get(key) ?? Number.NEGATIVE_INFINITY;
    if (at > seen) this.deviceClock.set(key, at);
  }

  /**
   * Does this attempt 2 answer that retest? Only one taken after it, within the window, on the
   * event clock: an attempt 2 from the same person's earlier visit answers nothing.
   */
  private answers(entry: PendingRetest, answer: Answer | undefined): boolean {
    return answer !== undefined && answer.tsMs >= entry.tsMs && answer.tsMs <= entry.tsMs + this.windowMs();
  }

  /**
   * A retest verdict: returns entries pushed out by the capacity bound (report them as missed).
   * A retest an attempt 2 that arrived first already answers is not kept. `aliases`: the same
   * subject under older pseudonym keys (an answer that arrived before a key rotation).
   */
  addRetest(entry: PendingRetest, aliases: readonly string[] = []): PendingRetest[] {
    const key = this.key(entry.station, entry.subject);
    for (const k of [key, ...aliases.map((alias) => this.key(entry.station, alias))]) {
      const answer = this.answered.get(k);
      if (this.answers(entry, answer) && answer) {
        answer.matched = true;
        return [];
      }
    }
    this.journal?.put(entry);
    const evicted = this.pending.set(key, entry).map(([, oldest]) => oldest);
    for (const oldest of evicted) {
      this.journal?.remove(oldest.station, oldest.subject);
      this.overflows++;
    }
    return evicted;
  }

  /**
   * An attempt 2 arrived: the retest is done. True when one was pending. The answer is remembered
   * for one window either way: its attempt 1 may arrive later, or again (a lane resending an event
   * whose commit failed). `subject` may list the same person's pseudonym under each key still
   * kept, current first: a retest asked before a key rotation is answered after it.
   */
  resolve(station: string, subject: string | readonly string[], answer?: Answer): boolean {
    const subjects = typeof subject === "string" ? [subject] : subject;
    const [current] = subjects;
    let resolved = false;
    for (const s of subjects) {
      if (!this.pending.delete(this.key(station, s))) continue;
      this.journal?.remove(station, s);
      resolved = true;
    }
    if (answer && current !== undefined)
      this.answered.set(this.key(station, current), { ...answer, matched: resolved });
    return resolved;
  }

  /** Removes and returns every retest whose window has passed on either clock. */
  takeExpired(nowMs: number): PendingRetest[] {
    const window = this.windowMs();
    const expired: PendingRetest[] = [];
    for (const [key, entry] of [...this.pending]) {
      const deviceNow =
        this.deviceClock.get(this.deviceKey(entry.station, entry.device)) ?? Number.NEGATIVE_INFINITY;
      if (Math.min(deviceNow, nowMs) > entry.tsMs + window || nowMs > entry.receivedMs + window) {
        this.pending.delete(key);
        this.journal?.remove(entry.station, entry.subject);
        expired.push(entry);
      }
    }
    for (const [key, answer] of [...this.answered]) {
      if (nowMs <= answer.receivedMs + window) continue;
      this.answered.delete(key);
      if (!answer.matched) {
        this.unmatched.push({
          station: key.slice(0, key.indexOf("\u0000")),
          device: answer.device ?? "?",
          tsMs: answer.tsMs,
        });
      }
    }
    return expired;
  }

  /**
   * Attempts 2 that answered no attempt 1 of their station within a window either way (found as
   * takeExpired forgets them): a lane that skips the first screening, a clone, or an attempt 1 that
   * never reached the gateway. Taken once.
   */
  takeUnmatched(): UnmatchedAttempt[] {
    const out = this.unmatched;
    this.unmatched = [];
    return out;
  }
}
