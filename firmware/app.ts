/**
 * One lane as a program: builds the parts from lane.json and wires them. Used by firmware/main.ts
 * (the real device) and by the simulator to run the unchanged firmware against virtual hardware.
 */
import { join } from "node:path";
import {
  DEFAULT_ACCEPT,
  DEFAULT_LOCALE,
  deviceTopic,
  type ScreenedCodeColour,
  StationKeyring,
  t,
} from "@checkpoint/protocol";
import type { Logger } from "pino";
import { monotonicFactory } from "ulid";
import { type CalibrationResult, loadCalibration } from "./calibration.ts";
import type { LaneFile } from "./config.ts";
import { BoardLink } from "./hardware/board-link.ts";
import { Indicators } from "./hardware/indicators.ts";
import { Mlx90614, type ThermoReading } from "./hardware/mlx90614.ts";
import { QrScanner } from "./hardware/scanner.ts";
import { CodeColours } from "./health-code/code-colours.ts";
import { ColourCache, DEFAULT_CACHE_TTL_S } from "./health-code/colour-cache.ts";
import { HealthCodePlatform } from "./health-code/platform-client.ts";
import { readPlatformKey } from "./health-code/platform-key.ts";
import { Lane, type LaneConfig } from "./lane/lane.ts";
import { DEFAULT_MEASURE } from "./lane/measure.ts";
import { outcomeText } from "./lane/outcome-text.ts";
import { StationLink } from "./lane/station-link.ts";
import { loadWaiting, saveWaiting } from "./lane/waiting-file.ts";
import { Outbox } from "./uplink/outbox.ts";
import { Uplink } from "./uplink/uplink.ts";

export const FIRMWARE_VERSION = "0.1.0";
/** Firmata's pin mode for a digital output (an LED, the active buzzer). */
const OUTPUT = 1;

export class LaneApp {
  readonly link: BoardLink;
  readonly indicators: Indicators;
  readonly scanner: QrScanner;
  /** The ID-number keypad (lane.json `keypad`), when the lane has one. */
  readonly keypad: QrScanner | null;
  readonly outbox: Outbox;
  readonly uplink: Uplink;
  readonly lane: Lane;
  /** The station's other lanes (lane.json `stationLink`), when set. */
  readonly stationLink: StationLink | null;
  private thermometer: Mlx90614 | null = null;
  private calibration: CalibrationResult | null;
  private sensorTimer: NodeJS.Timeout | null = null;
  /** This station's keys: the gateway's (saved with the config), past days' in memory only. */
  readonly stationKeys = new StationKeyring(() => (this.uplink.config?.policy.retest_window_s ?? 0) * 1000);
  private keysTimer: NodeJS.Timeout | null = null;
  private savedKeysRevision = -1;
  private readonly newId = monotonicFactory();
  /** Added to the system clock: the gateway's correction when this lane's clock is off. */
  private clockOffsetMs = 0;
  /** The health-code platform's colours (lane.json `healthCode`), when set. */
  readonly codeColours: CodeColours | null;

  constructor(
    readonly file: LaneFile,
    private readonly log: Logger,
  ) {
    this.calibration = loadCalibration(this.calibrationPath);
    this.link = new BoardLink({ address: file.board, baudRate: file.boardBaud }, log);
    this.indicators = new Indicators(file.pins);
    this.scanner = new QrScanner(
      { address: file.scanner, baudRate: file.scannerBaud, locale: file.locale },
      log,
    );
    this.keypad = file.keypad
      ? new QrScanner(
          { address: file.keypad, baudRate: file.keypadBaud, locale: file.locale, part: "keypad" },
          log,
        )
      : null;
    this.outbox = new Outbox(join(file.dataDir, "outbox.db"), file.outboxCapacity ?? 100_000, log);
    this.uplink = new Uplink(
      {
        credentials: file.mqtt,
        station: file.station,
        device: file.device,
        fw: FIRMWARE_VERSION,
        configPath: join(file.dataDir, "config.json"),
        telemetryMs: file.telemetryMs ?? 30_000,
        window: 10,
        keepaliveS: 10,
      },
      this.outbox,
      () => ({ ambient_c: this.lane.lastAmbientC, sensor_ok: this.lane.sensorFault === null }),
      log,
    );
    const topic = deviceTopic(file.station, file.device, "screening");
    this.codeColours = file.healthCode ? this.makeCodeColours(file.healthCode) : null;
    if (this.uplink.config) this.stationKeys.set(this.uplink.config.station_keys, this.now());
    this.lane = new Lane({
      station: file.station,
      device: file.device,
      fw: FIRMWARE_VERSION,
      config: () => this.laneConfig(),
      stationKeys: this.stationKeys,
      read: () => this.read(),
      show: (p) => this.indicators.show(p),
      enqueue: (event) => {
        const ok = this.outbox.enqueue(topic, event);
        if (ok) this.uplink.kick();
        return ok;
      },
      outboxFull: () => this.outbox.full,
      now: () => this.now(),
      newId: (ms) => this.newId(ms),
      measureOptions: {
        ...DEFAULT_MEASURE,
        samples: file.samples ?? DEFAULT_MEASURE.samples,
        intervalMs: file.sampleIntervalMs ?? DEFAULT_MEASURE.intervalMs,
      },
      role: file.role ?? "both",
      ...(this.technicianUntilMs === null ? {} : { technicianUntilMs: this.technicianUntilMs }),
      onWaitingChange: (entry, op) => {
        this.saveWaiting();
        this.stationLink?.share(entry, op);
      },
      ...(this.codeColours ? { codeColour: (identity: string) => this.codeColour(identity) } : {}),
    });
    // Who was waiting before a restart (entries past the window or under a key no longer held
    // drop out at the first match or the next tick).
    const waiting = loadWaiting(this.waitingPath, (reason) =>
      log.error(
        { path: this.waitingPath, reason },
        "firmware:lane: the saved waiting list cannot be read; this lane starts with nobody waiting, so people already resting are measured as a first attempt here (check the data folder's disk)",
      ),
    );
    for (const entry of waiting) this.lane.waiting.merge(entry);
    const link = file.stationLink;
    this.stationLink =
      link && (link.listen || link.peers?.length)
        ? new StationLink({
            station: file.station,
            device: file.device,
            listen: link.listen,
            peers: link.peers ?? [],
            keyring: this.stationKeys,
            waiting: this.lane.waiting,
            windowMs: () => (this.uplink.config?.policy.retest_window_s ?? 0) * 1000,
            now: () => this.now(),
            onChange: () => this.saveWaiting(),
            log,
          })
        : null;
    // Told again: what the peers had not taken when this lane stopped (a kill -9, a power cut)
    // was only in memory. Only whom this lane sent to rest (peers tell their own); a peer takes an
    // entry it already holds as a no-op.
    for (const entry of waiting) if (entry.device === file.device) this.stationLink?.share(entry, "wait");
  }

