/**
 * bench:privacy's lane-side timing, run as its own process with the firmware's node flags
 * (firmware/package.json: --max-semi-space-size=1 --lite-mode): what one scan costs the lane for
 * privacy, in the lane's own functions: the station-tag lookup (WaitingList.match: one scrypt, or
 * two for a retest window after midnight) and the seal of the identity for the event
 * (sealIdentity). Prints one JSON line: the milliseconds of every scan, by case.
 *   node <flags> --import tsx test/bench/privacy-lane-timing.ts [scans]
 */
import {
  newSealKeyPair,
  type StationKey,
  StationKeyring,
  sealIdentity,
  WaitingList,
} from "../../protocol/index.ts";
import { idNumbers } from "./privacy-attack.ts";

const scans = Number(process.argv[2] ?? 300);
const DAY = 86_400_000;
const WINDOW = 45 * 60_000;
const now = Date.now();
const key = (offset: number): StationKey => ({
  id: `day${offset}`,
  from: new Date(now + (offset - 0.5) * DAY).toISOString(),
  to: new Date(now + (offset + 0.5) * DAY).toISOString(),
  key: Buffer.alloc(32, offset + 10).toString("base64url"),
});
const pair = newSealKeyPair();
const seal = { kid: 1, key: pair.publicKey };
const people = [...idNumbers("110105", "1980-03-01", 1)].map((n) => `cn-id:${n}`);

async function run(afterMidnight: boolean): Promise<number[]> {
  // Midnight between the days of key(-1) and key(0).
  const midnight = now - DAY / 2;
  const keyring = new StationKeyring(() => WINDOW);
  keyring.set([key(-1), key(0), key(1)], midnight - DAY / 4);
  const waiting = new WaitingList(keyring, () => WINDOW);
  // A realistic list: a few people sent to rest, under the key of the day or, in the window
  // after midnight, under the day before's (then every scan derives two tags).
  const sentAt = afterMidnight ? midnight - 5 * 60_000 : now - 5 * 60_000;
  const scanAt = afterMidnight ? midnight + 10 * 60_000 : now;
  for (const identity of people.slice(0, 5)) {
    waiting.add((await waiting.match(identity, sentAt)).current, sentAt, "lane-1");
  }
  const ms: number[] = [];
  for (let i = 0; i < scans; i++) {
    const identity = people[(i * 37) % people.length] ?? "";
    const t0 = performance.now();
    await waiting.match(identity, scanAt);
    sealIdentity(seal, identity, {
      station: "bench",
      device: "lane-1",
      id: `01JDA${String(i).padStart(21, "0")}`,
    });
    ms.push(performance.now() - t0);
  }
  return ms;
}

const day = await run(false);
const afterMidnight = await run(true);
process.stdout.write(`${JSON.stringify({ day, afterMidnight })}\n`);
