/**
 * `npm run dashboards`: builds every dashboard and the alerting resources, and writes
 * dashboards/generated/*.json and dashboards/provisioning/alerting/*.yaml (committed; a test fails
 * when they are stale). Point a Grafana file provider at the first and Grafana's alerting
 * provisioning folder at the second.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { alertingProvisioning } from "./alerting.ts";
import { cityDashboard } from "./city.ts";
import { gatewayDashboard } from "./gateway-health.ts";
import { stationDashboard } from "./station.ts";
import { toYaml } from "./yaml.ts";

export const GENERATED_DIR = join(import.meta.dirname, "generated");
export const ALERTING_DIR = join(import.meta.dirname, "provisioning", "alerting");

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

/** The alerting provisioning files: name → YAML text. */
export function renderAlerting(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(alertingProvisioning()).map(([file, { comment, content }]) => [
      file,
      toYaml(content, comment),
    ]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(GENERATED_DIR, { recursive: true });
  for (const [file, dashboard] of Object.entries(buildAll())) {
    writeFileSync(join(GENERATED_DIR, file), render(dashboard));
    console.log(`wrote dashboards/generated/${file}`);
  }
  for (const [file, text] of Object.entries(renderAlerting())) {
    writeFileSync(join(ALERTING_DIR, file), text);
    console.log(`wrote dashboards/provisioning/alerting/${file}`);
  }
}
