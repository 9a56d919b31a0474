/** City overview: what the duty officers watch all day. */

import { ROLLUPS, type RollupResolution } from "@checkpoint/protocol";
import { PanelBuilder as BarGauge } from "@grafana/grafana-foundation-sdk/bargauge";
import {
  type DashboardBuilder,
  FieldColorBuilder,
  FieldColorModeId,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as Stat } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeSeries } from "@grafana/grafana-foundation-sdk/timeseries";
import { checkpointDashboard } from "./common.ts";
import { DATASOURCE, InfluxQL, target } from "./influxql.ts";
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

export function cityDashboard(): DashboardBuilder {
  const grid = new Grid();
  const today = (title: string, query: InfluxQL, color: string) =>
    new Stat()
      .title(title)
      .datasource(DATASOURCE)
      .withTarget(target(query))
      .timeFrom("now/d")
      .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Fixed).fixedColor(color))
      .gridPos(grid.next(4, 4));
  return checkpointDashboard("city overview", "checkpoint-city", 6)
    .withPanel(
      new TimeSeries()
        // Per 10 minutes: 58 stations at one point a minute is 83,000 rows and a tangle of lines no
        // officer reads; 10-minute steps show the day's shape and load in a tenth of the time.
        .title("Screenings per 10 minutes, by station (last 24 hours)")
        .datasource(DATASOURCE)
        .withTarget(target(rollup().groupByTime().groupBy("station").fill("0"), { alias: "$tag_station" }))
        .timeFrom("24h")
        .interval("10m")
        .unit("short")
        .gridPos(grid.next(24, 8)),
    )
    .withPanel(today("Fevers today", rollup("fever"), "red"))
    .withPanel(today("Retests today", rollup("retest"), "yellow"))
    .withPanel(
      new Stat()
        .title("Fever rate today")
        .description("Confirmed fevers (attempt 2) per screening")
        .datasource(DATASOURCE)
        .withTarget(target(rollup("fever"), { refId: "fevers" }))
        .withTarget(target(rollup(), { refId: "all" }))
        .withTransformation({
          id: "calculateField",
          options: {
            mode: "binary",
            binary: { left: "fevers", operator: "/", right: "all" },
            replaceFields: true,
          },
        })
        .unit("percentunit")
        .decimals(2)
        .timeFrom("now/d")
        .gridPos(grid.next(4, 4)),
    )
    .withPanel(
      today(
        "Missed retests today",
        InfluxQL.select({ field: "id", agg: "count" })
          .from("alert")
          .where({ time: "dashboard" }, { tag: "kind", equals: "missed-retest" }),
        "orange",
      ),
    )
    .withPanel(
      new Stat()
        .title("Referrals confirmed today")
        .description(
          "Fever alerts the duty officers closed, and how many of those the clinical thermometer confirmed",
        )
        .datasource(DATASOURCE)
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
        "Devices online",
        InfluxQL.select({ field: "online", agg: "sum" }).fromQuery(lastStatus()),
        "green",
      ),
    )
    .withPanel(
      today(
        "Devices offline",
        InfluxQL.select({ field: "online", agg: "count" })
          .fromQuery(lastStatus())
          .where({ field: "online", equals: 0 }),
        "red",
      ),
    )
    .withPanel(
      new TimeSeries()
        .title("Screenings per hour, by station")
        .datasource(DATASOURCE)
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
        .title("Busiest stations")
        .datasource(DATASOURCE)
        .withTarget(target(rollup(undefined, "1h").groupBy("station"), { alias: "$tag_station" }))
        .gridPos(grid.next(24, 10)),
    );
}
