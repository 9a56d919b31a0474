/**
 * `npm start`: a whole simulated city on one machine.
 *   1. InfluxDB: INFLUX_URL if set; otherwise a private influxd under var/influxdb (installed with
 *      apt-get when missing and running as root) with authentication on: the gateway's
 *      `influx-setup` makes its admin, the gateway's user and Grafana's read-only user, each
 *      password in a 0600 file under var/secrets; otherwise spool-only, said plainly.
 *   2. Credentials for the simulated fleet, provisioned through the gateway's own admin commands
 *      (`tls-init`, `add-devices --bundles`, `add-operator`, `add-user`): a private CA and the
 *      gateway's certificate under var/gateway/tls, one device bundle per lane under var/bundles
 *      (its login, the gateway's mqtts:// URL, the CA it pins); secrets travel on pipes and in 0600
 *      files only. The whole city runs over TLS: MQTT over TLS, the console over HTTPS.
 *   3. The gateway as its own process (logs in var/log/gateway.log).
 *   4. The fleet (18 highway stations × 4 lanes and a retest point, 40 community entrances), with a live summary.
 *   5. A few lanes (--firmware-lanes, default 2) running the real firmware against virtual boards.
 *   The simulated provincial health-code platform (simulator/health-code/platform.ts) on loopback,
 *   before the lanes: the firmware lanes ask it for every health code's colour (each with its own
 *   bearer key, in a 0600 file beside its lane.json), and the fleet's lanes take the same colours,
 *   so yellow and red codes raise health-code alerts in the console.
 * `--duration S` stops after S seconds; Ctrl-C stops too. On stop: lanes drain their unacknowledged
 * events, the gateway flushes, the run is audited against InfluxDB by event id, and the last line
 * printed is one JSON object: screenings, stored, fevers, alerts, rejected, lost, ...
 *
 * Every process it starts (influxd, gateway, firmware lanes, socat) runs in a process group of its
 * own: a terminal's Ctrl-C reaches only npm and this script, which then stops them in order (lanes
 * while the gateway still acknowledges, the gateway before influxd is audited). On any failure it
 * stops everything it started and exits 1; a second Ctrl-C kills everything at once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { exitWithUsage, isUsageError, numberOption } from "../simulator/command-line.ts";
import { ConsoleClient } from "../simulator/demo/console-client.ts";
import { DemoDutyOfficer } from "../simulator/demo/duty-officer.ts";
import { CommunityWorker } from "../simulator/fleet/community-worker.ts";
import {
  type FleetCredentials,
  fleetDeviceFromBundle,
  writeCredentials,
} from "../simulator/fleet/credentials.ts";
import type { FleetDevice } from "../simulator/fleet/fleet.ts";
import { Fleet } from "../simulator/fleet/fleet.ts";
import type { LaneSpec } from "../simulator/fleet/layout.ts";
import { cityLayout } from "../simulator/fleet/layout.ts";
import { SimulatedPlatform } from "../simulator/health-code/platform.ts";
import { scanLine } from "../simulator/people/credentials.ts";
import { Progress } from "../simulator/progress.ts";
import { Rng } from "../simulator/random.ts";
import { FIRMWARE_STATION, FirmwareLanes } from "./firmware-lanes.ts";
import { type Health, readHealth, waitUntilUp } from "./health.ts";
import { freePort, type InfluxdHandle, startInfluxd } from "./influxd.ts";
import { nodeFlags } from "./node-flags.ts";
import { makeTreePrivate } from "./private-tree.ts";
import { ensureSystemPackages, installCommand } from "./system-deps.ts";

const ROOT = resolve(import.meta.dirname, "..");
/** Where the demo keeps its data; CHECKPOINT_VAR moves it (tests use a temporary folder). */
const VAR = process.env.CHECKPOINT_VAR ? resolve(process.env.CHECKPOINT_VAR) : join(ROOT, "var");
const DATABASE = process.env.INFLUX_DB ?? "checkpoint";
const GATEWAY_MAIN = join(ROOT, "gateway", "main.ts");
/** The demo city's townships and fever clinics (TOWNSHIPS and CLINICS in the environment win). */
const DEMO_TOWNSHIPS = "chengguan=城关街道,dongguan=东关街道,xiguan=西关街道,nanjiao=南郊镇";
const DEMO_CLINICS = "renmin=市人民医院发热门诊,zhongyi=市中医院发热门诊,fuyou=市妇幼保健院发热门诊";
/** The community worker's device each township has in the demo. */
const WORKER_DEVICE = "worker-1";
/** Signals this close after the first are the same Ctrl-C, forwarded by npm and tsx. */
const FORWARDED_SIGNAL_MS = 2000;

