// login.html: the page's own script (kept out of the HTML: the CSP allows no inline script).
BW.translate();
document.getElementById("lang").textContent = BW.lang === "zh" ? "English" : "中文";
document.getElementById("lang").onclick = (e) => { e.preventDefault(); BW.setLang(BW.lang === "zh" ? "en" : "zh"); };
document.getElementById("f").onsubmit = async (e) => {
  e.preventDefault();
  const r = await fetch("/api/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: document.getElementById("username").value,
      password: document.getElementById("password").value }) });
  if (!r.ok) { document.getElementById("err").textContent = BW.t("wrong_login"); return; }
  location.href = safeNext(new URLSearchParams(location.search).get("next"));
};

// Where to go after logging in: a path on this site, else "/". The same rules as api/security.py's
// safe_next (the server already refuses to serve this page with any other next): "//host", "/\host",
// backslashes, whitespace and control characters, also under percent-encoding, would leave the site.
function safeNext(raw) {
  if (!raw || raw.length > 2000) return "/";
  let seen = raw;
  for (let i = 0; i < 5; i++) {
    if (!seen.startsWith("/") || seen.startsWith("//") || seen.includes("\\") || /[\s\x00-\x1f\x7f]/.test(seen)) return "/";
    let decoded;
    try { decoded = decodeURIComponent(seen); } catch (e) { return "/"; }
    if (decoded === seen) {
      const url = new URL(raw, location.origin);
      return url.origin === location.origin ? url.pathname + url.search + url.hash : "/";
    }
    seen = decoded;
  }
  return "/";
}
