import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { t } from "@checkpoint/protocol";
import { describe, expect, it } from "vitest";
import {
  ALERT_FOLDER,
  CONTACT_POINT,
  contactPoint,
  notificationPolicy,
  TECHNICIANS,
  technicianRules,
} from "../../../dashboards/alerting.ts";
import { FEVER_RATE, SILENT_ALERT_S } from "../../../dashboards/city.ts";
import { UIDS } from "../../../dashboards/common.ts";
import {
  ALERTING_DIR,
  buildAll,
  GENERATED_DIR,
  render,
  renderAlerting,
} from "../../../dashboards/generate.ts";
import { InfluxQL } from "../../../dashboards/influxql.ts";
import { STATION_CHOICE_REGEX } from "../../../dashboards/station.ts";
import { toYaml } from "../../../dashboards/yaml.ts";
import { StationActivity } from "../../../gateway/ops/station-activity.ts";
import {
  isExpression,
  type PanelTarget,
  panelQueries,
  panels,
  variablesUsed,
} from "../../support/dashboards.ts";
import { evaluate, firing } from "../../support/grafana-expressions.ts";

const dashboards = buildAll();
/** As Grafana reads them: the generated JSON. */
const generated = JSON.parse(JSON.stringify(dashboards)) as typeof dashboards;
const provisioning = join(import.meta.dirname, "../../../dashboards/provisioning");
const rules = technicianRules().rules ?? [];
const ruleNamed = (uid: string) => {
  const rule = rules.find((r) => r.uid === uid);
  if (!rule) throw new Error(`no rule ${uid}`);
  return rule;
};
/** The refIds an expression reads ("$fevers / $all", or a reduce's "A"). */
const reads = (model: { type?: string; expression?: string }) =>
  model.type === "math"
    ? [...(model.expression ?? "").matchAll(/\$(\w+)/g)].map((m) => m[1] as string)
    : [model.expression ?? ""];
const PROVISIONED_UID = "checkpoint-influx";
/** How Grafana's provisioning names an environment variable: ${NAME}. */
const ENV = (name: string) => `$${"{"}${name}}`;

describe("dashboards as code", () => {
  it("has committed JSON that matches the code (run npm run dashboards after a change)", () => {
    for (const [file, dashboard] of Object.entries(dashboards)) {
      expect(
        readFileSync(join(GENERATED_DIR, file), "utf8"),
        `${file} is stale: run npm run dashboards`,
      ).toBe(render(dashboard));
    }
  });

  it("has committed alerting provisioning that matches the code, and nothing else in its folder", () => {
    const files = renderAlerting();
    for (const [file, text] of Object.entries(files)) {
      expect(readFileSync(join(ALERTING_DIR, file), "utf8"), `${file} is stale: run npm run dashboards`).toBe(
        text,
      );
    }
    // Grafana refuses to start on any other file in its alerting folder; an old hand-written one must go.
    expect(readdirSync(ALERTING_DIR).sort()).toEqual(Object.keys(files).sort());
  });

  it("points every query at the provisioned datasource, and every other target is a Grafana expression", () => {
    const yaml = readFileSync(join(provisioning, "datasources/checkpoint-influxdb.yaml"), "utf8");
    const uid = /^\s+uid:\s*(\S+)/m.exec(yaml)?.[1];
    expect(uid).toBe(PROVISIONED_UID);
    for (const [name, d] of Object.entries(dashboards)) {
      for (const q of panelQueries(name, d)) expect(q.datasourceUid, `${name} / ${q.panel}`).toBe(uid);
      for (const p of panels(d))
        for (const target of p.targets ?? [])
          expect(isExpression(target) || target.datasource?.uid === uid, `${name} / ${p.title}`).toBe(true);
    }
    for (const rule of rules) {
      for (const q of rule.data) expect([uid, "__expr__"]).toContain(q.datasourceUid);
    }
    expect(readFileSync(join(ALERTING_DIR, "checkpoint-rules.yaml"), "utf8")).toContain(
      `datasourceUid: "${uid}"`,
    );
  });

  it("lets every expression read only queries of its own panel or rule", () => {
    for (const [name, d] of Object.entries(dashboards)) {
      for (const p of panels(d)) {
        const refIds = new Set((p.targets ?? []).map((t) => t.refId));
        expect(refIds.size, `${name} / ${p.title}: refIds are unique`).toBe((p.targets ?? []).length);
        for (const target of (p.targets ?? []).filter(isExpression)) {
          for (const ref of reads(target))
            expect(refIds.has(ref), `${name} / ${p.title} reads ${ref}`).toBe(true);
        }
      }
      // A transformation that names operands by refId matches nothing in Grafana: none may remain.
      expect(JSON.stringify(d)).not.toContain('"calculateField"');
    }
    for (const rule of rules) {
      const before = new Set<string>();
      for (const q of rule.data) {
        const model = q.model as { type?: string; expression?: string };
        if (q.datasourceUid === "__expr__") {
          for (const ref of reads(model))
            expect(before.has(ref), `${rule.uid}: ${q.refId} reads ${ref}`).toBe(true);
        }
        before.add(q.refId ?? "");
      }
      expect(before.has(rule.condition), `${rule.uid}: condition ${rule.condition}`).toBe(true);
    }
  });

  it("defines every variable a query uses", () => {
    for (const [name, d] of Object.entries(dashboards)) {
      const defined = new Set((d.templating?.list ?? []).map((v) => v.name));
      for (const q of panelQueries(name, d)) {
        for (const v of variablesUsed(q.query))
          expect(defined.has(v), `${name} / ${q.panel} uses $${v}`).toBe(true);
      }
    }
  });

  it("lays panels out without overlaps, inside the 24-column grid", () => {
    for (const [name, d] of Object.entries(dashboards)) {
      const boxes = panels(d).map((p) => ({ title: p.title, ...(p.gridPos ?? { x: 0, y: 0, w: 0, h: 0 }) }));
      for (const b of boxes) expect(b.x + b.w, `${name} / ${b.title}`).toBeLessThanOrEqual(24);
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i] as (typeof boxes)[number];
          const b = boxes[j] as (typeof boxes)[number];
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `${name}: "${a.title}" overlaps "${b.title}"`).toBe(false);
        }
      }
    }
  });
});

