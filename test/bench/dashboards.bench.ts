/**
 * `npm run bench:dashboards` — seeds a private influxd with 30 days of the default city (about 100k
 * screenings a day over 112 lanes from the simulator's physiology and policy: passes, retests and
 * their attempt 2, fevers with their alerts closed by officers with a clinical reading, walk-offs'
 * missed-retest alerts, invalid readings; telemetry every 5 min with sensor faults and outbox
 * backlogs; lane outages and lanes offline now; rejects; gateway counters with duplicates,
 * disagreements, spool and write latency), rolls it up as the continuous queries would, then
 * loads every dashboard as Grafana does (test/support/grafana.ts): its variable query first, then
 * every panel at once through Grafana's fetch queue (5 data requests in flight), each panel's
 * targets one after another, `$__interval` from the panel's range and pixel width rounded by
 * Grafana's table. A panel's time is from the start of the load to its data: what the officer
 * waits. Each dashboard is loaded for its default range and for 30 days, `--runs` times each.
 * The run fails if any panel's query returns nothing to draw (no non-null, non-zero value).
 * Target: worst_p95_ms ≤ 500. Writes test/bench/results/dashboards.json.
 * Options: --days N (30)  --runs N (7)  --out FILE. Progress on stderr; the result JSON last.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { buildAll } from "../../dashboards/generate.ts";
import { LANE_EVERY_MS, StationActivity } from "../../gateway/ops/station-activity.ts";
import { InfluxSink } from "../../gateway/store/influx-sink.ts";
import {
  alertPoint,
  gatewayPoint,
  idempotentTimestamp,
  nsFromMs,
  peopleFlowPoint,
  pointOf,
  rejectPoint,
  type StoredPoint,
  screeningPoint,
  statusPoint,
  telemetryPoint,
} from "../../gateway/store/points.ts";
import { backfillRollups } from "../../gateway/store/rollups.ts";
import {
  type Alert,
  classify,
  DEFAULT_CALIBRATION,
  DEFAULT_POLICY,
  estimateBody,
  REJECT_REASONS,
  roundCentidegree,
  type ScreeningEvent,
} from "../../protocol/index.ts";
import { type InfluxdHandle, startInfluxd } from "../../scripts/influxd.ts";
import { cityLayout, type LaneSpec } from "../../simulator/fleet/layout.ts";
import { arrivalsPerMinute } from "../../simulator/people/arrivals.ts";
import { foreheadC, makePerson, type Person, sensorReadingC } from "../../simulator/people/physiology.ts";
import { laneAmbientC, outdoorC, WINTER } from "../../simulator/people/weather.ts";
import { Rng } from "../../simulator/random.ts";
import { type PanelQuery, panelQueries } from "../support/dashboards.ts";
import {
  grafanaInterval,
  grafanaQuery,
  inFetchQueue,
  MAX_PARALLEL_DATA_REQUESTS,
  maxDataPoints,
  panelRange,
} from "../support/grafana.ts";
import { tempDir } from "../support/tmp.ts";
import { Args } from "./args.ts";
import { cleanups } from "./cleanup.ts";
import { percentile } from "./stats.ts";
import { measureTrace, TRACE_TARGET_P95_MS } from "./trace-load.ts";

const args = new Args(process.argv.slice(2));
const DAYS = args.number("days", 30, 1, 90);
const RUNS = args.number("runs", 7, 3, 50);
const OUT = resolve(args.string("out", join(import.meta.dirname, "results", "dashboards.json")));
args.finish(
  "bench:dashboards: 30 days seeded into InfluxDB, every dashboard's panels loaded through Grafana; writes test/bench/results/dashboards.json",
);
const TARGET_WORST_P95_MS = 500;
const STATION = "hw-01";
const DAY = 86_400_000;
const say = (line: string) => process.stderr.write(`${line}\n`);

const cleanup = cleanups("bench:dashboards", say);

/** What happens to a lane over the seeded days besides screening. */
interface LaneLife {
  /** Outages (network down: offline status, no telemetry, screenings delivered on return). */
  outages: { fromMs: number; toMs: number }[];
  /** Thermometer faults (telemetry sensor_ok 0). */
  faults: { fromMs: number; toMs: number }[];
  /** Offline since then, still now (no screening or telemetry after). */
  goneAtMs: number | null;
}

