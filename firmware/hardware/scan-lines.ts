/**
 * Turning a QR scanner's byte stream into codes. Pure logic, no I/O.
 * - Lines end in CR, LF or CRLF (scanners are configured all three ways; a CRLF scanner read with
 *   a CR parser leaves a leading LF, so both are line ends and empty lines are skipped).
 * - A line longer than the limit is garbled (a stuck trigger, line noise): it is dropped up to the
 *   next line end and counted.
 * - Only printable ASCII is a code; anything else is garbled and counted.
 * - The same code again within the debounce window is one scan (a scanner re-reads a held code).
 */
export type LineResult =
  | { kind: "code"; code: string }
  | { kind: "garbled"; reason: "too-long" | "non-printable" };

export class ScanLineDecoder {
  private buffer: number[] = [];
  private overflow = false;

  constructor(private readonly maxLength = 512) {}

  push(chunk: Uint8Array): LineResult[] {
    const out: LineResult[] = [];
    for (const byte of chunk) {
      if (byte === 0x0d || byte === 0x0a) {
        if (this.overflow) out.push({ kind: "garbled", reason: "too-long" });
        else if (this.buffer.length > 0) out.push(this.finish());
        this.buffer = [];
        this.overflow = false;
        continue;
      }
      if (this.overflow) continue;
      if (this.buffer.length >= this.maxLength) {
        this.overflow = true;
        this.buffer = [];
        continue;
      }
      this.buffer.push(byte);
    }
    return out;
  }

  private finish(): LineResult {
    const printable = this.buffer.every((b) => b >= 0x20 && b <= 0x7e);
    if (!printable) return { kind: "garbled", reason: "non-printable" };
    const code = Buffer.from(this.buffer).toString("ascii").trim();
    return code.length > 0 ? { kind: "code", code } : { kind: "garbled", reason: "non-printable" };
  }
}

export class ScanDebouncer {
  private last: { code: string; atMs: number } | null = null;

  constructor(private readonly windowMs = 3000) {}

  /** True when this scan counts; false when it repeats the previous code within the window. */
  accept(code: string, nowMs: number): boolean {
    const repeat = this.last !== null && this.last.code === code && nowMs - this.last.atMs < this.windowMs;
    this.last = { code, atMs: nowMs };
    return !repeat;
  }
}