describe("InfluxQL builder", () => {
  it("quotes identifiers, escapes values and places the clauses in order", () => {
    const q = InfluxQL.select({ field: "n", agg: "sum", as: "total" })
      .from("screening_1m", "rollup_1m")
      .where(
        { time: "dashboard" },
        { tag: "verdict", equals: "it's" },
        { tag: "station", variable: "station" },
      )
      .groupByTime()
      .groupBy("station")
      .fill("0");
    expect(q.toString()).toBe(
      `SELECT sum("n") AS "total" FROM "rollup_1m"."screening_1m" WHERE $timeFilter AND "verdict" = 'it\\'s' AND "station" =~ /^$station$/ GROUP BY time($__interval), "station" fill(0)`,
    );
    expect(q.variables()).toEqual(["station"]);
  });

  it("nests a subquery and wraps a counter in a per-second rate", () => {
    const inner = InfluxQL.select({ field: "online", agg: "last", as: "online" })
      .from("device_status")
      .groupBy("device");
    expect(InfluxQL.select({ field: "online", agg: "sum" }).fromQuery(inner).toString()).toBe(
      `SELECT sum("online") FROM (SELECT last("online") AS "online" FROM "device_status" GROUP BY "device")`,
    );
    expect(
      InfluxQL.select({ field: "received", agg: "max", rate: "per-second" }).from("gateway").toString(),
    ).toBe(`SELECT non_negative_derivative(max("received"), 1s) FROM "gateway"`);
  });

  it("refuses a query with no source", () => {
    expect(() => InfluxQL.select({ field: "body_c" }).toString()).toThrow(/from\(\) is missing/);
  });
});

describe("fever rate today", () => {
  const panel = panels(generated["city-overview.json"] as never).find(
    (p) => p.title === t("zh-CN", "dash.city.fever-rate-today"),
  );
  const targets = (panel?.targets ?? []) as PanelTarget[];

  it("divides on Grafana's server: a math expression over two hidden queries, by refId", () => {
    expect(targets.map((x) => x.refId)).toEqual([FEVER_RATE.fevers, FEVER_RATE.all, FEVER_RATE.rate]);
    const [fevers, all, rate] = targets;
    expect(fevers).toMatchObject({ hide: true, datasource: { uid: PROVISIONED_UID } });
    expect(fevers?.query).toContain(`"verdict" = 'fever'`);
    expect(all).toMatchObject({ hide: true, datasource: { uid: PROVISIONED_UID } });
    expect(all?.query).not.toContain("verdict");
    expect(rate).toEqual({
      refId: "rate",
      type: "math",
      expression: "$fevers / $all",
      datasource: { type: "__expr__", uid: "__expr__" },
    });
    expect(panel).toMatchObject({ timeFrom: "now/d", fieldConfig: { defaults: { unit: "percentunit" } } });
  });

  it("is the fevers over all screenings (as Grafana's math evaluates it)", async () => {
    const sums: Record<string, number> = { fevers: 3, all: 400 };
    const results = await evaluate(
      targets.map((x) => ({
        refId: x.refId ?? "",
        datasourceUid: x.datasource?.uid ?? "",
        model: x as Record<string, unknown>,
      })),
      async (q) => [{ labels: {}, points: [[0, sums[q.refId] ?? Number.NaN]] }],
    );
    expect(results.get("rate")).toEqual({ kind: "series", items: [{ labels: {}, points: [[0, 0.0075]] }] });
  });
});

