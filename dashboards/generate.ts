/**
 * `npm run dashboards`: builds every dashboard and writes dashboards/generated/*.json (committed;
 * a test fails when they are stale). Point a Grafana file provider at that folder.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { cityDashboard } from "./city.ts";
import { gatewayDashboard } from "./gateway-health.ts";
import { stationDashboard } from "./station.ts";

export const GENERATED_DIR = join(import.meta.dirname, "generated");

export function buildAll(): Record<string, Dashboard> {
  return {
    "city-overview.json": cityDashboard().build(),
    "station.json": stationDashboard().build(),
    "gateway-health.json": gatewayDashboard().build(),
  };
}

export function render(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(GENERATED_DIR, { recursive: true });
  for (const [file, dashboard] of Object.entries(buildAll())) {
    writeFileSync(join(GENERATED_DIR, file), render(dashboard));
    console.log(`wrote dashboards/generated/${file}`);
  }
}
