/**
 * The gateway's login security as one part: the audit log (audit.db in the data folder), console
 * and MQTT logins guarded by it, and the audit log's daily pruning. Built in the gateway's
 * start(); `audit` is the one place any other part appends audit rows to.
 */
import { join } from "node:path";
import type { Logger } from "pino";
import type { Identity } from "../broker/acl.ts";
import type { Users } from "../ops/users.ts";
import { AuditLog } from "./audit-log.ts";
import { ConsoleLogins } from "./console-logins.ts";
import { MqttLogins } from "./mqtt-logins.ts";

export const AUDIT_DB_FILE = "audit.db";
const PRUNE_EVERY_MS = 6 * 3600_000;

export interface LoginSecurityDeps {
  dataDir: string;
  /** Days of audit rows kept (at least 180). */
  retentionDays: number;
  users: Users;
  /** The registry's check of an MQTT login. */
  authenticate(username: string, secret: string): Promise<Identity | null>;
  log: Logger;
}

export class LoginSecurity {
  readonly audit: AuditLog;
  readonly console: ConsoleLogins;
  readonly mqtt: MqttLogins;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: LoginSecurityDeps) {
    this.audit = AuditLog.open(join(deps.dataDir, AUDIT_DB_FILE));
    this.console = new ConsoleLogins({ users: deps.users, audit: this.audit, log: deps.log });
    this.mqtt = new MqttLogins({ authenticate: deps.authenticate, audit: this.audit, log: deps.log });
  }

  /** Prunes old audit rows now and every six hours. */
  start(): void {
    this.prune();
    this.timer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  /** Counters for /health and the `gateway` measurement. */
  stats(): Record<string, number> {
    return {
      auth_throttled: this.mqtt.throttled,
      console_login_failures: this.console.failures,
      console_login_throttled: this.console.throttled,
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.audit.close();
  }

  private prune(): void {
    try {
      const pruned = this.audit.prune(this.deps.retentionDays);
      if (pruned > 0) this.deps.log.info({ pruned }, "gateway:security: pruned old audit rows");
    } catch (error) {
      this.deps.log.warn({ err: error }, "gateway:security: could not prune the audit log; will try again");
    }
  }
}
