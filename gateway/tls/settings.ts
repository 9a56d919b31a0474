/**
 * The gateway's transport settings (part of gateway/config.ts): MQTT over TLS and HTTPS whenever a
 * listener binds anything but loopback; plain listeners on loopback only, for development. Which
 * certificate and key the gateway shows, which CA the lanes pin (and client certificates are checked
 * against), the names lanes and browsers reach it by, the URL that goes into device bundles, and
 * whether lanes present client certificates (mutual TLS).
 */

import { isIP } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { isLoopbackHost } from "@checkpoint/protocol";

export const CLIENT_CERT_MODES = ["off", "optional", "required"] as const;
export type ClientCertMode = (typeof CLIENT_CERT_MODES)[number];

export interface TlsSettings {
  /** MQTT over TLS (otherwise plain MQTT, on loopback only). */
  mqtt: boolean;
  /** The console and /health over HTTPS (otherwise plain HTTP, on loopback only). */
  http: boolean;
  certFile: string;
  keyFile: string;
  caFile: string;
  caKeyFile: string;
  /** DNS names and addresses lanes and browsers use: the server certificate's SANs. */
  hostnames: string[];
  /** The gateway's MQTT URL as lanes reach it, written into device bundles. */
  deviceUrl: string;
  /** off: no client certificates; optional: a lane that shows one is bound to it; required: every lane. */
  clientCerts: ClientCertMode;
}

interface Key {
  name: string;
  doc: string;
  default?: string;
}

export const TLS_CONFIG_KEYS: Key[] = [
  {
    name: "MQTT_TLS",
    doc: "1: MQTT over TLS; 0: plain MQTT, allowed only when MQTT_HOST is loopback (127.0.0.1, ::1)",
    default: "(1 unless MQTT_HOST is loopback)",
  },
  {
    name: "HTTP_TLS",
    doc: "1: the console and /health over HTTPS; 0: plain HTTP, allowed only when HTTP_HOST is loopback",
    default: "(1 unless HTTP_HOST is loopback)",
  },
  {
    name: "TLS_CERT",
    doc: "the gateway's certificate (PEM; its chain after it), for MQTT and HTTPS",
    default: "(DATA_DIR/tls/server.crt, made by tls-init)",
  },
  {
    name: "TLS_KEY",
    doc: "the certificate's private key (PEM, mode 0600)",
    default: "(DATA_DIR/tls/server.key)",
  },
  {
    name: "TLS_CA",
    doc: "the CA certificate lanes pin (put in device bundles) and client certificates are checked against",
    default: "(DATA_DIR/tls/ca.crt)",
  },
  {
    name: "TLS_CA_KEY",
    doc: "the CA's private key: only tls-init and --client-cert provisioning read it, never the running gateway",
    default: "(DATA_DIR/tls/ca.key)",
  },
  {
    name: "TLS_HOSTNAMES",
    doc: "names and addresses lanes and browsers reach the gateway by, comma-separated: the server certificate's names (tls-init); the first goes into device bundles",
    default: "(hostname),localhost,127.0.0.1,::1",
  },
  {
    name: "DEVICE_MQTT_URL",
    doc: "the gateway's MQTT URL as lanes reach it, written into device bundles",
    default: "(mqtts://first TLS_HOSTNAMES:MQTT_PORT)",
  },
  {
    name: "MQTT_CLIENT_CERTS",
    doc: "mutual TLS: off, optional (a lane that presents a client certificate is bound to it) or required (every lane presents one); needs MQTT_TLS",
    default: "off",
  },
];

/** Loopback: 127.0.0.0/8, ::1, localhost (protocol/device-bundle.ts, shared with the lanes). */
export const isLoopback = isLoopbackHost;

/**
 * Reads the transport settings; `raw` gives a setting's value or undefined. Every problem is pushed
 * to `problems` as "KEY: what is wrong, and what to set".
 */
export function loadTlsSettings(
  raw: (name: string) => string | undefined,
  hosts: { mqttHost: string; httpHost: string; dataDir: string },
  problems: string[],
): TlsSettings & { mqttDefaultPort: number } {
  const flag = (name: string, host: string, hostKey: string): boolean => {
    const value = raw(name);
    if (value === undefined) return !isLoopback(host);
    if (value !== "0" && value !== "1") {
      problems.push(`${name}: "${value}" must be 0 or 1`);
      return true;
    }
    if (value === "0" && !isLoopback(host)) {
      problems.push(
        `${name}: plain ${name === "MQTT_TLS" ? "MQTT" : "HTTP"} is allowed only on loopback, and ${hostKey} is "${host}". ` +
          `Set ${name}=1 (its certificate: npm run gateway -- tls-init), or ${hostKey}=127.0.0.1 behind a TLS-terminating proxy.`,
      );
    }
    return value === "1";
  };
  const mqtt = flag("MQTT_TLS", hosts.mqttHost, "MQTT_HOST");
  const http = flag("HTTP_TLS", hosts.httpHost, "HTTP_HOST");
  const tlsDir = join(hosts.dataDir, "tls");
  const hostnames = (raw("TLS_HOSTNAMES") ?? `${hostname().toLowerCase()},localhost,127.0.0.1,::1`)
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "");
  for (const h of hostnames) {
    if (!isIP(h) && !/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(h))
      problems.push(`TLS_HOSTNAMES: "${h}" is neither a DNS name nor an IP address`);
  }
  if (hostnames.length === 0) problems.push("TLS_HOSTNAMES: name at least one host or address");
  const clientCerts = (raw("MQTT_CLIENT_CERTS") ?? "off") as ClientCertMode;
  if (!CLIENT_CERT_MODES.includes(clientCerts))
    problems.push(`MQTT_CLIENT_CERTS: "${clientCerts}" must be one of ${CLIENT_CERT_MODES.join(", ")}`);
  else if (clientCerts !== "off" && !mqtt)
    problems.push(`MQTT_CLIENT_CERTS: "${clientCerts}" needs MQTT over TLS: set MQTT_TLS=1`);
  const mqttDefaultPort = mqtt ? 8883 : 1883;
  const deviceUrl = raw("DEVICE_MQTT_URL");
  if (deviceUrl !== undefined && !/^mqtts?:\/\/[^/:]+(:\d+)?$/.test(deviceUrl.replace(/\[[^\]]+\]/, "h")))
    problems.push(`DEVICE_MQTT_URL: "${deviceUrl}" must look like mqtts://gateway.example:8883`);
  return {
    mqtt,
    http,
    certFile: raw("TLS_CERT") ?? join(tlsDir, "server.crt"),
    keyFile: raw("TLS_KEY") ?? join(tlsDir, "server.key"),
    caFile: raw("TLS_CA") ?? join(tlsDir, "ca.crt"),
    caKeyFile: raw("TLS_CA_KEY") ?? join(tlsDir, "ca.key"),
    hostnames,
    deviceUrl: deviceUrl ?? "",
    clientCerts,
    mqttDefaultPort,
  };
}

/** The URL lanes reach the broker by: DEVICE_MQTT_URL, else the first hostname and the port. */
export function deviceMqttUrl(tls: TlsSettings, port: number): string {
  if (tls.deviceUrl) return tls.deviceUrl;
  if (!tls.mqtt) return `mqtt://127.0.0.1:${port}`;
  const host = tls.hostnames[0] ?? "localhost";
  return `mqtts://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
