/** Sensor and scanner faults at the lane, end to end: reported, nothing invented, recovered. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCredential, scanLine } from "../../simulator/people/credentials.ts";
import { Rng } from "../../simulator/random.ts";
import { eventually } from "../support/gateway.ts";
import { type LaneRig, startLaneRig } from "../support/lane-rig.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

// No rest before the retest here: the tests do not wait 20 minutes.
const ctx = useGatewayWithInflux({ REST_MIN: "0" });
let rig: LaneRig;
const rng = new Rng(8);
/** What the next person shows: mostly a health code, some an ID card or a typed number. */
const nextCode = () => scanLine(makeCredential(rng), Date.now(), rng);

async function count(): Promise<number> {
  const r = await ctx.influx.query<{ count: number }>(
    `SELECT count("id") FROM "screening" WHERE "station" = 'fw-faults'`,
  );
  return Number(r[0]?.count ?? 0);
}

beforeAll(async () => {
  rig = await startLaneRig(ctx.gw, "fw-faults", { ambientC: 21 });
});
afterAll(async () => {
  if (process.env.DEBUG_LANE) console.log(rig.firmware.logs.slice(-30));
  await rig?.close();
});

describe("faults at the lane", () => {
  it("reports an unplugged thermometer, invents no reading, and recovers when it is plugged back", async () => {
    rig.station.person(36.9);
    await rig.station.scanner.scan(nextCode());
    await eventually(async () => (await count()) === 1, 15_000);

    rig.station.unplugThermometer();
    rig.lit.clear();
    rig.station.person(37.0);
    const unplugged = nextCode();
    await rig.station.scanner.scan(unplugged);
    await eventually(() => rig.lit.has("red"), 10_000);
    // Telemetry says the sensor is faulty.
    await eventually(async () => {
      const t = await ctx.influx.query<{ sensor_ok: number }>(
        `SELECT last("sensor_ok") AS sensor_ok FROM "telemetry" WHERE "station" = 'fw-faults'`,
      );
      return t[0]?.sensor_ok === 0;
    }, 15_000);
    expect(await count()).toBe(1);

    rig.station.replugThermometer();
    await new Promise((r) => setTimeout(r, 3500)); // past the scanner's debounce window
    await rig.station.scanner.scan(unplugged);
    await eventually(async () => (await count()) === 2, 15_000);
    await eventually(async () => {
      const t = await ctx.influx.query<{ sensor_ok: number }>(
        `SELECT last("sensor_ok") AS sensor_ok FROM "telemetry" WHERE "station" = 'fw-faults'`,
      );
      return t[0]?.sensor_ok === 1;
    }, 15_000);
  });

  it("reports a bad checksum, a raised error flag and a sensor too slow to answer as faults", async () => {
    const before = await count();
    const expected = { "bad-pec": "bad-pec", "error-flag": "error-flag", slow: "timeout" } as const;
    for (const [injected, reported] of Object.entries(expected)) {
      rig.station.setFault(injected as keyof typeof expected);
      rig.station.person(36.8);
      await rig.station.scanner.scan(nextCode());
      await eventually(() => rig.firmware.logs.some((l) => l.fault === reported), 10_000);
    }
    rig.station.setFault("none");
    expect(await count()).toBe(before);
  });

  it("reconnects to the board when the link drops (a Wi-Fi dropout) and screens again", async () => {
    const before = await count();
    const readyBefore = rig.firmware.logs.filter((l) => l.msg === "firmware:board: board ready").length;
    rig.station.board.dropConnections();
    await eventually(() => rig.firmware.logged("link to the board lost"), 10_000);
    await eventually(
      () => rig.firmware.logs.filter((l) => l.msg === "firmware:board: board ready").length > readyBefore,
      20_000,
    );
    rig.station.person(36.7);
    await rig.station.scanner.scan(nextCode());
    await eventually(async () => (await count()) === before + 1, 15_000);
  });

  it("ignores garbage on the serial line and keeps scanning", async () => {
    const before = await count();
    await rig.station.scanner.sendRaw(Buffer.from([0x00, 0xff, 0x1b, 0x80, 0x41, 0x0d]));
    await rig.station.scanner.sendRaw(Buffer.alloc(2000, 0x41));
    await rig.station.scanner.sendRaw(Buffer.from("\n"));
    await eventually(() => rig.firmware.logged("garbled"), 10_000);
    rig.station.person(36.6);
    await rig.station.scanner.scan(nextCode(), "\n");
    await eventually(async () => (await count()) === before + 1, 15_000);
  });
});
