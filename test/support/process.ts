/** Child-process helpers shared by the test harnesses. */
import type { ChildProcess } from "node:child_process";

/** Sends `signal` and waits for the process to exit; nothing to do when it is not running. */
export async function killAndWait(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill(signal);
  await exited;
}
