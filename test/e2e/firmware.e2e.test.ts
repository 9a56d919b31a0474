/**
 * The unchanged firmware, as its own process, against the wire-level simulator (Firmata over TCP
 * with an MLX90614 on I2C, a QR scanner on a socat pseudo-terminal), through the real gateway into
 * a real InfluxDB.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LaneFile } from "../../firmware/config.ts";
import { DEFAULT_PINS, VirtualStation } from "../../simulator/hardware/station.ts";
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
    const row = await screen("HC-E2E-PASS-0001", 36.7);
    expect(row.verdict).toBe("pass");
    expect(row.attempt).toBe("1");
    expect(row.subject).toMatch(/^h1:/);
    expect(lit.has("green")).toBe(true);
  });

  it("asks a febrile person for a retest, then confirms the fever with red and the buzzer", async () => {
    const first = await screen("HC-E2E-FEVER-0002", 38.6);
    expect(first.verdict).toBe("retest");
    lit.clear();
    await new Promise((r) => setTimeout(r, 3200)); // the same code again after the debounce
    const second = await screen("HC-E2E-FEVER-0002", 38.6);
    expect(second).toMatchObject({ verdict: "fever", attempt: "2", subject: first.subject });
    expect(lit.has("red")).toBe(true);
    expect(lit.has("buzzer")).toBe(true);
  });

  it("reports an implausible reading as invalid, never as a pass", async () => {
    station.scene.blackbody(29);
    await station.scanner.scan("HC-E2E-COLD-0003");
    const row = await eventually(async () => (await rows()).find((r) => r.verdict === "invalid"), 15_000);
    expect(row.body_c).toBeLessThan(34);
  });
});
