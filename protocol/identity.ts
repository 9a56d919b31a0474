/**
 * The stable identity in a scanned payload, taken before anything is derived from it (the lane
 * feeds `identity` to pseudonym()). Pure: no I/O, no clock, never throws; the payload is never
 * put into a result or a refusal, so a result can be logged.
 *
 * Extractors, tried in this order; the first that recognises the payload decides:
 *
 * - `cn-id`: a Chinese resident identity card number (GB 11643-1999): 17 digits and a check
 *   character (ISO 7064 MOD 11-2, `X` for 10), the birth date at characters 7–14 a real calendar
 *   date in 1900–2099. Recognised in two forms, which give the same identity:
 *     - typed by hand: the bare number; spaces and hyphens anywhere are dropped, and a lower-case
 *       `x` is read as `X` ("110105 19491231 002x" is 11010519491231002X). Only a text that is
 *       then 17 digits and a digit or X counts as a typed number: anything else is not one.
 *     - from an ID card reader: `IDCARD:<number>[;<field>…]`, one line on the lane's scanner
 *       port, as a combined "ID card + health code" reader sends it in serial mode (prefix
 *       configured on the reader). `IDCARD:` is matched in any case; fields after the first `;`
 *       (validity dates and the like) are ignored. Every `IDCARD:` line is an ID card: a number
 *       that is not 18 characters is refused (`cn-id-format`).
 *   Identity: `cn-id:<18 characters>`. The region code (characters 1–6) is not checked: codes
 *   change with redistricting, and residence permits use 81/82/83. A birth date in the future is
 *   not refused either: a lane's clock may be wrong until its first contact with the gateway.
 * - `health-code`: the simulated provincial health code (the format lives in this project only;
 *   `hc.gov.example` is a reserved name). Its QR code holds a URL whose content refreshes every
 *   time the holder opens it:
 *     `https://hc.gov.example/q?v=2&r=<province>&uid=<holder token>&t=<issued, Unix s>&sig=<…>`
 *   `v` the format version (2), `r` the issuing province (two digits, GB/T 2260: 11 Beijing,
 *   44 Guangdong, …), `uid` the holder's token at that province's service (16–64 characters of
 *   A–Z a–z 0–9 _ -, case-sensitive; it never changes for a holder), `t` and `sig` change at every
 *   refresh. Some provinces add `idn=<ID number>`. Parameters come in any order; unknown ones are
 *   ignored, for later versions. Identity: `health-code:<r>:<uid>`. Refresh time, signature and
 *   the embedded ID number are ignored: the lane can check neither the signature (it holds no
 *   issuer key) nor the freshness (its clock), and the token alone is what every refresh of every
 *   province's code carries. So a person's health code always gives one identity, whether or not
 *   this refresh embedded the ID number, and no ID number is handled that need not be; the cost is
 *   that a person's health code and ID card are two identities (use the same one for the retest).
 *   Recognised: any `http(s)://hc.gov.example…` URL; one that is not `https`, not path `/q`, with
 *   userinfo or a port other than 443, or without exactly one valid `r` and `uid` is refused
 *   (`health-code-format`), a `v` other than 2 too (`health-code-version`).
 * - `plain`: any other code, as the lane took it before identities existed: the text as it is
 *   (printable ASCII, 1–512 characters, no surrounding spaces: the scanner's limits). Identity:
 *   `plain:<code>`. Only on lanes whose config enables it.
 *
 * A payload one extractor recognises is never handed to the next: a mistyped ID number or a broken
 * health code is refused with its reason, never taken as a plain code, and on a lane that does not
 * accept the kind it is refused (`cn-id-not-accepted`, `health-code-not-accepted`). So a payload
 * gives at most one identity whatever a lane's config, and identities of different kinds never
 * meet (each starts with its kind). A payload no accepted extractor takes is `unrecognised`.
 *
 * Test vectors: protocol/identity.vectors.json, `vectors`: `{ note, input, accept?, identity }`
 * (accepted; the kind is the identity's prefix) or `{ note, input, accept?, refused }` (the
 * reason); `accept` is DEFAULT_ACCEPT when absent. test/unit/protocol/identity.test.ts runs them,
 * with property tests (refreshed health codes, card line and typed number, refusals).
 */
