import { describe, expect, it } from "vitest";
import type { PatternName } from "../../../firmware/hardware/indicators.ts";
import type { ThermoReading } from "../../../firmware/hardware/mlx90614.ts";
import { Lane } from "../../../firmware/lane/lane.ts";
import {
  DEFAULT_CALIBRATION,
  DEFAULT_POLICY,
  type IdentityKind,
  type ScreeningEvent,
} from "../../../protocol/index.ts";

const UID = "Zq3vK8mN2pR7sT1wX4yB6c";
/** A person's health code as shown at `t` (Unix s): it refreshes, its holder token does not. */
const healthCode = (t: number, uid = UID) =>
  `https://hc.gov.example/q?v=2&r=44&uid=${uid}&t=${t}&sig=S${t.toString(36)}x9Qm`;

function rig(readings: () => ThermoReading, accept?: readonly IdentityKind[]) {
  let now = Date.parse("2026-11-29T08:00:00Z");
  const shown: PatternName[] = [];
  const queued: ScreeningEvent[] = [];
  let n = 0;
  let reads = 0;
  const lane = new Lane({
    station: "hw-01",
    device: "lane-1",
    fw: "test",
    config: () => ({
      policy: DEFAULT_POLICY,
      calibration: DEFAULT_CALIBRATION,
      pseudonymKey: Buffer.from("k".repeat(32)),
      accept,
    }),
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
  });
  const advance = (ms: number) => {
    now += ms;
  };
  return { lane, shown, queued, advance, reads: () => reads };
}

// A forehead reading of 34.9 °C in 21 °C air estimates a body temperature of about 36.4 °C.
const normal = (): ThermoReading => ({ ok: true, objectC: 34.9, ambientC: 21 });
const hot = (): ThermoReading => ({ ok: true, objectC: 36.4, ambientC: 21 });

describe("lane", () => {
  it("screens a person, keeps only the pseudonym and shows the verdict", async () => {
    const r = rig(normal);
    const out = await r.lane.onScan(healthCode(1764403200));
    expect(out.kind === "screened" && out.verdict).toBe("pass");
    expect(JSON.stringify(r.queued)).not.toContain(UID);
    expect(r.queued[0]?.subject).toMatch(/^h1:/);
    expect(r.shown.at(-1)).toBe("pass");
  });

  it("asks for a retest, refuses a retest before the rest, then takes attempt 2 (the code refreshed each time)", async () => {
    const r = rig(hot);
    expect((await r.lane.onScan(healthCode(1764403200))).kind).toBe("screened");
    expect(r.queued[0]?.verdict).toBe("retest");
    r.advance(5 * 60_000);
    const early = await r.lane.onScan(healthCode(1764403500));
    expect(early).toEqual({ kind: "rest-more", minutesLeft: 15 });
    expect(r.queued).toHaveLength(1);
    r.advance(16 * 60_000);
    await r.lane.onScan(healthCode(1764404460));
    expect(r.queued[1]).toMatchObject({ attempt: 2, verdict: "fever", subject: r.queued[0]?.subject });
  });

  it("takes the retest of a person who showed their ID card with the number typed in", async () => {
    const r = rig(hot);
    await r.lane.onScan("IDCARD:11010519491231002X");
    r.advance(21 * 60_000);
    await r.lane.onScan("110105 19491231 002x");
    expect(r.queued.map((e) => e.attempt)).toEqual([1, 2]);
    expect(r.queued[1]?.subject).toBe(r.queued[0]?.subject);
    expect(JSON.stringify(r.queued)).not.toContain("19491231");
  });

  it("tells two people's health codes apart", async () => {
    const r = rig(hot);
    await r.lane.onScan(healthCode(1764403200));
    r.advance(21 * 60_000);
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
    const r = rig(normal, ["cn-id", "health-code", "plain"]);
    const out = await r.lane.onScan("HC-0001");
    expect(out.kind === "screened" && out.verdict).toBe("pass");
    expect(JSON.stringify(r.queued)).not.toContain("HC-0001");
    const onlyIds = rig(normal, ["cn-id"]);
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
        pseudonymKey: Buffer.from("k".repeat(32)),
      }),
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
