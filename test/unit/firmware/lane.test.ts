import { describe, expect, it } from "vitest";
import type { PatternName } from "../../../firmware/hardware/indicators.ts";
import type { ThermoReading } from "../../../firmware/hardware/mlx90614.ts";
import { Lane } from "../../../firmware/lane/lane.ts";
import { DEFAULT_CALIBRATION, DEFAULT_POLICY, type ScreeningEvent } from "../../../protocol/index.ts";

function rig(readings: () => ThermoReading) {
  let now = Date.parse("2026-11-29T08:00:00Z");
  const shown: PatternName[] = [];
  const queued: ScreeningEvent[] = [];
  let n = 0;
  const lane = new Lane({
    station: "hw-01",
    device: "lane-1",
    fw: "test",
    config: () => ({
      policy: DEFAULT_POLICY,
      calibration: DEFAULT_CALIBRATION,
      pseudonymKey: Buffer.from("k".repeat(32)),
    }),
    read: async () => readings(),
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
  return { lane, shown, queued, advance };
}

// A forehead reading of 34.9 °C in 21 °C air estimates a body temperature of about 36.4 °C.
const normal = (): ThermoReading => ({ ok: true, objectC: 34.9, ambientC: 21 });
const hot = (): ThermoReading => ({ ok: true, objectC: 36.4, ambientC: 21 });

describe("lane", () => {
  it("screens a person, keeps only the pseudonym and shows the verdict", async () => {
    const r = rig(normal);
    const out = await r.lane.onScan("HC-RAW-CODE-1");
    expect(out.kind === "screened" && out.verdict).toBe("pass");
    expect(JSON.stringify(r.queued)).not.toContain("HC-RAW-CODE-1");
    expect(r.queued[0]?.subject).toMatch(/^h1:/);
    expect(r.shown.at(-1)).toBe("pass");
  });

  it("asks for a retest, refuses a retest before the rest, then takes attempt 2", async () => {
    const r = rig(hot);
    expect((await r.lane.onScan("HC-HOT")).kind).toBe("screened");
    expect(r.queued[0]?.verdict).toBe("retest");
    r.advance(5 * 60_000);
    const early = await r.lane.onScan("HC-HOT");
    expect(early).toEqual({ kind: "rest-more", minutesLeft: 15 });
    expect(r.queued).toHaveLength(1);
    r.advance(16 * 60_000);
    await r.lane.onScan("HC-HOT");
    expect(r.queued[1]).toMatchObject({ attempt: 2, verdict: "fever", subject: r.queued[0]?.subject });
  });

  it("invents nothing when the sensor fails, and says so", async () => {
    const r = rig(() => ({ ok: false, fault: "bad-pec" }));
    expect(await r.lane.onScan("HC-1")).toEqual({ kind: "fault", fault: "bad-pec" });
    expect(r.queued).toEqual([]);
    expect(r.shown.at(-1)).toBe("fault");
    expect(r.lane.sensorFault).toBe("bad-pec");
  });

  it("rejects an unstable measurement (the person moved) without sending anything", async () => {
    let i = 0;
    const r = rig(() => ({ ok: true, objectC: [34.0, 35.5, 34.2][i++ % 3] ?? 34, ambientC: 21 }));
    expect((await r.lane.onScan("HC-1")).kind).toBe("unstable");
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
    const scan = lane.onScan("HC-DURING-POLL");
    const [, out] = await Promise.all([poll, scan]);
    expect(overlap).toBe(0);
    expect(out.kind === "screened" && out.verdict).toBe("pass");
    expect(shown.at(-1)).toBe("pass");
  });
});
