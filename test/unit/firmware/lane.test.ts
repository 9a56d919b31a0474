import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PatternName } from "../../../firmware/hardware/indicators.ts";
import type { ThermoReading } from "../../../firmware/hardware/mlx90614.ts";
import { Lane } from "../../../firmware/lane/lane.ts";
import { outcomeText } from "../../../firmware/lane/outcome-text.ts";
import { type LinkEntry, StationLink } from "../../../firmware/lane/station-link.ts";
import { loadWaiting, saveWaiting } from "../../../firmware/lane/waiting-file.ts";
import {
  classify,
  DEFAULT_CALIBRATION,
  DEFAULT_POLICY,
  type FeverPolicy,
  type IdentityKind,
  type LaneContext,
  type LaneRole,
  REST_SKIP_CODE,
  type ScreeningEvent,
  StationKeyring,
  type Waiting,
} from "../../../protocol/index.ts";
import { freePort } from "../../../scripts/influxd.ts";
import { testPrivacy } from "../../support/device-keys.ts";
import { quietLog, tempDir } from "../../support/tmp.ts";

const UID = "Zq3vK8mN2pR7sT1wX4yB6c";
/** A person's health code as shown at `t` (Unix s): it refreshes, its holder token does not. */
const healthCode = (t: number, uid = UID) =>
  `https://hc.gov.example/q?v=2&r=44&uid=${uid}&t=${t}&sig=S${t.toString(36)}x9Qm`;

/** One gateway's keys for every rig: lanes of one station get the same station keys. */
const privacy = testPrivacy();
const T0 = Date.parse("2026-11-29T08:00:00Z");

/** The stored pseudonym the gateway makes of an event's sealed subject. */
function storedSubject(e: ScreeningEvent | undefined, gateway = privacy): string {
  const r = e ? gateway.subjects.rekeyHere(e) : null;
  if (!r?.ok) throw new Error(r ? r.error : "no event");
  return r.subject;
}

interface RigOptions {
  accept?: readonly IdentityKind[];
  context?: LaneContext;
  device?: string;
  start?: number;
  /** The station keys as the gateway handed them out at this time (default: at the start). */
  keysAt?: number;
  gateway?: ReturnType<typeof testPrivacy>;
  role?: LaneRole;
  technicianUntilMs?: number;
  onWaitingChange?: (entry: Waiting, op: "wait" | "done") => void;
  policy?: FeverPolicy;
}

function rig(readings: () => ThermoReading, options: RigOptions = {}) {
  let now = options.start ?? T0;
  const shown: PatternName[] = [];
  const queued: ScreeningEvent[] = [];
  let n = 0;
  let reads = 0;
  const stationKeys = new StationKeyring(() => DEFAULT_POLICY.retest_window_s * 1000);
  const keys = (options.gateway ?? privacy).deviceKeys("hw-01", options.keysAt ?? now);
  stationKeys.set(keys.station_keys, now);
  const lane = new Lane({
    station: "hw-01",
    device: options.device ?? "lane-1",
    fw: "test",
    config: () => ({
      policy: options.policy ?? DEFAULT_POLICY,
      calibration: DEFAULT_CALIBRATION,
      seal: keys.seal,
      accept: options.accept,
      ...(options.context ? { context: options.context } : {}),
    }),
    stationKeys,
    read: async () => {
      reads++;
      return readings();
    },
    show: (p) => shown.push(p),
    enqueue: (e) => {
      queued.push(e);
      return true;
    },
    outboxFull: () => false,
    now: () => now,
    newId: () => `01JDA${String(n++).padStart(21, "0")}`,
    measureOptions: { samples: 3, intervalMs: 0, maxSpreadC: 0.4 },
    ...(options.role ? { role: options.role } : {}),
    ...(options.technicianUntilMs === undefined ? {} : { technicianUntilMs: options.technicianUntilMs }),
    ...(options.onWaitingChange ? { onWaitingChange: options.onWaitingChange } : {}),
  });
  const advance = (ms: number) => {
    now += ms;
  };
  const at = (ms: number) => {
    now = ms;
  };
  return { lane, shown, queued, advance, at, stationKeys, reads: () => reads };
}

// A forehead reading of 34.9 °C in 21 °C air estimates a body temperature of about 36.4 °C.
const normal = (): ThermoReading => ({ ok: true, objectC: 34.9, ambientC: 21 });
const hot = (): ThermoReading => ({ ok: true, objectC: 36.4, ambientC: 21 });

