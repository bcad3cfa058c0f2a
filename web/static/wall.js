// wall.html: the page's own script (kept out of the HTML: the CSP allows no inline script).
(async () => {
  await BW.init("wall");
  const grid = document.getElementById("grid"), list = document.getElementById("alert-list");
  const since = {};
  async function cameras() {
    const cams = await BW.api("/api/cameras");
    for (const c of cams) {
      let tile = document.getElementById("cam-" + c.camera_id);
      if (!tile) {
        tile = document.createElement("div"); tile.className = "tile"; tile.id = "cam-" + c.camera_id;
        tile.innerHTML = `<img alt="${BW.esc(c.camera_id)}"><div class="warn">${BW.esc(BW.t("warned"))}</div><div class="cap"><span>${BW.esc(c.community)} · ${BW.esc(c.name || c.camera_id)}</span><span class="badge"></span></div>`;
        grid.appendChild(tile);
      }
      if (!since[c.camera_id] || since[c.camera_id].state !== c.state) since[c.camera_id] = { state: c.state, at: new Date() };
      const badge = tile.querySelector(".badge");
      badge.className = "badge " + c.state;
      badge.textContent = BW.t(c.state) + " " + BW.t("since") + " " + since[c.camera_id].at.toLocaleTimeString();
      if (c.state === "online") tile.querySelector("img").src = `/api/cameras/${encodeURIComponent(c.camera_id)}/picture.jpg?t=${Date.now()}`;
    }
  }
  function alertItem(e, fresh) {
    const li = document.createElement("li"); li.id = "alert-" + e.event_id; li.dataset.kind = e.kind;
    if (fresh) li.className = "fresh";
    const acked = e.status && e.status !== "new";
    li.innerHTML = `<b>${BW.esc(BW.t(e.kind))}</b> · ${BW.esc(e.camera_id)}<br><small>${BW.when(e.wall)}</small><br>
      <a href="/events/${encodeURIComponent(e.event_id)}">${BW.esc(e.event_id)}</a>
      <button class="ack" ${acked ? "disabled" : ""}>${BW.t(acked ? "acked" : "ack")}</button>`;
    li.querySelector(".ack").onclick = async (ev) => {
      await BW.api(`/api/events/${encodeURIComponent(e.event_id)}/ack`, { method: "POST" });
      ev.target.disabled = true; ev.target.textContent = BW.t("acked"); li.classList.remove("fresh");
    };
    return li;
  }
  const recent = await BW.api("/api/events?limit=30");
  recent.items.forEach((e) => list.appendChild(alertItem(e, false)));
  const source = new EventSource("/api/stream");
  source.addEventListener("alert", (m) => {
    const e = JSON.parse(m.data);
    if (document.getElementById("alert-" + e.event_id)) return;
    list.prepend(alertItem(Object.assign({ status: "new" }, e), true));
    BW.beep();
  });
  source.addEventListener("warning", (m) => {  // said on the spot: the tile shows it for a minute, no alert yet
    const e = JSON.parse(m.data), tile = document.getElementById("cam-" + e.camera_id);
    if (!tile) return;
    const banner = tile.querySelector(".warn");
    banner.classList.add("on"); banner.title = e.event_id;
    clearTimeout(banner.timer); banner.timer = setTimeout(() => banner.classList.remove("on"), 60000);
  });
  // The center's own state: a problem it reports (/healthz "degraded", e.g. no space for evidence) or its
  // being out of reach is a banner over the wall, so nobody watches a wall that has stopped telling the truth.
  const problems = document.getElementById("problems");
  let lostSince = null;
  async function health() {
    let text = "";
    try {
      const r = await fetch("/healthz", { cache: "no-store", signal: AbortSignal.timeout(4000) });
      if (!r.ok) throw new Error(String(r.status));
      const h = await r.json();
      lostSince = null;
      if (h.status === "degraded") text = BW.t("center_problems") + ": " + h.problems.join("; ");
    } catch (err) {
      lostSince = lostSince || new Date();
      text = BW.t("center_lost") + " " + lostSince.toLocaleTimeString();
    }
    problems.textContent = text;
    problems.hidden = !text;
  }
  await health();
  setInterval(health, 3000);
  await cameras();
  setInterval(() => cameras().catch(() => {}), 2000);
})();
