/**
 * Waiting for a server to come up, and reading the gateway's /health: the one place where
 * `npm start`, the private influxd and the test harnesses poll an HTTP endpoint. Over HTTPS with a
 * private CA, `ca` is the CA certificate to trust (and nothing else).
 */
import type { ChildProcess } from "node:child_process";
import { request } from "node:https";

export interface WaitOptions {
  /** What is being waited for, in the error message ("the gateway", "influxd"). */
  name: string;
  timeoutMs: number;
  /** When the server's process exits first, waiting stops at once with an error. */
  process?: ChildProcess;
  intervalMs?: number;
  /** Where to look when it fails ("see var/log/gateway.log"). */
  hint?: string;
  /** For an https:// URL: the CA certificate its server's certificate must chain to. */
  ca?: string;
}

/** A GET with a timeout: fetch for http://, node:https pinning `ca` for https:// with a CA. */
async function get(url: string, timeoutMs: number, ca?: string): Promise<{ ok: boolean; text: string }> {
  if (!ca || !url.startsWith("https://")) {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { ok: res.ok, text: await res.text() };
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: timeoutMs }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        resolve({ ok: status >= 200 && status < 300, text });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** Resolves once `url` answers with a 2xx status; rejects when the process exits or time runs out. */
export async function waitUntilUp(url: string, options: WaitOptions): Promise<void> {
  const hint = options.hint ? `; ${options.hint}` : "";
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    const child = options.process;
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(
        `${options.name} exited (${child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode}) while starting${hint}`,
      );
    }
    try {
      if ((await get(url, 2000, options.ca)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
  throw new Error(
    `${options.name} did not answer ${url} within ${Math.round(options.timeoutMs / 1000)} s${hint}`,
  );
}

export type Health = Record<string, number | string>;

/** The gateway's counters from `/health`, or null when it does not answer (within `timeoutMs`). */
export async function readHealth(url: string, timeoutMs = 5000, ca?: string): Promise<Health | null> {
  try {
    const res = await get(url, timeoutMs, ca);
    return res.ok ? (JSON.parse(res.text) as Health) : null;
  } catch {
    return null;
  }
}
