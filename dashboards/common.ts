/** What every checkpoint dashboard shares: its title, tag, refresh and default range, its texts, links between them. */
import { type MessageKey, type MessageParams, messageText, type ParamsArg, t } from "@checkpoint/protocol";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  DashboardBuilder,
  type DashboardLink,
  DashboardLinkBuilder,
  DashboardLinkType,
} from "@grafana/grafana-foundation-sdk/dashboard";

/** Uids of the dashboards, for links between them (Grafana's /d/<uid>). */
export const UIDS = {
  city: "checkpoint-city",
  station: "checkpoint-station",
  gateway: "checkpoint-gateway",
} as const;

/** A catalogue key whose texts have no parameters. */
export type PlainKey = { [K in MessageKey]: ParamsArg<K> extends [] ? K : never }[MessageKey];

/**
 * A panel's or dashboard's texts from the catalogue (protocol/messages.ts): Grafana shows one
 * language, so the title is the Chinese text and the description (its tooltip) the English one.
 */
export function texts(key: PlainKey): { title: string; description: string } {
  return { title: t("zh-CN", key), description: t("en", key) };
}

/** A catalogue text with Grafana's own expressions (${__field.labels.station}, …) as its parameters. */
export function textWith<K extends MessageKey>(
  locale: "zh-CN" | "en",
  key: K,
  params: MessageParams<K>,
): string {
  return messageText(locale, key, params);
}

export function checkpointDashboard(key: PlainKey, uid: string, defaultHours: number): DashboardBuilder {
  const { title, description } = texts(key);
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(["checkpoint"])
    .refresh("30s")
    .time({ from: `now-${defaultHours}h`, to: "now" });
}

/** A Grafana macro or variable in text: grafanaVar("__field.labels.station") is ${__field.labels.station}. */
export const grafanaVar = (name: string): string => `\${${name}}`;

/**
 * A link as Grafana shows it in the dashboard's top bar. (The SDK's default places every link in
 * the controls menu, where newer Grafana folds it away; without a placement it is in the bar.)
 */
function inTopBar(link: DashboardLinkBuilder): cog.Builder<DashboardLink> {
  return {
    build: () => {
      const { placement: _folded, ...rest } = link.build();
      return rest;
    },
  };
}

/** A link in a dashboard's header to another checkpoint dashboard, keeping the time range. */
export function dashboardLink(key: PlainKey, uid: string): cog.Builder<DashboardLink> {
  const { title, description } = texts(key);
  return inTopBar(
    new DashboardLinkBuilder(title)
      .type(DashboardLinkType.Link)
      .url(`/d/${uid}`)
      .tooltip(description)
      .keepTime(true)
      .includeVars(false)
      .targetBlank(false)
      .asDropdown(false)
      .icon("dashboard")
      .tags([]),
  );
}

/**
 * A data link to one station's dashboard. `station` is Grafana's expression for the station id in
 * the panel's data: `${__field.labels.station}` for series grouped by station, `${__data.fields.station}`
 * for a table's station column. The time range goes along.
 */
export function stationLink(station: string): cog.Builder<DashboardLink> {
  return inTopBar(
    new DashboardLinkBuilder(textWith("zh-CN", "dash.link.station", { station }))
      .url(`/d/${UIDS.station}?var-station=${station}&${grafanaVar("__url_time_range")}`)
      .targetBlank(false),
  );
}
