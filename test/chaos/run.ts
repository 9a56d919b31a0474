/**
 * The chaos run: a real influxd behind a fault-injecting proxy, the gateway as its own process,
 * a steady fleet of honest devices, and six faults one after another, each followed by a recovery
 * phase and an audit:
 *   1. gateway-sigkill     the gateway is killed with SIGKILL, down a moment, started again;
 *   2. influxd-sigstop     influxd is paused (SIGSTOP), then resumed (SIGCONT);
 *   3. influx-errors-slow  the proxy answers a share of writes 500/503, then answers everything late
 *                          (later than the gateway's write timeout: influxd did store those writes);
 *   4. spool-disk-full     InfluxDB refuses every write and the spool's disk (a small tmpfs mounted
 *                          on DATA_DIR/spool) fills up; then space comes back and InfluxDB too;
 *   5. device-clock-jump   one device's clock jumps a day ahead (its screenings carry ts + 24 h);
 *   6. broker-restart      the gateway is stopped with SIGTERM and started again while QoS 1
 *                          publishes are in flight (InfluxDB slowed first so that many are).
 * Each fault's phase lasts from its start until the gateway has recovered, which is: /health shows
 * mode "direct" and spool_bytes 0, every device is connected, and no device's outbox holds an event
 * older than one second (a fleet that keeps producing always has a few events in flight: a backlog
 * is what counts). `recovery_s` is the time from the moment the fault was undone to then.
 *
 * The audit counts POINTS per event id in InfluxDB (not distinct ids), for the events whose PUBACK
 * came during the phase: `stored` (acknowledged ids found), `lost` (acknowledged, not found after
 * recovery), `duplicate_points` (points beyond the first per id). Alerts are watched on the alerts
 * topic as an operator: `duplicate_alerts` counts alert messages received in the phase whose cause
 * (kind + event_id) had already been seen, whatever their alert id. Extra figures cross-check the
 * alerts stored in InfluxDB and the missed-retest rules (see FaultResult).
 */
import { execFileSync } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { Registry } from "../../gateway/registry/registry.ts";
import { newSecret } from "../../gateway/registry/secrets.ts";
import { ALERTS_WILDCARD } from "../../protocol/index.ts";
import { describeMode, FaultProxy } from "../support/fault-proxy.ts";
import { GatewayProcess } from "../support/gateway-process.ts";
import { startTestInflux, type TestInflux } from "../support/influx.ts";
import { makeTestPki } from "../support/tls.ts";
import { tempDir } from "../support/tmp.ts";
import { ChaosDevice, Ledger, type LedgerEntry } from "./devices.ts";

export interface ChaosDurations {
  warmupS: number;
  /** How long the gateway stays dead after SIGKILL. */
  killDownS: number;
  sigstopS: number;
  errorsS: number;
  slowS: number;
  diskFullS: number;
  clockJumpS: number;
  /** InfluxDB slowed this long before the SIGTERM, so that publishes are in flight. */
  inflightSlowS: number;
  recoveryTimeoutS: number;
}

export interface ChaosOptions {
  devices: number;
  lanesPerStation: number;
  /** Screenings per second per device. */
  ratePerDevice: number;
  durations: ChaosDurations;
  retestWindowS: number;
  restMs: [number, number];
  errorShare: number;
  slowMs: number;
  spoolTmpfsMb: number;
  diskHeadroomKb: number;
  clockJumpMs: number;
  log(line: string): void;
  signal?: AbortSignal;
  code?: string;
  /** MQTT over TLS: a test CA, the gateway's TLS listener, every device and the operator pinning it. */
  tls?: boolean;
}

export const FULL_RUN: Omit<ChaosOptions, "log"> = {
  devices: 30,
  lanesPerStation: 5,
  ratePerDevice: 5,
  durations: {
    warmupS: 20,
    killDownS: 5,
    sigstopS: 60,
    errorsS: 30,
    slowS: 30,
    diskFullS: 30,
    clockJumpS: 30,
    inflightSlowS: 3,
    recoveryTimeoutS: 180,
  },
  retestWindowS: 30,
  restMs: [2000, 6000],
  errorShare: 0.3,
  slowMs: 3000,
  spoolTmpfsMb: 64,
  diskHeadroomKb: 24,
  clockJumpMs: 24 * 3600_000,
};

