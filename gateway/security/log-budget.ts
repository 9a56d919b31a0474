/**
 * A bounded rate of log lines for events an attacker can cause at will (failed logins): at most
 * `lines` per `windowMs`; what is left out is counted and reported on the next line that is
 * written, so the log stays readable and its disk bounded while every event is still counted.
 */
export class LogBudget {
  private windowStart = Number.NEGATIVE_INFINITY;
  private written = 0;
  private suppressed = 0;

  constructor(
    private readonly lines: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a line may be written now; if so, how many were left out before it. */
  take(): { suppressed: number } | null {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.written = 0;
    }
    if (this.written >= this.lines) {
      this.suppressed++;
      return null;
    }
    this.written++;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return { suppressed };
  }
}
