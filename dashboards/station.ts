/** One station (variable `station`): its lanes, temperatures, sensors and connectivity. */

import type { Measurement } from "@checkpoint/protocol";
import {
  type DashboardBuilder,
  QueryVariableBuilder,
  VariableRefresh,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as Histogram } from "@grafana/grafana-foundation-sdk/histogram";
import { PanelBuilder as Table } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeSeries } from "@grafana/grafana-foundation-sdk/timeseries";
import { checkpointDashboard } from "./common.ts";
import { type Column, DATASOURCE, InfluxQL, target } from "./influxql.ts";
import { Grid } from "./layout.ts";

const atStation = (column: Column, measurement: Measurement) =>
  InfluxQL.select(column)
    .from(measurement)
    .where({ tag: "station", variable: "station" }, { time: "dashboard" });

export function stationDashboard(): DashboardBuilder {
  const grid = new Grid();
  const perLane = (title: string, column: Column, measurement: Measurement, unit: string) =>
    new TimeSeries()
      .title(title)
      .datasource(DATASOURCE)
      .withTarget(
        target(atStation(column, measurement).groupByTime().groupBy("device").fill("null"), {
          alias: "$tag_device",
        }),
      )
      .unit(unit)
      .gridPos(grid.next(12, 8));
  return checkpointDashboard("station", "checkpoint-station", 24)
    .withVariable(
      new QueryVariableBuilder("station")
        .label("Station")
        .datasource(DATASOURCE)
        .query('SHOW TAG VALUES FROM "screening" WITH KEY = "station"')
        .refresh(VariableRefresh.OnDashboardLoad),
    )
    .withPanel(perLane("Screenings by lane", { field: "body_c", agg: "count" }, "screening", "short"))
    .withPanel(
      new Histogram()
        .title("Body temperature distribution")
        .datasource(DATASOURCE)
        .description("A random sample of up to 5000 readings in the range")
        .withTarget(target(atStation({ field: "body_c", agg: "sample5000" }, "screening")))
        .unit("celsius")
        .gridPos(grid.next(12, 8)),
    )
    .withPanel(perLane("Ambient at the lanes", { field: "ambient_c", agg: "mean" }, "telemetry", "celsius"))
    .withPanel(
      perLane(
        "Thermometer healthy (1) or faulty (0)",
        { field: "sensor_ok", agg: "min" },
        "telemetry",
        "short",
      ),
    )
    .withPanel(
      perLane(
        "Outbox depth (events waiting for the gateway)",
        { field: "outbox", agg: "max" },
        "telemetry",
        "short",
      ),
    )
    .withPanel(
      new Table()
        .title("Lanes: last seen")
        .datasource(DATASOURCE)
        .withTarget(
          target(
            atStation({ field: "uptime_s", agg: "last", as: "uptime_s" }, "telemetry").groupBy("device"),
            {
              format: "table",
            },
          ),
        )
        .gridPos(grid.next(12, 8)),
    );
}
