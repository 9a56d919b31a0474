/**
 * The duty console in a real browser (Debian's chromium driven by playwright-core) at 1366×768,
 * as a duty officer's Chinese browser (Accept-Language zh-CN): the page is in Chinese; a wrong
 * password is refused; a fever sent by a device appears live; the officer acknowledges it and
 * closes it with a disposition and the clinical reading; after a reload it stays closed. Then the
 * language switch: English at once, still English after a reload, and the API's errors follow.
 * Measures device publish → alert on screen, and saves screenshots under test/artifacts/. All of it
 * under the gateway's strict Content-Security-Policy (no inline script or style): the browser
 * reports no violation.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceTopic } from "../../protocol/index.ts";
import { launchChromium } from "../support/browser.ts";
import { screening, sealedScreening } from "../support/events.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ARTIFACTS = resolve(import.meta.dirname, "../artifacts");
const ctx = useGatewayWithInflux();

/** Types into the console's search box and waits until the list it asked for has arrived. */
async function search(page: Page, text: string): Promise<void> {
  await Promise.all([
    page.waitForResponse((r) => r.url().includes(`q=${encodeURIComponent(text)}`)),
    page.fill("#f-q", text),
  ]);
}
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe("duty console in a browser", () => {
  it(
    "shows a live fever alert within a second and takes it through to closed",
    { timeout: 60_000 },
    async () => {
      await ctx.gw.gateway.users.add("officer zhao", "officer", "correct-horse-9");
      // Headless chromium would ask for en-US; an officer's browser in China asks for zh-CN.
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
      const violations: string[] = [];
      page.on("console", (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      const response = await page.goto(`http://127.0.0.1:${ctx.gw.gateway.httpPort}/`);
      expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
      expect(response?.headers()["content-security-policy"]).not.toContain("unsafe-inline");
      expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
      expect(await page.textContent("#login h1")).toBe("卡口体温筛查值班台");
      expect(await page.textContent("#login-form button[type=submit]")).toBe("登录");

      await page.fill("#username", "officer zhao");
      await page.fill("#password", "wrong-password");
      await page.click("button[type=submit]");
      await expect.poll(() => page.textContent("#login-error")).toBe("用户名或密码错误");

      await page.fill("#password", "correct-horse-9");
      await page.press("#password", "Enter");
      await page.waitForSelector("#app:not(.hidden)");

      const device = await ctx.gw.connectDevice("ui-1", "lane-2");
      const event = screening({ station: "ui-1", device: "lane-2", body_c: 38.7, attempt: 2 });
      const sent = Date.now();
      await device.publishAsync(deviceTopic("ui-1", "lane-2", "screening"), JSON.stringify(event), {
        qos: 1,
      });
      await page.waitForSelector(".alert.fever");
      const onScreenMs = Date.now() - sent;
      await device.endAsync();
      await page.screenshot({ path: join(ARTIFACTS, "console-alert.png") });
      console.log(`device publish → alert on screen: ${onScreenMs} ms`);
      expect(onScreenMs).toBeLessThan(1000);
      expect(await page.textContent(".alert.fever")).toContain("ui-1 / lane-2");
      expect(await page.textContent(".alert.fever")).toContain("发热");
      expect(await page.textContent("#alerts-title")).toContain("待处置告警");

      await page.click(".alert.fever [data-action=ack]");
      await page.waitForSelector(".alert.fever .state >> text=已确认");
      await page.click(".alert.fever [data-action=close]");
      expect(await page.textContent(".alert.fever select[name=disposition]")).toContain("转运发热门诊");
      await page.selectOption(".alert.fever select[name=disposition]", "fever-clinic");
      await page.fill(".alert.fever input[name=clinical_c]", "38.9");
      await page.fill(".alert.fever input[name=note]", "confirmed, ambulance called");
      await page.screenshot({ path: join(ARTIFACTS, "console-close.png") });
      await page.click(".alert.fever [data-action=close-alert]");
      await page.waitForSelector(".alert.fever", { state: "detached" });

      await page.reload();
      await page.waitForSelector("#app:not(.hidden)");
      expect(await page.$(".alert.fever")).toBeNull();
      await page.screenshot({ path: join(ARTIFACTS, "console-after-reload.png") });
      const stored = [...ctx.gw.gateway.alerts.open()].find((a) => a.event_id === event.id);
      expect(stored).toBeUndefined();

      // The switch: English at once, remembered across a reload, and the API answers in English.
      await page.click("header [data-action=language]");
      expect(await page.getAttribute("html", "lang")).toBe("en");
      expect(await page.textContent("#alerts-title")).toContain("Open alerts");
      expect(await page.textContent("#board-title")).toBe("Stations");
      await page.reload();
      await page.waitForSelector("#app:not(.hidden)");
      expect(await page.textContent("header h1")).toBe("Checkpoint duty console");
      expect(await page.textContent("#who")).toBe("officer zhao (officer)");
      await page.screenshot({ path: join(ARTIFACTS, "console-english.png") });
      await page.click("#logout");
      await page.waitForSelector("#login-view:not(.hidden)");
      expect(await page.textContent("#login-form button[type=submit]")).toBe("Log in");
      await page.fill("#username", "officer zhao");
      await page.fill("#password", "wrong-password");
      await page.click("button[type=submit]");
      await expect.poll(() => page.textContent("#login-error")).toBe("wrong username or password");
      // And back to Chinese.
      await page.click("#login [data-action=language]");
      expect(await page.textContent("#login h1")).toBe("卡口体温筛查值班台");
      expect(violations).toEqual([]);
      await page.close();
    },
  );

  it(
    "takes 200 missed-retest alerts off the screen as a retest point back online withdraws them",
    { timeout: 90_000 },
    async () => {
      await ctx.gw.gateway.users.add("officer qian", "officer", "correct-horse-8");
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
      await page.goto(`http://127.0.0.1:${ctx.gw.gateway.httpPort}/`);
      await page.fill("#username", "officer qian");
      await page.fill("#password", "correct-horse-8");
      await page.press("#password", "Enter");
      await page.waitForSelector("#app:not(.hidden)");
      // 200 travellers sent to rest two hours ago at ui-2's lane; its retest point was cut off.
      const t0 = Date.now() - 2 * 3_600_000;
      const lane = await ctx.gw.connectDevice("ui-2", "lane-1");
      const laneTopic = deviceTopic("ui-2", "lane-1", "screening");
      const firsts = Array.from({ length: 200 }, (_, i) =>
        screening({
          station: "ui-2",
          device: "lane-1",
          body_c: 37.6,
          attempt: 1,
          ts: new Date(t0 + i * 1000).toISOString(),
        }),
      );
      for (const e of firsts) await lane.publishAsync(laneTopic, JSON.stringify(e), { qos: 1 });
      await lane.publishAsync(
        laneTopic,
        JSON.stringify(
          screening({ station: "ui-2", device: "lane-1", ts: new Date(t0 + 50 * 60_000).toISOString() }),
        ),
        { qos: 1 },
      );
      await lane.endAsync();
      // All 200 counted, one page of 50 on screen.
      await search(page, "ui-2");
      await expect.poll(() => page.textContent("#count"), { timeout: 30_000 }).toBe("(200)");
      expect(await page.locator(".alert.missed-retest").count()).toBe(50);
      expect(await page.textContent("#page-info")).toBe("第 1–50 条，共 200 条");
      await page.screenshot({ path: join(ARTIFACTS, "console-missed-retests.png") });
      // The retest point is back: its outbox delivers the 200 attempts 2 taken in time.
      const point = await ctx.gw.connectDevice("ui-2", "retest-1");
      const pointTopic = deviceTopic("ui-2", "retest-1", "screening");
      for (const [i, first] of firsts.entries()) {
        const second = screening({
          station: "ui-2",
          device: "retest-1",
          subject: first.subject,
          attempt: 2,
          ts: new Date(t0 + i * 1000 + 25 * 60_000).toISOString(),
        });
        await point.publishAsync(pointTopic, JSON.stringify(second), { qos: 1 });
      }
      await point.endAsync();
      await expect.poll(() => page.textContent("#count"), { timeout: 30_000 }).toBe("(0)");
      await expect.poll(() => page.locator(".alert.missed-retest").count()).toBe(0);
      // They are in the history, closed by the gateway as withdrawn.
      await page.selectOption("#f-state", "closed");
      await expect.poll(() => page.textContent("#count")).toBe("(200)");
      expect(await page.textContent(".alert.missed-retest .who")).toContain("已撤销");
      expect(ctx.gw.gateway.counters.withdrawnAlerts).toBeGreaterThanOrEqual(200);
      await page.screenshot({ path: join(ARTIFACTS, "console-withdrawn.png") });
      await page.close();
    },
  );

  it(
    "keeps a half-filled close form, and its focus, through a burst of 50 live alerts",
    { timeout: 90_000 },
    async () => {
      await ctx.gw.gateway.users.add("officer sun", "officer", "correct-horse-7");
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
      await page.goto(`http://127.0.0.1:${ctx.gw.gateway.httpPort}/`);
      await page.fill("#username", "officer sun");
      await page.fill("#password", "correct-horse-7");
      await page.press("#password", "Enter");
      await page.waitForSelector("#app:not(.hidden)");
      await search(page, "ui-3");
      const device = await ctx.gw.connectDevice("ui-3", "retest-1");
      const topic = deviceTopic("ui-3", "retest-1", "screening");
      const first = screening({ station: "ui-3", device: "retest-1", body_c: 38.6, attempt: 2 });
      await device.publishAsync(topic, JSON.stringify(first), { qos: 1 });
      const card = page.locator(".alert.fever").first();
      await card.waitFor();
      const id = await card.getAttribute("data-id");
      const mine = page.locator(`.alert[data-id="${id}"]`);
      await mine.locator("[data-action=close]").click();
      await mine.locator("select[name=disposition]").selectOption("fever-clinic");
      await mine.locator("input[name=clinical_c]").fill("38.7");
      await mine.locator("input[name=note]").fill("救护车已");
      // 50 more fevers arrive while the officer types.
      for (let i = 0; i < 50; i++) {
        const e = screening({ station: "ui-3", device: "retest-1", body_c: 38.5, attempt: 2 });
        await device.publishAsync(topic, JSON.stringify(e), { qos: 1 });
      }
      await expect.poll(() => page.textContent("#count"), { timeout: 30_000 }).toBe("(51)");
      await page.waitForTimeout(700);
      // The form is the same, with what was typed, and the cursor is still in it.
      expect(await mine.locator("select[name=disposition]").inputValue()).toBe("fever-clinic");
      expect(await mine.locator("input[name=clinical_c]").inputValue()).toBe("38.7");
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe(
        "note",
      );
      await page.keyboard.type("出发");
      expect(await mine.locator("input[name=note]").inputValue()).toBe("救护车已出发");
      await page.screenshot({ path: join(ARTIFACTS, "console-form-in-burst.png") });
      await mine.locator("[data-action=close-alert]").click();
      await mine.waitFor({ state: "detached" });
      await expect.poll(() => page.textContent("#count")).toBe("(50)");
      expect(ctx.gw.gateway.alerts.get(id as string)).toMatchObject({
        state: "closed",
        disposition: "fever-clinic",
        clinical_c: 38.7,
        note: "救护车已出发",
        closed_by: "officer sun",
      });
      // The rest, acknowledged in one go, each saying by whom and when.
      await page.click("#ack-page");
      await expect.poll(() => page.textContent("#ack-result")).toBe("已确认 50 条");
      await expect.poll(() => page.locator(".alert.fever [data-action=ack]").count()).toBe(0);
      expect(await page.locator(".alert.fever .who").first().textContent()).toMatch(
        /^officer sun 于 \d\d\/\d\d \d\d:\d\d:\d\d 确认$/,
      );
      // Key 5: the shift's handover summary, with who closed what.
      await page.keyboard.press("Alt+5");
      await expect.poll(() => page.textContent("#handover")).toContain("转运发热门诊（officer sun） 1");
      expect(await page.textContent("#handover")).toContain("移交待处置：");
      await device.endAsync();
      await page.close();
    },
  );

  it(
    "pages through a thousand open alerts with a true count, and shows a technician no officer's buttons",
    { timeout: 90_000 },
    async () => {
      await ctx.gw.gateway.users.add("officer zhou", "officer", "correct-horse-6");
      await ctx.gw.gateway.users.add("tech wang", "technician", "correct-horse-5");
      const device = await ctx.gw.connectDevice("ui-4", "retest-1");
      const topic = deviceTopic("ui-4", "retest-1", "screening");
      // A thousand open fevers at one station (an officer at 3 a.m. after a long night).
      await Promise.all(
        Array.from({ length: 1000 }, () =>
          device.publishAsync(
            topic,
            JSON.stringify(screening({ station: "ui-4", device: "retest-1", body_c: 38.4, attempt: 2 })),
            { qos: 1 },
          ),
        ),
      );
      await device.endAsync();
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
      await page.goto(`http://127.0.0.1:${ctx.gw.gateway.httpPort}/`);
      await page.fill("#username", "officer zhou");
      await page.fill("#password", "correct-horse-6");
      await page.press("#password", "Enter");
      await page.waitForSelector("#app:not(.hidden)");
      await search(page, "ui-4");
      await expect.poll(() => page.textContent("#count"), { timeout: 30_000 }).toBe("(1000)");
      expect(await page.textContent("#page-info")).toBe("第 1–50 条，共 1000 条");
      expect(await page.isDisabled("#prev")).toBe(true);
      const firstPage = await page
        .locator(".alert")
        .evaluateAll((xs) => xs.map((x) => (x as HTMLElement).dataset.id));
      const paging = Date.now();
      for (let i = 0; i < 19; i++) {
        await page.click("#next");
        await expect
          .poll(() => page.textContent("#page-info"))
          .toBe(`第 ${(i + 1) * 50 + 1}–${(i + 2) * 50} 条，共 1000 条`);
      }
      console.log(`19 pages of a thousand open alerts: ${Math.round((Date.now() - paging) / 19)} ms a page`);
      expect(await page.locator(".alert").count()).toBe(50);
      expect(await page.isDisabled("#next")).toBe(true);
      const lastPage = await page
        .locator(".alert")
        .evaluateAll((xs) => xs.map((x) => (x as HTMLElement).dataset.id));
      expect(lastPage.some((x) => firstPage.includes(x))).toBe(false);
      expect(await page.locator(".alert [data-action=close]").count()).toBe(50);
      await page.screenshot({ path: join(ARTIFACTS, "console-paging.png") });
      await page.click("#logout");
      await page.waitForSelector("#login-view:not(.hidden)");

      await page.fill("#username", "tech wang");
      await page.fill("#password", "correct-horse-5");
      await page.press("#password", "Enter");
      await page.waitForSelector("#app:not(.hidden)");
      // No search for a technician (it matches pseudonyms); the station filter instead.
      expect(await page.isVisible("#f-q")).toBe(false);
      expect(await page.isVisible("#trace-form")).toBe(false);
      await page.waitForSelector('#f-station option[value="ui-4"]', { state: "attached" });
      await Promise.all([
        page.waitForResponse((r) => r.url().includes("station=ui-4")),
        page.selectOption("#f-station", "ui-4"),
      ]);
      await expect.poll(() => page.textContent("#count"), { timeout: 30_000 }).toBe("(1000)");
      expect(await page.locator(".alert").count()).toBe(50);
      expect(await page.locator("[data-action=ack], [data-action=close]").count()).toBe(0);
      // A person's alert without the person: no pseudonym, no temperature.
      const card = (await page.locator(".alert.fever").first().textContent()) ?? "";
      expect(card).toContain("ui-4");
      expect(card).not.toMatch(/[gl]\d+:|38\.40/);
      expect(await page.isVisible("#ack-page")).toBe(false);
      expect(await page.textContent("#watch-only")).toBe(
        "技术员账号可处置设备离线告警；发热等人员告警请由值班民警确认和关闭",
      );
      expect(await page.isVisible("#watch-only")).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, "console-technician.png") });
      await page.close();
    },
  );

  it(
    "traces a person who passed three stations from the code typed at the desk, and audits the lookup",
    { timeout: 90_000 },
    async () => {
      await ctx.gw.gateway.users.add("officer wu", "officer", "correct-horse-4");
      const seal = ctx.gw.gateway.privacy.keys.sealKey();
      const code = "11010519491231002X";
      const stations = ["tr-1", "tr-2", "tr-3"];
      const started = Date.now();
      for (const [i, station] of stations.entries()) {
        const device = await ctx.gw.connectDevice(station, "lane-1");
        const mine = sealedScreening(seal, `cn-id:${code}`, {
          station,
          device: "lane-1",
          ts: new Date(started - (3 - i) * 3_600_000).toISOString(),
          body_c: i === 2 ? 37.9 : 36.6,
          attempt: 1,
        });
        const someoneElse = sealedScreening(seal, "cn-id:110101199001011237", { station, device: "lane-1" });
        for (const e of [mine, someoneElse])
          await device.publishAsync(deviceTopic(station, "lane-1", "screening"), JSON.stringify(e), {
            qos: 1,
          });
        await device.endAsync();
      }
      // The retest asked for at tr-3 an hour ago never came: the gateway's sweep raises its alert.
      await expect
        .poll(
          () =>
            ctx.gw.gateway.alerts.page({
              state: "open",
              station: "tr-3",
              kind: "missed-retest",
              limit: 5,
              offset: 0,
            }).total,
          { timeout: 30_000 },
        )
        .toBe(1);
      // The lanes as the station's staff call them.
      expect(ctx.gw.gateway.registry.setLaneName("tr-1", "lane-1", "东侧1号通道")).toBe(true);
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
      await page.goto(`http://127.0.0.1:${ctx.gw.gateway.httpPort}/`);
      await page.fill("#username", "officer wu");
      await page.fill("#password", "correct-horse-4");
      await page.press("#password", "Enter");
      await page.waitForSelector("#app:not(.hidden)");
      // A desk scanner types the code, with the focus on the page and an alert selected: the code
      // lands in the trace box and no letter of it acts as a shortcut; without a reason, no lookup.
      await page.locator("body").click({ position: { x: 5, y: 700 } });
      await page.keyboard.press("j");
      await page.waitForTimeout(100);
      const newBefore = await page.locator(".alert [data-action=ack]").count();
      await page.keyboard.type(`${code}ac`, { delay: 2 });
      await page.keyboard.press("Enter");
      await expect.poll(() => page.inputValue("#trace-code")).toBe(`${code}ac`);
      expect(await page.locator(".alert form.close").count()).toBe(0);
      expect(await page.locator(".alert [data-action=ack]").count()).toBe(newBefore);
      expect(await page.isVisible("#trace-result")).toBe(false);
      await page.fill("#trace-code", code);
      // A desk scanner types the code and presses Enter.
      await page.fill("#trace-reason", "密接排查 第17号");
      await page.click("#trace-form button[type=submit]");
      await page.waitForSelector("#trace-result:not(.hidden)");
      // The retest asked for at tr-3 an hour ago never came: its missed-retest alert is in the trace.
      expect(await page.textContent("#trace-summary")).toMatch(/^3 次筛查，3 个站点，1 条告警 {2}g\d+:/);
      expect(await page.textContent("#trace-alerts")).toContain("未按时复测 — tr-3 — 待确认");
      const rows = await page.locator("#trace-table tbody tr").allTextContents();
      expect(rows).toHaveLength(3);
      expect(rows.map((r) => stations.find((s) => r.includes(s)))).toEqual(stations);
      expect(rows[0]).toContain("东侧1号通道（lane-1）");
      expect(rows[2]).toContain("需复测");
      expect(rows[2]).toContain("37.90");
      // The code does not stay on the screen.
      expect(await page.inputValue("#trace-code")).toBe("");
      await page.screenshot({ path: join(ARTIFACTS, "console-trace.png") });
      const audit = ctx.gw.gateway.security.audit.list({ action: "trace.lookup" });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actor: "officer wu",
        detail: { reason: "密接排查 第17号", screenings: 3, stations: 3 },
      });
      expect(audit[0]?.subject).toMatch(/^g\d+:/);
      expect(JSON.stringify(audit)).not.toContain(code);
      // A pseudonym typed in the same box (from a dashboard or an alert) is looked up as one.
      const pseudonym = audit[0]?.subject ?? "";
      await page.fill("#trace-code", pseudonym);
      await page.click("#trace-form button[type=submit]");
      await expect.poll(() => ctx.gw.gateway.security.audit.list({ action: "trace.lookup" }).length).toBe(2);
      await expect
        .poll(() => page.textContent("#trace-summary"))
        .toBe(`3 次筛查，3 个站点，1 条告警  ${pseudonym}`);
      expect(ctx.gw.gateway.security.audit.list({ action: "trace.lookup" })[0]).toMatchObject({
        subject: pseudonym,
        detail: { by: "pseudonym", screenings: 3 },
      });
      await page.close();
    },
  );
});
