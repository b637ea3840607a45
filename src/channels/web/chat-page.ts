/** The web chat page: one self-contained HTML document (no build step), large text for old eyes. */
import { catalog, type Locale } from "../../lib/i18n.ts";

function strings(locale: Locale): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of catalog(locale)) if (k.startsWith("web.")) out[k.slice(4)] = v;
  return out;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function renderChatPage(options: { locale: Locale; demo: boolean; maxLength: number }): string {
  const s = strings(options.locale);
  // JSON inside <script>: escape "<" so no string can close the script element.
  const config = JSON.stringify({
    demo: options.demo,
    maxLength: options.maxLength,
    t: s,
    locale: options.locale,
  }).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="${options.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.ico">
<title>${escapeHtml(s.chat_title ?? "Chi Hội")}</title>
<style>
  :root { font-size: 18px; }
  *, *::before, *::after { box-sizing: border-box; }
  /* The page is exactly the screen: header, then the chat filling the rest, the input always visible
     (100dvh leaves out a phone's address bar; 100vh is the fallback). */
  html, body { height: 100%; }
  body { margin: 0; display: flex; flex-direction: column; height: 100vh; height: 100dvh; overflow-wrap: anywhere; font-family: system-ui, "Segoe UI", Roboto, sans-serif; background: #f3f4f6; color: #111; }
  header { flex: none; background: #b91c1c; color: #fff; padding: .6rem 1rem; display: flex; justify-content: space-between; align-items: center; gap: .5rem; flex-wrap: wrap; }
  header h1 { font-size: 1.1rem; margin: 0; }
  header a { color: #fff; }
  main { width: 100%; max-width: 42rem; margin: 0 auto; display: flex; flex-direction: column; flex: 1; min-height: 0; }
  #intro { padding: .6rem 1rem; color: #374151; }
  #picker { padding: 0 1rem .5rem; display: none; gap: .5rem; }
  #picker select { font-size: 1rem; padding: .4rem; width: 100%; min-width: 0; }
  #log { flex: 1; min-height: 0; overflow-y: auto; overflow-x: hidden; padding: .5rem 1rem; }
  .msg { margin: .4rem 0; padding: .55rem .8rem; border-radius: .8rem; max-width: 85%; width: fit-content; white-space: pre-wrap; overflow-wrap: anywhere; }
  .in { background: #dcfce7; margin-left: auto; }
  .out { background: #fff; border: 1px solid #e5e7eb; }
  .choices { display: flex; flex-wrap: wrap; gap: .4rem; margin-top: .4rem; }
  .choices button { max-width: 100%; white-space: normal; text-align: left; font-size: 1rem; padding: .45rem .8rem; border-radius: .5rem; border: 1px solid #b91c1c; background: #fff; color: #b91c1c; cursor: pointer; }
  form { display: flex; gap: .5rem; padding: .6rem 1rem; background: #fff; border-top: 1px solid #e5e7eb; }
  form input { flex: 1; min-width: 0; font-size: 1rem; padding: .6rem; border: 1px solid #9ca3af; border-radius: .5rem; }
  form button { flex: none; font-size: 1rem; padding: .6rem 1rem; background: #b91c1c; color: #fff; border: 0; border-radius: .5rem; }
  #status { font-size: .85rem; color: #6b7280; padding: 0 1rem; min-height: 1.2rem; }
</style>
</head>
<body>
<header><h1>${escapeHtml(s.chat_title ?? "Chi Hội")}</h1><nav><a href="?lang=vi">Tiếng Việt</a> · <a href="?lang=en">English</a></nav></header>
<main>
  <div id="intro">${escapeHtml(options.demo ? (s.chat_intro_demo ?? "") : (s.chat_intro_real ?? ""))}</div>
  <div id="picker"${options.demo ? ' style="display: flex"' : ""}><select id="member" aria-label="${escapeHtml(s.pick_member ?? "")}"><option value="">${escapeHtml(s.pick_member ?? "")}</option></select></div>
  <div id="log" aria-live="polite"></div>
  <div id="status"></div>
  <form id="form"><input id="text" autocomplete="off" placeholder="${escapeHtml(s.placeholder ?? "")}" aria-label="${escapeHtml(s.placeholder ?? "")}"><button>${escapeHtml(s.send ?? "Send")}</button></form>
</main>
<script>
const C = ${config};
const T = C.t;
const log = document.getElementById("log");
const statusEl = document.getElementById("status");
// The session is the server's HttpOnly cookie: the page never sees or stores it. When it has
// expired (401), reloading the page gets a new one.
// Reloads once only: a browser that refuses cookies would otherwise reload for ever.
function sessionLost(r) {
  if (r.status !== 401) return false;
  const url = new URL(location.href);
  if (url.searchParams.has("renew")) { statusEl.textContent = T.send_failed; return true; }
  url.searchParams.set("renew", "1");
  location.replace(url.toString());
  return true;
}
const seen = new Set();
// The chat stays at its end (the newest message and its buttons in view) unless the member has
// scrolled up to read; late reflows (fonts, a phone keyboard opening) keep it there too.
let pinned = true;
let autoTop = -1;
function toEnd() { log.scrollTop = log.scrollHeight; autoTop = log.scrollTop; }
// Only the member's own scrolling unpins (ours lands exactly on autoTop).
log.addEventListener("scroll", () => { if (log.scrollTop !== autoTop) pinned = log.scrollTop + log.clientHeight >= log.scrollHeight - 24; });
const keepAtEnd = new ResizeObserver(() => { if (pinned) toEnd(); });
keepAtEnd.observe(log);
function add(direction, text, choices, id) {
  if (id && seen.has(id)) return;
  if (id) seen.add(id);
  const div = document.createElement("div");
  div.className = "msg " + (direction === "in" ? "in" : "out");
  div.textContent = text || "";
  if (choices && choices.length) {
    const row = document.createElement("div");
    row.className = "choices";
    for (const c of choices) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = c.label;
      b.onclick = () => { add("in", c.label); send({ payload: c.payload }); };
      row.appendChild(b);
    }
    div.appendChild(row);
  }
  log.appendChild(div);
  keepAtEnd.observe(div);
  if (pinned || direction === "in") { pinned = true; toEnd(); }
}
async function send(body) {
  body.id = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  try {
    const r = await fetch("/chat/api/send", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (sessionLost(r)) return;
    statusEl.textContent = r.ok ? "" : (r.status === 413 ? T.too_long.replace("{max}", C.maxLength) : T.send_failed);
  } catch { statusEl.textContent = T.send_failed; }
}
document.getElementById("form").onsubmit = (e) => {
  e.preventDefault();
  const input = document.getElementById("text");
  const text = input.value;
  if (!text.trim()) return;
  if (text.length > C.maxLength) { statusEl.textContent = T.too_long.replace("{max}", C.maxLength); return; }
  add("in", text);
  input.value = "";
  send({ text });
};
async function loadHistory() {
  const r = await fetch("/chat/api/history?lang=" + C.locale);
  if (sessionLost(r)) return { lines: [] };
  const h = await r.json();
  log.innerHTML = "";
  seen.clear();
  pinned = true;
  // A button press comes back with the chosen button's label as its text.
  for (const l of h.lines) add(l.direction, l.text, l.choices, l.direction === "out" ? "h" + l.id : undefined);
  return h;
}
function connect() {
  statusEl.textContent = T.connecting;
  const es = new EventSource("/chat/api/events");
  es.addEventListener("ready", () => { statusEl.textContent = ""; });
  es.addEventListener("message", (e) => { const m = JSON.parse(e.data); add("out", m.text, m.choices, m.id); });
  es.onerror = () => { statusEl.textContent = T.offline; };
}
async function demoPicker() {
  const picker = document.getElementById("picker");
  picker.style.display = "flex";
  const select = document.getElementById("member");
  const r = await fetch("/chat/api/demo-members");
  const { members } = await r.json();
  for (const m of members) {
    const o = document.createElement("option");
    o.value = m.id;
    o.textContent = m.name + " — " + m.unit + " (" + (T["role_" + m.role] || m.role) + (m.title ? ", " + m.title : "") + ")";
    select.appendChild(o);
  }
  select.onchange = async () => {
    if (!select.value) return;
    await fetch("/chat/api/demo-login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ personId: Number(select.value) }) });
    await send({ text: "/start" });
  };
}
loadHistory().then(() => { connect(); if (C.demo) demoPicker(); });
</script>
</body>
</html>`;
}
