/**
 * `npm start`: a whole simulated city on one machine.
 *   1. InfluxDB: INFLUX_URL if set; otherwise a private influxd under var/influxdb (installed with
 *      apt-get when missing and running as root); otherwise spool-only, said plainly.
 *   2. Credentials for the simulated fleet, provisioned into the gateway's registry.
 *   3. The gateway as its own process (logs in var/log/gateway.log).
 *   4. The fleet (18 highway stations × 4 lanes, 40 community entrances), with a live summary.
 * `--duration S` stops after S seconds; Ctrl-C stops too. On stop: lanes drain their unacknowledged
 * events, the gateway flushes, the run is audited against InfluxDB by event id, and the last line
 * printed is one JSON object: screenings, stored, fevers, alerts, rejected, lost, ...
 *
 *   5. A few lanes (--firmware-lanes, default 2) running the real firmware against virtual boards.
 * Options: --duration S  --speed N (default 60: a day in 24 min)  --fever-share F (0.01)
 *          --walk-off F (0.1)  --seed N  --highway N  --lanes N  --community N  --firmware-lanes N
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { Users } from "../gateway/ops/users.ts";
import { Registry } from "../gateway/registry/registry.ts";
import { newSecret } from "../gateway/registry/secrets.ts";
import { Args } from "../simulator/args.ts";
import { type FleetCredentials, writeCredentials } from "../simulator/fleet/credentials.ts";
import { Fleet } from "../simulator/fleet/fleet.ts";
import { cityLayout } from "../simulator/fleet/layout.ts";
import { Progress } from "../simulator/progress.ts";
import { FIRMWARE_STATION, FirmwareLanes } from "./firmware-lanes.ts";
import { freePort, type InfluxdHandle, startInfluxd } from "./influxd.ts";
import { ensureSystemPackages, installCommand } from "./system-deps.ts";

const ROOT = resolve(import.meta.dirname, "..");
/** Where the demo keeps its data; CHECKPOINT_VAR moves it (tests use a temporary folder). */
const VAR = process.env.CHECKPOINT_VAR ? resolve(process.env.CHECKPOINT_VAR) : join(ROOT, "var");
const DATABASE = process.env.INFLUX_DB ?? "checkpoint";

const say = (line: string) => process.stderr.write(`${line}\n`);

async function portFree(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = createServer();
    s.once("error", () => r(false));
    s.listen(port, "127.0.0.1", () => s.close(() => r(true)));
  });
}

/** The usual port when it is free, otherwise any free one (a second demo on the same machine). */
async function pickPort(preferred: number): Promise<number> {
  return (await portFree(preferred)) ? preferred : freePort();
}

async function startInflux(): Promise<{ url: string | undefined; handle: InfluxdHandle | null }> {
  if (process.env.INFLUX_URL) {
    say(`InfluxDB: using INFLUX_URL=${process.env.INFLUX_URL}`);
    return { url: process.env.INFLUX_URL, handle: null };
  }
  const missing = ensureSystemPackages(["influxdb"], say);
  if (missing.length > 0) {
    say("");
    say("  ******************************************************************************");
    say("  * InfluxDB is not installed: running SPOOL-ONLY. Every screening is kept in the *");
    say("  * gateway's disk spool (var/gateway/spool) and nothing reaches dashboards.      *");
    say(`  * Install it with:  ${installCommand(missing).padEnd(58)}*`);
    say("  * or point the gateway at a server with INFLUX_URL=http://host:8086            *");
    say("  ******************************************************************************");
    say("");
    return { url: undefined, handle: null };
  }
  const handle = await startInfluxd(join(VAR, "influxdb"));
  say(`InfluxDB: started a local influxd at ${handle.url} (data in var/influxdb)`);
  return { url: handle.url, handle };
}

