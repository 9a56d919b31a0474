/**
 * The duty console page: one self-contained HTML document (no build step, no outside requests).
 * Log in; alerts arrive live (Server-Sent Events) with a flash and a tone; acknowledge and close
 * them with a disposition and the clinical thermometer's reading; station board; daily report
 * with CSV. Keyboard: every action is a real button or form field; "j"/"k" move between alerts,
 * "a" acknowledges, "c" opens the close form. Laid out for a 1366×768 screen.
 */
export function consolePage(): string {
  return PAGE;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Checkpoint duty console</title>
<style>
  :root { font: 15px/1.4 system-ui, sans-serif; color: #111; background: #f4f5f7; }
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
  .hidden { display: none; }
</style>
</head>
<body>
<div id="login-view">
  <section id="login">
    <h1>Checkpoint duty console</h1>
    <form id="login-form">
      <label for="username">Username</label><input id="username" name="username" autocomplete="username" required autofocus>
      <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
      <p><button type="submit">Log in</button></p>
      <p id="login-error" class="error" role="alert"></p>
    </form>
  </section>
</div>
<div id="app" class="hidden">
  <header><h1>Checkpoint duty console</h1><span><span id="who"></span> <button id="logout">Log out</button></span></header>
  <main>
    <section aria-labelledby="alerts-title">
      <h2 id="alerts-title">Open alerts <span id="count"></span></h2>
      <p class="hint">Keys: j / k move, a acknowledge, c close.</p>
      <div id="alerts" aria-live="polite"></div>
    </section>
    <div>
      <section aria-labelledby="board-title"><h2 id="board-title">Stations</h2><table id="board"><thead><tr><th>Station</th><th>Online</th><th>Last seen</th><th>Today</th><th>Fevers</th><th>Outbox</th><th>Sensor</th></tr></thead><tbody></tbody></table></section>
      <section aria-labelledby="report-title" style="margin-top:12px"><h2 id="report-title">Daily report</h2>
        <label for="report-date">Day</label> <input id="report-date" type="date"> <button id="report-show">Show</button> <a id="report-csv" href="#">CSV</a>
        <table id="report"><thead><tr><th>Station</th><th>Screened</th><th>Retests</th><th>Fevers</th><th>Transfers</th><th>Handovers</th></tr></thead><tbody></tbody></table>
      </section>
    </div>
  </main>
</div>
<script>
const $ = (id) => document.getElementById(id);
const alerts = new Map();
let selected = null;
let audio = null;

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
  if (res.status === 401 && path !== "/api/login") showLogin("Your session has ended: log in again.");
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
    div.className = "alert " + a.kind + (a.id === selected ? " selected" : "") + (a.fresh ? " flash" : "");
    div.dataset.id = a.id; div.setAttribute("role", "group"); div.setAttribute("aria-label", a.kind + " at " + a.station);
    const head = text("div", a.kind.toUpperCase() + " — " + a.station + " / " + a.device + (a.body_c ? " — " + a.body_c.toFixed(2) + " °C" : ""));
    head.style.fontWeight = "600";
    div.append(head, text("div", new Date(a.raised_at).toLocaleTimeString() + "  " + (a.subject || ""), "sub"), text("span", a.state, "state"));
    if (a.state === "new") {
      const ack = text("button", "Acknowledge"); ack.onclick = () => act(a.id, "ack", {}); div.append(" ", ack);
    }
    const close = text("button", "Close…"); close.onclick = () => closeForm(div, a); div.append(" ", close);
    box.append(div);
    a.fresh = false;
  }
}

function closeForm(div, a) {
  if (div.querySelector("form")) return;
  const f = document.createElement("form"); f.className = "close";
  f.innerHTML = '<label>Outcome</label><select name="disposition" required><option value="">choose…</option><option value="released">Released (normal retest)</option><option value="home-isolation">Handed to the township (home isolation)</option><option value="fever-clinic">Transferred to a fever clinic</option></select>'
    + '<label>Clinical °C</label><input name="clinical_c" type="number" step="0.1" min="34" max="43" ' + (a.kind === "fever" ? "required" : "") + '>'
    + '<label>Note</label><input name="note" maxlength="500"><span></span><button type="submit">Close alert</button><span></span><span class="error" role="alert"></span>';
  f.onsubmit = async (e) => {
    e.preventDefault();
    const d = new FormData(f);
    try { await act(a.id, "close", { disposition: d.get("disposition"), clinical_c: d.get("clinical_c") === "" ? null : Number(d.get("clinical_c")), note: d.get("note") }); }
    catch (err) { f.querySelector(".error").textContent = err.message; }
  };
  div.append(f); f.querySelector("select").focus();
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
      text("td", s.last_seen ? new Date(s.last_seen).toLocaleTimeString() : "—"), text("td", s.screened_today),
      text("td", s.fevers_today), text("td", s.outbox), text("td", s.sensor_faults ? s.sensor_faults + " faulty" : "ok", s.sensor_faults ? "offline" : ""));
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

async function start(user) {
  $("who").textContent = user.username + " (" + user.role + ")";
  $("login-view").classList.add("hidden"); $("app").classList.remove("hidden");
  $("report-date").value = new Date().toISOString().slice(0, 10);
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
