/** The lane's key for the health-code platform: read from lane.json's keyFile, private or refused. */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadLaneFile } from "../../../firmware/config.ts";
import { readPlatformKey } from "../../../firmware/health-code/platform-key.ts";
import { tempDir } from "../../support/tmp.ts";

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function keyFile(content: string, mode = 0o600) {
  const dir = tempDir("hc-key");
  dirs.push(dir);
  const path = join(dir.path, "health-code.key");
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return { dir: dir.path, path };
}

describe("the health-code platform key", () => {
  it("reads one line from a file only the lane's user can read", () => {
    const { path } = keyFile("k3y-0123456789abcdef-XYZ\n");
    expect(readPlatformKey(path, "en")).toBe("k3y-0123456789abcdef-XYZ");
  });

  it("refuses a key file others can read, saying the chmod, in the lane's language", () => {
    const { path } = keyFile("k3y-0123456789abcdef-XYZ\n", 0o644);
    expect(() => readPlatformKey(path, "zh-CN")).toThrow(`chmod 600 ${path}`);
    expect(() => readPlatformKey(path, "zh-CN")).toThrow(/其他用户也能读取/);
  });

  it("refuses a missing file, an empty one, a short key, a key with spaces or two lines", () => {
    expect(() => readPlatformKey("/nonexistent/health-code.key", "en")).toThrow(
      /cannot read the health-code platform key file/,
    );
    for (const content of [
      "",
      "short",
      "has a space in it 0123456789",
      "line-one-0123456789\nline-two-0123456789",
    ]) {
      const { path } = keyFile(content);
      expect(() => readPlatformKey(path, "en")).toThrow(/not one line of 16–512 printable characters/);
    }
  });

  it("takes lane.json's keyFile relative to lane.json", () => {
    const { dir } = keyFile("k3y-0123456789abcdef-XYZ\n");
    const path = join(dir, "lane.json");
    const lane = {
      station: "hw-01",
      device: "lane-1",
      mqtt: { url: "mqtt://127.0.0.1:1883", username: "hw-01/lane-1", password: "a-secret" },
      board: "tcp://127.0.0.1:3030",
      scanner: "tcp://127.0.0.1:3031",
      pins: { green: 5, yellow: 6, red: 7, buzzer: 8 },
      dataDir: join(dir, "lane"),
      healthCode: { url: "https://hc-api.gov.example", keyFile: "health-code.key" },
    };
    writeFileSync(path, JSON.stringify(lane), { mode: 0o600 });
    expect(loadLaneFile(path).healthCode?.keyFile).toBe(join(dir, "health-code.key"));
    writeFileSync(path, JSON.stringify({ ...lane, healthCode: { ...lane.healthCode, timeoutMs: 50 } }), {
      mode: 0o600,
    });
    expect(() => loadLaneFile(path)).toThrow(/healthCode\.timeoutMs/);
    writeFileSync(path, JSON.stringify({ ...lane, healthCode: { url: "ftp://x", keyFile: "k" } }), {
      mode: 0o600,
    });
    expect(() => loadLaneFile(path)).toThrow(/healthCode\.url/);
    // The key never goes over plain http to another machine: refused at start, in the lane's language.
    writeFileSync(
      path,
      JSON.stringify({ ...lane, healthCode: { url: "http://10.20.0.9:8090", keyFile: "k" } }),
      {
        mode: 0o600,
      },
    );
    expect(() => loadLaneFile(path)).toThrow(/健康码平台地址 http:\/\/10\.20\.0\.9:8090 不可用/);
  });
});
