/**
 * Embedded aedes 1.x broker with the gateway's hooks:
 * - authenticate: username + secret against the registry (scrypt); bad credentials get CONNACK 4.
 * - authorizePublish: $SYS/ stays reserved; every device publish runs the ingest pipeline, and the
 *   callback (after which aedes writes the PUBACK) waits until the message is durable. An ACL
 *   violation calls back with an error, which closes the client's connection.
 * - authorizeSubscribe: ACL; a refused filter is granted 0x80 (failure) in the SUBACK.
 * Publishes made by the gateway itself (alerts, rejects, configs) go through broker.publish and
 * skip these hooks.
 */
import { createServer, type Server } from "node:net";
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client } from "aedes";
import { canSubscribe, type Identity } from "./acl.ts";

export interface BrokerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface BrokerDeps {
  authenticate(username: string, secret: string): Promise<Identity | null>;
  /** Resolves when the publish may be acknowledged; rejects to close the connection. */
  ingest(identity: Identity | null, clientId: string, topic: string, payload: Buffer): Promise<void>;
  onAuthFailure(): void;
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

const BAD_USERNAME_OR_PASSWORD = 4;

export async function startBroker(host: string, port: number, deps: BrokerDeps): Promise<RunningBroker> {
  const identities = new WeakMap<Client, Identity>();
  const aedes = await Aedes.createBroker({
    maxClientsIdLength: 64,
    heartbeatInterval: 60_000,
    authenticate(client, username, password, done) {
      deps
        .authenticate(username ?? "", password?.toString("utf8") ?? "")
        .then((identity) => {
          if (!identity) {
            deps.onAuthFailure();
            deps.log.warn(
              { client: client.id, username },
              "broker: refused a connection with wrong credentials",
            );
            const error = new Error("bad username or password") as AuthenticateError;
            error.returnCode = BAD_USERNAME_OR_PASSWORD;
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
      deps.ingest(identity, client?.id ?? "(will)", packet.topic, payload).then(
        () => callback(null),
        (error: Error) => callback(error),
      );
    },
    authorizeSubscribe(client, sub, callback) {
      const identity = identities.get(client);
      if (identity && canSubscribe(identity, sub.topic)) return callback(null, sub);
      deps.log.warn({ client: client.id, filter: sub.topic }, "broker: refused a subscription");
      callback(null, null);
    },
  });
  aedes.on("clientError", (client: Client, error: Error) => {
    deps.log.info({ client: client.id, err: error.message }, "broker: client connection ended with an error");
  });

  // Small MQTT packets (PUBACKs, alerts) must not wait for Nagle's algorithm: on a socket with
  // unacknowledged data it holds them until the peer's delayed ACK, up to 40 ms.
  const server = createServer({ noDelay: true }, aedes.handle);
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
        server.close();
        aedes.close(() => resolve());
      }),
  };
}
