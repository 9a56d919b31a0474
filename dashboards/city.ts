/** City overview: what the duty officers watch all day. */

import { ROLLUPS, type RollupResolution } from "@checkpoint/protocol";
import { PanelBuilder as BarGauge } from "@grafana/grafana-foundation-sdk/bargauge";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  type DashboardBuilder,
  FieldColorBuilder,
  FieldColorModeId,
  MappingType,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { TypeMathBuilder } from "@grafana/grafana-foundation-sdk/expr";
import { PanelBuilder as Stat } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as Table } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeSeries } from "@grafana/grafana-foundation-sdk/timeseries";
import {
  checkpointDashboard,
  dashboardLink,
  grafanaVar,
  type PlainKey,
  stationLink,
  texts,
  UIDS,
} from "./common.ts";
import { DATASOURCE, EXPRESSIONS, InfluxQL, target } from "./influxql.ts";
import { Grid } from "./layout.ts";

/**
 * Screening counts from the rollups: per minute (rollup_1m) for today's panels, per hour
 * (rollup_1h) for anything that follows the dashboard's range, so 30 days read hours, not minutes.
 */
const rollup = (verdict?: string, resolution: RollupResolution = "1m") =>
  InfluxQL.select({ field: "n", agg: "sum" })
    .from(ROLLUPS[resolution].measurement, ROLLUPS[resolution].policy)
    .where({ time: "dashboard" }, ...(verdict ? [{ tag: "verdict" as const, equals: verdict }] : []));

const lastStatus = () =>
  InfluxQL.select({ field: "online", agg: "last", as: "online" })
    .from("device_status")
    .groupBy("station", "device");

/** Seconds silent while open after which the silence rule fires (dashboards/alerting.ts). */
export const SILENT_ALERT_S = 900;

/** Series grouped by station carry its id as a label: the link to that station's dashboard. */
const BY_STATION = stationLink(grafanaVar("__field.labels.station"));

/**
 * "Fever rate today": confirmed fevers over all screenings, divided on Grafana's server by a math
 * expression. (A calculateField transformation names its operands by field display name, not by
 * query refId, so `fevers / all` there matched nothing.) The two InfluxQL queries are hidden: run
 * for the expression, not drawn. No fever today yields no series, which reads 0 %.
 */
export const FEVER_RATE = {
  fevers: "fevers",
  all: "all",
  rate: "rate",
  expression: "$fevers / $all",
} as const;

/** The latest station_activity point of each station (the gateway writes one a minute). */
export const stationsNow = () =>
  InfluxQL.select(
    { field: "name", agg: "last", as: "name" },
    { field: "open", agg: "last", as: "open" },
    { field: "silent_open_s", agg: "last", as: "silent_open_s" },
    { field: "since_last_s", agg: "last", as: "since_last_s" },
  )
    .from("station_activity")
    .where({ time: "dashboard" })
    .groupBy("station");

/** Today's last figure of the city's people flows (gateway/ops/people-flows.ts). */
const peopleFlow = (field: "roster_active" | "compliance" | "handed_over_today" | "transferred_today") =>
  InfluxQL.select({ field, agg: "last", as: field }).from("people_flow").where({ time: "dashboard" });

