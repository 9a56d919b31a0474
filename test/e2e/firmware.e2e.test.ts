/**
 * The unchanged firmware, as its own process, against the wire-level simulator (Firmata over TCP
 * with an MLX90614 on I2C, a QR scanner on a socat pseudo-terminal), through the real gateway into
 * a real InfluxDB. People show what the simulator's people carry: health codes that refresh
 * between scans, ID cards on the reader, ID numbers typed in.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LaneFile } from "../../firmware/config.ts";
import { DEFAULT_PINS, VirtualStation } from "../../simulator/hardware/station.ts";
import {
  type Credential,
  makeCredential,
  makeIdNumber,
  scanLine,
} from "../../simulator/people/credentials.ts";
import { Rng } from "../../simulator/random.ts";
import { FirmwareProcess } from "../support/firmware-process.ts";
import { eventually } from "../support/gateway.ts";
import { useGatewayWithInflux } from "../support/suite.ts";
import { tempDir } from "../support/tmp.ts";

// No rest before the retest here: the tests do not wait 20 minutes.
const ctx = useGatewayWithInflux({ REST_MIN: "0" });
let station: VirtualStation;
let firmware: FirmwareProcess;
let dir: ReturnType<typeof tempDir>;
const lit = new Set<string>();
const rng = new Rng(2026);
/** Every line scanned, and the identities in them: none may show up in a log or in InfluxDB. */
const secrets = new Set<string>();
function show(credential: Credential): string {
  const line = scanLine(credential, Date.now(), rng);
  secrets.add(line);
  secrets.add(credential.idNumber);
  if (credential.kind === "health-code") secrets.add(credential.token);
  return line;
}
const healthCode = (): Credential => makeCredential(rng, { idCardShare: 0, typedShare: 0 });

interface Row {
  id: string;
  verdict: string;
  attempt: string;
  body_c: number;
  subject: string;
}

async function rows(): Promise<Row[]> {
  return ctx.influx.query<Row>(
    `SELECT "id", "verdict", "attempt", "body_c", "subject" FROM "screening" WHERE "station" = 'fw-1'`,
  );
}

async function screen(code: string, coreC: number): Promise<Row> {
  const before = (await rows()).length;
  station.person(coreC);
  await station.scanner.scan(code);
  const after = await eventually(async () => {
    const r = await rows();
    return r.length > before ? r : undefined;
  }, 15_000);
  return after.at(-1) as Row;
}

beforeAll(async () => {
  dir = tempDir("firmware");
  station = new VirtualStation({ ambientC: 22 });
  await station.start();
  station.board.on("pin", (pin: number, value: number) => {
    const name = Object.entries(DEFAULT_PINS).find(([, p]) => p === pin)?.[0];
    if (name && value) lit.add(name);
  });
  const secret = await ctx.gw.addDevice("fw-1", "lane-1");
  const file: LaneFile = {
    station: "fw-1",
    device: "lane-1",
    mqtt: { url: ctx.gw.brokerUrl, username: "fw-1/lane-1", password: secret },
    board: station.boardAddress,
    scanner: station.scanner.address,
    pins: { ...DEFAULT_PINS },
    dataDir: join(dir.path, "lane"),
    telemetryMs: 1000,
  };
  firmware = new FirmwareProcess(file, dir.path);
  firmware.start();
  await eventually(() => firmware.logged("board ready") && firmware.logged("config applied"), 30_000);
});

afterAll(async () => {
  await firmware?.kill("SIGTERM");
  await station?.close();
  dir?.remove();
});

describe("firmware against the hardware simulator", () => {
  it("passes a healthy person and lights green", async () => {
    lit.clear();
    const row = await screen(show(healthCode()), 36.7);
    expect(row.verdict).toBe("pass");
    expect(row.attempt).toBe("1");
    // The gateway's pseudonym: the lane sent the identity sealed, the gateway re-keyed it.
    expect(row.subject).toMatch(/^g1:[A-Z2-7]{26}$/);
    expect(lit.has("green")).toBe(true);
  });

  it("asks a febrile person for a retest, then confirms the fever with red and the buzzer (their health code refreshed)", async () => {
    const person = healthCode();
    const first = await screen(show(person), 38.6);
    expect(first.verdict).toBe("retest");
    lit.clear();
    await new Promise((r) => setTimeout(r, 1100)); // the code shown again a moment later
    const second = await screen(show(person), 38.6);
    expect(second).toMatchObject({ verdict: "fever", attempt: "2", subject: first.subject });
    expect(lit.has("red")).toBe(true);
    expect(lit.has("buzzer")).toBe(true);
  });

  it("takes the retest of a person who showed their ID card with the number typed in", async () => {
    const idNumber = makeIdNumber(rng);
    const first = await screen(show({ kind: "id-card", idNumber }), 38.6);
    expect(first.verdict).toBe("retest");
    const second = await screen(show({ kind: "typed-id", idNumber }), 38.6);
    expect(second).toMatchObject({ verdict: "fever", attempt: "2", subject: first.subject });
  });

  it("refuses a code it does not take: says why, in Chinese, and measures and sends nothing", async () => {
    const before = (await rows()).length;
    const refusedMsg = "firmware:lane: code refused; the person was asked for a code this lane takes";
    const logged = () => firmware.logs.filter((l) => l.msg === refusedMsg);
    lit.clear();
    station.person(36.7);
    const unknown = "HC-E2E-UNKNOWN-0004";
    secrets.add(unknown);
    await station.scanner.scan(unknown);
    await eventually(() => logged().length === 1, 10_000);
    expect(logged()[0]).toMatchObject({ reason: "unrecognised", text: "无法识别此码，请出示健康码或身份证" });
    const valid = makeIdNumber(rng);
    const wrong = valid.slice(0, 17) + (valid[17] === "0" ? "1" : "0");
    secrets.add(wrong);
    await station.scanner.scan(wrong);
    await eventually(() => logged().length === 2, 10_000);
    expect(logged()[1]).toMatchObject({ reason: "cn-id-check-digit" });
    await eventually(() => lit.has("red"), 5000); // red blinks twice
    await new Promise((r) => setTimeout(r, 500));
    expect((await rows()).length).toBe(before);
  });

  it("reports an implausible reading as invalid, never as a pass", async () => {
    station.scene.blackbody(29);
    await station.scanner.scan(show(healthCode()));
    const row = await eventually(async () => (await rows()).find((r) => r.verdict === "invalid"), 15_000);
    expect(row.body_c).toBeLessThan(34);
  });

  it("keeps nothing of what was scanned: not in its log, not in InfluxDB", async () => {
    const logs = JSON.stringify(firmware.logs);
    const stored = JSON.stringify(
      await ctx.influx.query(`SELECT * FROM "screening" WHERE "station" = 'fw-1'`),
    );
    expect(secrets.size).toBeGreaterThan(8);
    for (const secret of secrets) {
      expect(logs.includes(secret), "in the lane's log").toBe(false);
      expect(stored.includes(secret), "in InfluxDB").toBe(false);
    }
  });
});
