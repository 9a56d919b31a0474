import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Users } from "../../../gateway/ops/users.ts";

describe("duty console users", () => {
  it("logs in with the right password only, and the session expires", async () => {
    let now = 1_000_000;
    const users = new Users(new Database(":memory:"), 60_000, () => now);
    await users.add("officer li", "officer", "a-long-password");
    expect(await users.login("officer li", "wrong-password")).toBeNull();
    expect(await users.login("nobody", "a-long-password")).toBeNull();
    const session = await users.login("officer li", "a-long-password");
    expect(session?.user).toEqual({ username: "officer li", role: "officer" });
    const token = session?.token ?? "";
    expect(users.session(token)).toEqual({ username: "officer li", role: "officer" });
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
});
