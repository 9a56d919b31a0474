/**
 * The duty console page: one HTML document with its style sheet and script served beside it by the
 * gateway (console-style.ts, console-script.ts: no inline style or script, no outside requests).
 * Log in; alerts arrive live (Server-Sent Events) with a flash and a tone; acknowledge and close
 * them with a disposition and the clinical thermometer's reading; station board; daily report
 * with CSV; registration of people without a code at the desk, and a station's visitor log per
 * day with CSV (issue 11). Keyboard: every action is a real button or form field; "j"/"k" move between alerts,
 * "a" acknowledges, "c" opens the close form. Laid out for a 1366×768 screen.
 *
 * Every text comes from the message catalogue (protocol/messages.ts): the page is served in the
 * reader's language, carries both languages' console messages, and its switch changes language in
 * place and remembers the choice in a cookie (which the API reads too, so its errors follow).
 * Times are shown in the gateway's TIME_ZONE (Asia/Shanghai by default).
 */
import {
  ALERT_KINDS,
  CATALOGUE,
  HOME_READING_METHODS,
  LOCALES,
  type Locale,
  type MessageKey,
} from "@checkpoint/protocol";
import { DISPOSITIONS_BY_KIND } from "../ops/alert-store.ts";
import { CLINIC_RESULTS } from "../ops/transfers.ts";
import { LOCALE_COOKIE } from "./console-server.ts";

/** One option per alert kind, in the contract's order. */
const KIND_OPTIONS = ALERT_KINDS.map(
  (k) => `<option value="${k}" data-t="kind.${k}">{{kind.${k}}}</option>`,
).join("");

/** The catalogue sections the page uses. */
const PAGE_SECTIONS = [
  "console.",
  "kind.",
  "state.",
  "disposition.",
  "role.",
  "verdict.",
  "flows.",
  "result.",
  "visitors.",
  "identity.",
  "colour.",
];

function pageMessages(): Record<Locale, Record<string, string>> {
  const keys = (Object.keys(CATALOGUE) as MessageKey[]).filter((k) =>
    PAGE_SECTIONS.some((p) => k.startsWith(p)),
  );
  const out = {} as Record<Locale, Record<string, string>>;
  for (const locale of LOCALES) out[locale] = Object.fromEntries(keys.map((k) => [k, CATALOGUE[k][locale]]));
  return out;
}

