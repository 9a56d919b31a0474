/**
 * Missed-retest detection: a `retest` needs an attempt 2 of the same subject at the same station
 * within the policy's window, or the person left and the duty officer must be told.
 *
 * Two clocks decide that the window has passed, whichever comes first:
 * - the station's event clock (the newest `ts` it has sent): right when a device replays its
 *   outbox after hours offline, and when the simulator runs a compressed day;
 * - the gateway's wall clock since the retest arrived: right when a station has gone quiet.
 * Memory is bounded: past `capacity` pending retests the oldest is reported as missed (and counted
 * as an overflow) rather than forgotten.
 */
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

export class RetestTracker {
  private readonly pending = new Map<string, PendingRetest>();
  private readonly stationClock = new Map<string, number>();
  overflows = 0;

  constructor(
    private readonly windowMs: () => number,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  private key(station: string, subject: string): string {
    return `${station}\u0000${subject}`;
  }

  /** Records the station's event time; events may arrive out of order, the clock only moves on. */
  observe(station: string, tsMs: number): void {
    const seen = this.stationClock.get(station) ?? Number.NEGATIVE_INFINITY;
    if (tsMs > seen) this.stationClock.set(station, tsMs);
  }

  /** A retest verdict: returns entries pushed out by the capacity bound (report them as missed). */
  addRetest(entry: PendingRetest): PendingRetest[] {
    const key = this.key(entry.station, entry.subject);
    this.pending.delete(key);
    this.pending.set(key, entry);
    const evicted: PendingRetest[] = [];
    while (this.pending.size > this.capacity) {
      const [oldestKey, oldest] = this.pending.entries().next().value as [string, PendingRetest];
      this.pending.delete(oldestKey);
      this.overflows++;
      evicted.push(oldest);
    }
    return evicted;
  }

  /** An attempt 2 arrived: the retest is done. True when one was pending. */
  resolve(station: string, subject: string): boolean {
    return this.pending.delete(this.key(station, subject));
  }

  /** Removes and returns every retest whose window has passed on either clock. */
  takeExpired(nowMs: number): PendingRetest[] {
    const window = this.windowMs();
    const expired: PendingRetest[] = [];
    for (const [key, entry] of this.pending) {
      const stationNow = this.stationClock.get(entry.station) ?? Number.NEGATIVE_INFINITY;
      if (stationNow > entry.tsMs + window || nowMs > entry.receivedMs + window) {
        this.pending.delete(key);
        expired.push(entry);
      }
    }
    return expired;
  }
}
