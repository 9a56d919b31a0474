/**
 * The simulator.
 *   npm run sim -- station ...   one virtual lane's hardware, with the technician's console
 *   npm run sim -- fleet --broker mqtt://127.0.0.1:1883 --credentials var/fleet-credentials.json
 *                                many simulated lanes straight on MQTT (load, demos)
 */
import { Args } from "./args.ts";
import { stationCli } from "./console/station-cli.ts";
import { readCredentials } from "./fleet/credentials.ts";
import { Fleet } from "./fleet/fleet.ts";
import { Progress } from "./progress.ts";

async function fleetCli(args: Args): Promise<void> {
  const credentials = readCredentials(args.string("credentials", "var/fleet-credentials.json"));
  const fleet = new Fleet({
    brokerUrl: args.string("broker", "mqtt://127.0.0.1:1883"),
    devices: credentials.devices,
    operator: credentials.operator,
    speed: args.number("speed", 1, 1, 10_000),
    seed: args.number("seed", 1, 0),
    feverShare: args.number("fever-share", 0.01, 0, 1),
    walkOffShare: args.number("walk-off", 0.1, 0, 1),
    telemetryMs: 30_000,
  });
  await fleet.start();
  const progress = new Progress();
  const timer = setInterval(() => {
    const s = fleet.stats();
    progress.update(
      `screenings ${s.screenings}  acked ${s.acked}  alerts ${s.alerts}  connected ${s.connected}/${s.lanes}`,
    );
  }, 1000);
  const stop = async () => {
    clearInterval(timer);
    progress.done();
    await fleet.stop();
    console.log(JSON.stringify(fleet.stats()));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

async function main(): Promise<void> {
  const args = new Args(process.argv.slice(2));
  const mode = args.positional[0];
  if (mode === "station") return stationCli(args);
  if (mode === "fleet") return fleetCli(args);
  console.error("usage: npm run sim -- station [options] | fleet [options]   (see simulator/main.ts)");
  process.exit(2);
}

main().catch((error: Error) => {
  console.error(`simulator: ${error.message}`);
  process.exit(1);
});
