import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../gateway/config.ts";

describe("gateway configuration", () => {
  it("has working defaults", () => {
    const c = loadConfig({});
    expect(c.mqttPort).toBe(1883);
    expect(c.influxUrl).toBeUndefined();
    expect(c.policy.fever_line_c).toBe(37.3);
    expect(c.policy.confirm_line_c).toBe(37.6);
    expect(c.policy.rest_min).toBe(20);
  });

  it("reads the environment", () => {
    const c = loadConfig({ MQTT_PORT: "2883", INFLUX_URL: "http://127.0.0.1:8086", FEVER_LINE_C: "37.5" });
    expect(c.mqttPort).toBe(2883);
    expect(c.influxUrl).toBe("http://127.0.0.1:8086");
    expect(c.policy.fever_line_c).toBe(37.5);
  });

  it("reports every problem at once, naming the setting", () => {
    try {
      loadConfig({ MQTT_PORT: "70000", INFLUX_URL: "localhost:8086", LOG_LEVEL: "loud" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join("\n");
      expect(problems).toMatch(/MQTT_PORT/);
      expect(problems).toMatch(/INFLUX_URL/);
      expect(problems).toMatch(/LOG_LEVEL/);
    }
  });
});
