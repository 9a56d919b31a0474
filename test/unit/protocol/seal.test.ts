import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  newSealKeyPair,
  openSealed,
  SEALED_SUBJECT_PATTERN,
  sealedKid,
  sealIdentity,
  sealOpener,
  WIRE_SUBJECT_PATTERN,
} from "../../../protocol/index.ts";

const pair = newSealKeyPair();
const opener = sealOpener(3, pair.privateDer);
const to = { kid: 3, key: pair.publicKey };
const event = { station: "hw-01", device: "lane-1", id: "01JDA00000000000000000000A" };

describe("sealing an identity to the gateway", () => {
  it("opens to the identity with the gateway's key, for the event it was sealed for", () => {
    const subject = sealIdentity(to, "cn-id:11010519491231002X", event);
    expect(subject).toMatch(new RegExp(SEALED_SUBJECT_PATTERN));
    expect(subject).toMatch(new RegExp(WIRE_SUBJECT_PATTERN));
    expect(sealedKid(subject)).toBe(3);
    expect(openSealed(opener, subject, event)).toBe("cn-id:11010519491231002X");
  });

  it("never seals one identity alike twice, and shows nothing of it", () => {
    const a = sealIdentity(to, "cn-id:11010519491231002X", event);
    const b = sealIdentity(to, "cn-id:11010519491231002X", event);
    expect(a).not.toBe(b);
    expect(a).not.toContain("11010519491231002X");
    expect(Buffer.from(a.split(":")[2] ?? "", "base64url").toString("latin1")).not.toContain("110105");
  });

  it("gives an ID number, a health-code token and a short plain code the same size", () => {
    const sizes = new Set(
      ["cn-id:11010519491231002X", `health-code:44:${"A".repeat(64)}`, "plain:HC-1"].map(
        (id) => sealIdentity(to, id, event).length,
      ),
    );
    expect(sizes.size).toBe(1);
  });

  it("does not open in another event, with another key, or altered (property)", () => {
    const other = sealOpener(3, newSealKeyPair().privateDer);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.nat(), (text, flip) => {
        const identity = `plain:${text}`;
        const subject = sealIdentity(to, identity, event);
        expect(openSealed(opener, subject, event)).toBe(identity);
        expect(openSealed(opener, subject, { ...event, id: "01JDA00000000000000000000B" })).toBeNull();
        expect(openSealed(opener, subject, { ...event, device: "lane-2" })).toBeNull();
        expect(openSealed(other, subject, event)).toBeNull();
        const body = Buffer.from(subject.split(":")[2] ?? "", "base64url");
        const at = flip % body.length;
        body[at] = (body[at] ?? 0) ^ 1;
        expect(openSealed(opener, `h2:3:${body.toString("base64url")}`, event)).toBeNull();
      }),
      { numRuns: 50 },
    );
  });

  it("refuses what is not a seal for its key: another kid, a truncated body, an h1 pseudonym", () => {
    const subject = sealIdentity(to, "cn-id:11010519491231002X", event);
    expect(openSealed(opener, subject.replace("h2:3:", "h2:4:"), event)).toBeNull();
    expect(openSealed(opener, subject.slice(0, 100), event)).toBeNull();
    expect(openSealed(opener, "h1:ABCDEFGHIJKLMNOPQRSTUVWXYZ", event)).toBeNull();
    expect(sealedKid("h1:ABCDEFGHIJKLMNOPQRSTUVWXYZ")).toBeNull();
  });
});
