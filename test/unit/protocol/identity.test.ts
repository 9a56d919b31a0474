import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ScanLineDecoder } from "../../../firmware/hardware/scan-lines.ts";
import vectorFile from "../../../protocol/identity.vectors.json" with { type: "json" };
import {
  cnIdCheckCharacter,
  DEFAULT_ACCEPT,
  extractIdentity,
  IDENTITY_KINDS,
  IDENTITY_REFUSALS,
  type IdentityKind,
  keypadIdentity,
  LOCALES,
  PLAIN_MAX_LENGTH,
  pseudonym,
  refusalMessageKey,
  t,
} from "../../../protocol/index.ts";

interface Vector {
  note: string;
  input: string;
  accept?: string[];
  /** Typed on a lane's keypad: keypadIdentity, not extractIdentity. */
  keypad?: boolean;
  identity?: string;
  refused?: string;
}
const vectors: Vector[] = vectorFile.vectors;
const KEY = Buffer.from("identity-test-key-0123456789abcdef");
const ALL: readonly IdentityKind[] = IDENTITY_KINDS;

function kinds(accept: string[] | undefined): readonly IdentityKind[] {
  if (accept === undefined) return DEFAULT_ACCEPT;
  return accept.map((k) => {
    const kind = IDENTITY_KINDS.find((known) => known === k);
    if (!kind) throw new Error(`vector names an unknown kind ${k}`);
    return kind;
  });
}

// --- generators ---------------------------------------------------------------------------------

const digits = (n: number) => fc.stringMatching(new RegExp(`^\\d{${n}}$`));
/** A real birth date in 1900–2099 as YYYYMMDD. */
const birthDate = fc
  .date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10).replaceAll("-", ""));
/** A valid ID number: region, birth date, sequence, check character. */
const idNumber = fc.tuple(digits(6), birthDate, digits(3)).map(([region, born, sequence]) => {
  const first17 = `${region}${born}${sequence}`;
  return first17 + cnIdCheckCharacter(first17);
});
/** The number as someone might type it: spaces or hyphens anywhere, a lower-case x. */
const typedForm = (number: string) =>
  fc
    .tuple(
      fc.array(fc.constantFrom("", "", "", " ", "-", "  "), { minLength: 19, maxLength: 19 }),
      fc.boolean(),
    )
    .map(([gaps, lower]) => {
      const chars = [...(lower ? number.toLowerCase() : number)];
      return gaps.map((gap, i) => `${gap}${chars[i] ?? ""}`).join("");
    });

const token = fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/);
const province = fc.stringMatching(/^[1-9]\d$/);
/** One refresh of a holder's health code: its own time, signature, maybe the ID, any order. */
const refresh = fc.record({
  t: fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }),
  sig: fc.stringMatching(/^[A-Za-z0-9_-]{8,86}$/),
  idn: fc.option(idNumber, { nil: undefined }),
  order: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
});
type Refresh = { t: number; sig: string; idn: string | undefined; order: number[] };
function healthCodeUrl(r: string, uid: string, x: Refresh): string {
  const params: [string, string][] = [
    ["v", "2"],
    ["r", r],
    ["uid", uid],
    ["t", String(x.t)],
    ["sig", x.sig],
  ];
  if (x.idn) params.push(["idn", x.idn]);
  const shuffled = params
    .map((p, i) => ({ p, k: x.order[i] ?? 0 }))
    .sort((a, b) => a.k - b.k)
    .map(({ p }) => p);
  return `https://hc.gov.example/q?${new URLSearchParams(shuffled).toString()}`;
}

// --- tests --------------------------------------------------------------------------------------

describe("identity test vectors (protocol/identity.vectors.json)", () => {
  it("has vectors for every kind and every refusal", () => {
    const identities = vectors.flatMap((v) => (v.identity ? [v.identity.split(":")[0]] : []));
    for (const kind of IDENTITY_KINDS) expect(identities).toContain(kind);
    const refusals = new Set(vectors.map((v) => v.refused));
    for (const reason of IDENTITY_REFUSALS) expect(refusals).toContain(reason);
  });

  for (const v of vectors) {
    it(`${v.note}: ${v.identity ?? `refused (${v.refused})`}`, () => {
      const result = v.keypad ? keypadIdentity(v.input) : extractIdentity(v.input, kinds(v.accept));
      if (v.identity !== undefined) {
        expect(result).toEqual({ ok: true, kind: v.identity.split(":")[0], identity: v.identity });
      } else {
        expect(result).toEqual({ ok: false, reason: v.refused });
      }
    });
  }
});

