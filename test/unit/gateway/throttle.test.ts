import { describe, expect, it } from "vitest";
import {
  addressKey,
  plainAddress,
  Throttle,
  type ThrottlePolicy,
} from "../../../gateway/security/throttle.ts";

const POLICY: ThrottlePolicy = {
  free: 3,
  baseMs: 1000,
  maxDelayMs: 8000,
  lockAfter: 8,
  lockMs: 15 * 60_000,
  leakMs: 60 * 60_000,
  resetOnSuccess: true,
};

function rig(
  policy: Partial<ThrottlePolicy> = {},
  cleared: (names: readonly string[], since: number) => boolean = () => false,
) {
  const clock = { now: 1_000_000 };
  const throttle = new Throttle({ ...POLICY, ...policy }, { now: () => clock.now, cleared });
  /** One attempt that fails (or succeeds); the verdict it got. */
  const attempt = (ok = false, key = "user:li") => {
    const verdict = throttle.begin(key, [key.slice(key.indexOf(":") + 1)]);
    if (verdict.ok) throttle.end(key, ok);
    return verdict;
  };
  return { clock, throttle, attempt };
}

describe("login throttle", () => {
  it("lets the first few failures through at once, then waits 1 s, 2 s, 4 s, … between attempts", () => {
    const { clock, attempt } = rig();
    for (let i = 0; i < 3; i++) expect(attempt()).toEqual({ ok: true });
    for (const waitMs of [1000, 2000, 4000, 8000, 8000]) {
      expect(attempt()).toEqual({ ok: false, retryAfterMs: waitMs, locked: false });
      clock.now += waitMs - 1;
      expect(attempt().ok).toBe(false);
      clock.now += 1;
      expect(attempt()).toEqual({ ok: true });
    }
  });

  it("locks the key at lockAfter failures, refuses even the right password then, and the lock expires", () => {
    const { clock, throttle, attempt } = rig({ maxDelayMs: 1000 });
    let failures = 0;
    while (failures < 8) {
      if (attempt().ok) failures++;
      else clock.now += 1000;
    }
    const locked = throttle.begin("user:li", ["li"]);
    expect(locked).toEqual({ ok: false, retryAfterMs: 15 * 60_000, locked: true });
    // Nothing is checked while locked, however right it would be.
    clock.now += 15 * 60_000 - 1;
    expect(attempt(true)).toMatchObject({ ok: false, locked: true, retryAfterMs: 1 });
    clock.now += 1;
    // Expired: the real officer gets in, and their key is forgotten.
    expect(attempt(true)).toEqual({ ok: true });
    expect(throttle.size).toBe(0);
  });

  it("locks again at once when the first attempt after a lock fails too", () => {
    const { clock, throttle, attempt } = rig({ maxDelayMs: 1000, leakMs: Number.POSITIVE_INFINITY });
    let failures = 0;
    while (failures < 8) {
      if (attempt().ok) failures++;
      else clock.now += 1000;
    }
    clock.now += 15 * 60_000;
    const verdict = throttle.begin("user:li", ["li"]);
    expect(verdict.ok).toBe(true);
    expect(throttle.end("user:li", false)).toMatchObject({
      locked: true,
      lockedUntil: clock.now + 15 * 60_000,
    });
  });

  it("forgives one failure per leak period, so old failures are forgotten", () => {
    const { clock, throttle, attempt } = rig();
    for (let i = 0; i < 3; i++) attempt();
    expect(attempt().ok).toBe(false);
    clock.now += 60 * 60_000; // one forgiven: 2 left, under the free 3
    expect(attempt()).toEqual({ ok: true });
    // All forgiven after a few quiet hours: three free attempts again.
    clock.now += 4 * 60 * 60_000;
    for (let i = 0; i < 3; i++) expect(attempt()).toEqual({ ok: true });
    expect(throttle.size).toBe(1);
  });

  it("lets attempts past the free ones through one at a time, however many arrive together", () => {
    const { throttle } = rig();
    for (let i = 0; i < 3; i++) {
      expect(throttle.begin("user:li", ["li"]).ok).toBe(true);
    }
    // Three checks in flight use up the free attempts: a fourth is refused until they end.
    expect(throttle.begin("user:li", ["li"]).ok).toBe(false);
  });

  it("keeps a shared address's failures on success, and forgets a user's", () => {
    const address = rig({ resetOnSuccess: false });
    for (let i = 0; i < 3; i++) address.attempt(false, "address:10.0.0.1");
    address.clock.now += 1000;
    expect(address.attempt(true, "address:10.0.0.1").ok).toBe(true);
    expect(address.throttle.size).toBe(1);
    const user = rig();
    for (let i = 0; i < 3; i++) user.attempt();
    user.clock.now += 1000;
    expect(user.attempt(true).ok).toBe(true);
    expect(user.throttle.size).toBe(0);
  });

  it("lets an admin's unlock lift a lock, asking at most once a second", () => {
    let unlockedAt: number | null = null;
    let asked = 0;
    const { clock, attempt } = rig({ maxDelayMs: 1000 }, (names, since) => {
      asked++;
      return names.includes("li") && unlockedAt !== null && unlockedAt >= since;
    });
    let failures = 0;
    while (failures < 8) {
      if (attempt().ok) failures++;
      else clock.now += 1000;
    }
    const before = asked;
    expect(attempt().ok).toBe(false);
    expect(attempt().ok).toBe(false);
    expect(asked - before).toBeLessThanOrEqual(1);
    unlockedAt = clock.now;
    clock.now += 1000;
    expect(attempt(true)).toEqual({ ok: true });
  });

  it("remembers at most its capacity of keys", () => {
    const clock = { now: 0 };
    const throttle = new Throttle(POLICY, { now: () => clock.now, capacity: 100 });
    for (let i = 0; i < 1000; i++) {
      if (throttle.begin(`user:${i}`, [String(i)]).ok) throttle.end(`user:${i}`, false);
    }
    expect(throttle.size).toBeLessThanOrEqual(100);
  });
});

describe("addressKey", () => {
  it("counts an IPv4 address as it is, also when mapped into IPv6", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey(undefined)).toBe("unknown");
    expect(plainAddress("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(plainAddress("2001:db8::7")).toBe("2001:db8::7");
  });

  it("counts an IPv6 address by its /64, however it is written", () => {
    expect(addressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:0db8:0001:0002::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
  });
});
