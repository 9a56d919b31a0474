/** Taking a device's access back in the registry: disable, enable, remove, rotate its secret. */
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Registry } from "../../../gateway/registry/registry.ts";
import { openSecret, sealSecret } from "../../../gateway/registry/secret-box.ts";
import { tempDir } from "../../support/tmp.ts";

const DAY = 86_400_000;
const T0 = Date.parse("2026-11-29T08:00:00Z");
const dirs: { remove(): void }[] = [];
const registries: Registry[] = [];
afterEach(() => {
  for (const r of registries.splice(0)) r.close();
  for (const d of dirs.splice(0)) d.remove();
});

function fileRegistry(): { path: string; open(): Registry } {
  const dir = tempDir("registry-lifecycle");
  dirs.push(dir);
  const path = join(dir.path, "gateway.db");
  return {
    path,
    open() {
      const r = new Registry(path);
      registries.push(r);
      return r;
    },
  };
}

async function lane(registry: Registry, secret = "old-secret-0123456789"): Promise<string> {
  await registry.addDevice("hw-01", "lane-1", secret);
  return secret;
}

describe("a disabled, enabled or removed device", () => {
  it("is refused at login while disabled, with its right secret, and welcome again once enabled", async () => {
    const registry = fileRegistry().open();
    const secret = await lane(registry);
    expect(registry.setDeviceDisabled("hw-01", "lane-1", true, T0)).toBe(true);
    expect(await registry.authenticate("hw-01/lane-1", secret)).toBeNull();
    expect(registry.deviceState("hw-01", "lane-1")).toMatchObject({ disabled: true, rotatingUntil: null });
    expect(registry.setDeviceDisabled("hw-01", "lane-1", false)).toBe(true);
    expect(await registry.authenticate("hw-01/lane-1", secret)).toMatchObject({
      role: "device",
      device: "lane-1",
    });
    expect(registry.setDeviceDisabled("hw-01", "lane-9", true)).toBe(false);
  });

  it("is gone once removed: refused at login, not listed", async () => {
    const registry = fileRegistry().open();
    const secret = await lane(registry);
    expect(registry.removeDevice("hw-01", "lane-1")).toBe(true);
    expect(await registry.authenticate("hw-01/lane-1", secret)).toBeNull();
    expect(registry.devices()).toEqual([]);
    expect(registry.deviceState("hw-01", "lane-1")).toBeNull();
    expect(registry.removeDevice("hw-01", "lane-1")).toBe(false);
  });

  it("changes a running gateway sees: another connection's commit, and only that", async () => {
    const file = fileRegistry();
    const gateway = file.open();
    await lane(gateway);
    expect(gateway.changedElsewhere()).toBe(false); // its own writes are not news to it
    const admin = file.open();
    admin.setDeviceDisabled("hw-01", "lane-1", true);
    expect(gateway.changedElsewhere()).toBe(true);
    expect(gateway.changedElsewhere()).toBe(false);
  });

  it("adds the lifecycle columns to a registry made before them", async () => {
    const file = fileRegistry();
    const old = new Database(file.path);
    old.exec(`CREATE TABLE principals (username TEXT PRIMARY KEY, role TEXT NOT NULL, station TEXT,
      device TEXT, secret_hash TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT 'x')`);
    old.close();
    const registry = file.open();
    await lane(registry);
    expect(registry.setDeviceDisabled("hw-01", "lane-1", true)).toBe(true);
  });
});