export const SHORT_RUN: Omit<ChaosOptions, "log"> = {
  ...FULL_RUN,
  devices: 20,
  lanesPerStation: 5,
  ratePerDevice: 4,
  durations: {
    warmupS: 4,
    killDownS: 2,
    sigstopS: 10,
    errorsS: 5,
    slowS: 5,
    diskFullS: 8,
    clockJumpS: 6,
    inflightSlowS: 1.5,
    recoveryTimeoutS: 60,
  },
  retestWindowS: 12,
  restMs: [1000, 3000],
};

export interface FaultResult {
  fault: string;
  description: string;
  /** Set when the fault could not be injected here (and why); its figures are then zero. */
  skipped?: string;
  /** PUBACKs the devices got during the phase. */
  acked: number;
  /** Acknowledged ids (of this phase) found in InfluxDB after recovery. */
  stored: number;
  /** Acknowledged but not in InfluxDB after recovery. */
  lost: number;
  /** Points beyond the first per acknowledged id. */
  duplicate_points: number;
  /** Alert messages received in the phase whose cause (kind + event_id) had been seen before. */
  duplicate_alerts: number;
  /** Seconds from the fault's end until recovered; null when not recovered within the timeout. */
  recovery_s: number | null;
  /** Screenings the devices made during the phase. */
  sent: number;
  /** Of the duplicate alerts, those that came with an alert id new for their cause. */
  duplicate_alert_ids: number;
  /** Alert ids beyond the first per cause among the alerts stored in InfluxDB (by the event's phase). */
  duplicate_alerts_stored: number;
  /** Acknowledged fever screenings of the phase with no fever alert stored in InfluxDB. */
  missing_fever_alerts: number;
  /** Missed-retest alerts raised before the retest's window had passed (since it was first sent). */
  early_missed_retests: number;
  /** Missed-retest alerts for a person retested within the window. */
  missed_retests_after_retest: number;
  /** Acknowledged retests never retested, whose window had passed, with no missed-retest alert. */
  missing_missed_retest_alerts: number;
  /** device-offline alerts received in the phase (every device here is honest and never left). */
  device_offline_alerts: number;
  /** Screening points stored more than an hour in the future (when the audit ran). */
  future_points: number;
  /** Device (re)connections during the phase. */
  reconnects: number;
  /** Seconds the spool's disk had less than 16 KB free (the disk-full fault). */
  disk_full_s?: number;
  /** Unacknowledged publishes at the moment of the fault, where it matters (broker restart). */
  in_flight_at_fault?: number;
  lost_ids_sample: string[];
}

export interface ChaosReport {
  generated_at: string;
  mode: string;
  /** Which gateway code ran (commit, and whether the checkout had changes). */
  code: string;
  /** How the devices reached the broker: "tls" (pinning a test CA) or "plain" (loopback). */
  transport: "tls" | "plain";
  config: {
    devices: number;
    stations: number;
    events_per_s: number;
    retest_window_s: number;
    durations: ChaosDurations;
    error_share: number;
    slow_ms: number;
    spool_disk: string;
  };
  faults: FaultResult[];
  total: {
    sent: number;
    acked: number;
    unacked_at_end: number;
    stored: number;
    lost: number;
    duplicate_points: number;
    duplicate_alerts: number;
    duplicate_alerts_stored: number;
    alerts_seen: number;
    alerts_by_kind: Record<string, number>;
    missing_fever_alerts: number;
    early_missed_retests: number;
    missed_retests_after_retest: number;
    missing_missed_retest_alerts: number;
    device_offline_alerts: number;
    future_points: number;
    proxy: FaultProxy["stats"];
  };
  /** The gateway's warnings and errors during the run: message → how many times. */
  gateway_warnings: Record<string, number>;
  duration_s: number;
}

interface SeenAlert {
  id: string;
  kind: string;
  eventId: string | null;
  raisedMs: number;
  receivedMs: number;
  phase: string;
}

const DATABASE = "checkpoint";
/** Where the gateway's log of the last run is kept (git-ignored). */
const ARTIFACTS = join(import.meta.dirname, "../artifacts");
const OPERATOR = "chaos-officer";

