/**
 * The baseline of `bench:ingest`, as its own process (as the gateway is): a bare aedes 1.2 broker
 * with no hooks, no persistence of its own beyond aedes's in-memory default, and no subscriber.
 * It acknowledges each QoS 1 publish as soon as aedes has handled it: the most a broker on this
 * machine can acknowledge, against which the gateway's durable acknowledgements are compared.
 * Sends { port } over IPC once listening; exits on { cmd: "stop" } or when its parent goes.
 */
import { createServer } from "node:net";
import { Aedes } from "aedes";

// The gateway's client-id limit (device ids are station/device, longer than MQTT's 23).
const broker = await Aedes.createBroker({ maxClientsIdLength: 64 });
// As the gateway's listener does: no Nagle delay on small PUBACKs.
const server = createServer({ noDelay: true }, broker.handle);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
const address = server.address();
const port = typeof address === "object" && address !== null ? address.port : 0;

function stop(): void {
  server.close();
  broker.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on("message", (m: { cmd?: string }) => {
  if (m.cmd === "stop") stop();
});
process.on("disconnect", stop);
process.send?.({ port });
