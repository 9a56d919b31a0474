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
 *
 * Transport: plain TCP (loopback only: gateway/tls/settings.ts) or TLS (`tls`): aedes sees the
 * decrypted stream through the same packet guard. With client certificates asked for, one the CA did
 * not sign ends the connection after the handshake; a verified one binds the login to the device it
 * names (cert-binding.ts).
 */
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { deviceClientId, deviceTopic, TOPIC_ROOT } from "@checkpoint/protocol";
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client } from "aedes";
import { LogBudget } from "../security/log-budget.ts";
import { deviceOfCertificate } from "../tls/pki.ts";
import type { ClientCertMode } from "../tls/settings.ts";
import { canSubscribe, type Identity, mayRetain } from "./acl.ts";
import { certificateProblem, identityProblem, type PresentedCertificate } from "./cert-binding.ts";
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
  /** A TLS handshake failed (a plain client on the TLS port, a client that does not trust us...). */
  onTlsFailure?(): void;
  /** A login refused for its client certificate (none where one is required, another device's). */
  onCertificateRefused?(): void;
  log: BrokerLogger;
}

/** MQTT over TLS: the gateway's key and certificate, and the CA that client certificates chain to. */
export interface BrokerTls {
  key: string;
  cert: string;
  ca: string | null;
  clientCerts: ClientCertMode;
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
const NOT_AUTHORIZED = 5;
const NO_CERTIFICATE: PresentedCertificate = { presented: false };

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

export async function startBroker(
  host: string,
  port: number,
  deps: BrokerDeps,
  tls: BrokerTls | null = null,
): Promise<RunningBroker> {
  const identities = new WeakMap<Client, Identity>();
  /** The client certificate each TLS connection presented (verified), by its guarded socket. */
  const certificates = new WeakMap<GuardedSocket, PresentedCertificate>();
  const clientCerts = tls?.clientCerts ?? "off";
  const refuse = (client: Client, username: string | undefined, problem: string, code: number) => {
    deps.onCertificateRefused?.();
    deps.log.warn(
      { client: client.id, username, problem },
      "broker: refused a login: its client certificate does not allow it",
    );
    const error = new Error(problem) as AuthenticateError;
    error.returnCode = code;
    return error;
  };
  let closing = false;
  const aedes = await Aedes.createBroker({
    maxClientsIdLength: 64,
    heartbeatInterval: 60_000,
    connectTimeout: 10_000,
    persistence: retainedIndexedPersistence(),
    authenticate(client, username, password, done) {
      const address = client.conn instanceof GuardedSocket ? client.conn.remoteAddress : undefined;
      const cert =
        (client.conn instanceof GuardedSocket ? certificates.get(client.conn) : undefined) ?? NO_CERTIFICATE;
      // Before the secret is checked: a certificate binds the login (cert-binding.ts).
      const certProblem = certificateProblem(clientCerts, cert, username ?? "");
      if (certProblem) return done(refuse(client, username, certProblem, NOT_AUTHORIZED), false);
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
          const bound = identityProblem(clientCerts, cert, identity);
          if (bound) return done(refuse(client, username, bound, NOT_AUTHORIZED), false);
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
  const guard = (socket: Socket): GuardedSocket =>
    new GuardedSocket(socket, MAX_PACKET_BYTES, (why) => {
      deps.onOversize();
      deps.log.warn(
        { remote: socket.remoteAddress, why },
        "broker: cut a connection over the packet size limit",
      );
    });
  // A scanner or a misconfigured lane can fail handshakes at will: 20 lines a minute, all counted.
  const tlsFailureLines = new LogBudget(20, 60_000);
  const server = tls
    ? createTlsServer(
        {
          key: tls.key,
          cert: tls.cert,
          ...(tls.ca ? { ca: tls.ca } : {}),
          minVersion: "TLSv1.2",
          // Asked for, checked here: a client without one may still log in where the mode allows.
          requestCert: tls.clientCerts !== "off",
          rejectUnauthorized: false,
          handshakeTimeout: 10_000,
          noDelay: true,
        },
        (socket: TLSSocket) => {
          socket.setNoDelay(true);
          const peer = tls.clientCerts === "off" ? null : socket.getPeerCertificate();
          const presented = peer !== null && Object.keys(peer).length > 0;
          if (presented && !socket.authorized) {
            deps.onCertificateRefused?.();
            deps.log.warn(
              { remote: socket.remoteAddress, err: String(socket.authorizationError) },
              "broker: closed a connection whose client certificate the CA did not sign",
            );
            socket.destroy();
            return;
          }
          const guarded = guard(socket);
          certificates.set(
            guarded,
            presented
              ? { presented: true, device: deviceOfCertificate(peer.subjectaltname) }
              : NO_CERTIFICATE,
          );
          aedes.handle(guarded);
        },
      )
    : createServer({ noDelay: true }, (socket) => aedes.handle(guard(socket)));
  server.on("tlsClientError", (error: Error, socket: TLSSocket) => {
    deps.onTlsFailure?.();
    const line = tlsFailureLines.take();
    if (line)
      deps.log.info(
        { remote: socket.remoteAddress, err: error.message, suppressed: line.suppressed },
        "broker: a TLS handshake failed (a plain MQTT client on the TLS port, or a client that does not trust the CA)",
      );
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
