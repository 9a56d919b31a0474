import { once } from "node:events";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractIdentity, REST_SKIP_CODE } from "../../../protocol/index.ts";
import { runCommand } from "../../../simulator/console/commands.ts";
import { VirtualStation } from "../../../simulator/hardware/station.ts";
import { TcpScanner } from "../../../simulator/hardware/virtual-scanner.ts";
import { type Credential, makeCredential, scanLine } from "../../../simulator/people/credentials.ts";
import { Rng } from "../../../simulator/random.ts";
import { eventually } from "../../support/gateway.ts";

let station: VirtualStation;
const ctx = (locale: "en" | "zh-CN" = "en") => ({
  station,
  link: null,
  randomCode: () => "HC-TEST",
  sleep: async () => undefined,
  locale,
});

beforeAll(async () => {
  station = new VirtualStation({ scanner: "tcp", ambientC: 20 });
  await station.start();
});
afterAll(async () => {
  await station.close();
});

describe("technician console commands", () => {
  it("puts a person with a given core temperature in front of the sensor", async () => {
    const out = await runCommand("person 38.5 from -5 in 0", ctx());
    expect(out).toMatch(/core 38.5/);
    // Just in from -5 °C: the forehead reads far below the core.
    expect(station.scene.objectC()).toBeLessThan(35);
  });

  it("sets the ambient, aims at a blackbody, unplugs and replugs the thermometer", async () => {
    await runCommand("ambient 12", ctx());
    expect(station.scene.ambient).toBe(12);
    await runCommand("blackbody 37", ctx());
    expect(station.scene.objectC()).toBe(37);
    await runCommand("unplug", ctx());
    expect(station.thermometerPlugged).toBe(false);
    await runCommand("replug", ctx());
    expect(station.thermometerPlugged).toBe(true);
  });

  it("refuses unknown commands and bad numbers with a message that helps", async () => {
    await expect(runCommand("jump", ctx())).rejects.toThrow(/type help/);
    await expect(runCommand("person hot", ctx())).rejects.toThrow(/must be a number/);
    await expect(runCommand("fault melted", ctx())).rejects.toThrow(/one of none, absent/);
    await expect(runCommand("cut", ctx())).rejects.toThrow(/--gateway/);
  });

  it("scans a new person's code, and the same person's code again, refreshed", async () => {
    const rng = new Rng(1);
    let last: Credential | null = null;
    const people = {
      ...ctx(),
      randomCode: () => {
        last = makeCredential(rng, { idCardShare: 0, typedShare: 0 });
        return scanLine(last, Date.now(), rng);
      },
      codeAgain: () => (last ? scanLine(last, Date.now() + 60_000, rng) : null),
    };
    await expect(runCommand("scan again", people)).rejects.toThrow(/nobody has shown a code yet/);
    const first = (await runCommand("scan", people)).replace("scanned ", "");
    const again = (await runCommand("scan again", people)).replace("scanned ", "");
    expect(again).not.toBe(first);
    expect(extractIdentity(again)).toEqual(extractIdentity(first));
    expect(extractIdentity(first).ok).toBe(true);
  });

  it("sends the technician's rest-skip code down the scanner line on `rest skip`", async () => {
    const url = new URL(station.scanner.address);
    const lane = connect(Number(url.port), url.hostname);
    await once(lane, "connect");
    const scanner = station.scanner;
    if (!(scanner instanceof TcpScanner)) throw new Error("a TCP scanner was asked for");
    await eventually(() => scanner.connected, 2000);
    let received = "";
    lane.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    expect(await runCommand("rest skip", ctx())).toMatch(/technician code/);
    await eventually(() => received.includes("\r\n"), 2000);
    expect(received).toBe(`${REST_SKIP_CODE}\r\n`);
    await expect(runCommand("rest", ctx())).rejects.toThrow(/type help/);
    lane.destroy();
  });

  it("shows the lights as the board's pins are set", async () => {
    expect(await runCommand("lights", ctx())).toBe("lights: green yellow red buzzer:off");
  });

  it("answers in Chinese by default", async () => {
    const zh = { ...ctx(), locale: undefined };
    expect(await runCommand("lights", zh)).toBe("指示灯：绿灭 黄灭 红灭 蜂鸣器：静音");
    expect(await runCommand("person 37 from 20 in 30", zh)).toMatch(/^核心体温 37 °C 的受检者上前/);
    await expect(runCommand("person hot", zh)).rejects.toThrow("核心体温必须是数字");
    await expect(runCommand("jump", zh)).rejects.toThrow("未知命令“jump”；输入 help 查看命令");
    expect(await runCommand("help", zh)).toContain("扫描二维码");
  });
});

describe("the technician's keypad command", () => {
  it("types an ID number on the lane's keypad line, which the firmware's keypad reads as one entry", async () => {
    const { QrScanner } = await import("../../../firmware/hardware/scanner.ts");
    const { pino } = await import("pino");
    const withKeypad = new VirtualStation({ scanner: "tcp", keypad: true });
    await withKeypad.start();
    const keypad = new QrScanner(
      { address: withKeypad.keypad?.address ?? "", part: "keypad" },
      pino({ level: "silent" }),
    );
    const typed: string[] = [];
    keypad.on("scan", (entry) => typed.push(entry));
    keypad.start();
    await eventually(() => keypad.connected && (withKeypad.keypad as TcpScanner).connected);
    const people = {
      station: withKeypad,
      link: null,
      randomCode: () => "",
      sleep: async () => undefined,
      locale: "zh-CN" as const,
      randomIdNumber: () => "110105 19491231 002X",
    };
    expect(await runCommand("keypad 110105 19491231 002x", people)).toBe(
      "已在键盘上输入：110105 19491231 002x",
    );
    expect(await runCommand("keypad", people)).toBe("已在键盘上输入：110105 19491231 002X");
    // The same number twice is two entries: a keypad does not debounce.
    expect(await runCommand("keypad 110105 19491231 002X", people)).toMatch(/^已在键盘上输入/);
    await eventually(() => typed.length === 3);
    expect(typed).toEqual(["110105 19491231 002x", "110105 19491231 002X", "110105 19491231 002X"]);
    keypad.stop();
    await withKeypad.close();
  });

  it("says so when the lane has no keypad", async () => {
    await expect(runCommand("keypad 11010519491231002X", ctx("zh-CN"))).rejects.toThrow(
      "此通道没有身份证号键盘",
    );
  });
});