describe("lane", () => {
  it("screens a person, sends the identity sealed to the gateway only, and shows the verdict", async () => {
    const r = rig(normal);
    const out = await r.lane.onScan(healthCode(1764403200));
    expect(out.kind === "screened" && out.verdict).toBe("pass");
    expect(JSON.stringify(r.queued)).not.toContain(UID);
    expect(r.queued[0]?.subject).toMatch(/^h3:1:[A-Za-z0-9_-]+$/);
    expect(storedSubject(r.queued[0])).toMatch(/^g1:/);
    expect(r.shown.at(-1)).toBe("pass");
    // A person who passes leaves nothing behind at the lane.
    expect(r.lane.waiting.size).toBe(0);
  });

  it("a retest point judges attempt 2 against the people it has just measured once it has enough of them", async () => {
    const policy: FeverPolicy = {
      ...DEFAULT_POLICY,
      reference: { confirm_delta_c: 1, confirm_z: 2, window: 10, min_count: 5, max_age_s: 600, clamp_c: 1 },
    };
    let objectC = 36.4;
    const r = rig(() => ({ ok: true, objectC, ambientC: 21 }), { policy });
    const uid = (i: number) => `${UID.slice(0, -2)}${"ABCDEFGHIJ"[i]}x`;
    const screen = async (i: number, t: number) => {
      objectC = 36.4;
      await r.lane.onScan(healthCode(t, uid(i)));
    };
    // Ten people sent to rest, all waiting at once.
    for (let i = 0; i < 8; i++) await screen(i, 1764403200 + i);
    expect(r.queued.every((e) => e.verdict === "retest")).toBe(true);
    r.advance(DEFAULT_POLICY.rest_min * 60_000);
    // A warm room (or a device reading high): every rested forehead here estimates about 37.8 °C,
    // above the absolute line. Before there are min_count of them, the absolute line decides.
    objectC = 36.14;
    for (let i = 0; i < 5; i++) await r.lane.onScan(healthCode(1764404500 + i, uid(i)));
    const first = r.queued.slice(8);
    expect(first.map((e) => e.verdict)).toEqual(["fever", "fever", "fever", "fever", "fever"]);
    expect(first.every((e) => e.reference_c === undefined)).toBe(true);
    // From the sixth on, the same reading is what everybody here reads: a pass, and the event says
    // which reference it was judged by, so the gateway judges it the same.
    await r.lane.onScan(healthCode(1764404510, uid(5)));
    const sixth = r.queued.at(-1) as ScreeningEvent;
    expect(sixth).toMatchObject({
      attempt: 2,
      verdict: "pass",
      reference_c: sixth.body_c,
      reference_mad_c: 0,
    });
    expect(
      classify(sixth.body_c, 2, sixth.ambient_c, policy, {
        reference: { medianC: sixth.reference_c as number, madC: sixth.reference_mad_c as number },
      }),
    ).toBe("pass");
    // A person a degree above the people around them is referred.
    objectC = 37.05;
    await r.lane.onScan(healthCode(1764404520, uid(6)));
    expect(r.queued.at(-1)).toMatchObject({ attempt: 2, verdict: "fever" });
    expect((r.queued.at(-1) as ScreeningEvent).reference_c).toBeCloseTo(sixth.body_c, 2);
    // Past max_age_s the old readings no longer count: the absolute line again.
    r.advance(601_000);
    objectC = 36.14;
    await r.lane.onScan(healthCode(1764408200, uid(7)));
    expect(r.queued.at(-1)).toMatchObject({ verdict: "fever" });
    expect((r.queued.at(-1) as ScreeningEvent).reference_c).toBeUndefined();
  });

  it("asks for a retest, refuses a retest before the rest, then takes attempt 2 (the code refreshed each time)", async () => {
    const r = rig(hot);
    expect((await r.lane.onScan(healthCode(1764403200))).kind).toBe("screened");
    expect(r.queued[0]?.verdict).toBe("retest");
    r.advance(5 * 60_000);
    const early = await r.lane.onScan(healthCode(1764403500));
    expect(early).toEqual({ kind: "rest-more", minutesLeft: DEFAULT_POLICY.rest_min - 5 });
    expect(r.queued).toHaveLength(1);
    r.advance((DEFAULT_POLICY.rest_min - 4) * 60_000);
    await r.lane.onScan(healthCode(1764404460));
    expect(r.queued[1]).toMatchObject({ attempt: 2, verdict: "fever" });
    // Two seals of one person look nothing alike; the gateway makes them one pseudonym.
    expect(r.queued[1]?.subject).not.toBe(r.queued[0]?.subject);
    expect(storedSubject(r.queued[1])).toBe(storedSubject(r.queued[0]));
    expect(r.lane.waiting.size).toBe(0);
  });

  it("takes the retest of a person who showed their ID card with the number typed in", async () => {
    const r = rig(hot);
    await r.lane.onScan("IDCARD:11010519491231002X");
    r.advance((DEFAULT_POLICY.rest_min + 1) * 60_000);
    await r.lane.onScan("110105 19491231 002x");
    expect(r.queued.map((e) => e.attempt)).toEqual([1, 2]);
    expect(storedSubject(r.queued[1])).toBe(storedSubject(r.queued[0]));
    expect(JSON.stringify(r.queued)).not.toContain("19491231");
  });

  it("tells two people's health codes apart", async () => {
    const r = rig(hot);
    await r.lane.onScan(healthCode(1764403200));
    r.advance((DEFAULT_POLICY.rest_min + 1) * 60_000);
    await r.lane.onScan(healthCode(1764404460, "Aa3vK8mN2pR7sT1wX4yB6c"));
    expect(r.queued.map((e) => e.attempt)).toEqual([1, 1]);
  });

  it("refuses a code it does not take, says why, counts it, and measures and sends nothing", async () => {
    const r = rig(normal);
    expect(await r.lane.onScan("HC-0001")).toEqual({ kind: "refused", reason: "unrecognised" });
    expect(await r.lane.onScan("110105194912310021")).toEqual({
      kind: "refused",
      reason: "cn-id-check-digit",
    });
    expect(r.lane.counts.refused).toBe(2);
    expect(r.reads()).toBe(0);
    expect(r.queued).toEqual([]);
    expect(r.shown.at(-1)).toBe("refused");
  });

  it("takes plain codes only where its config enables them", async () => {
    const r = rig(normal, { accept: ["cn-id", "health-code", "plain"] });
    const out = await r.lane.onScan("HC-0001");
    expect(out.kind === "screened" && out.verdict).toBe("pass");
    expect(JSON.stringify(r.queued)).not.toContain("HC-0001");
    const onlyIds = rig(normal, { accept: ["cn-id"] });
    expect(await onlyIds.lane.onScan(healthCode(1764403200))).toEqual({
      kind: "refused",
      reason: "health-code-not-accepted",
    });
  });

  it("invents nothing when the sensor fails, and says so", async () => {
    const r = rig(() => ({ ok: false, fault: "bad-pec" }));
    expect(await r.lane.onScan(healthCode(1764403200))).toEqual({ kind: "fault", fault: "bad-pec" });
    expect(r.queued).toEqual([]);
    expect(r.shown.at(-1)).toBe("fault");
    expect(r.lane.sensorFault).toBe("bad-pec");
  });

  it("rejects an unstable measurement (the person moved) without sending anything", async () => {
    let i = 0;
    const r = rig(() => ({ ok: true, objectC: [34.0, 35.5, 34.2][i++ % 3] ?? 34, ambientC: 21 }));
    expect((await r.lane.onScan(healthCode(1764403200))).kind).toBe("unstable");
    expect(r.queued).toEqual([]);
    expect(r.shown.at(-1)).toBe("remeasure");
  });

  it("never reads the sensor twice at once, and the idle poll leaves a person's verdict on", async () => {
    let inFlight = 0;
    let overlap = 0;
    const shown: PatternName[] = [];
    const lane = new Lane({
      station: "hw-01",
      device: "lane-1",
      fw: "test",
      config: () => ({
        policy: DEFAULT_POLICY,
        calibration: DEFAULT_CALIBRATION,
        seal: privacy.keys.sealKey(),
      }),
      stationKeys: new StationKeyring(() => 0),
      read: async () => {
        inFlight++;
        if (inFlight > 1) overlap++;
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        // A read that collided on the bus would fail; this one fails only if it overlapped.
        return inFlight > 0 ? { ok: false, fault: "bad-pec" } : normal();
      },
      show: (p) => shown.push(p),
      enqueue: () => true,
      outboxFull: () => false,
      now: () => Date.now(),
      newId: () => "01JDA000000000000000000000",
      measureOptions: { samples: 3, intervalMs: 0, maxSpreadC: 0.4 },
    });
    const poll = lane.checkSensor();
    const scan = lane.onScan("IDCARD:11010519491231002X");
    const [, out] = await Promise.all([poll, scan]);
    expect(overlap).toBe(0);
    expect(out.kind === "screened" && out.verdict).toBe("pass");
    expect(shown.at(-1)).toBe("pass");
  });
});

