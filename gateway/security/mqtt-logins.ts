/**
 * MQTT logins, guarded: the broker's authenticate hook asks here (gateway/broker/broker.ts).
 *
 * - The registry does the same work for an unknown username as for a known one.
 * - Failures are throttled per username at an address and per address (throttle.ts). Not per
 *   username alone: a lane's username (`station/device`) is no secret and its secret is 192
 *   random bits that no one guesses, so a lock on the username would only let anyone who can reach
 *   the broker keep a real lane off it. The pair stops one source hammering one login (a lane with
 *   a wrong secret backs off too, and its lockouts show in the audit log); the address stops one
 *   source spraying many. A refused attempt costs no hash and gets CONNACK 3 (server unavailable:
 *   try later), which lanes retry with their own backoff.
 * - Every failure is counted and audited (the throttle bounds how many there can be per source);
 *   log lines about them are capped (log-budget.ts), so a flood cannot fill the disk.
 */
import type { Logger } from "pino";
import type { Identity } from "../broker/acl.ts";
import type { LoginRefusal } from "../broker/broker.ts";
import { type AuditLog, GATEWAY_ACTOR } from "./audit-log.ts";
import { LogBudget } from "./log-budget.ts";
import { addressKey, plainAddress, Throttle, type ThrottlePolicy } from "./throttle.ts";

/** One username from one address: five tries, then 1 s, 2 s, … up to 5 min; locked 15 min at 20. */
export const MQTT_PAIR_POLICY: ThrottlePolicy = {
  free: 5,
  baseMs: 1000,
  maxDelayMs: 5 * 60_000,
  lockAfter: 20,
  lockMs: 15 * 60_000,
  leakMs: 10 * 60_000,
  resetOnSuccess: true,
};

/**
 * One address, every username: many lanes of a station share an address, so fifty tries first,
 * then doubling waits up to a minute; a failure is forgiven every 10 s, so what one address can
 * keep up is about one guess per 10 s. No lock: the waits bound it, and a lock would hold every
 * lane behind that address off.
 */
export const MQTT_ADDRESS_POLICY: ThrottlePolicy = {
  free: 50,
  baseMs: 1000,
  maxDelayMs: 60_000,
  lockAfter: Number.POSITIVE_INFINITY,
  lockMs: 0,
  leakMs: 10_000,
  resetOnSuccess: false,
};

export interface MqttLoginsDeps {
  /** The registry's check of a username and secret. */
  authenticate(username: string, secret: string): Promise<Identity | null>;
  audit: AuditLog;
  log: Logger;
  now?: () => number;
  pairPolicy?: ThrottlePolicy;
  addressPolicy?: ThrottlePolicy;
  /** Log lines about refused logins per minute, at most. */
  logLinesPerMinute?: number;
}

export class MqttLogins {
  /** Logins refused for their credentials. */
  failures = 0;
  /** Logins refused without a check (too many failures lately). */
  throttled = 0;
  private readonly byPair: Throttle;
  private readonly byAddress: Throttle;
  private readonly budget: LogBudget;

  constructor(private readonly deps: MqttLoginsDeps) {
    const options = {
      now: deps.now,
      cleared: (names: readonly string[], since: number) => deps.audit.unlockedSince(names, since),
    };
    this.byPair = new Throttle(deps.pairPolicy ?? MQTT_PAIR_POLICY, options);
    this.byAddress = new Throttle(deps.addressPolicy ?? MQTT_ADDRESS_POLICY, options);
    this.budget = new LogBudget(deps.logLinesPerMinute ?? 20, 60_000, deps.now);
  }

  async login(
    username: string,
    secret: string,
    remote: string | undefined,
  ): Promise<Identity | LoginRefusal> {
    // Counted by network (an IPv6 /64), recorded as it came.
    const address = addressKey(remote);
    const from = plainAddress(remote);
    const pairKey = `${username}@${address}`;
    const addressKeyed = address;
    const byAddress = this.byAddress.begin(addressKeyed, [address]);
    const byPair = byAddress.ok ? this.byPair.begin(pairKey, [username, address]) : byAddress;
    if (!byPair.ok) {
      if (byAddress.ok) this.byAddress.cancel(addressKeyed);
      this.throttled++;
      this.warn(
        { username, address: from, retry_after_s: Math.ceil(byPair.retryAfterMs / 1000) },
        "throttled",
      );
      return "throttled";
    }
    let identity: Identity | null;
    try {
      identity = await this.deps.authenticate(username, secret);
    } catch (error) {
      this.byPair.cancel(pairKey);
      this.byAddress.cancel(addressKeyed);
      throw error;
    }
    const pair = this.byPair.end(pairKey, identity !== null);
    const all = this.byAddress.end(addressKeyed, identity !== null);
    if (identity) return identity;

    this.failures++;
    const { audit } = this.deps;
    audit.record({
      actor: username,
      action: "mqtt.login-failure",
      subject: username,
      address: from,
      detail: { failures: pair?.failures ?? 0 },
    });
    this.warn({ username, address: from }, "credentials");
    for (const [outcome, subject, kind] of [
      [pair, username, "username-at-address"],
      [all, address, "address"],
    ] as const) {
      if (!outcome?.locked) continue;
      audit.record({
        actor: GATEWAY_ACTOR,
        action: "mqtt.lockout",
        subject,
        address: from,
        detail: { kind, until: new Date(outcome.lockedUntil).toISOString() },
      });
    }
    return "credentials";
  }

  private warn(fields: Record<string, string | number>, why: LoginRefusal): void {
    const take = this.budget.take();
    if (!take) return;
    const extra = take.suppressed > 0 ? { suppressed: take.suppressed } : {};
    this.deps.log.warn(
      { ...fields, ...extra },
      why === "credentials"
        ? "broker: refused a connection with wrong credentials"
        : "broker: refused a login without checking it: too many failures from there lately",
    );
  }
}
