/** Child-process helpers shared by the test harnesses. */
import type { ChildProcess } from "node:child_process";

/** Sends `signal` and waits for the process to exit; nothing to do when it is not running. */
export async function killAndWait(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill(signal);
  await exited;
}

/** What a child prints, gathered as it comes (read `stdout`/`stderr` at any time). */
export function captured(child: ChildProcess): { readonly stdout: string; readonly stderr: string } {
  const out = { stdout: "", stderr: "" };
  child.stdout?.on("data", (d: Buffer) => {
    out.stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out.stderr += d.toString();
  });
  return out;
}
