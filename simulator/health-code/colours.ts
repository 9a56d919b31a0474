/**
 * Each simulated person's health-code colour, as the simulated platform (platform.ts) and the
 * fleet (simulator/fleet/lane.ts) both see it: deterministic per holder and seed (a hash, not a
 * draw from a shared stream, so the platform and a fleet lane agree without talking), mostly
 * green, a few yellow, a rare red.
 */
import { createHash } from "node:crypto";
import type { CodeColour } from "@checkpoint/protocol";

export interface ColourShares {
  yellow: number;
  red: number;
}

/** A few yellow (2 %), a rare red (0.3 %). */
export const DEFAULT_COLOUR_SHARES: ColourShares = { yellow: 0.02, red: 0.003 };

/** The holder's colour under `seed`. */
export function simulatedColour(
  seed: number,
  province: string,
  token: string,
  shares: ColourShares = DEFAULT_COLOUR_SHARES,
): CodeColour {
  const digest = createHash("sha256").update(`${seed}\u0000${province}\u0000${token}`).digest();
  const u = digest.readUInt32BE(0) / 2 ** 32;
  if (u < shares.red) return "red";
  if (u < shares.red + shares.yellow) return "yellow";
  return "green";
}