async function provision(
  args: Args,
): Promise<FleetCredentials & { firmwareSecrets: string[]; consolePassword: string }> {
  const layout = cityLayout({
    highwayStations: args.number("highway", 18, 0, 99),
    highwayLanes: args.number("lanes", 4, 1, 16),
    communityPoints: args.number("community", 40, 0, 999),
  });
  const registry = new Registry(join(VAR, "gateway", "gateway.db"));
  const credentials: FleetCredentials = {
    operator: { username: "demo-operator", secret: newSecret() },
    devices: layout.map((lane) => ({ ...lane, secret: newSecret() })),
  };
  await registry.addOperator(credentials.operator.username, credentials.operator.secret);
  await Promise.all(credentials.devices.map((d) => registry.addDevice(d.station, d.device, d.secret)));
  const firmwareSecrets = Array.from({ length: args.number("firmware-lanes", 2, 0, 8) }, () => newSecret());
  await Promise.all(firmwareSecrets.map((s, i) => registry.addDevice(FIRMWARE_STATION, `lane-${i + 1}`, s)));
  const consolePassword = newSecret();
  await new Users(registry.db, 0).add("duty-officer", "officer", consolePassword);
  writeFileSync(
    join(VAR, "console-credentials.json"),
    `${JSON.stringify({ username: "duty-officer", password: consolePassword }, null, 2)}\n`,
    { mode: 0o600 },
  );
  registry.close();
  writeCredentials(join(VAR, "fleet-credentials.json"), credentials);
  say(`fleet: ${credentials.devices.length} lanes provisioned (credentials in var/fleet-credentials.json)`);
  return { ...credentials, firmwareSecrets, consolePassword };
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the gateway exited (code ${child.exitCode}); see var/log/gateway.log`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the gateway did not come up within 30 s; see var/log/gateway.log");
}

/** Screenings stored for one station since `sinceMs` (the firmware lanes are not in the fleet's ledger). */
async function countStation(influxUrl: string, station: string, sinceMs: number): Promise<number> {
  const q = `SELECT count("id") FROM "screening" WHERE "station" = '${station}' AND time >= ${sinceMs - 60_000}ms`;
  const res = await fetch(`${influxUrl}/query?db=${DATABASE}&q=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { results: { series?: { values: [string, number][] }[] }[] };
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

async function health(url: string): Promise<Record<string, number | string> | null> {
  try {
    return (await (await fetch(url)).json()) as Record<string, number | string>;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const args = new Args(process.argv.slice(2));
  const durationS = args.number("duration", 0, 0);
  mkdirSync(join(VAR, "log"), { recursive: true });
  const influx = await startInflux();
  const credentials = await provision(args);
  const mqttPort = await pickPort(Number(process.env.MQTT_PORT ?? 1883));
  const httpPort = await pickPort(Number(process.env.HTTP_PORT ?? 8080));
  const logFd = openSync(join(VAR, "log", "gateway.log"), "a");
  const gateway = spawn(process.execPath, ["--import", "tsx", join(ROOT, "gateway", "main.ts")], {
    cwd: ROOT,
    stdio: ["ignore", logFd, logFd],
    env: {
      ...process.env,
      INFLUX_URL: influx.url ?? "",
      INFLUX_DB: DATABASE,
      MQTT_HOST: "127.0.0.1",
      MQTT_PORT: String(mqttPort),
      HTTP_HOST: "127.0.0.1",
      HTTP_PORT: String(httpPort),
      DATA_DIR: join(VAR, "gateway"),
    },
  });
  const healthUrl = `http://127.0.0.1:${httpPort}/health`;
  const gatewayExited = new Promise<void>((r) => gateway.once("exit", () => r()));
  await waitForHealth(healthUrl, gateway);
  say(`gateway: MQTT on 127.0.0.1:${mqttPort}, log in var/log/gateway.log`);
  say(
    `duty console: http://127.0.0.1:${httpPort}/  (user duty-officer, password ${credentials.consolePassword}; also in var/console-credentials.json)`,
  );

  const fleet = new Fleet({
    brokerUrl: `mqtt://127.0.0.1:${mqttPort}`,
    devices: credentials.devices,
    operator: credentials.operator,
    speed: args.number("speed", 60, 1, 10_000),
    seed: args.number("seed", Date.now() % 1_000_000, 0),
    feverShare: args.number("fever-share", 0.01, 0, 1),
    walkOffShare: args.number("walk-off", 0.1, 0, 1),
    telemetryMs: 30_000,
  });
  await fleet.start();
  const firmwareLanes = new FirmwareLanes(ROOT, VAR);
  await firmwareLanes.start(
    credentials.firmwareSecrets.length,
    `mqtt://127.0.0.1:${mqttPort}`,
    credentials.firmwareSecrets,
    args.number("fever-share", 0.01, 0, 1) * 5,
  );
  if (credentials.firmwareSecrets.length > 0) {
    say(
      `firmware: ${credentials.firmwareSecrets.length} lanes run the real firmware against virtual boards (station ${FIRMWARE_STATION}, logs in var/log/lane-N.log)`,
    );
  }
  say(
    `fleet: ${credentials.devices.length} lanes online at speed ×${fleet.clock.speed}` +
      (durationS > 0 ? `; stopping in ${durationS} s` : "; Ctrl-C to stop"),
  );

  const progress = new Progress();
  const started = Date.now();
  let last: Record<string, number | string> | null = null;
  let lastStored = 0;
  const ticker = setInterval(async () => {
    const g = await health(healthUrl);
    if (g) last = g;
    const f = fleet.stats();
    const stored = Number(last?.stored ?? 0);
    const rate = stored - lastStored;
    lastStored = stored;
    const simTime = new Date(fleet.clock.now()).toISOString().slice(5, 16).replace("T", " ");
    progress.update(
      `[${Math.round((Date.now() - started) / 1000)}s sim ${simTime}] screenings ${f.screenings}  ` +
        `fevers ${f.verdicts.fever ?? 0}  retests ${f.verdicts.retest ?? 0}  alerts ${f.alerts}  ` +
        `online ${last?.devices_online ?? "?"}/${f.lanes}  writes ${rate}/s  ` +
        `spool ${last?.spool_bytes ?? 0} B  rejected ${last?.rejected ?? 0}`,
    );
  }, 1000);

  await new Promise<void>((r) => {
    if (durationS > 0) setTimeout(r, durationS * 1000);
    process.once("SIGINT", () => r());
    process.once("SIGTERM", () => r());
  });
  clearInterval(ticker);
  progress.done();
  say("stopping: lanes drain their outboxes, then the gateway flushes…");
  await fleet.stop(30_000);
  await firmwareLanes.stop();
  const final = (await health(healthUrl)) ?? last;
  gateway.kill("SIGTERM");
  await gatewayExited;

  const f = fleet.stats();
  let audit = null;
  let firmwareStored: number | null = null;
  if (influx.url) {
    audit = await fleet.ledger.audit(influx.url, DATABASE, fleet.clock.startMs);
    firmwareStored = await countStation(influx.url, FIRMWARE_STATION, started);
  }
  await influx.handle?.stop();
  const summary = {
    screenings: f.screenings,
    acked: f.acked,
    stored: audit?.stored ?? 0,
    fevers: audit?.verdicts.fever ?? 0,
    retests: audit?.verdicts.retest ?? 0,
    alerts: f.alerts,
    alerts_by_kind: f.alertsByKind,
    rejected: Number(final?.rejected ?? 0),
    duplicated: audit?.duplicated ?? 0,
    lost: audit ? audit.missing : null,
    spool_only: influx.url === undefined,
    firmware_lanes: { screened: firmwareLanes.screened(), stored: firmwareStored },
  };
  if (audit && audit.missing > 0) say(`WARNING: ${audit.missing} screenings sent but not found in InfluxDB`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(0);
}

main().catch((error: Error) => {
  say(`npm start failed: ${error.message}`);
  process.exit(1);
});
