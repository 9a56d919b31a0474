/**
 * Embedded aedes 1.x broker with the gateway's hooks:
 * - every socket passes a packet-size guard first (packet-guard.ts): nothing over 64 KB is
 *   buffered, before login too; a CONNECT must arrive within 10 s.
 * - authenticate: username + secret + the client's address, checked (and throttled, audited:
 *   gateway/security/mqtt-logins.ts) by `deps.authenticate`; bad credentials get CONNACK 4, a
 *   login refused unchecked after too many failures CONNACK 3 (server unavailable). A client
 *   id belongs to one login: a device must use its own (`{station}/{device}`), no login may use a
 *   device's, and an id held by another login's live connection is refused (CONNACK 2): a
 *   connection never kicks another login's session off and fires its will.
 * - authorizePublish: $SYS/ stays reserved; every device publish runs the ingest pipeline, and the
 *   callback (after which aedes writes the PUBACK) waits until the message is durable. An ACL
 *   violation calls back with an error, which closes the client's connection. Retain is dropped
 *   except on a device's status. A rejected payload is acknowledged once its reject record is
 *   durable but never forwarded: it is re-addressed to a topic outside the contract that no one
 *   may subscribe to, and authorizeForward delivers nothing outside the contract.
 * - authorizeSubscribe: ACL; a refused filter is granted 0x80 (failure) in the SUBACK.
 * Publishes made by the gateway itself (alerts, rejects, configs) go through broker.publish and
 * skip these hooks.
 */
import { createServer, type Server } from "node:net";
import { deviceClientId, deviceTopic, TOPIC_ROOT } from "@checkpoint/protocol";
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client } from "aedes";
import { canSubscribe, type Identity, mayRetain } from "./acl.ts";
import { GuardedSocket } from "./packet-guard.ts";
import { retainedIndexedPersistence } from "./retained-index.ts";

/** Largest MQTT packet accepted (remaining length). A screening is about 400 bytes. */
export const MAX_PACKET_BYTES = 64 * 1024;
/** Where a rejected payload is sent instead of its topic: outside the contract, so never delivered. */
const DISCARDED = "$discarded";

export interface BrokerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Why a login was refused: its credentials, or too many failures from there lately (not checked). */
export type LoginRefusal = "credentials" | "throttled";

export interface BrokerDeps {
  /** The identity of a login from `address`, or why it is refused (logged and counted there). */
  authenticate(
    username: string,
    secret: string,
    address: string | undefined,
  ): Promise<Identity | LoginRefusal>;
  /** Resolves when the publish may be acknowledged; rejects to close the connection. */
  /** Resolves to whether the message may be forwarded (false: rejected, acknowledged only). */
  ingest(identity: Identity | null, clientId: string, topic: string, payload: Buffer): Promise<boolean>;
  /** A login was refused for its credentials. */
  onAuthFailure(): void;
  onClientIdRefused(): void;
  onOversize(): void;
  /** A device subscribed to its clock topic: the gateway sends it the time. */
  onClockSubscribe(station: string, device: string): void;
  /** A device logged in: the gateway (re)publishes its retained config before it subscribes. */
  onDeviceLogin(station: string, device: string): void;
  log: BrokerLogger;
}

export interface RunningBroker {
  aedes: Aedes;
  server: Server;
  port: number;
  publish(topic: string, payload: object | string, qos: 0 | 1, retain?: boolean): void;
  close(): Promise<void>;
}

const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;

/** Why this login may not use this client id, or null when it may. */
function clientIdProblem(identity: Identity, clientId: string, holder: Identity | undefined): string | null {
  if (identity.role === "device") {
    const own = deviceClientId(identity.station, identity.device);
    return clientId === own ? null : `a device must connect with its own client id "${own}"`;
  }
  if (clientId.includes("/")) return "client ids with '/' are reserved for devices";
  if (holder && holder.username !== identity.username) return "client id in use by another login";
  return null;
}

