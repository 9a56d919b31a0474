/**
 * The virtual station for bench:lane, in its own process: on an IPC "scan" it puts a healthy
 * person in front of the sensor, scans a code on the TCP scanner line and answers with the time
 * until the lane showed its verdict (both measured on this process's clock): green (pass), red
 * (fever), or yellow held steady (retest: a healthy forehead sometimes reads above the screening
 * line — a verdict shown all the same; the measuring pattern's yellow blinks for 150 ms).
 */
import { DEFAULT_PINS, VirtualStation } from "../../simulator/hardware/station.ts";

/** Yellow on for longer than this is the retest light, not the measuring blink. */
const STEADY_MS = 200;

const station = new VirtualStation({ scanner: "tcp", ambientC: 21 });
await station.start();
let pending: { t0: number; resolve: (ms: number) => void; verdict?: string } | null = null;
let yellowTimer: NodeJS.Timeout | null = null;
const shown = (verdict: string, at: number) => {
  if (!pending) return;
  pending.verdict = verdict;
  pending.resolve(at - pending.t0);
  pending = null;
};
station.board.on("pin", (pin: number, value: number) => {
  if (!pending) return;
  const at = performance.now();
  if (pin === DEFAULT_PINS.green && value === 1) shown("pass", at);
  else if (pin === DEFAULT_PINS.red && value === 1) shown("fever", at);
  else if (pin === DEFAULT_PINS.yellow) {
    if (yellowTimer) clearTimeout(yellowTimer);
    yellowTimer = value === 1 ? setTimeout(() => shown("retest", at), STEADY_MS) : null;
  }
});
process.on("message", async (m: { cmd: "scan"; code: string } | { cmd: "stop" }) => {
  if (m.cmd === "stop") {
    await station.close();
    process.exit(0);
  }
  if (m.cmd !== "scan") return;
  station.person(36.5);
  let verdict = "none";
  const done = new Promise<number>((resolve) => {
    pending = {
      t0: performance.now(),
      resolve: (ms) => {
        verdict = pending?.verdict ?? "none";
        resolve(ms);
      },
    };
  });
  const timeout = new Promise<number>((r) => setTimeout(() => r(Number.NaN), 5000));
  await station.scanner.scan(m.code);
  const ms = await Promise.race([done, timeout]);
  pending = null;
  station.scene.clear();
  process.send?.({ ms, verdict });
});
process.send?.({ ready: true, board: station.boardAddress, scanner: station.scanner.address });
