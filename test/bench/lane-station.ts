/**
 * The virtual station for bench:lane, in its own process: on an IPC "scan" it puts a healthy
 * person in front of the sensor, scans a code on the TCP scanner line and answers with the time
 * until the green light came on (both measured on this process's clock).
 */
import { VirtualStation } from "../../simulator/hardware/station.ts";

const station = new VirtualStation({ scanner: "tcp", ambientC: 21 });
await station.start();
let pending: { t0: number; resolve: (ms: number) => void } | null = null;
station.board.on("pin", (pin: number, value: number) => {
  if (pending && pin === 5 && value === 1) {
    const ms = performance.now() - pending.t0;
    pending.resolve(ms);
    pending = null;
  }
});
process.on("message", async (m: { cmd: "scan"; code: string } | { cmd: "stop" }) => {
  if (m.cmd === "stop") {
    await station.close();
    process.exit(0);
  }
  if (m.cmd !== "scan") return;
  station.person(36.5);
  const done = new Promise<number>((resolve) => {
    pending = { t0: performance.now(), resolve };
  });
  const timeout = new Promise<number>((r) => setTimeout(() => r(Number.NaN), 5000));
  await station.scanner.scan(m.code);
  const ms = await Promise.race([done, timeout]);
  pending = null;
  station.scene.clear();
  process.send?.({ ms });
});
process.send?.({ ready: true, board: station.boardAddress, scanner: station.scanner.address });
