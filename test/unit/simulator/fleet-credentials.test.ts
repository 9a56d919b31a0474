/**
 * The fleet's credentials file as `npm start` writes it: each lane by its device bundle (read with
 * the firmware's reader), the broker's URL and CA taken from the bundles.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCredentials, writeCredentials } from "../../../simulator/fleet/credentials.ts";
import { tempDir } from "../../support/tmp.ts";

const dir = tempDir("fleet-credentials");
afterAll(() => dir.remove());
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const spec = { station: "hw-01", device: "lane-1", kind: "highway" as const };

function bundle(station: string, device: string) {
  return {
    v: 1,
    kind: "checkpoint-device-bundle",
    station,
    device,
    mqtt: { url: "mqtts://127.0.0.1:8883", username: `${station}/${device}`, password: "s3cret", ca: CA },
    created: new Date().toISOString(),
  };
}

describe("fleet credentials", () => {
  it("reads each lane's secret, and the broker's URL and CA, from its device bundle", () => {
    writeFileSync(join(dir.path, "hw-01.lane-1.bundle.json"), JSON.stringify(bundle("hw-01", "lane-1")));
    const path = join(dir.path, "fleet-credentials.json");
    writeCredentials(path, {
      operator: { username: "op", secret: "x" },
      devices: [{ ...spec, bundle: "hw-01.lane-1.bundle.json" }],
    });
    const read = readCredentials(path);
    expect(read.broker).toEqual({ url: "mqtts://127.0.0.1:8883", ca: CA });
    expect(read.devices).toEqual([{ ...spec, secret: "s3cret" }]);
  });

  it("refuses another lane's bundle", () => {
    writeFileSync(join(dir.path, "other.json"), JSON.stringify(bundle("hw-01", "lane-2")));
    const path = join(dir.path, "wrong.json");
    writeCredentials(path, {
      operator: { username: "op", secret: "x" },
      devices: [{ ...spec, bundle: "other.json" }],
    });
    expect(() => readCredentials(path)).toThrow(/bundle of hw-01\/lane-2, not hw-01\/lane-1/);
  });
});