describe("lane: station keys by day (Asia/Shanghai), offline", () => {
  // 23:40 in Shanghai on 29 November (UTC+8): midnight is 16:00Z.
  const BEFORE_MIDNIGHT = Date.parse("2026-11-29T15:40:00Z");
  const MIDNIGHT = Date.parse("2026-11-29T16:00:00Z");
  const WINDOW = DEFAULT_POLICY.retest_window_s * 1000;
  /** Back after the rest the policy asks for. */
  const REST = (DEFAULT_POLICY.rest_min + 1) * 60_000;

  it("recognises after midnight a person sent to rest before it, with the keys it was given in advance", async () => {
    const r = rig(hot, { start: BEFORE_MIDNIGHT });
    await r.lane.onScan("IDCARD:11010519491231002X");
    expect(r.queued[0]?.verdict).toBe("retest");
    r.at(MIDNIGHT + 5 * 60_000);
    await r.lane.onScan("110105 19491231 002x");
    expect(r.queued[1]).toMatchObject({ attempt: 2, verdict: "fever" });
    // New waiting entries are made with the new day's key.
    await r.lane.onScan(healthCode(1764432300));
    expect(r.lane.waiting.list().map((w) => w.keyId)).toEqual(["2026-11-30/0"]);
  });

  it("drops the past day's key from its saved config at midnight, and from memory one retest window later", () => {
    const r = rig(hot, { start: BEFORE_MIDNIGHT });
    const persisted = () => r.stationKeys.persisted().map((k) => k.id);
    expect(persisted()[0]).toBe("2026-11-29/0");
    expect(persisted()).toHaveLength(7);
    r.stationKeys.tick(MIDNIGHT + 1);
    expect(persisted()).not.toContain("2026-11-29/0");
    expect(r.stationKeys.get("2026-11-29/0")).toBeDefined(); // memory only, for who waits
    r.stationKeys.tick(MIDNIGHT + WINDOW + 1);
    expect(r.stationKeys.get("2026-11-29/0")).toBeUndefined();
    expect(r.stationKeys.heldIds()).not.toContain("2026-11-29/0");
    expect(r.stationKeys.heldIds()).toEqual(persisted());
  });

  it("forgets a person sent to rest once the window has passed (they are a first attempt again)", async () => {
    const r = rig(hot, { start: BEFORE_MIDNIGHT });
    await r.lane.onScan("IDCARD:11010519491231002X");
    r.at(BEFORE_MIDNIGHT + WINDOW + 60_000);
    await r.lane.onScan("IDCARD:11010519491231002X");
    expect(r.queued.map((e) => e.attempt)).toEqual([1, 1]);
  });

  it("keeps matching offline for the six days ahead, then with a key of its own (this lane only)", async () => {
    const r = rig(hot, { start: T0 });
    // Six days later, still offline: the key of that day was handed out on the first.
    r.at(T0 + 6 * 86_400_000);
    await r.lane.onScan("IDCARD:11010519491231002X");
    expect(r.lane.waiting.list()[0]?.keyId).toBe("2026-12-05/0");
    r.advance(REST);
    await r.lane.onScan("IDCARD:11010519491231002X");
    expect(r.queued.map((e) => e.attempt)).toEqual([1, 2]);
    // A week later it holds no key of the gateway's any more: it still matches, on its own.
    r.at(T0 + 7 * 86_400_000);
    r.stationKeys.tick(T0 + 7 * 86_400_000);
    expect(r.stationKeys.persisted()).toEqual([]);
    await r.lane.onScan("IDCARD:11010519491231002X");
    expect(r.lane.waiting.list()[0]?.keyId).toMatch(/^local-/);
    r.advance(REST);
    await r.lane.onScan("IDCARD:11010519491231002X");
    expect(r.queued.map((e) => e.attempt)).toEqual([1, 2, 1, 2]);
    // Every event still opens at the gateway.
    expect(new Set(r.queued.map((e) => storedSubject(e))).size).toBe(1);
  });

  it("recognises a person sent to rest at another lane of its station (the waiting list shared)", async () => {
    const one = rig(hot, { start: T0 });
    const two = rig(hot, { start: T0, device: "lane-2" });
    await one.lane.onScan(healthCode(1764403200));
    for (const w of one.lane.waiting.list()) two.lane.waiting.merge(w);
    two.advance(REST);
    await two.lane.onScan(healthCode(1764404460));
    expect(two.queued[0]).toMatchObject({ attempt: 2, device: "lane-2", verdict: "fever" });
    expect(storedSubject(two.queued[0])).toBe(storedSubject(one.queued[0]));
  });

  it("keeps matching across a station-key rotation: who waits under the replaced key is still found", async () => {
    const gateway = testPrivacy();
    const r = rig(hot, { start: T0, gateway });
    await r.lane.onScan("IDCARD:11010519491231002X");
    gateway.stations.rotate("hw-01"); // `npm run gateway -- rotate-station-keys hw-01`
    const replaced = gateway.deviceKeys("hw-01", T0).station_keys;
    expect(replaced[0]?.id).toBe("2026-11-29/1");
    r.stationKeys.set(replaced, T0 + 60_000);
    expect(r.stationKeys.persisted()).toEqual(replaced);
    r.advance(REST);
    await r.lane.onScan("IDCARD:11010519491231002X");
    expect(r.queued.map((e) => e.attempt)).toEqual([1, 2]);
    r.advance(WINDOW);
    r.stationKeys.tick(T0 + REST + 60_000 + WINDOW);
    expect(r.stationKeys.heldIds()).toEqual(replaced.map((k) => k.id));
  });
});

