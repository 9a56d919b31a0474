/**
 * The message catalogue: every text a person reads on a screen or in an error — the duty console
 * and its API, the lane, the technician's console, the gateway's admin commands — in Simplified
 * Chinese (the default) and English. Structured logs stay English for engineers; a log line a
 * technician reads carries the catalogue's text beside its English message.
 *
 * Adding a message: add one entry to the section it belongs to (or a new section, spread into
 * CATALOGUE). Each entry must have both languages (a missing one is a type error), and both must
 * name the same `{placeholders}` (checked by test/unit/protocol/messages.test.ts). Placeholders
 * come from the English text, so `t()` asks for exactly those parameters.
 *
 * Interpolation is one pass of plain text: a parameter's value is never read for placeholders
 * itself, and nothing here is HTML. Whoever puts a message in a page uses textContent.
 */

export const LOCALES = ["zh-CN", "en"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "zh-CN";
export const DEFAULT_TIME_ZONE = "Asia/Shanghai";

type Entry = { readonly [L in Locale]: string };
type Section = Readonly<Record<string, Entry>>;

/** The duty console page. */
const CONSOLE = {
  "console.title": { "zh-CN": "卡口体温筛查值班台", en: "Checkpoint duty console" },
  "console.username": { "zh-CN": "用户名", en: "Username" },
  "console.password": { "zh-CN": "密码", en: "Password" },
  "console.login": { "zh-CN": "登录", en: "Log in" },
  "console.logout": { "zh-CN": "退出登录", en: "Log out" },
  "console.session-ended": {
    "zh-CN": "登录已失效，请重新登录。",
    en: "Your session has ended: log in again.",
  },
  "console.language": { "zh-CN": "English", en: "中文" },
  "console.language-label": { "zh-CN": "切换为英文界面", en: "Switch to Chinese" },
  "console.who": { "zh-CN": "{username}（{role}）", en: "{username} ({role})" },
  "console.open-alerts": { "zh-CN": "待处置告警", en: "Open alerts" },
  "console.keys": {
    "zh-CN":
      "快捷键：j / k 上下切换，a 确认，c 关闭；Alt+1 告警，Alt+2 溯源，Alt+3 站点，Alt+4 日报，Alt+5 交接班，Alt+6 居家隔离，Alt+7 转运。扫码枪扫入的码自动进入溯源框。",
    en: "Keys: j / k move, a acknowledge, c close; Alt+1 alerts, Alt+2 trace, Alt+3 stations, Alt+4 report, Alt+5 handover, Alt+6 roster, Alt+7 transfers. A desk scanner's code goes to the trace box.",
  },
  "console.alert-label": { "zh-CN": "{station} 站 {kind}", en: "{kind} at {station}" },
  "console.acknowledge": { "zh-CN": "确认", en: "Acknowledge" },
  "console.close": { "zh-CN": "关闭…", en: "Close…" },
  "console.outcome": { "zh-CN": "处置结果", en: "Outcome" },
  "console.choose": { "zh-CN": "请选择…", en: "choose…" },
  "console.clinical": { "zh-CN": "复核体温 °C", en: "Clinical °C" },
  "console.note": { "zh-CN": "备注", en: "Note" },
  "console.close-alert": { "zh-CN": "关闭告警", en: "Close alert" },
  "console.stations": { "zh-CN": "站点", en: "Stations" },
  "console.col.station": { "zh-CN": "站点", en: "Station" },
  "console.col.online": { "zh-CN": "在线", en: "Online" },
  "console.col.last-seen": { "zh-CN": "最后上报", en: "Last seen" },
  "console.col.today": { "zh-CN": "今日筛查", en: "Today" },
  "console.col.fevers": { "zh-CN": "发热", en: "Fevers" },
  "console.col.outbox": { "zh-CN": "待上传", en: "Outbox" },
  "console.col.sensor": { "zh-CN": "传感器", en: "Sensor" },
  "console.col.screened": { "zh-CN": "筛查人数", en: "Screened" },
  "console.col.retests": { "zh-CN": "复测", en: "Retests" },
  "console.col.transfers": { "zh-CN": "转运发热门诊", en: "Transfers" },
  "console.col.handovers": { "zh-CN": "居家隔离", en: "Handovers" },
  "console.sensor-ok": { "zh-CN": "正常", en: "ok" },
  "console.sensor-faulty": { "zh-CN": "{n} 台故障", en: "{n} faulty" },
  "console.report": { "zh-CN": "日报", en: "Daily report" },
  "console.day": { "zh-CN": "日期", en: "Day" },
  "console.show": { "zh-CN": "查询", en: "Show" },
  "console.csv": { "zh-CN": "导出 CSV", en: "CSV" },
  "console.never": { "zh-CN": "—", en: "—" },
  "console.grafana": { "zh-CN": "技术告警（Grafana）", en: "Technical alerts (Grafana)" },
  "console.grafana-none": { "zh-CN": "暂无", en: "none" },
  "console.grafana-firing": { "zh-CN": "告警中", en: "firing" },
  "console.grafana-resolved": { "zh-CN": "已恢复", en: "resolved" },
  "report.col.date": { "zh-CN": "日期", en: "date" },
  "report.col.station": { "zh-CN": "站点编号", en: "station" },
  "report.col.name": { "zh-CN": "站点名称", en: "name" },
  "console.cancel": { "zh-CN": "取消", en: "Cancel" },
  "console.mute": { "zh-CN": "静音", en: "Mute" },
  "console.unmute": { "zh-CN": "取消静音", en: "Unmute" },
  "console.sound-test": { "zh-CN": "试听提示音", en: "Test sound" },
  "console.trace": { "zh-CN": "一码溯源", en: "Trace a person" },
  "console.trace-code": {
    "zh-CN": "扫码或输入健康码、身份证号，或人员代号",
    en: "Scan or type a health code, ID number, or pseudonym",
  },
  "console.trace-reason": { "zh-CN": "查询事由（必填，将记入审计日志）", en: "Reason (required, audited)" },
  "console.trace-go": { "zh-CN": "溯源", en: "Trace" },
  "console.trace-none": {
    "zh-CN": "保留期内没有此人的筛查记录",
    en: "no screenings of this person within the retention period",
  },
  "console.trace-summary": {
    "zh-CN": "{n} 次筛查，{stations} 个站点，{alerts} 条告警",
    en: "{n} screenings at {stations} stations, {alerts} alerts",
  },
  "console.col.time": { "zh-CN": "时间", en: "Time" },
  "console.col.lane": { "zh-CN": "通道", en: "Lane" },
  "console.col.attempt": { "zh-CN": "次", en: "Attempt" },
  "console.col.verdict": { "zh-CN": "结果", en: "Verdict" },
  "console.col.estimate": { "zh-CN": "体温 °C", en: "Body °C" },
  "verdict.pass": { "zh-CN": "通过", en: "pass" },
  "verdict.retest": { "zh-CN": "需复测", en: "retest" },
  "verdict.fever": { "zh-CN": "发热", en: "fever" },
  "verdict.invalid": { "zh-CN": "无效", en: "invalid" },
  "api.trace-no-reason": { "zh-CN": "请填写查询事由（2–200 字）", en: "give a reason (2–200 characters)" },
  "api.trace-bad-code": {
    "zh-CN": "无法识别此码：请扫描健康码或身份证，或输入人员代号",
    en: "code not recognised: scan a health code or ID card, or type a pseudonym",
  },
  "api.trace-bad-pseudonym": { "zh-CN": "人员代号格式不正确（如 g1:…）", en: "not a pseudonym (like g1:…)" },
  "api.trace-bad-request": {
    "zh-CN": "溯源请求应包含一个码（不超过 2048 字）或一个人员代号，以及查询事由",
    en: "a trace needs one code (at most 2048 characters) or one pseudonym, and a reason",
  },
  "api.trace-need-one": { "zh-CN": "请给出一个码或一个人员代号", en: "give one code or one pseudonym" },
  "console.handover": { "zh-CN": "交接班摘要", en: "Shift handover" },
  "console.handover-hours": { "zh-CN": "最近小时数", en: "Last hours" },
  "console.handover-raised": { "zh-CN": "本班新增告警：{list}", en: "Raised this shift: {list}" },
  "console.handover-closed": { "zh-CN": "本班关闭：{list}", en: "Closed this shift: {list}" },
  "console.handover-open": { "zh-CN": "移交待处置：{list}", en: "Open at handover: {list}" },
  "console.handover-oldest": { "zh-CN": "最早一条待处置告警：{at}", en: "Oldest open alert: {at}" },
  "console.handover-none": { "zh-CN": "无", en: "none" },
  "console.page-of": { "zh-CN": "第 {from}–{to} 条，共 {total} 条", en: "{from}–{to} of {total}" },
  "console.page-none": { "zh-CN": "没有符合条件的告警", en: "no alerts match" },
  "console.prev": { "zh-CN": "上一页", en: "Previous" },
  "console.next": { "zh-CN": "下一页", en: "Next" },
  "console.filter-state": { "zh-CN": "状态", en: "State" },
  "console.filter-station": { "zh-CN": "站点", en: "Station" },
  "console.filter-kind": { "zh-CN": "类型", en: "Kind" },
  "console.filter-all": { "zh-CN": "全部", en: "all" },
  "console.filter-open": { "zh-CN": "待处置", en: "open" },
  "console.filter-closed": { "zh-CN": "已关闭（历史）", en: "closed (history)" },
  "console.search": { "zh-CN": "搜索站点、设备或人员代号", en: "Search station, device or pseudonym" },
  "console.ack-page": { "zh-CN": "确认本页全部新告警", en: "Acknowledge all new on this page" },
  "console.acked-many": { "zh-CN": "已确认 {n} 条", en: "{n} acknowledged" },
  "console.acked-by": { "zh-CN": "{officer} 于 {at} 确认", en: "acknowledged by {officer} at {at}" },
  "console.closed-by": {
    "zh-CN": "{officer} 于 {at} 关闭：{disposition}",
    en: "closed by {officer} at {at}: {disposition}",
  },
  "console.watch-only": {
    "zh-CN": "技术员账号可处置设备离线告警；发热等人员告警请由值班民警确认和关闭",
    en: "Technicians take up device alerts; duty officers acknowledge and close people's alerts",
  },
  "console.code-colour": { "zh-CN": "健康码：{colour}", en: "Health code: {colour}" },
  "console.col.code": { "zh-CN": "健康码", en: "Health code" },
  "colour.green": { "zh-CN": "绿码", en: "green" },
  "colour.yellow": { "zh-CN": "黄码", en: "yellow" },
  "colour.red": { "zh-CN": "红码", en: "red" },
  "colour.unknown": { "zh-CN": "未查到（人工核验）", en: "unknown (checked by hand)" },
  "kind.fever": { "zh-CN": "发热", en: "Fever" },
  "kind.missed-retest": { "zh-CN": "未按时复测", en: "Missed retest" },
  "kind.watchlist": { "zh-CN": "重点关注", en: "Watchlist" },
  "kind.device-offline": { "zh-CN": "设备离线", en: "Device offline" },
  "kind.health-code": { "zh-CN": "健康码异常（黄码/红码）", en: "Health code yellow or red" },
  "kind.isolation-breach": { "zh-CN": "居家隔离人员外出", en: "Isolated person at a checkpoint" },
  "kind.isolation-missed": { "zh-CN": "居家隔离漏报体温", en: "Daily isolation reading missed" },
  "kind.isolation-fever": { "zh-CN": "居家隔离人员发热", en: "Fever during home isolation" },
  "state.new": { "zh-CN": "待确认", en: "new" },
  "state.acknowledged": { "zh-CN": "已确认", en: "acknowledged" },
  "state.closed": { "zh-CN": "已关闭", en: "closed" },
  "disposition.released": { "zh-CN": "复测正常，放行", en: "Released (normal retest)" },
  "disposition.home-isolation": {
    "zh-CN": "移交属地社区居家隔离",
    en: "Handed to the township (home isolation)",
  },
  "disposition.fever-clinic": { "zh-CN": "转运发热门诊", en: "Transferred to a fever clinic" },
  "disposition.not-found": {
    "zh-CN": "未找到本人，已移交社区追踪",
    en: "Person not found: handed to the community to trace",
  },
  "disposition.device-repaired": { "zh-CN": "设备已修复", en: "Device repaired" },
  "disposition.code-checked": {
    "zh-CN": "人工核验健康码后放行",
    en: "Code checked by hand, person let through",
  },
  "disposition.returned-home": { "zh-CN": "已劝返居家隔离", en: "Sent back home to isolate" },
  "disposition.reading-taken": { "zh-CN": "已补测体温", en: "Reading taken late" },
  "disposition.device-back": {
    "zh-CN": "设备已自动恢复在线",
    en: "Device back online by itself",
  },
  "disposition.withdrawn": {
    "zh-CN": "已撤销：本人已复测（复测记录迟到）",
    en: "Withdrawn: the person was retested (the retest arrived late)",
  },
  "disposition.reading-late": {
    "zh-CN": "已撤销：当日已测体温（记录迟到）",
    en: "Withdrawn: that day's reading was taken (it arrived late)",
  },
  "role.officer": { "zh-CN": "值班员", en: "officer" },
  "role.technician": { "zh-CN": "技术员", en: "technician" },
  "role.admin": { "zh-CN": "管理员", en: "admin" },
  "role.township": { "zh-CN": "街道工作人员", en: "township" },
} as const satisfies Section;

/** Errors the console's API returns (shown on the page as they are). */
const API = {
  "api.login-failed": { "zh-CN": "用户名或密码错误", en: "wrong username or password" },
  "api.login-fields": { "zh-CN": "请输入用户名和密码", en: "enter a username and a password" },
  "api.login-throttled": {
    "zh-CN": "登录失败次数过多，请 {seconds} 秒后再试",
    en: "too many failed logins: try again in {seconds} s",
  },
  "api.login-locked": {
    "zh-CN": "登录失败次数过多，登录已暂停 {minutes} 分钟；请稍后再试，或请管理员解除",
    en: "too many failed logins: logins are paused for {minutes} min; try again later, or ask an admin to lift it",
  },
  "api.session-required": {
    "zh-CN": "请先登录（登录可能已过期）",
    en: "log in first (your session may have expired)",
  },
  "api.role-required": { "zh-CN": "此操作需要{roles}权限", en: "this needs the role {roles}" },
  "api.json-only": {
    "zh-CN": "请以 JSON 格式提交（content-type: application/json）",
    en: "send JSON (content-type: application/json)",
  },
  "api.too-large": { "zh-CN": "提交的内容过大", en: "request too large" },
  "api.bad-json": { "zh-CN": "提交的内容不是有效的 JSON 对象", en: "the body is not a JSON object" },
  "api.bad-date": { "zh-CN": "日期格式应为 YYYY-MM-DD", en: "date must be YYYY-MM-DD" },
  "api.bad-query": {
    "zh-CN": "查询条件有误：状态、告警类型或页码不正确，请刷新页面后重试",
    en: "bad query: state, kind or page out of range; reload the page and try again",
  },
  "api.bad-close": {
    "zh-CN": "请选择处置结果（{dispositions}），复核体温须为 34–43 °C，备注不超过 2000 字",
    en: "choose an outcome ({dispositions}); the clinical reading is 34–43 °C and the note at most 2000 characters",
  },
  "api.bad-request": { "zh-CN": "请求格式不正确", en: "the request is not in the expected form" },
  "api.not-found": { "zh-CN": "未找到该页面或接口", en: "not found" },
  "api.internal": {
    "zh-CN": "网关内部出错，已记录日志（编号 {request}）；请稍后重试，如持续出现请联系技术员并告知此编号",
    en: "the gateway failed to do this; it has been logged as {request}. Try again, and if it persists call a technician with that number",
  },
  "alert.not-found": { "zh-CN": "告警 {id} 不存在", en: "no alert {id}" },
  "alert.already-acknowledged": {
    "zh-CN": "告警 {id} 已被确认",
    en: "alert {id} is already acknowledged",
  },
  "alert.already-closed": { "zh-CN": "告警 {id} 已关闭", en: "alert {id} is already closed" },
  "alert.bad-disposition": {
    "zh-CN": "处置结果必须是以下之一：{dispositions}",
    en: "disposition must be one of {dispositions}",
  },
  "alert.clinical-required": {
    "zh-CN": "关闭发热告警须填写接触式体温计的复核体温（34–43 °C）",
    en: "a fever alert is closed with the clinical thermometer's reading (34–43 °C)",
  },
} as const satisfies Section;

/** What the lane tells the person in front of it, and the technician who reads its log. */
const LANE = {
  "lane.pass": { "zh-CN": "体温正常，请通过", en: "Temperature normal: please pass" },
  "lane.retest": {
    "zh-CN": "体温偏高，请到室内休息 {minutes} 分钟后复测",
    en: "Temperature high: rest indoors for {minutes} min, then retest",
  },
  "lane.fever": {
    "zh-CN": "体温异常，请原地等候，值班员将为您复核体温",
    en: "Fever: please wait here; the duty officer will check your temperature",
  },
  "lane.invalid": {
    "zh-CN": "测量无效，请露出额头正对测温仪重新测量",
    en: "Not a valid reading: uncover your forehead, face the thermometer and measure again",
  },
  "lane.unstable": {
    "zh-CN": "读数不稳定，请保持不动，重新测量",
    en: "The reading was not steady: hold still and measure again",
  },
  "lane.rest-skipped": {
    "zh-CN": "技术员测试：已结束 {people} 人的休息，可立即复测",
    en: "Technician test: the rest of {people} waiting ended; retest now",
  },
  "lane.to-retest-point": {
    "zh-CN": "您已在休息复测名单中，请到本站复测点复测",
    en: "You are due a retest: please go to this station's retest point",
  },
  "lane.busy": { "zh-CN": "正在测量，请稍候", en: "Measuring: please wait" },
  "lane.code-yellow": {
    "zh-CN": "健康码为黄码，暂不能通行，请原地等候工作人员核验",
    en: "Yellow health code: you cannot pass yet; please wait here for the staff to check it",
  },
  "lane.code-red": {
    "zh-CN": "健康码为红码，禁止通行，请原地等候工作人员处置",
    en: "Red health code: you cannot pass; please wait here for the staff",
  },
  "lane.code-unknown": {
    "zh-CN": "暂时无法查询健康码颜色，请工作人员人工核验健康码",
    en: "The health code's colour cannot be checked right now: staff, check the code by hand",
  },
  "lane.health-code-key": {
    "zh-CN": "无法读取健康码平台密钥文件 {path}：{error}（该文件应只有本设备程序的用户可读，权限 0600）",
    en: "cannot read the health-code platform key file {path}: {error} (it must be readable by the lane's user only, mode 0600)",
  },
  "lane.health-code-url": {
    "zh-CN":
      "健康码平台地址 {url} 不可用：须为 https:// 地址（http:// 仅限本机回环地址），且不含用户名、密码、查询参数或片段",
    en: "the health-code platform URL {url} cannot be used: it must be https:// (http:// only to a loopback address), with no user name, password, query or fragment",
  },
  "lane.health-code-key-open": {
    "zh-CN": "健康码平台密钥文件 {path} 其他用户也能读取：请运行 chmod 600 {path}",
    en: "the health-code platform key file {path} is readable by other users: run chmod 600 {path}",
  },
  "lane.rest-more": {
    "zh-CN": "复测时间未到，请再休息 {minutes} 分钟",
    en: "Too early for the retest: rest another {minutes} min",
  },
  "lane.no-config": {
    "zh-CN": "设备尚未收到网关下发的配置，暂不能筛查；请检查网络",
    en: "The lane has no configuration from the gateway yet and cannot screen; check the network",
  },
  "lane.outbox-full": {
    "zh-CN": "设备待上传记录已满，暂停筛查；请联系技术员检查网络",
    en: "The lane's outbox is full and screening is paused; call a technician to check the network",
  },
  "lane.fault": {
    "zh-CN": "测温传感器故障（{fault}），未测量；请检查传感器及接线",
    en: "Thermometer fault ({fault}), no reading taken; check the sensor and its wiring",
  },
  "lane.scan-failed": {
    "zh-CN": "扫码后处理失败，请重新扫码；如持续出现请联系技术员",
    en: "The scan could not be handled: scan again, and call a technician if it persists",
  },
  "lane.scanner-connected": { "zh-CN": "扫码器已连接", en: "Scanner connected" },
  "lane.scanner-gone": {
    "zh-CN": "扫码器已断开，1 秒后重试（请检查连接线）",
    en: "Scanner gone; retrying in 1 s (check the cable)",
  },
  "lane.scanner-error": { "zh-CN": "扫码器端口出错：{error}", en: "Scanner port error: {error}" },
  "lane.config-unreadable": {
    "zh-CN": "无法读取设备配置文件 {path}：{error}",
    en: "cannot read the lane config {path}: {error}",
  },
  "lane.config-invalid": {
    "zh-CN": "设备配置文件 {path} 有误：\n  {errors}",
    en: "lane config {path} is invalid:\n  {errors}",
  },
  "lane.mqtt-or-bundle": {
    "zh-CN": '设备配置文件 {path}：请给出 "bundle"（设备凭据包文件）或 "mqtt" 二者之一',
    en: 'lane config {path}: give either "bundle" (the device bundle file) or "mqtt", one of the two',
  },
  "lane.bundle-invalid": {
    "zh-CN": "设备凭据包 {path} 无法使用：{error}",
    en: "device bundle {path} cannot be used: {error}",
  },
  "lane.bundle-other-lane": {
    "zh-CN": "设备凭据包 {path} 属于 {bundle}，而设备配置写的是 {lane}",
    en: "device bundle {path} is for {bundle}, but the lane config says {lane}",
  },
  "lane.plain-mqtt-refused": {
    "zh-CN":
      "拒绝以明文 MQTT 向 {host} 发送设备密钥：请改用设备凭据包中的 mqtts:// 地址和 CA 证书（npm run gateway -- add-device <站点> <设备> --bundle 文件）",
    en: "refusing to send the lane's secret over plain MQTT to {host}: use the mqtts:// URL and CA certificate of its device bundle (npm run gateway -- add-device <station> <device> --bundle FILE)",
  },
  "lane.no-ca": {
    "zh-CN": "{url} 使用 TLS，但没有可固定的 CA 证书：请把网关的 CA 证书放入 mqtt.ca（设备凭据包中已包含）",
    en: "{url} is TLS but there is no CA certificate to pin: put the gateway's CA certificate in mqtt.ca (the device bundle has it)",
  },
  "lane.cert-without-key": {
    "zh-CN": "mqtt.cert 与 mqtt.key（设备的客户端证书及其私钥）必须同时给出",
    en: "mqtt.cert and mqtt.key (the lane's client certificate and its key) go together",
  },
  "lane.reference-required": {
    "zh-CN": "校准需要 --reference <黑体温度 °C>，范围 30–45，例如 --reference 37.0",
    en: "calibrate needs --reference <blackbody °C> from 30 to 45, e.g. --reference 37.0",
  },
  "lane.calibrated": {
    "zh-CN": "校准完成：偏移 {offset} °C，残差 {residual} °C（标准差 {sd}）；已保存到 {path}",
    en: "Calibrated: offset {offset} °C, residual {residual} °C (sd {sd}); saved to {path}",
  },
  "lane.failed": { "zh-CN": "设备程序出错：{error}", en: "firmware: {error}" },
} as const satisfies Section;

/**
 * Why the lane did not take a scanned code (protocol/identity.ts): `identity.<reason>` for each
 * IdentityRefusal, shown to the person in front of the lane.
 */
const IDENTITY = {
  "identity.unrecognised": {
    "zh-CN": "无法识别此码，请出示健康码或身份证",
    en: "This code is not recognised: show your health code or your ID card",
  },
  "identity.cn-id-not-accepted": {
    "zh-CN": "本通道不接受身份证，请出示健康码或咨询现场工作人员",
    en: "This lane does not take ID cards: show your health code, or ask the staff",
  },
  "identity.cn-id-format": {
    "zh-CN": "身份证号应为 18 位，请重新刷卡或重新输入",
    en: "An ID number has 18 characters: read the card again or type the number again",
  },
  "identity.cn-id-check-digit": {
    "zh-CN": "身份证号校验位不符，请核对后重新输入",
    en: "The ID number's check digit does not match: check the number and type it again",
  },
  "identity.cn-id-birth-date": {
    "zh-CN": "身份证号中的出生日期无效，请核对后重新输入",
    en: "The ID number's birth date is not a real date: check the number and type it again",
  },
  "identity.health-code-not-accepted": {
    "zh-CN": "本通道不接受健康码，请出示身份证或咨询现场工作人员",
    en: "This lane does not take health codes: show your ID card, or ask the staff",
  },
  "identity.health-code-format": {
    "zh-CN": "健康码内容不完整，请刷新健康码后重新扫码",
    en: "The health code is incomplete: refresh it and scan again",
  },
  "identity.health-code-version": {
    "zh-CN": "暂不支持此版本的健康码，请刷新后重试；如持续出现请联系技术员",
    en: "This health code version is not supported: refresh it and try again, and call a technician if it persists",
  },
  "identity.keypad-characters": {
    "zh-CN": "身份证号只含数字和 X，请核对后重新输入",
    en: "An ID number has only digits and X: check it and type it again",
  },
  "identity.plain-format": {
    "zh-CN": "此码过长或含有无法识别的字符，请重新扫码",
    en: "The code is too long or has characters that cannot be read: scan again",
  },
} as const satisfies Section;

/** The technician's console against a virtual station (simulator/console). */
const TECHNICIAN = {
  "sim.help": {
    "zh-CN": `命令：
  person <核心体温 °C> [from <°C>] [in <分钟>]  下一位受检者上前（核心体温；来自何种气温环境）
  scan [code|again]                           扫描二维码（不指定：新受检者出示健康码或身份证；again：上一位再次出示，健康码已刷新）
  next <核心体温 °C>                          person 与 scan 一步完成
  keypad [身份证号]                           在通道键盘上输入身份证号并回车（不指定：新受检者的号码）
  ambient <°C>                                设置通道处气温
  blackbody <°C> | clear                      传感器对准黑体 / 无人
  unplug | replug                             拔出 / 插回测温仪
  fault <{faults}>  让测温仪出现故障
  garbage                                     向扫码线路发送乱码
  cut | restore                               断开 / 恢复通道网络
  lights                                      查看指示灯与蜂鸣器
  wait <秒>                                   暂停（用于场景脚本）
  rest skip                                   结束所有等待者的休息（通道须处于技术员模式：lane.json technicianUntil）
  help | quit`,
    en: `commands:
  person <core °C> [from <°C>] [in <min>]  the next person steps up (core temperature; where they came from)
  scan [code|again]                        scan a code (none: a new person's health code or ID card; again: the last one shown again, refreshed)
  next <core °C>                           person + scan in one go
  keypad [ID number]                       type an ID number on the lane's keypad and Enter (none: a new person's)
  ambient <°C>                             set the air temperature at the lane
  blackbody <°C> | clear                   aim the sensor at a blackbody / at nobody
  unplug | replug                          pull out / put back the thermometer
  fault <{faults}>          make the thermometer misbehave
  garbage                                  send line noise down the scanner line
  cut | restore                            cut / restore the lane's network link
  lights                                   show the LEDs and the buzzer
  wait <seconds>                           pause (scenario files)
  rest skip                                end the rest of everyone waiting (the lane must be in technician mode: lane.json technicianUntil)
  help | quit`,
  },
  "sim.not-a-number": { "zh-CN": "{what}必须是数字", en: "{what} must be a number" },
  "sim.what.core": { "zh-CN": "核心体温", en: "core temperature" },
  "sim.what.from": { "zh-CN": "from（来自的气温）", en: "from" },
  "sim.what.in": { "zh-CN": "in（进入后的分钟数）", en: "in" },
  "sim.what.ambient": { "zh-CN": "气温", en: "ambient" },
  "sim.what.blackbody": { "zh-CN": "黑体温度", en: "blackbody temperature" },
  "sim.what.seconds": { "zh-CN": "秒数", en: "seconds" },
  "sim.person": {
    "zh-CN": "核心体温 {core} °C 的受检者上前（额头 {forehead} °C）",
    en: "person with core {core} °C steps up (forehead {forehead} °C)",
  },
  "sim.scanned": { "zh-CN": "已扫码 {code}", en: "scanned {code}" },
  "sim.no-code-yet": {
    "zh-CN": "还没有人出示过码：请先用 scan 或 next",
    en: "nobody has shown a code yet: use scan or next first",
  },
  "sim.next": {
    "zh-CN": "核心体温 {core} °C 的受检者扫码 {code}",
    en: "person with core {core} °C scanned {code}",
  },
  "sim.ambient": { "zh-CN": "气温为 {ambient} °C", en: "ambient is {ambient} °C" },
  "sim.blackbody": {
    "zh-CN": "传感器已对准 {temp} °C 的黑体",
    en: "sensor aimed at a blackbody at {temp} °C",
  },
  "sim.clear": { "zh-CN": "传感器前无人", en: "nobody in front of the sensor" },
  "sim.unplugged": { "zh-CN": "测温仪已拔出", en: "thermometer unplugged" },
  "sim.replugged": { "zh-CN": "测温仪已插回", en: "thermometer plugged back in" },
  "sim.bad-fault": { "zh-CN": "故障类型必须是以下之一：{faults}", en: "fault must be one of {faults}" },
  "sim.fault": { "zh-CN": "测温仪故障：{fault}", en: "thermometer fault: {fault}" },
  "sim.garbage": { "zh-CN": "已向扫码线路发送乱码", en: "sent line noise on the scanner line" },
  "sim.no-link": {
    "zh-CN": "没有网络链路：请用 --gateway mqtt://主机:端口 启动模拟站点",
    en: "no network link: start the station with --gateway mqtt://host:port",
  },
  "sim.cut": {
    "zh-CN": "网络已断开（无声断开，如同拔掉网线）",
    en: "network cut (silently, like a pulled cable)",
  },
  "sim.rest-skip": {
    "zh-CN": "已扫描技术员码：处于技术员模式的通道结束所有等待者的休息（见通道日志）",
    en: "technician code scanned: a lane in technician mode ends every rest (see the lane's log)",
  },
  "sim.restored": { "zh-CN": "网络已恢复", en: "network restored" },
  "sim.unknown-command": {
    "zh-CN": "未知命令“{command}”；输入 help 查看命令",
    en: 'unknown command "{command}"; type help',
  },
  "sim.lights": {
    "zh-CN": "指示灯：{green} {yellow} {red} 蜂鸣器：{buzzer}",
    en: "lights: {green} {yellow} {red} buzzer:{buzzer}",
  },
  "sim.light.green": { "zh-CN": "绿", en: "green" },
  "sim.light.yellow": { "zh-CN": "黄", en: "yellow" },
  "sim.light.red": { "zh-CN": "红", en: "red" },
  "sim.light.on": { "zh-CN": "亮", en: "ON" },
  "sim.light.off": { "zh-CN": "灭", en: "off" },
  "sim.buzzer.on": { "zh-CN": "响", en: "ON" },
  "sim.buzzer.off": { "zh-CN": "静音", en: "off" },
  "sim.link": {
    "zh-CN": "网络链路：请把设备的 mqtt.url 指向 {via}（转发到 {gateway}）",
    en: "network link: point the firmware's mqtt.url at {via} (relays to {gateway})",
  },
  "sim.board": {
    "zh-CN": '主板：  {address}   （lane.json 的 "board"）',
    en: 'board:   {address}   (lane.json "board")',
  },
  "sim.scanner": {
    "zh-CN": '扫码器：{address}   （lane.json 的 "scanner"）',
    en: 'scanner: {address}   (lane.json "scanner")',
  },
  "sim.firmware-connected": { "zh-CN": "设备程序已连接主板", en: "firmware connected to the board" },
  "sim.firmware-disconnected": { "zh-CN": "设备程序已断开主板", en: "firmware disconnected from the board" },
  "sim.scenario-stopped": { "zh-CN": "场景脚本中止：{error}", en: "scenario stopped: {error}" },
  "sim.type-help": { "zh-CN": "输入 help 查看命令", en: 'type "help" for commands' },
  "sim.error": { "zh-CN": "出错：{error}", en: "error: {error}" },
} as const satisfies Section;

/** The gateway's admin commands (gateway/admin.ts). */
const ADMIN = {
  "admin.usage": {
    "zh-CN":
      "用法：npm run gateway -- add-device <站点> <设备> | add-operator <名称> | add-user <名称> <officer|technician|admin> | list | backup | backups | restore <文件>",
    en: "usage: npm run gateway -- add-device <station> <device> | add-operator <name> | add-user <name> <officer|technician|admin|township> [--township <id>] | list | backup | backups | restore <file>",
  },
  "admin.restore-usage": {
    "zh-CN": "用法：npm run gateway -- restore <文件>   （npm run gateway -- backups 列出备份）",
    en: "usage: npm run gateway -- restore <file>   (npm run gateway -- backups lists them)",
  },
  "admin.bad-role": { "zh-CN": "角色必须是以下之一：{roles}", en: "role must be one of {roles}" },
  "admin.township-role": {
    "zh-CN": "街道账号须用 --township <街道编号> 指明所属街道；其他角色不能指定街道",
    en: "a township user needs --township <id> (one of TOWNSHIPS); no other role takes one",
  },
  "admin.unknown-township": {
    "zh-CN": "没有编号为 {id} 的街道；已配置的街道（TOWNSHIPS）：{ids}",
    en: "no township {id}; the configured townships (TOWNSHIPS): {ids}",
  },
  "admin.device-added": {
    "zh-CN": "设备 {station}/{device} 已登记。请把此密钥写入该通道的配置文件；它不会再次显示。",
    en: "Device {station}/{device} registered. Put this secret in the lane's config; it is not shown again.",
  },
  "admin.devices-added": {
    "zh-CN": "已登记 {n} 台设备。它们的密钥不会再次显示。",
    en: "{n} devices registered. Their secrets are not shown again.",
  },
  "admin.bundle-written": {
    "zh-CN":
      '设备 {station}/{device} 已登记，凭据包已写入 {path}（权限 0600，内含该通道的密钥）。请把它复制到该通道，并在 lane.json 中用 "bundle" 指向它；密钥不会再次显示。',
    en: "Device {station}/{device} registered; its bundle is in {path} (0600: it holds the lane's secret). Copy it to the lane and point lane.json's \"bundle\" at it; the secret is not shown again.",
  },
  "admin.bundles-written": {
    "zh-CN": "已登记 {n} 台设备，每台的凭据包（权限 0600，内含密钥）已写入 {dir}。请分别复制到各通道。",
    en: "{n} devices registered; one bundle each (0600, holding its secret) is in {dir}. Copy each to its lane.",
  },
  "admin.cert-needs-bundle": {
    "zh-CN": "{option} 需与 {bundle} 一起使用：客户端证书放在设备凭据包中",
    en: "{option} goes with {bundle}: the client certificate travels in the device bundle",
  },
  "admin.tls-refused": { "zh-CN": "未做任何改动：{error}", en: "nothing was changed: {error}" },
  "admin.tls-own-files": {
    "zh-CN": "使用自有证书时 --cert、--key 与 --ca 必须同时给出",
    en: "your own certificate takes --cert, --key and --ca together",
  },
  "admin.tls-ca-created": {
    "zh-CN":
      "已创建私有 CA：证书 {ca}（各通道固定它，已包含在每个设备凭据包中），私钥 {key}（0600：通道发放完毕后请离线保存；运行中的网关从不读取它）。",
    en: "Created a private CA: its certificate {ca} (lanes pin it; it is in every device bundle) and its key {key} (0600: keep it offline once lanes are provisioned; the running gateway never reads it).",
  },
  "admin.tls-ca-kept": {
    "zh-CN": "沿用已有的 CA {ca}（私钥 {key}）：固定它的通道无需改动。",
    en: "Kept the existing CA {ca} (key {key}): lanes that pin it need nothing new.",
  },
  "admin.tls-cert-ready": {
    "zh-CN":
      "网关证书 {cert}（私钥 {key}，0600）适用于 {hostnames}，有效期至 {expires}。请重启网关使其生效，并在到期前再次运行 tls-init。",
    en: "The gateway's certificate {cert} (key {key}, 0600) is for {hostnames}, valid until {expires}. Restart the gateway to use it; run tls-init again before it expires.",
  },
  "admin.user-added": {
    "zh-CN": "值班台用户 {username}（{role}）已创建。请把此密码交给本人；它不会再次显示。",
    en: "Console user {username} ({role}) created. Give them this password; it is not shown again.",
  },
  "admin.bad-username": {
    "zh-CN": "用户名为 1–64 个字母、数字、空格或 . @ _ -",
    en: "a username is 1-64 letters, digits, spaces, . @ _ or -",
  },
  "admin.short-password": { "zh-CN": "密码至少 10 个字符", en: "a password has at least 10 characters" },
  "admin.backup-done": {
    "zh-CN": "备份已写入并校验；保留最新的 {keep} 份。",
    en: "Backup written and verified; the newest {keep} are kept.",
  },
  "admin.restored": {
    "zh-CN": "已从 {path} 恢复 {restored}。",
    en: "Restored {restored} from {path}.",
  },
  "admin.previous-kept": {
    "zh-CN": "原数据库保留为 {previous}。",
    en: "The previous database is kept as {previous}.",
  },
  "admin.log-in-again": { "zh-CN": "值班台用户需重新登录。", en: "Console users log in again." },
  "admin.warning": { "zh-CN": "警告：{warning}", en: "WARNING: {warning}" },
  "admin.start-gateway": { "zh-CN": "请启动网关。", en: "Start the gateway." },
  "admin.restore-refused": { "zh-CN": "拒绝恢复：{error}", en: "restore refused: {error}" },
  "admin.nothing-changed": { "zh-CN": "{path} 未做任何改动。", en: "Nothing was changed in {path}." },
  "admin.failed": { "zh-CN": "出错：{error}", en: "error: {error}" },
  "admin.unlocked": {
    "zh-CN":
      "已解除 {name} 的登录限制（值班台与 MQTT），运行中的网关在下一次登录尝试时生效；已记入审计日志。",
    en: "Login limits on {name} lifted (console and MQTT); a running gateway applies it at the next attempt. Recorded in the audit log.",
  },
  "admin.audit-columns": {
    "zh-CN": "时间\t操作\t操作者\t对象\t地址\t详情",
    en: "time\taction\tactor\tsubject\taddress\tdetail",
  },
  "admin.audit-summary": {
    "zh-CN": "最近 {days} 天共 {n} 条审计记录（最多显示 {limit} 条，最新的在前）",
    en: "{n} audit rows in the last {days} days (at most {limit} shown, newest first)",
  },
  "admin.bad-number": {
    "zh-CN": "{option} 应为 1 到 {max} 之间的整数",
    en: "{option} must be a whole number from 1 to {max}",
  },
  "audit.console.login": { "zh-CN": "值班台登录", en: "console login" },
  "audit.console.login-failure": { "zh-CN": "值班台登录失败", en: "console login failed" },
  "audit.console.lockout": { "zh-CN": "值班台登录暂停", en: "console logins paused" },
  "audit.console.logout": { "zh-CN": "值班台退出登录", en: "console logout" },
  "audit.mqtt.login-failure": { "zh-CN": "MQTT 登录失败", en: "MQTT login failed" },
  "audit.mqtt.lockout": { "zh-CN": "MQTT 登录暂停", en: "MQTT logins paused" },
  "audit.admin.unlock": { "zh-CN": "解除登录限制", en: "login limits lifted" },
  "audit.admin.pseudonym-key-rotated": { "zh-CN": "轮换假名密钥", en: "pseudonym key rotated" },
  "audit.admin.station-keys-rotated": { "zh-CN": "更换站点密钥", en: "station keys replaced" },
  "admin.pseudonym-key-rotated": {
    "zh-CN":
      "假名密钥已轮换为第 {version} 版：今后存储的假名和各通道加密所用的公钥均为新版，通道在下次收到配置时换用。第 {retired} 版保留至 {until}（{days} 天，用于关联轮换前后的记录），届时销毁。",
    en: "The pseudonym key is now version {version}: new stored pseudonyms and the key lanes seal to are the new one (lanes switch when their config arrives). Version {retired} is kept until {until} ({days} days, to link screenings across the rotation), then destroyed.",
  },
  "admin.pseudonym-keys-destroyed": {
    "zh-CN": "已销毁超过保留期的旧版假名密钥：{versions}。",
    en: "Destroyed the retired pseudonym keys past the retention period: {versions}.",
  },
  "admin.station-keys-rotated": {
    "zh-CN":
      "站点 {station} 已换用第 {generation} 代站点密钥（含今日）；该站在线通道立即收到新密钥，离线通道联网后收到。丢失的通道所持旧密钥不再与任何人匹配。",
    en: "Station {station} now has generation {generation} of its keys (today's included): its lanes online get them at once, lanes offline when they reconnect. The keys a lost lane holds match no one any more.",
  },
} as const satisfies Section;

/** Stations: display names and opening hours (gateway/registry/stations.ts, `set-station`, `stations`). */
const STATIONS = {
  "station.bad-id": {
    "zh-CN": "站点编号为 1–32 个小写字母、数字或“-”，收到“{station}”",
    en: 'a station id is 1-32 characters of a-z, 0-9 and "-", not "{station}"',
  },
  "station.bad-name": {
    "zh-CN": "站点名称为 1–64 个字符，不含“|”和控制字符",
    en: 'a station name is 1-64 characters, without "|" or control characters',
  },
  "station.bad-hours": {
    "zh-CN":
      "开放时间应为 HH:MM-HH:MM，多个时段用逗号分隔，例如 06:00-22:00、06:00-11:30,13:00-22:00、22:00-06:00（跨午夜）或 00:00-24:00（全天）；收到“{hours}”",
    en: 'opening hours are HH:MM-HH:MM, several separated by commas, e.g. 06:00-22:00, 06:00-11:30,13:00-22:00, 22:00-06:00 (across midnight) or 00:00-24:00 (all day); not "{hours}"',
  },
  "station.nothing-to-set": {
    "zh-CN": "请至少给出 --name、--name-en 或 --hours 之一",
    en: "give at least one of --name, --name-en or --hours",
  },
  "station.set": {
    "zh-CN":
      "站点 {station}（{name}）已更新，开放时间 {hours}（{zone}）。运行中的网关一分钟内生效；已记入审计日志。",
    en: "Station {station} ({name}) updated, open {hours} ({zone}). A running gateway applies it within a minute. Recorded in the audit log.",
  },
  "station.columns": {
    "zh-CN": "站点\t名称\t英文名称\t开放时间\t通道数\t当前",
    en: "station\tname\tEnglish name\thours\tlanes\tnow",
  },
  "station.open": { "zh-CN": "开放", en: "open" },
  "station.closed": { "zh-CN": "关闭", en: "closed" },
  "station.summary": {
    "zh-CN": "共 {n} 个站点；开放时间按 {zone} 时间",
    en: "{n} stations; opening hours in {zone}",
  },
  "audit.admin.set-station": { "zh-CN": "修改站点名称或开放时间", en: "station name or hours changed" },
  "audit.admin.set-lane-role": { "zh-CN": "修改通道角色", en: "lane role changed" },
} as const satisfies Section;

/**
 * Grafana's alert rules (dashboards/alerting.ts: filled with Grafana's template expressions) and
 * the gateway's record of the notifications Grafana sends it (gateway/http/grafana-alerts.ts).
 */
const GRAFANA = {
  "grafana.folder": { "zh-CN": "卡口体温筛查", en: "Checkpoint screening" },
  "dash.city": { "zh-CN": "卡口体温筛查 — 全市概览", en: "Checkpoint screening — city overview" },
  "dash.station": { "zh-CN": "卡口体温筛查 — 站点", en: "Checkpoint screening — station" },
  "dash.gateway": { "zh-CN": "卡口体温筛查 — 网关运行状况", en: "Checkpoint screening — gateway health" },
  "dash.link.station": { "zh-CN": "打开 {station} 站", en: "Open station {station}" },
  "dash.link.stations": { "zh-CN": "站点看板", en: "Station dashboard" },
  "dash.link.city": { "zh-CN": "全市概览", en: "City overview" },
  "dash.var.station": { "zh-CN": "站点", en: "Station" },
  "dash.city.per-10-min": {
    "zh-CN": "各站每 10 分钟筛查人数（最近 24 小时）",
    en: "Screenings per 10 minutes, by station (last 24 hours); click a line to open its station",
  },
  "dash.city.fevers-today": {
    "zh-CN": "今日发热（复测确认）",
    en: "Fevers today (confirmed at the retest)",
  },
  "dash.city.retests-today": { "zh-CN": "今日复测", en: "Retests today" },
  "dash.city.fever-rate-today": {
    "zh-CN": "今日发热率",
    en: "Fever rate today: confirmed fevers (attempt 2) per screening",
  },
  "dash.city.missed-retests-today": { "zh-CN": "今日未按时复测", en: "Missed retests today" },
  "dash.city.referrals-today": {
    "zh-CN": "今日转诊与确认",
    en: "Referrals today: fever alerts the duty officers closed, and how many the clinical thermometer confirmed",
  },
  "dash.city.devices-online": { "zh-CN": "在线设备", en: "Devices online" },
  "dash.city.devices-offline": { "zh-CN": "离线设备", en: "Devices offline" },
  "dash.city.health-codes-today": {
    "zh-CN": "今日红黄码拦截",
    en: "People stopped today for a yellow or red health code",
  },
  "dash.city.roster-active": { "zh-CN": "居家隔离人数", en: "People in home isolation now" },
  "dash.city.roster-compliance": {
    "zh-CN": "今日体温上报率",
    en: "Share of the people in home isolation whose temperature for today is in",
  },
  "dash.city.handed-over-today": { "zh-CN": "今日移交居家隔离", en: "Handed over to home isolation today" },
  "dash.city.transferred-today": { "zh-CN": "今日转运发热门诊", en: "Transferred to fever clinics today" },
  "dash.city.per-hour": {
    "zh-CN": "各站每小时筛查人数",
    en: "Screenings per hour, by station; click a line to open its station",
  },
  "dash.city.busiest": {
    "zh-CN": "筛查人数最多的站点",
    en: "Busiest stations; click one to open it",
  },
  "dash.city.stations-now": {
    "zh-CN": "各站当前状态",
    en: "Stations now: open by their hours, and minutes without a screening while open; click a station to open it",
  },
  "dash.col.station": { "zh-CN": "站点编号", en: "Station id" },
  "dash.col.name": { "zh-CN": "站点", en: "Station" },
  "dash.col.open": { "zh-CN": "开放", en: "Open" },
  "dash.col.silent-open": { "zh-CN": "开放时无筛查", en: "Silent while open" },
  "dash.col.since-last": { "zh-CN": "距上次筛查", en: "Since the last screening" },
  "dash.open": { "zh-CN": "开放", en: "open" },
  "dash.closed": { "zh-CN": "关闭", en: "closed" },
  "dash.station.now": {
    "zh-CN": "开放时无筛查时长",
    en: "Silent while open: time since the station's last screening (or its opening), 0 while closed",
  },
  "dash.station.per-lane": { "zh-CN": "各通道筛查人数", en: "Screenings by lane" },
  "dash.station.body": {
    "zh-CN": "体温分布",
    en: "Body temperature distribution: a random sample of up to 5000 readings in the range",
  },
  "dash.station.ambient": { "zh-CN": "通道处气温", en: "Ambient at the lanes" },
  "dash.station.sensor": {
    "zh-CN": "测温仪正常（1）或故障（0）",
    en: "Thermometer healthy (1) or faulty (0)",
  },
  "dash.station.outbox": {
    "zh-CN": "待上传记录（等待网关确认）",
    en: "Outbox depth (events waiting for the gateway)",
  },
  "dash.station.last-seen": { "zh-CN": "各通道最后上报", en: "Lanes: last seen" },
  "dash.station.lanes": {
    "zh-CN": "通道名称与在线状态",
    en: "Lanes: their names (set-lane-name) and whether each is online (1) or not (0)",
  },
  "dash.gateway.ingest": { "zh-CN": "接收速率", en: "Ingest rate" },
  "dash.gateway.rejects": { "zh-CN": "拒收消息（按原因）", en: "Rejects by reason" },
  "dash.gateway.duplicates": {
    "zh-CN": "重复消息（已吸收的重传）",
    en: "Duplicates (replays absorbed)",
  },
  "dash.gateway.disagreements": {
    "zh-CN": "判定不一致（网关与设备）",
    en: "Verdict disagreements (gateway vs device)",
  },
  "dash.gateway.spool": { "zh-CN": "本地缓存积压", en: "Spool depth" },
  "dash.gateway.write-latency": { "zh-CN": "InfluxDB 写入延迟", en: "InfluxDB write latency" },
  "grafana.rule.station-offline": { "zh-CN": "站点有通道离线", en: "A station has a lane offline" },
  "grafana.rule.station-offline.summary": {
    "zh-CN": "{station} 站有通道离线（最后状态为离线）",
    en: "{station}: a lane is offline (its last status says offline)",
  },
  "grafana.rule.station-silent": {
    "zh-CN": "站点开放时间内 15 分钟无筛查",
    en: "No screening from an open station for 15 minutes",
  },
  "grafana.rule.station-silent.summary": {
    "zh-CN": "{station} 站开放时间内已 {silent} 无筛查记录（通道、网络还是网关故障？）",
    en: "{station}: no screening for {silent} while open (lane, network or gateway?)",
  },
  "grafana.notified": {
    "zh-CN": "Grafana 告警{status}：{summary}",
    en: "Grafana alert {status}: {summary}",
  },
  "grafana.status.firing": { "zh-CN": "触发", en: "firing" },
  "grafana.status.resolved": { "zh-CN": "已恢复", en: "resolved" },
  "api.grafana-token": {
    "zh-CN": "缺少 Grafana 告警通知的令牌，或令牌不正确",
    en: "the Grafana notification's token is missing or wrong",
  },
} as const satisfies Section;

/**
 * Taking access back and InfluxDB's users (issue 9): the admin commands influx-setup,
 * disable-/enable-/remove-device, rotate-secret, disable-/enable-/remove-user and users.
 */
const LIFECYCLE = {
  "admin.option-required": { "zh-CN": "缺少 {option}", en: "{option} is required" },
  "admin.influx-setup-needs": {
    "zh-CN":
      "influx-setup 需要 INFLUX_URL、INFLUX_USER 和 INFLUX_PASSWORD_FILE（网关的 InfluxDB 用户及其密码文件；文件不存在时自动创建）",
    en: "influx-setup needs INFLUX_URL, INFLUX_USER and INFLUX_PASSWORD_FILE (the gateway's InfluxDB user and its password file, created when missing)",
  },
  "admin.influx-ready": {
    "zh-CN":
      "InfluxDB 已就绪：数据库 {database}（原始数据保留 {days} 天），网关用户 {gateway}（读写），Grafana 只读用户 {reader}。密码只在各自的文件中（权限 0600），不会显示。",
    en: "InfluxDB is ready: database {database} (raw points kept {days} days), the gateway's user {gateway} (READ and WRITE), Grafana's read-only user {reader}. The passwords are in their files (0600) and are never printed.",
  },
  "admin.bad-lane-role": {
    "zh-CN": "通道角色必须是以下之一：{roles}",
    en: "a lane's role is one of {roles}",
  },
  "admin.lane-role-set": {
    "zh-CN":
      "通道 {station}/{device} 的角色已设为 {role}；运行中的网关立即生效（已记入审计日志）。请在该通道的 lane.json 中设置相同的 role。",
    en: "Lane {station}/{device} is now {role}; a running gateway applies it at once (recorded in the audit log). Set the same role in that lane's lane.json.",
  },
  "admin.bad-lane-name": {
    "zh-CN": "通道名称最多 40 个字，不能含控制字符",
    en: "a lane name is at most 40 characters, with no control characters",
  },
  "admin.no-such-device": {
    "zh-CN": "没有登记设备 {station}/{device}（npm run gateway -- list 列出设备）",
    en: "no device {station}/{device} is registered (npm run gateway -- list shows them)",
  },
  "admin.device-disabled": {
    "zh-CN":
      "设备 {station}/{device} 已停用：运行中的网关在一秒内断开它，并在 enable-device 之前拒绝其登录。",
    en: "Device {station}/{device} disabled: a running gateway cuts it off within a second and refuses its logins until enable-device.",
  },
  "admin.device-enabled": {
    "zh-CN": "设备 {station}/{device} 已启用：它可以用原密钥重新登录。",
    en: "Device {station}/{device} enabled: it may log in again with its secret.",
  },
  "admin.device-removed": {
    "zh-CN":
      "设备 {station}/{device} 已删除：运行中的网关在一秒内断开它，其密钥与保留配置一并清除。需要时用 add-device 重新登记。",
    en: "Device {station}/{device} removed: a running gateway cuts it off within a second, and its secret and retained config are gone. add-device registers it anew.",
  },
  "admin.secret-rotated": {
    "zh-CN":
      "已为 {station}/{device} 生成新密钥。通道在 {until} 之前在线或用旧密钥登录时，网关会经已认证的连接把新密钥发给它并由它保存；通道用新密钥登录后（最迟 {until}）旧密钥失效。无法自动接收的旧版设备程序，须在 {until} 之前把此密钥写入其配置文件。",
    en: "New secret for {station}/{device}. While the lane is connected, or logs in with its old secret before {until}, the gateway sends it the new one over its authenticated connection and the lane keeps it; the old secret stops working once the lane logs in with the new one, and at {until} at the latest. A lane on older firmware that cannot take it needs this secret in its config before {until}.",
  },
  "admin.bad-grace": {
    "zh-CN": "--grace 应为时长，例如 30s、15m、12h 或 7d，最长 90d",
    en: "--grace must be a duration such as 30s, 15m, 12h or 7d, at most 90d",
  },
  "admin.no-such-user": {
    "zh-CN": "没有值班台用户 {username}（npm run gateway -- users 列出用户）",
    en: "no console user {username} (npm run gateway -- users lists them)",
  },
  "admin.user-disabled": {
    "zh-CN": "值班台用户 {username} 已停用：已结束 {sessions} 个会话，在 enable-user 之前拒绝其登录。",
    en: "Console user {username} disabled: {sessions} sessions ended; logins refused until enable-user.",
  },
  "admin.user-enabled": {
    "zh-CN": "值班台用户 {username} 已启用：可用原密码登录。",
    en: "Console user {username} enabled: they may log in with their password.",
  },
  "admin.user-removed": {
    "zh-CN": "值班台用户 {username} 已删除：已结束 {sessions} 个会话。",
    en: "Console user {username} removed; {sessions} sessions ended.",
  },
  "admin.users-columns": {
    "zh-CN": "用户名\t角色\t状态\t会话",
    en: "username\trole\tstate\tsessions",
  },
  "admin.state-enabled": { "zh-CN": "启用", en: "enabled" },
  "admin.state-disabled": { "zh-CN": "停用", en: "disabled" },
  "admin.users-summary": { "zh-CN": "共 {n} 个值班台用户", en: "{n} console users" },
  "admin.rotating": {
    "zh-CN": "新密钥待送达，旧密钥有效至 {until}",
    en: "new secret on its way; the old one works until {until}",
  },
  "audit.admin.influx-setup": {
    "zh-CN": "设置 InfluxDB 用户与数据库",
    en: "InfluxDB users and database set up",
  },
  "audit.admin.device-disabled": { "zh-CN": "停用设备", en: "device disabled" },
  "audit.admin.device-enabled": { "zh-CN": "启用设备", en: "device enabled" },
  "audit.admin.device-removed": { "zh-CN": "删除设备", en: "device removed" },
  "audit.admin.secret-rotated": { "zh-CN": "更换设备密钥", en: "device secret rotated" },
  "audit.admin.user-disabled": { "zh-CN": "停用值班台用户", en: "console user disabled" },
  "audit.admin.user-enabled": { "zh-CN": "启用值班台用户", en: "console user enabled" },
  "audit.admin.user-removed": { "zh-CN": "删除值班台用户", en: "console user removed" },
  "audit.mqtt.secret-sent": { "zh-CN": "向设备发送新密钥", en: "new secret sent to the device" },
  "audit.mqtt.secret-adopted": { "zh-CN": "设备改用新密钥", en: "device logged in with its new secret" },
  "audit.mqtt.cut-off": { "zh-CN": "断开已停用或已删除的设备", en: "disabled or removed device cut off" },
  "audit.trace.lookup": { "zh-CN": "一码溯源查询", en: "person traced" },
  "audit.admin.set-lane-name": { "zh-CN": "设置通道名称", en: "lane named" },
  "audit.alerts.search": { "zh-CN": "搜索告警", en: "alerts searched" },
} as const satisfies Section;

/** Secrets at rest (protocol/file-modes.ts): what the gateway and the lane say when they refuse to start. */
const FILES = {
  "files.refused-gateway": {
    "zh-CN": "网关拒绝启动：以下目录或文件保存密钥或个人数据，但其他用户也能访问。请逐条运行后再启动：",
    en: "The gateway will not start: these folders or files hold secrets or personal data and other users can reach them. Run each command, then start it again:",
  },
  "files.refused-lane": {
    "zh-CN": "设备程序拒绝启动：以下目录或文件保存通道的密钥，但其他用户也能访问。请逐条运行后再启动：",
    en: "The lane will not start: these folders or files hold its secrets and other users can reach them. Run each command, then start it again:",
  },
  "files.too-open": {
    "zh-CN": "{path}（权限 {mode}，{who}可访问）：{chmod}",
    en: "{path} (mode {mode}, open to {who}): {chmod}",
  },
  "files.group": { "zh-CN": "同组用户", en: "its group" },
  "files.others": { "zh-CN": "其他用户", en: "other users" },
  "files.group-and-others": { "zh-CN": "同组及其他用户", en: "its group and other users" },
} as const satisfies Section;

/** The people flows (gateway/ops/people-flows.ts): roster, daily readings, transfers, city figures. */
const FLOWS = {
  "flows.township-required": {
    "zh-CN": "移交居家隔离须选择属地街道：{names}",
    en: "a handover to home isolation needs its township: {names}",
  },
  "flows.clinic-required": {
    "zh-CN": "转运发热门诊须选择门诊：{names}",
    en: "a transfer needs its fever clinic: {names}",
  },
  "roster.not-found": { "zh-CN": "居家隔离名单中没有 {id}", en: "{id} is not on the home-isolation roster" },
  "roster.not-active": {
    "zh-CN": "{id} 的居家隔离已结束，不能再登记",
    en: "the home isolation of {id} has ended: nothing more can be recorded",
  },
  "transfer.not-found": { "zh-CN": "没有转运记录 {id}", en: "no transfer {id}" },
  "transfer.has-result": {
    "zh-CN": "转运 {id} 已登记门诊结果，不能重复登记",
    en: "transfer {id} has its clinic result already",
  },
  "flows.bad-reading": {
    "zh-CN": "体温须为 30–45 °C 之间的数字，测量方式须为额温、耳温、腋温或口温",
    en: "a temperature is a number from 30 to 45 °C, taken at the forehead, ear, armpit or mouth",
  },
  "flows.bad-end": {
    "zh-CN": "提前解除居家隔离须填写原因（2–200 字）",
    en: "ending a home isolation early needs a reason (2-200 characters)",
  },
  "flows.bad-result": {
    "zh-CN": "门诊结果须为：排除、留观、收治入院或转居家隔离",
    en: "a clinic result is one of: excluded, observation, admitted, home isolation",
  },
  "flows.township": { "zh-CN": "属地街道", en: "Township" },
  "flows.person": { "zh-CN": "人员（假名）", en: "Person (pseudonym)" },
  "flows.station": { "zh-CN": "发现站点", en: "Found at" },
  "flows.handed-at": { "zh-CN": "移交时间", en: "Handed over" },
  "flows.by": { "zh-CN": "经办人", en: "By" },
  "flows.actions": { "zh-CN": "操作", en: "Actions" },
  "flows.method": { "zh-CN": "测量方式", en: "Method" },
  "flows.save": { "zh-CN": "保存", en: "Save" },
  "flows.none": { "zh-CN": "暂无", en: "none" },
  "flows.page": { "zh-CN": "共 {total} 人", en: "{total} in all" },
  "flows.isolation-status": {
    "zh-CN": "居家隔离：{township}，{start} 起至 {end}（{state}）",
    en: "Home isolation: {township}, from {start} to {end} ({state})",
  },
  "flows.transfer-status": {
    "zh-CN": "转运：{clinic}，{at}；结果：{result}",
    en: "Transfer: {clinic}, {at}; result: {result}",
  },
  "flows.clinic": { "zh-CN": "发热门诊", en: "Fever clinic" },
  "flows.roster": { "zh-CN": "居家隔离名单", en: "Home-isolation roster" },
  "flows.transfers": { "zh-CN": "转运发热门诊", en: "Fever-clinic transfers" },
  "flows.awaiting": { "zh-CN": "待门诊结果", en: "awaiting the clinic" },
  "flows.all": { "zh-CN": "全部", en: "all" },
  "flows.start": { "zh-CN": "开始", en: "Start" },
  "flows.end-day": { "zh-CN": "解除日期", en: "Ends" },
  "flows.readings": { "zh-CN": "已报体温", en: "Readings" },
  "flows.last-reading": { "zh-CN": "最近体温", en: "Last reading" },
  "flows.read-today": { "zh-CN": "今日已报", en: "Read today" },
  "flows.not-read-today": { "zh-CN": "今日未报", en: "Not read today" },
  "flows.missed-days": { "zh-CN": "漏报天数", en: "Missed days" },
  "flows.record-reading": { "zh-CN": "登记体温", en: "Record reading" },
  "flows.end": { "zh-CN": "提前解除", en: "End early" },
  "flows.end-reason": { "zh-CN": "解除原因", en: "Reason" },
  "flows.state.active": { "zh-CN": "隔离中", en: "isolating" },
  "flows.state.completed": { "zh-CN": "期满解除", en: "completed" },
  "flows.state.ended": { "zh-CN": "提前解除", en: "ended early" },
  "flows.handed-over": { "zh-CN": "{at} 由 {officer} 移交", en: "handed over by {officer} at {at}" },
  "flows.result": { "zh-CN": "门诊结果", en: "Clinic result" },
  "flows.record-result": { "zh-CN": "登记结果", en: "Record result" },
  "flows.result-by": { "zh-CN": "{at} 由 {officer} 登记", en: "recorded by {officer} at {at}" },
  "flows.no-result": { "zh-CN": "尚无结果", en: "no result yet" },
  "flows.method.forehead": { "zh-CN": "额温", en: "forehead" },
  "flows.method.ear": { "zh-CN": "耳温", en: "ear" },
  "flows.method.armpit": { "zh-CN": "腋温", en: "armpit" },
  "flows.method.oral": { "zh-CN": "口温", en: "oral" },
  "result.excluded": { "zh-CN": "排除，已离院", en: "Excluded, left the clinic" },
  "result.observation": { "zh-CN": "留观", en: "Kept for observation" },
  "result.admitted": { "zh-CN": "收治入院", en: "Admitted" },
  "result.home-isolation": { "zh-CN": "转居家隔离", en: "Sent to home isolation" },
  "flows.city": { "zh-CN": "人员流转（今日）", en: "People flows (today)" },
  "flows.city-roster": {
    "zh-CN": "居家隔离 {active} 人，今日已报体温 {read} 人（{compliance}）",
    en: "{active} in home isolation, {read} read today ({compliance})",
  },
  "flows.city-moves": {
    "zh-CN": "今日移交居家隔离 {handed} 人，转运发热门诊 {transferred} 人",
    en: "today {handed} handed over to home isolation, {transferred} transferred to fever clinics",
  },
} as const satisfies Section;

/**
 * Registration without a code (issue 11): the lane's keypad, the console's registration desk and
 * a station's visitor log.
 */
const REGISTRATION = {
  "lane.keypad-connected": { "zh-CN": "身份证号键盘已连接", en: "Keypad connected" },
  "lane.keypad-gone": {
    "zh-CN": "身份证号键盘已断开，1 秒后重试（请检查连接线）",
    en: "Keypad gone; retrying in 1 s (check the cable)",
  },
  "lane.keypad-error": { "zh-CN": "身份证号键盘端口出错：{error}", en: "Keypad port error: {error}" },
  "sim.keypad": {
    "zh-CN": '身份证号键盘：{address}   （lane.json 的 "keypad"）',
    en: 'keypad: {address}   (lane.json "keypad")',
  },
  "sim.keyed": { "zh-CN": "已在键盘上输入：{number}", en: "typed on the keypad: {number}" },
  "sim.no-keypad": {
    "zh-CN": "此通道没有身份证号键盘",
    en: "this lane has no keypad",
  },
  "console.desk": { "zh-CN": "无码人员登记", en: "Register without a code" },
  "console.desk-hint": {
    "zh-CN": "为没有手机健康码的人员（老人、儿童）登记：输入身份证号和手持体温计读数。身份证号不会被保存。",
    en: "For people without a code on a phone (the elderly, children): type the ID number and the handheld thermometer's reading. The ID number is not kept.",
  },
  "console.desk-id": { "zh-CN": "身份证号", en: "ID number" },
  "console.desk-temp": { "zh-CN": "手持体温计读数 °C", en: "Handheld reading °C" },
  "console.desk-station": { "zh-CN": "登记站点", en: "Station" },
  "console.desk-go": { "zh-CN": "登记", en: "Register" },
  "console.desk-done": {
    "zh-CN": "已登记：{verdict}，{temp} °C（人员代号 {subject}）",
    en: "Registered: {verdict}, {temp} °C (pseudonym {subject})",
  },
  "console.visitors": { "zh-CN": "来访登记", en: "Visitor log" },
  "console.visitors-none": {
    "zh-CN": "当日该站点没有筛查记录",
    en: "no screenings at this station that day",
  },
  "console.visitors-page": {
    "zh-CN": "第 {from}–{to} 条，共 {total} 条",
    en: "{from}–{to} of {total}",
  },
  "visitors.col.time": { "zh-CN": "时间", en: "time" },
  "visitors.col.entry": { "zh-CN": "登记方式", en: "identified by" },
  "visitors.col.subject": { "zh-CN": "人员代号", en: "pseudonym" },
  "visitors.entry.code": { "zh-CN": "扫码", en: "code" },
  "visitors.entry.card": { "zh-CN": "刷身份证", en: "ID card" },
  "visitors.entry.keypad": { "zh-CN": "键盘输入身份证号", en: "keypad" },
  "visitors.entry.desk": { "zh-CN": "人工登记", en: "desk" },
  "visitors.entry.unknown": { "zh-CN": "未记录", en: "not recorded" },
  "visitors.desk": { "zh-CN": "登记台", en: "registration desk" },
  "api.desk-bad-request": {
    "zh-CN": "登记需要身份证号、手持体温计读数（34–43 °C）和站点编号",
    en: "a registration needs an ID number, the handheld reading (34–43 °C) and a station id",
  },
  "api.desk-unknown-station": {
    "zh-CN": "没有这个站点：{station}",
    en: "no such station: {station}",
  },
  "api.visitors-bad-query": {
    "zh-CN": "来访登记查询需要站点编号和日期（YYYY-MM-DD），每页 1–200 条",
    en: "the visitor log needs a station id and a date (YYYY-MM-DD), 1–200 a page",
  },
} as const satisfies Section;

export const CATALOGUE = {
  ...FLOWS,
  ...REGISTRATION,
  ...CONSOLE,
  ...API,
  ...LANE,
  ...IDENTITY,
  ...TECHNICIAN,
  ...ADMIN,
  ...FILES,
  ...LIFECYCLE,
  ...STATIONS,
  ...GRAFANA,
} as const;

export type MessageKey = keyof typeof CATALOGUE;

/** The `{name}`s in a text. */
type Placeholders<S extends string> = S extends `${string}{${infer Name}}${infer Rest}`
  ? Name | Placeholders<Rest>
  : never;

export type MessageParams<K extends MessageKey> = {
  readonly [P in Placeholders<(typeof CATALOGUE)[K]["en"]>]: string | number;
};

/** Either no parameters (the message has no placeholders) or exactly its parameters. */
export type ParamsArg<K extends MessageKey> = [Placeholders<(typeof CATALOGUE)[K]["en"]>] extends [never]
  ? []
  : [params: MessageParams<K>];

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(CATALOGUE, key);
}

