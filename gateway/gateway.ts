/**
 * The gateway as one object: registry, store (InfluxDB + spool behind a group commit), ingest,
 * broker and health endpoint, started and stopped in order. `gateway/main.ts` runs it as a
 * program; tests start it in-process.
 */
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import {
  type ClockSync,
  DEFAULT_CALIBRATION,
  type DeviceConfig,
  dayIn,
  deviceTopic,
  type FeverPolicy,
} from "@checkpoint/protocol";
import type { Logger } from "pino";
import { type RunningBroker, startBroker } from "./broker/broker.ts";
import type { GatewayConfig } from "./config.ts";
import { consolePage } from "./http/console-page.ts";
import { ConsoleServer } from "./http/console-server.ts";
import { GRAFANA_TOKEN_FILE, GrafanaAlerts } from "./http/grafana-alerts.ts";
import type { ClockVerdict } from "./ingest/clock-rule.ts";
import { Counters } from "./ingest/counters.ts";
import { EventLedger } from "./ingest/event-ledger.ts";
import { EventsDb } from "./ingest/events-db.ts";
import { Ingest } from "./ingest/ingest.ts";
import { RecentIds } from "./ingest/recent-ids.ts";
import { SqliteRetestJournal } from "./ingest/retest-journal.ts";
import { RetestTracker } from "./ingest/retest-tracker.ts";
import { AlertStore } from "./ops/alert-store.ts";
import { BackupScheduler } from "./ops/backup.ts";
import { registerAtDesk } from "./ops/desk.ts";
import { IsolationRoster } from "./ops/isolation.ts";
import { PeopleFlows } from "./ops/people-flows.ts";
import { dailyReport, type ReportSources, stationBoard } from "./ops/reports.ts";
import { ActivityWriter, knownStations, StationActivity, stationNames } from "./ops/station-activity.ts";
import { trace } from "./ops/trace.ts";
import { Transfers } from "./ops/transfers.ts";
import { Users } from "./ops/users.ts";
import { visitorLog } from "./ops/visitors.ts";
import { Privacy } from "./privacy/privacy.ts";
import { DeviceAccess } from "./registry/device-access.ts";
import { Registry } from "./registry/registry.ts";
import { LoginSecurity } from "./security/login-security.ts";
import { assertPrivateFiles, gatewayPrivatePaths, readPasswordFile } from "./security/private-files.ts";
import { GroupCommit } from "./store/group-commit.ts";
import { InfluxSink } from "./store/influx-sink.ts";
import { OfflineSink } from "./store/offline-sink.ts";
import { gatewayPoint } from "./store/points.ts";
import type { PointSink } from "./store/sink.ts";
import { Spool } from "./store/spool.ts";
import { loadServerTls } from "./tls/server-tls.ts";

const RETEST_CAPACITY = 100_000;
/** Duty console sessions last one shift. */
const SESSION_SECONDS = 12 * 3600;
const SPOOL_SEGMENT_BYTES = 16 * 1024 * 1024;