describe("lane: context", () => {
  it("estimates and judges with its context and sends it; a lane without one sends none", async () => {
    const cold = (): ThermoReading => ({ ok: true, objectC: 27.5, ambientC: 2 });
    const walkUp = rig(cold, { context: "walk-up" });
    await walkUp.lane.onScan(healthCode(1764403200));
    const e = walkUp.queued[0];
    expect(e?.context).toBe("walk-up");
    // A cold forehead at a walk-up gate says little: the walk-up line sends it to rest.
    expect(e?.verdict).toBe("retest");
    const legacy = rig(normal);
    await legacy.lane.onScan(healthCode(1764403200));
    expect(legacy.queued[0]).not.toHaveProperty("context");
  });

  it("never calls a hot forehead invalid, in any context", async () => {
    for (const context of ["drive-through", "walk-up", "indoor"] as const) {
      const r = rig(() => ({ ok: true, objectC: 40.5, ambientC: -8 }), { context });
      await r.lane.onScan(healthCode(1764403200));
      expect(r.queued[0]?.verdict).toBe("retest");
    }
  });

  it("calls what no forehead can be invalid (a hot cup), and sends it as such", async () => {
    const r = rig(() => ({ ok: true, objectC: 55, ambientC: 20 }), { context: "walk-up" });
    await r.lane.onScan(healthCode(1764403200));
    expect(r.queued[0]?.verdict).toBe("invalid");
  });
});

