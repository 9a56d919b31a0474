/**
 * Tiny `--name value` / `--flag` argument parser with typed getters and clear errors, for the
 * benchmarks and the chaos run (the programs themselves use node:util parseArgs, strict).
 */
export class Args {
  private readonly values = new Map<string, string>();
  readonly positional: string[] = [];

  constructor(argv: string[]) {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] ?? "";
      if (arg.startsWith("--")) {
        const eq = arg.indexOf("=");
        const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
        const inline = eq < 0 ? undefined : arg.slice(eq + 1);
        const next = argv[i + 1];
        if (inline !== undefined) this.values.set(name, inline);
        else if (next !== undefined && !next.startsWith("--")) {
          this.values.set(name, next);
          i++;
        } else this.values.set(name, "true");
      } else this.positional.push(arg);
    }
  }

  string(name: string, fallback: string): string {
    return this.values.get(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    return this.values.get(name);
  }

  number(
    name: string,
    fallback: number,
    min = Number.NEGATIVE_INFINITY,
    max = Number.POSITIVE_INFINITY,
  ): number {
    const raw = this.values.get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new Error(`--${name} ${raw}: expected a number from ${min} to ${max}`);
    }
    return value;
  }

  flag(name: string): boolean {
    return this.values.get(name) === "true";
  }
}
