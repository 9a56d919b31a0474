/**
 * Reconnect delays: exponential with full jitter (a uniformly random delay up to the exponential
 * cap). After a gateway restart thousands of lanes lose the connection at the same instant; fixed
 * or merely exponential delays bring them back in synchronised waves that the broker must absorb
 * at once, while full jitter spreads them evenly over the window.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs: number,
    private readonly capMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next try; each call widens the window up to the cap. */
  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }
}
