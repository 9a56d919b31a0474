/** The fleet's credentials file: the simulated devices' secrets and an operator login (mode 0600). */
import { readFileSync, writeFileSync } from "node:fs";
import type { FleetDevice } from "./fleet.ts";

export interface FleetCredentials {
  operator: { username: string; secret: string };
  devices: FleetDevice[];
}

export function writeCredentials(path: string, credentials: FleetCredentials): void {
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
}

export function readCredentials(path: string): FleetCredentials {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as FleetCredentials;
  } catch (error) {
    throw new Error(
      `cannot read fleet credentials from ${path} (${(error as Error).message}); run "npm start" once, which writes them`,
    );
  }
}
