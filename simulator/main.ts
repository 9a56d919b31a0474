/**
 * The simulator.
 *   npm run sim -- station ...   one virtual lane's hardware, with the technician's console
 *   npm run sim -- fleet --credentials var/fleet-credentials.json [--broker mqtts://127.0.0.1:8883]
 *                                many simulated lanes straight on MQTT (load, demos)
 *   npm run sim -- health-code --key-file FILE [--port N] [--seed N]
 *                                the simulated provincial health-code platform, for a lane on the bench
 * `npm run sim -- --help` (or `station --help`, `fleet --help`) prints the options.
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { exitWithUsage, isUsageError, numberOption, UsageError } from "./command-line.ts";
import { stationCli } from "./console/station-cli.ts";
import { readCredentials } from "./fleet/credentials.ts";
import { Fleet } from "./fleet/fleet.ts";
import { simulatedColour } from "./health-code/colours.ts";
import { SimulatedPlatform } from "./health-code/platform.ts";
import { Progress } from "./progress.ts";

const STATION_USAGE = `  npm run sim -- station [options]      a virtual lane: Firmata board on TCP with an MLX90614,
                                        QR scanner, LEDs and buzzer; then the technician's prompt
    --board-port N      the board's TCP port (default 3030; 0 = any free port)
    --scanner pty|tcp   the scanner on a socat pseudo-terminal (default) or a TCP port
    --ambient C         ambient temperature, -40 to 60 °C (default 20)
    --seed N            random seed (default: from the clock)
    --gateway URL       relay the firmware's MQTT to this broker through a link the console can break
    --link-port N       the relay's port (default: any free port)
    --script FILE       run a scenario file, one console command per line, instead of the prompt
`;

const FLEET_USAGE = `  npm run sim -- fleet [options]        many simulated lanes straight on MQTT (load, demos)
    --credentials FILE  the fleet's logins and device bundles (default var/fleet-credentials.json,
                        written by npm start: its lanes connect over TLS, pinning the bundles' CA)
    --broker URL        the gateway's broker (default: the bundles' URL, else mqtt://127.0.0.1:1883)
    --speed N           simulated time per real second, 1 to 10000 (default 1)
    --seed N            random seed (default 1)
    --fever-share F     share of people with a fever, 0 to 1 (default 0.01)
    --walk-off F        share of people who leave instead of retesting, 0 to 1 (default 0.1)
`;

const HEALTH_CODE_USAGE = `  npm run sim -- health-code [options]  the provincial health-code platform (GET /v1/colour) on
                                        127.0.0.1, seeded colours (mostly green, a few yellow, a
                                        rare red); a technician sets one:
                                        curl -d '{"code":"<scanned code>","colour":"red"}' URL/sim/colour
    --key-file FILE     the lanes' bearer keys, one a line (required; the lane.json keyFile's)
    --port N            its port (default 8090; 0 = any free port)
    --seed N            random seed of the colours (default 1)
`;

const USAGE = `Usage:
${STATION_USAGE}
${FLEET_USAGE}
${HEALTH_CODE_USAGE}
  -h, --help            print this and exit (also after a mode: station --help)
`;

const HELP = { help: { type: "boolean", short: "h" } } as const;

async function fleetCli(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...HELP,
      broker: { type: "string" },
      credentials: { type: "string", default: "var/fleet-credentials.json" },
      speed: { type: "string" },
      seed: { type: "string" },
      "fever-share": { type: "string" },
      "walk-off": { type: "string" },
    },
    strict: true,
  });
  if (values.help) return void process.stdout.write(`Usage:\n${FLEET_USAGE}`);
  const options = {
    speed: numberOption(values, "speed", 1, 1, 10_000),
    seed: numberOption(values, "seed", 1, 0),
    feverShare: numberOption(values, "fever-share", 0.01, 0, 1),
    walkOffShare: numberOption(values, "walk-off", 0.1, 0, 1),
  };
  const credentials = readCredentials(values.credentials);
  const fleet = new Fleet({
    brokerUrl: values.broker ?? credentials.broker?.url ?? "mqtt://127.0.0.1:1883",
    ...(credentials.broker?.ca ? { ca: credentials.broker.ca } : {}),
    devices: credentials.devices,
    operator: credentials.operator,
    ...options,
    telemetryMs: 30_000,
    // As a simulated platform of the same seed would answer (npm run sim -- health-code --seed).
    colourOf: (province, token) => simulatedColour(options.seed, province, token),
  });
  await fleet.start();
  const progress = new Progress();
  const timer = setInterval(() => {
    const s = fleet.stats();
    progress.update(
      `screenings ${s.screenings}  acked ${s.acked}  alerts ${s.alerts}  connected ${s.connected}/${s.lanes}`,
    );
  }, 1000);
  let stopping = false;
  const stop = async () => {
    if (stopping) return; // one Ctrl-C arrives several times (terminal, npm, tsx)
    stopping = true;
    clearInterval(timer);
    progress.done();
    await fleet.stop();
    console.log(JSON.stringify(fleet.stats()));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

async function stationMode(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...HELP,
      "board-port": { type: "string" },
      scanner: { type: "string", default: "pty" },
      ambient: { type: "string" },
      seed: { type: "string" },
      gateway: { type: "string" },
      "link-port": { type: "string" },
      script: { type: "string" },
    },
    strict: true,
  });
  if (values.help) return void process.stdout.write(`Usage:\n${STATION_USAGE}`);
  if (values.scanner !== "pty" && values.scanner !== "tcp")
    throw new UsageError(`--scanner ${values.scanner}: expected pty or tcp`);
  return stationCli({
    boardPort: numberOption(values, "board-port", 3030, 0, 65_535),
    scanner: values.scanner,
    ambientC: numberOption(values, "ambient", 20, -40, 60),
    seed: numberOption(values, "seed", Date.now() % 100_000, 0),
    gateway: values.gateway,
    linkPort: numberOption(values, "link-port", 0, 0, 65_535),
    script: values.script,
  });
}

async function healthCodeMode(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...HELP, "key-file": { type: "string" }, port: { type: "string" }, seed: { type: "string" } },
    strict: true,
  });
  if (values.help) return void process.stdout.write(`Usage:\n${HEALTH_CODE_USAGE}`);
  if (!values["key-file"]) throw new UsageError("--key-file: give the lanes' key file");
  const keys = readFileSync(values["key-file"], "utf8")
    .split("\n")
    .map((k) => k.trim())
    .filter((k) => k !== "");
  const platform = new SimulatedPlatform({
    keys,
    seed: numberOption(values, "seed", 1, 0),
    port: numberOption(values, "port", 8090, 0, 65_535),
  });
  const url = await platform.start();
  console.log(`health-code platform: ${url} (lane.json "healthCode": {"url": "${url}", "keyFile": …})`);
  const stop = () => void platform.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === "station") return stationMode(rest);
  if (mode === "fleet") return fleetCli(rest);
  if (mode === "health-code") return healthCodeMode(rest);
  if (mode !== undefined && !mode.startsWith("-")) throw new UsageError(`unknown mode "${mode}"`);
  const { values } = parseArgs({ args: process.argv.slice(2), options: HELP, strict: true });
  if (values.help) return void process.stdout.write(USAGE);
  throw new UsageError("say which mode: station, fleet or health-code");
}

main().catch((error: Error) => {
  if (isUsageError(error)) exitWithUsage(error, USAGE);
  console.error(`simulator: ${error.message}`);
  process.exit(1);
});
