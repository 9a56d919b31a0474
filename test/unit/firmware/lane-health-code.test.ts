/**
 * The lane with a health-code platform: the real lookup (client, cache) against the simulated
 * platform on loopback, the lane's logic without hardware. A red or yellow code stops the person
 * with its own signal, the reading still taken and sent; a platform that does not answer gives
 * `unknown` and a hand check, never green alone; the lookup runs while the person is measured.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { PatternName } from "../../../firmware/hardware/indicators.ts";
import { PATTERNS } from "../../../firmware/hardware/indicators.ts";
import type { ThermoReading } from "../../../firmware/hardware/mlx90614.ts";
import { CodeColours } from "../../../firmware/health-code/code-colours.ts";
import { ColourCache } from "../../../firmware/health-code/colour-cache.ts";
import { HealthCodePlatform } from "../../../firmware/health-code/platform-client.ts";
import { Lane, patternFor, type ScanOutcome } from "../../../firmware/lane/lane.ts";
import { outcomeText } from "../../../firmware/lane/outcome-text.ts";
import {
  DEFAULT_CALIBRATION,
  DEFAULT_POLICY,
  type ScreenedCodeColour,
  type ScreeningEvent,
  StationKeyring,
  t,
} from "../../../protocol/index.ts";
import { SimulatedPlatform } from "../../../simulator/health-code/platform.ts";
import { testPrivacy } from "../../support/device-keys.ts";

const TOKEN = "Zq3vK8mN2pR7sT1wX4yB6c";
const KEY = "lane-key-0123456789abcdef";
const code = (t = 1764403200) => `https://hc.gov.example/q?v=2&r=44&uid=${TOKEN}&t=${t}&sig=S${t}x`;
const ID_CARD = "IDCARD:11010519491231002X";
const privacy = testPrivacy();
const normal = (): ThermoReading => ({ ok: true, objectC: 34.9, ambientC: 21 });
const hot = (): ThermoReading => ({ ok: true, objectC: 36.4, ambientC: 21 });

const platforms: SimulatedPlatform[] = [];
afterEach(async () => {
  for (const p of platforms.splice(0)) await p.stop();
});

async function platform(): Promise<SimulatedPlatform> {
  const p = new SimulatedPlatform({ seed: 3, keys: [KEY] });
  platforms.push(p);
  await p.start();
  return p;
}

function rig(
  codeColour: ((identity: string) => Promise<ScreenedCodeColour>) | undefined,
  options: { readings?: () => ThermoReading; readDelayMs?: number } = {},
) {
  const shown: PatternName[] = [];
  const queued: ScreeningEvent[] = [];
  let n = 0;
  const now = Date.now();
  const stationKeys = new StationKeyring(() => DEFAULT_POLICY.retest_window_s * 1000);
  const keys = privacy.deviceKeys("hw-01", now);
  stationKeys.set(keys.station_keys, now);
  const lane = new Lane({
    station: "hw-01",
    device: "lane-1",
    fw: "test",
    config: () => ({ policy: DEFAULT_POLICY, calibration: DEFAULT_CALIBRATION, seal: keys.seal }),
    stationKeys,
    read: async () => {
      if (options.readDelayMs) await new Promise((r) => setTimeout(r, options.readDelayMs));
      return (options.readings ?? normal)();
    },
    show: (p) => shown.push(p),
    enqueue: (e) => {
      queued.push(e);
      return true;
    },
    outboxFull: () => false,
    now: () => Date.now(),
    newId: () => `01JDB${String(n++).padStart(21, "0")}`,
    measureOptions: { samples: 3, intervalMs: 0, maxSpreadC: 0.4 },
    ...(codeColour ? { codeColour } : {}),
  });
  return { lane, shown, queued };
}

/** The firmware's lookup against `url` (as firmware/app.ts builds it). */
function lookup(url: string, ttlMs = 300_000, timeoutMs = 300, now: () => number = Date.now) {
  const colours = new CodeColours(
    new HealthCodePlatform({ url, key: KEY, timeoutMs }),
    new ColourCache(ttlMs, now),
  );
  return async (identity: string) => (await colours.lookup(identity))?.colour ?? "unknown";
}

const screened = (o: ScanOutcome) => (o.kind === "screened" ? o : null);