describe("identities from scanned codes", () => {
  it("gives one pseudonym for every refresh of a person's health code (property)", () => {
    fc.assert(
      fc.property(province, token, fc.array(refresh, { minLength: 2, maxLength: 5 }), (r, uid, refreshes) => {
        const codes = refreshes.map((x) => healthCodeUrl(r, uid, x));
        const results = codes.map((code) => extractIdentity(code));
        for (const result of results) {
          expect(result).toEqual({ ok: true, kind: "health-code", identity: `health-code:${r}:${uid}` });
        }
        const subjects = new Set(results.map((x) => x.ok && pseudonym(KEY, x.identity)));
        expect(subjects.size).toBe(1);
      }),
    );
  });

  it("tells two holders' health codes apart (property)", () => {
    fc.assert(
      fc.property(province, token, token, refresh, (r, a, b, x) => {
        fc.pre(a !== b);
        const ra = extractIdentity(healthCodeUrl(r, a, x));
        const rb = extractIdentity(healthCodeUrl(r, b, x));
        expect(ra.ok && rb.ok && ra.identity !== rb.identity).toBe(true);
      }),
    );
  });

  it("gives an ID card's line and the typed number the same pseudonym (property)", () => {
    fc.assert(
      fc.property(
        idNumber.chain((n) => fc.tuple(fc.constant(n), typedForm(n))),
        ([number, typed]) => {
          const card = extractIdentity(`IDCARD:${number}`);
          const byHand = extractIdentity(typed);
          expect(card).toEqual({ ok: true, kind: "cn-id", identity: `cn-id:${number}` });
          expect(byHand).toEqual(card);
          if (card.ok && byHand.ok)
            expect(pseudonym(KEY, byHand.identity)).toBe(pseudonym(KEY, card.identity));
        },
      ),
    );
  });

  it("refuses an ID number with a wrong check character, however it arrives (property)", () => {
    fc.assert(
      fc.property(idNumber, fc.constantFrom(..."0123456789X"), fc.boolean(), (number, check, card) => {
        fc.pre(check !== number[17]);
        const wrong = number.slice(0, 17) + check;
        const result = extractIdentity(card ? `IDCARD:${wrong}` : wrong, ALL);
        expect(result).toEqual({ ok: false, reason: "cn-id-check-digit" });
      }),
    );
  });

  it("refuses an ID number whose birth date cannot be, even with its check character right (property)", () => {
    const impossible = fc.oneof(
      fc.tuple(
        fc.integer({ min: 1900, max: 2099 }),
        fc.constantFrom(0, 13, 19, 99),
        fc.integer({ min: 1, max: 28 }),
      ),
      fc.tuple(
        fc.integer({ min: 1900, max: 2099 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(0, 32, 99),
      ),
      // The day after the month's last (30 February, 31 April, 29 February of a common year).
      fc
        .tuple(fc.integer({ min: 1900, max: 2099 }), fc.integer({ min: 1, max: 12 }))
        .map(([y, m]) => [y, m, new Date(Date.UTC(y, m, 0)).getUTCDate() + 1] as [number, number, number]),
      fc.tuple(
        fc.constantFrom(1000, 1899, 2100, 9999),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 28 }),
      ),
    );
    fc.assert(
      fc.property(digits(6), impossible, digits(3), (region, [y, m, d], sequence) => {
        const pad = (n: number, w: number) => String(n).padStart(w, "0");
        const first17 = `${region}${pad(y, 4)}${pad(m, 2)}${pad(d, 2)}${sequence}`;
        const number = first17 + cnIdCheckCharacter(first17);
        expect(extractIdentity(number)).toEqual({ ok: false, reason: "cn-id-birth-date" });
        expect(extractIdentity(`IDCARD:${number}`)).toEqual({ ok: false, reason: "cn-id-birth-date" });
      }),
    );
  });

  it("refuses a payload no extractor takes, with a reason (property)", () => {
    // Anything but an ID number or a health code, on a lane that takes no plain codes.
    const other = fc
      .string({ unit: "binary", maxLength: 600 })
      .filter((s) => !/^idcard:/i.test(s) && !/^https?:\/\/hc\.gov\.example/i.test(s))
      .filter((s) => !/^\d{17}[\dX]$/.test(s.replace(/[ -]/g, "").toUpperCase()));
    fc.assert(
      fc.property(other, (payload) => {
        expect(extractIdentity(payload)).toEqual({ ok: false, reason: "unrecognised" });
      }),
    );
  });

  it("never throws, and every answer is an identity of an accepted kind or a reason with a message (property)", () => {
    const payload = fc.oneof(
      fc.string({ unit: "binary", maxLength: 600 }),
      fc.string({ maxLength: 80 }).map((s) => `IDCARD:${s}`),
      fc.string({ maxLength: 120 }).map((s) => `https://hc.gov.example/${s}`),
      fc.tuple(province, token, refresh).map(([r, uid, x]) => healthCodeUrl(r, uid, x)),
      idNumber,
    );
    const accept = fc.subarray([...IDENTITY_KINDS], { minLength: 1 });
    fc.assert(
      fc.property(payload, accept, (text, kindsAccepted) => {
        const result = extractIdentity(text, kindsAccepted);
        if (result.ok) {
          expect(kindsAccepted).toContain(result.kind);
          expect(result.identity.startsWith(`${result.kind}:`)).toBe(true);
        } else {
          expect(IDENTITY_REFUSALS).toContain(result.reason);
        }
      }),
    );
  });

  it("takes a plain code only where the lane enables plain codes, within the scanner's limits", () => {
    expect(extractIdentity("HC-0001")).toEqual({ ok: false, reason: "unrecognised" });
    expect(extractIdentity("HC-0001", ["plain"])).toEqual({
      ok: true,
      kind: "plain",
      identity: "plain:HC-0001",
    });
    // The longest line the scanner passes on is a plain code; one more character is not.
    const longest = "A".repeat(PLAIN_MAX_LENGTH);
    const decoded = new ScanLineDecoder().push(Buffer.from(`${longest}\r\n`));
    expect(decoded).toEqual([{ kind: "code", code: longest }]);
    expect(extractIdentity(longest, ["plain"]).ok).toBe(true);
    expect(extractIdentity(`${longest}A`, ["plain"])).toEqual({ ok: false, reason: "plain-format" });
  });

  it("has a message in every language for every refusal", () => {
    for (const reason of IDENTITY_REFUSALS) {
      for (const locale of LOCALES) expect(t(locale, refusalMessageKey(reason))).not.toMatch(/^identity\./);
    }
    expect(t("zh-CN", refusalMessageKey("unrecognised"))).toBe("无法识别此码，请出示健康码或身份证");
  });
});
