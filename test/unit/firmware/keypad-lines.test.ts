import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeypadLineDecoder } from "../../../firmware/hardware/keypad-lines.ts";
import { cnIdCheckCharacter, KEYPAD_MAX_LENGTH, keypadIdentity } from "../../../protocol/index.ts";

const ID = "11010519491231002X";
const bytes = (text: string) => Buffer.from(text, "latin1");

describe("keypad line decoding", () => {
  it("ends an entry at CR, LF or CRLF, and skips Enter pressed alone", () => {
    const d = new KeypadLineDecoder();
    expect(d.push(bytes("123\r456\n789\r\n\r\n\n"))).toEqual([
      { kind: "code", code: "123" },
      { kind: "code", code: "456" },
      { kind: "code", code: "789" },
    ]);
  });

  it("keeps the spaces and hyphens a person types between the groups (the identity drops them)", () => {
    const d = new KeypadLineDecoder();
    expect(d.push(bytes("110105 19491231-002x\r"))).toEqual([{ kind: "code", code: "110105 19491231-002x" }]);
  });

  it("takes back a key on Backspace or DEL, and clears the entry on Escape", () => {
    const d = new KeypadLineDecoder();
    expect(d.push(bytes(`11010519491231002Y\bX\r`))).toEqual([{ kind: "code", code: ID }]);
    expect(d.push(bytes(`11010519491231002Y\x7fX\r`))).toEqual([{ kind: "code", code: ID }]);
    expect(d.push(bytes(`99999\x1b${ID}\r`))).toEqual([{ kind: "code", code: ID }]);
    // Backspace on an empty entry takes back nothing and breaks nothing.
    expect(d.push(bytes(`\b\b\b${ID}\r`))).toEqual([{ kind: "code", code: ID }]);
  });

  it("joins an entry split across reads (a key per read, as a slow typist sends it)", () => {
    const d = new KeypadLineDecoder();
    const out = [...`${ID}\r`].flatMap((ch) => d.push(bytes(ch)));
    expect(out).toEqual([{ kind: "code", code: ID }]);
  });

  it("drops an over-long entry (a stuck key) up to the next Enter, as garbled", () => {
    const d = new KeypadLineDecoder();
    expect(d.push(bytes(`${"1".repeat(KEYPAD_MAX_LENGTH + 1)}\r${ID}\r`))).toEqual([
      { kind: "garbled", reason: "too-long" },
      { kind: "code", code: ID },
    ]);
    // Exactly the limit is still an entry (refused later by its identity if it is no number).
    expect(d.push(bytes(`${"1".repeat(KEYPAD_MAX_LENGTH)}\r`))).toEqual([
      { kind: "code", code: "1".repeat(KEYPAD_MAX_LENGTH) },
    ]);
  });

  it("drops line noise (control or non-ASCII bytes) at the Enter, as garbled", () => {
    const d = new KeypadLineDecoder();
    expect(d.push(Buffer.from([0x31, 0x00, 0x32, 0x0d]))).toEqual([
      { kind: "garbled", reason: "non-printable" },
    ]);
    expect(d.push(Buffer.from([0x31, 0xff, 0x80, 0x0d]))).toEqual([
      { kind: "garbled", reason: "non-printable" },
    ]);
    expect(d.push(bytes(`${ID}\r`))).toEqual([{ kind: "code", code: ID }]);
  });

  it("never throws and never yields an entry longer than the limit, whatever the bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const d = new KeypadLineDecoder();
        for (const chunk of chunks)
          for (const r of d.push(chunk)) {
            if (r.kind === "code") {
              expect(r.code.length).toBeLessThanOrEqual(KEYPAD_MAX_LENGTH);
              expect(r.code).toMatch(/^[\x20-\x7e]+$/);
            }
          }
      }),
    );
  });
});

describe("an ID number typed on the keypad", () => {
  it("gives the ID card's identity, whatever the spaces, hyphens and case", () => {
    for (const typed of [
      ID,
      "11010519491231002x",
      "110105 19491231 002X",
      "110105-19491231-002x",
      " 1101 0519 4912 3100 2X ",
    ])
      expect(keypadIdentity(typed), typed).toEqual({ ok: true, kind: "cn-id", identity: `cn-id:${ID}` });
  });

  it("refuses letters, a code or a card line with the keypad's reason", () => {
    for (const typed of [
      "11010519491231002A",
      "abc",
      "IDCARD:11010519491231002X",
      "https://hc.gov.example/q",
      "1101051949123１002X",
    ])
      expect(keypadIdentity(typed), typed).toEqual({ ok: false, reason: "keypad-characters" });
  });

  it("refuses a number of the wrong length, a wrong check digit or an impossible birth date", () => {
    expect(keypadIdentity("1101051949123100")).toEqual({ ok: false, reason: "cn-id-format" });
    expect(keypadIdentity("11010519491231002X1")).toEqual({ ok: false, reason: "cn-id-format" });
    expect(keypadIdentity("")).toEqual({ ok: false, reason: "cn-id-format" });
    expect(keypadIdentity("X1010519491231002X")).toEqual({ ok: false, reason: "cn-id-format" });
    expect(keypadIdentity(" ".repeat(KEYPAD_MAX_LENGTH + 1))).toEqual({ ok: false, reason: "cn-id-format" });
    expect(keypadIdentity("110105194912310021")).toEqual({ ok: false, reason: "cn-id-check-digit" });
    // 1949-02-30 with its right check character: the date, not the digit, is wrong.
    const feb30 = "11010519490230002";
    expect(keypadIdentity(feb30 + cnIdCheckCharacter(feb30))).toEqual({
      ok: false,
      reason: "cn-id-birth-date",
    });
  });

  it("never puts what was typed into a refusal", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (typed) => {
        const r = keypadIdentity(typed);
        if (!r.ok) expect(Object.keys(r).sort()).toEqual(["ok", "reason"]);
      }),
    );
  });
});
