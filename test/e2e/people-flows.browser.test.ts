/**
 * The people flows in a real browser (Debian's chromium, playwright-core) at 1366×768, in Chinese,
 * fed by the real gateway, MQTT devices and InfluxDB:
 * - an officer hands a person with a fever over to their township: the roster shows them, with
 *   today's reading not in; a community worker's device sends the reading and the roster says so;
 * - a day ends without a reading: the isolation-missed alert arrives live;
 * - the isolated person is scanned at a highway checkpoint: the isolation-breach alert arrives live;
 * - another person is transferred to a fever clinic, and the clinic's result is recorded.
 * Screenshots under test/artifacts/.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceTopic, type ScreeningEvent } from "../../protocol/index.ts";
import { launchChromium } from "../support/browser.ts";
import { sealedHomeReading, sealedScreening } from "../support/events.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ARTIFACTS = resolve(import.meta.dirname, "../artifacts");
const ctx = useGatewayWithInflux({
  TOWNSHIPS: "chengguan=城关街道,xinan=西南街道",
  CLINICS: "renmin=市人民医院发热门诊,zhongyi=市中医院发热门诊",
});
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function officerPage(username: string, township: string | null = null): Promise<Page> {
  await ctx.gw.gateway.users.add(username, township ? "township" : "officer", "correct-horse-9", township);
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
  await page.goto(`http://127.0.0.1:${ctx.gw.gateway.httpPort}/`);
  await page.fill("#username", username);
  await page.fill("#password", "correct-horse-9");
  await page.press("#password", "Enter");
  await page.waitForSelector("#app:not(.hidden)");
  return page;
}

async function screen(
  station: string,
  identity: string,
  e: Partial<ScreeningEvent>,
): Promise<ScreeningEvent> {
  const lane = await ctx.gw.connectDevice(station, "lane-1");
  const event = sealedScreening(ctx.gw.gateway.privacy.keys.sealKey(), identity, {
    station,
    device: "lane-1",
    ...e,
  });
  await lane.publishAsync(deviceTopic(station, "lane-1", "screening"), JSON.stringify(event), { qos: 1 });
  await lane.endAsync();
  return event;
}

/** Closes the alert card at `selector` with an outcome that needs a place. */
async function closeWith(page: Page, card: string, disposition: string, place: { name: string; id: string }) {
  await page.click(`${card} [data-action=close]`);
  await page.selectOption(`${card} select[name=disposition]`, disposition);
  const field = disposition === "home-isolation" ? "township" : "clinic";
  await page.selectOption(`${card} select[name=${field}]`, place.id);
  await page.fill(`${card} input[name=clinical_c]`, "38.4");
  await page.click(`${card} [data-action=close-alert]`);
  await page.waitForSelector(card, { state: "detached" });
}

