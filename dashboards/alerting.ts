/**
 * Grafana alerting as code, with the foundation SDK's alerting builders: the technicians' rules,
 * the webhook contact point into the gateway's console, and the notification policy that routes
 * the rules there. `npm run dashboards` writes them as Grafana's file-provisioning YAML
 * (dashboards/provisioning/alerting/*.yaml); a test fails when those are stale.
 *
 * - "A station has a lane offline" fires per station while its last status says a lane is offline
 *   and the station is open by its hours (a village gate's lanes may be switched off at night).
 * - "No screening from an open station for 15 minutes" fires per station from the gateway's
 *   station_activity points (gateway/ops/station-activity.ts): one a minute for every station,
 *   silent or not, so a silent station has a series to fire on; silent_open_s is 0 while the station
 *   is closed, so a quiet village gate does not fire every night. Should the gateway stop writing
 *   them, the rule has no data at all, and Grafana says so (its DatasourceNoData alert, routed the
 *   same way).
 * - Summaries come from the catalogue: Chinese (summary) and English (description).
 * - The contact point posts to the gateway (POST /api/grafana/alerts) with the token the gateway
 *   keeps in DATA_DIR/grafana-webhook-token; Grafana reads the URL and the token from its
 *   environment (CHECKPOINT_WEBHOOK_URL, CHECKPOINT_WEBHOOK_TOKEN), never from this file.
 * - File-provisioned notification policies replace the organisation's whole policy tree: the root
 *   sends everything to the gateway too, grouped by rule; the technicians' rules are grouped per
 *   station.
 */
import { t } from "@checkpoint/protocol";
import {
  type ContactPoint,
  ContactPointBuilder,
  type NotificationPolicy,
  NotificationPolicyBuilder,
  QueryBuilder,
  type Rule,
  RuleBuilder,
  type RuleGroup,
  RuleGroupBuilder,
} from "@grafana/grafana-foundation-sdk/alerting";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  TypeMathBuilder,
  TypeReduceBuilder,
  TypeThresholdBuilder,
} from "@grafana/grafana-foundation-sdk/expr";
import { SILENT_ALERT_S } from "./city.ts";
import { grafanaVar, textWith } from "./common.ts";
import { DATASOURCE, EXPRESSIONS, InfluxQL, target } from "./influxql.ts";
import type { Plain } from "./yaml.ts";

export const ALERT_FOLDER = t("zh-CN", "grafana.folder");
export const RULE_GROUP = "checkpoint-technicians";
export const CONTACT_POINT = "checkpoint-technicians";
export const CONTACT_POINT_UID = "checkpoint-gateway-webhook";
/** Label every technicians' rule carries; the policy routes on it. */
export const TECHNICIANS = { team: "technicians" } as const;
const ORG_ID = 1;

/** Grafana's template for the station label, and for a reduced value as a duration. */
const STATION = "{{ $labels.station }}";

/** An InfluxQL query of a rule, over the last `seconds` before each evaluation. */
function influx(refId: string, query: InfluxQL, seconds: number): QueryBuilder {
  return new QueryBuilder(refId)
    .datasourceUid(DATASOURCE.uid)
    .relativeTimeRange({ from: seconds, to: 0 })
    .model(target(query, { refId }));
}

function expression(refId: string, model: cog.Builder<cog.Dataquery>): QueryBuilder {
  return new QueryBuilder(refId).datasourceUid(EXPRESSIONS.uid).model(model);
}

const reduceLast = (refId: string, of: string) =>
  expression(
    refId,
    new TypeReduceBuilder().refId(refId).datasource(EXPRESSIONS).expression(of).reducer("last"),
  );

const above = (refId: string, of: string, value: number) =>
  expression(
    refId,
    new TypeThresholdBuilder()
      .refId(refId)
      .datasource(EXPRESSIONS)
      .expression(of)
      .conditions([{ evaluator: { type: "gt", params: [value] } }]),
  );

/** The last status of every lane, then the lowest per station: 0 when any of its lanes is offline. */
export const LANES_ONLINE = InfluxQL.select({ field: "online", agg: "min" })
  .fromQuery(
    InfluxQL.select({ field: "online", agg: "last", as: "online" })
      .from("device_status")
      .groupBy("station", "device"),
  )
  .groupBy("station");

/** Whether each station is open now, by its hours (the gateway's station_activity points). */
export const STATION_OPEN = InfluxQL.select({ field: "open", agg: "last" })
  .from("station_activity")
  .where({ time: "dashboard" })
  .groupBy("station");

/** How long each station has been silent while open (0 while closed). */
export const SILENT_WHILE_OPEN = InfluxQL.select({ field: "silent_open_s", agg: "last" })
  .from("station_activity")
  .where({ time: "dashboard" })
  .groupBy("station");

