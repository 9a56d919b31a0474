/**
 * The duty console page: one self-contained HTML document (no build step, no outside requests).
 * Log in; alerts arrive live (Server-Sent Events) with a flash and a tone; acknowledge and close
 * them with a disposition and the clinical thermometer's reading; station board; daily report
 * with CSV. Keyboard: every action is a real button or form field; "j"/"k" move between alerts,
 * "a" acknowledges, "c" opens the close form. Laid out for a 1366×768 screen.
 *
 * Every text comes from the message catalogue (protocol/messages.ts): the page is served in the
 * reader's language, carries both languages' console messages, and its switch changes language in
 * place and remembers the choice in a cookie (which the API reads too, so its errors follow).
 * Times are shown in the gateway's TIME_ZONE (Asia/Shanghai by default).
 */
import { CATALOGUE, LOCALES, type Locale, type MessageKey } from "@checkpoint/protocol";
import { LOCALE_COOKIE } from "./console-server.ts";

/** The catalogue sections the page uses. */
const PAGE_SECTIONS = ["console.", "kind.", "state.", "disposition.", "role."];

function pageMessages(): Record<Locale, Record<string, string>> {
  const keys = (Object.keys(CATALOGUE) as MessageKey[]).filter((k) =>
    PAGE_SECTIONS.some((p) => k.startsWith(p)),
  );
  const out = {} as Record<Locale, Record<string, string>>;
  for (const locale of LOCALES) out[locale] = Object.fromEntries(keys.map((k) => [k, CATALOGUE[k][locale]]));
  return out;
}

