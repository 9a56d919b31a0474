import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Users } from "../../../gateway/ops/users.ts";
import { MessageError } from "../../../protocol/index.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

describe("duty console users", () => {
  it("logs in with the right password only, and the session expires", async () => {
    let now = 1_000_000;
    const users = new Users(new Database(":memory:"), 60_000, () => now);
    await users.add("officer li", "officer", "a-long-password");
    expect(await users.login("officer li", "wrong-password")).toBeNull();
    expect(await users.login("nobody", "a-long-password")).toBeNull();
    const session = await users.login("officer li", "a-long-password");
    expect(session?.user).toEqual({ username: "officer li", role: "officer", township: null });
    const token = session?.token ?? "";
    expect(users.session(token)).toEqual({ username: "officer li", role: "officer", township: null });
    now += 60_001;
    expect(users.session(token)).toBeNull();
  });

  it("ends a session on logout and refuses weak passwords", async () => {
    const users = new Users(new Database(":memory:"), 60_000);
    await users.add("admin", "admin", "a-long-password");
    const s = await users.login("admin", "a-long-password");
    users.logout(s?.token ?? "");
    expect(users.session(s?.token ?? "")).toBeNull();
    await expect(users.add("x", "officer", "short")).rejects.toThrow(/at least 10/);
  });

  it("takes as long to refuse an unknown username as a known one's wrong password", async () => {
    const users = new Users(new Database(":memory:"), 60_000);
    await users.add("officer li", "officer", "a-long-password");
    const known: number[] = [];
    const unknown: number[] = [];
    const time = async (username: string, into: number[]) => {
      const start = performance.now();
      expect(await users.login(username, "wrong-password")).toBeNull();
      into.push(performance.now() - start);
    };
    // Interleaved, each order in turn, so that a busy moment falls on both alike.
    for (let i = 0; i < 10; i++) {
      if (i % 2) {
        await time("officer li", known);
        await time(`nobody-${i}`, unknown);
      } else {
        await time(`nobody-${i}`, unknown);
        await time("officer li", known);
      }
    }
    // Both pay for scrypt (tens of ms), and within a factor of 2.5 of each other: the 50-fold
    // gap of a skipped hash (1 ms against 50 ms) fails this by far.
    const ratio = median(unknown) / median(known);
    expect(
      ratio,
      `known ${median(known).toFixed(1)} ms, unknown ${median(unknown).toFixed(1)} ms`,
    ).toBeGreaterThan(1 / 2.5);
    expect(ratio).toBeLessThan(2.5);
  });

  it("refuses a disabled user, ends their sessions, and lets them in again once enabled", async () => {
    const users = new Users(new Database(":memory:"), 60_000);
    await users.add("officer li", "officer", "a-long-password");
    const a = await users.login("officer li", "a-long-password");
    const b = await users.login("officer li", "a-long-password");
    expect(users.setDisabled("officer li", true)).toEqual({ sessionsEnded: 2 });
    expect(users.session(a?.token ?? "")).toBeNull();
    expect(users.session(b?.token ?? "")).toBeNull();
    expect(await users.login("officer li", "a-long-password")).toBeNull();
    expect(users.list()).toEqual([
      { username: "officer li", role: "officer", township: null, disabled: true, sessions: 0 },
    ]);
    expect(users.setDisabled("officer li", false)).toEqual({ sessionsEnded: 0 });
    expect(await users.login("officer li", "a-long-password")).not.toBeNull();
    expect(users.list()).toEqual([
      { username: "officer li", role: "officer", township: null, disabled: false, sessions: 1 },
    ]);
    expect(users.setDisabled("nobody", true)).toBeNull();
  });

  it("removes a user and their sessions", async () => {
    const users = new Users(new Database(":memory:"), 60_000);
    await users.add("tech wu", "technician", "a-long-password");
    const s = await users.login("tech wu", "a-long-password");
    expect(users.remove("tech wu")).toEqual({ sessionsEnded: 1 });
    expect(users.session(s?.token ?? "")).toBeNull();
    expect(await users.login("tech wu", "a-long-password")).toBeNull();
    expect(users.list()).toEqual([]);
    expect(users.remove("tech wu")).toBeNull();
  });
});

describe("township users", () => {
  it("need their township, and no other role takes one", async () => {
    const users = new Users(new Database(":memory:"), 60_000);
    await expect(users.add("staff", "township", "correct-horse-1")).rejects.toThrow(MessageError);
    await expect(users.add("officer", "officer", "correct-horse-1", "xinan")).rejects.toThrow(MessageError);
    await users.add("staff", "township", "correct-horse-1", "xinan");
    const session = await users.login("staff", "correct-horse-1");
    expect(session?.user).toEqual({ username: "staff", role: "township", township: "xinan" });
    expect(users.session(session?.token ?? "")).toEqual({
      username: "staff",
      role: "township",
      township: "xinan",
    });
  });

  it("a user added again (a new password, and perhaps another role or township) is logged out everywhere", async () => {
    const users = new Users(new Database(":memory:"), 60_000);
    await users.add("officer li", "officer", "correct-horse-1");
    const officer = await users.login("officer li", "correct-horse-1");
    // Moved to a township's staff (or the password reset after a leak): the old session would
    // go on as the new role, and the console's live feed opened as an officer would go on showing
    // every alert with its pseudonym.
    await users.add("officer li", "township", "correct-horse-2", "xinan");
    expect(users.session(officer?.token ?? "")).toBeNull();
    expect((await users.login("officer li", "correct-horse-2"))?.user.township).toBe("xinan");
    await expect(users.add("staff", "township", "correct-horse-1", "")).rejects.toThrow(MessageError);
  });

  it("a database made before the role existed takes township users, keeping users and sessions", async () => {
    const db = new Database(":memory:");
    db.pragma("foreign_keys = ON");
    db.exec(`CREATE TABLE users (
      username TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('officer', 'technician', 'admin')),
      password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE sessions (
      token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
      expires_at INTEGER NOT NULL);`);
    // An officer and their live session, as the old gateway left them.
    db.prepare(
      "INSERT INTO users (username, role, password_hash) VALUES ('officer li', 'officer', 'x')",
    ).run();
    const token = "an-old-session-token";
    db.prepare("INSERT INTO sessions (token_hash, username, expires_at) VALUES (?, 'officer li', ?)").run(
      createHash("sha256").update(token).digest("hex"),
      Date.now() + 60_000,
    );
    const again = new Users(db, 60_000);
    await again.add("staff", "township", "correct-horse-2", "xinan");
    expect(again.session(token)?.username).toBe("officer li");
    expect(again.list().map((u) => [u.username, u.role, u.township])).toEqual([
      ["officer li", "officer", null],
      ["staff", "township", "xinan"],
    ]);
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
  });
});