  private makeCodeColours(settings: NonNullable<LaneFile["healthCode"]>): CodeColours {
    const key = readPlatformKey(settings.keyFile, this.file.locale ?? DEFAULT_LOCALE);
    const platform = new HealthCodePlatform({ url: settings.url, key, timeoutMs: settings.timeoutMs });
    const ttlMs = (settings.cacheTtlS ?? DEFAULT_CACHE_TTL_S) * 1000;
    return new CodeColours(platform, new ColourCache(ttlMs, () => this.now()));
  }

  /** A health code's colour; where it came from is logged, never the holder. */
  private async codeColour(identity: string): Promise<ScreenedCodeColour> {
    const found = await this.codeColours?.lookup(identity);
    if (!found) return "unknown";
    if (found.source !== "platform") {
      this.log.warn(
        { colour: found.colour, source: found.source, problem: found.problem },
        found.problem === "key-refused"
          ? "firmware:health-code: the platform refused this lane's key; install the lane's current key (lane.json healthCode.keyFile)"
          : "firmware:health-code: the platform did not answer in time; the colour is the last answer within the cache's TTL, or unknown (the staff check the code by hand)",
      );
    }
    return found.colour;
  }

  /** lane.json `technicianUntil` as ms; null when unset or unreadable (then off). */
  get technicianUntilMs(): number | null {
    const at = this.file.technicianUntil === undefined ? Number.NaN : Date.parse(this.file.technicianUntil);
    return Number.isFinite(at) ? at : null;
  }

  get waitingPath(): string {
    return join(this.file.dataDir, "waiting.json");
  }

  /** The waiting list to disk; a failed write (disk full) is logged and the lane goes on. */
  private saveWaiting(): void {
    try {
      saveWaiting(this.waitingPath, this.lane.waiting.list());
    } catch (error) {
      this.log.error(
        { err: (error as Error).message },
        "firmware:lane: could not save the waiting list (disk full or read-only?); it is kept in memory, and lost if the lane restarts before the disk is fixed",
      );
    }
  }

  get calibrationPath(): string {
    return join(this.file.dataDir, "calibration.json");
  }

  /**
   * Policy and the key to seal to from the gateway; this device's own blackbody offset when it has one; the
   * identities lane.json accepts.
   */
  laneConfig(): LaneConfig | null {
    const c = this.uplink.config;
    if (!c) return null;
    return {
      policy: c.policy,
      calibration: { k: c.calibration.k, offset_c: this.calibration?.offset_c ?? c.calibration.offset_c },
      seal: c.seal,
      accept: this.file.accept ?? DEFAULT_ACCEPT,
      // No context set: the lines of lanes older than fp3 (README, "Screening"): set it per lane.
      ...(this.file.context === undefined ? {} : { context: this.file.context }),
      ...(this.file.comingFromC === undefined ? {} : { comingFromC: this.file.comingFromC }),
    };
  }

