import { describe, expect, it } from "vitest";
import { canPublish, canSubscribe, filterReachesConfig, type Identity } from "../../../gateway/broker/acl.ts";

const lane: Identity = { role: "device", username: "hw-01/lane-1", station: "hw-01", device: "lane-1" };
const officer: Identity = { role: "operator", username: "duty" };

describe("broker ACL", () => {
  it("lets a device publish under its own topics only", () => {
    expect(canPublish(lane, "checkpoint/v1/hw-01/lane-1/screening")).toBe(true);
    expect(canPublish(lane, "checkpoint/v1/hw-01/lane-2/screening")).toBe(false);
    expect(canPublish(lane, "checkpoint/v1/hw-01/lane-10/screening")).toBe(false);
    expect(canPublish(lane, "checkpoint/v1/alerts/hw-01")).toBe(false);
  });

  it("lets a device subscribe to its own config only", () => {
    expect(canSubscribe(lane, "checkpoint/v1/hw-01/lane-1/config")).toBe(true);
    expect(canSubscribe(lane, "checkpoint/v1/hw-01/lane-2/config")).toBe(false);
    expect(canSubscribe(lane, "checkpoint/v1/#")).toBe(false);
  });

  it("keeps operators read-only and away from config topics, which carry the pseudonym key", () => {
    expect(canPublish(officer, "checkpoint/v1/hw-01/lane-1/screening")).toBe(false);
    expect(canSubscribe(officer, "checkpoint/v1/alerts/+")).toBe(true);
    expect(canSubscribe(officer, "checkpoint/v1/+/+/status")).toBe(true);
    expect(canSubscribe(officer, "checkpoint/v1/#")).toBe(false);
    expect(canSubscribe(officer, "checkpoint/v1/+/+/+")).toBe(false);
    expect(canSubscribe(officer, "checkpoint/v1/hw-01/lane-1/config")).toBe(false);
    expect(canSubscribe(officer, "#")).toBe(false);
  });

  it("knows which filters can reach a config topic", () => {
    expect(filterReachesConfig("checkpoint/+/+/+/config")).toBe(true);
    expect(filterReachesConfig("checkpoint/v1/hw-01/#")).toBe(true);
    expect(filterReachesConfig("checkpoint/v1/hw-01/+/status")).toBe(false);
    expect(filterReachesConfig("checkpoint/v1/alerts/+")).toBe(false);
  });

  it("lets a device subscribe to its own credentials, and no operator to anyone's (a rotated secret)", () => {
    expect(canSubscribe(lane, "checkpoint/v1/hw-01/lane-1/credentials")).toBe(true);
    expect(canSubscribe(lane, "checkpoint/v1/hw-01/lane-2/credentials")).toBe(false);
    expect(canPublish(lane, "checkpoint/v1/hw-01/lane-1/credentials")).toBe(false);
    expect(canSubscribe(officer, "checkpoint/v1/hw-01/lane-1/credentials")).toBe(false);
    expect(canSubscribe(officer, "checkpoint/v1/+/+/credentials")).toBe(false);
    expect(canSubscribe(officer, "checkpoint/v1/hw-01/+/credentials")).toBe(false);
    expect(canSubscribe(officer, "checkpoint/v1/+/+/telemetry")).toBe(true);
  });
});
