/**
 * The work of the admin commands that take access back (gateway/admin.ts holds their command-line
 * entries): disable, enable and remove a device or a duty console user, give a device a new
 * secret, list the console users. Each change is a row of the audit log; a running gateway acts on
 * it within a second (device-access.ts): a disabled or removed device is cut off, a rotated secret
 * is sent to its lane, a disabled user's live feeds end.
 */
import { formatDateTime, type Locale, MessageError, messageText, translator } from "@checkpoint/protocol";
import type { Users } from "../ops/users.ts";
import type { AuditLog } from "../security/audit-log.ts";
import type { Registry } from "./registry.ts";
import { newSecret } from "./secrets.ts";

interface Settings {
  locale: Locale;
  timeZone: string;
}

/** Who does it, through which tool: the audit log's actor and detail. */
export interface Admin {
  audit: AuditLog;
  actor: string;
}

const DAY_MS = 86_400_000;
/** How long a rotated device's old secret keeps working, unless --grace says otherwise. */
export const DEFAULT_GRACE_MS = 7 * DAY_MS;
const MAX_GRACE_MS = 90 * DAY_MS;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS };

/** "30s", "15m", "12h", "7d" as milliseconds (at most 90 days), or null. */
export function parseGrace(text: string): number | null {
  const match = /^(\d{1,6})([smhd])$/.exec(text);
  if (!match?.[1] || !match[2]) return null;
  const ms = Number(match[1]) * (UNIT_MS[match[2]] ?? 0);
  return ms >= 1000 && ms <= MAX_GRACE_MS ? ms : null;
}

export type DeviceChange = "disable" | "enable" | "remove";

/** disable-device, enable-device, remove-device: prints the change as JSON. */
export function changeDevice(
  config: Settings,
  registry: Registry,
  admin: Admin,
  change: DeviceChange,
  station: string,
  device: string,
): void {
  const done =
    change === "remove"
      ? registry.removeDevice(station, device)
      : registry.setDeviceDisabled(station, device, change === "disable");
  if (!done) throw new MessageError("admin.no-such-device", { station, device });
  const action = (
    {
      disable: "admin.device-disabled",
      enable: "admin.device-enabled",
      remove: "admin.device-removed",
    } as const
  )[change];
  admin.audit.record({
    actor: admin.actor,
    action,
    subject: `${station}/${device}`,
    detail: { via: "command line" },
  });
  console.log(JSON.stringify({ device: `${station}/${device}`, change }));
  console.error(translator(config.locale)(action, { station, device }));
}

/**
 * rotate-secret: a new secret, printed once as JSON (for a lane that cannot take it over the air);
 * the old one keeps working for `graceMs` or until the lane logs in with the new one.
 */
export async function rotateSecret(
  config: Settings,
  registry: Registry,
  admin: Admin,
  station: string,
  device: string,
  graceMs: number,
  now = Date.now(),
): Promise<void> {
  const secret = newSecret();
  const until = registry.rotateSecret(station, device, secret, graceMs, now);
  if (until === null) throw new MessageError("admin.no-such-device", { station, device });
  const untilIso = new Date(until).toISOString();
  admin.audit.record({
    actor: admin.actor,
    action: "admin.secret-rotated",
    subject: `${station}/${device}`,
    detail: { via: "command line", until: untilIso },
  });
  console.log(JSON.stringify({ username: `${station}/${device}`, secret, until: untilIso }));
  console.error(
    translator(config.locale)("admin.secret-rotated", {
      station,
      device,
      until: formatDateTime(config.locale, until, config.timeZone),
    }),
  );
}

export type UserChange = "disable" | "enable" | "remove";

/** disable-user, enable-user, remove-user: prints the change as JSON. */
export function changeUser(
  config: Settings,
  users: Users,
  admin: Admin,
  change: UserChange,
  username: string,
): void {
  const result =
    change === "remove" ? users.remove(username) : users.setDisabled(username, change === "disable");
  if (!result) throw new MessageError("admin.no-such-user", { username });
  const action = (
    { disable: "admin.user-disabled", enable: "admin.user-enabled", remove: "admin.user-removed" } as const
  )[change];
  admin.audit.record({
    actor: admin.actor,
    action,
    subject: username,
    detail: { via: "command line", sessions_ended: result.sessionsEnded },
  });
  console.log(JSON.stringify({ username, change, sessions_ended: result.sessionsEnded }));
  console.error(messageText(config.locale, action, { username, sessions: result.sessionsEnded }));
}

/** users [--json]: every console user, their role, state and live sessions. */
export function listUsers(config: Settings, users: Users, json: boolean): void {
  const t = translator(config.locale);
  const rows = users.list();
  if (!json) console.log(t("admin.users-columns"));
  for (const user of rows) {
    if (json) console.log(JSON.stringify(user));
    else
      console.log(
        [
          user.username,
          user.role,
          t(user.disabled ? "admin.state-disabled" : "admin.state-enabled"),
          user.sessions,
        ].join("\t"),
      );
  }
  console.error(t("admin.users-summary", { n: rows.length }));
}