function laneLife(index: number, startMs: number, endMs: number): LaneLife {
  const outages: LaneLife["outages"] = [];
  const faults: LaneLife["faults"] = [];
  for (let day = 0; day * DAY + startMs < endMs; day++) {
    const dayMs = startMs + day * DAY;
    if ((index + day) % 29 === 3)
      outages.push({ fromMs: dayMs + 10 * 3_600_000, toMs: dayMs + 13 * 3_600_000 });
    if ((index + day) % 23 === 5)
      faults.push({ fromMs: dayMs + 15 * 3_600_000, toMs: dayMs + 17 * 3_600_000 });
  }
  // The station dashboard's station has a faulty thermometer in the last day, so its panel shows one.
  if (index === 1) faults.push({ fromMs: endMs - 5 * 3_600_000, toMs: endMs - 3 * 3_600_000 });
  return { outages, faults, goneAtMs: index % 40 === 7 ? endMs - 2 * 3_600_000 : null };
}

const within = (spans: { fromMs: number; toMs: number }[], ms: number) =>
  spans.some((s) => ms >= s.fromMs && ms < s.toMs);

class Seeder {
  private batch: StoredPoint[] = [];
  total = 0;
  screenings = 0;
  private n = 0;
  readonly counts: Record<string, number> = {};

  constructor(
    private readonly sink: InfluxSink,
    private readonly rng: Rng,
  ) {}

  async push(p: StoredPoint): Promise<void> {
    this.batch.push(p);
    if (this.batch.length >= 5000) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const points = this.batch;
    this.batch = [];
    await this.sink.write(points);
    this.total += points.length;
  }