describe("alert rules", () => {
  it("fire per station for a station silent 15 minutes while open, from the gateway's activity points", async () => {
    const rule = ruleNamed("checkpoint-station-silent");
    const [a] = rule.data;
    const model = a?.model as unknown as { query: string };
    expect(model.query).toBe(
      `SELECT last("silent_open_s") FROM "station_activity" WHERE $timeFilter GROUP BY "station"`,
    );
    expect(a?.relativeTimeRange).toEqual({ from: 600, to: 0 });
    expect(rule).toMatchObject({ condition: "C", noDataState: "NoData", labels: { team: "technicians" } });
    // Points the gateway writes: a silent open station, a closed one, a busy one.
    const started = Date.UTC(2026, 0, 10, 4, 0);
    const activity = new StationActivity(started - 3_600_000);
    activity.heardFrom("hw-01", started + 19 * 60_000);
    const now = started + 20 * 60_000;
    const points = activity.points(
      [
        { id: "hw-01", name: null, name_en: null, hours: "00:00-24:00" },
        { id: "cm-01", name: "东门", name_en: null, hours: "00:00-24:00" },
        { id: "cm-02", name: null, name_en: null, hours: "20:00-06:00" },
      ],
      now,
      "Asia/Shanghai",
    );
    const results = await evaluate(
      rule.data.map((q) => ({
        refId: q.refId ?? "",
        datasourceUid: q.datasourceUid ?? "",
        model: q.model as unknown as Record<string, unknown>,
      })),
      async () =>
        points.map((p) => ({
          labels: { station: p.tags.station ?? "" },
          points: [[now, p.fields.silent_open_s as number]],
        })),
    );
    expect(firing(results, rule.condition)).toEqual([{ station: "cm-01" }]);
    expect(SILENT_ALERT_S).toBe(900);
  });

  it("fire for a lane offline only while its station is open", async () => {
    const rule = ruleNamed("checkpoint-station-offline");
    const series: Record<string, { station: string; value: number }[]> = {
      // lowest last status per station: 0 = a lane offline
      A: [
        { station: "hw-01", value: 1 },
        { station: "cm-01", value: 0 },
        { station: "cm-02", value: 0 },
      ],
      // open now
      O: [
        { station: "hw-01", value: 1 },
        { station: "cm-01", value: 1 },
        { station: "cm-02", value: 0 },
      ],
    };
    const results = await evaluate(
      rule.data.map((q) => ({
        refId: q.refId ?? "",
        datasourceUid: q.datasourceUid ?? "",
        model: q.model as unknown as Record<string, unknown>,
      })),
      async (q) =>
        (series[q.refId] ?? []).map((s) => ({ labels: { station: s.station }, points: [[0, s.value]] })),
    );
    expect(firing(results, rule.condition)).toEqual([{ station: "cm-01" }]);
  });

  it("say what is wrong in Chinese first (summary) and English (description), from the catalogue", () => {
    for (const rule of rules) {
      expect(rule.annotations?.summary).toMatch(/[\u4e00-\u9fff]/);
      expect(rule.annotations?.summary).toContain("{{ $labels.station }}");
      expect(rule.annotations?.description).toMatch(/^\{\{ \$labels\.station \}\}: /);
      // Grafana's file provisioning expands $VAR in labels: none may hold a "$".
      for (const value of Object.values(rule.labels ?? {})) expect(value).not.toContain("$");
    }
    expect(ruleNamed("checkpoint-station-silent").title).toBe(t("zh-CN", "grafana.rule.station-silent"));
    expect(new Set(rules.map((r) => r.uid)).size).toBe(rules.length);
    expect(ALERT_FOLDER).toBe("卡口体温筛查");
    const dashboardsProvider = readFileSync(join(provisioning, "dashboards/checkpoint.yaml"), "utf8");
    expect(dashboardsProvider).toContain(`folder: ${ALERT_FOLDER}`);
  });

  it("notify the gateway's console through a webhook with a bearer token from Grafana's environment", () => {
    const cp = contactPoint();
    expect(cp).toMatchObject({ name: CONTACT_POINT, type: "webhook" });
    expect(cp.settings).toEqual({
      url: ENV("CHECKPOINT_WEBHOOK_URL"),
      httpMethod: "POST",
      authorization_scheme: "Bearer",
      authorization_credentials: ENV("CHECKPOINT_WEBHOOK_TOKEN"),
      maxAlerts: 50,
    });
    const policy = notificationPolicy();
    expect(policy.receiver).toBe(CONTACT_POINT);
    expect(policy.routes).toEqual([
      expect.objectContaining({
        receiver: CONTACT_POINT,
        object_matchers: [["team", "=", TECHNICIANS.team]],
        group_by: ["alertname", "station"],
      }),
    ]);
    for (const rule of rules) expect(rule.labels?.team).toBe(TECHNICIANS.team);
    const text = readFileSync(join(ALERTING_DIR, "checkpoint-contact-points.yaml"), "utf8");
    expect(text).toContain(`authorization_credentials: "${ENV("CHECKPOINT_WEBHOOK_TOKEN")}"`);
  });
});

