/**
 * A health code's colour for the lane: the platform's answer (platform-client.ts), else what it
 * said about that holder within the cache's TTL (colour-cache.ts), else `unknown`, when the staff
 * check the code by hand. Never throws, never waits past the client's timeout, never invents green.
 * A holder the platform does not know (404) is `unknown` at once, and forgotten by the cache.
 * Only `health-code:` identities are looked up; anything else is null (no colour, no field).
 */
import { healthCodeHolder, type ScreenedCodeColour } from "@checkpoint/protocol";
import type { ColourCache } from "./colour-cache.ts";
import type { ColourPlatform } from "./platform-client.ts";

export interface ColourLookup {
  colour: ScreenedCodeColour;
  /** Where it came from: the platform now, its answer of the last minutes, or neither. */
  source: "platform" | "cache" | "none";
  /** Why the platform's answer was not used (an AnswerProblem), when it was not. */
  problem?: string;
}

export class CodeColours {
  /** Lookups by source, for the lane's log and telemetry. */
  readonly counts = { platform: 0, cache: 0, none: 0 };

  constructor(
    private readonly platform: ColourPlatform,
    private readonly cache: ColourCache,
  ) {}

  async lookup(identity: string): Promise<ColourLookup | null> {
    const holder = healthCodeHolder(identity);
    if (!holder) return null;
    let answer: Awaited<ReturnType<ColourPlatform["colour"]>>;
    try {
      answer = await this.platform.colour(holder);
    } catch {
      answer = { ok: false, problem: "unreachable" };
    }
    if (answer.ok) {
      this.cache.put(identity, answer.colour);
      this.counts.platform++;
      return { colour: answer.colour, source: "platform" };
    }
    if (answer.problem === "unknown-holder") {
      this.cache.forget(identity);
      this.counts.none++;
      return { colour: "unknown", source: "none", problem: answer.problem };
    }
    const cached = this.cache.get(identity);
    if (cached) {
      this.counts.cache++;
      return { colour: cached, source: "cache", problem: answer.problem };
    }
    this.counts.none++;
    return { colour: "unknown", source: "none", problem: answer.problem };
  }
}
