/**
 * Waiting for a server to come up, and reading the gateway's /health: the one place where
 * `npm start`, the private influxd and the test harnesses poll an HTTP endpoint.
 */
import type { ChildProcess } from "node:child_process";

export interface WaitOptions {
  /** What is being waited for, in the error message ("the gateway", "influxd"). */
  name: string;
  timeoutMs: number;
  /** When the server's process exits first, waiting stops at once with an error. */
  process?: ChildProcess;
  intervalMs?: number;
  /** Where to look when it fails ("see var/log/gateway.log"). */
  hint?: string;
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
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) return;
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
export async function readHealth(url: string, timeoutMs = 5000): Promise<Health | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? ((await res.json()) as Health) : null;
  } catch {
    return null;
  }
}
