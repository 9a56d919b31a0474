/**
 * Access taken back, in the running gateway (issue 9). The admin commands change gateway.db from
 * their own process (disable-, enable-, remove-device, rotate-secret, disable-, remove-user); the
 * gateway notices within a second (SQLite's data_version: one pragma, no table read, moves only
 * when another connection committed) and acts:
 * - a disabled or removed device that is connected is cut off at once, its last will replaced by
 *   `{"state":"offline","reason":"disabled"|"removed"}` (a reason: no device-offline alert for
 *   an admin's decision), and refused at every login after (registry.ts); a removed device's
 *   retained config is cleared from the broker;
 * - a device whose secret was rotated gets the new one on its `credentials` topic
 *   (protocol/credentials.ts) over its authenticated connection: now if it is connected, else when
 *   it next connects with its old secret within the grace period;
 * - console users: their sessions end in the database (users.ts); the console closes the live
 *   feeds whose session is gone (`onUsersChanged`).
 * Every cut-off, every secret sent and every adoption is a row of the audit log.
 */
import { type Credentials, deviceTopic } from "@checkpoint/protocol";
import type { Client } from "aedes";
import type { Logger } from "pino";
import type { RunningBroker } from "../broker/broker.ts";
import { type AuditLog, GATEWAY_ACTOR } from "../security/audit-log.ts";
import { deviceUsername, type Registry } from "./registry.ts";

export interface DeviceAccessDeps {
  registry: Registry;
  audit: AuditLog;
  broker(): RunningBroker | null;
  /** Console users changed (one disabled or removed): the console ends stale live feeds. */
  onUsersChanged(): void;
  log: Logger;
  /** How often to look for changes (default 1 s). */
  intervalMs?: number;
  now?: () => number;
}

/** aedes's live clients by id (untyped in its declarations), with the will it would publish. */
type LiveClients = Record<string, (Client & { will?: unknown }) | undefined>;

export class DeviceAccess {
  private timer: NodeJS.Timeout | null = null;
  /** Registered devices at the last look: one gone since was removed. */
  private known = new Set<string>();
  /** The rotation (its end) each device was last sent, so that the audit says it once. */
  private readonly sent = new Map<string, number>();
  private readonly now: () => number;
  private usersCheckedMs = 0;

  constructor(private readonly deps: DeviceAccessDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Watches the registry; sends a rotated secret when its device subscribes to its credentials. */
  start(): void {
    const { registry, audit } = this.deps;
    this.known = new Set(registry.devices().map((d) => deviceUsername(d.station, d.device)));
    registry.changedElsewhere();
    registry.onSecretAdopted = (username) => {
      this.sent.delete(username);
      audit.record({ actor: username, action: "mqtt.secret-adopted", subject: username });
      this.deps.log.info(
        { username },
        "gateway: a lane logged in with its new secret; the old one works no more",
      );
    };
    this.deps.broker()?.aedes.on("subscribe", (subscriptions, client) => {
      const device = client ? parseDeviceId(client.id) : null;
      if (!device) return;
      const topic = deviceTopic(device.station, device.device, "credentials");
      if (subscriptions.some((s) => s.topic === topic)) this.sendSecret(device.station, device.device);
    });
    this.timer = setInterval(() => this.poll(), this.deps.intervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.deps.registry.onSecretAdopted = null;
  }

  /** Looks for changes an admin command made; acts on them. Once a minute the feeds regardless. */
  poll(): void {
    try {
      const changed = this.deps.registry.changedElsewhere();
      if (changed) this.reconcile();
      if (changed || this.now() - this.usersCheckedMs >= 60_000) {
        this.usersCheckedMs = this.now();
        this.deps.onUsersChanged();
      }
    } catch (error) {
      this.deps.log.warn({ err: error }, "gateway: could not apply the registry's changes; will try again");
    }
  }

  /** Every connected device checked against the registry; removed ones' retained config cleared. */
  reconcile(): void {
    const { registry } = this.deps;
    const broker = this.deps.broker();
    const now = new Set(registry.devices().map((d) => deviceUsername(d.station, d.device)));
    for (const username of this.known) {
      if (now.has(username)) continue;
      const device = parseDeviceId(username);
      // Its retained config (policy, keys) is no one's any more.
      if (device) broker?.publish(deviceTopic(device.station, device.device, "config"), "", 1, true);
    }
    this.known = now;
    if (!broker) return;
    const clients = (broker.aedes as unknown as { clients: LiveClients }).clients;
    for (const id of Object.keys(clients)) {
      const device = parseDeviceId(id);
      if (!device) continue;
      const state = registry.deviceState(device.station, device.device, this.now());
      if (!state) this.cutOff(id, "removed");
      else if (state.disabled) this.cutOff(id, "disabled");
      else if (state.rotatingUntil !== null) this.sendSecret(device.station, device.device);
    }
  }

  /** Disconnects a device at once; its will says why, so no device-offline alert is raised. */
  private cutOff(id: string, reason: "disabled" | "removed"): void {
    const broker = this.deps.broker();
    const client = broker ? (broker.aedes as unknown as { clients: LiveClients }).clients[id] : undefined;
    const device = parseDeviceId(id);
    if (!client || client.closed || !device) return;
    client.will = {
      topic: deviceTopic(device.station, device.device, "status"),
      payload: Buffer.from(JSON.stringify({ state: "offline", reason })),
      qos: 1,
      retain: true,
    };
    client.close();
    this.deps.audit.record({ actor: GATEWAY_ACTOR, action: "mqtt.cut-off", subject: id, detail: { reason } });
    this.deps.log.warn({ device: id, reason }, "gateway: cut off a device an admin disabled or removed");
  }

  /** Sends a device its new secret, if a rotation is waiting; audited once per rotation. */
  sendSecret(station: string, device: string): void {
    const broker = this.deps.broker();
    const pending = this.deps.registry.pendingSecret(station, device, this.now());
    if (!broker || !pending) return;
    const username = deviceUsername(station, device);
    const message: Credentials = {
      v: 1,
      username,
      secret: pending.secret,
      until: new Date(pending.until).toISOString(),
    };
    broker.publish(deviceTopic(station, device, "credentials"), message, 1, false);
    if (this.sent.get(username) === pending.until) return;
    this.sent.set(username, pending.until);
    this.deps.audit.record({
      actor: GATEWAY_ACTOR,
      action: "mqtt.secret-sent",
      subject: username,
      detail: { until: message.until },
    });
    this.deps.log.info({ device: username, until: message.until }, "gateway: sent a lane its new secret");
  }
}

/** `{station}/{device}` (a device's client id and login), or null for anything else. */
function parseDeviceId(id: string): { station: string; device: string } | null {
  const match = /^([a-z0-9-]{1,32})\/([a-z0-9-]{1,32})$/.exec(id);
  return match?.[1] && match[2] ? { station: match[1], device: match[2] } : null;
}
