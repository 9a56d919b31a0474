import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildAll, GENERATED_DIR, render } from "../../../dashboards/generate.ts";
import { InfluxQL } from "../../../dashboards/influxql.ts";
import { panelQueries, panels, variablesUsed } from "../../support/dashboards.ts";

const dashboards = buildAll();
const provisioning = join(import.meta.dirname, "../../../dashboards/provisioning");

describe("dashboards as code", () => {
  it("has committed JSON that matches the code (run npm run dashboards after a change)", () => {
    for (const [file, dashboard] of Object.entries(dashboards)) {
      expect(
        readFileSync(join(GENERATED_DIR, file), "utf8"),
        `${file} is stale: run npm run dashboards`,
      ).toBe(render(dashboard));
    }
  });

  it("points every query at the provisioned datasource", () => {
    const yaml = readFileSync(join(provisioning, "datasources/checkpoint-influxdb.yaml"), "utf8");
    const uid = /^\s+uid:\s*(\S+)/m.exec(yaml)?.[1];
    expect(uid).toBe("checkpoint-influx");
    for (const [name, d] of Object.entries(dashboards)) {
      for (const q of panelQueries(name, d)) expect(q.datasourceUid, `${name} / ${q.panel}`).toBe(uid);
    }
    expect(readFileSync(join(provisioning, "alerting/checkpoint-rules.yaml"), "utf8")).toContain(
      `datasourceUid: ${uid}`,
    );
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