  count(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  nextId(atMs: number): string {
    // ULID-shaped: the time in its first 10 characters, then a counter (Crockford base32).
    const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let time = "";
    for (let t = atMs, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = alphabet[t % 32] + time;
    let rest = "";
    for (let c = this.n++, i = 0; i < 16; i++, c = Math.floor(c / 32)) rest = alphabet[c % 32] + rest;
    return time + rest;
  }

  /** One screening of `person` at `lane`; returns its verdict. */
  async screen(
    lane: LaneSpec,
    person: Person,
    subject: string,
    attempt: 1 | 2,
    ambientC: number,
    minutesIn: number,
    atMs: number,
  ): Promise<string> {
    const { rng } = this;
    const offTarget = rng.chance(0.005);
    const object = roundCentidegree(
      offTarget
        ? ambientC + rng.uniform(3, 10)
        : sensorReadingC(foreheadC(person, ambientC, minutesIn), 0, rng),
    );
    const ambient = roundCentidegree(ambientC);
    const body = estimateBody(object, ambient, DEFAULT_CALIBRATION);
    const verdict = classify(body, attempt, ambient, DEFAULT_POLICY);
    // A device running an older policy now and then: the gateway's verdict stands, counted.
    const deviceVerdict = rng.chance(0.003) && verdict === "pass" && attempt === 1 ? "retest" : verdict;
    const id = this.nextId(atMs);
    const ts = new Date(atMs).toISOString();
    const event: ScreeningEvent = {
      v: 1,
      id,
      ts,
      station: lane.station,
      device: lane.device,
      subject,
      attempt,
      object_c: object,
      ambient_c: ambient,
      body_c: body,
      verdict: deviceVerdict,
      policy: DEFAULT_POLICY.version,
      fw: "0.1.0",
    };
    // The health code's colour at attempt 1, as the simulated platform gives it (0.3 % red, 2 % yellow).
    if (attempt === 1) event.code_colour = rng.chance(0.003) ? "red" : rng.chance(0.02) ? "yellow" : "green";
    await this.push(screeningPoint(event, verdict, idempotentTimestamp(ts, id), { clock: "ok" }));
    this.screenings++;
    this.count(attempt === 2 ? `${verdict}/attempt-2` : verdict);
    if (verdict === "fever") await this.feverAlert(lane, event, person);
    if (event.code_colour === "red" || event.code_colour === "yellow") await this.codeAlert(lane, event);
    return verdict;
  }

  /** The fever alert, closed by the duty officer with a clinical reading (most of them). */
  private async feverAlert(lane: LaneSpec, event: ScreeningEvent, person: Person): Promise<void> {
    const alert: Alert = {
      v: 1,
      id: event.id,
      kind: "fever",
      station: lane.station,
      device: lane.device,
      ts: event.ts,
      raised_at: event.ts,
      subject: event.subject,
      event_id: event.id,
      body_c: event.body_c,
    };
    const closed = this.rng.chance(0.9);
    const p = alertPoint(alert, closed ? "closed" : "new");
    if (closed) {
      const clinical = Math.round((person.coreC + this.rng.normal(0, 0.1)) * 10) / 10;
      p.fields.clinical_c = clinical;
      p.fields.confirmed = clinical >= DEFAULT_POLICY.fever_line_c ? 1 : 0;
      p.fields.disposition =
        clinical >= 38
          ? "fever-clinic"
          : clinical >= DEFAULT_POLICY.fever_line_c
            ? "home-isolation"
            : "released";
    }
    await this.push(p);
    this.count(closed ? "fever-alert/closed" : "fever-alert/new");
  }

  /** A person with a red code at `lane` a moment ago: their screening and its alert, still new. */
  async redCode(lane: LaneSpec, atMs: number): Promise<void> {
    const ts = new Date(atMs).toISOString();
    const id = this.nextId(atMs);
    const event: ScreeningEvent = {
      v: 1,
      id,
      ts,
      station: lane.station,
      device: lane.device,
      subject: `h1:${"REDCODE".padEnd(26, "A")}`,
      attempt: 1,
      object_c: 35.4,
      ambient_c: 12,
      body_c: 36.6,
      verdict: "pass",
      policy: DEFAULT_POLICY.version,
      fw: "0.1.0",
      code_colour: "red",
    };
    await this.push(screeningPoint(event, "pass", idempotentTimestamp(ts, id), { clock: "ok" }));
    this.screenings++;
    await this.codeAlert(lane, event);
  }

  /** A yellow or red code's alert, checked by hand by an officer (most of them). */
  private async codeAlert(lane: LaneSpec, event: ScreeningEvent): Promise<void> {
    const alert: Alert = {
      v: 1,
      id: `${event.id.slice(0, 25)}H`,
      kind: "health-code",
      station: lane.station,
      device: lane.device,
      ts: event.ts,
      raised_at: event.ts,
      subject: event.subject,
      event_id: event.id,
      body_c: event.body_c,
      ...(event.code_colour ? { code_colour: event.code_colour } : {}),
    };
    const closed = this.rng.chance(0.9);
    const p = alertPoint(alert, closed ? "closed" : "new");
    if (closed) p.fields.disposition = "code-checked";
    await this.push(p);
    this.count("health-code-alert");
  }

  async missedRetest(lane: LaneSpec, subject: string, atMs: number): Promise<void> {
    const ts = new Date(atMs).toISOString();
    const id = this.nextId(atMs);
    await this.push(
      alertPoint(
        {
          v: 1,
          id,
          kind: "missed-retest",
          station: lane.station,
          device: lane.device,
          ts,
          raised_at: new Date(atMs + DEFAULT_POLICY.retest_window_s * 1000).toISOString(),
          subject,
        },
        "new",
      ),
    );
    this.count("missed-retest-alert");
  }

  async reject(lane: LaneSpec, atMs: number): Promise<void> {
    const reason = REJECT_REASONS[Math.floor(this.rng.next() * REJECT_REASONS.length)] ?? "schema";
    await this.push(
      rejectPoint({
        v: 1,
        ts: new Date(atMs).toISOString(),
        topic: `checkpoint/v1/${lane.station}/${lane.device}/screening`,
        client: `${lane.station}/${lane.device}`,
        reason,
        errors: [`${reason}: seeded`],
        bytes: 300 + Math.floor(this.rng.next() * 200),
        sha256: this.nextId(atMs),
      }),
    );
    this.count(`reject/${reason}`);
  }
}

async function seed(sink: InfluxSink, endMs: number): Promise<Seeder> {
  const rng = new Rng(30);
  const seeder = new Seeder(sink, rng);
  const lanes = cityLayout();
  const startMs = endMs - DAYS * DAY;
  const lives = lanes.map((_, i) => laneLife(i, startMs, endMs));
  // Gateway counters, cumulative as the gateway keeps them.
  const counters = { received: 0, duplicates: 0, disagreements: 0 };
  for (let day = 0; day < DAYS; day++) {
    const dayMs = startMs + day * DAY;
    // What the gateway counted in each minute of the day, for its cumulative counters.
    const perMinute = {
      received: new Array<number>(1440).fill(0),
      duplicates: new Array<number>(1440).fill(0),
      disagreements: new Array<number>(1440).fill(0),
    };
    const bump = (counter: keyof typeof perMinute, atMs: number, by = 1) => {
      const minute = Math.min(1439, Math.max(0, Math.floor((atMs - dayMs) / 60_000)));
      (perMinute[counter] as number[])[minute] = ((perMinute[counter] as number[])[minute] ?? 0) + by;
    };
    for (const [index, lane] of lanes.entries()) {
      const life = lives[index] as LaneLife;
      let online = true;
      await seeder.push(statusPoint(lane.station, lane.device, true, dayMs));
      let backlog = 0;
      for (let minute = 0; minute < 1440; minute++) {
        const atMs = dayMs + minute * 60_000;
        if (atMs >= endMs || (life.goneAtMs !== null && atMs >= life.goneAtMs)) {
          if (online && life.goneAtMs !== null && atMs >= life.goneAtMs) {
            await seeder.push(statusPoint(lane.station, lane.device, false, life.goneAtMs));
            seeder.count("device-offline-now");
            online = false;
          }
          break;
        }
        const out = within(life.outages, atMs);
        if (out === online) {
          // The link dropped (its last will) or came back (its retained status, its outbox replayed).
          online = !out;
          await seeder.push(statusPoint(lane.station, lane.device, online, atMs));
          // The replayed outbox: a few events whose PUBACK was lost arrive twice.
          if (online) bump("duplicates", atMs, 1 + Math.floor(rng.next() * 5));
          else seeder.count("outage");
        }
        const outdoor = outdoorC(WINTER, atMs);
        const ambient = laneAmbientC(lane.kind, outdoor);
        if (minute % 5 === 0 && online) {
          await seeder.push(
            telemetryPoint(
              lane.station,
              lane.device,
              {
                v: 1,
                ts: new Date(atMs).toISOString(),
                ambient_c: Math.round(ambient * 100) / 100,
                sensor_ok: !within(life.faults, atMs),
                outbox: backlog,
                uptime_s: day * 86_400 + minute * 60,
                fw: "0.1.0",
                config_version: "bench",
              },
              atMs,
            ),
          );
          backlog = Math.floor(backlog / 4);
        }
        const expected = arrivalsPerMinute(lane.kind, atMs);
        for (let r = rng.exponential(1); r < expected; r += rng.exponential(1)) {
          if (!online) backlog++;
          const person = makePerson(rng, outdoor, { feverShare: 0.01 });
          const subject = `h1:${rng.text(26, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`;
          const t = atMs + Math.floor(rng.next() * 60_000);
          const minutesIn = lane.kind === "community" ? 10 : rng.uniform(0.5, 3);
          const verdict = await seeder.screen(lane, person, subject, 1, ambient, minutesIn, t);
          bump("received", t);
          if (rng.chance(0.003)) bump("disagreements", t);
          if (rng.chance(0.0005)) await seeder.reject(lane, t);
          if (verdict !== "retest") continue;
          const restMin = DEFAULT_POLICY.rest_min + rng.uniform(0, 5);
          if (rng.chance(0.1) || t + DEFAULT_POLICY.retest_window_s * 1000 > endMs) {
            if (t + DEFAULT_POLICY.retest_window_s * 1000 <= endMs)
              await seeder.missedRetest(lane, subject, t);
            continue;
          }
          const roomC = rng.uniform(18, 24);
          const t2 = t + Math.round(restMin * 60_000);
          await seeder.screen(lane, { ...person, comingFromC: ambient }, subject, 2, roomC, restMin, t2);
          bump("received", t2);
        }
      }
    }
    for (let minute = 0; minute < 1440; minute++) {
      const atMs = dayMs + minute * 60_000;
      if (atMs >= endMs) break;
      counters.received += perMinute.received[minute] ?? 0;
      counters.disagreements += perMinute.disagreements[minute] ?? 0;
      // Lanes that lost a PUBACK on a flaky link now and then resend one.
      counters.duplicates += (perMinute.duplicates[minute] ?? 0) + (rng.chance(0.05) ? 1 : 0);
      // The InfluxDB write path: short outages, spooled, then drained (one 90 min before the end,
      // so the default range shows one too).
      const spoolMinute =
        day % 10 === 4 && minute >= 120 && minute < 140
          ? minute - 119
          : atMs >= endMs - 100 * 60_000 && atMs < endMs - 80 * 60_000
            ? Math.ceil((atMs - (endMs - 100 * 60_000)) / 60_000) + 1
            : 0;
      const spooling = spoolMinute > 0;
      await seeder.push(
        gatewayPoint(
          "gw-1",
          {
            ...counters,
            spool_bytes: spoolMinute * 40_000,
            write_ms: spooling ? 2000 : 3 + Math.floor(rng.next() * 6),
          },
          atMs,
        ),
      );
    }
    say(`  seeded day ${day + 1}/${DAYS}: ${seeder.screenings} screenings so far`);
  }
  await recentIncidents(seeder, lanes, endMs);
  await stationActivity(seeder, lanes, endMs);
  await peopleFlowsAndLanes(seeder, lanes, startMs, endMs);
  await seeder.flush();
  return seeder;
}

/**
 * What the gateway writes beside the screenings for the whole period: the city's people flows
 * once a minute (a roster of 40–120 people, most read by evening) and every lane named, its
 * `lane` point every 10 minutes (LANE_EVERY_MS), online but for its outages.
 */
async function peopleFlowsAndLanes(
  seeder: Seeder,
  lanes: LaneSpec[],
  startMs: number,
  endMs: number,
): Promise<void> {
  for (let atMs = startMs; atMs < endMs; atMs += 60_000) {
    const dayShare = ((atMs + 8 * 3_600_000) % DAY) / DAY;
    const active = 40 + Math.round(80 * Math.abs(Math.sin(atMs / (7 * DAY))));
    const read = Math.round(active * Math.min(1, dayShare * 1.3));
    await seeder.push(
      peopleFlowPoint(
        {
          roster_active: active,
          roster_read_today: read,
          compliance: active === 0 ? 1 : read / active,
          handed_over_today: Math.round(dayShare * 12),
          transferred_today: Math.round(dayShare * 5),
          clinic_results_today: Math.round(dayShare * 4),
        },
        atMs,
      ),
    );
  }
  for (let atMs = startMs; atMs < endMs; atMs += LANE_EVERY_MS)
    for (const [i, lane] of lanes.entries())
      await seeder.push(
        pointOf(
          "lane",
          { station: lane.station, device: lane.device },
          { name: `${i + 1}号通道`, online: 1 },
          nsFromMs(atMs),
        ),
      );
  seeder.count("people-flow-and-lane-days");
}

/**
 * The last day of the gateway's station_activity points (one per station a minute: the station
 * variable, the stations table, the silence rule): community points open 06:00-22:00, highway
 * stations all day; every station heard from every few minutes, none in the last 3 minutes, and one
 * silent for the last hour.
 */
async function stationActivity(seeder: Seeder, lanes: LaneSpec[], endMs: number): Promise<void> {
  const stations = [...new Map(lanes.map((l) => [l.station, l.kind])).entries()].map(([id, kind], i) => ({
    station: { id, name: null, name_en: null, hours: kind === "community" ? "06:00-22:00" : "00:00-24:00" },
    silentFromMs: i === 3 ? endMs - 3_600_000 : endMs - 3 * 60_000,
  }));
  const activity = new StationActivity(endMs - DAY);
  for (let minute = 0; minute < 1440; minute++) {
    const atMs = endMs - DAY + minute * 60_000;
    for (const [i, s] of stations.entries()) {
      if (atMs < s.silentFromMs && (minute + i) % 4 === 0) activity.heardFrom(s.station.id, atMs);
    }
    for (const point of activity.points(
      stations.map((s) => s.station),
      atMs,
      "Asia/Shanghai",
    ))
      await seeder.push(point);
  }
  seeder.count("station-activity-days");
}

/**
 * Today's panels must have something to show even just after midnight: a few incidents in the
 * last minutes (two fevers found on retest, a walk-off alert that fell due, a reject).
 */
async function recentIncidents(seeder: Seeder, lanes: LaneSpec[], endMs: number): Promise<void> {
  const feverish: Person = {
    coreC: 38.6,
    febrile: true,
    k: 0.11,
    skinOffsetC: 0,
    comingFromC: 20,
    tauMin: 4,
  };
  for (const lane of lanes.slice(0, 2)) {
    const subject = `h1:${"RECENT".padEnd(26, "A")}`;
    await seeder.screen(lane, feverish, subject, 2, 21, 25, endMs - 120_000);
  }
  const lane = lanes[2] as LaneSpec;
  await seeder.missedRetest(
    lane,
    `h1:${"WALKOFF".padEnd(26, "A")}`,
    endMs - DEFAULT_POLICY.retest_window_s * 1000 - 60_000,
  );
  await seeder.reject(lane, endMs - 60_000);
  await seeder.redCode(lane, endMs - 90_000);
}

interface Timing {
  dashboard: string;
  panel: string;
  range: string;
  interval: string;
  /** From the start of the dashboard load to this panel's data (what the officer waits). */
  loadMs: number[];
  /** The panel's own request (its targets one after another). */
  requestMs: number[];
  rows: number;
  /** Some non-null, non-zero value to draw. */
  drawable: boolean;
}

async function query(influx: InfluxdHandle, q: string): Promise<{ rows: number; drawable: boolean }> {
  const res = await fetch(`${influx.url}/query?db=checkpoint&epoch=ms&q=${encodeURIComponent(q)}`, {
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await res.json()) as {
    results: { error?: string; series?: { values: unknown[][] }[] }[];
  };
  const result = body.results[0];
  if (!res.ok || result?.error) throw new Error(`query failed: ${result?.error ?? res.status}: ${q}`);
  let rows = 0;
  let drawable = false;
  for (const s of result?.series ?? []) {
    rows += s.values.length;
    for (const row of s.values) {
      if (row.slice(1).some((v) => v !== null && v !== 0 && v !== "")) drawable = true;
    }
  }
  return { rows, drawable };
}

/** One dashboard load as Grafana does it; adds each panel's times to `timings`. */
async function loadDashboard(
  influx: InfluxdHandle,
  name: string,
  from: string,
  panels: Map<string, PanelQuery[]>,
  timings: Map<string, Timing>,
  rangeLabel: string,
  variables: string | null,
): Promise<void> {
  const nowMs = Date.now();
  const t0 = performance.now();
  const record = (
    panel: string,
    interval: string,
    requestMs: number,
    r: { rows: number; drawable: boolean },
  ) => {
    const key = `${name}|${panel}|${rangeLabel}`;
    const t =
      timings.get(key) ??
      ({
        dashboard: name,
        panel,
        range: rangeLabel,
        interval,
        loadMs: [],
        requestMs: [],
        rows: 0,
        drawable: false,
      } as Timing);
    t.loadMs.push(performance.now() - t0);
    t.requestMs.push(requestMs);
    t.rows = r.rows;
    t.drawable = r.drawable;
    timings.set(key, t);
  };
  if (variables) {
    // Variables refresh on load, before any panel asks for data.
    const started = performance.now();
    const r = await query(influx, variables);
    record("(variable station)", "-", performance.now() - started, r);
  }
  const jobs = [...panels.entries()].map(([panel, targets]) => async () => {
    const started = performance.now();
    let rows = 0;
    let drawable = true;
    let interval = "";
    for (const q of targets) {
      const range = panelRange(from, q.timeFrom, nowMs);
      interval = grafanaInterval(
        range.toMs - range.fromMs,
        maxDataPoints(q.widthCols, q.maxDataPoints),
        q.minInterval,
      );
      const r = await query(influx, grafanaQuery(q.query, range, interval, { station: STATION }));
      rows += r.rows;
      // Every target of the panel must have something to draw.
      drawable &&= r.drawable;
    }
    record(panel, interval, performance.now() - started, { rows, drawable });
  });
  await inFetchQueue(jobs, MAX_PARALLEL_DATA_REQUESTS);
}

async function main(): Promise<void> {
  const dir = tempDir("bench-dash");
  cleanup.push(() => dir.remove());
  const influx = await startInfluxd(join(dir.path, "influx"));
  cleanup.push(() => influx.stop());
  const sink = new InfluxSink({
    url: influx.url,
    database: "checkpoint",
    retentionDays: 400,
    timeoutMs: 60_000,
  });
  cleanup.push(() => sink.close());
  await sink.prepare();
  await sink.prepareRollups();
  const endMs = Date.now();
  say(`seeding ${DAYS} days of the default city into ${influx.url} …`);
  const seeded = await seed(sink, endMs);
  say(`rolling up ${DAYS} days …`);
  for (let day = 0; day < DAYS; day++) {
    const from = endMs - (DAYS - day) * DAY;
    await backfillRollups(sink.client, "checkpoint", "raw", from, Math.min(from + DAY, endMs + 1));
  }
  say(`loading every dashboard as Grafana does, ${RUNS} times per range …`);
  const timings = new Map<string, Timing>();
  for (const [name, dashboard] of Object.entries(buildAll())) {
    const from = String(dashboard.time?.from ?? "now-6h");
    const byPanel = new Map<string, PanelQuery[]>();
    for (const q of panelQueries(name, dashboard)) byPanel.set(q.panel, [...(byPanel.get(q.panel) ?? []), q]);
    const variable = (dashboard.templating?.list ?? [])
      .map((v) => (v as { query?: unknown }).query)
      .find((q): q is string => typeof q === "string");
    for (const [rangeLabel, rangeFrom] of [
      ["default", from],
      [`${DAYS}d`, `now-${DAYS}d`],
    ] as const) {
      for (let run = 0; run < RUNS; run++) {
        await loadDashboard(influx, name, rangeFrom, byPanel, timings, rangeLabel, variable ?? null);
      }
      say(`  ${name} / ${rangeLabel}: ${RUNS} loads`);
    }
  }
  await cleanup.run();
  // One-code tracing at a city's volume: 28 days × 100,000 screenings (trace-load.ts).
  const traced = await measureTrace({
    days: 28,
    perDay: 100_000,
    people: 400_000,
    lookups: 400,
    seed: 20261129,
    say,
  });

  const panels = [...timings.values()].map((t) => ({
    dashboard: t.dashboard,
    panel: t.panel,
    range: t.range,
    interval: t.interval,
    p95_ms: Math.round(percentile(t.loadMs, 95)),
    request_p95_ms: Math.round(percentile(t.requestMs, 95)),
    rows: t.rows,
    drawable: t.drawable,
  }));
  const worst = panels.reduce((a, b) => (b.p95_ms > a.p95_ms ? b : a));
  const empty = panels.filter((p) => !p.drawable).map((p) => `${p.dashboard} / ${p.panel} / ${p.range}`);
  const result = {
    worst_p95_ms: worst.p95_ms,
    worst_panel: `${worst.dashboard} / ${worst.panel} / ${worst.range}`,
    target_worst_p95_ms: TARGET_WORST_P95_MS,
    met:
      worst.p95_ms <= TARGET_WORST_P95_MS && empty.length === 0 && traced.trace_p95_ms <= TRACE_TARGET_P95_MS,
    ...traced,
    trace_target_p95_ms: TRACE_TARGET_P95_MS,
    trace_met: traced.trace_p95_ms <= TRACE_TARGET_P95_MS,
    empty_results: empty,
    days: DAYS,
    points: seeded.total,
    screenings: seeded.screenings,
    seeded: seeded.counts,
    runs_per_range: RUNS,
    parallel_requests: MAX_PARALLEL_DATA_REQUESTS,
    panels,
    simplifications: [
      {
        what: "queries go straight to influxd, not through a Grafana server and its data frames",
        leans: "optimistic: Grafana adds its proxying and response parsing to every panel",
      },
      {
        what: "one viewer; the dashboards refresh every 30 s for every officer who has them open",
        leans: "optimistic: several viewers load the same panels at once",
      },
      {
        what: "every panel is loaded, as if all were in view (Grafana loads panels lazily as they scroll in)",
        leans: "pessimistic: more requests queue behind the 5 in flight",
      },
      {
        what: "5 data requests in flight (HTTP/1.1); with HTTP/2 Grafana allows 1000",
        leans: "pessimistic for the load time of the last panels, optimistic for influxd's contention",
      },
      {
        what: "a 1920 px window with the side menu closed: panel width in pixels is the max data points",
        leans: "pessimistic: more points, smaller $__interval, more rows than on a laptop",
      },
      {
        what: "the first load after seeding is cold and counted (7 runs: p95 is the slowest)",
        leans: "pessimistic",
      },
      {
        what: "influxd on this machine, the seed written just before (hot caches, compactions pending)",
        leans: "both ways: warm page cache, but TSM compactions still running",
      },
    ],
    measured_at: new Date().toISOString(),
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  for (const p of [...panels].sort((a, b) => b.p95_ms - a.p95_ms).slice(0, 8)) {
    say(
      `  ${String(p.p95_ms).padStart(6)} ms (own request ${p.request_p95_ms} ms)  ${p.dashboard} / ${p.panel} / ${p.range} ` +
        `(${p.rows} rows, $__interval ${p.interval})`,
    );
  }
  if (empty.length) say(`FAILED: ${empty.length} panels timed on an empty result: ${empty.join("; ")}`);
  say(`worst p95 ${result.worst_p95_ms} ms (${result.worst_panel}); wrote ${OUT}`);
  process.stdout.write(
    `${JSON.stringify({ worst_p95_ms: result.worst_p95_ms, worst_panel: result.worst_panel, empty_results: empty, points: seeded.total })}\n`,
  );
  if (empty.length) process.exitCode = 1;
}

main().catch(async (error: Error) => {
  say(`bench:dashboards failed: ${error.stack ?? error.message}`);
  await cleanup.run();
  process.exit(1);
});
