/**
 * The lane's ID-number keypad with the unchanged firmware as its own process, against the
 * simulator's virtual board and a keypad on a real pseudo-terminal (socat), through the real
 * gateway into a real InfluxDB: a person typed in is screened like a card, `entry: keypad`; the
 * technician's `keypad` command types on it; mistyped, garbled and hostile entries are refused or
 * dropped with their reason in Chinese in the lane's log, never the number; one pseudonym for the
 * keypad and the card reader.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../simulator/console/commands.ts";
import { eventually } from "../support/gateway.ts";
import { type LaneRig, startLaneRig } from "../support/lane-rig.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ctx = useGatewayWithInflux();
const STATION = "cm-keypad";
let rig: LaneRig;

interface Row {
  id: string;
  subject: string;
  entry: string;
  verdict: string;
}

const rows = () =>
  ctx.influx.query<Row>(
    `SELECT "id", "subject", "entry", "verdict" FROM "screening" WHERE "station" = '${STATION}'`,
  );

async function nextRow(act: () => Promise<unknown>): Promise<Row> {
  const before = (await rows()).length;
  await act();
  const after = await eventually(async () => {
    const r = await rows();
    return r.length > before ? r : undefined;
  }, 15_000);
  return after.at(-1) as Row;
}

beforeAll(async () => {
  rig = await startLaneRig(ctx.gw, STATION, { keypad: true, ambientC: 21 });
  await eventually(() => rig.firmware.logged("firmware:keypad: keypad connected"), 15_000);
}, 60_000);
afterAll(async () => {
  await rig?.close();
});

describe("the lane's keypad, on the real firmware", () => {
  it(
    "screens a number typed on the keypad as the card's person, and says it was keyed in",
    { timeout: 60_000 },
    async () => {
      const cli = { station: rig.station, link: null, randomCode: () => "", sleep: async () => undefined };
      rig.station.person(36.8);
      const keyed = await nextRow(() => runCommand("keypad 110105 19491231 002x", cli));
      expect(keyed).toMatchObject({ entry: "keypad", verdict: "pass" });
      rig.station.person(36.8);
      const card = await nextRow(() => rig.station.scanner.scan("IDCARD:11010519491231002X"));
      expect(card.entry).toBe("card");
      expect(card.subject).toBe(keyed.subject);
      // Backspace and Escape, as a person corrects a typing error, then Enter.
      rig.station.person(36.8);
      const corrected = await nextRow(() =>
        (rig.station.keypad ?? rig.station.scanner).sendRaw(Buffer.from("99999\x1b11010519491231002Y\bX\r")),
      );
      expect(corrected).toMatchObject({ entry: "keypad", subject: keyed.subject });
    },
  );

  it(
    "refuses a mistyped number with its reason in Chinese, drops line noise, and logs no number",
    { timeout: 60_000 },
    async () => {
      const keypad = rig.station.keypad;
      if (!keypad) throw new Error("no keypad");
      const before = (await rows()).length;
      await keypad.scan("110105194912310021", "\r");
      await eventually(
        () => rig.firmware.logs.some((l) => l.text === "身份证号校验位不符，请核对后重新输入"),
        10_000,
      );
      await keypad.scan("11010519491231002A", "\r");
      await eventually(
        () => rig.firmware.logs.some((l) => l.text === "身份证号只含数字和 X，请核对后重新输入"),
        10_000,
      );
      await keypad.sendRaw(Buffer.from([0x31, 0x00, 0xff, 0x0d]));
      await keypad.sendRaw(Buffer.from(`${"1".repeat(5000)}\r`));
      await eventually(
        () =>
          rig.firmware.logs.filter((l) => String(l.msg).startsWith("firmware:keypad: ignored a garbled line"))
            .length >= 2,
        10_000,
      );
      expect((await rows()).length).toBe(before);
      const logs = JSON.stringify(rig.firmware.logs);
      expect(logs).not.toContain("19491231");
      expect(logs).not.toContain("1111111111");
    },
  );
});