export class Gateway {
  readonly counters = new Counters();
  registry!: Registry;
  alerts!: AlertStore;
  broker!: RunningBroker;
  ingest!: Ingest;
  store!: GroupCommit;
  private spool!: Spool;
  private sink: PointSink | null = null;
  private http: ConsoleServer | null = null;
  /** Scheduled backups of gateway.db (gateway/ops/backup.ts). */
  private backups: BackupScheduler | null = null;
  /** Devices and console users an admin disabled, removed or gave a new secret (registry/device-access.ts). */
  access: DeviceAccess | null = null;
  users!: Users;
  /** Pseudonym keys, re-keying, station keys (gateway/privacy/). */
  privacy!: Privacy;
  /** The day (TIME_ZONE) the lanes' station keys were last published for. */
  private keysDay = "";
  /** When each station was last heard from, written once a minute (gateway/ops/station-activity.ts). */
  stationActivity!: StationActivity;
  activityWriter: ActivityWriter | null = null;
  /** Grafana's alert notifications for technicians (gateway/http/grafana-alerts.ts). */
  grafana!: GrafanaAlerts;
  /** Audit log, and console and MQTT logins throttled and audited (gateway/security/). */
  security!: LoginSecurity;
  private timers: NodeJS.Timeout[] = [];
  private policy: FeverPolicy;
  ledger!: EventLedger;
  /** Home-isolation roster, fever-clinic transfers and the city's figures (gateway/ops/people-flows.ts). */
  roster!: IsolationRoster;
  transfers!: Transfers;
  flows!: PeopleFlows;
  private retestJournal!: SqliteRetestJournal;
  private eventsDb!: EventsDb;
  /** When each device was last told its clock is wrong (at most once a minute). */
  private readonly clockToldMs = new Map<string, number>();
  private startedMs = Date.now();
  /** Event-loop delay since the counters were last stored: a stalled loop delays alerts. */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 5 });

  private readonly log: Logger;

  /** `root` is the program's logger; every part logs through a child of it with its own `ns`. */
  constructor(
    readonly config: GatewayConfig,
    readonly root: Logger,
  ) {
    this.policy = config.policy;
    this.log = root.child({ ns: "gateway" });
  }

  async start(): Promise<void> {
    const { config, log, root } = this;
    this.startedMs = Date.now();
    assertPrivateFiles(gatewayPrivatePaths(config), config.locale);
    // MQTT over TLS and HTTPS off loopback (gateway/tls/): refuses to start without its certificate.
    const tls = loadServerTls(config.tls, root.child({ ns: "gateway:tls" }));
    this.loopDelay.enable();
    this.registry = new Registry(join(config.dataDir, "gateway.db"));
    this.privacy = Privacy.open(this.registry.db, {
      retentionDays: config.retentionDays,
      timeZone: config.timeZone,
      // Sealed subjects are opened on the other cores (gateway/privacy/open-pool.ts).
      openThreads: Math.max(1, availableParallelism() - 1),
    });
    this.eventsDb = EventsDb.open(join(config.dataDir, "events.db"));
    this.ledger = new EventLedger(this.eventsDb);
    this.retestJournal = new SqliteRetestJournal(this.eventsDb);
    this.alerts = new AlertStore(this.registry.db, () => this.policy.fever_line_c);
    this.users = new Users(this.registry.db, SESSION_SECONDS * 1000);
    this.roster = new IsolationRoster(this.registry.db, {
      days: () => config.isolationDays,
      timeZone: config.timeZone,
      now: Date.now,
    });
    this.transfers = new Transfers(this.registry.db);
    this.security = new LoginSecurity({
      dataDir: config.dataDir,
      retentionDays: config.auditRetentionDays,
      users: this.users,
      authenticate: (username, secret) => this.registry.authenticate(username, secret),
      log: root.child({ ns: "gateway:security" }),
    });
    this.security.start();
    const sink = await this.makeSink();
    this.sink = sink;
    this.spool = await Spool.open(
      join(config.dataDir, "spool"),
      { maxBytes: config.spoolMaxBytes, segmentBytes: SPOOL_SEGMENT_BYTES },
      root.child({ ns: "gateway:spool" }),
    );
    this.store = new GroupCommit(
      sink,
      this.spool,
      {
        maxBatch: config.batchMax,
        lingerMs: config.batchLingerMs,
        maxInFlight: 4,
        retryMinMs: 250,
        retryMaxMs: 10_000,
        dir: join(config.dataDir, "spool"),
      },
      root.child({ ns: "gateway:store" }),
    );
    this.store.start();
    this.stationActivity = new StationActivity(this.startedMs);
    this.ingest = new Ingest({
      policy: () => this.policy,
      store: this.store,
      publish: (topic, payload, qos) => this.broker.publish(topic, payload, qos),
      now: Date.now,
      counters: this.counters,
      alerts: this.alerts,
      onAlert: (alert) => this.http?.alertRaised(alert),
      onAlertChanged: (alert) => this.http?.alertUpdated(alert),
      laneRole: (station, device) => this.registry.laneRole(station, device),
      recent: new RecentIds(config.dedupeCapacity),
      ledger: this.ledger,
      clock: config.clock,
      offlineGraceMs: config.offlineGraceMs,
      onWrongClock: (station, device, judged) => this.tellClock(station, device, judged.clock),
      onScreening: (station, atMs) => this.stationActivity.heardFrom(station, atMs),
      retests: new RetestTracker(
        () => this.policy.retest_window_s * 1000,
        RETEST_CAPACITY,
        this.retestJournal,
      ),
      subjects: this.privacy.subjects,
      isolation: this.roster,
      log: root.child({ ns: "gateway:ingest" }),
    });
    this.flows = new PeopleFlows({
      alerts: this.alerts,
      roster: this.roster,
      transfers: this.transfers,
      townships: () => config.townships,
      clinics: () => config.clinics,
      raise: (kind, station, device, causeMs, causeKey, about) =>
        this.ingest.raiseFor(kind, station, device, causeMs, causeKey, about),
      feverLineC: () => this.policy.fever_line_c,
      store: (points) => this.store.submit(points),
      timeZone: config.timeZone,
      now: Date.now,
    });
    const mqttTls = tls && config.tls.mqtt ? { ...tls, clientCerts: config.tls.clientCerts } : null;
    this.broker = await startBroker(
      config.mqttHost,
      config.mqttPort,
      {
        authenticate: (username, secret, address) => this.security.mqtt.login(username, secret, address),
        ingest: (identity, clientId, topic, payload) =>
          this.ingest.handle(identity, clientId, topic, payload),
        onAuthFailure: () => this.counters.authFailures++,
        onClientIdRefused: () => this.counters.clientIdRefused++,
        onOversize: () => this.counters.oversized++,
        onClockSubscribe: (station, device) => this.sendClock(station, device, "sync"),
        onDeviceLogin: (station, device) => this.publishConfig(station, device),
        onTlsFailure: () => this.counters.tlsFailures++,
        onCertificateRefused: () => this.counters.certificateRefused++,
        log: root.child({ ns: "gateway:broker" }),
      },
      mqttTls,
    );
    // What an admin takes back (disable, remove, rotate-secret) applies within a second.
    this.access = new DeviceAccess({
      registry: this.registry,
      audit: this.security.audit,
      broker: () => this.broker ?? null,
      onUsersChanged: () => this.http?.endStaleStreams(),
      log: root.child({ ns: "gateway:access" }),
    });
    this.access.start();
    this.refreshKeys();
    this.timers.push(
      setInterval(() => this.refreshKeys(), 10_000),
      setInterval(() => {
        this.ingest.sweep().catch((error: Error) => {
          log.warn(
            { err: error.message },
            "gateway: storing missed-retest alerts failed; they were published",
          );
        });
      }, 1000),
      setInterval(() => this.storeCounters(), config.statsIntervalMs),
      setInterval(() => this.pruneLedger(), 3600_000),
      setInterval(() => this.pruneAlerts(), 3600_000),
      setInterval(() => this.sweepFlows(), 60_000),
    );
    this.pruneAlerts();
    this.grafana = new GrafanaAlerts({
      db: this.registry.db,
      tokenPath: join(config.dataDir, GRAFANA_TOKEN_FILE),
      stationName: (id) => this.registry.stations.get(id).name ?? id,
      locale: config.locale,
      log: root.child({ ns: "gateway:grafana" }),
    });
    this.http = new ConsoleServer({
      users: this.users,
      logins: this.security.console,
      secureCookie: config.consoleSecureCookie,
      ...(tls && config.tls.http ? { tls: { key: tls.key, cert: tls.cert } } : {}),
      alerts: this.alerts,
      store: (point) => this.store.submit([point]),
      health: () => this.snapshot(),
      board: () => stationBoard(this.reportSources(), Date.now(), config.timeZone),
      report: (date) => dailyReport(this.reportSources(), date, config.timeZone),
      grafana: this.grafana,
      trace: (request) =>
        trace(
          {
            pseudonymsOf: (identity) => this.privacy.subjects.pseudonymsOf(identity),
            traces: (subjects, sinceMs) => this.ledger.traces(subjects, sinceMs),
            alertsFor: (subjects) => this.alerts.forSubjects(subjects),
            flowsFor: (subjects) => ({
              isolation: this.roster.forSubjects(subjects),
              transfers: this.transfers.forSubjects(subjects),
            }),
            audit: (entry) => this.security.audit.record(entry),
            retentionDays: config.retentionDays,
            now: Date.now,
          },
          request,
        ),
      audit: (entry) => this.security.audit.record(entry),
      flows: this.flows,
      lanes: () => this.registry.laneNames(),
      register: (request) =>
        registerAtDesk(
          {
            // A checkpoint the registry knows; a township's workers' "station" is not one.
            stationKnown: (station) =>
              !this.isTownship(station) && knownStations(this.registry).some((s) => s.id === station),
            forIdentity: (identity) => this.privacy.subjects.forIdentity(identity),
            ingest: (event, rekeyed) => this.ingest.desk(event, rekeyed),
            policy: () => this.policy,
            audit: (entry) => this.security.audit.record(entry),
            now: Date.now,
          },
          request,
        ),
      visitors: (query) =>
        visitorLog(
          {
            visitors: (station, fromMs, toMs, limit, offset) =>
              this.ledger.visitors(station, fromMs, toMs, limit, offset),
            lanes: () => this.registry.laneNames(),
            timeZone: config.timeZone,
          },
          query,
        ),
      page: (locale) => consolePage(locale, config.timeZone),
      sessionSeconds: SESSION_SECONDS,
      locale: config.locale,
      timeZone: config.timeZone,
      log: root.child({ ns: "gateway:http" }),
    });
    this.httpBoundPort = await this.http.listen(config.httpHost, config.httpPort);
    this.backups = new BackupScheduler({
      db: () => this.registry.db,
      dir: config.backupDir,
      keep: config.backupKeep,
      intervalMs: config.backupIntervalMs,
      log: root.child({ ns: "gateway:backup" }),
    });
    this.backups.start();
    this.activityWriter = new ActivityWriter({
      activity: this.stationActivity,
      // Nor watched for silence: a worker's device is quiet between visits.
      stations: () => knownStations(this.registry).filter((s) => !this.isTownship(s.id)),
      query: sink instanceof InfluxSink ? (q) => sink.client.query<{ station: string; time: Date }>(q) : null,
      submit: (points) => this.store.submit(points),
      lanes: () =>
        this.registry.laneNames().map((l) => ({
          ...l,
          online: this.ingest.devices.get(`${l.station}/${l.device}`)?.online === true,
        })),
      now: Date.now,
      timeZone: config.timeZone,
      log: root.child({ ns: "gateway:activity" }),
    });
    this.activityWriter.start();
    const orphaned = this.roster.activeTownships().filter((t) => !this.isTownship(t.township));
    if (orphaned.length > 0)
      log.warn(
        { townships: orphaned },
        "gateway: people are on the home-isolation roster of townships TOWNSHIPS no longer lists; their alerts still go to those ids and no one there can log in to see them: add the townships back, or end those isolations in the console",
      );
    if (config.townships.length === 0 || config.clinics.length === 0)
      log.warn(
        { townships: config.townships.length, clinics: config.clinics.length },
        "gateway: TOWNSHIPS or CLINICS is empty: alerts closed as a handover or a transfer put no one on the home-isolation roster or the transfer list; set both (id=name pairs)",
      );
    log.info(
      {
        mqtt: `${config.tls.mqtt ? "mqtts" : "mqtt"}://${config.mqttHost}:${this.broker.port}`,
        http: `${config.httpHost}:${this.httpPort}`,
        influx: config.influxUrl ?? "(none: spool-only)",
        devices: this.registry.devices().length,
      },
      "gateway: ready",
    );
  }

  private async makeSink(): Promise<PointSink> {
    const { config, log } = this;
    if (!config.influxUrl) {
      log.warn(
        { spool: join(config.dataDir, "spool") },
        "gateway: INFLUX_URL is unset; running spool-only. Every event is kept on disk and written to InfluxDB once INFLUX_URL is set and the gateway restarted.",
      );
      return new OfflineSink();
    }
    const sink = new InfluxSink({
      url: config.influxUrl,
      database: config.influxDb,
      retentionDays: config.retentionDays,
      username: config.influxUser,
      password: config.influxPasswordFile
        ? readPasswordFile(config.influxPasswordFile)
        : config.influxPassword,
      timeoutMs: config.influxTimeoutMs,
    });
    try {
      const { adminStatements } = await sink.prepare();
      if (adminStatements.length > 0) {
        log.warn(
          { statements: adminStatements },
          "gateway: InfluxDB's retention policies differ from the configuration (RETENTION_DAYS) and INFLUX_USER may not change them; as InfluxDB's admin, run npm run gateway -- influx-setup, or these statements",
        );
      }
      await sink.prepareRollups().catch((error: Error) => {
        log.warn(
          { err: error.message },
          "gateway: could not set up the rollups; long dashboard ranges will be slow",
        );
      });
    } catch (error) {
      log.warn(
        { url: config.influxUrl, err: (error as Error).message },
        "gateway: InfluxDB is not reachable at start; spooling until it is. Check INFLUX_URL and that influxd runs.",
      );
    }
    return sink;
  }

  private httpBoundPort = 0;

  get httpPort(): number {
    return this.httpBoundPort || this.config.httpPort;
  }

  /** The gateway's time to one device (QoS 0, not retained): see ClockSyncSchema. */
  sendClock(station: string, device: string, clock: ClockSync["clock"]): void {
    const sync: ClockSync = { v: 1, now: new Date().toISOString(), clock };
    this.broker.publish(deviceTopic(station, device, "clock"), sync, 0);
  }

  /** A lane's screening carried an untrusted time: tell it, at most once a minute per lane. */
  private tellClock(station: string, device: string, clock: ClockVerdict): void {
    if (clock === "ok") return;
    const key = `${station}/${device}`;
    const now = Date.now();
    if (now - (this.clockToldMs.get(key) ?? 0) < 60_000) return;
    if (this.clockToldMs.size > 100_000) this.clockToldMs.clear();
    this.clockToldMs.set(key, now);
    this.log.warn(
      { station, device, clock },
      "gateway: a lane's clock is wrong; its screenings are kept at the gateway's receive time. Check the lane's time source (NTP, RTC).",
    );
    this.sendClock(station, device, clock);
  }

  /** The ledger keeps a month: longer than any lane may trust its outbox's timestamps. */
  /** Alerts' personal fields are kept RETENTION_DAYS, as raw screenings are (alert-store.ts). */
  private pruneAlerts(): void {
    const beforeMs = Date.now() - this.config.retentionDays * 86_400_000;
    // The subject index keeps a pseudonym no longer than the raw screenings do.
    this.ledger.pruneTraces(beforeMs).then(
      (n) => {
        if (n > 0) this.log.info({ pruned: n }, "gateway: pruned the subject index past RETENTION_DAYS");
      },
      (error: Error) => {
        this.log.warn(
          { err: error },
          "gateway: could not prune the subject index; will try again in an hour",
        );
      },
    );
    try {
      const n =
        this.roster.prune(this.config.retentionDays) + this.transfers.prune(this.config.retentionDays);
      if (n > 0) this.log.info({ pruned: n }, "gateway: forgot isolations and transfers past RETENTION_DAYS");
    } catch (error) {
      this.log.warn(
        { err: error },
        "gateway: could not prune the roster and transfers; will try again in an hour",
      );
    }
    try {
      const n = this.alerts.pruneBefore(beforeMs);
      if (n > 0)
        this.log.info({ cleared: n }, "gateway: cleared the personal fields of alerts past RETENTION_DAYS");
    } catch (error) {
      this.log.warn(
        { err: error },
        "gateway: could not clear old alerts' personal fields; will try again in an hour",
      );
    }
  }

  /** Once a minute: isolations past their date, missed daily readings, the city's figures. */
  sweepFlows(): Promise<void> {
    return this.flows
      .sweep()
      .then(() => this.store.submit([this.flows.point()]))
      .catch((error: Error) => {
        this.log.warn(
          { err: error.message },
          "gateway: the home-isolation sweep failed (missed readings are found again next minute)",
        );
      });
  }

  private pruneLedger(): void {
    const keepMs = Math.max(30 * 86_400_000, 2 * this.config.clock.maxBehindMs);
    this.ledger.prune(Date.now() - keepMs).then(
      (n) => {
        if (n > 0) this.log.info({ pruned: n }, "gateway: pruned the event ledger");
      },
      (error: Error) => {
        this.log.warn({ err: error }, "gateway: could not prune the event ledger; will try again in an hour");
      },
    );
  }

  /**
   * Keeps the lanes' keys current, every 10 s: a key another process rotated (the admin
   * commands) goes out at once, and when the day changes the station keys' window moves on and
   * retired pseudonym keys past the retention are destroyed.
   */
  private refreshKeys(): void {
    try {
      const now = Date.now();
      const changed = this.privacy.reload();
      const day = dayIn(now, this.config.timeZone);
      if (day !== this.keysDay) {
        const destroyed = this.privacy.keys.prune(now);
        if (destroyed.length > 0)
          this.log.info({ destroyed }, "gateway: destroyed pseudonym keys past the retention period");
      }
      if (changed.all || day !== this.keysDay) {
        this.keysDay = day;
        this.publishConfigs();
      } else for (const station of changed.stations) this.publishConfigs(station);
    } catch (error) {
      this.log.warn({ err: error }, "gateway: could not refresh the lanes' keys; will try again in 10 s");
    }
  }

  /** The retained config of every registered device (of one station): policy, calibration, keys. */
  publishConfigs(station?: string): void {
    for (const d of this.registry.devices()) {
      if (station === undefined || d.station === station) this.publishConfig(d.station, d.device);
    }
  }

  publishConfig(station: string, device: string): void {
    const keys = this.privacy.deviceKeys(station);
    const config: DeviceConfig = {
      v: 1,
      // Names the keys by a hash, never by a piece of one: the version is echoed in telemetry.
      version: `${this.policy.version}+k${createHash("sha256").update(JSON.stringify(keys)).digest("hex").slice(0, 8)}`,
      policy: this.policy,
      calibration: { ...DEFAULT_CALIBRATION },
      ...keys,
    };
    this.broker.publish(deviceTopic(station, device, "config"), config, 1, true);
  }

  private reportSources(): ReportSources {
    return {
      // A township's community-worker devices are not a checkpoint: not on the station board.
      devices: () => this.registry.devices().filter((d) => !this.isTownship(d.station)),
      status: (key) => this.ingest.devices.get(key),
      telemetry: (key) => this.ingest.telemetry.get(key),
      influx: this.sink instanceof InfluxSink ? this.sink.client : null,
      alerts: this.alerts,
      rawSinceMs: () => Date.now() - this.config.retentionDays * 86_400_000,
      names: () => stationNames(this.registry),
    };
  }

  /** A township's id (TOWNSHIPS): its "station" holds community workers' devices. */
  private isTownship(station: string): boolean {
    return this.config.townships.some((t) => t.id === station);
  }

  devicesOnline(): number {
    let online = 0;
    for (const state of this.ingest.devices.values()) if (state.online) online++;
    return online;
  }

  snapshot(): Record<string, number | string> {
    const c = this.counters;
    return {
      instance: this.config.instance,
      mode: this.store.mode,
      uptime_s: Math.round((Date.now() - this.startedMs) / 1000),
      received: c.received,
      screenings: c.screenings,
      stored: this.store.stats.stored,
      spooled: this.store.stats.spooled,
      replayed: this.store.stats.replayed,
      rejected: c.rejected,
      duplicates: c.duplicates,
      disagreements: c.disagreements,
      alerts: c.alerts,
      fevers: c.fevers,
      missed_retests: c.missedRetests,
      health_codes_stopped: c.healthCodesStopped,
      home_readings: c.homeReadings,
      home_readings_unmatched: c.homeReadingsUnmatched,
      isolation_breaches: c.isolationBreaches,
      withdrawn_alerts: c.withdrawnAlerts,
      unmatched_retests: c.unmatchedRetests,
      retests_at_screening_lanes: c.retestsAtScreeningLanes,
      refused_publish: c.refusedPublish,
      auth_failures: c.authFailures,
      client_id_refused: c.clientIdRefused,
      oversized_packets: c.oversized,
      tls_failures: c.tlsFailures,
      certificate_refused: c.certificateRefused,
      clock_flagged: c.clockFlagged,
      legacy_subjects: c.legacySubjects,
      devices_online: this.devicesOnline(),
      clients: this.broker.aedes.connectedClients,
      spool_bytes: this.store.spoolBytes,
      pending: this.store.pendingCount,
      write_ms: Math.round(this.store.stats.writeMs * 10) / 10,
      loop_p99_ms: Math.round(this.loopDelay.percentile(99) / 1e5) / 10,
      loop_max_ms: Math.round(this.loopDelay.max / 1e5) / 10,
      backups: this.backups?.stats.ok ?? 0,
      backup_failures: this.backups?.stats.failed ?? 0,
      ...this.security.stats(),
      ...this.grafana?.counts(),
      ...Object.fromEntries(Object.entries(c.rejectsByReason).map(([k, v]) => [`rejected_${k}`, v])),
    };
  }

  private storeCounters(): void {
    const numbers: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.snapshot())) if (typeof v === "number") numbers[k] = v;
    this.loopDelay.reset();
    this.store.submit([gatewayPoint(this.config.instance, numbers, Date.now())]).catch((error: Error) => {
      this.log.warn({ err: error.message }, "gateway: could not store its own counters");
    });
  }

  /** Stops accepting, lets pending publishes commit, flushes the store and closes everything. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.loopDelay.disable();
    this.activityWriter?.stop();
    await this.backups?.stop();
    await this.http?.close();
    // Alerts that are due go out while the broker can still deliver them.
    await this.ingest?.sweep().catch(() => undefined);
    this.access?.stop();
    await this.broker?.close();
    await this.store?.stop();
    await this.spool?.close();
    this.sink?.close?.();
    await this.eventsDb?.close();
    await this.alerts?.release();
    this.security?.stop();
    await this.privacy?.close();
    this.registry?.close();
    this.log.info({}, "gateway: stopped");
  }
}
