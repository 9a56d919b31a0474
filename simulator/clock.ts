/**
 * Simulated time. At speed 1 it is the wall clock. At speed N > 1 it runs N times faster and starts
 * far enough in the past that it catches up with the wall clock after one compressed day, then
 * follows the wall clock: a demo at speed 60 fills the last 24 hours in 24 minutes, and no event
 * is ever stamped in the future (dashboards show it as real history).
 */
export class SimClock {
  readonly startMs: number;
  private readonly wallStart: number;

  constructor(
    readonly speed: number,
    private readonly wall: () => number = Date.now,
    startMs?: number,
  ) {
    if (!(speed >= 1)) throw new Error("speed must be at least 1");
    this.wallStart = wall();
    this.startMs = startMs ?? this.wallStart - 86_400_000 * (1 - 1 / speed);
  }

  now(): number {
    const wallNow = this.wall();
    return Math.min(this.startMs + (wallNow - this.wallStart) * this.speed, wallNow);
  }

  /** Wall-clock milliseconds for a span of simulated milliseconds, at the current pace. */
  toWallMs(simMs: number): number {
    const caughtUp = this.startMs + (this.wall() - this.wallStart) * this.speed >= this.wall();
    return caughtUp ? simMs : simMs / this.speed;
  }
}
