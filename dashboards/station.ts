/** One station (variable `station`): its lanes, temperatures, sensors and connectivity. */

import type { Measurement } from "@checkpoint/protocol";
import {
  type DashboardBuilder,
  FieldColorBuilder,
  FieldColorModeId,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as Histogram } from "@grafana/grafana-foundation-sdk/histogram";
import { PanelBuilder as Stat } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as Table } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeSeries } from "@grafana/grafana-foundation-sdk/timeseries";
import { SILENT_ALERT_S } from "./city.ts";
import { checkpointDashboard, dashboardLink, type PlainKey, texts, UIDS } from "./common.ts";
import { type Column, DATASOURCE, InfluxQL, target } from "./influxql.ts";
import { Grid } from "./layout.ts";

const atStation = (column: Column, measurement: Measurement) =>
  InfluxQL.select(column)
    .from(measurement)
    .where({ tag: "station", variable: "station" }, { time: "dashboard" });

/**
 * The station variable's choices: every station the gateway wrote an activity point for in the
 * last day (it writes one a minute for each station it knows), as "<id>|<display text>". The
 * variable's regex takes the id as the value (what the queries match) and the text (its Chinese
 * name with the id) as what the dropdown shows.
 */
export const STATION_CHOICES = InfluxQL.select({ field: "label", agg: "last" })
  .from("station_activity")
  .where({ time: "last", duration: "1d" })
  .groupBy("station");
export const STATION_CHOICE_REGEX = "/^(?<value>[^|]+)\\|(?<text>.+)$/";

export function stationDashboard(): DashboardBuilder {
  const grid = new Grid();
  const titled = <P extends { title(t: string): P; description(d: string): P }>(panel: P, key: PlainKey) =>
    panel.title(texts(key).title).description(texts(key).description);
  const perLane = (key: PlainKey, column: Column, measurement: Measurement, unit: string) =>
    titled(new TimeSeries(), key)
      .datasource(DATASOURCE)
      .withTarget(
        target(atStation(column, measurement).groupByTime().groupBy("device").fill("null"), {
          alias: "$tag_device",
        }),
      )
      .unit(unit)
      .gridPos(grid.next(12, 8));
  return checkpointDashboard("dash.station", UIDS.station, 24)
    .link(dashboardLink("dash.link.city", UIDS.city))
    .withVariable(
      new QueryVariableBuilder("station")
        .label(texts("dash.var.station").title)
        .description(texts("dash.var.station").description)
        .datasource(DATASOURCE)
        .query(STATION_CHOICES.toString())
        .regex(STATION_CHOICE_REGEX)
        .sort(VariableSort.AlphabeticalAsc)
        .refresh(VariableRefresh.OnDashboardLoad),
    )
    .withPanel(
      titled(new Stat(), "dash.station.now")
        .datasource(DATASOURCE)
        .withTarget(target(atStation({ field: "silent_open_s", agg: "last" }, "station_activity")))
        .unit("s")
        .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Thresholds))
        .thresholds(
          new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
            { value: null, color: "green" },
            { value: SILENT_ALERT_S, color: "red" },
          ]),
        )
        .gridPos(grid.next(24, 4)),
    )
    .withPanel(perLane("dash.station.per-lane", { field: "body_c", agg: "count" }, "screening", "short"))
    .withPanel(
      titled(new Histogram(), "dash.station.body")
        .datasource(DATASOURCE)
        .withTarget(target(atStation({ field: "body_c", agg: "sample5000" }, "screening")))
        .unit("celsius")
        .gridPos(grid.next(12, 8)),
    )
    .withPanel(perLane("dash.station.ambient", { field: "ambient_c", agg: "mean" }, "telemetry", "celsius"))
    .withPanel(perLane("dash.station.sensor", { field: "sensor_ok", agg: "min" }, "telemetry", "short"))
    .withPanel(perLane("dash.station.outbox", { field: "outbox", agg: "max" }, "telemetry", "short"))
    .withPanel(
      titled(new Table(), "dash.station.last-seen")
        .datasource(DATASOURCE)
        .withTarget(
          target(
            atStation({ field: "uptime_s", agg: "last", as: "uptime_s" }, "telemetry").groupBy("device"),
            { format: "table" },
          ),
        )
        .gridPos(grid.next(12, 8)),
    )
    .withPanel(
      // The names the station's staff use for its lanes, beside the ids every other panel shows.
      titled(new Table(), "dash.station.lanes")
        .datasource(DATASOURCE)
        .withTarget(
          target(
            InfluxQL.select(
              { field: "name", agg: "last", as: "name" },
              { field: "online", agg: "last", as: "online" },
            )
              .from("lane")
              .where({ tag: "station", variable: "station" }, { time: "dashboard" })
              .groupBy("device"),
            { format: "table" },
          ),
        )
        .gridPos(grid.next(12, 6)),
    );
}
