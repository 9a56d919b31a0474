/** The duty console's API over real HTTP, fed by the real gateway and MQTT devices. */
import { describe, expect, it } from "vitest";
import { dayIn, deviceTopic } from "../../protocol/index.ts";
import { screening } from "../support/events.ts";
import { eventually } from "../support/gateway.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ctx = useGatewayWithInflux();
const base = () => `http://127.0.0.1:${ctx.gw.gateway.httpPort}`;

async function login(
  username: string,
  password: string,
): Promise<{ status: number; cookie: string; body: unknown }> {
  const res = await fetch(`${base()}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  return { status: res.status, cookie, body: await res.json() };
}

function post(path: string, cookie: string, body: unknown, type = "application/json") {
  return fetch(`${base()}${path}`, {
    method: "POST",
    headers: { "content-type": type, cookie },
    body: JSON.stringify(body),
  });
}

/** Reads Server-Sent Events into a list. */
async function listen(
  cookie: string,
): Promise<{ events: { event: string; data: Record<string, unknown> }[]; stop(): void }> {
  const controller = new AbortController();
  const res = await fetch(`${base()}/api/events`, { headers: { cookie }, signal: controller.signal });
  const events: { event: string; data: Record<string, unknown> }[] = [];
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let buffer = "";
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += Buffer.from(value).toString("utf8");
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, stop: () => controller.abort() };
}

describe("duty console API", () => {
  it("refuses a wrong password with a clear message, and everything without a session", async () => {
    await ctx.gw.gateway.users.add("officer chen", "officer", "correct-horse-1");
    const wrong = await login("officer chen", "not-it");
    expect(wrong.status).toBe(401);
    // Chinese unless the reader asks for English.
    expect(wrong.body).toEqual({ error: "用户名或密码错误", code: "api.login-failed" });
    for (const path of ["/api/alerts", "/api/events", "/api/me"]) {
      expect((await fetch(`${base()}${path}`)).status, path).toBe(401);
    }
    expect((await fetch(`${base()}/health`)).status).toBe(200);
  });

  it("answers errors in the language the reader asks for: the page's switch, else Accept-Language", async () => {
    const attempt = (headers: Record<string, string>) =>
      fetch(`${base()}/api/login`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ username: "officer chen", password: "not-it" }),
      }).then((r) => r.json());
    expect(await attempt({ "accept-language": "en-US,en;q=0.9" })).toEqual({
      error: "wrong username or password",
      code: "api.login-failed",
    });
    expect(await attempt({ "accept-language": "zh-CN,zh;q=0.9,en;q=0.8" })).toMatchObject({
      error: "用户名或密码错误",
    });
    expect(await attempt({ "accept-language": "zh-CN", cookie: "checkpoint_locale=en" })).toMatchObject({
      error: "wrong username or password",
    });
    const me = await fetch(`${base()}/api/me`, { headers: { "accept-language": "en" } });
    expect(await me.json()).toMatchObject({ error: "log in first (your session may have expired)" });
  });

  it("keeps every login, failure and logout in the audit log, with the address it came from", async () => {
    await ctx.gw.gateway.users.add("officer audit", "officer", "correct-horse-5");
    expect((await login("officer audit", "not-it")).status).toBe(401);
    const { cookie } = await login("officer audit", "correct-horse-5");
    expect((await post("/api/logout", cookie, {})).status).toBe(200);
    const rows = ctx.gw.gateway.security.audit.list({ who: "officer audit" });
    expect(rows.map((r) => [r.action, r.actor, r.address])).toEqual([
      ["console.logout", "officer audit", "127.0.0.1"],
      ["console.login", "officer audit", "127.0.0.1"],
      ["console.login-failure", "officer audit", "127.0.0.1"],
    ]);
  });

  it("serves the page in Chinese by default and in English to an English browser", async () => {
    const zh = await fetch(`${base()}/`);
    expect(zh.headers.get("content-type")).toMatch(/text\/html/);
    const html = await zh.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain("卡口体温筛查值班台");
    const en = await (await fetch(`${base()}/`, { headers: { "accept-language": "en-GB" } })).text();
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('<title data-t="console.title">Checkpoint duty console</title>');
  });

  it("refuses a body that is not a small JSON object, saying why without internals", async () => {
    const text = await fetch(`${base()}/api/login`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: '{"username":"a","password":"b"}',
    });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ code: "api.json-only" });
    const big = await post("/api/login", "", { username: "x".repeat(20_000), password: "y" });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: "提交的内容过大", code: "api.too-large" });
    const broken = await fetch(`${base()}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ code: "api.bad-json" });
    const missing = await post("/api/login", "", { username: "officer chen" });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: "请输入用户名和密码" });
  });

  it("pushes a fever alert live, then takes it from acknowledged to closed with a disposition", async () => {
    await ctx.gw.gateway.users.add("officer li", "officer", "correct-horse-2");
    const { cookie } = await login("officer li", "correct-horse-2");
    expect(cookie).toMatch(/^checkpoint_session=/);
    const feed = await listen(cookie);

    const device = await ctx.gw.connectDevice("con-1", "lane-1");
    const event = screening({ station: "con-1", device: "lane-1", body_c: 38.3, attempt: 2 });
    await device.publishAsync(deviceTopic("con-1", "lane-1", "screening"), JSON.stringify(event), { qos: 1 });
    await device.endAsync();
    const pushed = await eventually(() =>
      feed.events.find((e) => e.event === "alert" && e.data.event_id === event.id),
    );
    const id = String(pushed.data.id);
    expect(pushed.data).toMatchObject({ kind: "fever", station: "con-1", state: "new" });

    const open = (await (await fetch(`${base()}/api/alerts`, { headers: { cookie } })).json()) as {
      total: number;
      alerts: { id: string }[];
    };
    expect(open.alerts.map((a) => a.id)).toContain(id);
    expect(open.total).toBeGreaterThanOrEqual(1);

    const acked = await post(`/api/alerts/${id}/ack`, cookie, {});
    expect(acked.status).toBe(200);
    expect(await acked.json()).toMatchObject({ state: "acknowledged", acknowledged_by: "officer li" });
    const closed = await post(`/api/alerts/${id}/close`, cookie, {
      disposition: "fever-clinic",
      clinical_c: 38.6,
      note: "confirmed with the contact thermometer",
    });
    expect(await closed.json()).toMatchObject({
      state: "closed",
      disposition: "fever-clinic",
      clinical_c: 38.6,
    });
    await eventually(() => feed.events.some((e) => e.event === "update" && e.data.state === "closed"));
    feed.stop();

    const rows = await ctx.influx.query<{ state: string; confirmed: number; disposition: string }>(
      `SELECT "state", "confirmed", "disposition" FROM "alert" WHERE "station" = 'con-1'`,
    );
    expect(rows).toEqual([
      expect.objectContaining({ state: "closed", confirmed: 1, disposition: "fever-clinic" }),
    ]);
    // Closing twice is a conflict, not a silent overwrite.
    expect(
      (await post(`/api/alerts/${id}/close`, cookie, { disposition: "released", clinical_c: 36.8 })).status,
    ).toBe(409);
  });

  it("takes a missed-retest alert off every open console when the late retest withdraws it", async () => {
    await ctx.gw.gateway.users.add("officer wu", "officer", "correct-horse-7");
    const { cookie } = await login("officer wu", "correct-horse-7");
    const feed = await listen(cookie);
    const lane = await ctx.gw.connectDevice("con-2", "lane-1");
    const t0 = Date.now() - 2 * 3_600_000;
    const first = screening({
      station: "con-2",
      device: "lane-1",
      body_c: 37.6,
      attempt: 1,
      ts: new Date(t0).toISOString(),
    });
    const laneTopic = deviceTopic("con-2", "lane-1", "screening");
    await lane.publishAsync(laneTopic, JSON.stringify(first), { qos: 1 });
    // The lane moves on past the window; the retest point is cut off: the alert is raised.
    const later = screening({
      station: "con-2",
      device: "lane-1",
      ts: new Date(t0 + 46 * 60_000).toISOString(),
    });
    await lane.publishAsync(laneTopic, JSON.stringify(later), { qos: 1 });
    await lane.endAsync();
    const raised = await eventually(() =>
      feed.events.find(
        (e) => e.event === "alert" && e.data.kind === "missed-retest" && e.data.station === "con-2",
      ),
    );
    const id = String(raised.data.id);
    // The retest point's outbox delivers the attempt 2 it took in time.
    const point = await ctx.gw.connectDevice("con-2", "retest-1");
    const second = screening({
      station: "con-2",
      device: "retest-1",
      subject: first.subject,
      attempt: 2,
      ts: new Date(t0 + 25 * 60_000).toISOString(),
    });
    await point.publishAsync(deviceTopic("con-2", "retest-1", "screening"), JSON.stringify(second), {
      qos: 1,
    });
    await point.endAsync();
    const update = await eventually(() => feed.events.find((e) => e.event === "update" && e.data.id === id));
    expect(update.data).toMatchObject({ state: "closed", disposition: "withdrawn", closed_by: "gateway" });
    feed.stop();
    const open = (await (await fetch(`${base()}/api/alerts`, { headers: { cookie } })).json()) as {
      alerts: { id: string }[];
    };
    expect(open.alerts.map((a) => a.id)).not.toContain(id);
    // The history has it, closed by the gateway.
    const history = (await (
      await fetch(`${base()}/api/alerts?state=closed&kind=missed-retest`, { headers: { cookie } })
    ).json()) as { alerts: { id: string; disposition: string }[] };
    expect(history.alerts.find((a) => a.id === id)?.disposition).toBe("withdrawn");
  });

  it("lets only officers act on alerts, and only with JSON", async () => {
    await ctx.gw.gateway.users.add("tech wu", "technician", "correct-horse-3");
    const tech = await login("tech wu", "correct-horse-3");
    const refused = await post("/api/alerts/01JDALERT0000000000000000A/ack", tech.cookie, {});
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "此操作需要值班员或管理员权限" });
    const officer = await login("officer li", "correct-horse-2");
    const form = await post(
      "/api/alerts/01JDALERT0000000000000000A/ack",
      officer.cookie,
      {},
      "application/x-www-form-urlencoded",
    );
    expect(form.status).toBe(415);
    const unknown = await post("/api/alerts/01JDALERT0000000000000000A/ack", officer.cookie, {});
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: "告警 01JDALERT0000000000000000A 不存在",
      code: "alert.not-found",
    });
    const english = await fetch(`${base()}/api/alerts/01JDALERT0000000000000000A/ack`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: tech.cookie, "accept-language": "en" },
      body: "{}",
    });
    expect(await english.json()).toMatchObject({ error: "this needs the role officer or admin" });
  });

  it("lets a technician take up a device's alert, with a device's outcome, and no person's", async () => {
    const tech = await login("tech wu", "correct-horse-3");
    const alerts = ctx.gw.gateway.alerts;
    const device = {
      v: 1 as const,
      id: "01JDDEVICE000000000000000A",
      kind: "device-offline" as const,
      station: "con-9",
      device: "lane-1",
      ts: new Date().toISOString(),
      raised_at: new Date().toISOString(),
    };
    alerts.add(device);
    alerts.add({ ...device, id: "01JDPERSON000000000000000A", kind: "fever", body_c: 38.4 });
    alerts.add({ ...device, id: "01JDPERSON000000000000000B", kind: "health-code", code_colour: "red" });
    expect((await post(`/api/alerts/${device.id}/ack`, tech.cookie, {})).status).toBe(200);
    const wrong = await post(`/api/alerts/${device.id}/close`, tech.cookie, { disposition: "released" });
    expect(wrong.status).toBe(409);
    const repaired = await post(`/api/alerts/${device.id}/close`, tech.cookie, {
      disposition: "device-repaired",
      note: "power supply replaced",
    });
    expect(repaired.status).toBe(200);
    expect(await repaired.json()).toMatchObject({
      state: "closed",
      closed_by: "tech wu",
      disposition: "device-repaired",
    });
    expect((await post("/api/alerts/01JDPERSON000000000000000A/ack", tech.cookie, {})).status).toBe(403);
    expect(
      (
        await post("/api/alerts/01JDPERSON000000000000000A/close", tech.cookie, {
          disposition: "released",
          clinical_c: 36.8,
        })
      ).status,
    ).toBe(403);
    expect((await post("/api/alerts/ack", tech.cookie, { ids: ["01JDPERSON000000000000000A"] })).status).toBe(
      403,
    );
    expect(alerts.get("01JDPERSON000000000000000A")?.state).toBe("new");
    // A technician sees that a person's alert is there, not who or how hot, and cannot search.
    const seen = (await (
      await fetch(`${base()}/api/alerts?station=con-9`, { headers: { cookie: tech.cookie } })
    ).json()) as { alerts: Record<string, unknown>[] };
    const person = seen.alerts.find((a) => a.id === "01JDPERSON000000000000000A");
    expect(person).toMatchObject({ kind: "fever", station: "con-9", state: "new" });
    expect(person).not.toHaveProperty("body_c");
    expect(person).not.toHaveProperty("subject");
    // Nor the colour of a person's health code.
    const code = seen.alerts.find((a) => a.id === "01JDPERSON000000000000000B");
    expect(code).toMatchObject({ kind: "health-code", station: "con-9" });
    expect(code).not.toHaveProperty("code_colour");
    const officer = await login("officer li", "correct-horse-2");
    const toOfficer = (await (
      await fetch(`${base()}/api/alerts?station=con-9`, { headers: { cookie: officer.cookie } })
    ).json()) as { alerts: Record<string, unknown>[] };
    expect(toOfficer.alerts.find((a) => a.id === "01JDPERSON000000000000000B")).toMatchObject({
      code_colour: "red",
    });
    const search = await fetch(`${base()}/api/alerts?q=g1`, { headers: { cookie: tech.cookie } });
    expect(search.status).toBe(403);
  });

  it("refuses malformed paging, search, trace, handover and bulk requests with a clear 400, and keeps working", async () => {
    const officer = await login("officer li", "correct-horse-2");
    const get = (path: string) => fetch(`${base()}${path}`, { headers: { cookie: officer.cookie } });
    for (const q of [
      "state=all",
      "limit=0",
      "limit=201",
      "offset=-1",
      "offset=1e9",
      "kind=bogus",
      `q=${"x".repeat(65)}`,
      "limit=abc",
    ]) {
      const res = await get(`/api/alerts?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { code: string }).code, q).toBe("api.bad-query");
    }
    // Wildcards and quotes are text: no error, nothing matched by accident.
    const odd = await get(`/api/alerts?q=${encodeURIComponent("%' OR 1=1 --_")}`);
    expect(odd.status).toBe(200);
    expect(((await odd.json()) as { total: number }).total).toBe(0);
    for (const h of ["hours=0", "hours=73", "hours=x"])
      expect((await get(`/api/handover?${h}`)).status, h).toBe(400);
    const trace = async (body: unknown, type?: string) => {
      const res = await post("/api/trace", officer.cookie, body, type);
      return { status: res.status, code: ((await res.json()) as { code?: string }).code };
    };
    expect(await trace({ reason: "case 1" })).toEqual({ status: 400, code: "api.trace-need-one" });
    expect(await trace({ code: "11010519491231002X" })).toEqual({
      status: 400,
      code: "api.trace-bad-request",
    });
    expect(await trace({ code: "11010519491231002X", reason: "x" })).toEqual({
      status: 400,
      code: "api.trace-no-reason",
    });
    expect(await trace({ code: "11010519491231002X", reason: "r".repeat(201) })).toEqual({
      status: 400,
      code: "api.trace-no-reason",
    });
    expect(await trace({ code: "not a code at all", reason: "case 1" })).toEqual({
      status: 400,
      code: "api.trace-bad-code",
    });
    expect(await trace({ code: "9".repeat(5000), reason: "case 1" })).toEqual({
      status: 400,
      code: "api.trace-bad-request",
    });
    expect(await trace({ pseudonym: "g1:%", reason: "case 1" })).toEqual({
      status: 400,
      code: "api.trace-bad-pseudonym",
    });
    // An unknown field is dropped (the server's schemas strip what they do not name), not acted on.
    expect(
      (await trace({ code: "11010519491231002X", reason: "case 1", actor: "someone else" })).status,
    ).toBe(200);
    const last = ctx.gw.gateway.security.audit.list({ action: "trace.lookup", limit: 1 })[0];
    expect(last?.actor).toBe("officer li");
    expect((await trace({ code: "11010519491231002X", reason: "case 1" }, "text/plain")).status).toBe(415);
    expect((await post("/api/alerts/ack", officer.cookie, { ids: [] })).status).toBe(400);
    expect((await post("/api/alerts/ack", officer.cookie, { ids: ["nope"] })).status).toBe(400);
    const many = Array.from({ length: 201 }, (_, i) => `01JDMANY${String(i).padStart(18, "0")}`);
    expect((await post("/api/alerts/ack", officer.cookie, { ids: many })).status).toBe(400);
    // Ids that are not alerts: counted apart, nothing else touched.
    expect(await (await post("/api/alerts/ack", officer.cookie, { ids: many.slice(0, 3) })).json()).toEqual({
      acknowledged: 0,
      skipped: 3,
    });
    // And it still answers a good request.
    expect((await get("/api/alerts?state=closed&limit=5")).status).toBe(200);
    expect((await trace({ code: "11010519491231002X", reason: "case 1" })).status).toBe(200);
  });

  it("audits an officer's alert search once per search, with a pseudonym but never a code", async () => {
    const since = Date.now();
    const officer = await login("officer li", "correct-horse-2");
    const get = (q: string) =>
      fetch(`${base()}/api/alerts?q=${encodeURIComponent(q)}`, { headers: { cookie: officer.cookie } });
    for (let i = 0; i < 3; i++) expect((await get("g1:ABCDEFGH")).status).toBe(200);
    expect((await get("11010519491231002X")).status).toBe(200);
    const rows = ctx.gw.gateway.security.audit.list({ action: "alerts.search", since });
    expect(rows.map((r) => r.subject)).toEqual(["", "g1:ABCDEFGH"]);
    expect(rows[0]?.detail).toMatchObject({ length: 18 });
    expect(JSON.stringify(rows)).not.toContain("11010519491231002X");
  });
});

describe("station board and daily report", () => {
  it("shows each station's lanes and today's counts, and the day's report as JSON and CSV", async () => {
    await ctx.gw.gateway.users.add("officer he", "officer", "correct-horse-4");
    const { cookie } = await login("officer he", "correct-horse-4");
    const device = await ctx.gw.connectDevice("rep-1", "lane-1", {
      will: {
        topic: deviceTopic("rep-1", "lane-1", "status"),
        payload: Buffer.from('{"state":"offline"}'),
        qos: 1,
        retain: true,
      },
    });
    await device.publishAsync(deviceTopic("rep-1", "lane-1", "status"), '{"state":"online"}', {
      qos: 1,
      retain: true,
    });
    for (const body_c of [36.5, 37.0, 38.1]) {
      const e = screening({ station: "rep-1", device: "lane-1", body_c, attempt: body_c > 38 ? 2 : 1 });
      await device.publishAsync(deviceTopic("rep-1", "lane-1", "screening"), JSON.stringify(e), { qos: 1 });
    }
    const fever = await eventually(() => ctx.gw.gateway.alerts.open().find((a) => a.station === "rep-1"));
    await post(`/api/alerts/${fever.id}/close`, cookie, {
      disposition: "home-isolation",
      clinical_c: 37.9,
      note: "",
    });
    const board = (await (await fetch(`${base()}/api/stations`, { headers: { cookie } })).json()) as Record<
      string,
      unknown
    >[];
    expect(board.find((s) => s.station === "rep-1")).toMatchObject({
      devices: 1,
      online: 1,
      screened_today: 3,
      fevers_today: 1,
    });
    // The officers' day, in the gateway's TIME_ZONE (Asia/Shanghai by default).
    const day = dayIn(Date.now(), ctx.gw.gateway.config.timeZone);
    const report = (await (
      await fetch(`${base()}/api/report?date=${day}`, { headers: { cookie } })
    ).json()) as Record<string, unknown>[];
    expect(report.find((r) => r.station === "rep-1")).toEqual({
      station: "rep-1",
      name: null,
      screened: 3,
      retests: 0,
      fevers: 1,
      transfers: 0,
      handovers: 1,
    });
    const csv = await fetch(`${base()}/api/report.csv?date=${day}`, { headers: { cookie } });
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    // For Excel as it is: a byte-order mark, CRLF, Chinese headers (the officer's language).
    const bytes = new Uint8Array(await csv.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.slice(3));
    expect(text.split("\r\n")[0]).toBe("日期,站点编号,站点名称,筛查人数,复测,发热,转运发热门诊,居家隔离");
    expect(text).toContain(`\r\n${day},rep-1,,3,0,1,0,1\r\n`);
    expect((await fetch(`${base()}/api/report?date=yesterday`, { headers: { cookie } })).status).toBe(400);
    await device.endAsync();
  });
});