const USAGE = `Usage: npm start [-- options]

A whole simulated city on this machine: a private InfluxDB (unless INFLUX_URL is set), the gateway,
a fleet of simulated lanes and a few lanes on the real firmware against virtual boards. Data and
logs go to var/. Ctrl-C (or --duration) stops it cleanly and prints a JSON summary as the last line.

Options:
  --duration S        stop after S seconds (default: run until Ctrl-C)
  --speed N           simulated seconds per real second, 1 to 10000 (default 60: a day in 24 min)
  --fever-share F     share of people with a fever, 0 to 1 (default 0.01)
  --walk-off F        share of people who leave instead of retesting, 0 to 1 (default 0.1)
  --seed N            random seed (default: from the clock)
  --highway N         highway stations, 0 to 99 (default 18)
  --lanes N           lanes per highway station, 1 to 16 (default 4)
  --community N       community entrances, 0 to 999 (default 40)
  --firmware-lanes N  lanes on the real firmware, 0 to 8 (default 2; they need socat)
  -h, --help          print this and exit

Environment: INFLUX_URL (use this InfluxDB), INFLUX_DB, MQTT_PORT, HTTP_PORT (preferred ports),
CHECKPOINT_VAR (instead of var/).
`;

interface Options {
  durationS: number;
  speed: number;
  feverShare: number;
  walkOffShare: number;
  seed: number;
  highway: number;
  lanes: number;
  community: number;
  firmwareLanes: number;
}

function parseOptions(argv: string[]): Options | "help" {
  const number = { type: "string" } as const;
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: "boolean", short: "h" },
      duration: number,
      speed: number,
      "fever-share": number,
      "walk-off": number,
      seed: number,
      highway: number,
      lanes: number,
      community: number,
      "firmware-lanes": number,
    },
    strict: true,
  });
  if (values.help) return "help";
  return {
    durationS: numberOption(values, "duration", 0, 0),
    speed: numberOption(values, "speed", 60, 1, 10_000),
    feverShare: numberOption(values, "fever-share", 0.01, 0, 1),
    walkOffShare: numberOption(values, "walk-off", 0.1, 0, 1),
    seed: numberOption(values, "seed", Date.now() % 1_000_000, 0),
    highway: numberOption(values, "highway", 18, 0, 99),
    lanes: numberOption(values, "lanes", 4, 1, 16),
    community: numberOption(values, "community", 40, 0, 999),
    firmwareLanes: numberOption(values, "firmware-lanes", 2, 0, 8),
  };
}

const say = (line: string) => process.stderr.write(`${line}\n`);
/** A path as the user can type it: relative when it is under the current folder. */
const shown = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
};

/** A failure with what to do about it, printed after everything has been stopped. */
class StartError extends Error {
  constructor(
    message: string,
    readonly next: string,
  ) {
    super(message);
  }
}

/** Ctrl-C, SIGTERM or the end of --duration: the run stops at the next step. */
class StopRequest {
  requested = false;
  private wake: (() => void) | null = null;
  readonly reached = new Promise<void>((r) => {
    this.wake = r;
  });

  request(): void {
    this.requested = true;
    this.wake?.();
  }
}

/** What was started, stopped in reverse order; `killNow` when there is no time left for that. */
class Started {
  private readonly stops: { name: string; stop: () => Promise<void> }[] = [];
  private readonly kills: (() => void)[] = [];

  add(name: string, stop: () => Promise<void>, killNow: () => void): void {
    this.stops.push({ name, stop });
    this.kills.push(killNow);
  }

  /** Stops, newest first, everything down to and including `name` (everything when not given). */
  async stopThrough(name?: string): Promise<void> {
    while (this.stops.length > 0) {
      const step = this.stops.pop();
      this.kills.pop();
      try {
        await step?.stop();
      } catch (error) {
        say(`stopping ${step?.name} failed: ${(error as Error).message}`);
      }
      if (step?.name === name) return;
    }
  }

  killNow(): void {
    for (const kill of this.kills.splice(0)) kill();
    this.stops.length = 0;
  }
}

/** Sends SIGTERM and waits for the exit; SIGKILL after `graceMs`. */
async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

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