describe("people flows in the console", () => {
  it(
    "a handover puts the person on the roster; a missed day and a checkpoint scan raise live alerts",
    { timeout: 90_000 },
    async () => {
      const page = await officerPage("officer feng");
      const person = "health-code:44:BrowserIsolation000001";
      const fever = await screen("pf-ui-gate", person, { attempt: 2, body_c: 38.5, verdict: "fever" });
      const card = `.alert.fever[data-id]`;
      await page.waitForSelector(card);
      // The township list appears only for a handover, and it is required.
      await page.click(`${card} [data-action=close]`);
      expect(await page.isVisible(`${card} select[name=township]`)).toBe(false);
      await page.selectOption(`${card} select[name=disposition]`, "home-isolation");
      expect(await page.isVisible(`${card} select[name=township]`)).toBe(true);
      expect(await page.textContent(`${card} select[name=township]`)).toContain("西南街道");
      await page.click(`${card} [data-action=cancel]`);
      await closeWith(page, card, "home-isolation", { name: "城关街道", id: "chengguan" });

      const alert = ctx.gw.gateway.alerts.forSubjects(
        ctx.gw.gateway.privacy.subjects.pseudonymsOf(person),
      )[0];
      expect(alert?.event_id).toBe(fever.id);
      const rosterId = alert?.id ?? "";
      const row = `#roster tr[data-id="${rosterId}"]`;
      await page.waitForSelector(row);
      expect(await page.textContent(row)).toContain("城关街道");
      expect(await page.textContent(row)).toContain("今日未报");
      await page.keyboard.press("Alt+6");
      await page.screenshot({ path: join(ARTIFACTS, "console-roster.png") });

      // The community worker's device reads the person's temperature at their door.
      const worker = await ctx.gw.connectDevice("chengguan", "worker-1");
      const reading = sealedHomeReading(ctx.gw.gateway.privacy.keys.sealKey(), person, {
        body_c: 36.8,
        method: "armpit",
      });
      await worker.publishAsync(
        deviceTopic("chengguan", "worker-1", "home-reading"),
        JSON.stringify(reading),
        { qos: 1 },
      );
      await worker.endAsync();
      await page.selectOption("#roster-state", "");
      await page.selectOption("#roster-state", "active");
      await expect.poll(() => page.textContent(`${row} td:nth-child(6)`)).toBe("今日已报");
      expect(await page.textContent(row)).toContain("36.8 °C");

      // Two days later without a reading (the handover moved back, as after a weekend).
      ctx.gw.gateway.registry.db
        .prepare("UPDATE isolation_roster SET start_at = ? WHERE id = ?")
        .run(new Date(Date.now() - 3 * 86_400_000).toISOString(), rosterId);
      await ctx.gw.gateway.sweepFlows();
      await page.waitForSelector(".alert.isolation-missed");
      expect(await page.textContent(".alert.isolation-missed")).toContain("居家隔离漏报体温");
      // To the township, by its name.
      expect(await page.textContent(".alert.isolation-missed")).toContain("城关街道");

      // The person at a highway checkpoint.
      await screen("pf-ui-highway", person, { body_c: 36.6, verdict: "pass" });
      await page.waitForSelector(".alert.isolation-breach");
      expect(await page.textContent(".alert.isolation-breach")).toContain("居家隔离人员外出");
      expect(await page.textContent(".alert.isolation-breach")).toContain("pf-ui-highway");
      await page.keyboard.press("Alt+1");
      await page.screenshot({ path: join(ARTIFACTS, "console-isolation-alerts.png") });
      // A breach closes with the person sent back home; a device's outcome is not offered.
      await page.click(".alert.isolation-breach [data-action=close]");
      const outcomes = await page.textContent(".alert.isolation-breach select[name=disposition]");
      expect(outcomes).toContain("已劝返居家隔离");
      expect(outcomes).not.toContain("设备已修复");
      await page.close();
    },
  );

  it("a transfer to a fever clinic, then the clinic's result", { timeout: 60_000 }, async () => {
    const page = await officerPage("officer han");
    const person = "health-code:44:BrowserTransfer0000001";
    await screen("pf-ui-gate-2", person, { attempt: 2, body_c: 39.1, verdict: "fever" });
    const card = `.alert.fever[data-id]`;
    await page.waitForSelector(card);
    await closeWith(page, card, "fever-clinic", { name: "市中医院发热门诊", id: "zhongyi" });
    const alert = ctx.gw.gateway.alerts.forSubjects(ctx.gw.gateway.privacy.subjects.pseudonymsOf(person))[0];
    const row = `#transfers tr[data-id="${alert?.id}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(row)).toContain("市中医院发热门诊");
    expect(await page.textContent(row)).toContain("officer han");
    expect(await page.textContent(row)).toContain("尚无结果");
    await page.click(`${row} [data-action=result]`);
    await page.selectOption(`${row} select[name=result]`, "admitted");
    await page.fill(`${row} input[name=note]`, "胸部CT异常，收治");
    await page.keyboard.press("Alt+7");
    await page.screenshot({ path: join(ARTIFACTS, "console-transfer.png") });
    await page.click(`${row} [data-action=save]`);
    // Recorded: it leaves the list of those awaiting their result; "all" shows it with its result.
    await page.waitForSelector(row, { state: "detached" });
    await page.selectOption("#transfers-filter", "");
    await page.waitForSelector(row);
    expect(await page.textContent(row)).toContain("收治入院");
    expect(ctx.gw.gateway.transfers.get(alert?.id ?? "")).toMatchObject({
      result: "admitted",
      result_by: "officer han",
    });
    // The city's figures above the daily report count the transfer.
    await expect.poll(() => page.textContent("#city-flows")).toMatch(/转运发热门诊 [1-9]\d* 人/);
    // A trace of the person's code shows the transfer and its result.
    await page.fill("#trace-code", "https://hc.gov.example/q?v=2&r=44&uid=BrowserTransfer0000001&t=1&sig=x");
    await page.fill("#trace-reason", "核查转运");
    await page.click("#trace-form button[type=submit]");
    await page.waitForSelector("#trace-result:not(.hidden)");
    expect(await page.textContent("#trace-alerts")).toContain("转运：市中医院发热门诊");
    expect(await page.textContent("#trace-alerts")).toContain("收治入院");
    await page.close();
  });

  it(
    "the roster pages: a city has more people in isolation than one page holds",
    { timeout: 60_000 },
    async () => {
      const insert = ctx.gw.gateway.registry.db.prepare(
        `INSERT INTO isolation_roster (id, subject, township, alert_id, station, start_at, end_day, created_by, state)
       VALUES (?, ?, 'xinan', ?, 'pf-ui-gate', ?, '2099-12-31', 'officer test', 'active')`,
      );
      for (let i = 0; i < 120; i++) {
        const id = `01JDPAGE${String(i).padStart(18, "0")}`;
        insert.run(
          id,
          `g1:PAGE${String(i).padStart(22, "0")}`,
          id,
          new Date(Date.now() - i * 1000).toISOString(),
        );
      }
      const page = await officerPage("officer pan");
      await page.waitForSelector('#roster-township option[value="xinan"]', { state: "attached" });
      await page.selectOption("#roster-township", "xinan");
      await expect.poll(() => page.textContent("#roster-info")).toBe("第 1–100 条，共 120 条");
      expect(await page.locator("#roster tbody tr").count()).toBe(100);
      expect(await page.isDisabled("#roster-prev")).toBe(true);
      // The 101st person, whose reading a township's staff must be able to type in.
      await page.click("#roster-next");
      await expect.poll(() => page.textContent("#roster-info")).toBe("第 101–120 条，共 120 条");
      expect(await page.locator("#roster tbody tr").count()).toBe(20);
      expect(await page.isVisible('#roster tr[data-id="01JDPAGE000000000000000119"]')).toBe(true);
      expect(await page.isDisabled("#roster-next")).toBe(true);
      await page.close();
    },
  );

  it(
    "a reading typed in is recorded once, however fast its form is sent twice",
    { timeout: 60_000 },
    async () => {
      const page = await officerPage("officer lu");
      await page.waitForSelector('#roster-township option[value="xinan"]', { state: "attached" });
      await page.selectOption("#roster-township", "xinan");
      const id = "01JDPAGE000000000000000000";
      const row = `#roster tr[data-id="${id}"]`;
      await page.waitForSelector(row);
      await page.click(`${row} [data-action=reading]`);
      await page.fill(`${row} input[name=body_c]`, "38.2");
      // A tired officer's double Enter: both submits before the first answer is back.
      await page.evaluate((selector) => {
        const form = document.querySelector<HTMLFormElement>(`${selector} form`);
        form?.requestSubmit();
        form?.requestSubmit();
      }, row);
      await page.waitForSelector(`${row} form`, { state: "detached" });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(ctx.gw.gateway.roster.readings(id)).toHaveLength(1);
      await page.close();
    },
  );

  it(
    "a clinic that sends the person home: the township is asked for, and they are on its roster",
    { timeout: 60_000 },
    async () => {
      const page = await officerPage("officer jiang");
      const person = "health-code:44:BrowserClinicHome00001";
      await screen("pf-ui-gate-3", person, { attempt: 2, body_c: 38.9, verdict: "fever" });
      const card = `.alert.fever[data-id]`;
      await page.waitForSelector(card);
      await closeWith(page, card, "fever-clinic", { name: "市人民医院发热门诊", id: "renmin" });
      const alert = ctx.gw.gateway.alerts.forSubjects(
        ctx.gw.gateway.privacy.subjects.pseudonymsOf(person),
      )[0];
      const row = `#transfers tr[data-id="${alert?.id}"]`;
      await page.waitForSelector(row);
      await page.click(`${row} [data-action=result]`);
      expect(await page.isVisible(`${row} select[name=township]`)).toBe(false);
      await page.selectOption(`${row} select[name=result]`, "home-isolation");
      expect(await page.isVisible(`${row} select[name=township]`)).toBe(true);
      await page.selectOption(`${row} select[name=township]`, "chengguan");
      await page.click(`${row} [data-action=save]`);
      await page.waitForSelector(row, { state: "detached" });
      expect(
        ctx.gw.gateway.roster.activeFor(ctx.gw.gateway.privacy.subjects.pseudonymsOf(person)),
      ).toMatchObject({
        township: "chengguan",
        created_by: "officer jiang",
      });
      await page.waitForSelector(`#roster tr[data-id="${alert?.id}"]`);
      await page.close();
    },
  );

  it(
    "a township's staff see their own roster and the alerts raised to them, and record a reading",
    { timeout: 60_000 },
    async () => {
      // Two people handed over by an officer (the console's close form is tried above), to two townships.
      const ours = "health-code:44:BrowserTownshipOurs0001";
      const theirs = "health-code:44:BrowserTownshipOther001";
      const handOver = async (identity: string, township: string) => {
        const event = await screen("pf-ui-gate-9", identity, { attempt: 2, body_c: 38.4, verdict: "fever" });
        const id = ctx.gw.gateway.alerts.open().find((a) => a.event_id === event.id)?.id ?? "";
        ctx.gw.gateway.flows.closeAlert(id, "officer lu", {
          disposition: "home-isolation",
          clinical_c: 38.2,
          note: "",
          township,
        });
        return id;
      };
      const mine = await handOver(ours, "chengguan");
      const other = await handOver(theirs, "xinan");

      // (chengguan: the paging test above fills xinan's roster with 120 people)
      const page = await officerPage("chengguan staff", "chengguan");
      expect(await page.textContent("#who")).toContain("街道工作人员");
      await page.waitForSelector(`#roster tr[data-id="${mine}"]`);
      expect(await page.$(`#roster tr[data-id="${other}"]`)).toBeNull();
      // Nothing of the checkpoints', nor the officers' tools.
      for (const hidden of [
        "#board-section",
        "#report-section",
        "#transfers-section",
        "#desk-section",
        "#trace-title",
      ])
        expect(await page.isVisible(hidden), hidden).toBe(false);
      expect(await page.isVisible("#roster-township")).toBe(false);
      expect(await page.locator(`#roster tr[data-id="${mine}"] [data-action=end]`).count()).toBe(0);
      // A day unread: the missed-reading alert reaches them live.
      ctx.gw.gateway.registry.db
        .prepare("UPDATE isolation_roster SET start_at = ? WHERE id = ?")
        .run(new Date(Date.now() - 2 * 86_400_000).toISOString(), mine);
      await ctx.gw.gateway.sweepFlows();
      const missedId = ctx.gw.gateway.alerts
        .open()
        .find(
          (a) => a.kind === "isolation-missed" && a.subject === ctx.gw.gateway.alerts.get(mine)?.subject,
        )?.id;
      const missed = `.alert.isolation-missed[data-id="${missedId}"]`;
      await page.waitForSelector(missed);
      expect(await page.textContent(missed)).toContain("城关街道");
      // They type in today's reading at the door.
      const row = `#roster tr[data-id="${mine}"]`;
      await page.click(`${row} [data-action=reading]`);
      await page.fill(`${row} input[name=body_c]`, "36.5");
      await page.screenshot({ path: join(ARTIFACTS, "console-township.png") });
      await page.click(`${row} [data-action=save]`);
      await expect.poll(() => page.textContent(`${row} td:nth-child(6)`)).toBe("今日已报");
      // And close the missed day's alert as read late.
      await page.click(`${missed} [data-action=close]`);
      await page.selectOption(`${missed} select[name=disposition]`, "reading-taken");
      await page.click(`${missed} [data-action=close-alert]`);
      await page.waitForSelector(missed, { state: "detached" });
      await page.close();
    },
  );
});
