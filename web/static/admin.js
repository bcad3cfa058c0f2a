// admin.html: the page's own script (kept out of the HTML: the CSP allows no inline script).
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
})();
