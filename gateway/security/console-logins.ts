/**
 * Duty console logins, guarded: throttled per username and per address (throttle.ts), every
 * login, failure, lockout and logout in the audit log.
 *
 * An unknown username costs the same as a known one (Users.login checks the password against a
 * dummy hash of the same cost), is throttled and audited the same way, and gets the same answer,
 * so neither the time nor the message tells which usernames exist. A refused attempt (waiting,
 * locked) checks nothing and costs no hash.
 */
import type { Logger } from "pino";
import type { User, Users } from "../ops/users.ts";
import { type AuditLog, GATEWAY_ACTOR } from "./audit-log.ts";
import { addressKey, plainAddress, Throttle, type ThrottlePolicy } from "./throttle.ts";

/**
 * Per username: five tries, then 1 s, 2 s, 4 s, 8 s, 16 s between them, locked for 15 minutes at
 * ten; one failure forgiven every 15 minutes. An officer who mistypes a few times never waits.
 */
export const CONSOLE_USER_POLICY: ThrottlePolicy = {
  free: 5,
  baseMs: 1000,
  maxDelayMs: 60_000,
  lockAfter: 10,
  lockMs: 15 * 60_000,
  leakMs: 15 * 60_000,
  resetOnSuccess: true,
};

/**
 * Per address (officers behind one router share one): twenty tries, then doubling waits up to a
 * minute, locked for 15 minutes at fifty; one failure forgiven a minute. Stops one address trying
 * one password on many usernames.
 */
export const CONSOLE_ADDRESS_POLICY: ThrottlePolicy = {
  free: 20,
  baseMs: 1000,
  maxDelayMs: 60_000,
  lockAfter: 50,
  lockMs: 15 * 60_000,
  leakMs: 60_000,
  resetOnSuccess: false,
};

export type ConsoleLoginResult =
  | { ok: true; token: string; user: User }
  | { ok: false; reason: "credentials" }
  | { ok: false; reason: "throttled"; retryAfterMs: number; locked: boolean };

export interface ConsoleLoginsDeps {
  users: Users;
  audit: AuditLog;
  log: Logger;
  now?: () => number;
  userPolicy?: ThrottlePolicy;
  addressPolicy?: ThrottlePolicy;
}

export class ConsoleLogins {
  /** Logins refused for their username or password. */
  failures = 0;
  /** Attempts refused without a check (waiting or locked). */
  throttled = 0;
  private readonly byUser: Throttle;
  private readonly byAddress: Throttle;

  constructor(private readonly deps: ConsoleLoginsDeps) {
    const options = {
      now: deps.now,
      cleared: (names: readonly string[], since: number) => deps.audit.unlockedSince(names, since),
    };
    this.byUser = new Throttle(deps.userPolicy ?? CONSOLE_USER_POLICY, options);
    this.byAddress = new Throttle(deps.addressPolicy ?? CONSOLE_ADDRESS_POLICY, options);
  }

  async login(username: string, password: string, remote: string | undefined): Promise<ConsoleLoginResult> {
    // Counted by network (an IPv6 /64), recorded as it came.
    const address = addressKey(remote);
    const from = plainAddress(remote);
    const userKey = `user:${username}`;
    const addressKeyed = `address:${address}`;
    const byAddress = this.byAddress.begin(addressKeyed, [address]);
    if (!byAddress.ok) return this.refuse(byAddress);
    const byUser = this.byUser.begin(userKey, [username]);
    if (!byUser.ok) {
      this.byAddress.cancel(addressKeyed);
      return this.refuse(byUser);
    }
    let session: Awaited<ReturnType<Users["login"]>>;
    try {
      session = await this.deps.users.login(username, password);
    } catch (error) {
      this.byUser.cancel(userKey);
      this.byAddress.cancel(addressKeyed);
      throw error;
    }
    const ok = session !== null;
    const userOutcome = this.byUser.end(userKey, ok);
    const addressOutcome = this.byAddress.end(addressKeyed, ok);
    const { audit } = this.deps;
    if (session) {
      audit.record({
        actor: session.user.username,
        action: "console.login",
        subject: username,
        address: from,
      });
      return { ok: true, ...session };
    }
    this.failures++;
    audit.record({
      actor: username,
      action: "console.login-failure",
      subject: username,
      address: from,
      detail: { failures: userOutcome?.failures ?? 0 },
    });
    for (const [outcome, subject, kind] of [
      [userOutcome, username, "user"],
      [addressOutcome, address, "address"],
    ] as const) {
      if (!outcome?.locked) continue;
      audit.record({
        actor: GATEWAY_ACTOR,
        action: "console.lockout",
        subject,
        address: from,
        detail: { kind, until: new Date(outcome.lockedUntil).toISOString() },
      });
      this.deps.log.warn(
        { kind, subject, address: from, until: new Date(outcome.lockedUntil).toISOString() },
        "gateway:security: too many failed console logins; locked for a while (npm run gateway -- unlock lifts it)",
      );
    }
    return { ok: false, reason: "credentials" };
  }

  /** Ends a session; audited when there was one. */
  logout(token: string, remote: string | undefined): void {
    const user = this.deps.users.session(token);
    this.deps.users.logout(token);
    if (user) {
      this.deps.audit.record({
        actor: user.username,
        action: "console.logout",
        subject: user.username,
        address: plainAddress(remote),
      });
    }
  }

  private refuse(verdict: { retryAfterMs: number; locked: boolean }): ConsoleLoginResult {
    this.throttled++;
    return { ok: false, reason: "throttled", retryAfterMs: verdict.retryAfterMs, locked: verdict.locked };
  }
}
