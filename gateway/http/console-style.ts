/**
 * The duty console page's style sheet, served as /console.css: the page has no inline style (its
 * Content-Security-Policy allows style sheets from the gateway only; see security-headers.ts).
 * Laid out for a 1366×768 screen.
 */
export const CONSOLE_CSS = `:root { font: 15px/1.4 system-ui, "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif; color: #111; background: #f4f5f7; }
body { margin: 0; }
header { display: flex; justify-content: space-between; align-items: center; padding: 8px 16px; background: #1d2b3a; color: #fff; }
main { display: grid; grid-template-columns: 1fr 580px; gap: 12px; padding: 12px 16px; max-width: 1366px; box-sizing: border-box; }
section { background: #fff; border-radius: 6px; padding: 10px 12px; box-shadow: 0 1px 2px #0002; }
h1 { font-size: 18px; margin: 0; } h2 { font-size: 16px; margin: 0 0 8px; }
.alert { border: 2px solid #ddd; border-radius: 6px; padding: 8px; margin-bottom: 8px; }
.alert:focus-within, .alert.selected { border-color: #1d6fd6; }
.alert.fever { border-left: 8px solid #c62828; } .alert.missed-retest { border-left: 8px solid #ef6c00; }
.alert.device-offline { border-left: 8px solid #6d4c41; }
.alert.health-code, .alert.isolation-breach, .alert.isolation-fever { border-left: 8px solid #c62828; } .alert.isolation-missed { border-left: 8px solid #ef6c00; }
.code-colour { font-weight: 600; } .code-colour[data-colour=red] { color: #c62828; } .code-colour[data-colour=yellow] { color: #8d6e00; }
#trace-table tr[data-colour=red] td:last-child { color: #c62828; font-weight: 600; } #trace-table tr[data-colour=yellow] td:last-child { color: #8d6e00; font-weight: 600; }
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
.spaced { margin-top: 12px; }
.alert-head { font-weight: 600; }
td .sub { color: #666; font-size: 11px; }
.grafana { list-style: none; margin: 0; padding: 0; font-size: 13px; } .grafana li { padding: 2px 0; border-bottom: 1px solid #eee; }
.filters, .pager { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; margin-bottom: 6px; font-size: 13px; }
.filters input[type=search] { flex: 1; min-width: 160px; }
.hint { color: #555; font-size: 12px; margin: 2px 0 6px; }
.who { margin-left: 6px; }
form.trace { display: grid; grid-template-columns: 1fr 1fr auto; gap: 6px; }
#trace-table tr.fever td, #trace-table tr.retest td { font-weight: 600; } #trace-table tr.fever td { color: #c62828; }
#alerts { max-height: 560px; overflow-y: auto; }
form.desk { display: grid; grid-template-columns: auto 1fr; gap: 4px 8px; align-items: center; } form.desk button { justify-self: start; }
#desk-result.fever { color: #c62828; font-weight: 600; }
#visitors tr.fever td, #visitors tr.retest td { font-weight: 600; } #visitors tr.fever td { color: #c62828; }
.grafana li.firing .state { color: #c62828; } .grafana li.resolved { color: #666; }
#roster tr.unread td:first-child { border-left: 4px solid #ef6c00; } #roster tr.ended td { color: #888; }
form.inline { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; } form.inline input[type=number] { width: 5em; }
#roster-section table, #transfers-section table { margin-top: 6px; }
.wide { grid-column: 1 / -1; }
`;
