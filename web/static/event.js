// event.html: the page's own script (kept out of the HTML: the CSP allows no inline script).
(async () => {
  const me = await BW.init("review");
  const id = decodeURIComponent(location.pathname.split("/").pop());
  const base = `/api/events/${encodeURIComponent(id)}`;
  const d = await BW.api(base);
  const e = d.event;
  document.getElementById("head").innerHTML = `<h2>${BW.esc(BW.t(e.kind))} · ${BW.esc(e.camera_id)}</h2>
    <p>${BW.when(e.wall)} · <span id="status">${BW.esc(BW.t(e.status))}</span> · P${e.priority} · ${BW.esc(e.event_id)}</p>
    ${d.warned_at ? `<p id="warned">${BW.esc(BW.t("warned_at"))} ${BW.when(d.warned_at)}</p>` : ""}`;
  if (d.files.includes("annotated.mp4")) document.getElementById("player").src = base + "/files/annotated.mp4";
  const orig = document.getElementById("original"); orig.href = base + "/files/original.mp4"; orig.download = id + "-original.mp4";
  document.getElementById("snaps").innerHTML = ["snapshot.jpg", "snapshot-annotated.jpg"].filter((n) => d.files.includes(n))
    .map((n) => `<img class="snap" src="${base}/files/${n}" alt="${n}">`).join("");
  const m = d.manifest;
  document.getElementById("manifest").innerHTML = m ? `<tr><th>file</th><th>size</th><th>SHA-256</th><th>SM3</th></tr>` +
    Object.entries(m.files).map(([n, f]) => `<tr><td>${n}</td><td>${f.size}</td><td class="mono">${f.sha256}</td><td class="mono">${f.sm3}</td></tr>`).join("") +
    `<tr><td colspan="4">${BW.esc(m.window.local.join(" — "))} · ${BW.esc(m.window.clock_source)} · model ${BW.esc(m.model.file)}</td></tr>` : "<tr><td>-</td></tr>";
  document.getElementById("attempts").innerHTML = `<tr><th>action</th><th>backend</th><th>#</th><th>outcome</th><th>detail</th><th>${BW.t("time")}</th></tr>` +
    d.attempts.map((a) => `<tr><td>${a.action}</td><td>${BW.esc(a.backend)}</td><td>${a.attempt}</td><td>${a.outcome}</td><td>${BW.esc(a.detail)}</td><td>${BW.when(a.started)}</td></tr>`).join("");
  const ledger = document.getElementById("ledger");
  const ledgerRows = (items) => items.map((l) => `<tr><td>${l.seq}</td><td>${BW.when(l.time_utc)}</td><td>${BW.esc(l.action)}</td><td>${BW.esc(l.actor)}</td><td class="mono">${l.hash}</td></tr>`).join("");
  ledger.innerHTML = `<tr><th>#</th><th>${BW.t("time")}</th><th>action</th><th>actor</th><th>hash</th></tr>` + ledgerRows(d.ledger.items);
  // The event carries the ledger's first page; the rest is read page by page on request.
  const more = document.getElementById("ledger-more");
  let shown = d.ledger.items.length;
  const showMore = () => {
    more.hidden = shown >= d.ledger.total;
    more.textContent = `${BW.t("more")} (${shown} / ${d.ledger.total})`;
  };
  more.onclick = async () => {
    const page = await BW.api(`${base}/ledger?offset=${shown}&limit=${d.ledger.limit}`);
    ledger.insertAdjacentHTML("beforeend", ledgerRows(page.items));
    shown += page.items.length; d.ledger.total = page.total; showMore();
  };
  showMore();
  const act = document.getElementById("actions");
  const canReview = me.role !== "operator";
  act.innerHTML = `<button id="shout" data-i18n="shout"></button>` + (canReview ? `
    <button id="confirm" class="ok" data-i18n="confirm"></button>
    <input id="reason" placeholder="${BW.t("reason")}"><button id="dismiss" class="danger" data-i18n="dismiss"></button>
    <input id="notes" placeholder="${BW.t("notes")}"><button id="handover" data-i18n="handover"></button>
    <span id="msg"></span>` : "");
  BW.translate(act);
  const say = (t) => { const el = document.getElementById("msg"); if (el) el.textContent = t; };
  document.getElementById("shout").onclick = () => BW.api(base + "/shout", { method: "POST" }).then(() => say("✓")).catch((x) => say(x.message));
  if (canReview) {
    document.getElementById("confirm").onclick = async () => {
      await BW.api(base + "/review", { method: "POST", body: JSON.stringify({ verdict: "confirmed" }) });
      document.getElementById("status").textContent = BW.t("confirmed"); say("✓");
    };
    document.getElementById("dismiss").onclick = async () => {
      const reason = document.getElementById("reason").value.trim();
      if (!reason) { say(BW.t("reason")); return; }
      await BW.api(base + "/review", { method: "POST", body: JSON.stringify({ verdict: "dismissed", reason }) });
      document.getElementById("status").textContent = BW.t("dismissed"); say("✓");
    };
    document.getElementById("handover").onclick = async () => {
      const c = await BW.api("/api/cases", { method: "POST", body: JSON.stringify({ event_ids: [id], notes: document.getElementById("notes").value }) })
        .catch((x) => { say(x.message); return null; });
      if (c) { document.getElementById("status").textContent = BW.t("case"); say(`#${c.id}`);
        const a = document.createElement("a"); a.id = "export"; a.href = `/api/cases/${c.id}/export`; a.textContent = BW.t("export"); act.appendChild(a); }
    };
  }
})();
