import { describe, expect, it } from "vitest";
import {
  celsiusToRaw,
  crc8,
  decodeMlxReply,
  encodeMlxReply,
  MLX_REG_OBJECT,
  rawToCelsius,
} from "../../../protocol/index.ts";

describe("MLX90614 wire format", () => {
  it("computes CRC-8 with polynomial 0x07 (check value of '123456789' is 0xF4)", () => {
    expect(crc8([..."123456789"].map((c) => c.charCodeAt(0)))).toBe(0xf4);
  });

  it("matches the datasheet's PEC example: read 0x07 giving 0x3AD2 has PEC 0x30", () => {
    expect(crc8([0xb4, 0x07, 0xb5, 0xd2, 0x3a])).toBe(0x30);
  });

  it("converts with 0.02 K steps", () => {
    expect(rawToCelsius(0x3ad2)).toBe(28.01);
    expect(rawToCelsius(celsiusToRaw(36.5))).toBeCloseTo(36.5, 1);
  });

  it("round-trips a reading through encode and decode", () => {
    expect(decodeMlxReply(MLX_REG_OBJECT, encodeMlxReply(MLX_REG_OBJECT, 34.6))).toEqual({
      ok: true,
      celsius: 34.61,
    });
  });

  it("detects a bad PEC, a set error flag and a short read", () => {
    const [lsb, msb, pec] = encodeMlxReply(MLX_REG_OBJECT, 34.6);
    expect(decodeMlxReply(MLX_REG_OBJECT, [lsb, msb, pec ^ 1])).toEqual({ ok: false, fault: "bad-pec" });
    expect(decodeMlxReply(0x06, [lsb, msb, pec])).toEqual({ ok: false, fault: "bad-pec" });
    const errMsb = 0x80 | msb;
    const errPec = crc8([0xb4, MLX_REG_OBJECT, 0xb5, lsb, errMsb]);
    expect(decodeMlxReply(MLX_REG_OBJECT, [lsb, errMsb, errPec])).toEqual({ ok: false, fault: "error-flag" });
    expect(decodeMlxReply(MLX_REG_OBJECT, [lsb])).toEqual({ ok: false, fault: "short-read" });
  });
});
