import { MessageError } from "@checkpoint/protocol";
import { describe, expect, it } from "vitest";
import { isOpen, localMinute, openedAt, parseHours } from "../../../gateway/registry/opening-hours.ts";

const SHANGHAI = "Asia/Shanghai";
/** An instant given as Beijing wall-clock time (UTC+8, no daylight saving). */
const beijing = (day: number, hh: number, mm: number, ss = 0) => Date.UTC(2026, 0, day, hh - 8, mm, ss);

describe("opening hours", () => {
  it("reads one range, several ranges, a range across midnight and the whole day", () => {
    expect(parseHours("06:00-22:00").text).toBe("06:00-22:00");
    expect(parseHours(" 06:00 - 11:30 ，13:00-22:00 ").text).toBe("06:00-11:30,13:00-22:00");
    expect(parseHours("22:00-06:00").text).toBe("22:00-06:00");
    const all = parseHours("00:00-24:00");
    expect(all.allDay).toBe(true);
    expect(parseHours("12:00-24:00,00:00-12:00").allDay).toBe(true);
    expect(parseHours("06:00-22:00").allDay).toBe(false);
  });

  it("refuses what it cannot read, with the catalogue's explanation", () => {
    for (const bad of [
      "",
      "6-22",
      "06:00",
      "08:00-08:00",
      "25:00-26:00",
      "06:60-07:00",
      "24:00-06:00",
      "x",
    ]) {
      expect(() => parseHours(bad), bad).toThrow(MessageError);
    }
    try {
      parseHours("6-22");
    } catch (error) {
      expect((error as MessageError).key).toBe("station.bad-hours");
      expect((error as MessageError).text("zh-CN")).toContain("06:00-22:00");
    }
  });

  it("tells open from closed in the deployment's zone, not the server's", () => {
    const gate = parseHours("06:00-22:00");
    expect(localMinute(beijing(10, 5, 59), SHANGHAI)).toBe(5 * 60 + 59);
    expect(isOpen(gate, beijing(10, 5, 59), SHANGHAI)).toBe(false);
    expect(isOpen(gate, beijing(10, 6, 0), SHANGHAI)).toBe(true);
    expect(isOpen(gate, beijing(10, 21, 59), SHANGHAI)).toBe(true);
    expect(isOpen(gate, beijing(10, 22, 0), SHANGHAI)).toBe(false);
    // 03:00 in Beijing is 19:00 the day before in UTC: closed at the gate, whatever UTC says.
    expect(isOpen(gate, beijing(10, 3, 0), SHANGHAI)).toBe(false);
    expect(isOpen(gate, beijing(10, 3, 0), "UTC")).toBe(true);
  });

  it("knows when the current opening began, across midnight too", () => {
    const night = parseHours("22:00-06:00");
    expect(openedAt(night, beijing(11, 2, 30, 15), SHANGHAI)).toBe(beijing(10, 22, 0));
    expect(openedAt(night, beijing(10, 23, 0), SHANGHAI)).toBe(beijing(10, 22, 0));
    expect(openedAt(night, beijing(10, 12, 0), SHANGHAI)).toBeNull();
    const split = parseHours("06:00-11:30,13:00-22:00");
    expect(openedAt(split, beijing(10, 13, 5), SHANGHAI)).toBe(beijing(10, 13, 0));
    expect(openedAt(split, beijing(10, 12, 0), SHANGHAI)).toBeNull();
    // Adjoining ranges are one opening.
    expect(openedAt(parseHours("06:00-12:00,12:00-18:00"), beijing(10, 15, 0), SHANGHAI)).toBe(
      beijing(10, 6, 0),
    );
    expect(openedAt(parseHours("00:00-24:00"), beijing(10, 3, 0), SHANGHAI)).toBe(Number.NEGATIVE_INFINITY);
  });
});
