/**
 * The V8 flags a program runs with in production, declared once in its package.json
 * (`"checkpoint": { "nodeFlags": [...] }`) and used by everything that starts it: the bundle's
 * interpreter line (scripts/bundle.ts), `npm start`, the tests and the benchmarks. The gateway
 * takes a larger young generation (its ingest allocates per message, and most of it dies within a
 * commit); the lane runs small (--max-semi-space-size=1 --lite-mode, see firmware/README.md).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");

export type Program = "gateway" | "firmware";

export function nodeFlagsIn(packageJson: string): string[] {
  const pkg = JSON.parse(readFileSync(packageJson, "utf8")) as { checkpoint?: { nodeFlags?: unknown } };
  const flags = pkg.checkpoint?.nodeFlags ?? [];
  if (
    !Array.isArray(flags) ||
    !flags.every((f) => typeof f === "string" && /^--[a-z][a-z0-9-]*(=\S+)?$/.test(f))
  ) {
    throw new Error(
      `${packageJson}: checkpoint.nodeFlags must be a list of node flags like "--max-semi-space-size=64"`,
    );
  }
  return flags as string[];
}

export function nodeFlags(program: Program): string[] {
  return nodeFlagsIn(join(ROOT, program, "package.json"));
}
