/**
 * A simulated device's connection, as the fleet's lanes and community workers make it: the
 * firmware's device link (client id, will, retained online status, TLS with the pinned CA), its
 * retained config subscribed to at every connect and handed over once valid. Errors are left to
 * the link's reconnects; the fleet reports connectivity.
 */
import { DeviceLink } from "@checkpoint/firmware/device-link";
import { type DeviceConfig, deviceTopic, validateDeviceConfig } from "@checkpoint/protocol";

export interface SimDeviceOptions {
  station: string;
  device: string;
  brokerUrl: string;
  secret: string;
  ca?: string;
  cert?: string;
  key?: string;
  fw: string;
}

export function connectSimDevice(
  options: SimDeviceOptions,
  onConfig: (config: DeviceConfig) => void,
): DeviceLink {
  const { station, device, brokerUrl, secret, ca, cert, key, fw } = options;
  const link = new DeviceLink({
    station,
    device,
    credentials: { url: brokerUrl, password: secret, ca, cert, key },
    fw,
    keepaliveS: 60,
    connectTimeoutMs: 10_000,
    reconnect: { kind: "period", ms: 1000 },
  });
  const client = link.client;
  client.on("connect", () => client.subscribe(deviceTopic(station, device, "config"), { qos: 1 }));
  client.on("message", (_topic, payload) => {
    let data: unknown;
    try {
      data = JSON.parse(payload.toString("utf8"));
    } catch {
      return;
    }
    const result = validateDeviceConfig(data);
    if (result.ok) onConfig(result.value);
  });
  client.on("error", () => undefined);
  return link;
}