import type { MessageKey } from "./messages.ts";

export const IDENTITY_KINDS = ["cn-id", "health-code", "plain"] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** What a lane accepts unless its config says otherwise: ID numbers and health codes. */
export const DEFAULT_ACCEPT: readonly IdentityKind[] = ["cn-id", "health-code"];

/**
 * Not a person: the code a technician scans at a lane in technician mode (lane.json
 * `technicianUntil`) to end every rest there (the simulator's `rest skip`). Elsewhere it is
 * refused like any code the lane does not take.
 */
export const REST_SKIP_CODE = "CHECKPOINT:TECHNICIAN:REST-SKIP";

export const IDENTITY_REFUSALS = [
  "unrecognised",
  "cn-id-not-accepted",
  "cn-id-format",
  "cn-id-check-digit",
  "cn-id-birth-date",
  "health-code-not-accepted",
  "health-code-format",
  "health-code-version",
  "plain-format",
  /** Typed on a lane's keypad: a character no ID number has (only digits and X). */
  "keypad-characters",
] as const;
export type IdentityRefusal = (typeof IDENTITY_REFUSALS)[number];

export type IdentityResult =
  | { ok: true; kind: IdentityKind; identity: string }
  | { ok: false; reason: IdentityRefusal };

/** The catalogue's `identity.<reason>` messages (a reason without one is a type error below). */
export type RefusalMessageKey = Extract<MessageKey, `identity.${IdentityRefusal}`>;

/** The catalogue message a lane shows for a refusal. */
export function refusalMessageKey(reason: IdentityRefusal): RefusalMessageKey {
  return `identity.${reason}`;
}

/** The identity in `payload`, by the extractors `accept` enables (order does not matter). */
export function extractIdentity(
  payload: string,
  accept: readonly IdentityKind[] = DEFAULT_ACCEPT,
): IdentityResult {
  for (const [kind, recognise] of RECOGNISERS) {
    const result = recognise(payload);
    if (result === null) continue;
    return accept.includes(kind) ? result : { ok: false, reason: `${kind}-not-accepted` };
  }
  return accept.includes("plain") ? plainCode(payload) : { ok: false, reason: "unrecognised" };
}

// --- cn-id -------------------------------------------------------------------------------------

const CN_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CN_ID_CHECK = "10X98765432";
const CN_ID_SHAPE = /^\d{17}[\dX]$/;
const CARD_LINE = /^IDCARD:/i;

/** The check character (ISO 7064 MOD 11-2) of an ID number's first 17 digits. */
export function cnIdCheckCharacter(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error("an ID number's check character needs exactly 17 digits");
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (CN_ID_WEIGHTS[i] ?? 0);
  return CN_ID_CHECK[sum % 11] ?? "";
}

