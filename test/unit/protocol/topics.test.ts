import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alertsTopic, deviceTopic, parseTopic, REJECTS_TOPIC } from "../../../protocol/index.ts";

describe("topics", () => {
  it("builds and parses a device topic", () => {
    const topic = deviceTopic("hw-01", "lane-2", "screening");
    expect(topic).toBe("checkpoint/v1/hw-01/lane-2/screening");
    expect(parseTopic(topic)).toEqual({
      kind: "device",
      station: "hw-01",
      device: "lane-2",
      channel: "screening",
    });
  });

  it("parses alerts and rejects topics", () => {
    expect(parseTopic(alertsTopic("cm-03"))).toEqual({ kind: "alerts", station: "cm-03" });
    expect(parseTopic(REJECTS_TOPIC)).toEqual({ kind: "rejects" });
  });

  it("refuses ids outside [a-z0-9-]{1,32}", () => {
    expect(() => deviceTopic("HW-01", "lane", "status")).toThrow(/station/);
    expect(() => deviceTopic("hw", "x".repeat(33), "status")).toThrow(/device/);
    expect(parseTopic("checkpoint/v1/hw_1/lane/status")).toBeNull();
  });

  it("refuses unknown channels, extra levels, other roots and reserved station names", () => {
    expect(parseTopic("checkpoint/v1/hw/lane/other")).toBeNull();
    expect(parseTopic("checkpoint/v1/hw/lane/status/x")).toBeNull();
    expect(parseTopic("checkpoint/v2/hw/lane/status")).toBeNull();
    expect(parseTopic("checkpoint/v1/alerts/lane/status")).toBeNull();
  });

  it("round-trips every valid station and device id (property)", () => {
    const id = fc.stringMatching(/^[a-z0-9-]{1,32}$/).filter((s) => s !== "alerts" && s !== "rejects");
    fc.assert(
      fc.property(
        id,
        id,
        fc.constantFrom("screening", "status", "telemetry", "config" as const),
        (s, d, c) => {
          expect(parseTopic(deviceTopic(s, d, c))).toEqual({
            kind: "device",
            station: s,
            device: d,
            channel: c,
          });
        },
      ),
    );
  });
});
