import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../../simulator/console/commands.ts";
import { VirtualStation } from "../../../simulator/hardware/station.ts";

let station: VirtualStation;
const ctx = () => ({ station, link: null, randomCode: () => "HC-TEST", sleep: async () => undefined });

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

  it("shows the lights as the board's pins are set", async () => {
    expect(await runCommand("lights", ctx())).toBe("lights: green yellow red buzzer:off");
  });
});