export async function startBroker(host: string, port: number, deps: BrokerDeps): Promise<RunningBroker> {
  const identities = new WeakMap<Client, Identity>();
  let closing = false;
  const aedes = await Aedes.createBroker({
    maxClientsIdLength: 64,
    heartbeatInterval: 60_000,
    connectTimeout: 10_000,
    persistence: retainedIndexedPersistence(),
    authenticate(client, username, password, done) {
      const address = client.conn instanceof GuardedSocket ? client.conn.remoteAddress : undefined;
      deps
        .authenticate(username ?? "", password?.toString("utf8") ?? "", address)
        .then((identity) => {
          if (typeof identity === "string") {
            if (identity === "credentials") deps.onAuthFailure();
            const error = new Error(
              identity === "credentials" ? "bad username or password" : "too many failed logins; try later",
            ) as AuthenticateError;
            error.returnCode = identity === "credentials" ? BAD_USERNAME_OR_PASSWORD : SERVER_UNAVAILABLE;
            return done(error, false);
          }
          // aedes keeps its live clients by id (untyped): the holder of this id, if any.
          const live = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[
            client.id
          ];
          const problem = clientIdProblem(identity, client.id, live ? identities.get(live) : undefined);
          if (problem) {
            deps.onClientIdRefused();
            deps.log.warn(
              { client: client.id, username, problem },
              "broker: refused a connection: its client id is not its login's",
            );
            const error = new Error(problem) as AuthenticateError;
            error.returnCode = IDENTIFIER_REJECTED;
            return done(error, false);
          }
          identities.set(client, identity);
          if (identity.role === "device") deps.onDeviceLogin(identity.station, identity.device);
          done(null, true);
        })
        .catch((error: Error) => done(Object.assign(error, { returnCode: 3 }) as AuthenticateError, false));
    },
    authorizePublish(client, packet, callback) {
      if (packet.topic.startsWith("$SYS/")) return callback(new Error("$SYS/ topic is reserved"));
      const identity = client ? (identities.get(client) ?? null) : null;
      if (client && !identity) return callback(new Error("not authenticated"));
      const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
      const topic = packet.topic;
      deps.ingest(identity, client?.id ?? "(will)", topic, payload).then(
        (forward) => {
          if (packet.retain && !(identity && mayRetain(identity, topic))) packet.retain = false;
          if (!forward) {
            packet.topic = DISCARDED;
            packet.retain = false;
          }
          callback(null);
        },
        (error: Error) => callback(error),
      );
    },
    authorizeForward(_client, packet) {
      return packet.topic.startsWith(`${TOPIC_ROOT}/`) ? packet : null;
    },
    authorizeSubscribe(client, sub, callback) {
      const identity = identities.get(client);
      if (identity && canSubscribe(identity, sub.topic)) return callback(null, sub);
      deps.log.warn({ client: client.id, filter: sub.topic }, "broker: refused a subscription");
      callback(null, null);
    },
  });
  aedes.on("subscribe", (subscriptions, client) => {
    const identity = client ? identities.get(client) : undefined;
    if (identity?.role !== "device") return;
    const clock = deviceTopic(identity.station, identity.device, "clock");
    if (subscriptions.some((s) => s.topic === clock))
      deps.onClockSubscribe(identity.station, identity.device);
  });
  aedes.on("clientError", (client: Client, error: Error) => {
    deps.log.info({ client: client.id, err: error.message }, "broker: client connection ended with an error");
  });

  // Small MQTT packets (PUBACKs, alerts) must not wait for Nagle's algorithm: on a socket with
  // unacknowledged data it holds them until the peer's delayed ACK, up to 40 ms.
  const server = createServer({ noDelay: true }, (socket) => {
    const guarded = new GuardedSocket(socket, MAX_PACKET_BYTES, (why) => {
      deps.onOversize();
      deps.log.warn(
        { remote: socket.remoteAddress, why },
        "broker: cut a connection over the packet size limit",
      );
    });
    aedes.handle(guarded);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;

  return {
    aedes,
    server,
    port: boundPort,
    publish(topic, payload, qos, retain = false) {
      // While closing, aedes's emitter is gone: what would go out now has no one left to reach.
      if (closing) return;
      const body = typeof payload === "string" ? payload : JSON.stringify(payload);
      aedes.publish(
        { cmd: "publish", topic, payload: Buffer.from(body), qos, retain, dup: false } as AedesPublishPacket,
        (error?: Error | null) => {
          if (error) deps.log.warn({ topic, err: error.message }, "broker: internal publish failed");
        },
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close();
        aedes.close(() => resolve());
      }),
  };
}
