/**
 * Retest anywhere at the station, on the unchanged firmware: a screening lane sends a febrile
 * traveller to rest and on to the station's retest point, which takes attempt 2 — with both lanes'
 * uplinks cut (the station link carries who is waiting over the station LAN, here loopback) and the
 * retest point restarted in between (its waiting list is on its disk). Once the network is back the
 * gateway stores both attempts as one person and raises no missed-retest alert.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/influxd.ts";
import { type Credential, makeCredential, scanLine } from "../../simulator/people/credentials.ts";
import { Rng } from "../../simulator/random.ts";
import { eventually } from "../support/gateway.ts";
import { type LaneRig, startLaneRig } from "../support/lane-rig.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

// No rest before the retest here: the test does not wait 20 minutes.
const ctx = useGatewayWithInflux({ REST_MIN: "0" });
const STATION = "fw-rt";
let lane: LaneRig;
let point: LaneRig;
const rng = new Rng(21);

function screened(rig: LaneRig): Record<string, unknown>[] {
  return rig.firmware.logs.filter((l) => l.msg === "firmware:lane: screened");
}

async function scan(rig: LaneRig, coreC: number, person: Credential, expect: (logs: number) => boolean) {
  rig.station.person(coreC);
  await rig.station.scanner.scan(scanLine(person, Date.now(), rng));
  await eventually(() => expect(rig.firmware.logs.length), 10_000);
}

beforeAll(async () => {
  const [lanePort, pointPort] = [await freePort(), await freePort()];
  lane = await startLaneRig(ctx.gw, STATION, {
    ambientC: 20,
    viaLink: true,
    device: "lane-1",
    extra: {
      role: "screen",
      stationLink: { listen: `127.0.0.1:${lanePort}`, peers: [`http://127.0.0.1:${pointPort}`] },
    },
  });
  point = await startLaneRig(ctx.gw, STATION, {
    ambientC: 20,
    viaLink: true,
    device: "retest-1",
    extra: {
      role: "retest",
      stationLink: { listen: `127.0.0.1:${pointPort}`, peers: [`http://127.0.0.1:${lanePort}`] },
    },
  });
}, 90_000);
afterAll(async () => {
  await lane?.close();
  await point?.close();
});

describe("a retest point", () => {
  it(
    "takes attempt 2 of a person sent to rest at a screening lane, offline and across its restart",
    { timeout: 120_000 },
    async () => {
      lane.link?.cut();
      point.link?.cut();
      const person = makeCredential(rng, { idCardShare: 0, typedShare: 0 });
      const before = screened(lane).length;
      await scan(lane, 38.6, person, () => screened(lane).length > before);
      expect(screened(lane).at(-1)).toMatchObject({ verdict: "retest", attempt: 1 });
      // The retest point heard of them over the station link and keeps them on its disk.
      const waitingFile = join(point.file.dataDir, "waiting.json");
      await eventually(() => {
        try {
          return (
            (JSON.parse(readFileSync(waitingFile, "utf8")) as { entries: unknown[] }).entries.length === 1
          );
        } catch {
          return false;
        }
      }, 15_000);
      expect(statSync(waitingFile).mode & 0o777).toBe(0o600);

      // Back at the screening lane: sent on to the retest point, nothing measured or sent.
      const outcomes = () => lane.firmware.logs.filter((l) => l.outcome === "to-retest-point").length;
      await scan(lane, 38.6, person, () => outcomes() === 1);
      expect(screened(lane).length).toBe(before + 1);

      // The retest point restarts (a power cut), still offline.
      await point.firmware.kill("SIGTERM");
      const logsBefore = point.firmware.logs.length;
      point.firmware.start();
      await eventually(
        () => point.firmware.logs.slice(logsBefore).some((l) => String(l.msg).includes("board ready")),
        30_000,
      );
      const beforePoint = screened(point).length;
      await scan(point, 38.6, person, () => screened(point).length > beforePoint);
      expect(screened(point).at(-1)).toMatchObject({ verdict: "fever", attempt: 2 });

      // The network is back: one person, attempt 1 at the lane and attempt 2 at the retest point.
      lane.link?.restore();
      point.link?.restore();
      const rows = await eventually(async () => {
        const r = await ctx.influx.query<{
          subject: string;
          attempt: string;
          device: string;
          verdict: string;
        }>(
          `SELECT "subject", "attempt", "device", "verdict" FROM "screening" WHERE "station" = '${STATION}'`,
        );
        return r.length >= 2 ? r : undefined;
      }, 60_000);
      expect(rows.map((r) => [r.device, r.attempt, r.verdict])).toEqual([
        ["lane-1", "1", "retest"],
        ["retest-1", "2", "fever"],
      ]);
      expect(rows[1]?.subject).toBe(rows[0]?.subject);
      expect(ctx.gw.gateway.counters.missedRetests).toBe(0);
    },
  );

  it(
    "still hears of a person sent to rest when the screening lane is killed (kill -9) before it could tell",
    { timeout: 120_000 },
    async () => {
      const started = (rig: LaneRig, from: number) =>
        eventually(
          () => rig.firmware.logs.slice(from).some((l) => String(l.msg).includes("board ready")),
          30_000,
        );
      const waitingAt = (rig: LaneRig): number => {
        try {
          return (
            JSON.parse(readFileSync(join(rig.file.dataDir, "waiting.json"), "utf8")) as { entries: unknown[] }
          ).entries.length;
        } catch {
          return -1;
        }
      };
      // The retest point is down; the lane sends a traveller to rest and dies at once.
      await point.firmware.kill("SIGKILL");
      const person = makeCredential(rng, { idCardShare: 0, typedShare: 0 });
      const before = screened(lane).length;
      await scan(lane, 38.6, person, () => screened(lane).length > before);
      expect(screened(lane).at(-1)).toMatchObject({ verdict: "retest", attempt: 1 });
      await lane.firmware.kill("SIGKILL");
      // Both come back; the lane tells the point what it had not delivered.
      const pointFrom = point.firmware.logs.length;
      point.firmware.start();
      await started(point, pointFrom);
      const laneFrom = lane.firmware.logs.length;
      lane.firmware.start();
      await started(lane, laneFrom);
      await eventually(() => waitingAt(point) === 1, 20_000);
      const beforePoint = screened(point).length;
      await scan(point, 38.6, person, () => screened(point).length > beforePoint);
      expect(screened(point).at(-1)).toMatchObject({ verdict: "fever", attempt: 2 });
    },
  );
});