/** The rules, built with the SDK: the shapes Grafana's provisioning API takes. */
export function technicianRules(): RuleGroup {
  const offline = new RuleBuilder(t("zh-CN", "grafana.rule.station-offline"))
    .uid("checkpoint-station-offline")
    .condition("C")
    .withQuery(influx("A", LANES_ONLINE, 86_400))
    .withQuery(reduceLast("B", "A"))
    .withQuery(influx("O", STATION_OPEN, 600))
    .withQuery(reduceLast("P", "O"))
    // 1 for a station with a lane offline that is open now; matched on the station label.
    .withQuery(
      expression("M", new TypeMathBuilder().refId("M").datasource(EXPRESSIONS).expression("(1 - $B) * $P")),
    )
    .withQuery(above("C", "M", 0))
    .forDuration("5m")
    .noDataState("OK")
    .execErrState("Error")
    .labels({ ...TECHNICIANS, checkpoint: "station-offline" })
    .annotations({
      summary: textWith("zh-CN", "grafana.rule.station-offline.summary", { station: STATION }),
      description: textWith("en", "grafana.rule.station-offline.summary", { station: STATION }),
    });
  const silent = new RuleBuilder(t("zh-CN", "grafana.rule.station-silent"))
    .uid("checkpoint-station-silent")
    .condition("C")
    .withQuery(influx("A", SILENT_WHILE_OPEN, 600))
    .withQuery(reduceLast("B", "A"))
    .withQuery(above("C", "B", SILENT_ALERT_S))
    .forDuration("1m")
    .noDataState("NoData")
    .execErrState("Error")
    .labels({ ...TECHNICIANS, checkpoint: "station-silent" })
    .annotations({
      summary: textWith("zh-CN", "grafana.rule.station-silent.summary", {
        station: STATION,
        silent: "{{ humanizeDuration $values.B.Value }}",
      }),
      description: textWith("en", "grafana.rule.station-silent.summary", {
        station: STATION,
        silent: "{{ humanizeDuration $values.B.Value }}",
      }),
    });
  return new RuleGroupBuilder(RULE_GROUP).interval(60).withRule(offline).withRule(silent).build();
}

export function contactPoint(): ContactPoint {
  return new ContactPointBuilder()
    .uid(CONTACT_POINT_UID)
    .name(CONTACT_POINT)
    .type("webhook")
    .settings({
      url: grafanaVar("CHECKPOINT_WEBHOOK_URL"),
      httpMethod: "POST",
      authorization_scheme: "Bearer",
      authorization_credentials: grafanaVar("CHECKPOINT_WEBHOOK_TOKEN"),
      maxAlerts: 50,
    })
    .disableResolveMessage(false)
    .build();
}

export function notificationPolicy(): NotificationPolicy {
  return new NotificationPolicyBuilder()
    .receiver(CONTACT_POINT)
    .groupBy(["grafana_folder", "alertname"])
    .routes([
      new NotificationPolicyBuilder()
        .receiver(CONTACT_POINT)
        .objectMatchers([["team", "=", TECHNICIANS.team]])
        .groupBy(["alertname", "station"])
        .groupWait("30s")
        .groupInterval("5m")
        .repeatInterval("4h"),
    ])
    .build();
}

/** A rule group's interval (seconds) as Grafana's provisioning writes durations: "1m", "90s". */
const duration = (s: number | undefined) =>
  s === undefined ? undefined : s % 60 === 0 ? `${s / 60}m` : `${s}s`;

/** A rule as Grafana's file provisioning (apiVersion 1) reads it. */
function fileRule(rule: Rule): Plain {
  return {
    uid: rule.uid ?? "",
    title: rule.title,
    condition: rule.condition,
    data: rule.data.map((q) => ({
      refId: q.refId ?? "",
      relativeTimeRange: { from: q.relativeTimeRange?.from ?? 0, to: q.relativeTimeRange?.to ?? 0 },
      datasourceUid: q.datasourceUid ?? "",
      model: plain(q.model),
    })),
    noDataState: rule.noDataState,
    execErrState: rule.execErrState,
    for: rule.for,
    labels: rule.labels ?? {},
    annotations: rule.annotations ?? {},
    isPaused: false,
  };
}

/** A builder's output as plain data (its methods and undefined fields dropped). */
function plain(value: unknown): Plain {
  return JSON.parse(JSON.stringify(value ?? {})) as Plain;
}

/** The three provisioning files, as data: file name → content. */
export function alertingProvisioning(): Record<
  string,
  { comment: string; content: { [key: string]: Plain } }
> {
  const group = technicianRules();
  const cp = contactPoint();
  return {
    "checkpoint-rules.yaml": {
      comment: [
        "Generated by npm run dashboards from dashboards/alerting.ts: do not edit by hand.",
        "Grafana alert rules for the technicians (fevers reach duty officers over MQTT and the console).",
      ].join("\n"),
      content: {
        apiVersion: 1,
        groups: [
          {
            orgId: ORG_ID,
            name: group.title ?? RULE_GROUP,
            folder: ALERT_FOLDER,
            interval: duration(group.interval) ?? "1m",
            rules: (group.rules ?? []).map(fileRule),
          },
        ],
      },
    },
    "checkpoint-contact-points.yaml": {
      comment: [
        "Generated by npm run dashboards from dashboards/alerting.ts: do not edit by hand.",
        "The gateway's console takes Grafana's notifications (POST /api/grafana/alerts). Grafana's environment needs",
        "CHECKPOINT_WEBHOOK_URL (e.g. https://gateway.example.internal:8080/api/grafana/alerts) and",
        "CHECKPOINT_WEBHOOK_TOKEN (the contents of the gateway's DATA_DIR/grafana-webhook-token).",
      ].join("\n"),
      content: {
        apiVersion: 1,
        contactPoints: [
          {
            orgId: ORG_ID,
            name: cp.name ?? CONTACT_POINT,
            receivers: [
              {
                uid: cp.uid ?? CONTACT_POINT_UID,
                type: cp.type,
                settings: plain(cp.settings),
                disableResolveMessage: cp.disableResolveMessage ?? false,
              },
            ],
          },
        ],
      },
    },
    "checkpoint-policies.yaml": {
      comment: [
        "Generated by npm run dashboards from dashboards/alerting.ts: do not edit by hand.",
        "Replaces the organisation's whole notification policy tree: everything goes to the gateway.",
      ].join("\n"),
      content: { apiVersion: 1, policies: [{ orgId: ORG_ID, ...(plain(notificationPolicy()) as object) }] },
    },
  };
}
