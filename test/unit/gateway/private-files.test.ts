/** Secrets at rest: what the gateway checks at start, against real files in a temporary folder. */
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../gateway/config.ts";
import { Gateway } from "../../../gateway/gateway.ts";
import {
  assertPrivateFiles,
  gatewayPrivatePaths,
  PrivateFilesError,
  privateFileProblems,
  readPasswordFile,
} from "../../../gateway/security/private-files.ts";
import { tempDir } from "../../support/tmp.ts";

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function dataDir(): { dir: string; data: string } {
  const dir = tempDir("private-files");
  dirs.push(dir);
  const data = join(dir.path, "data");
  mkdirSync(data, { mode: 0o700 });
  return { dir: dir.path, data };
}

const paths = (data: string, secretFiles: string[] = []) =>
  gatewayPrivatePaths({ dataDir: data, backupDir: join(data, "backups"), secretFiles });

describe("the gateway's secrets at rest", () => {
  it("finds nothing wrong with a 0700 folder of 0600 files, and skips what does not exist yet", () => {
    const { data } = dataDir();
    writeFileSync(join(data, "gateway.db"), "", { mode: 0o600 });
    writeFileSync(join(data, "pepper"), "x", { mode: 0o600 });
    expect(privateFileProblems(paths(data))).toEqual([]);
  });

  it("names every open folder and file with the exact chmod: databases, WAL, pepper, keys, spool, backups", () => {
    const { data } = dataDir();
    chmodSync(data, 0o755);
    for (const name of ["gateway.db", "gateway.db-wal", "events.db", "audit.db", "pepper"]) {
      writeFileSync(join(data, name), "", { mode: 0o644 });
      chmodSync(join(data, name), 0o644);
    }
    mkdirSync(join(data, "tls"), { mode: 0o700 });
    writeFileSync(join(data, "tls", "server-key.pem"), "", { mode: 0o640 });
    chmodSync(join(data, "tls", "server-key.pem"), 0o640);
    writeFileSync(join(data, "tls", "ca-cert.pem"), "", { mode: 0o644 }); // a certificate is public
    mkdirSync(join(data, "spool"), { mode: 0o755 });
    chmodSync(join(data, "spool"), 0o755);
    writeFileSync(join(data, "spool", "0000000000000001.seg"), "", { mode: 0o644 });
    chmodSync(join(data, "spool", "0000000000000001.seg"), 0o644);
    const chmods = privateFileProblems(paths(data)).map((p) => p.chmod);
    expect(chmods).toEqual([
      `chmod 700 ${data}`,
      `chmod 600 ${join(data, "gateway.db")}`,
      `chmod 600 ${join(data, "gateway.db-wal")}`,
      `chmod 600 ${join(data, "events.db")}`,
      `chmod 600 ${join(data, "audit.db")}`,
      `chmod 600 ${join(data, "pepper")}`,
      `chmod 600 ${join(data, "tls", "server-key.pem")}`,
      `chmod 700 ${join(data, "spool")}`,
      `chmod 600 ${join(data, "spool", "0000000000000001.seg")}`,
    ]);
  });

  it("checks the password file the configuration names, and reads its first line", () => {
    const { dir, data } = dataDir();
    const file = join(dir, "influx.password");
    writeFileSync(file, "s3cret-pass\n", { mode: 0o644 });
    chmodSync(file, 0o644);
    expect(() => assertPrivateFiles(paths(data, [file]), "en")).toThrow(
      new RegExp(`open to its group and other users\\): chmod 600 ${file}`),
    );
    chmodSync(file, 0o600);
    expect(() => assertPrivateFiles(paths(data, [file]), "en")).not.toThrow();
    expect(readPasswordFile(file)).toBe("s3cret-pass");
    expect(() => readPasswordFile(join(dir, "missing"))).toThrow(/cannot read the password file .*ENOENT/);
  });

  it("lists a GATEWAY_CONFIG that holds a password, and INFLUX_PASSWORD_FILE, as secret files", () => {
    const { dir } = dataDir();
    const file = join(dir, "gateway.json");
    writeFileSync(file, JSON.stringify({ INFLUX_PASSWORD: "x" }), { mode: 0o600 });
    expect(loadConfig({ GATEWAY_CONFIG: file }).secretFiles).toEqual([file]);
    expect(loadConfig({ INFLUX_PASSWORD_FILE: "/etc/checkpoint/influx.pw" }).secretFiles).toEqual([
      "/etc/checkpoint/influx.pw",
    ]);
    writeFileSync(file, JSON.stringify({ MQTT_PORT: 1883 }), { mode: 0o600 });
    expect(loadConfig({ GATEWAY_CONFIG: file }).secretFiles).toEqual([]);
  });

  it("refuses to start with an open data folder, and opens nothing", async () => {
    const { data } = dataDir();
    chmodSync(data, 0o755);
    const config = loadConfig({ DATA_DIR: data, MQTT_PORT: "0", HTTP_PORT: "0", LOCALE: "en" });
    const gateway = new Gateway(config, pino({ level: "silent" }));
    const started = gateway.start();
    await expect(started).rejects.toBeInstanceOf(PrivateFilesError);
    await expect(started).rejects.toThrow(`chmod 700 ${data}`);
    expect(() => statSync(join(data, "gateway.db"))).toThrow(/ENOENT/);
  });

  it("creates its own files 0600 whatever the umask, so it starts again on them", async () => {
    const { data } = dataDir();
    const config = loadConfig({ DATA_DIR: data, MQTT_PORT: "0", HTTP_PORT: "0" });
    const umask = process.umask(0o022);
    try {
      for (let run = 0; run < 2; run++) {
        const gateway = new Gateway(config, pino({ level: "silent" }));
        await gateway.start();
        await gateway.stop();
      }
    } finally {
      process.umask(umask);
    }
    for (const name of ["gateway.db", "events.db", "audit.db", "pepper"]) {
      expect((statSync(join(data, name)).mode & 0o777).toString(8), name).toBe("600");
    }
    expect((statSync(join(data, "spool")).mode & 0o777).toString(8)).toBe("700");
    expect(privateFileProblems(paths(data))).toEqual([]);
  });
});