describe("lane with a health-code platform", () => {
  it("stops a red code with the red light and the buzzer, still measures, and sends red", async () => {
    const p = await platform();
    p.setColour("44", TOKEN, "red");
    const r = rig(lookup(p.url));
    const out = screened(await r.lane.onScan(code()));
    expect(out?.verdict).toBe("pass");
    expect(out?.codeColour).toBe("red");
    expect(r.shown.at(-1)).toBe("code-red");
    expect(PATTERNS["code-red"].steps.some((s) => s.on.includes("buzzer") && s.on.includes("red"))).toBe(
      true,
    );
    expect(PATTERNS["code-red"].steps.some((s) => s.on.includes("green"))).toBe(false);
    // The temperature is measured and sent as any other, with the colour.
    expect(r.queued).toHaveLength(1);
    expect(r.queued[0]).toMatchObject({ code_colour: "red", verdict: "pass", attempt: 1 });
    expect(r.queued[0]?.body_c).toBeGreaterThan(35);
    // What the person reads: the code first, in Chinese by default.
    expect(outcomeText(out as ScanOutcome, "zh-CN", 20)).toBe(t("zh-CN", "lane.code-red"));
    expect(outcomeText(out as ScanOutcome, "zh-CN", 20)).toContain("红码");
    expect(outcomeText(out as ScanOutcome, "en", 20)).toContain("Red health code");
    // Nothing of the code in what was sent.
    expect(JSON.stringify(r.queued)).not.toContain(TOKEN);
  });

  it("stops a yellow code with its own signal; a fever with a yellow code stays a fever, both said", async () => {
    const p = await platform();
    p.setColour("44", TOKEN, "yellow");
    const r = rig(lookup(p.url));
    await r.lane.onScan(code());
    expect(r.shown.at(-1)).toBe("code-yellow");
    expect(PATTERNS["code-yellow"].steps.some((s) => s.on.includes("buzzer"))).toBe(true);
    expect(r.queued[0]?.code_colour).toBe("yellow");
    const hotRig = rig(lookup(p.url), { readings: hot });
    const out = await hotRig.lane.onScan(code(1764403300));
    expect(hotRig.queued[0]).toMatchObject({ verdict: "retest", code_colour: "yellow" });
    expect(hotRig.shown.at(-1)).toBe("code-yellow");
    const text = outcomeText(out, "zh-CN", 20);
    expect(text.split("\n")).toEqual([
      t("zh-CN", "lane.code-yellow"),
      t("zh-CN", "lane.retest", { minutes: 20 }),
    ]);
    expect(patternFor("fever", "yellow")).toBe("fever");
    expect(patternFor("fever", "red")).toBe("fever");
  });

  it("lets a green code pass as before, with green in the event", async () => {
    const p = await platform();
    p.setColour("44", TOKEN, "green");
    const r = rig(lookup(p.url));
    const out = await r.lane.onScan(code());
    expect(r.shown.at(-1)).toBe("pass");
    expect(r.queued[0]?.code_colour).toBe("green");
    expect(outcomeText(out, "zh-CN", 20)).toBe(t("zh-CN", "lane.pass"));
  });

  it("with the platform down and nothing cached: unknown, a hand check asked, never green alone, not stopped", async () => {
    const p = await platform();
    p.setColour("44", TOKEN, "red");
    p.down = true;
    const r = rig(lookup(p.url));
    const out = screened(await r.lane.onScan(code()));
    expect(out?.codeColour).toBe("unknown");
    expect(r.queued[0]).toMatchObject({ code_colour: "unknown", verdict: "pass" });
    expect(r.shown.at(-1)).toBe("check-code");
    expect(
      PATTERNS["check-code"].steps.every((s) => !s.on.includes("green") || s.on.includes("yellow")),
    ).toBe(true);
    expect(PATTERNS["check-code"].steps.some((s) => s.on.includes("buzzer"))).toBe(false);
    const text = outcomeText(out as ScanOutcome, "zh-CN", 20);
    expect(text.split("\n")).toEqual([t("zh-CN", "lane.pass"), t("zh-CN", "lane.code-unknown")]);
    expect(text).toContain("人工核验");
  });

  it("with the platform gone after an answer: the cached colour within its TTL, unknown after", async () => {
    const p = await platform();
    p.setColour("44", TOKEN, "red");
    // The cache's clock is the test's: five minutes pass in an instant.
    let now = Date.now();
    const r = rig(lookup(p.url, 300_000, 300, () => now));
    await r.lane.onScan(code(1));
    p.down = true;
    now += 299_000;
    await r.lane.onScan(code(2));
    now += 1000;
    await r.lane.onScan(code(3));
    expect(r.queued.map((e) => e.code_colour)).toEqual(["red", "red", "unknown"]);
  });

  it("with the platform hanging: the scan ends at the lookup's timeout, never later", async () => {
    const p = await platform();
    p.slowMs = 5000;
    const r = rig(lookup(p.url, 300_000, 400));
    const t0 = Date.now();
    await r.lane.onScan(code());
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r.queued[0]?.code_colour).toBe("unknown");
  });

  it("looks the colour up while the person is measured: a platform as fast as the sensor adds nothing", async () => {
    const p = await platform();
    p.setColour("44", TOKEN, "green");
    p.slowMs = 500;
    // Three samples, 200 ms each: about 600 ms of measuring. The same scan without a platform first.
    const scanMs = async (r: ReturnType<typeof rig>) => {
      const t0 = Date.now();
      await r.lane.onScan(code());
      return Date.now() - t0;
    };
    const without = await scanMs(rig(undefined, { readDelayMs: 200 }));
    const r = rig(lookup(p.url, 300_000, 1500), { readDelayMs: 200 });
    const took = await scanMs(r);
    expect(r.queued[0]?.code_colour).toBe("green");
    // In series the platform's 500 ms would come on top.
    expect(took - without).toBeLessThan(250);
  });

  it("asks nothing for an ID card, and a lane without a platform sends no colour", async () => {
    const asked: string[] = [];
    const r = rig(async (identity) => {
      asked.push(identity);
      return "green";
    });
    await r.lane.onScan(ID_CARD);
    expect(asked).toEqual([]);
    expect(r.queued[0]?.code_colour).toBeUndefined();
    const without = rig(undefined);
    await without.lane.onScan(code());
    expect(without.queued[0]).not.toHaveProperty("code_colour");
    expect(without.shown.at(-1)).toBe("pass");
  });

  it("treats a lookup that fails outright as unknown", async () => {
    const r = rig(() => Promise.reject(new Error("boom")));
    await r.lane.onScan(code());
    expect(r.queued[0]?.code_colour).toBe("unknown");
  });
});
