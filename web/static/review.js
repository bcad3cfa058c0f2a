// review.html: the page's own script (kept out of the HTML: the CSP allows no inline script).
(async () => {
  const me = await BW.init("review");
  let rows = [], sel = 0;
  const q = document.getElementById("queue");
  async function load() {
    const p = new URLSearchParams({ limit: "100" });
    for (const k of ["kind", "status"]) if (document.getElementById(k).value) p.set(k, document.getElementById(k).value);
    rows = (await BW.api("/api/events?" + p)).items; sel = Math.min(sel, Math.max(0, rows.length - 1)); draw();
  }
  function draw() {
    q.innerHTML = `<tr><th>${BW.t("time")}</th><th>${BW.t("kind")}</th><th>${BW.t("camera")}</th><th>${BW.t("status")}</th><th></th></tr>` +
      (rows.length ? rows.map((e, i) => `<tr class="${i === sel ? "sel" : ""}" data-id="${BW.esc(e.event_id)}"><td>${BW.when(e.wall)}</td>
      <td>${BW.t(e.kind)}</td><td>${BW.esc(e.camera_id)}</td><td>${BW.t(e.status)}</td>
      <td><a href="/events/${encodeURIComponent(e.event_id)}">${BW.esc(e.event_id)}</a></td></tr>`).join("") : `<tr><td colspan="5">${BW.t("no_events")}</td></tr>`);
  }
  async function verdict(v) {
    const e = rows[sel]; if (!e || me.role === "operator") return;
    const body = { verdict: v };
    if (v === "dismissed") { const r = prompt(BW.t("reason")); if (!r || !r.trim()) return; body.reason = r; }
    await BW.api(`/api/events/${encodeURIComponent(e.event_id)}/review`, { method: "POST", body: JSON.stringify(body) });
    await load();
  }
  async function handover() {
    const e = rows[sel]; if (!e) return;
    const notes = prompt(BW.t("notes")) ?? "";
    await BW.api("/api/cases", { method: "POST", body: JSON.stringify({ event_ids: [e.event_id], notes }) }).catch((x) => alert(x.message));
    await load(); await cases();
  }
  async function cases() {
    if (me.role === "operator") return;
    const cs = await BW.api("/api/cases");
    const next = { handed_over: "rectified", rectified: "closed" };
    document.getElementById("cases").innerHTML = `<tr><th>#</th><th>${BW.t("status")}</th><th>${BW.t("events")}</th><th>${BW.t("notes")}</th><th></th></tr>` +
      cs.map((c) => `<tr><td>${c.id}</td><td>${BW.t(c.status)}</td><td>${c.event_ids.map(BW.esc).join("<br>")}</td><td>${BW.esc(c.notes)}</td>
      <td>${next[c.status] ? `<button data-case="${c.id}" data-to="${next[c.status]}">${BW.t(next[c.status])}</button>` : ""}
      <a href="/api/cases/${c.id}/export">${BW.t("export")}</a></td></tr>`).join("");
    document.querySelectorAll("button[data-case]").forEach((b) => b.onclick = async () => {
      await BW.api(`/api/cases/${b.dataset.case}/status`, { method: "POST", body: JSON.stringify({ status: b.dataset.to }) }); cases();
    });
  }
  async function warnings() {  // said on the spot; the same id as the event it became, if it became one
    const ws = (await BW.api("/api/warnings?limit=50")).items;
    document.getElementById("warnings").innerHTML = `<tr><th>${BW.t("time")}</th><th>${BW.t("camera")}</th><th>${BW.t("speaker")}</th><th>${BW.t("outcome")}</th></tr>` +
      (ws.length ? ws.map((w) => `<tr data-id="${BW.esc(w.event_id)}"><td>${BW.when(w.wall)}</td><td>${BW.esc(w.camera_id)}</td>
      <td class="shout">${BW.esc(BW.t("shout_" + (w.shout ?? "none")))}</td>
      <td>${w.became_event ? `<a href="/events/${encodeURIComponent(w.event_id)}">${BW.t("became_event")}</a>` : BW.t("no_event_yet")}</td></tr>`).join("")
        : `<tr><td colspan="4">${BW.t("no_warnings")}</td></tr>`);
  }
  document.addEventListener("keydown", (ev) => {
    if (ev.target.tagName === "INPUT" || ev.target.tagName === "SELECT") return;
    if (ev.key === "j") { sel = Math.min(sel + 1, rows.length - 1); draw(); }
    else if (ev.key === "k") { sel = Math.max(sel - 1, 0); draw(); }
    else if (ev.key === "c") verdict("confirmed");
    else if (ev.key === "d") verdict("dismissed");
    else if (ev.key === "h") handover();
    else if (ev.key === "o" && rows[sel]) location.href = "/events/" + encodeURIComponent(rows[sel].event_id);
  });
  document.getElementById("kind").onchange = load; document.getElementById("status").onchange = load;
  await load(); await cases(); await warnings();
  setInterval(warnings, 10000);
})();