describe("technician mode: the rest skipped on the bench", () => {
  it("ends every rest on the technician's code while the lane is in technician mode, and only then", async () => {
    const bench = rig(hot, { technicianUntilMs: T0 + 3_600_000 });
    await bench.lane.onScan(healthCode(1764403200));
    expect(bench.queued[0]?.verdict).toBe("retest");
    expect(await bench.lane.onScan(REST_SKIP_CODE)).toEqual({ kind: "rest-skipped", people: 1 });
    await bench.lane.onScan(healthCode(1764403260));
    expect(bench.queued[1]).toMatchObject({ attempt: 2, verdict: "fever" });
    // On a lane in service (no technician mode, or its time is over) the code is refused like any
    // code the lane does not take, and the rest stands.
    for (const until of [undefined, T0 - 1]) {
      const lane = rig(hot, until === undefined ? {} : { technicianUntilMs: until });
      await lane.lane.onScan(healthCode(1764403200));
      expect((await lane.lane.onScan(REST_SKIP_CODE)).kind).toBe("refused");
      expect((await lane.lane.onScan(healthCode(1764403260))).kind).toBe("rest-more");
      expect(lane.queued).toHaveLength(1);
    }
  });
});

interface Message {
  station: string;
  from: string;
  sentMs: number;
  entries: LinkEntry[];
}

