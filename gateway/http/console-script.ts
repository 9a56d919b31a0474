/**
 * The duty console page's script, served as /console.js: the page has no inline script (its
 * Content-Security-Policy allows scripts from the gateway only; see security-headers.ts). It reads
 * the catalogue's messages and the page's settings from the page's JSON data blocks
 * (console-page.ts), which are data, never run. Plain browser JavaScript, no build step; every
 * text goes in with textContent.
 */
export const CONSOLE_JS = `/** The catalogue's console messages in every language, and the page's settings: JSON data blocks in the page. */
const MESSAGES = JSON.parse(document.getElementById("console-messages").textContent);
const CONFIG = JSON.parse(document.getElementById("console-config").textContent);
let locale = CONFIG.locale;
const $ = (id) => document.getElementById(id);
const alerts = new Map();
let selected = null;
let audio = null;
let user = null;
/** Stations' display names by id, from the board (ids stay the key everywhere). */
const stationNames = new Map();

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
/** A station as people read it: its name, else its id. */
function stationLabel(id) { return stationNames.get(id) || id; }
/** A table cell with a station's name and, beside it, its id. */
function stationCell(id, name) { const td = text("td", name || id); if (name) td.append(" ", text("span", id, "sub")); return td; }

function render() {
  const box = $("alerts"); box.textContent = "";
  const list = [...alerts.values()].filter((a) => a.state !== "closed").sort((a, b) => b.raised_at.localeCompare(a.raised_at));
  $("count").textContent = "(" + list.length + ")";
  for (const a of list) {
    const div = document.createElement("div");
    const kind = T("kind." + a.kind);
    div.className = "alert " + a.kind + (a.id === selected ? " selected" : "") + (a.fresh ? " flash" : "");
    div.dataset.id = a.id; div.setAttribute("role", "group"); div.setAttribute("aria-label", T("console.alert-label", { kind, station: stationLabel(a.station) }));
    const head = text("div", kind + " — " + stationLabel(a.station) + " / " + a.device + (a.body_c ? " — " + a.body_c.toFixed(2) + " °C" : ""), "alert-head");
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

let renderPending = false;
function renderSoon() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => { renderPending = false; render(); });
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
    if (s.name) stationNames.set(s.station, s.name);
    const tr = document.createElement("tr");
    tr.append(stationCell(s.station, s.name), text("td", s.online + "/" + s.devices, s.online < s.devices ? "offline" : ""),
      text("td", s.last_seen ? timeOf(s.last_seen) : T("console.never")), text("td", s.screened_today),
      text("td", s.fevers_today), text("td", s.outbox), text("td", s.sensor_faults ? T("console.sensor-faulty", { n: s.sensor_faults }) : T("console.sensor-ok"), s.sensor_faults ? "offline" : ""));
    tb.append(tr);
  }
}

/** Grafana's technical alerts the gateway received (firing first, then resolved in the last day). */
async function loadGrafana() {
  const rows = await api("/api/grafana/alerts");
  const list = $("grafana"); list.textContent = "";
  if (!rows.length) { list.append(text("li", T("console.grafana-none"), "sub")); return; }
  for (const g of rows.slice(0, 10)) {
    const li = document.createElement("li"); li.className = g.status;
    li.append(text("span", T("console.grafana-" + g.status), "state"), " ", text("span", timeOf(g.starts_at) + "  "), text("span", g.summary || g.rule));
    list.append(li);
  }
}

async function loadReport() {
  const day = $("report-date").value;
  $("report-csv").href = "/api/report.csv?date=" + day;
  const rows = await api("/api/report?date=" + day);
  const tb = $("report").tBodies[0]; tb.textContent = "";
  for (const r of rows) { const tr = document.createElement("tr"); tr.append(stationCell(r.station, r.name)); for (const k of ["screened", "retests", "fevers", "transfers", "handovers"]) tr.append(text("td", r[k])); tb.append(tr); }
}

function showLogin(message) { $("app").classList.add("hidden"); $("login-view").classList.remove("hidden"); $("login-error").textContent = message || ""; }

async function start(me) {
  user = me; applyTexts();
  $("login-view").classList.add("hidden"); $("app").classList.remove("hidden");
  $("report-date").value = today();
  for (const a of await api("/api/alerts")) alerts.set(a.id, a);
  render();
  const feed = new EventSource("/api/events");
  // A burst (a retest point back online withdraws hundreds of alerts at once) redraws the list
  // once per frame, not once per event: a thousand open alerts stay responsive.
  feed.addEventListener("alert", (e) => { const a = JSON.parse(e.data); a.fresh = true; alerts.set(a.id, a); renderSoon(); tone(); });
  feed.addEventListener("update", (e) => { const a = JSON.parse(e.data); alerts.set(a.id, a); renderSoon(); });
  loadBoard().catch(() => {}); setInterval(() => loadBoard().catch(() => {}), 15000);
  loadGrafana().catch(() => {}); setInterval(() => loadGrafana().catch(() => {}), 15000);
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
`;
