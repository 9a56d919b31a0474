/**
 * The lane program.
 *   npm run firmware -- --config lane.json                       run the lane
 *   npm run firmware -- calibrate --reference 37.0 --config lane.json
 *                                   with the sensor aimed at a blackbody at 37.0 °C
 * Stops cleanly on SIGINT/SIGTERM (says offline to the gateway; the outbox keeps what is unsent).
 */
import { parseArgs } from "node:util";
import { DEFAULT_LOCALE, t } from "@checkpoint/protocol";
import { pino } from "pino";
import { LaneApp } from "./app.ts";
import { calibrate, saveCalibration } from "./calibration.ts";
import { loadLaneFile } from "./config.ts";
import type { LinkedBoard } from "./hardware/board-link.ts";
import { Mlx90614 } from "./hardware/mlx90614.ts";

/** The command line is wrong: printed with the usage, exit code 2 (parseArgs's own errors too). */
class UsageError extends Error {}
const isUsageError = (error: unknown) =>
  error instanceof UsageError || String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");

/** How long a stopping lane may take (saying offline, closing the outbox) before it exits anyway. */
const STOP_DEADLINE_MS = 8000;

const USAGE = `Usage:
  checkpoint-lane [--config lane.json]                       run the lane
  checkpoint-lane calibrate --reference 37.0 [--config lane.json]
                          calibrate against a blackbody at the given temperature (°C)

Options:
  --config FILE     the lane's settings (default lane.json; see firmware/deploy/lane.example.json)
  --reference C     blackbody temperature for calibrate, 30-45 °C
  -h, --help        print this and exit
`;

/** The lane's files (its config with the MQTT secret, the outbox, calibration) are its user's alone. */
process.umask(0o077);

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: {
      config: { type: "string", default: "lane.json" },
      reference: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const command = positionals[0] ?? "run";
  if (!["run", "calibrate"].includes(command) || positionals.length > 1) {
    throw new UsageError(`unknown command "${positionals.join(" ")}"`);
  }
  const file = loadLaneFile(values.config);
  const log = pino({ level: file.logLevel ?? "info", base: { lane: `${file.station}/${file.device}` } });
  const app = new LaneApp(file, log);

  if (command === "calibrate") {
    const reference = Number(values.reference);
    if (!(reference >= 30 && reference <= 45))
      throw new UsageError(t(file.locale ?? DEFAULT_LOCALE, "lane.reference-required"));
    app.link.start();
    const linked = await new Promise<LinkedBoard>((resolve) => app.link.once("ready", resolve));
    const sensor = new Mlx90614(linked.io);
    const result = await calibrate(() => sensor.read(), reference);
    saveCalibration(app.calibrationPath, result);
    console.log(JSON.stringify(result));
    console.error(
      t(file.locale ?? DEFAULT_LOCALE, "lane.calibrated", {
        offset: `${result.offset_c >= 0 ? "+" : ""}${result.offset_c}`,
        residual: result.residual_c,
        sd: result.sd_c,
        path: app.calibrationPath,
      }),
    );
    app.link.stop();
    process.exit(0);
  }

  app.start();
  let stoppingSince = 0;
  const shutdown = () => {
    // A second signal, or a stop that hangs (a gateway that never acknowledges the offline
    // status), must not leave the lane running: exit anyway. The outbox keeps what is unsent.
    // (One Ctrl-C arrives several times within a moment: from the terminal, npm and tsx.)
    if (stoppingSince > 0) {
      if (Date.now() - stoppingSince > 2000) process.exit(1);
      return;
    }
    stoppingSince = Date.now();
    setTimeout(() => {
      log.warn({ deadlineMs: STOP_DEADLINE_MS }, "firmware: stop took too long; exiting");
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    app.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((error: Error) => {
  if (isUsageError(error)) {
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(t(DEFAULT_LOCALE, "lane.failed", { error: error.message }));
  process.exit(1);
});