function isBirthDate(yyyymmdd: string): boolean {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  if (y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function cnIdNumber(number: string): IdentityResult {
  if (!CN_ID_SHAPE.test(number)) return { ok: false, reason: "cn-id-format" };
  if (cnIdCheckCharacter(number.slice(0, 17)) !== number[17])
    return { ok: false, reason: "cn-id-check-digit" };
  if (!isBirthDate(number.slice(6, 14))) return { ok: false, reason: "cn-id-birth-date" };
  return { ok: true, kind: "cn-id", identity: `cn-id:${number}` };
}

const normaliseTyped = (text: string) => text.replace(/[ -]/g, "").toUpperCase();

function cnId(payload: string): IdentityResult | null {
  if (CARD_LINE.test(payload)) {
    const number = payload.slice("IDCARD:".length).split(";")[0] ?? "";
    return cnIdNumber(normaliseTyped(number));
  }
  const typed = normaliseTyped(payload);
  return CN_ID_SHAPE.test(typed) ? cnIdNumber(typed) : null;
}

/** A line from an ID card reader (`IDCARD:<number>…`) rather than a code or a typed number. */
export function isCardLine(payload: string): boolean {
  return CARD_LINE.test(payload);
}

/** The most characters a keypad entry may have: an ID number with a separator between each. */
export const KEYPAD_MAX_LENGTH = 40;

/**
 * An ID number typed on a lane's keypad (the elderly, children: people without a code on a
 * phone). Only an ID number is taken: digits and X (a lower-case x too), spaces and hyphens
 * dropped as for a typed number above; anything else — letters, a pasted URL, an `IDCARD:` line —
 * is refused as `keypad-characters`, a number that is not 18 characters as `cn-id-format`, then
 * the check digit and the birth date as for any ID number. The identity is the ID card's:
 * `cn-id:<number>`, so a person keyed in and the same person's card give one pseudonym.
 */
export function keypadIdentity(typed: string): IdentityResult {
  const number = normaliseTyped(typed);
  if (!/^[0-9X]*$/.test(number)) return { ok: false, reason: "keypad-characters" };
  if (typed.length > KEYPAD_MAX_LENGTH) return { ok: false, reason: "cn-id-format" };
  return cnIdNumber(number);
}

// --- health-code -------------------------------------------------------------------------------

export const HEALTH_CODE_HOST = "hc.gov.example";
export const HEALTH_CODE_VERSION = "2";
const HEALTH_CODE_URL = /^https?:\/\/hc\.gov\.example(?=[/?#:]|$)/i;
const HOLDER_TOKEN = /^[A-Za-z0-9_-]{16,64}$/;
const PROVINCE = /^[1-9]\d$/;

/** The one value of a parameter that must appear exactly once, or null. */
function single(params: URLSearchParams, name: string): string | null {
  const values = params.getAll(name);
  return values.length === 1 ? (values[0] ?? null) : null;
}

function healthCode(payload: string): IdentityResult | null {
  if (!HEALTH_CODE_URL.test(payload)) return null;
  const format = { ok: false, reason: "health-code-format" } as const;
  let url: URL;
  try {
    url = new URL(payload);
  } catch {
    return format;
  }
  if (url.protocol !== "https:" || url.host !== HEALTH_CODE_HOST || url.pathname !== "/q") return format;
  if (url.username !== "" || url.password !== "") return format;
  const version = single(url.searchParams, "v");
  if (version === null) return format;
  if (version !== HEALTH_CODE_VERSION) return { ok: false, reason: "health-code-version" };
  const province = single(url.searchParams, "r");
  const token = single(url.searchParams, "uid");
  if (province === null || !PROVINCE.test(province) || token === null || !HOLDER_TOKEN.test(token))
    return format;
  return { ok: true, kind: "health-code", identity: `health-code:${province}:${token}` };
}

// --- plain -------------------------------------------------------------------------------------

/** The scanner's limits (firmware/hardware/scan-lines.ts): printable ASCII, at most 512 characters. */
export const PLAIN_MAX_LENGTH = 512;
const PRINTABLE = /^[\x20-\x7e]+$/;

function plainCode(payload: string): IdentityResult {
  const ok = payload.length <= PLAIN_MAX_LENGTH && PRINTABLE.test(payload) && payload.trim() === payload;
  return ok
    ? { ok: true, kind: "plain", identity: `plain:${payload}` }
    : { ok: false, reason: "plain-format" };
}

/** Every kind but `plain`, which takes what none of these recognises. */
const RECOGNISERS: readonly (readonly [
  Exclude<IdentityKind, "plain">,
  (payload: string) => IdentityResult | null,
])[] = [
  ["cn-id", cnId],
  ["health-code", healthCode],
];