/** Fills `{name}` placeholders in one pass; a placeholder without a value stays as it is. */
export function interpolate(text: string, params: Readonly<Record<string, string | number>>): string {
  return text.replace(/\{([\w-]+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/** The message `key` in `locale`, with its parameters filled in. */
export function t<K extends MessageKey>(locale: Locale, key: K, ...params: ParamsArg<K>): string {
  const entry: Entry = CATALOGUE[key];
  return interpolate(entry[locale], params[0] ?? {});
}

/**
 * The message `key` in `locale` with parameters checked elsewhere (a MessageError's, carried
 * across a boundary); prefer t(), which checks them here.
 */
export function messageText(
  locale: Locale,
  key: MessageKey,
  params: Readonly<Record<string, string | number>> = {},
): string {
  return interpolate(CATALOGUE[key][locale], params);
}

/** A translator bound to one locale. */
export type Translate = <K extends MessageKey>(key: K, ...params: ParamsArg<K>) => string;

export function translator(locale: Locale): Translate {
  return (key, ...params) => t(locale, key, ...params);
}

/**
 * A locale from a setting or a language tag: "zh", "zh-CN", "zh_CN.UTF-8", "zh-Hans-CN" → zh-CN;
 * "en", "en-GB", "en_US.UTF-8" → en. Anything else (including "C", "POSIX", "fr") → null.
 */
export function parseLocale(value: string | undefined | null): Locale | null {
  const tag = (value ?? "").trim().split(/[.@]/)[0]?.replace("_", "-").toLowerCase() ?? "";
  if (tag === "zh" || tag.startsWith("zh-")) return "zh-CN";
  if (tag === "en" || tag.startsWith("en-")) return "en";
  return null;
}

/**
 * The best supported locale of an Accept-Language header ("en-US,en;q=0.9,zh-CN;q=0.8"), by
 * q-value then order; null when it names none that is supported.
 */
export function localeFromAcceptLanguage(header: string | undefined | null): Locale | null {
  const ranked = (header ?? "")
    .split(",")
    .map((part, index) => {
      const [tag = "", ...options] = part.trim().split(";");
      const q = options.map((o) => /^\s*q=([\d.]+)\s*$/.exec(o)?.[1]).find((v) => v !== undefined);
      return { locale: parseLocale(tag), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r): r is { locale: Locale; q: number; index: number } => r.locale !== null && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.locale ?? null;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** A date and time as officers read it: "2024/11/30 08:05:09" in the given zone. */
export function formatDateTime(locale: Locale, at: Date | number, timeZone = DEFAULT_TIME_ZONE): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).format(at);
}

/** The calendar day ("YYYY-MM-DD") of an instant in the given zone. */
export function dayIn(at: Date | number, timeZone = DEFAULT_TIME_ZONE): string {
  return new Intl.DateTimeFormat("sv-SE", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(at);
}

/** A calendar day ("YYYY-MM-DD") plus `n` days (negative: before). */
export function addDays(day: string, n: number): string {
  const [y = 0, m = 0, d = 0] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** How far the zone's wall clock is ahead of UTC at an instant, in ms. */
function zoneOffsetMs(atMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(atMs);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  return wall - Math.floor(atMs / 1000) * 1000;
}

/** The instant a wall-clock midnight ("YYYY-MM-DD", day offset) begins in the zone. */
function zoneMidnight(y: number, m: number, d: number, timeZone: string): number {
  const guess = Date.UTC(y, m - 1, d);
  const first = guess - zoneOffsetMs(guess, timeZone);
  // Once more, for a day whose offset differs from the guess's (a DST change).
  return guess - zoneOffsetMs(first, timeZone);
}

/** The instants a calendar day ("YYYY-MM-DD") of the zone begins and ends. */
export function dayBounds(date: string, timeZone = DEFAULT_TIME_ZONE): { fromMs: number; toMs: number } {
  const [y = 0, m = 0, d = 0] = date.split("-").map(Number);
  return { fromMs: zoneMidnight(y, m, d, timeZone), toMs: zoneMidnight(y, m, d + 1, timeZone) };
}

/** An error whose text comes from the catalogue: its message is English (for logs). */
export class MessageError<K extends MessageKey = MessageKey> extends Error {
  readonly params: Readonly<Record<string, string | number>>;

  constructor(
    readonly key: K,
    ...params: ParamsArg<K>
  ) {
    super(t("en", key, ...params));
    this.name = "MessageError";
    this.params = params[0] ?? {};
  }

  /** The message in `locale`. */
  text(locale: Locale): string {
    return messageText(locale, this.key, this.params);
  }
}
