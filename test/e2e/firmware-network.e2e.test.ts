/**
 * The lane's uplink dies (a silent cut, like a pulled cable), the lane keeps screening offline,
 * and when the link is back its outbox replays: nothing lost, nothing stored twice, original
 * timestamps kept. Also with the firmware killed (SIGKILL) while events wait in its outbox. And
 * offline, a person sent to rest is recognised at the retest (station keys handed out in
 * advance), while the outbox and the lane's files hold nothing that names or links anyone.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Credential, makeCredential, scanLine } from "../../simulator/people/credentials.ts";
import { Rng } from "../../simulator/random.ts";
import { eventually } from "../support/gateway.ts";
import { type LaneRig, startLaneRig } from "../support/lane-rig.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

// No rest before the retest here: the tests do not wait 20 minutes.
const ctx = useGatewayWithInflux({ REST_MIN: "0" });
let rig: LaneRig;
/** Two minutes by default; NETWORK_CUT_MS shortens it while developing. */
const CUT_MS = Number(process.env.NETWORK_CUT_MS ?? 120_000);

interface Row {
  time: number;
  id: string;
}

async function stored(): Promise<Row[]> {
  return ctx.influx.query<Row>(`SELECT "id" FROM "screening" WHERE "station" = 'fw-net'`);
}

const rng = new Rng(9);
async function screenOne(coreC = 36.7, credential: Credential = makeCredential(rng)): Promise<void> {
  const before = rig.firmware.logs.filter((l) => l.msg === "firmware:lane: screened").length;
  rig.station.person(coreC);
  await rig.station.scanner.scan(scanLine(credential, Date.now(), rng));
  await eventually(
    () => rig.firmware.logs.filter((l) => l.msg === "firmware:lane: screened").length > before,
    10_000,
  );
}

beforeAll(async () => {
  rig = await startLaneRig(ctx.gw, "fw-net", { ambientC: 20, viaLink: true });
});
afterAll(async () => {
  await rig?.close();
});

describe("network cut at the lane", () => {
  it(
    `keeps screening through a ${CUT_MS / 1000} s cut and replays everything once, in order`,
    { timeout: CUT_MS + 150_000 },
    async () => {
      const link = rig.link;
      if (!link) throw new Error("no link");
      await screenOne();
      await eventually(async () => (await stored()).length === 1, 10_000);

      link.cut();
      const cutAt = Date.now();
      rig.lit.clear();
      for (let i = 0; i < 4; i++) await screenOne();
      // The lane showed its verdicts with no gateway.
      expect(rig.lit.has("green")).toBe(true);
      await new Promise((r) => setTimeout(r, Math.max(0, CUT_MS - (Date.now() - cutAt))));
      expect((await stored()).length).toBe(1);

      const restoredAt = Date.now();
      link.restore();
      const rows = await eventually(async () => {
        const r = await stored();
        return r.length >= 5 ? r : undefined;
      }, 90_000);
      await new Promise((r) => setTimeout(r, 1000));
      const after = await stored();
      expect(after.length).toBe(5);
      expect(new Set(after.map((r) => r.id)).size).toBe(5);
      // Stored with the time they were screened, not the time they arrived.
      const offline = rows.filter((r) => r.time / 1e6 >= cutAt);
      expect(offline).toHaveLength(4);
      expect(offline.every((r) => r.time / 1e6 < restoredAt)).toBe(true);
    },
  );

  it("recognises a retest offline, and its outbox and files hold only sealed subjects", async () => {
    const link = rig.link;
    if (!link) throw new Error("no link");
    const before = (await stored()).length;
    link.cut();
    const person = makeCredential(rng, { idCardShare: 0, typedShare: 0 });
    await screenOne(38.6, person);
    await screenOne(38.6, person); // the health code refreshed, the rest (0 min here) over
    const screened = rig.firmware.logs.filter((l) => l.msg === "firmware:lane: screened").slice(-2);
    expect(screened.map((l) => [l.verdict, l.attempt])).toEqual([
      ["retest", 1],
      ["fever", 2],
    ]);
    // What a thief who took the lane now would find on its disk: no identity, no pseudonym
    // a lane's key makes, only seals the gateway alone opens.
    const files = readdirSync(rig.file.dataDir).map((f) => readFileSync(join(rig.file.dataDir, f), "latin1"));
    const onDisk = files.join("\n");
    expect(onDisk).toContain("h3:1:");
    if (person.kind !== "health-code") throw new Error("a health code was asked for");
    for (const secret of [person.token, person.idNumber, person.idNumber.slice(6, 14), "h1:"]) {
      expect(onDisk.includes(secret), secret).toBe(false);
    }
    link.restore();
    const rows = await eventually(async () => {
      const r = await ctx.influx.query<{ subject: string; attempt: string }>(
        `SELECT "subject", "attempt" FROM "screening" WHERE "station" = 'fw-net'`,
      );
      return r.length >= before + 2 ? r : undefined;
    }, 60_000);
    const [first, second] = rows.slice(-2);
    expect(second?.attempt).toBe("2");
    expect(second?.subject).toBe(first?.subject);
    expect(first?.subject).toMatch(/^g1:/);
  });

  it("loses nothing queued in the outbox when the firmware is killed with SIGKILL", async () => {
    const link = rig.link;
    if (!link) throw new Error("no link");
    const before = (await stored()).length;
    link.cut();
    for (let i = 0; i < 3; i++) await screenOne();
    await rig.firmware.kill("SIGKILL");
    link.restore();
    rig.firmware.start();
    const rows = await eventually(async () => {
      const r = await stored();
      return r.length >= before + 3 ? r : undefined;
    }, 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await stored()).length).toBe(before + 3);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });
});
