/**
 * Every panel query of every dashboard and every alert rule's query, run against a real influxd
 * seeded by the simulator through the real gateway (a compressed stretch of a day), returns data;
 * the rules, evaluated as Grafana's expressions do, fire for a silent open station and not for a
 * closed one; the fever rate is the fevers over the screenings.
 */
import { describe, expect, it } from "vitest";
import { technicianRules } from "../../dashboards/alerting.ts";
import { FEVER_RATE } from "../../dashboards/city.ts";
import { buildAll } from "../../dashboards/generate.ts";
import { STATION_CHOICE_REGEX } from "../../dashboards/station.ts";
import { localMinute } from "../../gateway/registry/opening-hours.ts";
import { InfluxSink } from "../../gateway/store/influx-sink.ts";
import { nsFromMs, pointOf } from "../../gateway/store/points.ts";
import { backfillRollups } from "../../gateway/store/rollups.ts";
import { deviceTopic } from "../../protocol/index.ts";
import { Fleet, type FleetDevice } from "../../simulator/fleet/fleet.ts";
import { cityLayout } from "../../simulator/fleet/layout.ts";
import { isExpression, type PanelTarget, panelQueries, panels, substitute } from "../support/dashboards.ts";
import { sealedScreening } from "../support/events.ts";
import { eventually } from "../support/gateway.ts";
import { grafanaQuery } from "../support/grafana.ts";
import { evaluate, firing, influxSeries, type SeriesItem } from "../support/grafana-expressions.ts";
import { useGatewayWithInflux } from "../support/suite.ts";

const ctx = useGatewayWithInflux({ STATS_INTERVAL_MS: "500" });

/** Opening hours that exclude the next two hours, in the gateway's zone: the station is closed now. */
function closedNow(timeZone: string): string {
  const hhmm = (minute: number) => {
    const m = ((minute % 1440) + 1440) % 1440;
    return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  };
  const now = localMinute(Date.now(), timeZone);
  return `${hhmm(now + 120)}-${hhmm(now - 1)}`;
}

/** InfluxDB's answer to a query, as series with their tags for labels. */
async function series(url: string, query: string): Promise<SeriesItem[]> {
  const res = await fetch(`${url}/query?db=checkpoint&epoch=ms&q=${encodeURIComponent(query)}`);
  return influxSeries((await res.json()) as Parameters<typeof influxSeries>[0]);
}

/** A rule's InfluxQL as Grafana runs it: $timeFilter over the query's relative range before now. */
function ruleQuery(q: { model?: unknown; relativeTimeRange?: { from?: number; to?: number } }): string {
  const now = Date.now();
  const range = {
    fromMs: now - (q.relativeTimeRange?.from ?? 0) * 1000,
    toMs: now - (q.relativeTimeRange?.to ?? 0) * 1000,
  };
  return grafanaQuery(String((q.model as { query?: string }).query), range, "1m", {});
}