/** JSON that is safe inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function consolePage(locale: Locale, timeZone: string): string {
  // Texts without parameters, filled in for the first paint; the script fills them again on a switch.
  const texts: Record<string, string> = {};
  for (const [key, entry] of Object.entries(CATALOGUE)) texts[key] = escapeHtml(entry[locale]);
  return PAGE.replace(/\{\{([\w.-]+)\}\}/g, (whole, name: string) => {
    if (name === "lang") return locale;
    if (name === "messages") return scriptJson(pageMessages());
    if (name === "config") return scriptJson({ locale, timeZone, cookie: LOCALE_COOKIE });
    return texts[name] ?? whole;
  });
}

const PAGE = `<!doctype html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title data-t="console.title">{{console.title}}</title>
<style>
  :root { font: 15px/1.4 system-ui, "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif; color: #111; background: #f4f5f7; }
  body { margin: 0; }
  header { display: flex; justify-content: space-between; align-items: center; padding: 8px 16px; background: #1d2b3a; color: #fff; }
  main { display: grid; grid-template-columns: 1fr 580px; gap: 12px; padding: 12px 16px; max-width: 1366px; box-sizing: border-box; }
  section { background: #fff; border-radius: 6px; padding: 10px 12px; box-shadow: 0 1px 2px #0002; }
  h1 { font-size: 18px; margin: 0; } h2 { font-size: 16px; margin: 0 0 8px; }
  .alert { border: 2px solid #ddd; border-radius: 6px; padding: 8px; margin-bottom: 8px; }
  .alert:focus-within, .alert.selected { border-color: #1d6fd6; }
  .alert.fever { border-left: 8px solid #c62828; } .alert.missed-retest { border-left: 8px solid #ef6c00; }
  .alert.device-offline { border-left: 8px solid #6d4c41; }
  .alert.flash { animation: flash 1s 3; } @keyframes flash { 50% { background: #ffcdd2; } }
  .state { font-weight: 600; text-transform: uppercase; font-size: 12px; }
  button, select, input { font: inherit; padding: 4px 10px; }
  button:focus, select:focus, input:focus { outline: 3px solid #1d6fd6; outline-offset: 1px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; } td, th { padding: 3px 5px; border-bottom: 1px solid #eee; text-align: left; }
  .offline { color: #c62828; font-weight: 600; } .error { color: #c62828; font-weight: 600; }
  #login { max-width: 360px; margin: 80px auto; } #login label { display: block; margin: 8px 0 2px; }
  form.close { display: grid; grid-template-columns: auto 1fr; gap: 4px 8px; margin-top: 6px; }
  .lang { margin-left: 8px; }
  .hidden { display: none; }
</style>
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
      <p class="hint" data-t="console.keys">{{console.keys}}</p>
      <div id="alerts" aria-live="polite"></div>
    </section>
    <div>
      <section aria-labelledby="board-title"><h2 id="board-title" data-t="console.stations">{{console.stations}}</h2><table id="board"><thead><tr><th data-t="console.col.station">{{console.col.station}}</th><th data-t="console.col.online">{{console.col.online}}</th><th data-t="console.col.last-seen">{{console.col.last-seen}}</th><th data-t="console.col.today">{{console.col.today}}</th><th data-t="console.col.fevers">{{console.col.fevers}}</th><th data-t="console.col.outbox">{{console.col.outbox}}</th><th data-t="console.col.sensor">{{console.col.sensor}}</th></tr></thead><tbody></tbody></table></section>
      <section aria-labelledby="report-title" style="margin-top:12px"><h2 id="report-title" data-t="console.report">{{console.report}}</h2>
        <label for="report-date" data-t="console.day">{{console.day}}</label> <input id="report-date" type="date"> <button id="report-show" data-t="console.show">{{console.show}}</button> <a id="report-csv" href="#" data-t="console.csv">{{console.csv}}</a>
        <table id="report"><thead><tr><th data-t="console.col.station">{{console.col.station}}</th><th data-t="console.col.screened">{{console.col.screened}}</th><th data-t="console.col.retests">{{console.col.retests}}</th><th data-t="console.col.fevers">{{console.col.fevers}}</th><th data-t="console.col.transfers">{{console.col.transfers}}</th><th data-t="console.col.handovers">{{console.col.handovers}}</th></tr></thead><tbody></tbody></table>
      </section>
    </div>
  </main>
</div>
<script>
const MESSAGES = {{messages}};
const CONFIG = {{config}};
let locale = CONFIG.locale;
const $ = (id) => document.getElementById(id);
const alerts = new Map();
let selected = null;
let audio = null;
let user = null;

/** A message in the page's language; {name}s filled in one pass, as text. */
function T(key, params) {
  const text = (MESSAGES[locale] || MESSAGES["zh-CN"])[key];
  if (text === undefined) return key;
  return text.replace(/\\{([\\w-]+)\\}/g, (whole, name) => (params && Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole));
}
function timeOf(iso) { return new Intl.DateTimeFormat(locale, { timeZone: CONFIG.timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).format(new Date(iso)); }
function today() { return new Intl.DateTimeFormat("sv-SE", { timeZone: CONFIG.timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date()); }

function applyTexts() {
  document.documentElement.lang = locale;
  for (const e of document.querySelectorAll("[data-t]")) e.textContent = T(e.dataset.t);
  for (const e of document.querySelectorAll("[data-t-label]")) e.setAttribute("aria-label", T(e.dataset.tLabel));
  if (user) $("who").textContent = T("console.who", { username: user.username, role: T("role." + user.role) });
}

function switchLanguage() {
  locale = locale === "en" ? "zh-CN" : "en";
  document.cookie = CONFIG.cookie + "=" + locale + "; Path=/; Max-Age=31536000; SameSite=Strict";
  applyTexts();
  if (user) { render(); loadBoard().catch(() => {}); }
}

function tone() {
  try {
    audio = audio || new AudioContext();
    const o = audio.createOscillator(); const g = audio.createGain();
    o.frequency.value = 880; g.gain.value = 0.15; o.connect(g); g.connect(audio.destination);
    o.start(); o.stop(audio.currentTime + 0.4);
  } catch (e) { /* no sound available */ }
}

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401 && path !== "/api/login") showLogin(T("console.session-ended"));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function text(tag, value, cls) { const e = document.createElement(tag); e.textContent = value; if (cls) e.className = cls; return e; }

function render() {
  const box = $("alerts"); box.textContent = "";
  const list = [...alerts.values()].filter((a) => a.state !== "closed").sort((a, b) => b.raised_at.localeCompare(a.raised_at));
  $("count").textContent = "(" + list.length + ")";
  for (const a of list) {
    const div = document.createElement("div");
    const kind = T("kind." + a.kind);
    div.className = "alert " + a.kind + (a.id === selected ? " selected" : "") + (a.fresh ? " flash" : "");
    div.dataset.id = a.id; div.setAttribute("role", "group"); div.setAttribute("aria-label", T("console.alert-label", { kind, station: a.station }));
    const head = text("div", kind + " — " + a.station + " / " + a.device + (a.body_c ? " — " + a.body_c.toFixed(2) + " °C" : ""));
    head.style.fontWeight = "600";
    const state = text("span", T("state." + a.state), "state"); state.dataset.state = a.state;
    div.append(head, text("div", timeOf(a.raised_at) + "  " + (a.subject || ""), "sub"), state);
    if (a.state === "new") {
      const ack = text("button", T("console.acknowledge")); ack.dataset.action = "ack"; ack.onclick = () => act(a.id, "ack", {}); div.append(" ", ack);
    }
    const close = text("button", T("console.close")); close.dataset.action = "close"; close.onclick = () => closeForm(div, a); div.append(" ", close);
    box.append(div);
    a.fresh = false;
  }
}

function closeForm(div, a) {
  if (div.querySelector("form")) return;
  const f = document.createElement("form"); f.className = "close";
  const select = document.createElement("select"); select.name = "disposition"; select.required = true;
  select.append(new Option(T("console.choose"), ""));
  for (const d of ["released", "home-isolation", "fever-clinic"]) select.append(new Option(T("disposition." + d), d));
  const clinical = document.createElement("input"); clinical.name = "clinical_c"; clinical.type = "number"; clinical.step = "0.1"; clinical.min = "34"; clinical.max = "43"; clinical.required = a.kind === "fever";
  const note = document.createElement("input"); note.name = "note"; note.maxLength = 500;
  const submit = text("button", T("console.close-alert")); submit.type = "submit"; submit.dataset.action = "close-alert";
  f.append(text("label", T("console.outcome")), select, text("label", T("console.clinical")), clinical, text("label", T("console.note")), note, document.createElement("span"), submit, document.createElement("span"));
  const error = text("span", "", "error"); error.setAttribute("role", "alert"); f.append(error);
  f.onsubmit = async (e) => {
    e.preventDefault();
    const d = new FormData(f);
    try { await act(a.id, "close", { disposition: d.get("disposition"), clinical_c: d.get("clinical_c") === "" ? null : Number(d.get("clinical_c")), note: d.get("note") }); }
    catch (err) { error.textContent = err.message; }
  };
  div.append(f); select.focus();
}

async function act(id, verb, body) {
  const updated = await api("/api/alerts/" + id + "/" + verb, body);
  alerts.set(updated.id, updated); render();
}

async function loadBoard() {
  const rows = await api("/api/stations");
  const tb = $("board").tBodies[0]; tb.textContent = "";
  for (const s of rows) {
    const tr = document.createElement("tr");
    tr.append(text("td", s.station), text("td", s.online + "/" + s.devices, s.online < s.devices ? "offline" : ""),
      text("td", s.last_seen ? timeOf(s.last_seen) : T("console.never")), text("td", s.screened_today),
      text("td", s.fevers_today), text("td", s.outbox), text("td", s.sensor_faults ? T("console.sensor-faulty", { n: s.sensor_faults }) : T("console.sensor-ok"), s.sensor_faults ? "offline" : ""));
    tb.append(tr);
  }
}

async function loadReport() {
  const day = $("report-date").value;
  $("report-csv").href = "/api/report.csv?date=" + day;
  const rows = await api("/api/report?date=" + day);
  const tb = $("report").tBodies[0]; tb.textContent = "";
  for (const r of rows) { const tr = document.createElement("tr"); for (const k of ["station", "screened", "retests", "fevers", "transfers", "handovers"]) tr.append(text("td", r[k])); tb.append(tr); }
}

function showLogin(message) { $("app").classList.add("hidden"); $("login-view").classList.remove("hidden"); $("login-error").textContent = message || ""; }

async function start(me) {
  user = me; applyTexts();
  $("login-view").classList.add("hidden"); $("app").classList.remove("hidden");
  $("report-date").value = today();
  for (const a of await api("/api/alerts")) alerts.set(a.id, a);
  render();
  const feed = new EventSource("/api/events");
  feed.addEventListener("alert", (e) => { const a = JSON.parse(e.data); a.fresh = true; alerts.set(a.id, a); render(); tone(); });
  feed.addEventListener("update", (e) => { const a = JSON.parse(e.data); alerts.set(a.id, a); render(); });
  loadBoard().catch(() => {}); setInterval(() => loadBoard().catch(() => {}), 15000);
  loadReport().catch(() => {});
}

$("login-form").onsubmit = async (e) => {
  e.preventDefault();
  try { start(await api("/api/login", { username: $("username").value, password: $("password").value })); }
  catch (err) { $("login-error").textContent = err.message; }
};
for (const b of document.querySelectorAll("[data-action=language]")) b.onclick = switchLanguage;
$("logout").onclick = async () => { await api("/api/logout", {}); location.reload(); };
$("report-show").onclick = () => loadReport().catch((e) => alert(e.message));
document.addEventListener("keydown", (e) => {
  if (["INPUT", "SELECT", "TEXTAREA"].includes(e.target.tagName)) return;
  const ids = [...document.querySelectorAll("#alerts .alert")].map((d) => d.dataset.id);
  if (!ids.length) return;
  const i = ids.indexOf(selected);
  if (e.key === "j") selected = ids[Math.min(ids.length - 1, i + 1)];
  else if (e.key === "k") selected = ids[Math.max(0, i - 1)];
  else if (e.key === "a" && selected && alerts.get(selected).state === "new") return act(selected, "ack", {});
  else if (e.key === "c" && selected) { const div = document.querySelector('[data-id="' + selected + '"]'); return closeForm(div, alerts.get(selected)); }
  else return;
  render();
});
api("/api/me").then(start, () => showLogin(""));
</script>
</body>
</html>`;
