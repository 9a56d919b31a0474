/**
 * Tiny `--name value` / `--flag` argument parser with typed getters and clear errors, for the
 * benchmarks and the chaos run (the programs themselves use node:util parseArgs, strict).
 */
export class Args {
  private readonly values = new Map<string, string>();
  readonly positional: string[] = [];
  /** Every option asked for, with its default, for --help and the unknown-flag check. */
  private readonly asked = new Map<string, string>();

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
    this.asked.set(name, fallback);
    return this.values.get(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    this.asked.set(name, "(none)");
    return this.values.get(name);
  }

  number(
    name: string,
    fallback: number,
    min = Number.NEGATIVE_INFINITY,
    max = Number.POSITIVE_INFINITY,
  ): number {
    this.asked.set(name, String(fallback));
    const raw = this.values.get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new Error(`--${name} ${raw}: expected a number from ${min} to ${max}`);
    }
    return value;
  }

  flag(name: string): boolean {
    this.asked.set(name, "off");
    return this.values.get(name) === "true";
  }

  /**
   * Call once every option has been asked for: `--help` prints `what` and the options with their
   * defaults and exits 0 before anything starts; an option nobody asked for is an error (exit 2).
   */
  finish(what: string, out: (text: string) => void = (t) => process.stdout.write(t)): void {
    if (this.values.has("help")) {
      const lines = [...this.asked].map(([name, fallback]) => `  --${name}  (default ${fallback})`);
      out(`${what}\n\noptions:\n${lines.join("\n")}\n`);
      process.exit(0);
    }
    const unknown = [...this.values.keys()].filter((name) => !this.asked.has(name));
    if (unknown.length > 0) {
      process.stderr.write(`unknown option ${unknown.map((n) => `--${n}`).join(", ")}; --help lists them\n`);
      process.exit(2);
    }
  }
}
