/**
 * Registration without a code in a real browser (Debian's chromium via playwright-core) at
 * 1366×768, as a duty officer at a community point whose browser asks for Chinese: a lane's keypad
 * screening is in the station's visitor log; the officer registers an elderly person with no code
 * on a phone by ID number and handheld reading; a mistyped number is refused in Chinese and stays
 * in the box to be corrected; once registered, the number leaves the form, the person is in the
 * visitor log (登记台, 人工登记) and, at 37.9 °C, a fever alert is on screen. A technician sees no
 * desk and no pseudonyms. Under the gateway's strict CSP: no violation. Screenshot:
 * test/artifacts/console-registration.png.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceTopic } from "../../protocol/index.ts";
import { launchChromium } from "../support/browser.ts";
import { sealedScreening } from "../support/events.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ARTIFACTS = resolve(import.meta.dirname, "../artifacts");
const ctx = useGatewayWithInflux();
const STATION = "cm-07";
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function logIn(page: Page, username: string, password: string): Promise<string[]> {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.goto(`http://127.0.0.1:${ctx.gw.gateway.httpPort}/`);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.press("#password", "Enter");
  await page.waitForSelector("#app:not(.hidden)");
  return violations;
}

describe("registration without a code at the console", () => {
  it(
    "registers a person by ID number and handheld reading, and shows them in the visitor log",
    { timeout: 60_000 },
    async () => {
      const { gateway } = ctx.gw;
      gateway.registry.stations.set(STATION, { name: "幸福里社区" });
      await ctx.gw.addDevice(STATION, "lane-1");
      gateway.registry.setLaneName(STATION, "lane-1", "北门");
      // An older neighbour typed their number on the gate's keypad a minute ago.
      const device = await ctx.gw.connectDevice(STATION, "lane-1");
      const keyed = sealedScreening(gateway.privacy.keys.sealKey(), "cn-id:110105199003070017", {
        station: STATION,
        device: "lane-1",
        ts: new Date(Date.now() - 60_000).toISOString(),
        entry: "keypad",
      });
      await device.publishAsync(deviceTopic(STATION, "lane-1", "screening"), JSON.stringify(keyed), {
        qos: 1,
      });
      await device.endAsync();

      await gateway.users.add("officer sun", "officer", "correct-horse-21");
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
      const violations = await logIn(page, "officer sun", "correct-horse-21");
      expect(await page.textContent("#desk-title")).toBe("无码人员登记");
      expect(await page.textContent("#visitors-title")).toBe("来访登记");
      await page.waitForSelector(`#desk-station option[value="${STATION}"]`, { state: "attached" });
      await page.selectOption("#desk-station", STATION);
      await page.selectOption("#visitors-station", STATION);
      await page.click("#visitors-show");
      await expect.poll(() => page.textContent("#visitors tbody")).toContain("键盘输入身份证号");
      expect(await page.textContent("#visitors tbody")).toContain("北门（lane-1）");

      // A mistyped check digit: refused in Chinese, kept in the box to be corrected, nothing registered.
      await page.fill("#desk-id", "110105 19491231 0021");
      await page.fill("#desk-temp", "37.9");
      await page.click("#desk-form button[type=submit]");
      await expect.poll(() => page.textContent("#desk-error")).toBe("身份证号校验位不符，请核对后重新输入");
      expect(await page.inputValue("#desk-id")).toBe("110105 19491231 0021");

      await page.fill("#desk-id", "110105 19491231 002x");
      await page.click("#desk-form button[type=submit]");
      await expect
        .poll(() => page.textContent("#desk-result"))
        .toMatch(/^已登记：发热，37\.9 °C（人员代号 g1:[A-Z2-7]{26}）$/);
      expect(await page.textContent("#desk-error")).toBe("");
      // The number leaves the form once registered.
      expect(await page.inputValue("#desk-id")).toBe("");
      expect(await page.inputValue("#desk-temp")).toBe("");
      const row = page.locator("#visitors tbody tr").first();
      await expect.poll(() => row.textContent()).toContain("人工登记");
      expect(await row.textContent()).toContain("登记台");
      expect(await row.textContent()).toContain("发热");
      expect(await row.textContent()).toMatch(/g1:[A-Z2-7]{26}/);
      expect(await page.textContent("#visitors-info")).toBe("第 1–2 条，共 2 条");
      // A fever at the desk raises the officers' fever alert, as a lane's does.
      await page.waitForSelector(".alert.fever");
      expect(await page.textContent(".alert.fever")).toContain("幸福里社区 / 登记台");
      expect(await page.getAttribute("#visitors-csv", "href")).toMatch(
        new RegExp(`^/api/visitors\\.csv\\?station=${STATION}&date=\\d{4}-\\d{2}-\\d{2}$`),
      );
      await page.locator("#desk-section").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, "console-registration.png") });
      // Nothing on the page holds the number any more.
      expect(await page.content()).not.toContain("19491231");
      expect(violations).toEqual([]);
      await page.close();
    },
  );

  it("shows a technician the visitor log without pseudonyms, and no desk", { timeout: 60_000 }, async () => {
    await ctx.gw.gateway.users.add("tech zhou", "technician", "correct-horse-22");
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
    await logIn(page, "tech zhou", "correct-horse-22");
    expect(await page.isVisible("#desk-section")).toBe(false);
    await page.waitForSelector(`#visitors-station option[value="${STATION}"]`, { state: "attached" });
    await page.selectOption("#visitors-station", STATION);
    await page.click("#visitors-show");
    await expect.poll(() => page.textContent("#visitors tbody")).toContain("人工登记");
    expect(await page.textContent("#visitors tbody")).not.toMatch(/g1:/);
    expect(await page.isVisible("#visitors th.people")).toBe(false);
    await page.close();
  });
});
