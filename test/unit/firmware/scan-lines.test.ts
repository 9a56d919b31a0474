import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ScanDebouncer, ScanLineDecoder } from "../../../firmware/hardware/scan-lines.ts";

const codes = (results: ReturnType<ScanLineDecoder["push"]>) =>
  results.flatMap((r) => (r.kind === "code" ? [r.code] : []));

describe("scanner line decoding", () => {
  it("accepts CR, LF and CRLF line ends, and skips the empty line a CRLF leaves", () => {
    const d = new ScanLineDecoder();
    expect(codes(d.push(Buffer.from("A1\rB2\nC3\r\nD4\r\n")))).toEqual(["A1", "B2", "C3", "D4"]);
  });

  it("joins a code split across reads", () => {
    const d = new ScanLineDecoder();
    expect(codes(d.push(Buffer.from("HC-12")))).toEqual([]);
    expect(codes(d.push(Buffer.from("34\r\n")))).toEqual(["HC-1234"]);
  });

  it("drops an over-long line up to the next line end and counts it as garbled", () => {
    const d = new ScanLineDecoder(16);
    const out = d.push(Buffer.from(`${"X".repeat(40)}\nOK-1\n`));
    expect(out).toEqual([
      { kind: "garbled", reason: "too-long" },
      { kind: "code", code: "OK-1" },
    ]);
  });

  it("rejects non-printable bytes as garbled", () => {
    const d = new ScanLineDecoder();
    expect(d.push(Buffer.from([0x41, 0x00, 0x42, 0x0a]))).toEqual([
      { kind: "garbled", reason: "non-printable" },
    ]);
  });

  it("never throws and never yields a code with control characters, whatever arrives (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const d = new ScanLineDecoder(128);
        for (const chunk of chunks) {
          for (const r of d.push(chunk)) {
            if (r.kind === "code") {
              expect(r.code).toMatch(/^[\x20-\x7e]+$/);
              expect(r.code.length).toBeLessThanOrEqual(128);
            }
          }
        }
      }),
    );
  });
});

describe("scan debouncing", () => {
  it("treats the same code within the window as one scan, and a later one as a new scan", () => {
    const d = new ScanDebouncer(3000);
    expect(d.accept("A", 0)).toBe(true);
    expect(d.accept("A", 1000)).toBe(false);
    expect(d.accept("B", 1500)).toBe(true);
    expect(d.accept("A", 2000)).toBe(true);
    expect(d.accept("A", 5100)).toBe(true);
  });
});
