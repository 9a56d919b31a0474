/** Gateway health: is every screening getting in, and how fast is it stored. */
import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as TimeSeries } from "@grafana/grafana-foundation-sdk/timeseries";
import { checkpointDashboard, type PlainKey, texts, UIDS } from "./common.ts";
import { type Column, DATASOURCE, InfluxQL, target } from "./influxql.ts";
import { Grid } from "./layout.ts";

export function gatewayDashboard(): DashboardBuilder {
  const grid = new Grid();
  const counter = (key: PlainKey, column: Column, unit: string) =>
    new TimeSeries()
      .title(texts(key).title)
      .description(texts(key).description)
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
  return checkpointDashboard("dash.gateway", UIDS.gateway, 6)
    .withPanel(counter("dash.gateway.ingest", { field: "received", agg: "max", rate: "per-second" }, "reqps"))
    .withPanel(
      new TimeSeries()
        .title(texts("dash.gateway.rejects").title)
        .description(texts("dash.gateway.rejects").description)
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
      counter("dash.gateway.duplicates", { field: "duplicates", agg: "max", rate: "per-second" }, "short"),
    )
    .withPanel(
      counter(
        "dash.gateway.disagreements",
        { field: "disagreements", agg: "max", rate: "per-second" },
        "short",
      ),
    )
    .withPanel(counter("dash.gateway.spool", { field: "spool_bytes", agg: "max" }, "bytes"))
    .withPanel(counter("dash.gateway.write-latency", { field: "write_ms", agg: "max" }, "ms"));
}