async function startInflux(
  missing: string[],
): Promise<{ url: string | undefined; handle: InfluxdHandle | null }> {
  if (process.env.INFLUX_URL) {
    say(`InfluxDB: using INFLUX_URL=${process.env.INFLUX_URL}`);
    return { url: process.env.INFLUX_URL, handle: null };
  }
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
  // With authentication on: influx-setup makes its users (influxAuth below).
  const handle = await startInfluxd(join(VAR, "influxdb"), { ownProcessGroup: true, auth: true });
  say(`InfluxDB: started a local influxd at ${handle.url} (data in ${shown(join(VAR, "influxdb"))})`);
  return { url: handle.url, handle };
}

/** The private influxd's passwords, one 0600 file each (the folder 0700): never on a command line. */
const INFLUX_PASSWORDS = {
  admin: join(VAR, "secrets", "influx-admin.password"),
  gateway: join(VAR, "secrets", "influx-gateway.password"),
  grafana: join(VAR, "secrets", "influx-grafana.password"),
};

/**
 * The private influxd's users, through the gateway's own `influx-setup` (as an operator would): its
 * admin (made on the first run), the gateway's user (READ and WRITE) and Grafana's (READ), each
 * password in its file. Returns the read-only login, for the audit of the run.
 */
async function influxAuth(gatewayEnv: NodeJS.ProcessEnv): Promise<{ username: string; password: string }> {
  mkdirSync(join(VAR, "secrets"), { recursive: true, mode: 0o700 });
  await gatewayAdmin(
    [
      "influx-setup",
      "--admin-password-file",
      INFLUX_PASSWORDS.admin,
      "--reader-password-file",
      INFLUX_PASSWORDS.grafana,
    ],
    gatewayEnv,
  );
  say(
    `InfluxDB: authentication on; users admin, gateway and grafana (passwords in ${shown(join(VAR, "secrets"))})`,
  );
  return { username: "grafana", password: readFileSync(INFLUX_PASSWORDS.grafana, "utf8").trim() };
}

/**
 * Runs one of the gateway's admin commands (gateway/main.ts, as an operator would) with `input`
 * on its stdin; returns what it printed on stdout (JSON with the new secrets: never logged).
 */
async function gatewayAdmin(args: string[], env: NodeJS.ProcessEnv, input = ""): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", GATEWAY_MAIN, ...args], {
    cwd: ROOT,
    env,
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end(input);
  const code = await new Promise<number | null>((r) => {
    child.once("error", () => r(null));
    child.once("exit", (c) => r(c));
  });
  if (code !== 0) {
    throw new StartError(
      `the gateway's "${args[0]}" command failed (exit ${code}): ${stderr.trim()}`,
      `fix what the gateway says above and run npm start again ("npm run gateway -- ${args[0]} --help" shows the command)`,
    );
  }
  return stdout;
}

/** The township ids of a TOWNSHIPS setting ("id=name,…"). */
function townshipIds(setting: string): string[] {
  return setting
    .split(",")
    .map((entry) => entry.split("=")[0]?.trim() ?? "")
    .filter((id) => id !== "");
}

interface Provisioned extends FleetCredentials {
  /** The firmware lanes' device bundles. */
  firmwareBundles: string[];
  /** One community worker's device per township (their "station" is the township). */
  workers: FleetDevice[];
  /** The simulated duty officer's console password (user `demo-officer`). */
  demoOfficerPassword: string;
  /** The demo's CA certificate (PEM): every lane pins it, and so does npm start reading /health. */
  ca: string;
}

