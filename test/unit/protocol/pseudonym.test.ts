import { describe, expect, it } from "vitest";
import { base32, LEGACY_PSEUDONYM_PATTERN, pseudonym } from "../../../protocol/index.ts";

describe("pseudonyms", () => {
  it("encodes base32 as RFC 4648 does (test vectors, without padding)", () => {
    const enc = (s: string) => base32(Buffer.from(s));
    expect(enc("")).toBe("");
    expect(enc("f")).toBe("MY");
    expect(enc("fo")).toBe("MZXQ");
    expect(enc("foo")).toBe("MZXW6");
    expect(enc("foob")).toBe("MZXW6YQ");
    expect(enc("fooba")).toBe("MZXW6YTB");
    expect(enc("foobar")).toBe("MZXW6YTBOI");
  });

  it("is 'h1:' and 26 base32 characters of the HMAC, stable for the same key and code", () => {
    const a = pseudonym("key-0123456789abcdef", "HC-0001");
    expect(a).toMatch(new RegExp(LEGACY_PSEUDONYM_PATTERN));
    expect(pseudonym("key-0123456789abcdef", "HC-0001")).toBe(a);
  });

  it("differs between codes and between keys, and never contains the code", () => {
    const a = pseudonym("key-A-0123456789ab", "HC-0001");
    expect(pseudonym("key-A-0123456789ab", "HC-0002")).not.toBe(a);
    expect(pseudonym("key-B-0123456789ab", "HC-0001")).not.toBe(a);
    expect(a).not.toContain("0001");
  });

  it("refuses an empty key", () => {
    expect(() => pseudonym("", "HC-0001")).toThrow(/key is empty/);
  });
});