class Aborted extends Error {
  constructor() {
    super("chaos run aborted");
    this.name = "Aborted";
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Aborted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs `fn` at most `ms`; resolves either way (for cleanup steps that must not hang). */
async function bounded(ms: number, fn: () => Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    fn().catch(() => undefined),
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** InfluxQL over HTTP; refuses a truncated answer (a partial result would under-count points). */
async function query(url: string, q: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${url}/query?db=${DATABASE}&epoch=ms&q=${encodeURIComponent(q)}`, {
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as {
    results?: {
      series?: { columns: string[]; values: unknown[][]; partial?: boolean }[];
      error?: string;
      partial?: boolean;
    }[];
    error?: string;
  };
  if (body.error) throw new Error(`InfluxQL error: ${body.error}`);
  const result = body.results?.[0];
  if (result?.error) throw new Error(`InfluxQL error: ${result.error}`);
  if (result?.partial || result?.series?.some((s) => s.partial)) {
    throw new Error(`InfluxDB truncated the answer to: ${q}`);
  }
  const rows: Record<string, unknown>[] = [];
  for (const s of result?.series ?? []) {
    for (const v of s.values) rows.push(Object.fromEntries(s.columns.map((c, i) => [c, v[i]])));
  }
  return rows;
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** Undo steps, run last first, each bounded in time, whatever happened. */
class Cleanup {
  private readonly steps: { what: string; fn: () => Promise<unknown> }[] = [];

  add(what: string, fn: () => Promise<unknown>): void {
    this.steps.push({ what, fn });
  }

  async run(log: (line: string) => void): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop();
      if (!step) break;
      let failed: string | null = null;
      await bounded(20_000, () =>
        step.fn().catch((error: Error) => {
          failed = error.message;
        }),
      );
      if (failed) log(`cleanup: ${step.what} failed: ${failed}`);
    }
  }
}

/** Counts the gateway's log lines at warn level or above by message (pino JSON lines). */
function gatewayWarnings(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
      if (typeof entry.level === "number" && entry.level >= 40 && typeof entry.msg === "string") {
        counts[entry.msg] = (counts[entry.msg] ?? 0) + 1;
      }
    } catch {
      // not a log record
    }
  }
  return counts;
}

function mountTmpfs(dir: string, mb: number): string | null {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${mb}m,mode=0700`, "chaos-spool", dir], {
      stdio: "pipe",
    });
    return null;
  } catch (error) {
    const e = error as { stderr?: Buffer; message: string };
    return (e.stderr?.toString().trim() || e.message).split("\n")[0] ?? "mount failed";
  }
}

function unmount(dir: string): void {
  try {
    execFileSync("umount", [dir], { stdio: "pipe" });
  } catch {
    execFileSync("umount", ["-l", dir], { stdio: "pipe" });
  }
}

