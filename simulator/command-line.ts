/**
 * What the simulator's programs (and `npm start`, which composes the city from them) share on top
 * of `node:util` parseArgs: a usage error (exit code 2, with the usage printed) and checked numbers.
 */

/** The command line is wrong: print the message and the usage, exit 2. */
export class UsageError extends Error {}

/** True for a UsageError and for parseArgs's own errors (unknown option, missing value, ...). */
export function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

/** `--name value` as a number from min to max, or the fallback when it is not given. */
export function numberOption(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value) || value < min || value > max) {
    const range = Number.isFinite(max) ? `from ${min} to ${max}` : `of at least ${min}`;
    throw new UsageError(`--${name} ${String(raw)}: expected a number ${range}`);
  }
  return value;
}

/** Prints a usage error the same way in every program: the message, then the usage; exit code 2. */
export function exitWithUsage(error: Error, usage: string): never {
  process.stderr.write(`${error.message}\n\n${usage}`);
  process.exit(2);
}