describe("retest anywhere at the station: the station link, with no gateway at all", () => {
  const REST = (DEFAULT_POLICY.rest_min + 1) * 60_000;
  const WINDOW = DEFAULT_POLICY.retest_window_s * 1000;

  /** A lane with its station link on loopback: listening on `port` when given, telling `peers`. */
  function linked(device: string, role: LaneRole, port: number | null, peers: number[], skewMs = 0) {
    const holder: { link: StationLink | null } = { link: null };
    const r = rig(hot, {
      device,
      role,
      start: T0 + skewMs,
      onWaitingChange: (e, op) => holder.link?.share(e, op),
    });
    let now = T0 + skewMs;
    const changes: number[] = [];
    const link = new StationLink({
      station: "hw-01",
      device,
      ...(port === null ? {} : { listen: `127.0.0.1:${port}` }),
      peers: peers.map((p) => `http://127.0.0.1:${p}`),
      keyring: r.stationKeys,
      waiting: r.lane.waiting,
      windowMs: () => WINDOW,
      now: () => now,
      onChange: () => changes.push(r.lane.waiting.size),
      log: quietLog as never,
      retryMs: 60_000,
    });
    holder.link = link;
    const advance = (ms: number) => {
      now += ms;
      r.advance(ms);
    };
    return { ...r, link, advance, changes };
  }

  it("a retest point takes attempt 2 of a person sent to rest at a screening lane; the lane sends them there", async () => {
    const [lanePort, pointPort] = [await freePort(), await freePort()];
    const lane = linked("lane-1", "screen", lanePort, [pointPort]);
    const point = linked("retest-1", "retest", pointPort, [lanePort]);
    await lane.link.start();
    await point.link.start();
    try {
      expect((await lane.lane.onScan(healthCode(1764403200))).kind).toBe("screened");
      expect(lane.queued[0]?.verdict).toBe("retest");
      await lane.link.flush();
      expect(lane.link.pending).toBe(0);
      expect(point.lane.waiting.size).toBe(1);
      expect(point.changes).toEqual([1]);
      // Back at the screening lane after the rest: sent on to the retest point, nothing measured.
      lane.advance(REST);
      point.advance(REST);
      const reads = lane.reads();
      expect(await lane.lane.onScan(healthCode(1764404460))).toEqual({ kind: "to-retest-point" });
      expect(lane.reads()).toBe(reads);
      expect(lane.queued).toHaveLength(1);
      // At the retest point: attempt 2, the same person for the gateway.
      await point.lane.onScan(healthCode(1764404470));
      expect(point.queued[0]).toMatchObject({ attempt: 2, device: "retest-1", verdict: "fever" });
      expect(storedSubject(point.queued[0])).toBe(storedSubject(lane.queued[0]));
      // The point tells the lane the retest is done: nobody is waiting anywhere.
      await point.link.flush();
      expect(lane.lane.waiting.size).toBe(0);
      expect(point.lane.waiting.size).toBe(0);
    } finally {
      await point.link.stop();
      await lane.link.stop();
    }
  });

  it("counts the rest on the retest point's clock when the screening lane's clock is 10 minutes ahead", async () => {
    const [lanePort, pointPort] = [await freePort(), await freePort()];
    const lane = linked("lane-1", "screen", lanePort, [pointPort], 10 * 60_000);
    const point = linked("retest-1", "retest", pointPort, [lanePort]);
    await lane.link.start();
    await point.link.start();
    try {
      await lane.lane.onScan(healthCode(1764403200));
      await lane.link.flush();
      expect(point.lane.waiting.size).toBe(1);
      // Five real minutes later (on both clocks) the retest point still asks for the rest of the 20.
      point.advance(5 * 60_000);
      lane.advance(5 * 60_000);
      expect(await point.lane.onScan(healthCode(1764403500))).toEqual({
        kind: "rest-more",
        minutesLeft: DEFAULT_POLICY.rest_min - 5,
      });
      point.advance(REST - 5 * 60_000);
      lane.advance(REST - 5 * 60_000);
      await point.lane.onScan(healthCode(1764404460));
      expect(point.queued[0]).toMatchObject({ attempt: 2, verdict: "fever" });
      // Its "done" reaches the lane ten minutes ahead and takes the person off there too.
      await point.link.flush();
      expect(lane.lane.waiting.size).toBe(0);
    } finally {
      await point.link.stop();
      await lane.link.stop();
    }
  });

  it("keeps what a retest point did not take and delivers it once the point is back", async () => {
    const pointPort = await freePort();
    const lane = linked("lane-1", "screen", null, [pointPort]);
    await lane.lane.onScan(healthCode(1764403200));
    await lane.link.flush(); // the retest point is down (rebooting)
    expect(lane.link.pending).toBe(1);
    const point = linked("retest-1", "retest", pointPort, []);
    await point.link.start();
    try {
      await lane.link.flush();
      expect(lane.link.pending).toBe(0);
      expect(point.lane.waiting.size).toBe(1);
    } finally {
      await point.link.stop();
    }
  });

  it("refuses entries not signed with the station's key, of another station, too old or from the future", async () => {
    const pointPort = await freePort();
    const point = linked("retest-1", "retest", pointPort, []);
    await point.link.start();
    // What a screening lane sends, recorded on the LAN by a peer that only listens.
    const heard: Message[] = [];
    const spy = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString("utf8");
      });
      req.on("end", () => {
        heard.push(JSON.parse(body) as Message);
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => spy.listen(0, "127.0.0.1", resolve));
    try {
      const lane = linked("lane-1", "screen", null, [(spy.address() as AddressInfo).port]);
      await lane.lane.onScan(healthCode(1764403200));
      await lane.link.flush();
      const message = heard[0];
      const original = message?.entries[0];
      if (!message || !original) throw new Error("nothing heard");
      expect(message).toMatchObject({ station: "hw-01", from: "lane-1", sentMs: T0 });
      const post = (body: unknown) =>
        fetch(`http://127.0.0.1:${pointPort}/v1/waiting`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: typeof body === "string" ? body : JSON.stringify(body),
        });
      const bad = [
        { ...original, mac: `${String(original.mac).slice(0, -2)}AA` },
        { ...original, tag: "AAAAAAAAAAAAAAAAAAAAAAAAAA" },
        { ...original, atMs: T0 + 3_600_000 },
        { ...original, atMs: T0 - 2 * WINDOW },
        { ...original, keyId: "local-1" },
        { ...original, op: "drop-all" },
      ];
      const res = await post({ ...message, entries: bad });
      expect(await res.json()).toEqual({ accepted: 0, refused: bad.length });
      expect((await post({ ...message, station: "hw-02" })).status).toBe(400);
      expect((await post({ station: "hw-01", from: "lane-1", entries: [original] })).status).toBe(400); // no sentMs
      expect((await post("{not json")).status).toBe(400);
      expect((await post({ ...message, entries: ["x".repeat(70_000)] })).status).toBe(413);
      expect(point.lane.waiting.size).toBe(0);
      expect(point.link.counts.refused).toBe(bad.length + 3);
      // Its time changed on the way (to move the rest): the signature no longer holds.
      expect(await (await post({ ...message, sentMs: T0 - 4 * 60_000 })).json()).toEqual({
        accepted: 0,
        refused: 1,
      });
      // The genuine message is taken.
      expect(await (await post(message)).json()).toEqual({ accepted: 1, refused: 0 });
      expect(point.lane.waiting.size).toBe(1);
      // The person is retested and taken off; then the recorded (older) message is replayed.
      lane.advance(REST);
      point.advance(REST);
      await point.lane.onScan(healthCode(1764404460));
      expect(point.lane.waiting.size).toBe(0);
      await lane.lane.onScan(healthCode(1764404470, "Ab3vK8mN2pR7sT1wX4yB6d")); // someone else: a newer message
      await lane.link.flush();
      const newer = heard.at(-1);
      if (!newer || newer === message) throw new Error("no newer message");
      expect(newer.sentMs).toBeGreaterThan(message.sentMs);
      await post(newer);
      expect((await post(message)).status).toBe(409);
      // Only the newer person waits: the replay did not put the retested one back.
      expect(point.lane.waiting.list().map((w) => w.tag)).toEqual([newer.entries[0]?.tag]);
      expect(newer.entries[0]?.tag).not.toBe(original.tag);
    } finally {
      spy.close();
      await point.link.stop();
    }
  });

  it("tells a dead peer in one round however many are sent to rest, and says so once a minute", async () => {
    const warnings: string[] = [];
    const dead = await freePort();
    const lane = linked("lane-1", "screen", null, [dead]);
    const link = new StationLink({
      ...(lane.link as unknown as { o: ConstructorParameters<typeof StationLink>[0] }).o,
      log: { ...quietLog, warn: (_o: object, msg: string) => warnings.push(msg) } as never,
    });
    let posts = 0;
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
      posts++;
      return realFetch(...args);
    }) as typeof fetch;
    try {
      const keyId = lane.stationKeys.current(T0).id;
      for (let i = 0; i < 300; i++) {
        const w = lane.lane.waiting.add({ keyId, tag: `T${String(i).padStart(25, "A")}` }, T0, "lane-1");
        link.share(w, "wait");
      }
      await link.flush();
      await link.flush();
      expect(link.pending).toBe(300);
      // One message a round, not one per person (the first refused, the rest wait): the shares'
      // own round and the two asked for here.
      expect(posts).toBeLessThanOrEqual(3);
      expect(warnings).toHaveLength(1);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it("refuses a lane whose clock differs by more than 15 minutes, and splits a long backlog", async () => {
    const [pointPort, skewedPort] = [await freePort(), await freePort()];
    const point = linked("retest-1", "retest", pointPort, []);
    await point.link.start();
    try {
      const skewed = linked("lane-2", "screen", skewedPort, [pointPort], 20 * 60_000);
      await skewed.lane.onScan(healthCode(1764403200));
      await skewed.link.flush();
      expect(skewed.link.pending).toBe(1);
      expect(point.lane.waiting.size).toBe(0);
      // 450 people sent to rest while the point was down (more than one message holds).
      const lane = linked("lane-1", "screen", null, [pointPort]);
      const entries = lane.lane.waiting;
      for (let i = 0; i < 450; i++) {
        const w = entries.add(
          { keyId: lane.stationKeys.current(T0).id, tag: `T${String(i).padStart(25, "A")}` },
          T0,
          "lane-1",
        );
        lane.link.share(w, "wait");
      }
      await lane.link.flush();
      expect(lane.link.pending).toBe(0);
      expect(point.lane.waiting.size).toBe(450);
    } finally {
      await point.link.stop();
    }
  });

  it("keeps the waiting list across a lane restart (waiting.json, private, no code in it)", async () => {
    const dir = tempDir("waiting");
    try {
      const path = join(dir.path, "waiting.json");
      const holder: { list: () => Waiting[] } = { list: () => [] };
      const before = rig(hot, { onWaitingChange: () => saveWaiting(path, holder.list()) });
      holder.list = () => before.lane.waiting.list();
      await before.lane.onScan(healthCode(1764403200));
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, "utf8")).not.toContain(UID);
      // The lane restarts: a new process, the same data folder.
      const after = rig(hot);
      for (const e of loadWaiting(path)) after.lane.waiting.merge(e);
      after.advance(REST);
      await after.lane.onScan(healthCode(1764404460));
      expect(after.queued[0]).toMatchObject({ attempt: 2, verdict: "fever" });
      const problems: string[] = [];
      expect(loadWaiting(join(dir.path, "missing.json"), (p) => problems.push(p))).toEqual([]);
      expect(problems).toEqual([]); // no file yet: nothing to say
      writeFileSync(path, '{"v":1,"entries":[{"keyId":"k"'); // cut short by a full disk
      expect(loadWaiting(path, (p) => problems.push(p))).toEqual([]);
      expect(problems).toHaveLength(1);
      expect(readdirSync(dir.path).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    } finally {
      dir.remove();
    }
  });
});