/** Registers the fleet, the firmware lanes, an operator and a console user with the gateway. */
async function provision(options: Options, gatewayEnv: NodeJS.ProcessEnv): Promise<Provisioned> {
  const layout = cityLayout({
    highwayStations: options.highway,
    highwayLanes: options.lanes,
    communityPoints: options.community,
  });
  const firmware = Array.from({ length: options.firmwareLanes }, (_, i) => ({
    station: FIRMWARE_STATION,
    device: `lane-${i + 1}`,
  }));
  const workers: LaneSpec[] = townshipIds(String(gatewayEnv.TOWNSHIPS)).map((township) => ({
    station: township,
    device: WORKER_DEVICE,
    kind: "community",
  }));
  const wanted = [
    ...layout.map(({ station, device, role }) => ({ station, device, role })),
    ...firmware,
    ...workers.map(({ station, device }) => ({ station, device })),
  ];
  // The private CA (made on the first run, then kept) and the gateway's certificate.
  const tls = JSON.parse(await gatewayAdmin(["tls-init"], gatewayEnv)) as { ca: string };
  const ca = readFileSync(tls.ca, "utf8");
  // One device bundle per lane (its new secret, the gateway's URL, the CA to pin), 0600; the last
  // run's bundles go first: every lane gets a new secret now.
  const bundles = join(VAR, "bundles");
  rmSync(bundles, { recursive: true, force: true });
  const registered = JSON.parse(
    await gatewayAdmin(["add-devices", "-", "--bundles", bundles], gatewayEnv, JSON.stringify(wanted)),
  ) as { station: string; device: string; bundle: string }[];
  const bundleOf = new Map(registered.map((d) => [`${d.station}/${d.device}`, d.bundle]));
  const bundle = (station: string, device: string) => bundleOf.get(`${station}/${device}`) ?? "";
  // The pepper and the database exist now: the other two may run side by side.
  const [operator, user, demoOfficer] = await Promise.all([
    gatewayAdmin(["add-operator", "demo-operator"], gatewayEnv),
    gatewayAdmin(["add-user", "duty-officer", "officer"], gatewayEnv),
    gatewayAdmin(["add-user", "demo-officer", "officer"], gatewayEnv),
  ]);
  const { password } = JSON.parse(user) as { password: string };
  writeFileSync(
    join(VAR, "console-credentials.json"),
    `${JSON.stringify({ username: "duty-officer", password }, null, 2)}\n`,
    { mode: 0o600 },
  );
  const url = String(gatewayEnv.DEVICE_MQTT_URL);
  const credentials: FleetCredentials = {
    operator: { username: "demo-operator", secret: (JSON.parse(operator) as { secret: string }).secret },
    broker: { url, ca },
    devices: layout.map((lane) => fleetDeviceFromBundle(lane, bundle(lane.station, lane.device)).device),
  };
  // The file names each lane's bundle (npm run sim -- fleet reads them), not its secret.
  writeCredentials(join(VAR, "fleet-credentials.json"), {
    operator: credentials.operator,
    broker: { url, ca },
    devices: layout.map((lane) => ({ ...lane, bundle: relative(VAR, bundle(lane.station, lane.device)) })),
  });
  say(
    `fleet: ${credentials.devices.length} lanes provisioned over TLS (device bundles in ${shown(bundles)}, the CA they pin ${shown(tls.ca)})`,
  );
  return {
    ...credentials,
    firmwareBundles: firmware.map((f) => bundle(f.station, f.device)),
    workers: workers.map((w) => fleetDeviceFromBundle(w, bundle(w.station, w.device)).device),
    demoOfficerPassword: (JSON.parse(demoOfficer) as { password: string }).password,
    ca,
  };
}