export function cityDashboard(): DashboardBuilder {
  const grid = new Grid();
  const stat = (key: PlainKey) => {
    const { title, description } = texts(key);
    return new Stat().title(title).description(description).datasource(DATASOURCE);
  };
  const today = (key: PlainKey, query: InfluxQL, color: string) =>
    stat(key)
      .withTarget(target(query))
      .timeFrom("now/d")
      .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Fixed).fixedColor(color))
      .gridPos(grid.next(4, 4));
  const perStation = (key: PlainKey) => {
    const { title, description } = texts(key);
    return new TimeSeries()
      .title(title)
      .description(description)
      .datasource(DATASOURCE)
      .dataLinks([BY_STATION]);
  };
  const rate: cog.Builder<cog.Dataquery> = new TypeMathBuilder()
    .refId(FEVER_RATE.rate)
    .datasource(EXPRESSIONS)
    .expression(FEVER_RATE.expression);
  return (
    checkpointDashboard("dash.city", UIDS.city, 6)
      .link(dashboardLink("dash.link.stations", UIDS.station))
      .withPanel(
        // Per 10 minutes: 58 stations at one point a minute is 83,000 rows and a tangle of lines no
        // officer reads; 10-minute steps show the day's shape and load in a tenth of the time.
        perStation("dash.city.per-10-min")
          .withTarget(target(rollup().groupByTime().groupBy("station").fill("0"), { alias: "$tag_station" }))
          .timeFrom("24h")
          .interval("10m")
          .unit("short")
          .gridPos(grid.next(24, 8)),
      )
      .withPanel(today("dash.city.fevers-today", rollup("fever"), "red"))
      .withPanel(today("dash.city.retests-today", rollup("retest"), "yellow"))
      .withPanel(
        stat("dash.city.fever-rate-today")
          .withTarget(target(rollup("fever"), { refId: FEVER_RATE.fevers, hide: true }))
          .withTarget(target(rollup(), { refId: FEVER_RATE.all, hide: true }))
          .withTarget(rate)
          .unit("percentunit")
          .decimals(2)
          .noValue("0%")
          .timeFrom("now/d")
          .gridPos(grid.next(4, 4)),
      )
      .withPanel(
        today(
          "dash.city.missed-retests-today",
          InfluxQL.select({ field: "id", agg: "count" })
            .from("alert")
            .where({ time: "dashboard" }, { tag: "kind", equals: "missed-retest" }),
          "orange",
        ),
      )
      .withPanel(
        stat("dash.city.referrals-today")
          .withTarget(
            target(
              InfluxQL.select({ field: "confirmed", agg: "sum", as: "confirmed" })
                .from("alert")
                .where({ time: "dashboard" }, { tag: "kind", equals: "fever" }),
              { refId: "confirmed" },
            ),
          )
          .withTarget(
            target(
              InfluxQL.select({ field: "clinical_c", agg: "count", as: "closed" })
                .from("alert")
                .where({ time: "dashboard" }, { tag: "kind", equals: "fever" }),
              { refId: "closed" },
            ),
          )
          .timeFrom("now/d")
          .gridPos(grid.next(4, 4)),
      )
      .withPanel(
        today(
          "dash.city.devices-online",
          InfluxQL.select({ field: "online", agg: "sum" }).fromQuery(lastStatus()),
          "green",
        ),
      )
      .withPanel(
        today(
          "dash.city.devices-offline",
          InfluxQL.select({ field: "online", agg: "count" })
            .fromQuery(lastStatus())
            .where({ field: "online", equals: 0 }),
          "red",
        ),
      )
      .withPanel(
        today(
          "dash.city.health-codes-today",
          InfluxQL.select({ field: "id", agg: "count" })
            .from("alert")
            .where({ time: "dashboard" }, { tag: "kind", equals: "health-code" }),
          "orange",
        ),
      )
      // The city's people flows as it reports them (the gateway's people_flow, once a minute).
      .withPanel(today("dash.city.roster-active", peopleFlow("roster_active"), "purple"))
      .withPanel(today("dash.city.roster-compliance", peopleFlow("compliance"), "green").unit("percentunit"))
      .withPanel(today("dash.city.handed-over-today", peopleFlow("handed_over_today"), "blue"))
      .withPanel(today("dash.city.transferred-today", peopleFlow("transferred_today"), "red"))
      .withPanel(stationsNowTable().gridPos(grid.next(20, 8)))
      .withPanel(
        perStation("dash.city.per-hour")
          .withTarget(
            target(rollup(undefined, "1h").groupByTime().groupBy("station").fill("0"), {
              alias: "$tag_station",
            }),
          )
          .interval("1h")
          .unit("short")
          .gridPos(grid.next(24, 8)),
      )
      .withPanel(
        new BarGauge()
          .title(texts("dash.city.busiest").title)
          .description(texts("dash.city.busiest").description)
          .datasource(DATASOURCE)
          .withTarget(target(rollup(undefined, "1h").groupBy("station"), { alias: "$tag_station" }))
          .dataLinks([BY_STATION])
          .gridPos(grid.next(24, 10)),
      )
  );
}

/**
 * Every station now: its name, open or closed by its hours, how long it has been silent while
 * open (the silence alert's measure) and since its last screening; a click opens its dashboard.
 * Over the last 10 minutes: the gateway writes a point per station every minute.
 */
function stationsNowTable(): Table {
  const { title, description } = texts("dash.city.stations-now");
  const col = (key: PlainKey) => texts(key).title;
  return (
    new Table()
      .title(title)
      .description(description)
      .datasource(DATASOURCE)
      .withTarget(target(stationsNow(), { format: "table" }))
      .timeFrom("10m")
      .dataLinks([stationLink(grafanaVar("__data.fields.station"))])
      .withTransformation({
        id: "organize",
        options: {
          excludeByName: { Time: true },
          indexByName: { name: 0, station: 1, open: 2, silent_open_s: 3, since_last_s: 4 },
        },
      })
      // Overrides match the fields' own names; each gives its column a title from the catalogue.
      .overrideByName("name", [{ id: "displayName", value: col("dash.col.name") }])
      .overrideByName("station", [{ id: "displayName", value: col("dash.col.station") }])
      .overrideByName("open", [
        { id: "displayName", value: col("dash.col.open") },
        {
          id: "mappings",
          value: [
            {
              type: MappingType.ValueToText,
              options: {
                "1": { text: texts("dash.open").title, color: "green", index: 0 },
                "0": { text: texts("dash.closed").title, color: "text", index: 1 },
              },
            },
          ],
        },
      ])
      .overrideByName("silent_open_s", [
        { id: "displayName", value: col("dash.col.silent-open") },
        { id: "unit", value: "s" },
        {
          id: "thresholds",
          value: {
            mode: "absolute",
            steps: [
              { value: null, color: "green" },
              { value: SILENT_ALERT_S, color: "red" },
            ],
          },
        },
        { id: "custom.cellOptions", value: { type: "color-text" } },
      ])
      .overrideByName("since_last_s", [
        { id: "displayName", value: col("dash.col.since-last") },
        { id: "unit", value: "s" },
      ])
  );
}