describe("a rotated device secret", () => {
  it("lets the old secret work in the grace period, the new one at once, and the old one no more after", async () => {
    const registry = fileRegistry().open();
    const old = await lane(registry);
    const until = registry.rotateSecret("hw-01", "lane-1", "new-secret-0123456789", DAY, T0);
    expect(until).toBe(T0 + DAY);
    expect(registry.deviceState("hw-01", "lane-1", T0)).toMatchObject({ rotatingUntil: T0 + DAY });
    expect(await registry.authenticate("hw-01/lane-1", old, T0 + DAY - 1)).not.toBeNull();
    expect(await registry.authenticate("hw-01/lane-1", old, T0 + DAY)).toBeNull();
    expect(await registry.authenticate("hw-01/lane-1", "new-secret-0123456789", T0 + DAY)).not.toBeNull();
    expect(registry.pendingSecret("hw-01", "lane-1", T0 + DAY)).toBeNull();
  });

  it("keeps the new secret, sealed, for the gateway to send, until the lane logs in with it", async () => {
    const registry = fileRegistry().open();
    const old = await lane(registry);
    registry.rotateSecret("hw-01", "lane-1", "new-secret-0123456789", DAY, T0);
    expect(registry.pendingSecret("hw-01", "lane-1", T0)).toEqual({
      secret: "new-secret-0123456789",
      until: T0 + DAY,
    });
    const stored = registry.db.prepare("SELECT * FROM principals").get() as Record<string, unknown>;
    expect(JSON.stringify(stored)).not.toContain("new-secret-0123456789");
    const adopted: string[] = [];
    registry.onSecretAdopted = (username) => adopted.push(username);
    // The lane logs in with the new one: the old one is retired before its grace period ends.
    expect(await registry.authenticate("hw-01/lane-1", "new-secret-0123456789", T0 + 60_000)).not.toBeNull();
    expect(adopted).toEqual(["hw-01/lane-1"]);
    expect(registry.pendingSecret("hw-01", "lane-1", T0 + 60_000)).toBeNull();
    expect(await registry.authenticate("hw-01/lane-1", old, T0 + 120_000)).toBeNull();
    expect(registry.deviceState("hw-01", "lane-1", T0 + 120_000)).toMatchObject({ rotatingUntil: null });
  });

  it("rotated again before the lane took the first, keeps the secret the lane still has working", async () => {
    const registry = fileRegistry().open();
    const old = await lane(registry);
    registry.rotateSecret("hw-01", "lane-1", "second-secret-0123456", DAY, T0);
    registry.rotateSecret("hw-01", "lane-1", "third-secret-01234567", DAY, T0 + 1000);
    expect(await registry.authenticate("hw-01/lane-1", old, T0 + 2000)).not.toBeNull();
    expect(await registry.authenticate("hw-01/lane-1", "second-secret-0123456", T0 + 2000)).toBeNull();
    expect(registry.pendingSecret("hw-01", "lane-1", T0 + 2000)?.secret).toBe("third-secret-01234567");
  });

  it("still refuses a disabled device, whichever secret it tries", async () => {
    const registry = fileRegistry().open();
    const old = await lane(registry);
    registry.rotateSecret("hw-01", "lane-1", "new-secret-0123456789", DAY, T0);
    registry.setDeviceDisabled("hw-01", "lane-1", true, T0);
    expect(await registry.authenticate("hw-01/lane-1", old, T0 + 1)).toBeNull();
    expect(await registry.authenticate("hw-01/lane-1", "new-secret-0123456789", T0 + 1)).toBeNull();
  });

  it("is refused for a device that is not registered", () => {
    const registry = fileRegistry().open();
    expect(registry.rotateSecret("hw-01", "lane-9", "new-secret-0123456789", DAY, T0)).toBeNull();
  });
});

describe("the sealed pending secret", () => {
  it("opens with the same pepper and username only", () => {
    const pepper = Buffer.alloc(32, 7);
    const sealed = sealSecret(pepper, "hw-01/lane-1", "a-secret");
    expect(openSecret(pepper, "hw-01/lane-1", sealed)).toBe("a-secret");
    expect(openSecret(pepper, "hw-01/lane-2", sealed)).toBeNull();
    expect(openSecret(Buffer.alloc(32, 8), "hw-01/lane-1", sealed)).toBeNull();
    expect(openSecret(pepper, "hw-01/lane-1", "v1.garbage")).toBeNull();
  });
});

describe("the registration desk's device id", () => {
  it("is no lane's: registering a lane named desk is refused, saying why", async () => {
    const registry = fileRegistry().open();
    await expect(registry.addDevice("cm-01", "desk", "s3cret-s3cret-s3cret")).rejects.toThrow(
      /registration desk/,
    );
    expect(registry.devices()).toEqual([]);
    registry.close();
  });
});
