/** Gateway health: is every screening getting in, and how fast is it stored. */
import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as TimeSeries } from "@grafana/grafana-foundation-sdk/timeseries";
import { checkpointDashboard } from "./common.ts";
import { type Column, DATASOURCE, InfluxQL, target } from "./influxql.ts";
import { Grid } from "./layout.ts";

export function gatewayDashboard(): DashboardBuilder {
  const grid = new Grid();
  const counter = (title: string, column: Column, unit: string) =>
    new TimeSeries()
      .title(title)
      .datasource(DATASOURCE)
      .withTarget(
        target(
          InfluxQL.select(column)
            .from("gateway")
            .where({ time: "dashboard" })
            .groupByTime()
            .groupBy("instance")
            .fill("null"),
          { alias: "$tag_instance" },
        ),
      )
      .unit(unit)
      .gridPos(grid.next(12, 8));
  return checkpointDashboard("gateway health", "checkpoint-gateway", 6)
    .withPanel(counter("Ingest rate", { field: "received", agg: "max", rate: "per-second" }, "reqps"))
    .withPanel(
      new TimeSeries()
        .title("Rejects by reason")
        .datasource(DATASOURCE)
        .withTarget(
          target(
            InfluxQL.select({ field: "bytes", agg: "count" })
              .from("reject")
              .where({ time: "dashboard" })
              .groupByTime()
              .groupBy("reason")
              .fill("0"),
            { alias: "$tag_reason" },
          ),
        )
        .gridPos(grid.next(12, 8)),
    )
    .withPanel(
      counter(
        "Duplicates (replays absorbed)",
        { field: "duplicates", agg: "max", rate: "per-second" },
        "short",
      ),
    )
    .withPanel(
      counter(
        "Verdict disagreements (gateway vs device)",
        { field: "disagreements", agg: "max", rate: "per-second" },
        "short",
      ),
    )
    .withPanel(counter("Spool depth", { field: "spool_bytes", agg: "max" }, "bytes"))
    .withPanel(counter("InfluxDB write latency", { field: "write_ms", agg: "max" }, "ms"));
}