/** Fills the file system holding `dir` until `headroom` bytes are left; returns the bytes written. */
function fillDisk(file: string, headroom: number): number {
  const { bavail, bsize } = statfsSync(join(file, ".."));
  let left = Number(bavail) * Number(bsize) - headroom;
  const chunk = Buffer.alloc(1024 * 1024, 0x5a);
  const fd = openSync(file, "w");
  let written = 0;
  try {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      try {
        writeSync(fd, chunk, 0, n);
      } catch {
        break; // ENOSPC: the gateway took the rest
      }
      written += n;
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { log, signal } = options;
  const d = options.durations;
  const startedMs = Date.now();
  const cleanup = new Cleanup();
  let failed = false;
  const elapsed = () => `${String(Math.round((Date.now() - startedMs) / 1000)).padStart(4)}s`;
  const say = (line: string) => log(`[${elapsed()}] ${line}`);

  try {
    const tmp = tempDir("chaos");
    cleanup.add("remove temp folder", async () => tmp.remove());
    const dataDir = join(tmp.path, "data");
    const spoolDir = join(dataDir, "spool");
    // The gateway's folders are its user's alone (it refuses to start otherwise).
    mkdirSync(spoolDir, { recursive: true, mode: 0o700 });

    const influx: TestInflux = await startTestInflux();
    cleanup.add("stop influxd", async () => {
      const pid = influx.pid();
      if (pid !== undefined) process.kill(pid, "SIGCONT");
      await influx.dispose();
    });
    const proxy = new FaultProxy(influx.url);
    await proxy.start();
    cleanup.add("close proxy", () => proxy.close());
    say(`influxd at ${influx.url}, fault proxy at ${proxy.url}`);

    const mountProblem = mountTmpfs(spoolDir, options.spoolTmpfsMb);
    if (mountProblem === null) {
      cleanup.add("unmount spool tmpfs", async () => unmount(spoolDir));
      say(`spool on a ${options.spoolTmpfsMb} MB tmpfs at ${spoolDir}`);
    } else {
      say(`cannot mount a tmpfs for the spool (${mountProblem}); the disk-full fault will be skipped`);
    }

    // Provision the devices and an operator in the gateway's registry before it starts.
    const stations = Math.ceil(options.devices / options.lanesPerStation);
    const registry = new Registry(join(dataDir, "gateway.db"));
    const specs: { station: string; device: string; secret: string }[] = [];
    for (let i = 0; i < options.devices; i++) {
      const station = `cx-${String(Math.floor(i / options.lanesPerStation) + 1).padStart(2, "0")}`;
      const device = `lane-${(i % options.lanesPerStation) + 1}`;
      specs.push({ station, device, secret: newSecret() });
    }
    const operatorSecret = newSecret();
    try {
      for (const s of specs) await registry.addDevice(s.station, s.device, s.secret);
      await registry.addOperator(OPERATOR, operatorSecret);
    } finally {
      registry.close();
    }

    const pki = options.tls ? makeTestPki(join(tmp.path, "tls")) : null;
    const gw = await GatewayProcess.create(dataDir, proxy.url, pki);
    gw.env.RETEST_WINDOW_S = String(options.retestWindowS);
    gw.env.REST_MIN = "0";
    gw.env.STATS_INTERVAL_MS = "5000";
    gw.env.GATEWAY_INSTANCE = "chaos";
    cleanup.add("kill gateway", () => gw.kill("SIGKILL"));
    const logFile = join(tmp.path, "gateway-process.log");
    cleanup.add("keep the gateway log", async () => {
      if (!existsSync(logFile)) return;
      mkdirSync(ARTIFACTS, { recursive: true });
      const kept = join(ARTIFACTS, "chaos-gateway.log");
      copyFileSync(logFile, kept);
      log(`gateway log kept at ${kept}`);
      if (!failed) return;
      const lines = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-15);
      log(`gateway log (last lines):\n  ${lines.join("\n  ")}`);
    });
    await gw.start();
    const brokerUrl = gw.mqttUrl;
    say(`gateway up: MQTT ${brokerUrl}, health http://127.0.0.1:${gw.httpPort}/health`);

    // The operator watching alerts.
    const ledger = new Ledger();
    const alerts: SeenAlert[] = [];
    let alertPhase = ledger.phase;
    const operator: MqttClient = mqtt.connect(brokerUrl, {
      clientId: OPERATOR,
      username: OPERATOR,
      password: operatorSecret,
      clean: true,
      reconnectPeriod: 200,
      connectTimeout: 5000,
      ...(pki ? { ca: pki.ca.cert } : {}),
    });
    cleanup.add("disconnect operator", () => operator.endAsync(true));
    operator.on("error", () => undefined);
    operator.on("message", (_topic, payload) => {
      let data: unknown;
      try {
        data = JSON.parse(payload.toString("utf8"));
      } catch {
        return;
      }
      if (typeof data !== "object" || data === null) return;
      const a = data as Record<string, unknown>;
      const id = str(a.id);
      const kind = str(a.kind);
      if (!id || !kind) return;
      alerts.push({
        id,
        kind,
        eventId: str(a.event_id),
        raisedMs: Date.parse(str(a.raised_at) ?? "") || Date.now(),
        receivedMs: Date.now(),
        phase: alertPhase,
      });
    });
    operator.on("connect", () => {
      operator.subscribe(ALERTS_WILDCARD, { qos: 1 });
    });

    // The fleet.
    const random = Math.random;
    const devices: ChaosDevice[] = [];
    const byStation = new Map<string, ChaosDevice[]>();
    for (const spec of specs) {
      const device = new ChaosDevice(spec, {
        brokerUrl: () => brokerUrl,
        ...(pki ? { ca: pki.ca.cert } : {}),
        ledger,
        rate: options.ratePerDevice,
        retestShare: 0.08,
        walkOffShare: 0.2,
        feverShare: 0.5,
        restMs: options.restMs,
        window: 20,
        telemetryMs: 10_000,
        station: (dev) => byStation.get(dev.spec.station) ?? [dev],
        random,
      });
      devices.push(device);
      byStation.set(spec.station, [...(byStation.get(spec.station) ?? []), device]);
    }
    cleanup.add("stop devices", () => Promise.all(devices.map((dev) => dev.stop())));
    for (const dev of devices) dev.connect();
    const connectDeadline = Date.now() + 30_000;
    while (!(operator.connected && devices.every((dev) => dev.connected))) {
      if (Date.now() > connectDeadline) {
        throw new Error(
          `only ${devices.filter((dev) => dev.connected).length}/${devices.length} devices (operator: ${operator.connected}) connected within 30 s`,
        );
      }
      await sleep(100, signal);
    }
    for (const dev of devices) dev.produce();
    say(
      `fleet: ${devices.length} devices at ${stations} stations, ~${Math.round(devices.length * options.ratePerDevice)} screenings/s; retest window ${options.retestWindowS} s`,
    );

    // Progress, every two seconds.
    let lastAcked = 0;
    let phaseNote = "warmup";
    const health = async (): Promise<Record<string, number | string> | null> => {
      try {
        return await gw.health();
      } catch {
        return null;
      }
    };
    const ticker = setInterval(() => {
      void health().then((h) => {
        const outbox = devices.reduce((n, dev) => n + dev.depth, 0);
        const connected = devices.filter((dev) => dev.connected).length;
        const rate = Math.round((ledger.acked - lastAcked) / 2);
        lastAcked = ledger.acked;
        say(
          `${phaseNote}: acked ${ledger.acked} (${rate}/s), outbox ${outbox}, connected ${connected}/${devices.length}, ` +
            `gateway ${h ? `${h.mode} spool ${h.spool_bytes} B` : "down"}, proxy ${describeMode(proxy.currentMode)}, alerts ${alerts.length}`,
        );
      });
    }, 2000);
    cleanup.add("stop progress", async () => clearInterval(ticker));

    await sleep(d.warmupS * 1000, signal);

    const recovered = async (faultEndMs: number): Promise<number | null> => {
      const deadline = faultEndMs + d.recoveryTimeoutS * 1000;
      while (Date.now() < deadline) {
        const h = await health();
        const now = Date.now();
        const backlog = devices.some((dev) => {
          const oldest = dev.oldestMs;
          return oldest !== null && now - oldest > 1000;
        });
        if (
          h &&
          h.mode === "direct" &&
          Number(h.spool_bytes) === 0 &&
          !backlog &&
          devices.every((dev) => dev.connected)
        ) {
          return (now - faultEndMs) / 1000;
        }
        await sleep(200, signal);
      }
      return null;
    };

    const windowMs = options.retestWindowS * 1000;
    const audit = async (
      phase: string | null,
    ): Promise<
      Omit<
        FaultResult,
        | "fault"
        | "description"
        | "recovery_s"
        | "skipped"
        | "in_flight_at_fault"
        | "reconnects"
        | "disk_full_s"
      >
    > => {
      const auditMs = Date.now();
      const inPhase = (e: LedgerEntry) => phase === null || e.ackPhase === phase;
      // Points per id, station by station (no time bounds: points far in the future count too).
      const points = new Map<string, number>();
      for (const station of byStation.keys()) {
        for (const row of await query(
          influx.url,
          `SELECT "id" FROM "screening" WHERE "station" = '${station}'`,
        )) {
          const id = str(row.id);
          if (id) points.set(id, (points.get(id) ?? 0) + 1);
        }
      }
      const future = await query(
        influx.url,
        `SELECT "id" FROM "screening" WHERE time > ${auditMs + 3600_000}ms`,
      );
      const futureIds = new Set(future.map((r) => str(r.id)));
      // Alerts as stored (state "new" is the raise).
      const storedAlerts = new Map<string, Set<string>>();
      for (const row of await query(
        influx.url,
        `SELECT "id", "event_id", "kind" FROM "alert" WHERE "state" = 'new'`,
      )) {
        const id = str(row.id);
        const kind = str(row.kind);
        const eventId = str(row.event_id);
        if (!id || !kind || !eventId) continue;
        const cause = `${kind}|${eventId}`;
        storedAlerts.set(cause, (storedAlerts.get(cause) ?? new Set()).add(id));
      }

      let acked = 0;
      let stored = 0;
      let duplicatePoints = 0;
      let sent = 0;
      let missingFever = 0;
      let missingMissed = 0;
      let futurePoints = 0;
      const lostIds: string[] = [];
      for (const [id, e] of ledger.entries) {
        if (phase === null || e.sentPhase === phase) sent++;
        if (e.ackedMs === null || !inPhase(e)) continue;
        acked++;
        const count = points.get(id) ?? 0;
        if (count > 0) stored++;
        else lostIds.push(id);
        duplicatePoints += Math.max(0, count - 1);
        if (futureIds.has(id)) futurePoints++;
        if (e.event.verdict === "fever" && !storedAlerts.has(`fever|${id}`)) missingFever++;
        if (
          e.event.verdict === "retest" &&
          e.retestDoneMs === null &&
          e.firstSentMs + windowMs + 3000 < auditMs &&
          !storedAlerts.has(`missed-retest|${id}`) &&
          !alerts.some((a) => a.kind === "missed-retest" && a.eventId === id)
        ) {
          missingMissed++;
        }
      }
      let duplicateStored = 0;
      for (const [cause, ids] of storedAlerts) {
        const eventId = cause.slice(cause.indexOf("|") + 1);
        const entry = ledger.entries.get(eventId);
        if (phase !== null && entry?.sentPhase !== phase) continue;
        duplicateStored += ids.size - 1;
      }
      // Alerts on the topic, in arrival order.
      const causeIds = new Map<string, Set<string>>();
      let duplicateAlerts = 0;
      let duplicateAlertIds = 0;
      let early = 0;
      let afterRetest = 0;
      let offline = 0;
      for (const a of alerts) {
        const counts = phase === null || a.phase === phase;
        if (a.kind === "device-offline" && counts) offline++;
        if (a.eventId === null) continue;
        const cause = `${a.kind}|${a.eventId}`;
        const ids = causeIds.get(cause);
        if (ids) {
          if (counts) {
            duplicateAlerts++;
            if (!ids.has(a.id)) duplicateAlertIds++;
          }
          ids.add(a.id);
          continue;
        }
        causeIds.set(cause, new Set([a.id]));
        if (a.kind !== "missed-retest" || !counts) continue;
        const entry = ledger.entries.get(a.eventId);
        if (!entry) continue;
        if (a.raisedMs < entry.firstSentMs + windowMs - 100) early++;
        if (entry.retestDoneMs !== null && entry.retestDoneMs - entry.firstSentMs < windowMs) afterRetest++;
      }
      return {
        acked,
        stored,
        lost: acked - stored,
        duplicate_points: duplicatePoints,
        duplicate_alerts: duplicateAlerts,
        sent,
        duplicate_alert_ids: duplicateAlertIds,
        duplicate_alerts_stored: duplicateStored,
        missing_fever_alerts: missingFever,
        early_missed_retests: early,
        missed_retests_after_retest: afterRetest,
        missing_missed_retest_alerts: missingMissed,
        device_offline_alerts: offline,
        future_points: futurePoints,
        lost_ids_sample: lostIds.slice(0, 5),
      };
    };

    const setPhase = (label: string) => {
      ledger.phase = label;
      alertPhase = label;
      phaseNote = label;
    };

    interface Fault {
      name: string;
      description: string;
      /** Why it cannot run here, or null. */
      unavailable: string | null;
      /** Injects the fault, holds it, undoes it; calls `undone()` the moment it starts undoing. */
      run(undone: () => void, extra: Pick<FaultResult, "disk_full_s" | "in_flight_at_fault">): Promise<void>;
    }

    const influxPid = (): number => {
      const pid = influx.pid();
      if (pid === undefined) throw new Error("influxd is not running");
      return pid;
    };
    const jumper = devices[0];
    const faults: Fault[] = [
      {
        name: "gateway-sigkill",
        description: `gateway killed with SIGKILL, down ${d.killDownS} s, started again`,
        unavailable: null,
        async run(undone) {
          await gw.kill("SIGKILL");
          phaseNote = "gateway-sigkill (gateway dead)";
          await sleep(d.killDownS * 1000, signal);
          undone();
          await gw.start();
        },
      },
      {
        name: "influxd-sigstop",
        description: `influxd paused with SIGSTOP for ${d.sigstopS} s, then SIGCONT`,
        unavailable: null,
        async run(undone) {
          process.kill(influxPid(), "SIGSTOP");
          phaseNote = "influxd-sigstop (influxd stopped)";
          await sleep(d.sigstopS * 1000, signal);
          undone();
          process.kill(influxPid(), "SIGCONT");
        },
      },
      {
        name: "influx-errors-then-slow",
        description: `proxy answers ${Math.round(options.errorShare * 100)} % of writes 500/503 for ${d.errorsS} s, then delays every answer ${options.slowMs} ms for ${d.slowS} s`,
        unavailable: null,
        async run(undone) {
          proxy.setMode({ kind: "error", p: options.errorShare });
          phaseNote = "influx-errors-then-slow (errors)";
          await sleep(d.errorsS * 1000, signal);
          proxy.setMode({ kind: "slow", delayMs: options.slowMs });
          phaseNote = "influx-errors-then-slow (slow)";
          await sleep(d.slowS * 1000, signal);
          undone();
          proxy.setMode({ kind: "pass" });
        },
      },
      {
        name: "spool-disk-full",
        description: `InfluxDB refuses every write and the spool's ${options.spoolTmpfsMb} MB tmpfs is filled to ${options.diskHeadroomKb} KB free for ${d.diskFullS} s`,
        unavailable: mountProblem === null ? null : `no tmpfs for the spool: ${mountProblem}`,
        async run(undone, extra) {
          const filler = join(spoolDir, "chaos-filler.bin");
          proxy.setMode({ kind: "error", p: 1 });
          const written = fillDisk(filler, options.diskHeadroomKb * 1024);
          phaseNote = `spool-disk-full (filler ${Math.round(written / 1048576)} MB)`;
          let fullMs = 0;
          try {
            const until = Date.now() + d.diskFullS * 1000;
            while (Date.now() < until) {
              const { bavail, bsize } = statfsSync(spoolDir);
              if (Number(bavail) * Number(bsize) < 16 * 1024) fullMs += 100;
              await sleep(100, signal);
            }
          } finally {
            extra.disk_full_s = Math.round(fullMs / 100) / 10;
            undone();
            rmSync(filler, { force: true });
            proxy.setMode({ kind: "pass" });
          }
        },
      },
      {
        name: "device-clock-jump",
        description: `${jumper?.spec.station}/${jumper?.spec.device}'s clock jumps ${options.clockJumpMs / 3600_000} h ahead for ${d.clockJumpS} s`,
        unavailable: null,
        async run(undone) {
          jumper?.setClockOffset(options.clockJumpMs);
          phaseNote = "device-clock-jump (clock ahead)";
          try {
            await sleep(d.clockJumpS * 1000, signal);
          } finally {
            undone();
            jumper?.setClockOffset(0);
          }
        },
      },
      {
        name: "broker-restart",
        description: `InfluxDB answers ${options.slowMs >= 1000 ? 800 : options.slowMs} ms late for ${d.inflightSlowS} s so that QoS 1 publishes are in flight, then the gateway is stopped with SIGTERM and started again`,
        unavailable: null,
        async run(undone, extra) {
          proxy.setMode({ kind: "slow", delayMs: options.slowMs >= 1000 ? 800 : options.slowMs });
          phaseNote = "broker-restart (influx slowed)";
          await sleep(d.inflightSlowS * 1000, signal);
          extra.in_flight_at_fault = devices.reduce((n, dev) => n + dev.depth, 0);
          phaseNote = "broker-restart (gateway stopping)";
          await gw.kill("SIGTERM");
          undone();
          proxy.setMode({ kind: "pass" });
          await gw.start();
        },
      },
    ];

    const results: FaultResult[] = [];
    for (const fault of faults) {
      setPhase(fault.name);
      if (fault.unavailable !== null) {
        say(`fault ${fault.name}: SKIPPED (${fault.unavailable})`);
        results.push({
          fault: fault.name,
          description: fault.description,
          skipped: fault.unavailable,
          acked: 0,
          stored: 0,
          lost: 0,
          duplicate_points: 0,
          duplicate_alerts: 0,
          recovery_s: null,
          sent: 0,
          duplicate_alert_ids: 0,
          duplicate_alerts_stored: 0,
          missing_fever_alerts: 0,
          early_missed_retests: 0,
          missed_retests_after_retest: 0,
          missing_missed_retest_alerts: 0,
          device_offline_alerts: 0,
          future_points: 0,
          reconnects: 0,
          lost_ids_sample: [],
        });
        continue;
      }
      say(`fault ${fault.name}: ${fault.description}`);
      let undoneMs = 0;
      const extra: Pick<FaultResult, "disk_full_s" | "in_flight_at_fault"> = {};
      const connectsBefore = devices.reduce((n, dev) => n + dev.connects, 0);
      await fault.run(() => {
        undoneMs = Date.now();
      }, extra);
      phaseNote = `${fault.name} (recovering)`;
      say(`fault ${fault.name}: undone; waiting for recovery (at most ${d.recoveryTimeoutS} s)`);
      const recoveryS = await recovered(undoneMs || Date.now());
      // Acknowledgements from here on belong to the steady state between faults.
      setPhase(`after-${fault.name}`);
      const reconnects = devices.reduce((n, dev) => n + dev.connects, 0) - connectsBefore;
      const result = await audit(fault.name);
      const entry: FaultResult = {
        fault: fault.name,
        description: fault.description,
        ...result,
        recovery_s: recoveryS === null ? null : Math.round(recoveryS * 10) / 10,
        reconnects,
        ...extra,
      };
      results.push(entry);
      say(
        `fault ${fault.name}: ${recoveryS === null ? `NOT recovered within ${d.recoveryTimeoutS} s` : `recovered in ${entry.recovery_s} s`}; ` +
          `acked ${entry.acked}, stored ${entry.stored}, lost ${entry.lost}, duplicate points ${entry.duplicate_points}, ` +
          `duplicate alerts ${entry.duplicate_alerts} (stored ${entry.duplicate_alerts_stored}), early missed-retests ${entry.early_missed_retests}`,
      );
      await sleep(Math.min(5, d.warmupS) * 1000, signal);
    }

    // The end: stop producing, let the outboxes drain, let the last retest windows pass.
    setPhase("drain");
    for (const dev of devices) dev.stopProducing();
    say("drain: devices stop producing; waiting for their outboxes and the last retest windows");
    const drainDeadline = Date.now() + d.recoveryTimeoutS * 1000;
    while (devices.some((dev) => dev.depth > 0) && Date.now() < drainDeadline) await sleep(200, signal);
    await sleep((options.retestWindowS + 3) * 1000, signal);
    const h = await health();
    const total = await audit(null);
    const unacked = devices.reduce((n, dev) => n + dev.depth, 0);
    clearInterval(ticker);
    const alertsByKind: Record<string, number> = {};
    for (const a of alerts) alertsByKind[a.kind] = (alertsByKind[a.kind] ?? 0) + 1;
    say(
      `total: sent ${total.sent}, acked ${total.acked}, stored ${total.stored}, lost ${total.lost}, ` +
        `duplicate points ${total.duplicate_points}, duplicate alerts ${total.duplicate_alerts}; gateway ${h ? `${h.mode}, spool ${h.spool_bytes} B` : "down"}`,
    );
    await gw.kill("SIGTERM");
    const warnings = gatewayWarnings(logFile);

    return {
      generated_at: new Date().toISOString(),
      mode: d.sigstopS >= 60 ? "full" : "short",
      code: options.code ?? "unknown",
      transport: pki ? "tls" : "plain",
      config: {
        devices: devices.length,
        stations,
        events_per_s: Math.round(devices.length * options.ratePerDevice),
        retest_window_s: options.retestWindowS,
        durations: d,
        error_share: options.errorShare,
        slow_ms: options.slowMs,
        spool_disk: mountProblem === null ? `tmpfs ${options.spoolTmpfsMb} MB` : `none (${mountProblem})`,
      },
      faults: results,
      total: {
        sent: total.sent,
        acked: total.acked,
        unacked_at_end: unacked,
        stored: total.stored,
        lost: total.lost,
        duplicate_points: total.duplicate_points,
        duplicate_alerts: total.duplicate_alerts,
        duplicate_alerts_stored: total.duplicate_alerts_stored,
        alerts_seen: alerts.length,
        alerts_by_kind: alertsByKind,
        missing_fever_alerts: total.missing_fever_alerts,
        early_missed_retests: total.early_missed_retests,
        missed_retests_after_retest: total.missed_retests_after_retest,
        missing_missed_retest_alerts: total.missing_missed_retest_alerts,
        device_offline_alerts: total.device_offline_alerts,
        future_points: total.future_points,
        proxy: { ...proxy.stats },
      },
      gateway_warnings: warnings,
      duration_s: Math.round((Date.now() - startedMs) / 1000),
    };
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await cleanup.run(log);
  }
}
