/**
 * A live progress line: rewritten in place on a terminal, one plain line every few seconds otherwise
 * (CI logs, pipes), so long runs always show that they are alive.
 */
export class Progress {
  private lastPlain = 0;
  private shown = false;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly plainEveryMs = 5000,
  ) {}

  update(line: string): void {
    if (this.out.isTTY) {
      const width = this.out.columns ?? 120;
      this.out.write(`\r${line.slice(0, width - 1).padEnd(width - 1)}`);
      this.shown = true;
    } else if (Date.now() - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = Date.now();
      this.out.write(`${line}\n`);
    }
  }

  /** Ends the live line so that what follows starts on a fresh line. */
  done(): void {
    if (this.shown) this.out.write("\n");
    this.shown = false;
  }
}
