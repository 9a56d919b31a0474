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
const stationIds = new Set();
/** Lanes' display names by "station/device", from the registry. */
const laneNames = new Map();
/** A lane as the station's staff call it, with its id beside the name. */
function laneLabel(station, device) { const n = laneNames.get(station + "/" + device); return n ? n + "（" + device + "）" : device === "desk" ? T("visitors.desk") : device; }

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
  for (const e of document.querySelectorAll("[data-t-placeholder]")) e.setAttribute("placeholder", T(e.dataset.tPlaceholder));
  if (user) $("who").textContent = T("console.who", { username: user.username, role: T("role." + user.role) });
}

function switchLanguage() {
  locale = locale === "en" ? "zh-CN" : "en";
  document.cookie = CONFIG.cookie + "=" + locale + "; Path=/; Max-Age=31536000; SameSite=Strict";
  applyTexts();
  if (user) { render(); loadBoard().catch(() => {}); }
  $("mute").textContent = T(muted ? "console.unmute" : "console.mute");
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
function stationLabel(id) { return stationNames.get(id) || (places.townships.find((p) => p.id === id) || {}).name || id; }
/** A table cell with a station's name and, beside it, its id. */
function stationCell(id, name) { const td = text("td", name || id); if (name) td.append(" ", text("span", id, "sub")); return td; }

/** The list as the officer filtered it: one page of the server's answer, and how many match in all. */
const view = { state: "open", station: "", kind: "", q: "", offset: 0, limit: 50 };
let total = 0;
/** The alert cards on screen, by id: kept, and updated in place, as long as they are listed. */
const cards = new Map();
/** Alerts that arrived live since the last look: they flash once. */
const fresh = new Set();

function officer() { return user && user.role !== "technician" && user.role !== "township"; }
/** A township's staff: their own roster and the alerts raised to their township. */
function township() { return user && user.role === "township"; }
/** Officers take up every alert; technicians a device's (a person's alerts are the officers'); a township its own isolated people's and workers' devices'. */
function mayAct(a) { return officer() || (user && user.role === "technician" && a.kind === "device-offline") || (township() && a.station === user.township && ["isolation-missed", "isolation-fever", "device-offline"].includes(a.kind)); }
function whenOf(iso) { return iso ? new Intl.DateTimeFormat(locale, { timeZone: CONFIG.timeZone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).format(new Date(iso)) : ""; }

/**
 * Draws the page of alerts without ever re-creating a card that is on screen: an officer's
 * half-filled close form (and the focus in it) survives any number of live updates. A card with an
 * open form stays even when the list moves on without it, until the form is sent or cancelled.
 */
function render() {
  const box = $("alerts");
  const list = [...alerts.values()];
  const wanted = new Set(list.map((a) => a.id));
  let ref = box.firstChild;
  for (const a of list) {
    let div = cards.get(a.id);
    if (!div) { div = document.createElement("div"); div.dataset.id = a.id; cards.set(a.id, div); }
    fillCard(div, a);
    // Walk past cards that stay only for their open form; move nothing that is already in place.
    while (ref && ref !== div && !wanted.has(ref.dataset.id)) ref = ref.nextSibling;
    if (ref === div) ref = ref.nextSibling; else box.insertBefore(div, ref);
  }
  for (const [id, div] of cards) {
    if (wanted.has(id) || div.querySelector("form.close")) continue;
    div.remove(); cards.delete(id);
  }
  const from = total ? view.offset + 1 : 0;
  const to = Math.min(total, view.offset + list.length);
  $("count").textContent = "(" + total + ")";
  $("page-info").textContent = total ? T("console.page-of", { from, to, total }) : T("console.page-none");
  $("prev").disabled = view.offset === 0;
  $("next").disabled = view.offset + view.limit >= total;
  $("ack-page").classList.toggle("hidden", !officer());
  // Searching matches pseudonyms: a person lookup, the officers'.
  $("f-q").classList.toggle("hidden", !officer());
  // Tracing a person is the officers' (the server refuses anyone else).
  $("trace-title").parentElement.classList.toggle("hidden", !officer());
  // So is registering one at the desk, and seeing who came (pseudonyms) in the visitor log.
  $("desk-section").classList.toggle("hidden", !officer());
  for (const e of document.querySelectorAll("#visitors .people")) e.classList.toggle("hidden", !officer());
  $("watch-only").classList.toggle("hidden", officer() || township());
  // The roster is the officers' and, for its own people, the township's; transfers the officers'.
  $("roster-section").classList.toggle("hidden", !officer() && !township());
  $("roster-township").classList.toggle("hidden", !officer());
  document.querySelector("label[for=roster-township]").classList.toggle("hidden", !officer());
  $("transfers-section").classList.toggle("hidden", !officer());
  // A township's staff see their roster and the alerts raised to them; the checkpoints' board,
  // report, visitors and technical alerts are not theirs (the server refuses them too).
  for (const id of ["board-section", "report-section", "visitors-section", "grafana-section"]) $(id).classList.toggle("hidden", !!township());
}

/** A card's text and buttons, redone in its own part; the close form below them is left alone. */
function fillCard(div, a) {
  const kind = T("kind." + a.kind);
  div.className = "alert " + a.kind + (a.id === selected ? " selected" : "") + (fresh.has(a.id) ? " flash" : "");
  fresh.delete(a.id);
  div.setAttribute("role", "group"); div.setAttribute("aria-label", T("console.alert-label", { kind, station: stationLabel(a.station) }));
  let body = div.querySelector(".card-body");
  if (!body) { body = document.createElement("div"); body.className = "card-body"; div.prepend(body); }
  const parts = [
    text("div", kind + " — " + stationLabel(a.station) + " / " + laneLabel(a.station, a.device) + (a.body_c ? " — " + a.body_c.toFixed(2) + " °C" : ""), "alert-head"),
    text("div", whenOf(a.raised_at) + "  " + (a.subject || ""), "sub"),
  ];
  // A health-code alert says which colour stopped the person.
  if (a.code_colour) { const c = text("div", T("console.code-colour", { colour: T("colour." + a.code_colour) }), "code-colour"); c.dataset.colour = a.code_colour; parts.splice(1, 0, c); }
  const state = text("span", T("state." + a.state), "state"); state.dataset.state = a.state; parts.push(state);
  if (a.acknowledged_by) parts.push(" ", text("span", T("console.acked-by", { officer: a.acknowledged_by, at: whenOf(a.acknowledged_at) }), "sub who"));
  if (a.state === "closed") parts.push(" ", text("span", T("console.closed-by", { officer: a.closed_by || "", at: whenOf(a.closed_at), disposition: a.disposition ? T("disposition." + a.disposition) : "" }), "sub who"));
  if (mayAct(a) && a.state === "new") {
    const ack = text("button", T("console.acknowledge")); ack.dataset.action = "ack"; ack.onclick = () => act(a.id, "ack", {}); parts.push(" ", ack);
  }
  if (mayAct(a) && a.state !== "closed") {
    const close = text("button", T("console.close")); close.dataset.action = "close"; close.onclick = () => closeForm(div, a); parts.push(" ", close);
  }
  body.replaceChildren(...parts);
}

/** Asks the server for the page the officer is looking at (true counts, filters, paging). */
async function load() {
  const q = new URLSearchParams({ state: view.state, limit: String(view.limit), offset: String(view.offset) });
  if (view.station) q.set("station", view.station);
  if (view.kind) q.set("kind", view.kind);
  if (view.q.trim()) q.set("q", view.q.trim());
  const answer = await api("/api/alerts?" + q);
  // Past the end (the last alerts of the last page were closed): back one page.
  if (!answer.alerts.length && view.offset > 0 && answer.total > 0) { view.offset = Math.max(0, view.offset - view.limit); return load(); }
  alerts.clear();
  for (const a of answer.alerts) alerts.set(a.id, a);
  total = answer.total;
  render();
}

let loadTimer = null;
/** Live updates come in bursts: the page is asked for again at most every 300 ms. */
function loadSoon() {
  if (loadTimer) return;
  loadTimer = setTimeout(() => { loadTimer = null; load().catch(() => {}); }, 300);
}

function closeForm(div, a) {
  if (div.querySelector("form")) return;
  const f = document.createElement("form"); f.className = "close";
  const select = document.createElement("select"); select.name = "disposition"; select.required = true;
  select.append(new Option(T("console.choose"), ""));
  // Only the outcomes that fit this kind of alert: a device is repaired, a person released or handed on.
  for (const d of CONFIG.dispositions[a.kind] || []) select.append(new Option(T("disposition." + d), d));
  const person = a.kind !== "device-offline";
  const clinical = document.createElement("input"); clinical.name = "clinical_c"; clinical.type = "number"; clinical.step = "0.1"; clinical.min = "34"; clinical.max = "43"; clinical.required = a.kind === "fever";
  const note = document.createElement("input"); note.name = "note"; note.maxLength = 500;
  const submit = text("button", T("console.close-alert")); submit.type = "submit"; submit.dataset.action = "close-alert";
  const cancel = text("button", T("console.cancel")); cancel.type = "button"; cancel.dataset.action = "cancel"; cancel.onclick = () => { f.remove(); render(); };
  // A handover names the township, a transfer the clinic: the one list that fits the outcome shows.
  const township = placeSelect("township", places.townships); const clinic = placeSelect("clinic", places.clinics);
  const townshipLabel = text("label", T("flows.township")); const clinicLabel = text("label", T("flows.clinic"));
  const showPlaces = () => {
    // None configured (TOWNSHIPS, CLINICS): the alert closes without one, as the server allows.
    for (const [el, label, d, list] of [[township, townshipLabel, "home-isolation", places.townships], [clinic, clinicLabel, "fever-clinic", places.clinics]]) {
      const on = select.value === d && list.length > 0; el.classList.toggle("hidden", !on); label.classList.toggle("hidden", !on); el.required = on; el.disabled = !on;
    }
  };
  select.onchange = showPlaces;
  f.append(text("label", T("console.outcome")), select, townshipLabel, township, clinicLabel, clinic);
  showPlaces();
  if (person) f.append(text("label", T("console.clinical")), clinical);
  f.append(text("label", T("console.note")), note, document.createElement("span"), submit, document.createElement("span"), cancel);
  const error = text("span", "", "error"); error.setAttribute("role", "alert"); f.append(error);
  f.onsubmit = async (e) => {
    e.preventDefault();
    const d = new FormData(f);
    const c = d.get("clinical_c");
    const body = { disposition: d.get("disposition"), clinical_c: c === null || c === "" ? null : Number(c), note: d.get("note") };
    if (d.get("township")) body.township = d.get("township");
    if (d.get("clinic")) body.clinic = d.get("clinic");
    try { await act(a.id, "close", body); f.remove(); render(); loadSoon(); loadFlows(); }
    catch (err) { error.textContent = err.message; }
  };
  div.append(f); select.focus();
}

/** Townships and clinics (GATEWAY TOWNSHIPS, CLINICS), by id with their names. */
let places = { townships: [], clinics: [] };
/** A pseudonym in a narrow cell: its start, the whole of it on hover. */
function shortCell(pseudonym) { const td = text("td", pseudonym.length > 14 ? pseudonym.slice(0, 13) + "…" : pseudonym, "sub"); td.title = pseudonym; return td; }
function placeName(list, id) { const p = list.find((x) => x.id === id); return p ? p.name : id; }
function placeSelect(name, list) {
  const s = document.createElement("select"); s.name = name;
  s.append(new Option(T("console.choose"), ""));
  for (const p of list) s.append(new Option(p.name, p.id));
  return s;
}

/** A form is open in this table (a reading, a reason, a result being typed): it is not redrawn under the officer. */
function busy(table) { return !!$(table).querySelector("form"); }

/** Where the roster and the transfers are paged to (a city has more people in isolation than one page holds). */
const rosterView = { offset: 0, limit: 100 };
const transfersView = { offset: 0, limit: 100 };
/** A table's pager: "第 101–150 条，共 150 条", previous and next. */
function pager(name, v, total, shown) {
  $(name + "-info").textContent = total ? T("console.page-of", { from: v.offset + 1, to: v.offset + shown, total }) : "";
  $(name + "-prev").disabled = v.offset === 0;
  $(name + "-next").disabled = v.offset + v.limit >= total;
}

/** The home-isolation roster: today's reading in or not, missed days, a reading typed in, an early end. */
async function loadRoster() {
  if ((!officer() && !township()) || busy("roster")) return;
  const q = new URLSearchParams({ limit: String(rosterView.limit), offset: String(rosterView.offset) });
  if ($("roster-township").value) q.set("township", $("roster-township").value);
  if ($("roster-state").value) q.set("state", $("roster-state").value);
  const page = await api("/api/roster?" + q);
  if (busy("roster")) return;
  // The page emptied under it (isolations ended): back one page.
  if (!page.entries.length && rosterView.offset > 0 && page.total > 0) { rosterView.offset = Math.max(0, rosterView.offset - rosterView.limit); return loadRoster(); }
  $("roster-count").textContent = T("flows.page", { total: page.total });
  pager("roster", rosterView, page.total, page.entries.length);
  const tb = $("roster").tBodies[0]; tb.textContent = "";
  if (!page.entries.length) { const tr = document.createElement("tr"); const td = text("td", T("flows.none"), "sub"); td.colSpan = 8; tr.append(td); tb.append(tr); }
  for (const e of page.entries) {
    const tr = document.createElement("tr"); tr.dataset.id = e.id;
    tr.className = e.state !== "active" ? "ended" : e.read_today ? "" : "unread";
    const last = e.last_reading_at ? Number(e.last_body_c).toFixed(1) + " °C " + whenOf(e.last_reading_at) : T("flows.none");
    const actions = document.createElement("td");
    if (e.state === "active") {
      const read = text("button", T("flows.record-reading")); read.type = "button"; read.dataset.action = "reading"; read.onclick = () => readingForm(actions, e);
      const end = text("button", T("flows.end")); end.type = "button"; end.dataset.action = "end"; end.onclick = () => endForm(actions, e);
      actions.append(read);
      // Ending an isolation early is the officers' decision.
      if (officer()) actions.append(" ", end);
    } else actions.append(text("span", T("flows.state." + e.state), "sub"));
    tr.append(shortCell(e.subject), text("td", placeName(places.townships, e.township)), text("td", whenOf(e.start_at)), text("td", e.end_day),
      text("td", last), text("td", T(e.read_today ? "flows.read-today" : "flows.not-read-today"), e.read_today ? "" : "offline"), text("td", String(e.missed_days), e.missed_days ? "offline" : ""), actions);
    tb.append(tr);
  }
}

function inlineForm(cell, fields, send) {
  if (cell.querySelector("form")) return;
  const f = document.createElement("form"); f.className = "inline";
  const save = text("button", T("flows.save")); save.type = "submit"; save.dataset.action = "save";
  const cancel = text("button", T("console.cancel")); cancel.type = "button"; cancel.onclick = () => { f.remove(); loadRoster().catch(() => {}); loadTransfers().catch(() => {}); };
  const error = text("span", "", "error"); error.setAttribute("role", "alert");
  f.append(...fields, save, cancel, error);
  // Sent once: a double Enter (or click) while the first is on its way would type the reading in twice.
  let sending = false;
  f.onsubmit = async (e) => {
    e.preventDefault(); if (sending) return; sending = true; save.disabled = true;
    try { await send(new FormData(f)); f.remove(); loadRoster().catch(() => {}); loadTransfers().catch(() => {}); loadFlows(); }
    catch (err) { error.textContent = err.message; }
    finally { sending = false; save.disabled = false; }
  };
  cell.append(f); fields[0].focus();
}

function readingForm(cell, e) {
  const c = document.createElement("input"); c.name = "body_c"; c.type = "number"; c.step = "0.1"; c.min = "30"; c.max = "45"; c.required = true; c.setAttribute("aria-label", T("flows.last-reading"));
  const m = document.createElement("select"); m.name = "method"; m.setAttribute("aria-label", T("flows.method"));
  for (const x of CONFIG.methods) m.append(new Option(T("flows.method." + x), x));
  m.value = "armpit";
  inlineForm(cell, [c, m], (d) => api("/api/roster/" + e.id + "/readings", { body_c: Number(d.get("body_c")), method: d.get("method") }));
}

function endForm(cell, e) {
  const r = document.createElement("input"); r.name = "reason"; r.required = true; r.minLength = 2; r.maxLength = 200; r.placeholder = T("flows.end-reason"); r.setAttribute("aria-label", T("flows.end-reason"));
  inlineForm(cell, [r], (d) => api("/api/roster/" + e.id + "/end", { reason: d.get("reason") }));
}

/** Transfers to fever clinics, awaiting their result first; the clinic's result recorded in place. */
async function loadTransfers() {
  if (!officer() || busy("transfers")) return;
  const q = new URLSearchParams({ limit: String(transfersView.limit), offset: String(transfersView.offset) });
  if ($("transfers-filter").value === "awaiting") q.set("awaiting", "true");
  const page = await api("/api/transfers?" + q);
  if (busy("transfers")) return;
  if (!page.transfers.length && transfersView.offset > 0 && page.total > 0) { transfersView.offset = Math.max(0, transfersView.offset - transfersView.limit); return loadTransfers(); }
  pager("transfers", transfersView, page.total, page.transfers.length);
  const tb = $("transfers").tBodies[0]; tb.textContent = "";
  if (!page.transfers.length) { const tr = document.createElement("tr"); const td = text("td", T("flows.none"), "sub"); td.colSpan = 6; tr.append(td); tb.append(tr); }
  for (const x of page.transfers) {
    const tr = document.createElement("tr"); tr.dataset.id = x.id;
    const result = document.createElement("td");
    if (x.result) result.append(text("span", T("result." + x.result)), " ", text("span", T("flows.result-by", { officer: x.result_by, at: whenOf(x.result_at) }), "sub"));
    else {
      const b = text("button", T("flows.record-result")); b.type = "button"; b.dataset.action = "result";
      b.onclick = () => {
        const s = document.createElement("select"); s.name = "result"; s.required = true; s.setAttribute("aria-label", T("flows.result"));
        s.append(new Option(T("console.choose"), ""));
        for (const r of CONFIG.results) s.append(new Option(T("result." + r), r));
        const n = document.createElement("input"); n.name = "note"; n.maxLength = 500; n.setAttribute("aria-label", T("console.note")); n.placeholder = T("console.note");
        // Sent home to isolate: the township whose roster takes the person (shown for that result only).
        const tw = placeSelect("township", places.townships); tw.setAttribute("aria-label", T("flows.township"));
        const showTownship = () => { const on = s.value === "home-isolation" && places.townships.length > 0; tw.classList.toggle("hidden", !on); tw.required = on; tw.disabled = !on; };
        s.onchange = showTownship; showTownship();
        inlineForm(result, [s, tw, n], (d) => api("/api/transfers/" + x.id + "/result", Object.assign({ result: d.get("result"), note: d.get("note") }, d.get("township") ? { township: d.get("township") } : {})));
      };
      result.append(text("span", T("flows.no-result"), "sub"), " ", b);
    }
    tr.append(text("td", whenOf(x.handed_over_at)), stationCell(x.station, stationNames.get(x.station)), text("td", placeName(places.clinics, x.clinic)), text("td", x.handed_over_by), shortCell(x.subject), result);
    tb.append(tr);
  }
}

/** The city's people flows for the report's day, as the city reports them. */
function loadFlows() {
  const day = $("report-date").value;
  api("/api/flows" + (day ? "?date=" + day : "")).then((c) => {
    $("city-flows").textContent = T("flows.city-roster", { active: c.roster_active, read: c.roster_read_today, compliance: Math.round(c.compliance * 100) + "%" }) + "；" + T("flows.city-moves", { handed: c.handed_over, transferred: c.transferred });
  }, () => {});
}

async function act(id, verb, body) {
  const updated = await api("/api/alerts/" + id + "/" + verb, body);
  if (alerts.has(updated.id)) alerts.set(updated.id, updated);
  render(); loadSoon();
}

async function ackPage() {
  const ids = [...alerts.values()].filter((a) => a.state === "new").map((a) => a.id);
  if (!ids.length) return;
  const answer = await api("/api/alerts/ack", { ids });
  $("ack-result").textContent = T("console.acked-many", { n: answer.acknowledged });
  await load();
}

function setFilters() {
  view.state = $("f-state").value; view.kind = $("f-kind").value; view.station = $("f-station").value; view.q = $("f-q").value;
  view.offset = 0; load().catch((e) => alert(e.message));
}

function fillStationFilter() {
  const select = $("f-station"); const chosen = select.value;
  select.replaceChildren(new Option(T("console.filter-all"), ""));
  for (const [id, name] of [...stationNames.entries()].sort()) select.append(new Option(name + " (" + id + ")", id));
  for (const id of stationIds) if (!stationNames.has(id)) select.append(new Option(id, id));
  select.value = chosen;
  // The desk's and the visitor log's station lists: every station, by name.
  for (const id of ["desk-station", "visitors-station"]) {
    const list = $(id); const was = list.value;
    list.replaceChildren();
    for (const [sid, name] of [...stationNames.entries()].sort()) list.append(new Option(name + " (" + sid + ")", sid));
    for (const sid of [...stationIds].sort()) if (!stationNames.has(sid)) list.append(new Option(sid, sid));
    if (was) list.value = was;
  }
}

async function loadBoard() {
  const named = laneNames.size;
  for (const l of await api("/api/lanes")) laneNames.set(l.station + "/" + l.device, l.name);
  if (laneNames.size !== named) render();
  const rows = await api("/api/stations");
  const tb = $("board").tBodies[0]; tb.textContent = "";
  for (const s of rows) {
    if (s.name) stationNames.set(s.station, s.name);
    stationIds.add(s.station);
    const tr = document.createElement("tr");
    tr.append(stationCell(s.station, s.name), text("td", s.online + "/" + s.devices, s.online < s.devices ? "offline" : ""),
      text("td", s.last_seen ? timeOf(s.last_seen) : T("console.never")), text("td", s.screened_today),
      text("td", s.fevers_today), text("td", s.outbox), text("td", s.sensor_faults ? T("console.sensor-faulty", { n: s.sensor_faults }) : T("console.sensor-ok"), s.sensor_faults ? "offline" : ""));
    tb.append(tr);
  }
  fillStationFilter();
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

/** One-code tracing: a code from the desk's scanner (it types and presses Enter) or a pseudonym. */
async function runTrace() {
  const value = $("trace-code").value.trim();
  const body = /^[gl]\\d+:/.test(value) ? { pseudonym: value } : { code: value };
  body.reason = $("trace-reason").value;
  $("trace-error").textContent = "";
  let r;
  try { r = await api("/api/trace", body); }
  catch (err) { $("trace-error").textContent = err.message; $("trace-result").classList.add("hidden"); return; }
  // The code leaves the screen once looked up: the desk keeps no one's code in view.
  $("trace-code").value = "";
  const stations = new Set(r.screenings.map((x) => x.station));
  $("trace-summary").textContent = r.screenings.length
    ? T("console.trace-summary", { n: r.screenings.length, stations: stations.size, alerts: r.alerts.length }) + "  " + (r.subjects[0] || "")
    : T("console.trace-none");
  const tb = $("trace-table").tBodies[0]; tb.textContent = "";
  for (const x of r.screenings) {
    const tr = document.createElement("tr");
    tr.className = x.verdict;
    tr.append(text("td", whenOf(new Date(x.atMs).toISOString())), stationCell(x.station, stationNames.get(x.station)), text("td", laneLabel(x.station, x.device)),
      text("td", T(ENTRIES[x.entry] || "visitors.entry.unknown")), text("td", String(x.attempt)), text("td", T("verdict." + x.verdict)), text("td", Number(x.bodyC).toFixed(2)),
      text("td", x.codeColour ? T("colour." + x.codeColour) : ""));
    if (x.codeColour) tr.dataset.colour = x.codeColour;
    tb.append(tr);
  }
  const list = $("trace-alerts"); list.textContent = "";
  for (const a of r.alerts) {
    list.append(text("li", whenOf(a.raised_at) + "  " + T("kind." + a.kind) + (a.code_colour ? "（" + T("colour." + a.code_colour) + "）" : "") + " — " + stationLabel(a.station) + " — " + T("state." + a.state) + (a.disposition ? "：" + T("disposition." + a.disposition) : "")));
  }
  for (const e of r.isolation || []) list.append(text("li", T("flows.isolation-status", { township: placeName(places.townships, e.township), start: whenOf(e.start_at), end: e.end_day, state: T("flows.state." + e.state) }), "isolation"));
  for (const x of r.transfers || []) list.append(text("li", T("flows.transfer-status", { clinic: placeName(places.clinics, x.clinic), at: whenOf(x.handed_over_at), result: x.result ? T("result." + x.result) : T("flows.no-result") }), "transfer"));
  $("trace-result").classList.remove("hidden");
}

/**
 * Registration without a code: the ID number as typed, the handheld reading, the station. Once
 * registered, the number leaves the form (the desk keeps no one's number in view) and the station's
 * visitor log shows today's page with the person on it.
 */
async function runDesk() {
  $("desk-error").textContent = ""; $("desk-result").textContent = "";
  const station = $("desk-station").value;
  let r;
  try { r = await api("/api/desk/register", { id_number: $("desk-id").value, body_c: Number($("desk-temp").value), station }); }
  catch (err) { $("desk-error").textContent = err.message; return; }
  $("desk-id").value = ""; $("desk-temp").value = "";
  $("desk-result").textContent = T("console.desk-done", { verdict: T("verdict." + r.verdict), temp: Number(r.body_c).toFixed(1), subject: r.subject });
  $("desk-result").className = r.verdict;
  $("visitors-station").value = station; $("visitors-date").value = today(); visitorsView.offset = 0;
  await loadVisitors();
}

/** A station's visitor log for a day, newest first, a page at a time. */
const visitorsView = { offset: 0, limit: 20 };
const ENTRIES = { code: "visitors.entry.code", card: "visitors.entry.card", keypad: "visitors.entry.keypad", desk: "visitors.entry.desk" };
async function loadVisitors() {
  const station = $("visitors-station").value; const day = $("visitors-date").value;
  if (!station || !day) return;
  const q = new URLSearchParams({ station, date: day });
  $("visitors-csv").href = "/api/visitors.csv?" + q;
  q.set("limit", String(visitorsView.limit)); q.set("offset", String(visitorsView.offset));
  const log = await api("/api/visitors?" + q);
  const tb = $("visitors").tBodies[0]; tb.textContent = "";
  for (const v of log.rows) {
    const tr = document.createElement("tr"); tr.className = v.verdict;
    const lane = laneLabel(station, v.device);
    const cells = [text("td", timeOf(v.at)), text("td", lane), text("td", T(ENTRIES[v.entry] || "visitors.entry.unknown"))];
    if (officer()) { const td = document.createElement("td"); td.append(text("span", v.subject || "", "sub")); cells.push(td); }
    cells.push(text("td", T("verdict." + v.verdict)), text("td", Number(v.body_c).toFixed(2)));
    tr.append(...cells); tb.append(tr);
  }
  const from = log.total ? log.offset + 1 : 0;
  $("visitors-info").textContent = log.total ? T("console.visitors-page", { from, to: log.offset + log.rows.length, total: log.total }) : T("console.visitors-none");
  $("visitors-prev").disabled = visitorsView.offset === 0;
  $("visitors-next").disabled = visitorsView.offset + visitorsView.limit >= log.total;
}

/** The shift's summary, in sentences an officer reads out at the handover. */
async function loadHandover() {
  const h = await api("/api/handover?hours=" + encodeURIComponent($("handover-hours").value || "12"));
  const list = (rows, label) => rows.length ? rows.map((r) => label(r) + " " + r.n).join("，") : T("console.handover-none");
  const ul = $("handover"); ul.textContent = "";
  ul.append(text("li", T("console.handover-raised", { list: list(h.raised, (r) => T("kind." + r.kind)) })));
  ul.append(text("li", T("console.handover-closed", { list: list(h.closed, (r) => T("disposition." + r.disposition) + "（" + r.officer + "）") })));
  ul.append(text("li", T("console.handover-open", { list: list(h.open, (r) => T("kind." + r.kind) + "·" + T("state." + r.state)) })));
  const oldest = h.open.map((r) => r.oldest).sort()[0];
  if (oldest) ul.append(text("li", T("console.handover-oldest", { at: whenOf(oldest) })));
}

function showLogin(message) { $("app").classList.add("hidden"); $("login-view").classList.remove("hidden"); $("login-error").textContent = message || ""; }

async function start(me) {
  user = me; applyTexts();
  $("login-view").classList.add("hidden"); $("app").classList.remove("hidden");
  $("report-date").value = today();
  $("visitors-date").value = today();
  await load();
  const feed = new EventSource("/api/events");
  // A burst (a retest point back online withdraws hundreds of alerts at once) asks for the page
  // again at most every 300 ms, not once per event; cards on screen are updated, never rebuilt.
  feed.addEventListener("alert", (e) => { const a = JSON.parse(e.data); fresh.add(a.id); loadSoon(); if (!muted) tone(); });
  feed.addEventListener("update", (e) => { const a = JSON.parse(e.data); if (alerts.has(a.id)) { alerts.set(a.id, a); render(); } loadSoon(); });
  loadBoard().then(() => loadVisitors()).catch(() => {}); setInterval(() => loadBoard().catch(() => {}), 15000);
  loadGrafana().catch(() => {}); setInterval(() => loadGrafana().catch(() => {}), 15000);
  loadReport().catch(() => {});
  places = await api("/api/places").catch(() => places);
  // Cards drawn before the townships' names were known say them now.
  render();
  for (const p of places.townships) $("roster-township").append(new Option(p.name, p.id));
  const flows = () => { loadRoster().catch(() => {}); loadTransfers().catch(() => {}); loadFlows(); };
  flows(); setInterval(flows, 15000);
  feed.addEventListener("update", (e) => { const a = JSON.parse(e.data); if (a.state === "closed") flows(); });
  feed.addEventListener("alert", (e) => { const a = JSON.parse(e.data); if (a.kind.startsWith("isolation-")) loadRoster().catch(() => {}); });
}

$("login-form").onsubmit = async (e) => {
  e.preventDefault();
  try { start(await api("/api/login", { username: $("username").value, password: $("password").value })); }
  catch (err) { $("login-error").textContent = err.message; }
};
for (const b of document.querySelectorAll("[data-action=language]")) b.onclick = switchLanguage;
$("logout").onclick = async () => { await api("/api/logout", {}); location.reload(); };
$("report-show").onclick = () => { loadReport().catch((e) => alert(e.message)); loadFlows(); };
$("roster-township").onchange = () => { rosterView.offset = 0; loadRoster().catch((e) => alert(e.message)); };
$("roster-state").onchange = () => { rosterView.offset = 0; loadRoster().catch((e) => alert(e.message)); };
$("roster-prev").onclick = () => { rosterView.offset = Math.max(0, rosterView.offset - rosterView.limit); loadRoster().catch((e) => alert(e.message)); };
$("roster-next").onclick = () => { rosterView.offset += rosterView.limit; loadRoster().catch((e) => alert(e.message)); };
$("transfers-prev").onclick = () => { transfersView.offset = Math.max(0, transfersView.offset - transfersView.limit); loadTransfers().catch((e) => alert(e.message)); };
$("transfers-next").onclick = () => { transfersView.offset += transfersView.limit; loadTransfers().catch((e) => alert(e.message)); };
$("transfers-filter").onchange = () => { transfersView.offset = 0; loadTransfers().catch((e) => alert(e.message)); };
$("trace-form").onsubmit = (e) => { e.preventDefault(); runTrace(); };
$("handover-show").onclick = () => loadHandover().catch((e) => alert(e.message));
$("desk-form").onsubmit = (e) => { e.preventDefault(); runDesk(); };
const showVisitors = () => loadVisitors().catch((e) => { $("visitors-info").textContent = e.message; });
$("visitors-show").onclick = () => { visitorsView.offset = 0; showVisitors(); };
$("visitors-station").onchange = () => { visitorsView.offset = 0; showVisitors(); };
$("visitors-prev").onclick = () => { visitorsView.offset = Math.max(0, visitorsView.offset - visitorsView.limit); showVisitors(); };
$("visitors-next").onclick = () => { visitorsView.offset += visitorsView.limit; showVisitors(); };
$("prev").onclick = () => { view.offset = Math.max(0, view.offset - view.limit); load().catch((e) => alert(e.message)); };
$("next").onclick = () => { view.offset += view.limit; load().catch((e) => alert(e.message)); };
$("ack-page").onclick = () => ackPage().catch((e) => { $("ack-result").textContent = e.message; });
for (const id of ["f-state", "f-kind", "f-station"]) $(id).onchange = setFilters;
let searchTimer = null;
$("f-q").oninput = () => { clearTimeout(searchTimer); searchTimer = setTimeout(setFilters, 300); };
let muted = false;
$("mute").onclick = () => { muted = !muted; $("mute").textContent = T(muted ? "console.unmute" : "console.mute"); };
$("sound-test").onclick = () => tone();
/** One key to each part of the page: the list, tracing, the stations, the report, the handover, the roster, the transfers (Alt+1…7). */
const SECTION_KEYS = { "1": "alerts-title", "2": "trace-code", "3": "board-title", "4": "report-title", "5": "handover-title", "6": "roster-title", "7": "transfers-title" };
function jumpTo(key) {
  const target = $(SECTION_KEYS[key]);
  target.scrollIntoView({ block: "start" });
  if (target.tagName === "INPUT") target.focus();
  else { target.tabIndex = -1; target.focus(); }
  if (key === "5") loadHandover().catch(() => {});
}
/**
 * A desk scanner types a whole code in a few milliseconds. Keys that come that fast, with the focus
 * on the page, are a scan, not an officer: they go into the trace box (ending with its Enter),
 * and no single-letter shortcut (a: acknowledge, c: close) acts on a letter of the code.
 */
let burst = [];
let burstTimer = null;
function flushBurst() {
  burstTimer = null;
  const keys = burst; burst = [];
  if (keys.length === 1) return shortcut(keys[0]);
  const box = $("trace-code");
  box.focus();
  box.value += keys.map((k) => k.key).join("");
}
document.addEventListener("keydown", (e) => {
  if (["INPUT", "SELECT", "TEXTAREA"].includes(e.target.tagName)) return;
  if (e.altKey && SECTION_KEYS[e.key]) { e.preventDefault(); return jumpTo(e.key); }
  // The scanner's Enter at the end of a scan: the code goes to the trace box, which asks for a reason.
  if (e.key === "Enter" && burst.length > 1) { clearTimeout(burstTimer); flushBurst(); $("trace-form").requestSubmit(); e.preventDefault(); return; }
  if (e.key.length !== 1 || e.ctrlKey || e.metaKey || e.altKey) return;
  e.preventDefault();
  burst.push({ key: e.key });
  clearTimeout(burstTimer);
  burstTimer = setTimeout(flushBurst, 40);
});
function shortcut(e) {
  const ids = [...document.querySelectorAll("#alerts .alert")].map((d) => d.dataset.id);
  if (!ids.length) return;
  const i = ids.indexOf(selected);
  if (e.key === "j") selected = ids[Math.min(ids.length - 1, i + 1)];
  else if (e.key === "k") selected = ids[Math.max(0, i - 1)];
  else if (e.key === "a" && selected && alerts.get(selected).state === "new") return act(selected, "ack", {});
  else if (e.key === "c" && selected) { const div = document.querySelector('[data-id="' + selected + '"]'); return closeForm(div, alerts.get(selected)); }
  else return;
  render();
}
api("/api/me").then(start, () => showLogin(""));
`;