  /** The lane's clock: the system's, corrected by the gateway's when it is off. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /**
   * A station key whose day is over leaves the saved config within 10 s (the keyring keeps it in
   * memory for one retest window, then wipes it): a stolen lane's disk holds no past day's key.
   * Runs every 10 s once started.
   */
  forgetPastKeys(): void {
    this.stationKeys.tick(this.now());
    // The waiting list on disk holds no one the window has passed.
    const waiting = this.lane.waiting.size;
    this.lane.waiting.expire(this.now());
    if (this.lane.waiting.size !== waiting) this.saveWaiting();
    const c = this.uplink.config;
    if (!c || this.stationKeys.revision === this.savedKeysRevision) return;
    this.savedKeysRevision = this.stationKeys.revision;
    const kept = this.stationKeys.persisted();
    if (kept.length !== c.station_keys.length) this.uplink.remember({ ...c, station_keys: kept });
  }

  setCalibration(result: CalibrationResult): void {
    this.calibration = result;
  }

  read(): Promise<ThermoReading> {
    return this.thermometer ? this.thermometer.read() : Promise.resolve({ ok: false, fault: "no-board" });
  }

  start(): void {
    this.link.on("ready", ({ io }) => {
      this.thermometer = new Mlx90614(io);
      this.indicators.attach(
        (pin) => io.pinMode(pin, OUTPUT),
        (pin, value) => io.digitalWrite(pin, value),
      );
    });
    this.link.on("down", () => {
      this.thermometer = null;
      this.indicators.detach();
    });
    this.link.start();
    this.scanner.on("scan", (code: string) => this.take(code, "scanner"));
    this.scanner.start();
    this.keypad?.on("scan", (typed: string) => this.take(typed, "keypad"));
    this.keypad?.start();
    this.uplink.on("config", (c) => this.stationKeys.set(c.station_keys, this.now()));
    this.forgetPastKeys();
    this.keysTimer = setInterval(() => this.forgetPastKeys(), 10_000);
    this.uplink.on("clock", (offsetMs) => {
      this.clockOffsetMs = offsetMs;
    });
    this.uplink.start();
    const until = this.technicianUntilMs;
    if (until !== null && until > this.now()) {
      this.log.warn(
        { technicianUntil: new Date(until).toISOString() },
        "firmware:lane: technician mode: the rest-skip code ends every rest at this lane until then; remove technicianUntil from lane.json before the lane screens travellers",
      );
    } else if (this.file.technicianUntil !== undefined && until === null) {
      this.log.warn(
        { technicianUntil: this.file.technicianUntil },
        "firmware:lane: technicianUntil in lane.json is not a time (ISO 8601); technician mode is off",
      );
    }
    if (this.stationLink) {
      this.stationLink
        .start()
        .catch((error: Error) =>
          this.log.error(
            { err: error.message, listen: this.file.stationLink?.listen },
            "firmware:station-link: cannot listen; the station's other lanes cannot tell this lane who is waiting (check stationLink.listen in lane.json: a free port on this device)",
          ),
        );
    }
    this.sensorTimer = setInterval(() => void this.lane.checkSensor(), 2000);
  }

  /** One scanned code or one keypad entry through the lane; what came of it is logged. */
  private take(payload: string, from: "scanner" | "keypad"): void {
    this.lane.onScan(payload, from).then(
      (outcome) => {
        // `text`: what the person and the technician read, in the lane's language.
        const locale = this.file.locale ?? DEFAULT_LOCALE;
        const text = outcomeText(outcome, locale, this.laneConfig()?.policy.rest_min ?? 0);
        if (outcome.kind === "fault") {
          this.log.warn(
            { fault: outcome.fault, text },
            "firmware:lane: thermometer fault, no reading taken; check the sensor and its wiring",
          );
        } else if (outcome.kind === "screened") {
          this.log.info(
            {
              verdict: outcome.verdict,
              attempt: outcome.event.attempt,
              ...(outcome.codeColour ? { code_colour: outcome.codeColour } : {}),
              text,
            },
            "firmware:lane: screened",
          );
        } else if (outcome.kind === "refused") {
          // The reason only: never the payload, nor anything taken from it.
          this.log.info(
            { outcome: outcome.kind, reason: outcome.reason, refused: this.lane.counts.refused, text },
            from === "keypad"
              ? "firmware:lane: keypad entry refused; the person was asked to type the ID number again"
              : "firmware:lane: code refused; the person was asked for a code this lane takes",
          );
        } else {
          this.log.info({ outcome: outcome.kind, text }, "firmware:lane: scan not screened");
        }
      },
      (error: Error) =>
        this.log.error(
          { err: error, text: t(this.file.locale ?? DEFAULT_LOCALE, "lane.scan-failed") },
          "firmware:lane: scan failed",
        ),
    );
  }

  async stop(): Promise<void> {
    if (this.sensorTimer) clearInterval(this.sensorTimer);
    if (this.keysTimer) clearInterval(this.keysTimer);
    this.indicators.stop();
    this.scanner.stop();
    this.keypad?.stop();
    await this.stationLink?.stop();
    await this.uplink.stop();
    this.link.stop();
    this.outbox.close();
  }
}
