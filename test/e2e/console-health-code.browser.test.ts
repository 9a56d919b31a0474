/**
 * A red health code, end to end with real parts: the unchanged firmware as a process against a
 * virtual station, asking the simulated provincial platform (real HTTP on loopback, the lane's key
 * in a 0600 file); the real gateway and InfluxDB; the duty console in Debian's chromium, in
 * Chinese at 1366×768. The lane stops the person (red and the buzzer) and still measures; the
 * gateway raises one health-code alert; the officer sees it with its colour, closes it with an
 * outcome that fits a code (not a fever's), and the one-code trace shows the colour. Saves
 * test/artifacts/console-red-code.png.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatedPlatform } from "../../simulator/health-code/platform.ts";
import { launchChromium } from "../support/browser.ts";
import { eventually } from "../support/gateway.ts";
import { type LaneRig, startLaneRig } from "../support/lane-rig.ts";
import { useGatewayWithInflux } from "../support/suite.ts";
import { tempDir } from "../support/tmp.ts";

const ARTIFACTS = resolve(import.meta.dirname, "../artifacts");
const ctx = useGatewayWithInflux();
const KEY = "hc-lane-key-4f8a2c9e1b7d3a6f";
const TOKEN = "Rd7CodeHolderT0ken_x9Qm2";
/** The person's health code, as their phone shows it at `t` (it refreshes; the holder does not). */
const code = (t: number) => `https://hc.gov.example/q?v=2&r=44&uid=${TOKEN}&t=${t}&sig=S${t.toString(36)}Qx`;

let browser: Browser;
let platform: SimulatedPlatform;
let rig: LaneRig;
const keyDir = tempDir("hc-key");

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  platform = new SimulatedPlatform({ seed: 11, keys: [KEY] });
  const url = await platform.start();
  const keyFile = join(keyDir.path, "health-code.key");
  writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
  rig = await startLaneRig(ctx.gw, "hc-1", {
    ambientC: 21,
    extra: { healthCode: { url, keyFile, timeoutMs: 1500 } },
  });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await rig?.close();
  await platform?.stop();
  keyDir.remove();
});

describe("a red health code at a lane, in the duty console", () => {
  it(
    "is stopped at the lane, alerted once with its colour, and closed by the officer with an outcome that fits",
    { timeout: 90_000 },
    async () => {
      await ctx.gw.gateway.users.add("officer li", "officer", "correct-horse-5");
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
      await page.goto(`http://127.0.0.1:${ctx.gw.gateway.httpPort}/`);
      await page.fill("#username", "officer li");
      await page.fill("#password", "correct-horse-5");
      await page.press("#password", "Enter");
      await page.waitForSelector("#app:not(.hidden)");

      // The platform says red for this holder; a healthy person walks up and shows the code.
      expect(platform.setColourOfCode(code(1764460800), "red")).toBe(true);
      rig.lit.clear();
      rig.station.person(36.6);
      await rig.station.scanner.scan(code(1764460800));

      // The lane: red and the buzzer, never green; the reading taken; the code's message first.
      const screened = await eventually(
        () => rig.firmware.logs.find((l) => l.msg === "firmware:lane: screened"),
        15_000,
      );
      expect(screened).toMatchObject({ verdict: "pass", code_colour: "red" });
      expect(String(screened.text).split("\n")[0]).toBe("健康码为红码，禁止通行，请原地等候工作人员处置");
      await eventually(() => rig.lit.has("red") && rig.lit.has("buzzer"), 5000);
      expect(rig.lit.has("green")).toBe(false);
      expect(JSON.stringify(rig.firmware.logs)).not.toContain(TOKEN);
      expect(platform.answered.red).toBe(1);

      // The console: the health-code alert, live, with the colour.
      const card = page.locator(".alert.health-code");
      await card.waitFor({ timeout: 15_000 });
      expect(await card.textContent()).toContain("健康码异常（黄码/红码）");
      expect(await card.textContent()).toContain("hc-1 / lane-1");
      expect(await card.locator(".code-colour").textContent()).toBe("健康码：红码");
      await page.screenshot({ path: join(ARTIFACTS, "console-red-code.png") });

      // Stored with its colour; exactly one alert for the event.
      const rows = await eventually(async () => {
        const r = await ctx.influx.query<{ code_colour: string; verdict: string; body_c: number }>(
          `SELECT "code_colour", "verdict", "body_c" FROM "screening" WHERE "station" = 'hc-1'`,
        );
        return r.length > 0 ? r : undefined;
      }, 15_000);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ code_colour: "red", verdict: "pass" });
      expect(rows[0]?.body_c).toBeGreaterThan(35);
      const open = [...ctx.gw.gateway.alerts.open()].filter((a) => a.kind === "health-code");
      expect(open).toHaveLength(1);
      expect(open[0]?.code_colour).toBe("red");

      // Acknowledged, then closed: the outcomes offered are a code's, not a fever's.
      await card.locator("[data-action=ack]").click();
      await page.waitForSelector(".alert.health-code .state >> text=已确认");
      await card.locator("[data-action=close]").click();
      const offered = await card.locator("select[name=disposition] option").allTextContents();
      expect(offered).toContain("人工核验健康码后放行");
      expect(offered).toContain("移交属地社区居家隔离");
      expect(offered).not.toContain("复测正常，放行");
      expect(offered).not.toContain("设备已修复");
      await card.locator("select[name=disposition]").selectOption("home-isolation");
      await card.locator("input[name=note]").fill("红码，已移交属地社区");
      await page.screenshot({ path: join(ARTIFACTS, "console-red-code-close.png") });
      await card.locator("[data-action=close-alert]").click();
      await card.waitFor({ state: "detached" });
      const closed = ctx.gw.gateway.alerts.get(open[0]?.id as string);
      expect(closed).toMatchObject({
        state: "closed",
        disposition: "home-isolation",
        closed_by: "officer li",
      });

      // The one-code trace shows the screening's colour and the alert's.
      await page.fill("#trace-code", code(1764461000));
      await page.fill("#trace-reason", "红码人员核查");
      await page.click("#trace-form button[type=submit]");
      await page.waitForSelector("#trace-result:not(.hidden)");
      const traced = await page.locator("#trace-table tbody tr").allTextContents();
      expect(traced).toHaveLength(1);
      expect(traced[0]).toContain("红码");
      expect(await page.textContent("#trace-alerts")).toContain("健康码异常（黄码/红码）（红码）");
      await page.screenshot({ path: join(ARTIFACTS, "console-red-code-trace.png") });
      await page.close();
    },
  );
});
