/**
 * The provincial health-code platform, as the lane asks it for a holder's colour: the wire, the
 * colours, and the pure parsing and checking of its answers (the HTTP client is the firmware's:
 * firmware/health-code/). Pure: no I/O, no clock, never throws on what the platform sends.
 *
 * A health code is green, yellow or red; only green passes. The colour belongs to the holder at
 * the issuing province's service, not to the QR code: the code a person shows refreshes, and its
 * content carries no colour the lane could trust (it holds no issuer key: protocol/identity.ts).
 * So the lane asks, for each `health-code:<province>:<token>` identity:
 *
 *   GET <base>/v1/colour?r=<province>&uid=<holder token>
 *   Authorization: Bearer <the lane's key>        (per lane, from a file only the lane's user reads)
 *   Accept: application/json
 *
 *   200 {"colour":"green"|"yellow"|"red","as_of":"<ISO-8601 UTC>"}   the holder's colour now
 *   404                                                          the platform knows no such holder
 *   401/403                                                      the lane's key is wrong or revoked
 *   anything else, a body over MAX_ANSWER_BYTES, a colour not exactly one of the three (case
 *   matters), an `as_of` that is not a real UTC time, or no answer within the lane's timeout: the
 *   platform did not answer usefully, and the lane falls back on what it heard about that holder in
 *   the last few minutes, then on `unknown`.
 *
 * `unknown` is the lane's, never the platform's: the colour could not be learnt (the platform is
 * down or slow, or does not know the holder), and the staff check the code by hand. It never
 * blocks the lane and is never taken for green. An event carries the colour as `code_colour`
 * (protocol/schemas.ts) only when the lane looked it up: a lane without a platform configured, an
 * ID card, or an older lane sends none.
 */
import { type Static, Type } from "@sinclair/typebox";
import { parseUtcTimestamp } from "./timestamps.ts";
import { compileValidator } from "./validate.ts";

/** What the platform answers. */
export const CODE_COLOURS = ["green", "yellow", "red"] as const;
export type CodeColour = (typeof CODE_COLOURS)[number];

/** What a screening carries: the platform's colour, or `unknown` when the lane could not learn it. */
export const SCREENED_CODE_COLOURS = [...CODE_COLOURS, "unknown"] as const;
export type ScreenedCodeColour = (typeof SCREENED_CODE_COLOURS)[number];

/** The colours that stop a person at the lane and raise a `health-code` alert at the gateway. */
export function stopsAtLane(colour: ScreenedCodeColour | undefined): colour is "yellow" | "red" {
  return colour === "yellow" || colour === "red";
}

/** The platform's path for a holder's colour. */
export const COLOUR_PATH = "/v1/colour";
/** An answer is a few dozen bytes: anything past this is not an answer (and is not read further). */
export const MAX_ANSWER_BYTES = 1024;

/** The province and holder token of a `health-code:` identity (protocol/identity.ts), or null. */
export function healthCodeHolder(identity: string): { province: string; token: string } | null {
  const m = /^health-code:([1-9]\d):([A-Za-z0-9_-]{16,64})$/.exec(identity);
  return m ? { province: m[1] as string, token: m[2] as string } : null;
}

/** The request's path and query for a holder (the token is URL-safe already; encoded anyway). */
export function colourRequestPath(holder: { province: string; token: string }): string {
  const query = new URLSearchParams({ r: holder.province, uid: holder.token });
  return `${COLOUR_PATH}?${query.toString()}`;
}

/** The answer's body; other fields are ignored (a later version of the platform may add some). */
export const ColourAnswerSchema = Type.Object({
  colour: Type.Union(CODE_COLOURS.map((c) => Type.Literal(c))),
  /** ISO-8601 UTC (the contract's UTC_TIMESTAMP_PATTERN), a real instant: checked after the shape. */
  as_of: Type.String({ minLength: 20, maxLength: 30 }),
});
export type ColourAnswer = Static<typeof ColourAnswerSchema>;
const validateAnswer = compileValidator(ColourAnswerSchema);

/** Why an answer is not a colour; each one sends the lane to its cache, then to `unknown`. */
export const ANSWER_PROBLEMS = [
  /** 404: no such holder at the platform. */
  "unknown-holder",
  /** 401/403: the lane's key was refused (a technician must install a new one). */
  "key-refused",
  /** Any other status. */
  "status",
  "too-large",
  "json",
  /** Not `{"colour": one of the three, "as_of": a UTC time}`. */
  "shape",
  /** `as_of` is not a real UTC time (`2026-02-30T…`, a local time, a leap second). */
  "as-of",
  /** No answer within the timeout, or no connection. */
  "unreachable",
] as const;
export type AnswerProblem = (typeof ANSWER_PROBLEMS)[number];

export type ParsedAnswer =
  | { ok: true; colour: CodeColour; asOfMs: number }
  | { ok: false; problem: AnswerProblem };

/** What an HTTP answer of the platform says (`body`: the bytes read, at most MAX_ANSWER_BYTES + 1). */
export function parseColourAnswer(status: number, body: string | Uint8Array): ParsedAnswer {
  if (status === 404) return { ok: false, problem: "unknown-holder" };
  if (status === 401 || status === 403) return { ok: false, problem: "key-refused" };
  if (status !== 200) return { ok: false, problem: "status" };
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  if (bytes.byteLength > MAX_ANSWER_BYTES) return { ok: false, problem: "too-large" };
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, problem: "json" };
  }
  const checked = validateAnswer(data);
  if (!checked.ok) return { ok: false, problem: "shape" };
  const asOfMs = parseUtcTimestamp(checked.value.as_of);
  if (asOfMs === null) return { ok: false, problem: "as-of" };
  return { ok: true, colour: checked.value.colour, asOfMs };
}
