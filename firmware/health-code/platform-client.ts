/**
 * The HTTP client of the provincial health-code platform (the wire: protocol/health-code.ts). One
 * GET per lookup, with the lane's bearer key, bounded twice: the whole exchange (connect, headers,
 * body) must end within `timeoutMs` (1.5 s by default: a person is measured meanwhile, and the
 * lookup must not keep them waiting when the platform is slow), and no more than
 * MAX_ANSWER_BYTES + 1 bytes of a body are read. It never throws: every failure is an answer
 * problem the lookup (code-colours.ts) turns into its cache or `unknown`.
 * The holder token travels in the query over TLS; the key only in the Authorization header; the
 * client logs nothing (a URL with a token must not reach a log).
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import {
  colourRequestPath,
  isLoopbackHost,
  MAX_ANSWER_BYTES,
  type ParsedAnswer,
  parseColourAnswer,
} from "@checkpoint/protocol";

export const DEFAULT_PLATFORM_TIMEOUT_MS = 1500;

export interface PlatformOptions {
  /** The platform's base URL: https://…, or http:// to a loopback address (a simulator, tests). */
  url: string;
  /** The lane's bearer key (from its key file). */
  key: string;
  timeoutMs?: number;
  /** The CA to trust for an https platform (PEM); the system's CAs when absent. */
  ca?: string;
}

/** The platform's colour of one holder, or why there is none. */
export interface ColourPlatform {
  colour(holder: { province: string; token: string }): Promise<ParsedAnswer>;
}

/** Why a platform URL must not be used, or null: plain http anywhere but loopback sends the key in clear. */
export function platformUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "not a URL";
  }
  if (parsed.username !== "" || parsed.password !== "") return "credentials in the URL (use the key file)";
  if (parsed.search !== "" || parsed.hash !== "") return "a query or fragment in the base URL";
  if (parsed.protocol === "https:") return null;
  if (parsed.protocol === "http:" && isLoopbackHost(parsed.hostname)) return null;
  return "not https (plain http only to a loopback address)";
}

export class HealthCodePlatform implements ColourPlatform {
  private readonly base: URL;
  private readonly timeoutMs: number;

  constructor(private readonly options: PlatformOptions) {
    const problem = platformUrlProblem(options.url);
    if (problem) throw new Error(`health-code platform ${options.url}: ${problem}`);
    this.base = new URL(options.url);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_PLATFORM_TIMEOUT_MS;
  }

  colour(holder: { province: string; token: string }): Promise<ParsedAnswer> {
    const basePath = this.base.pathname.replace(/\/+$/, "");
    const url = new URL(basePath + colourRequestPath(holder), this.base);
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<ParsedAnswer>((resolve) => {
      let settled = false;
      const done = (answer: ParsedAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        req.destroy();
        resolve(answer);
      };
      const req = request(
        url,
        {
          method: "GET",
          headers: { authorization: `Bearer ${this.options.key}`, accept: "application/json" },
          agent: false,
          ...(this.options.ca ? { ca: this.options.ca } : {}),
        },
        (res: IncomingMessage) => {
          const status = res.statusCode ?? 0;
          if (status !== 200) return done(parseColourAnswer(status, ""));
          const declared = Number(res.headers["content-length"]);
          if (declared > MAX_ANSWER_BYTES) return done({ ok: false, problem: "too-large" });
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            chunks.push(chunk);
            // Enough to know it is too large: stop reading.
            if (size > MAX_ANSWER_BYTES) done({ ok: false, problem: "too-large" });
          });
          res.on("end", () => done(parseColourAnswer(status, Buffer.concat(chunks))));
          res.on("error", () => done({ ok: false, problem: "unreachable" }));
        },
      );
      // The whole exchange, not an idle socket: a body dripped a byte a second must not hold a person.
      const deadline = setTimeout(() => done({ ok: false, problem: "unreachable" }), this.timeoutMs);
      req.on("error", () => done({ ok: false, problem: "unreachable" }));
      req.end();
    });
  }
}