/** JSON that is safe inside a <script type="application/json"> data block. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function consolePage(locale: Locale, timeZone: string): string {
  // Texts without parameters, filled in for the first paint; the script fills them again on a switch.
  const texts: Record<string, string> = {};
  for (const [key, entry] of Object.entries(CATALOGUE)) texts[key] = escapeHtml(entry[locale]);
  return PAGE.replace(/\{\{([\w.-]+)\}\}/g, (whole, name: string) => {
    if (name === "lang") return locale;
    if (name === "messages") return scriptJson(pageMessages());
    if (name === "config")
      return scriptJson({
        locale,
        timeZone,
        cookie: LOCALE_COOKIE,
        dispositions: DISPOSITIONS_BY_KIND,
        methods: HOME_READING_METHODS,
        results: CLINIC_RESULTS,
      });
    return texts[name] ?? whole;
  });
}

const PAGE = `<!doctype html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title data-t="console.title">{{console.title}}</title>
<link rel="stylesheet" href="/console.css">
</head>
<body>
<div id="login-view">
  <section id="login">
    <h1 data-t="console.title">{{console.title}}</h1>
    <form id="login-form">
      <label for="username" data-t="console.username">{{console.username}}</label><input id="username" name="username" autocomplete="username" required autofocus>
      <label for="password" data-t="console.password">{{console.password}}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
      <p><button type="submit" data-t="console.login">{{console.login}}</button> <button type="button" class="lang" data-action="language" data-t="console.language" data-t-label="console.language-label" aria-label="{{console.language-label}}">{{console.language}}</button></p>
      <p id="login-error" class="error" role="alert"></p>
    </form>
  </section>
</div>
<div id="app" class="hidden">
  <header><h1 data-t="console.title">{{console.title}}</h1><span><span id="who"></span> <button id="logout" data-t="console.logout">{{console.logout}}</button><button type="button" class="lang" data-action="language" data-t="console.language" data-t-label="console.language-label" aria-label="{{console.language-label}}">{{console.language}}</button></span></header>
  <main>
    <section aria-labelledby="alerts-title">
      <h2 id="alerts-title"><span data-t="console.open-alerts">{{console.open-alerts}}</span> <span id="count"></span></h2>
      <div class="filters">
        <label for="f-state" data-t="console.filter-state">{{console.filter-state}}</label>
        <select id="f-state"><option value="open" data-t="console.filter-open">{{console.filter-open}}</option><option value="new" data-t="state.new">{{state.new}}</option><option value="acknowledged" data-t="state.acknowledged">{{state.acknowledged}}</option><option value="closed" data-t="console.filter-closed">{{console.filter-closed}}</option></select>
        <label for="f-kind" data-t="console.filter-kind">{{console.filter-kind}}</label>
        <select id="f-kind"><option value="" data-t="console.filter-all">{{console.filter-all}}</option>${KIND_OPTIONS}</select>
        <label for="f-station" data-t="console.filter-station">{{console.filter-station}}</label>
        <select id="f-station"><option value="" data-t="console.filter-all">{{console.filter-all}}</option></select>
        <input id="f-q" type="search" maxlength="64" data-t-label="console.search" aria-label="{{console.search}}" data-t-placeholder="console.search" placeholder="{{console.search}}">
      </div>
      <div class="pager"><button id="prev" type="button" data-t="console.prev">{{console.prev}}</button> <span id="page-info" aria-live="polite"></span> <button id="next" type="button" data-t="console.next">{{console.next}}</button>
        <button id="ack-page" type="button" class="hidden" data-t="console.ack-page">{{console.ack-page}}</button> <span id="ack-result" role="status"></span>
        <button id="mute" type="button" data-t="console.mute">{{console.mute}}</button> <button id="sound-test" type="button" data-t="console.sound-test">{{console.sound-test}}</button></div>
      <p id="watch-only" class="hint hidden" data-t="console.watch-only">{{console.watch-only}}</p>
      <p class="hint" data-t="console.keys">{{console.keys}}</p>
      <div id="alerts" aria-live="polite"></div>
    </section>
    <div>
      <section aria-labelledby="trace-title"><h2 id="trace-title" data-t="console.trace">{{console.trace}}</h2>
        <form id="trace-form" class="trace">
          <input id="trace-code" maxlength="2048" required autocomplete="off" data-t-label="console.trace-code" aria-label="{{console.trace-code}}" data-t-placeholder="console.trace-code" placeholder="{{console.trace-code}}">
          <input id="trace-reason" maxlength="200" required minlength="2" data-t-label="console.trace-reason" aria-label="{{console.trace-reason}}" data-t-placeholder="console.trace-reason" placeholder="{{console.trace-reason}}">
          <button type="submit" data-t="console.trace-go">{{console.trace-go}}</button>
        </form>
        <p id="trace-error" class="error" role="alert"></p>
        <div id="trace-result" class="hidden"><p id="trace-summary"></p>
          <table id="trace-table"><thead><tr><th data-t="console.col.time">{{console.col.time}}</th><th data-t="console.col.station">{{console.col.station}}</th><th data-t="console.col.lane">{{console.col.lane}}</th><th data-t="visitors.col.entry">{{visitors.col.entry}}</th><th data-t="console.col.attempt">{{console.col.attempt}}</th><th data-t="console.col.verdict">{{console.col.verdict}}</th><th data-t="console.col.estimate">{{console.col.estimate}}</th><th data-t="console.col.code">{{console.col.code}}</th></tr></thead><tbody></tbody></table>
          <ul id="trace-alerts" class="grafana"></ul>
        </div>
      </section>
      <section aria-labelledby="desk-title" class="spaced" id="desk-section"><h2 id="desk-title" data-t="console.desk">{{console.desk}}</h2>
        <p class="hint" data-t="console.desk-hint">{{console.desk-hint}}</p>
        <form id="desk-form" class="desk">
          <label for="desk-station" data-t="console.desk-station">{{console.desk-station}}</label><select id="desk-station" required></select>
          <label for="desk-id" data-t="console.desk-id">{{console.desk-id}}</label><input id="desk-id" maxlength="40" required autocomplete="off" spellcheck="false">
          <label for="desk-temp" data-t="console.desk-temp">{{console.desk-temp}}</label><input id="desk-temp" type="number" step="0.1" min="34" max="43" required>
          <button type="submit" data-t="console.desk-go">{{console.desk-go}}</button>
        </form>
        <p id="desk-error" class="error" role="alert"></p>
        <p id="desk-result" role="status"></p>
      </section>
      <section aria-labelledby="visitors-title" class="spaced" id="visitors-section"><h2 id="visitors-title" data-t="console.visitors">{{console.visitors}}</h2>
        <label for="visitors-station" data-t="console.col.station">{{console.col.station}}</label> <select id="visitors-station"></select>
        <label for="visitors-date" data-t="console.day">{{console.day}}</label> <input id="visitors-date" type="date"> <button id="visitors-show" type="button" data-t="console.show">{{console.show}}</button> <a id="visitors-csv" href="#" data-t="console.csv">{{console.csv}}</a>
        <div class="pager"><button id="visitors-prev" type="button" data-t="console.prev">{{console.prev}}</button> <span id="visitors-info" aria-live="polite"></span> <button id="visitors-next" type="button" data-t="console.next">{{console.next}}</button></div>
        <table id="visitors"><thead><tr><th data-t="console.col.time">{{console.col.time}}</th><th data-t="console.col.lane">{{console.col.lane}}</th><th data-t="visitors.col.entry">{{visitors.col.entry}}</th><th class="people" data-t="visitors.col.subject">{{visitors.col.subject}}</th><th data-t="console.col.verdict">{{console.col.verdict}}</th><th data-t="console.col.estimate">{{console.col.estimate}}</th></tr></thead><tbody></tbody></table>
      </section>
      <section aria-labelledby="board-title" class="spaced" id="board-section"><h2 id="board-title" data-t="console.stations">{{console.stations}}</h2><table id="board"><thead><tr><th data-t="console.col.station">{{console.col.station}}</th><th data-t="console.col.online">{{console.col.online}}</th><th data-t="console.col.last-seen">{{console.col.last-seen}}</th><th data-t="console.col.today">{{console.col.today}}</th><th data-t="console.col.fevers">{{console.col.fevers}}</th><th data-t="console.col.outbox">{{console.col.outbox}}</th><th data-t="console.col.sensor">{{console.col.sensor}}</th></tr></thead><tbody></tbody></table></section>
      <section aria-labelledby="report-title" class="spaced" id="report-section"><h2 id="report-title" data-t="console.report">{{console.report}}</h2>
        <label for="report-date" data-t="console.day">{{console.day}}</label> <input id="report-date" type="date"> <button id="report-show" data-t="console.show">{{console.show}}</button> <a id="report-csv" href="#" data-t="console.csv">{{console.csv}}</a>
        <p id="city-flows" class="sub"></p>
        <table id="report"><thead><tr><th data-t="console.col.station">{{console.col.station}}</th><th data-t="console.col.screened">{{console.col.screened}}</th><th data-t="console.col.retests">{{console.col.retests}}</th><th data-t="console.col.fevers">{{console.col.fevers}}</th><th data-t="console.col.transfers">{{console.col.transfers}}</th><th data-t="console.col.handovers">{{console.col.handovers}}</th></tr></thead><tbody></tbody></table>
      </section>
      <section aria-labelledby="handover-title" class="spaced" id="handover-section"><h2 id="handover-title" data-t="console.handover">{{console.handover}}</h2>
        <label for="handover-hours" data-t="console.handover-hours">{{console.handover-hours}}</label> <input id="handover-hours" type="number" min="1" max="72" value="12"> <button id="handover-show" type="button" data-t="console.show">{{console.show}}</button>
        <ul id="handover" class="grafana"></ul>
      </section>
      <section aria-labelledby="grafana-title" class="spaced" id="grafana-section"><h2 id="grafana-title" data-t="console.grafana">{{console.grafana}}</h2><ul id="grafana" class="grafana"></ul></section>
    </div>
    <section aria-labelledby="roster-title" class="wide" id="roster-section"><h2 id="roster-title" data-t="flows.roster">{{flows.roster}}</h2>
        <label for="roster-township" data-t="flows.township">{{flows.township}}</label> <select id="roster-township"><option value="" data-t="flows.all">{{flows.all}}</option></select>
        <select id="roster-state" aria-label="{{console.filter-state}}" data-t-label="console.filter-state"><option value="active" data-t="flows.state.active">{{flows.state.active}}</option><option value="" data-t="flows.all">{{flows.all}}</option></select> <span id="roster-count" class="sub"></span>
        <table id="roster"><thead><tr><th data-t="flows.person">{{flows.person}}</th><th data-t="flows.township">{{flows.township}}</th><th data-t="flows.start">{{flows.start}}</th><th data-t="flows.end-day">{{flows.end-day}}</th><th data-t="flows.last-reading">{{flows.last-reading}}</th><th data-t="flows.read-today">{{flows.read-today}}</th><th data-t="flows.missed-days">{{flows.missed-days}}</th><th data-t="flows.actions">{{flows.actions}}</th></tr></thead><tbody></tbody></table>
        <div class="pager"><button id="roster-prev" type="button" data-t="console.prev">{{console.prev}}</button> <span id="roster-info" aria-live="polite"></span> <button id="roster-next" type="button" data-t="console.next">{{console.next}}</button></div>
      </section>
    <section aria-labelledby="transfers-title" class="wide" id="transfers-section"><h2 id="transfers-title" data-t="flows.transfers">{{flows.transfers}}</h2>
        <select id="transfers-filter" aria-label="{{console.filter-state}}" data-t-label="console.filter-state"><option value="awaiting" data-t="flows.awaiting">{{flows.awaiting}}</option><option value="" data-t="flows.all">{{flows.all}}</option></select>
        <table id="transfers"><thead><tr><th data-t="flows.handed-at">{{flows.handed-at}}</th><th data-t="flows.station">{{flows.station}}</th><th data-t="flows.clinic">{{flows.clinic}}</th><th data-t="flows.by">{{flows.by}}</th><th data-t="flows.person">{{flows.person}}</th><th data-t="flows.result">{{flows.result}}</th></tr></thead><tbody></tbody></table>
        <div class="pager"><button id="transfers-prev" type="button" data-t="console.prev">{{console.prev}}</button> <span id="transfers-info" aria-live="polite"></span> <button id="transfers-next" type="button" data-t="console.next">{{console.next}}</button></div>
      </section>
  </main>
</div>
<script type="application/json" id="console-messages">{{messages}}</script>
<script type="application/json" id="console-config">{{config}}</script>
<script src="/console.js"></script>
</body>
</html>`;
