/**
 * The rules the broker enforces whatever a client sends (DESIGN.md "MQTT contract"), against the
 * real gateway over real sockets: exactly three topics per device, retain only on status, rejected
 * payloads never forwarded, client ids bound to logins, a packet size limit before buffering.
 */
import { connect as tcpConnect } from "node:net";
import mqtt, { type MqttClient } from "mqtt";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, deviceClientId, deviceTopic } from "../../protocol/index.ts";
import { screening } from "../support/events.ts";
import { collect, eventually } from "../support/gateway.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ctx = useGatewayWithInflux({ OFFLINE_GRACE_S: "0" });

function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once("close", () => resolve()));
}

async function retainedOn(topic: string, ms = 300): Promise<string[]> {
  const officer = await ctx.gw.connectOperator();
  const seen: string[] = [];
  officer.on("message", (_t, payload, packet) => {
    if (packet.retain) seen.push(payload.toString());
  });
  await officer.subscribeAsync(topic, { qos: 1 });
  await new Promise((r) => setTimeout(r, ms));
  await officer.endAsync();
  return seen;
}

/** An MQTT fixed header announcing `length` bytes, as a hostile client would send before the body. */
function fixedHeader(type: number, length: number): Buffer {
  const bytes = [type];
  let n = length;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function utf8(text: string): Buffer {
  const body = Buffer.from(text);
  return Buffer.concat([u16(body.length), body]);
}

/** MQTT 3.1.1 CONNECT with clean session, username and password, keepalive 60 s. */
function connectPacket(clientId: string, username: string, password: string): Buffer {
  const variable = Buffer.concat([utf8("MQTT"), Buffer.from([4, 0xc2]), u16(60)]);
  const payload = Buffer.concat([utf8(clientId), utf8(username), utf8(password)]);
  return Buffer.concat([fixedHeader(0x10, variable.length + payload.length), variable, payload]);
}

describe("broker rules", () => {
  it("closes a device's connection when it writes its own config, and keeps the gateway's config", async () => {
    const device = await ctx.gw.connectDevice("br-cfg", "lane-1");
    const configs = await collect(device, deviceTopic("br-cfg", "lane-1", "config"));
    const original = await eventually(() => configs[0]);
    const gone = closed(device);
    const { _topic, ...kept } = original;
    const forged = { ...kept, policy: { ...(kept.policy as object), confirm_line_c: 40 } };
    device.publish(deviceTopic("br-cfg", "lane-1", "config"), JSON.stringify(forged), {
      qos: 1,
      retain: true,
    });
    await gone;
    device.end(true);
    const again = await ctx.gw.connectDevice("br-cfg", "lane-1");
    const seen = await collect(again, deviceTopic("br-cfg", "lane-1", "config"));
    const now = await eventually(() => seen[0]);
    expect((now.policy as { confirm_line_c: number }).confirm_line_c).toBe(DEFAULT_POLICY.confirm_line_c);
    expect(ctx.gw.gateway.counters.refusedPublish).toBeGreaterThanOrEqual(1);
    await again.endAsync();
  });

  it("acknowledges a rejected payload but forwards it to no one, retained or not (nor a screening)", async () => {
    const officer = await ctx.gw.connectOperator();
    const screeningTopic = deviceTopic("br-fwd", "lane-1", "screening");
    const statusTopic = deviceTopic("br-fwd", "lane-1", "status");
    const onScreening = await collect(officer, screeningTopic);
    const onStatus = await collect(officer, statusTopic);
    const rejects = await collect(officer, "checkpoint/v1/rejects");
    const device = await ctx.gw.connectDevice("br-fwd", "lane-1");
    await device.publishAsync(screeningTopic, "<script>alert(1)</script>", { qos: 1 });
    await device.publishAsync(statusTopic, Buffer.alloc(4000, 0x41), { qos: 1, retain: true });
    // A valid screening is stored but forwarded to no one either (its subject is the lane's, not
    // the gateway's pseudonym); a valid status is forwarded, and marks the end.
    const good = screening({ station: "br-fwd", device: "lane-1" });
    await device.publishAsync(screeningTopic, JSON.stringify(good), { qos: 1 });
    await device.publishAsync(statusTopic, '{"state":"online"}', { qos: 1 });
    await eventually(() => onStatus.some((m) => m.state === "online"));
    expect(onScreening).toEqual([]);
    expect(onStatus.map((m) => m.state)).toEqual(["online"]);
    expect(rejects.filter((m) => String(m.topic).startsWith("checkpoint/v1/br-fwd/"))).toHaveLength(2);
    expect(await retainedOn(statusTopic)).toEqual([]);
    await Promise.all([device.endAsync(), officer.endAsync()]);
  });

  it("keeps retain only on a device's status: retained telemetry is stored, not retained", async () => {
    const device = await ctx.gw.connectDevice("br-ret", "lane-1");
    const telemetry = {
      v: 1,
      ts: new Date().toISOString(),
      ambient_c: 3,
      sensor_ok: true,
      outbox: 0,
      uptime_s: 1,
      fw: "t",
      config_version: "c",
    };
    await device.publishAsync(deviceTopic("br-ret", "lane-1", "telemetry"), JSON.stringify(telemetry), {
      qos: 1,
      retain: true,
    });
    await device.publishAsync(deviceTopic("br-ret", "lane-1", "status"), '{"state":"online"}', {
      qos: 1,
      retain: true,
    });
    expect(await retainedOn(deviceTopic("br-ret", "lane-1", "telemetry"))).toEqual([]);
    expect(await retainedOn(deviceTopic("br-ret", "lane-1", "status"))).toEqual(['{"state":"online"}']);
    await device.endAsync();
  });

  it("refuses a login with another device's client id, and the real device stays on without an alert", async () => {
    const officer = await ctx.gw.connectOperator();
    const alerts = await collect(officer, "checkpoint/v1/alerts/br-id");
    const lane2 = await ctx.gw.connectDevice("br-id", "lane-2", {
      will: {
        topic: deviceTopic("br-id", "lane-2", "status"),
        payload: Buffer.from('{"state":"offline"}'),
        qos: 1,
        retain: true,
      },
    });
    const lane1Secret = await ctx.gw.addDevice("br-id", "lane-1");
    for (let i = 0; i < 3; i++) {
      await expect(
        mqtt.connectAsync(ctx.gw.brokerUrl, {
          clientId: "br-id/lane-2",
          username: "br-id/lane-1",
          password: lane1Secret,
          reconnectPeriod: 0,
        }),
      ).rejects.toThrow(/Identifier rejected/);
    }
    // An operator may not take a device's client id either.
    const operatorSecret = await ctx.gw.addOperator("br-id-operator");
    await expect(
      mqtt.connectAsync(ctx.gw.brokerUrl, {
        clientId: "br-id/lane-2",
        username: "br-id-operator",
        password: operatorSecret,
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow(/Identifier rejected/);
    // The gateway's sweep (every second) would have raised a device-offline alert by now.
    await new Promise((r) => setTimeout(r, 1500));
    expect(lane2.connected).toBe(true);
    expect(alerts.filter((a) => a.kind === "device-offline")).toEqual([]);
    expect(ctx.gw.gateway.counters.clientIdRefused).toBeGreaterThanOrEqual(4);
    await Promise.all([lane2.endAsync(), officer.endAsync()]);
  });

  it("refuses wrong secrets (CONNACK 4), then unchecked from that place (CONNACK 3), audits them, and lets other lanes in", async () => {
    const secret = await ctx.gw.addDevice("br-auth", "lane-1");
    const attempt = async (password: string) => {
      try {
        const client = await mqtt.connectAsync(ctx.gw.brokerUrl, {
          clientId: deviceClientId("br-auth", "lane-1"),
          username: "br-auth/lane-1",
          password,
          reconnectPeriod: 0,
        });
        await client.endAsync();
        return 0;
      } catch (error) {
        return (error as { code?: number }).code ?? -1;
      }
    };
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push(await attempt(`guess-${i}`));
    expect(codes).toEqual([4, 4, 4, 4, 4, 3, 3]);
    // Even the right secret waits its turn from here: nothing is checked until then.
    expect(await attempt(secret)).toBe(3);
    const other = await ctx.gw.connectDevice("br-auth", "lane-2");
    expect(other.connected).toBe(true);
    await other.endAsync();
    const rows = ctx.gw.gateway.security.audit.list({ action: "mqtt.login-failure", who: "br-auth/lane-1" });
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatchObject({ actor: "br-auth/lane-1", address: "127.0.0.1", detail: { failures: 5 } });
    expect(ctx.gw.gateway.snapshot()).toMatchObject({ auth_throttled: 3 });
    expect(ctx.gw.gateway.counters.authFailures).toBeGreaterThanOrEqual(5);
    // An admin's unlock lets the lane straight back in (the gateway asks at most once a second).
    ctx.gw.gateway.security.audit.record({
      actor: "test",
      action: "admin.unlock",
      subject: "br-auth/lane-1",
    });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await attempt(secret)).toBe(0);
  });

  it("keeps devices whose names would collide under a '-' join apart (a-b + c, a + b-c)", async () => {
    const one = await ctx.gw.connectDevice("br-a-b", "c");
    const two = await ctx.gw.connectDevice("br-a", "b-c");
    await new Promise((r) => setTimeout(r, 200));
    expect(one.connected && two.connected).toBe(true);
    await Promise.all([one.endAsync(), two.endAsync()]);
  });

  it("refuses a second operator login that claims a client id another operator holds", async () => {
    const a = await ctx.gw.addOperator("br-op-a");
    const b = await ctx.gw.addOperator("br-op-b");
    const first = await mqtt.connectAsync(ctx.gw.brokerUrl, {
      clientId: "dashboard",
      username: "br-op-a",
      password: a,
      reconnectPeriod: 0,
    });
    await expect(
      mqtt.connectAsync(ctx.gw.brokerUrl, {
        clientId: "dashboard",
        username: "br-op-b",
        password: b,
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow(/Identifier rejected/);
    expect(first.connected).toBe(true);
    await first.endAsync();
  });

  it("cuts a 32 MB retained publish at its header, without buffering it or acknowledging it", async () => {
    const secret = await ctx.gw.addDevice("br-big", "lane-1");
    const socket = tcpConnect(ctx.gw.gateway.broker.port, "127.0.0.1");
    socket.on("error", () => undefined);
    const received: Buffer[] = [];
    socket.on("data", (b: Buffer) => received.push(b));
    await new Promise<void>((r) => socket.once("connect", () => r()));
    socket.write(connectPacket("br-big/lane-1", "br-big/lane-1", secret));
    await eventually(() => Buffer.concat(received)[0] === 0x20); // CONNACK
    expect(Buffer.concat(received)[3]).toBe(0); // accepted
    const rssBefore = process.memoryUsage().rss;
    const ended = new Promise<void>((r) => socket.once("close", () => r()));
    const topic = Buffer.from(deviceTopic("br-big", "lane-1", "status"));
    const total = 32 * 1024 * 1024;
    // PUBLISH, QoS 1, retain; topic, packet id 1, then the body streamed in 64 KB chunks.
    socket.write(Buffer.concat([fixedHeader(0x33, total), u16(topic.length), topic, u16(1)]));
    let sent = 0;
    let open = true;
    void ended.then(() => {
      open = false;
    });
    while (open && sent < total) {
      socket.write(Buffer.alloc(64 * 1024, 0x41));
      sent += 64 * 1024;
      await new Promise((r) => setImmediate(r));
    }
    await ended;
    // Cut long before the body was through, never acknowledged (no PUBACK 0x40 after the CONNACK).
    expect(sent).toBeLessThan(total);
    expect(Buffer.concat(received).subarray(4).includes(0x40)).toBe(false);
    expect(ctx.gw.gateway.counters.oversized).toBeGreaterThanOrEqual(1);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(24 * 1024 * 1024);
    expect(await retainedOn(deviceTopic("br-big", "lane-1", "status"))).toEqual([]);
  });

  it("cuts a CONNECT that announces 48 MB before login, at once", async () => {
    const socket = tcpConnect(ctx.gw.gateway.broker.port, "127.0.0.1");
    await new Promise<void>((r) => socket.once("connect", () => r()));
    const started = Date.now();
    const ended = new Promise<number>((r) => socket.once("close", () => r(Date.now() - started)));
    socket.write(fixedHeader(0x10, 48 * 1024 * 1024));
    socket.write(Buffer.alloc(1024, 0));
    expect(await ended).toBeLessThan(1000);
  });

  it("drops a connection that never finishes its CONNECT within the connect timeout", async () => {
    const socket = tcpConnect(ctx.gw.gateway.broker.port, "127.0.0.1");
    await new Promise<void>((r) => socket.once("connect", () => r()));
    const started = Date.now();
    const ended = new Promise<number>((r) => socket.once("close", () => r(Date.now() - started)));
    socket.write(fixedHeader(0x10, 2000));
    socket.write(Buffer.alloc(10, 0));
    socket.on("error", () => undefined);
    const ms = await ended;
    expect(ms).toBeGreaterThan(5000);
    expect(ms).toBeLessThan(15_000);
  }, 20_000);

  it("sends a device the gateway's clock when it subscribes to its clock topic", async () => {
    const device = await ctx.gw.connectDevice("br-clock", "lane-1");
    const syncs = await collect(device, deviceTopic("br-clock", "lane-1", "clock"));
    const sync = await eventually(() => syncs[0]);
    expect(sync.clock).toBe("sync");
    expect(Math.abs(Date.parse(String(sync.now)) - Date.now())).toBeLessThan(5000);
    await device.endAsync();
  });
});
