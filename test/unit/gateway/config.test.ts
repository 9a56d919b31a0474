import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../gateway/config.ts";
import { DEFAULT_POLICY } from "../../../protocol/index.ts";

describe("gateway configuration", () => {
  it("has working defaults", () => {
    const c = loadConfig({});
    expect(c.mqttPort).toBe(1883);
    expect(c.influxUrl).toBeUndefined();
    expect(c.policy.fever_line_c).toBe(37.3);
    // The shipped policy, per-context lines included, is what devices get by default.
    expect(c.policy).toEqual({ ...DEFAULT_POLICY });
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

  it("keeps per-person data 28 days unless RETENTION_DAYS says otherwise", () => {
    expect(loadConfig({}).retentionDays).toBe(28);
    expect(loadConfig({ RETENTION_DAYS: "14" }).retentionDays).toBe(14);
    expect(() => loadConfig({ RETENTION_DAYS: "0" })).toThrow(/RETENTION_DAYS/);
  });

  it("says that INFLUX_RETENTION became RETENTION_DAYS", () => {
    expect(() => loadConfig({ INFLUX_RETENTION: "400d" })).toThrow(
      /INFLUX_RETENTION: replaced by RETENTION_DAYS/,
    );
  });

  it("takes the InfluxDB password from a file or the environment, not both", () => {
    const c = loadConfig({ INFLUX_USER: "gateway", INFLUX_PASSWORD_FILE: "/etc/checkpoint/influx.pw" });
    expect(c.influxPasswordFile).toBe("/etc/checkpoint/influx.pw");
    expect(c.influxPassword).toBeUndefined();
    expect(() => loadConfig({ INFLUX_PASSWORD: "x", INFLUX_PASSWORD_FILE: "/etc/x" })).toThrow(
      /either it or INFLUX_PASSWORD_FILE/,
    );
  });
});
