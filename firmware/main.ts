/**
 * The lane program.
 *   npm run firmware -- --config lane.json                       run the lane
 *   npm run firmware -- calibrate --reference 37.0 --config lane.json
 *                                   with the sensor aimed at a blackbody at 37.0 °C
 * Stops cleanly on SIGINT/SIGTERM (says offline to the gateway; the outbox keeps what is unsent).
 */
import { pino } from "pino";
import { Args } from "../simulator/args.ts";
import { LaneApp } from "./app.ts";
import { calibrate, saveCalibration } from "./calibration.ts";
import { loadLaneFile } from "./config.ts";
import type { LinkedBoard } from "./hardware/board-link.ts";
import { Mlx90614 } from "./hardware/mlx90614.ts";

async function main(): Promise<void> {
  const args = new Args(process.argv.slice(2));
  const file = loadLaneFile(args.string("config", "lane.json"));
  const log = pino({ level: file.logLevel ?? "info", base: { lane: `${file.station}/${file.device}` } });
  const app = new LaneApp(file, log);

  if (args.positional[0] === "calibrate") {
    const reference = args.number("reference", Number.NaN, 30, 45);
    if (Number.isNaN(reference))
      throw new Error("calibrate needs --reference <blackbody °C>, e.g. --reference 37.0");
    app.link.start();
    const linked = await new Promise<LinkedBoard>((resolve) => app.link.once("ready", resolve));
    const sensor = new Mlx90614(linked.io);
    const result = await calibrate(() => sensor.read(), reference);
    saveCalibration(app.calibrationPath, result);
    console.log(JSON.stringify(result));
    console.error(
      `Calibrated: offset ${result.offset_c >= 0 ? "+" : ""}${result.offset_c} °C, residual ${result.residual_c} °C (sd ${result.sd_c}); saved to ${app.calibrationPath}`,
    );
    app.link.stop();
    process.exit(0);
  }

  app.start();
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    app.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((error: Error) => {
  console.error(`firmware: ${error.message}`);
  process.exit(1);
});
