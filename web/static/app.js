// binwatch monitoring center: shared helpers (no framework, no CDN: works offline).
"use strict";

const I18N = {
  zh: {
    title: "垃圾分类监控中心", wall: "监控墙", review: "审核队列", admin: "配置", logout: "退出",
    alerts: "实时告警", warned_at: "已现场喊话于", warned: "已现场喊话：疑似乱扔，人员仍在现场", ack: "确认收到", acked: "已确认", online: "在线", reconnecting: "重连中", offline: "离线",
    connecting: "连接中", stopped: "已停止", "not started": "未启动", since: "自", login: "登录", username: "用户名",
    password: "密码", wrong_login: "用户名或密码错误", littering: "乱扔垃圾", off_hours: "非投放时段投放",
    overflow: "满溢", new: "新告警", acknowledged: "已受理", confirmed: "已确认违规", dismissed: "已驳回",
    case: "已移交", confirm: "确认违规", dismiss: "驳回", handover: "移交", reason: "驳回原因（必填）",
    notes: "移交备注", shout: "再次喊话", annotated: "标注视频", original: "原始视频（下载）", snapshots: "截图",
    manifest: "证据清单与哈希", attempts: "喊话与处理记录", ledger: "监管链（全程留痕）", cases: "案件",
    rectified: "已整改", closed: "已结案", handed_over: "已移交", export: "导出案件包", filter_kind: "类型",
    filter_camera: "摄像机", all: "全部", shortcuts: "快捷键：j/k 上下，c 确认，d 驳回，h 移交，o 打开",
    community: "小区", point: "投放点", camera: "摄像机", state: "状态", events: "事件", speaker: "喇叭",
    schedule: "投放时段", no_events: "暂无事件", time: "时间", kind: "类型", status: "状态",
    warnings: "现场喊话记录", warnings_note: "垃圾落地、人员仍在现场时的喊话；人员离开后成立的乱扔事件沿用同一编号",
    outcome: "结果", shout_ok: "已播放", shout_failed: "播放失败", shout_skipped: "未播放（冷却或静音时段）",
    shout_none: "无喇叭", became_event: "已成立乱扔事件", no_event_yet: "未成立（已拾起、仍在等待或人员未离开）",
    no_warnings: "暂无现场喊话", more: "显示更多",
    center_problems: "监控中心故障", center_lost: "与监控中心的连接已断开，自",
  },
  en: {
    title: "Garbage sorting monitoring center", wall: "Wall", review: "Review queue", admin: "Config", logout: "Log out",
    alerts: "Live alerts", warned_at: "Warned on the spot at", warned: "Warned on the spot: suspected littering, person still there", ack: "Acknowledge", acked: "Acknowledged", online: "online", reconnecting: "reconnecting",
    offline: "offline", connecting: "connecting", stopped: "stopped", "not started": "not started", since: "since",
    login: "Log in", username: "User name", password: "Password", wrong_login: "Wrong user name or password",
    littering: "Littering", off_hours: "Off-hours disposal", overflow: "Overflow", new: "new",
    acknowledged: "acknowledged", confirmed: "confirmed", dismissed: "dismissed", case: "handed over",
    confirm: "Confirm", dismiss: "Dismiss", handover: "Hand over", reason: "Reason for dismissal (required)",
    notes: "Hand-over notes", shout: "Shout again", annotated: "Annotated clip", original: "Original clip (download)",
    snapshots: "Snapshots", manifest: "Manifest and hashes", attempts: "Shouts and actions", ledger: "Custody ledger",
    cases: "Cases", rectified: "rectified", closed: "closed", handed_over: "handed over", export: "Export case",
    filter_kind: "Kind", filter_camera: "Camera", all: "All",
    shortcuts: "Keys: j/k move, c confirm, d dismiss, h hand over, o open",
    community: "Community", point: "Point", camera: "Camera", state: "State", events: "Events", speaker: "Speaker",
    schedule: "Drop-off windows", no_events: "No events", time: "Time", kind: "Kind", status: "Status",
    warnings: "On-the-spot warnings", warnings_note: "Said while garbage lay on the ground and its person was still there; the littering event that follows keeps the same id",
    outcome: "Outcome", shout_ok: "played", shout_failed: "failed", shout_skipped: "not played (cooldown or quiet hours)",
    shout_none: "no speaker", became_event: "became a littering event", no_event_yet: "no event (picked up, still waiting, or the person stayed)",
    no_warnings: "No warnings yet", more: "Show more",
    center_problems: "Monitoring center problem", center_lost: "Connection to the monitoring center lost since",
  },
};

const BW = {
  lang: localStorage.getItem("binwatch.lang") || "zh",
  csrf: "",
  user: null,
  t(key) { return (I18N[BW.lang] && I18N[BW.lang][key]) || key; },
  translate(root = document) {
    document.documentElement.lang = BW.lang === "zh" ? "zh-CN" : "en";
    root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = BW.t(el.dataset.i18n); });
  },
  setLang(lang) { localStorage.setItem("binwatch.lang", lang); BW.lang = lang; location.reload(); },
  async api(path, options = {}) {
    const headers = Object.assign({ "Content-Type": "application/json" }, options.headers || {});
    if (options.method && options.method !== "GET") headers["X-CSRF-Token"] = BW.csrf;
    const r = await fetch(path, Object.assign({}, options, { headers, credentials: "same-origin" }));
    if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); throw new Error("401"); }
    if (!r.ok) { const body = await r.json().catch(() => ({})); throw new Error(body.detail || r.statusText); }
    const type = r.headers.get("content-type") || "";
    return type.includes("json") ? r.json() : r;
  },
  async init(active) {
    const me = await BW.api("/api/me");
    BW.user = me; BW.csrf = me.csrf;
    const nav = document.getElementById("nav");
    if (nav) {
      const links = [["/", "wall"], ["/review", "review"], ["/admin", "admin"]]
        .filter(([, k]) => ({ wall: true, review: me.role !== "operator", admin: me.role === "admin" })[k])  // as api/app.py PAGES
        .map(([href, k]) => `<a href="${href}" class="${k === active ? "active" : ""}" data-i18n="${k}"></a>`).join("");
      nav.innerHTML = `<strong data-i18n="title"></strong>${links}<span class="who">${me.username} (${me.role})</span>
        <button id="lang">${BW.lang === "zh" ? "English" : "中文"}</button><button id="logout" data-i18n="logout"></button>`;
      document.getElementById("lang").onclick = () => BW.setLang(BW.lang === "zh" ? "en" : "zh");
      document.getElementById("logout").onclick = async () => { await BW.api("/api/logout", { method: "POST" }); location.href = "/login"; };
    }
    BW.translate();
    return me;
  },
  when(iso) { return iso ? new Date(iso).toLocaleString(BW.lang === "zh" ? "zh-CN" : "en-GB", { hour12: false }) : "-"; },
  esc(s) { return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c])); },
  beep() {
    try {
      const ctx = new AudioContext(); const o = ctx.createOscillator(); const g = ctx.createGain();
      o.frequency.value = 880; g.gain.value = 0.2; o.connect(g); g.connect(ctx.destination); o.start(); o.stop(ctx.currentTime + 0.3);
    } catch (e) { /* no audio device */ }
  },
};
