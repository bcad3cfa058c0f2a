// admin.html: the page's own script (kept out of the HTML: the CSP allows no inline script).
// Config overview, and users: add, set password, disable/enable, list and revoke tokens (/api/admin/users...).
const ADMIN_TEXT = {
  zh: { users: "用户", role: "角色", disabled: "已停用", active: "正常", tokens: "令牌", actions: "操作", disable: "停用",
    enable: "启用", show_tokens: "查看令牌", revoke: "吊销", revoke_all: "吊销全部", add_user: "添加用户", new_name: "用户名",
    new_password: "密码（至少12位，不能是常见密码）", set_password: "设置密码", kind: "类型", created: "创建",
    expires: "到期", last_used: "最近使用", done: "已完成", no_tokens: "无有效令牌" },
  en: { users: "Users", role: "Role", disabled: "disabled", active: "active", tokens: "Tokens", actions: "Actions",
    disable: "Disable", enable: "Enable", show_tokens: "Tokens", revoke: "Revoke", revoke_all: "Revoke all",
    add_user: "Add user", new_name: "User name", new_password: "Password (12+ characters, not a common one)",
    set_password: "Set password", kind: "Kind", created: "Created", expires: "Expires", last_used: "Last used",
    done: "Done", no_tokens: "No live tokens" },
};
const at = (key) => (ADMIN_TEXT[BW.lang] || ADMIN_TEXT.en)[key] || key;
const userPath = (name) => `/api/admin/users/${encodeURIComponent(name)}`;

function say(text, bad = false) {
  const msg = document.getElementById("user-msg");
  msg.textContent = text;
  msg.className = bad ? "error" : "";
}

async function act(fn) {
  try { await fn(); say(at("done")); } catch (e) { say(e.message, true); }
  await loadUsers();
}

async function loadUsers() {
  const users = await BW.api("/api/admin/users");
  const rows = users.map((u) => `<tr><td>${BW.esc(u.username)}</td><td>${BW.esc(u.role)}</td>
    <td>${u.disabled ? at("disabled") : at("active")}</td><td>${u.tokens}</td>
    <td><button data-act="${u.disabled ? "enable" : "disable"}" data-user="${BW.esc(u.username)}">${at(u.disabled ? "enable" : "disable")}</button>
    <button data-act="tokens" data-user="${BW.esc(u.username)}">${at("show_tokens")}</button></td></tr>`);
  document.getElementById("users").innerHTML = `<tr><th>${at("new_name")}</th><th>${at("role")}</th><th></th>
    <th>${at("tokens")}</th><th>${at("actions")}</th></tr>` + rows.join("");
  const pick = document.getElementById("pw-user");
  const chosen = pick.value;
  pick.innerHTML = users.map((u) => `<option>${BW.esc(u.username)}</option>`).join("");
  if (chosen) pick.value = chosen;
}

async function showTokens(name) {
  const tokens = await BW.api(`${userPath(name)}/tokens`);
  const rows = tokens.map((t) => `<tr><td class="mono">${BW.esc(t.id)}</td><td>${BW.esc(t.kind)}</td><td>${BW.when(t.created)}</td>
    <td>${BW.when(t.expires)}</td><td>${BW.when(t.last_used)}</td>
    <td><button data-act="revoke" data-user="${BW.esc(name)}" data-token="${BW.esc(t.id)}">${at("revoke")}</button></td></tr>`);
  document.getElementById("tokens").innerHTML = `<h4>${BW.esc(name)}: ${at("tokens")}</h4>` + (tokens.length
    ? `<table><tr><th>id</th><th>${at("kind")}</th><th>${at("created")}</th><th>${at("expires")}</th><th>${at("last_used")}</th><th></th></tr>${rows.join("")}</table>
       <button data-act="revoke-all" data-user="${BW.esc(name)}">${at("revoke_all")}</button>`
    : `<p>${at("no_tokens")}</p>`);
}

(async () => {
  await BW.init("admin");
  const c = await BW.api("/api/admin/config");
  document.getElementById("city").textContent = `${c.city} (${c.timezone})`;
  const rows = [];
  for (const com of c.communities) for (const p of com.points) for (const cam of p.cameras)
    rows.push(`<tr><td>${BW.esc(com.name || com.id)}</td><td>${BW.esc(p.name || p.id)}</td><td>${BW.esc(cam.name || cam.camera_id)}<br><small class="mono">${BW.esc(cam.source)}</small></td>
      <td><span class="badge ${cam.state}">${BW.t(cam.state)}</span> ${cam.fps_in} fps</td><td>${BW.esc(JSON.stringify(cam.events))}</td><td>${BW.esc(cam.speaker || "-")}</td>
      <td>${com.schedule ? com.schedule.windows.map((w) => w.start.slice(0, 5) + "-" + w.end.slice(0, 5)).join(", ") : "-"}</td></tr>`);
  document.getElementById("config").innerHTML = `<tr><th>${BW.t("community")}</th><th>${BW.t("point")}</th><th>${BW.t("camera")}</th>
    <th>${BW.t("state")}</th><th>${BW.t("events")}</th><th>${BW.t("speaker")}</th><th>${BW.t("schedule")}</th></tr>` + rows.join("");

  document.getElementById("users-title").textContent = at("users");
  document.getElementById("new-name").placeholder = at("new_name");
  document.getElementById("new-password").placeholder = at("new_password");
  document.getElementById("pw-password").placeholder = at("new_password");
  document.getElementById("add-user-button").textContent = at("add_user");
  document.getElementById("set-password-button").textContent = at("set_password");
  document.getElementById("accounts").addEventListener("click", (e) => {
    const b = e.target.closest("button[data-act]");
    if (!b) return;
    const name = b.dataset.user;
    if (b.dataset.act === "tokens") { showTokens(name).catch((err) => say(err.message, true)); return; }
    const path = { disable: `${userPath(name)}/disable`, enable: `${userPath(name)}/enable`,
      revoke: `${userPath(name)}/tokens/${encodeURIComponent(b.dataset.token || "")}/revoke`,
      "revoke-all": `${userPath(name)}/tokens/revoke` }[b.dataset.act];
    act(async () => {
      await BW.api(path, { method: "POST" });
      if (b.dataset.act.startsWith("revoke")) await showTokens(name);
    });
  });
  document.getElementById("add-user").addEventListener("submit", (e) => {
    e.preventDefault();
    const body = { username: document.getElementById("new-name").value, role: document.getElementById("new-role").value,
      password: document.getElementById("new-password").value };
    act(async () => { await BW.api("/api/admin/users", { method: "POST", body: JSON.stringify(body) }); e.target.reset(); });
  });
  document.getElementById("set-password").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = document.getElementById("pw-user").value;
    const body = { password: document.getElementById("pw-password").value };
    act(async () => { await BW.api(`${userPath(name)}/password`, { method: "POST", body: JSON.stringify(body) }); e.target.reset(); });
  });
  await loadUsers();
})();
