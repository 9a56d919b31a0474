import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../../gateway/security/audit-log.ts";
import { tempDir } from "../../support/tmp.ts";

const DAY = 86_400_000;
const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

describe("security audit log", () => {
  it("keeps who did what to what, from where and when, and reads it back newest first", () => {
    let now = Date.UTC(2026, 0, 10, 8);
    const audit = AuditLog.open(":memory:", () => now);
    audit.record({
      actor: "officer li",
      action: "console.login",
      subject: "officer li",
      address: "10.0.0.5",
    });
    now += 1000;
    audit.record({
      actor: "gateway",
      action: "console.lockout",
      subject: "mallory",
      address: "203.0.113.9",
      detail: { kind: "user", until: "2026-01-10T08:15:01.000Z" },
    });
    now += 1000;
    audit.record({ actor: "root", action: "admin.unlock", subject: "mallory" });
    const rows = audit.list();
    expect(rows.map((r) => r.action)).toEqual(["admin.unlock", "console.lockout", "console.login"]);
    expect(rows[1]).toMatchObject({
      at: Date.UTC(2026, 0, 10, 8, 0, 1),
      actor: "gateway",
      subject: "mallory",
      address: "203.0.113.9",
      detail: { kind: "user", until: "2026-01-10T08:15:01.000Z" },
    });
    expect(rows[0]?.address).toBeNull();
    expect(audit.list({ action: "console.login" })).toHaveLength(1);
    expect(audit.list({ who: "mallory" }).map((r) => r.action)).toEqual(["admin.unlock", "console.lockout"]);
    expect(audit.list({ since: now })).toHaveLength(1);
    expect(audit.list({ limit: 2 })).toHaveLength(2);
  });

  it("keeps rows at least 180 days, whatever shorter retention is asked for", () => {
    let now = Date.UTC(2026, 0, 1);
    const audit = AuditLog.open(":memory:", () => now);
    audit.record({ actor: "a", action: "console.login", subject: "a" });
    now += 179 * DAY;
    expect(audit.prune(30)).toBe(0);
    now += 2 * DAY;
    expect(audit.prune(365)).toBe(0);
    expect(audit.prune(180)).toBe(1);
    expect(audit.list()).toEqual([]);
  });

  it("says whether an admin unlocked a name since a time", () => {
    let now = 5000;
    const audit = AuditLog.open(":memory:", () => now);
    expect(audit.unlockedSince(["li", "10.0.0.5"], 0)).toBe(false);
    audit.record({ actor: "root", action: "admin.unlock", subject: "10.0.0.5" });
    expect(audit.unlockedSince(["li", "10.0.0.5"], 5000)).toBe(true);
    expect(audit.unlockedSince(["li", "10.0.0.5"], 5001)).toBe(false);
    now += 1;
    // Another kind of row with that subject is not an unlock.
    audit.record({ actor: "li", action: "console.login-failure", subject: "li" });
    expect(audit.unlockedSince(["li"], 0)).toBe(false);
  });

  it("does not store a hostile username whole", () => {
    const audit = AuditLog.open(":memory:");
    audit.record({ actor: "x".repeat(5000), action: "mqtt.login-failure", subject: "y".repeat(5000) });
    const [row] = audit.list();
    expect(row?.actor.length).toBeLessThanOrEqual(201);
    expect(row?.subject.length).toBeLessThanOrEqual(201);
  });

  it("is its own database file, for its user alone whatever the umask, shared with another writer", () => {
    const dir = tempDir("audit");
    dirs.push(dir);
    const path = join(dir.path, "data", "audit.db");
    const previous = process.umask(0o022);
    try {
      const gateway = AuditLog.open(path);
      const admin = AuditLog.open(path);
      admin.record({ actor: "root", action: "admin.unlock", subject: "li" });
      admin.close();
      expect(gateway.unlockedSince(["li"], 0)).toBe(true);
      expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
      gateway.close();
    } finally {
      process.umask(previous);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir.path, "data")).mode & 0o777).toBe(0o700);
  });
});