describe("links between dashboards", () => {
  const uids = new Set(Object.values(dashboards).map((d) => d.uid));

  it("take every per-station panel of the city to that station's dashboard, with the time range", () => {
    const city = dashboards["city-overview.json"] as never;
    const linked = panels(city).filter((p) => JSON.stringify(p).includes("var-station="));
    expect(linked.map((p) => p.title)).toEqual([
      t("zh-CN", "dash.city.per-10-min"),
      t("zh-CN", "dash.city.stations-now"),
      t("zh-CN", "dash.city.per-hour"),
      t("zh-CN", "dash.city.busiest"),
    ]);
    for (const p of linked) {
      const links = (p as { fieldConfig?: { defaults?: { links?: { url: string }[] } } }).fieldConfig
        ?.defaults?.links;
      const url = links?.[0]?.url ?? "";
      expect(url).toMatch(
        /^\/d\/checkpoint-station\?var-station=\$\{__(field\.labels|data\.fields)\.station\}&\$\{__url_time_range\}$/,
      );
      // Series are grouped by station (their label), the table has a station column.
      const grouped = (p.targets ?? []).every(
        (x) => x.query?.includes('GROUP BY "station"') || x.query?.includes('"station" fill'),
      );
      expect(grouped, String(p.title)).toBe(true);
    }
  });

  it("link the dashboards to each other by uid", () => {
    for (const d of Object.values(dashboards)) {
      for (const link of d.links ?? []) {
        const uid = /^\/d\/([\w-]+)/.exec(link.url ?? "")?.[1];
        expect(uids.has(uid), `${d.title}: ${link.url}`).toBe(true);
        expect(link).not.toHaveProperty("placement");
      }
    }
    expect(uids).toEqual(new Set(Object.values(UIDS)));
  });

  it("offer stations by their names, the id as the value the queries match", () => {
    const variable = dashboards["station.json"]?.templating?.list?.find((v) => v.name === "station");
    expect(variable?.regex).toBe(STATION_CHOICE_REGEX);
    const regex = /^\/(.*)\/$/.exec(STATION_CHOICE_REGEX)?.[1] ?? "";
    const activity = new StationActivity(0);
    const [named, unnamed] = activity
      .points(
        [
          { id: "cm-01", name: "梅村街道东门", name_en: null, hours: "00:00-24:00" },
          { id: "hw-02", name: null, name_en: null, hours: "00:00-24:00" },
        ],
        60_000,
        "Asia/Shanghai",
      )
      .map((p) => new RegExp(regex).exec(String(p.fields.label))?.groups);
    expect(named).toEqual({ value: "cm-01", text: "梅村街道东门（cm-01）" });
    expect(unnamed).toEqual({ value: "hw-02", text: "hw-02" });
  });
});

describe("provisioning YAML", () => {
  it("quotes every string (JSON's escapes), writes lists of plain values inline and nests the rest", () => {
    expect(
      toYaml(
        {
          apiVersion: 1,
          "odd key": true,
          empty: {},
          none: [],
          text: 'say "hi"\n{{ $labels.station }} 站',
          list: [{ a: 1, b: [["team", "=", "technicians"]] }, { c: null }],
          nested: { deeper: { x: "1m" } },
        },
        "first\nsecond",
      ),
    ).toBe(
      [
        "# first",
        "# second",
        "apiVersion: 1",
        '"odd key": true',
        "empty: {}",
        "none: []",
        'text: "say \\"hi\\"\\n{{ $labels.station }} 站"',
        "list:",
        "  - a: 1",
        "    b:",
        '      - ["team", "=", "technicians"]',
        "  - c: null",
        "nested:",
        "  deeper:",
        '    x: "1m"',
        "",
      ].join("\n"),
    );
  });
});