/** Screenings stored for one station since `sinceMs` (the firmware lanes are not in the fleet's ledger). */
async function countStation(
  influxUrl: string,
  station: string,
  sinceMs: number,
  login?: { username: string; password: string },
): Promise<number> {
  const q = `SELECT count("id") FROM "screening" WHERE "station" = '${station}' AND time >= ${sinceMs - 60_000}ms`;
  const auth = login ? `Basic ${Buffer.from(`${login.username}:${login.password}`).toString("base64")}` : "";
  const res = await fetch(`${influxUrl}/query?db=${DATABASE}&q=${encodeURIComponent(q)}`, {
    headers: auth ? { authorization: auth } : {},
  });
  const body = (await res.json()) as { results: { series?: { values: [string, number][] }[] }[] };
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

/**
 * The demo's people flows: a community worker's device per township, and a simulated duty officer
 * who takes up fevers in the console; a person handed over to a township is visited by its worker.
 */
async function startPeopleFlows(
  credentials: Provisioned,
  fleet: Fleet,
  consoleUrl: string,
  seed: number,
  mqttPort: number,
): Promise<{ officer: DemoDutyOfficer; workers: CommunityWorker[]; stop(): Promise<void> }> {
  const rng = new Rng(seed ^ 0x5eed);
  const workers = new Map(
    credentials.workers.map((w) => [
      w.station,
      new CommunityWorker({
        township: w.station,
        device: w.device,
        brokerUrl: `mqtts://127.0.0.1:${mqttPort}`,
        secret: w.secret,
        ca: credentials.ca,
        cert: w.cert,
        key: w.key,
        clock: fleet.clock,
        rng: rng.fork(),
      }),
    ]),
  );
  for (const w of workers.values()) w.start();
  const client = new ConsoleClient(consoleUrl, credentials.ca);
  await client.login("demo-officer", credentials.demoOfficerPassword);
  const officer = new DemoDutyOfficer({
    client,
    rng: rng.fork(),
    onHandover: (eventId, township) => {
      const credential = fleet.alertCredential(eventId);
      if (credential) workers.get(township)?.isolate(credential);
    },
  });
  await officer.start();
  return {
    officer,
    workers: [...workers.values()],
    async stop() {
      officer.stop();
      await Promise.all([...workers.values()].map((w) => w.stop()));
    },
  };
}

/** Stops the run when asked to: throws when asked during the start, so that everything is undone. */
function checkpoint(stop: StopRequest): void {
  if (stop.requested)
    throw new StartError("stopped while starting", "run npm start again when you want the city");
}

async function run(options: Options, stop: StopRequest, started: Started): Promise<void> {
  mkdirSync(join(VAR, "log"), { recursive: true });
  const wantedPackages = [
    ...(process.env.INFLUX_URL ? [] : ["influxdb"]),
    ...(options.firmwareLanes > 0 ? ["socat"] : []),
  ];
  const missing = ensureSystemPackages(wantedPackages, say);
  if (missing.includes("socat")) {
    throw new StartError(
      "socat is not installed: the firmware lanes need it for their scanners' pseudo-terminals",
      `install it with:  ${installCommand(missing)}\n  or run without firmware lanes:  npm start -- --firmware-lanes 0`,
    );
  }
  const influx = await startInflux(missing.filter((m) => m === "influxdb"));
  if (influx.handle) {
    const handle = influx.handle;
    started.add(
      "influxd",
      () => handle.stop(),
      () => {
        const pid = handle.pid();
        if (pid) process.kill(pid, "SIGKILL");
      },
    );
  }
  checkpoint(stop);

  const mqttPort = await pickPort(Number(process.env.MQTT_PORT ?? 1883));
  const httpPort = await pickPort(Number(process.env.HTTP_PORT ?? 8080));
  const gatewayEnv: NodeJS.ProcessEnv = {
    ...process.env,
    INFLUX_URL: influx.url ?? "",
    INFLUX_DB: DATABASE,
    MQTT_HOST: "127.0.0.1",
    MQTT_PORT: String(mqttPort),
    HTTP_HOST: "127.0.0.1",
    HTTP_PORT: String(httpPort),
    // The city over TLS, on loopback too: MQTT over TLS and the console over HTTPS.
    MQTT_TLS: "1",
    HTTP_TLS: "1",
    TLS_HOSTNAMES: "localhost,127.0.0.1,::1",
    DEVICE_MQTT_URL: `mqtts://127.0.0.1:${mqttPort}`,
    DATA_DIR: join(VAR, "gateway"),
    TOWNSHIPS: process.env.TOWNSHIPS ?? DEMO_TOWNSHIPS,
    CLINICS: process.env.CLINICS ?? DEMO_CLINICS,
    ...(influx.handle ? { INFLUX_USER: "gateway", INFLUX_PASSWORD_FILE: INFLUX_PASSWORDS.gateway } : {}),
  };
  const reader = influx.handle ? await influxAuth(gatewayEnv) : undefined;
  const credentials = await provision(options, gatewayEnv);
  checkpoint(stop);

  const gatewayLog = join(VAR, "log", "gateway.log");
  const logFd = openSync(gatewayLog, "a");
  const gateway = spawn(process.execPath, [...nodeFlags("gateway"), "--import", "tsx", GATEWAY_MAIN], {
    cwd: ROOT,
    stdio: ["ignore", logFd, logFd],
    env: gatewayEnv,
    detached: true,
  });
  started.add(
    "the gateway",
    () => terminate(gateway, 30_000),
    () => gateway.kill("SIGKILL"),
  );
  const healthUrl = `https://127.0.0.1:${httpPort}/health`;
  try {
    await waitUntilUp(healthUrl, {
      name: "the gateway",
      timeoutMs: 30_000,
      process: gateway,
      ca: credentials.ca,
    });
  } catch (error) {
    throw new StartError((error as Error).message, `see ${shown(gatewayLog)} for why`);
  }
  say(`gateway: MQTT over TLS on 127.0.0.1:${mqttPort}, log in ${shown(gatewayLog)}`);
  say(
    `duty console: https://127.0.0.1:${httpPort}/  (user duty-officer; password in ${shown(join(VAR, "console-credentials.json"))})`,
  );
  say(
    `  its certificate is from the demo's private CA, ${shown(join(VAR, "gateway", "tls", "ca.crt"))}: import that into the browser (or accept the warning once)`,
  );
  checkpoint(stop);

  const platformKeys = Array.from({ length: options.firmwareLanes }, () =>
    randomBytes(24).toString("base64url"),
  );
  const platform = new SimulatedPlatform({ seed: options.seed, keys: platformKeys });
  started.add(
    "the health-code platform",
    () => platform.stop(),
    () => undefined,
  );
  const platformUrl = await platform.start();
  say(
    `health-code platform (simulated): ${platformUrl}; a technician sets a person's colour with POST ${platformUrl}/sim/colour`,
  );
  const fleet = new Fleet({
    brokerUrl: `mqtts://127.0.0.1:${mqttPort}`,
    colourOf: (province, token) => platform.colourOf(province, token),
    ca: credentials.ca,
    devices: credentials.devices,
    operator: credentials.operator,
    speed: options.speed,
    seed: options.seed,
    feverShare: options.feverShare,
    walkOffShare: options.walkOffShare,
    telemetryMs: 30_000,
  });
  // Its lanes drain their outboxes for this long (a failed start does not wait as long).
  let drainMs = 5000;
  started.add(
    "the fleet",
    () => fleet.stop(drainMs),
    () => undefined,
  );
  await fleet.start();
  checkpoint(stop);
  const firmwareLanes = new FirmwareLanes(ROOT, VAR);
  started.add(
    "the firmware lanes",
    () => firmwareLanes.stop(),
    () => firmwareLanes.killNow(),
  );
  await firmwareLanes.start(credentials.firmwareBundles, options.feverShare * 5, {
    url: platformUrl,
    keys: platformKeys,
  });
  const firmwareCount = credentials.firmwareBundles.length;
  if (firmwareCount > 0) {
    say(
      `firmware: ${firmwareCount} lanes run the real firmware against virtual boards (station ${FIRMWARE_STATION}, logs in ${shown(join(VAR, "log"))}/lane-N.log)`,
    );
  }
  checkpoint(stop);
  const flows = await startPeopleFlows(
    credentials,
    fleet,
    `https://127.0.0.1:${httpPort}`,
    options.seed,
    mqttPort,
  );
  started.add(
    "the demo officer and community workers",
    () => flows.stop(),
    () => undefined,
  );
  say(
    `demo: a simulated duty officer (demo-officer) closes most fevers in the console — home isolation in ${credentials.workers.length} townships, transfers to fever clinics — and community workers send the isolated people's daily temperatures`,
  );
  checkpoint(stop);
  say(
    `fleet: ${credentials.devices.length} lanes online at speed ×${fleet.clock.speed}` +
      (options.durationS > 0 ? `; stopping in ${options.durationS} s` : "; Ctrl-C to stop"),
  );

  const progress = new Progress();
  const started_ = Date.now();
  let last: Health | null = null;
  let lastStored = 0;
  const ticker = setInterval(async () => {
    const g = await readHealth(healthUrl, 900, credentials.ca);
    if (g) last = g;
    if (stop.requested) return;
    const f = fleet.stats();
    const stored = Number(last?.stored ?? 0);
    const rate = stored - lastStored;
    lastStored = stored;
    const simTime = new Date(fleet.clock.now()).toISOString().slice(5, 16).replace("T", " ");
    progress.update(
      `[${Math.round((Date.now() - started_) / 1000)}s sim ${simTime}] screenings ${f.screenings}  ` +
        `fevers ${f.verdicts.fever ?? 0}  retests ${f.verdicts.retest ?? 0}  alerts ${f.alerts}  ` +
        // devices_online counts every lane on the broker: the fleet's and the firmware's.
        `online ${last?.devices_online ?? "?"}/${f.lanes + firmwareCount}  writes ${rate}/s  ` +
        `spool ${last?.spool_bytes ?? 0} B  rejected ${last?.rejected ?? 0}`,
    );
  }, 1000);
  // A person to trace: once a highway traveller has passed two stations, their code, for the console.
  const traceHint = setInterval(() => {
    const traveller = fleet.mostTravelled();
    if (!traveller || traveller.stations.length < 2) return;
    clearInterval(traceHint);
    progress.done();
    say(
      `trace: a traveller screened at ${traveller.stations.join(", ")}: paste this code into the console's 一码溯源 box (Alt+2): ${scanLine(traveller.credential, Date.now(), new Rng(options.seed))}`,
    );
  }, 5000);
  const timer = options.durationS > 0 ? setTimeout(() => stop.request(), options.durationS * 1000) : null;

  await stop.reached;
  if (timer) clearTimeout(timer);
  clearInterval(ticker);
  clearInterval(traceHint);
  progress.done();
  say(
    "stopping: lanes drain their outboxes, then the gateway flushes… (Ctrl-C again to kill everything now)",
  );
  drainMs = 30_000;
  await started.stopThrough("the fleet"); // the firmware lanes, then the fleet
  const final = (await readHealth(healthUrl, 5000, credentials.ca)) ?? last;
  await started.stopThrough("the gateway");

  const f = fleet.stats();
  let audit = null;
  let firmwareStored: number | null = null;
  if (influx.url) {
    audit = await fleet.ledger.audit(influx.url, DATABASE, fleet.clock.startMs, reader);
    firmwareStored = await countStation(influx.url, FIRMWARE_STATION, started_, reader);
  }
  await started.stopThrough();
  const summary = {
    screenings: f.screenings,
    acked: f.acked,
    stored: audit?.stored ?? 0,
    fevers: audit?.verdicts.fever ?? 0,
    retests: audit?.verdicts.retest ?? 0,
    alerts: f.alerts,
    alerts_by_kind: f.alertsByKind,
    code_colours: f.codeColours,
    rejected: Number(final?.rejected ?? 0),
    duplicated: audit?.duplicated ?? 0,
    lost: audit ? audit.missing : null,
    spool_only: influx.url === undefined,
    firmware_lanes: { screened: firmwareLanes.screened(), stored: firmwareStored },
    people_flows: {
      ...flows.officer.stats,
      home_readings: flows.workers.reduce((n, w) => n + w.acked, 0),
      traveller_stations: fleet.mostTravelled()?.stations.length ?? 0,
    },
  };
  if (audit && audit.missing > 0) say(`WARNING: ${audit.missing} screenings sent but not found in InfluxDB`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

/**
 * Everything the demo writes under var/ (credentials, the gateway's databases, influxd's data, the
 * lanes' configs and outboxes) is for this user alone; the processes it starts inherit the mask.
 */
process.umask(0o077);

async function main(): Promise<void> {
  let options: Options | "help";
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (isUsageError(error)) exitWithUsage(error as Error, USAGE);
    throw error;
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return;
  }
  if (existsSync(VAR)) {
    const fixed = makeTreePrivate(VAR);
    if (fixed.length > 0)
      say(`${shown(VAR)}: ${fixed.length} files and folders an earlier run left open to others made private`);
  }
  const stop = new StopRequest();
  const started = new Started();
  let stopping = false;
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // One Ctrl-C arrives more than once: from the terminal (to the whole process group) and
    // again as npm and tsx forward it. Only a second press, later, kills everything.
    if (stop.requested && Date.now() - firstSignalAt > FORWARDED_SIGNAL_MS) {
      say(`${signal} again: killing everything now`);
      started.killNow();
      process.exit(130);
    }
    if (stop.requested) return;
    firstSignalAt = Date.now();
    stop.request();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Whatever is still running when this process exits for any reason is killed with it.
  process.once("exit", () => started.killNow());
  const fail = async (error: Error) => {
    if (stopping) return;
    stopping = true;
    say("");
    say(`npm start failed: ${error.message}`);
    say("stopping everything it started…");
    await started.stopThrough();
    say(
      error instanceof StartError
        ? `next: ${error.next}`
        : `next: see the logs in ${shown(join(VAR, "log"))}, fix the cause and run npm start again (this is a bug if it repeats: ${error.stack?.split("\n")[1]?.trim() ?? ""})`,
    );
    process.exit(1);
  };
  process.on("uncaughtException", (error) => void fail(error));
  process.on(
    "unhandledRejection",
    (reason) => void fail(reason instanceof Error ? reason : new Error(String(reason))),
  );
  try {
    await run(options, stop, started);
  } catch (error) {
    await fail(error as Error);
  }
  process.exit(0);
}

void main();
