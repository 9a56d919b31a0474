/**
 * The retest point's population reference (protocol/policy.ts `ReferencePolicy`): the attempt-2
 * estimates this lane took recently, oldest first, cut to the policy's `window` and `max_age_s`.
 * Kept in memory only: after a restart the point uses the absolute `confirm_line_c` until it has
 * measured `min_count` people again (a few minutes at a busy retest point), which is what a new
 * point does too.
 */
import { type FeverPolicy, type PopulationReference, referenceOf } from "@checkpoint/protocol";

export class ReferenceWindow {
  private readonly taken: { atMs: number; bodyC: number }[] = [];

  /** The reference for a person measured now, before their own reading is added. */
  value(policy: FeverPolicy, nowMs: number): PopulationReference | undefined {
    this.trim(policy, nowMs);
    return referenceOf(
      this.taken.map((t) => t.bodyC),
      policy,
    );
  }

  add(policy: FeverPolicy, bodyC: number, atMs: number): void {
    if (!policy.reference || !Number.isFinite(bodyC)) return;
    this.taken.push({ atMs, bodyC });
    this.trim(policy, atMs);
  }

  get size(): number {
    return this.taken.length;
  }

  private trim(policy: FeverPolicy, nowMs: number): void {
    const r = policy.reference;
    if (!r) {
      this.taken.length = 0;
      return;
    }
    const oldest = nowMs - r.max_age_s * 1000;
    // A clock set backwards leaves readings "from the future": they are dropped too.
    while (this.taken.length > 0) {
      const first = this.taken[0] as { atMs: number };
      if (first.atMs >= oldest && first.atMs <= nowMs) break;
      this.taken.shift();
    }
    if (this.taken.length > r.window) this.taken.splice(0, this.taken.length - r.window);
  }
}