describe("dashboards against seeded data", () => {
  it(
    "returns data for every panel and rule query; the rules fire where they should",
    { timeout: 120_000 },
    async () => {
      const layout = cityLayout({ highwayStations: 2, highwayLanes: 2, communityPoints: 2 });
      const devices: FleetDevice[] = [];
      for (const lane of layout)
        devices.push({ ...lane, secret: await ctx.gw.addDevice(lane.station, lane.device) });
      const fleet = new Fleet({
        brokerUrl: ctx.gw.brokerUrl,
        devices,
        speed: 1440,
        seed: 5,
        feverShare: 0.2,
        walkOffShare: 0.3,
        telemetryMs: 500,
      });
      await fleet.start();
      await eventually(() => fleet.stats().screenings >= 400, 60_000);
      // Missed retests expire on each lane's own clock: let the walk-offs' windows pass.
      await eventually(() => ctx.gw.gateway.counters.missedRetests >= 3, 60_000);
      // Stations with names and hours: "sl-01" is open all day and its lane has been silent for 20
      // minutes; "cl-01" likewise, but closed now by its hours. Their last screenings were stored
      // 20 minutes ago, and the gateway learns that from InfluxDB as it does at start.
      const { gateway } = ctx.gw;
      gateway.registry.stations.set("hw-01", { name: "京沪高速梅村服务区" });
      gateway.registry.stations.set("cl-01", { name: "村口", hours: closedNow(gateway.config.timeZone) });
      const twentyMinutesAgo = Date.now() - 20 * 60_000;
      for (const station of ["sl-01", "cl-01"]) {
        await ctx.gw.addDevice(station, "lane-1");
        await gateway.store.submit([
          pointOf(
            "screening",
            { station, device: "lane-1", verdict: "pass", attempt: "1" },
            { body_c: 36.6, id: `${station}-old` },
            nsFromMs(twentyMinutesAgo),
          ),
        ]);
        // Its lane says it is switched off.
        const lane = await ctx.gw.connectDevice(station, "lane-1");
        await lane.publishAsync(
          deviceTopic(station, "lane-1", "status"),
          JSON.stringify({ state: "offline", reason: "shutdown" }),
          { qos: 1, retain: true },
        );
        await lane.endAsync();
      }
      // A person with a red health code, stopped at a lane: the health-code alert of today.
      const redLane = await ctx.gw.connectDevice("hw-01", "lane-red");
      const red = sealedScreening(gateway.privacy.keys.sealKey(), "health-code:44:DashboardsRedCode0001", {
        station: "hw-01",
        device: "lane-red",
        code_colour: "red",
      });
      await redLane.publishAsync(deviceTopic("hw-01", "lane-red", "screening"), JSON.stringify(red), {
        qos: 1,
      });
      await redLane.endAsync();
      // One malformed message, so the rejects panel has something to show.
      const bad = await ctx.gw.connectDevice("hw-01", "lane-bad");
      await bad.publishAsync(deviceTopic("hw-01", "lane-bad", "screening"), "{", { qos: 1 });
      await bad.endAsync();
      await fleet.stop();
      // A duty officer closes one fever alert with a confirming clinical reading.
      const fever = ctx.gw.gateway.alerts.open().find((a) => a.kind === "fever");
      if (!fever) throw new Error("the seeded fleet raised no fever alert");
      await ctx.gw.gateway.store.submit([
        ctx.gw.gateway.alerts.close(fever.id, "officer", "fever-clinic", 38.5, ""),
      ]);
      // Simulated history lies in the past, behind the continuous queries: roll it up.
      const sink = new InfluxSink({
        url: ctx.influx.url,
        database: "checkpoint",
        retentionDays: 400,
        timeoutMs: 10_000,
      });
      await backfillRollups(sink.client, "checkpoint", "raw", fleet.clock.startMs - 3_600_000, Date.now());
      sink.close();
      // A lane with its display name, written with this minute's station activity, with what
      // InfluxDB says of each station's last screening.
      gateway.registry.setLaneName("hw-01", "lane-1", "1号车道（小车）");
      const writer = gateway.activityWriter;
      if (!writer) throw new Error("the gateway writes no station activity");
      await writer.seed();
      await writer.write();
      // The minute's people flows (roster, handovers, transfers) for the city's panels.
      await gateway.sweepFlows();

      const empty: string[] = [];
      for (const [name, dashboard] of Object.entries(buildAll())) {
        for (const q of panelQueries(name, dashboard)) {
          // The gateway's own counters are from the last seconds; the fleet's history is a
          // compressed past day. Ask each for its own range, at a resolution that fits it.
          const recent = q.query.includes('FROM "gateway"');
          const sql = substitute(q.query, recent ? "10m" : "48h", { station: "hw-01" }, recent ? "1s" : "1m");
          const rows = await ctx.influx.query<Record<string, unknown>>(sql);
          const values = rows.flatMap((r) =>
            Object.entries(r).filter(([k, v]) => k !== "time" && typeof v === "number"),
          );
          if (values.length === 0) empty.push(`${name} / ${q.panel} (${q.refId}): ${sql}`);
        }
      }
      // Every alert rule's InfluxQL, over its own relative range.
      for (const rule of technicianRules().rules ?? []) {
        for (const q of rule.data.filter((d) => d.datasourceUid !== "__expr__")) {
          const sql = ruleQuery(q);
          const rows = await ctx.influx.query<Record<string, unknown>>(sql);
          if (!rows.some((r) => Object.entries(r).some(([k, v]) => k !== "time" && typeof v === "number")))
            empty.push(`rule ${rule.uid} (${q.refId}): ${sql}`);
        }
      }
      expect(empty).toEqual([]);

      // And every variable's query offers choices: station ids as values, names as texts.
      for (const dashboard of Object.values(buildAll())) {
        for (const v of dashboard.templating?.list ?? []) {
          if (typeof v.query !== "string") continue;
          const rows = await ctx.influx.query<Record<string, unknown>>(v.query);
          const regex =
            v.regex === STATION_CHOICE_REGEX ? new RegExp(STATION_CHOICE_REGEX.slice(1, -1)) : null;
          const choices = rows.map((r) => {
            const value = String(r.value ?? r.last);
            const groups = regex?.exec(value)?.groups;
            return { value: groups?.value ?? value, text: groups?.text ?? value };
          });
          expect(choices.map((c) => c.value)).toEqual(
            expect.arrayContaining(["hw-01", "cm-01", "sl-01", "cl-01"]),
          );
          expect(choices).toContainEqual({ value: "hw-01", text: "京沪高速梅村服务区（hw-01）" });
        }
      }

      // The rules fire where a technician must go, and nowhere else, as Grafana evaluates them.
      const fired: Record<string, string[]> = {};
      for (const rule of technicianRules().rules ?? []) {
        const results = await evaluate(
          rule.data.map((q) => ({
            refId: q.refId ?? "",
            datasourceUid: q.datasourceUid ?? "",
            model: q.model as unknown as Record<string, unknown>,
            relativeTimeRange: q.relativeTimeRange,
          })),
          (q) => series(ctx.influx.url, ruleQuery(q)),
        );
        fired[rule.uid ?? ""] = firing(results, rule.condition).map((labels) => labels.station ?? "");
      }
      // Silent for 20 minutes while open: fires; closed: does not; the fleet's busy stations: do not.
      expect(fired["checkpoint-station-silent"]).toEqual(["sl-01"]);
      // A lane switched off: fires while the station is open, not while it is closed.
      expect(fired["checkpoint-station-offline"]).toContain("sl-01");
      expect(fired["checkpoint-station-offline"]).not.toContain("cl-01");

      // "Fever rate today" is the fevers over the screenings, counted from the raw points. (Over the
      // seeded stretch rather than today: the fleet's compressed day lies mostly before midnight.)
      const city = buildAll()["city-overview.json"];
      const ratePanel = panels(JSON.parse(JSON.stringify(city))).find((p) =>
        (p.targets ?? []).some((x) => x.refId === FEVER_RATE.rate),
      );
      const targets = (ratePanel?.targets ?? []) as PanelTarget[];
      const seeded = { fromMs: fleet.clock.startMs - 3_600_000, toMs: Date.now() };
      const results = await evaluate(
        targets.map((x) => ({
          refId: x.refId ?? "",
          datasourceUid: x.datasource?.uid ?? "",
          model: x as Record<string, unknown>,
        })),
        (q) => series(ctx.influx.url, grafanaQuery(String(q.model.query), seeded, "1m", {})),
      );
      expect(targets.filter(isExpression)).toHaveLength(1);
      const count = async (where: string) =>
        Number(
          (
            await ctx.influx.query<{ count: number }>(
              `SELECT count("body_c") FROM "screening" WHERE time >= ${seeded.fromMs}ms AND time <= ${seeded.toMs}ms${where}`,
            )
          )[0]?.count ?? 0,
        );
      const fevers = await count(` AND "verdict" = 'fever'`);
      const all = await count("");
      expect(all).toBeGreaterThan(0);
      const rate = results.get(FEVER_RATE.rate);
      const shown = rate?.kind === "series" ? rate.items[0]?.points.at(-1)?.[1] : undefined;
      expect(fevers).toBeGreaterThan(0);
      expect(shown).toBeCloseTo(fevers / all, 10);
    },
  );
});
