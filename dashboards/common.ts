/** What every checkpoint dashboard shares: its title prefix, tag, refresh and default range. */
import { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";

export function checkpointDashboard(name: string, uid: string, defaultHours: number): DashboardBuilder {
  return new DashboardBuilder(`Checkpoint screening — ${name}`)
    .uid(uid)
    .tags(["checkpoint"])
    .refresh("30s")
    .time({ from: `now-${defaultHours}h`, to: "now" });
}
