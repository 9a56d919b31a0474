/** simulator/accuracy/tuned.json: what `npm run tune:accuracy` chose, read by the evaluation. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FeverPolicy } from "@checkpoint/protocol";
import type { Tuned } from "./tune.ts";

export const TUNED_FILE = join(import.meta.dirname, "tuned.json");

export function readTuned(file = TUNED_FILE): Tuned | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Tuned) : null;
}

/** The lines tuned for each rest, keyed by the rest in minutes. */
export function tunedPolicies(t: Tuned | null): Record<string, FeverPolicy> {
  const out: Record<string, FeverPolicy> = {};
  for (const r of t?.rests ?? []) out[String(r.rest_min)] = r.policy;
  return out;
}