describe("lane keypad (people without a code on a phone)", () => {
  const ID = "11010519491231002X";

  it("screens a typed ID number like a card, says it came from the keypad, and links it to the card", async () => {
    const r = rig(normal);
    const keyed = await r.lane.onScan("110105 19491231 002x", "keypad");
    expect(keyed.kind === "screened" && keyed.event.entry).toBe("keypad");
    const card = await r.lane.onScan(`IDCARD:${ID}`);
    expect(card.kind === "screened" && card.event.entry).toBe("card");
    const code = await r.lane.onScan(healthCode(1764403200));
    expect(code.kind === "screened" && code.event.entry).toBe("code");
    // The card reader and the keypad give one person: one stored pseudonym.
    expect(storedSubject(r.queued[0])).toBe(storedSubject(r.queued[1]));
    expect(storedSubject(r.queued[2])).not.toBe(storedSubject(r.queued[0]));
    expect(JSON.stringify(r.queued)).not.toContain("19491231");
  });

  it("sends a person keyed in with a high reading to rest, and takes their retest from the card reader", async () => {
    const r = rig(hot);
    const first = await r.lane.onScan(ID, "keypad");
    expect(first.kind === "screened" && first.verdict).toBe("retest");
    r.advance(DEFAULT_POLICY.rest_min * 60_000 + 1000);
    const second = await r.lane.onScan(`IDCARD:${ID}`);
    expect(second.kind === "screened" && second.event.attempt).toBe(2);
  });

  it("refuses a mistyped number with its reason in Chinese on the lane, measuring nothing", async () => {
    const r = rig(normal);
    const cases: [string, string][] = [
      ["110105194912310021", "身份证号校验位不符，请核对后重新输入"],
      ["1101051949123100", "身份证号应为 18 位，请重新刷卡或重新输入"],
      ["11010519491231002A", "身份证号只含数字和 X，请核对后重新输入"],
      [
        "https://hc.gov.example/q?v=2&r=44&uid=Zq3vK8mN2pR7sT1wX4yB6c",
        "身份证号只含数字和 X，请核对后重新输入",
      ],
    ];
    for (const [typed, text] of cases) {
      const out = await r.lane.onScan(typed, "keypad");
      expect(out.kind, typed).toBe("refused");
      expect(outcomeText(out, "zh-CN", 20), typed).toBe(text);
      expect(r.shown.at(-1)).toBe("refused");
    }
    expect(r.reads()).toBe(0);
    expect(r.queued).toEqual([]);
  });

  it("refuses every keypad entry on a lane that takes no ID numbers, and never takes the technician's code from it", async () => {
    const r = rig(normal, { accept: ["health-code"], technicianUntilMs: T0 + 3_600_000 });
    expect(await r.lane.onScan(ID, "keypad")).toEqual({ kind: "refused", reason: "cn-id-not-accepted" });
    expect(await r.lane.onScan(REST_SKIP_CODE, "keypad")).toEqual({
      kind: "refused",
      reason: "cn-id-not-accepted",
    });
  });
});
