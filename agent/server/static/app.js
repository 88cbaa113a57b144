// Nuvola's web page: plain JavaScript over the JSON API of `nuvola serve` (no build step).
// Every text from the server goes into the page as text (textContent), never as HTML.
"use strict";

const view = document.getElementById("view");
const statusLine = document.getElementById("status");
const EVENT_KINDS = ["queued", "started", "step", "interrupted", "restart", "done", "failed"];

// ---- small helpers ----------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function svg(tag, attrs) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  return el;
}

function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("nuvola_csrf="));
  return found ? decodeURIComponent(found.split("=")[1]) : "";
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, url, body) {
  const options = { method, headers: { "X-CSRF-Token": csrfToken() }, credentials: "same-origin" };
  if (body instanceof FormData) options.body = body;
  else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (data.error && data.error.message) || `${response.status} ${response.statusText}`;
    if (response.status === 401) showLogin();
    throw new ApiError(response.status, message);
  }
  return data;
}

function say(text, isError) {
  statusLine.textContent = text;
  statusLine.className = isError ? "error" : "";
}

function fail(error) { say(error.message || String(error), true); }

// Follow a job's server-sent events; `onEvent` gets each event, `onEnd` the job as it ended.
function followJob(jobId, onEvent, onEnd) {
  const source = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/events`);
  for (const kind of EVENT_KINDS) {
    source.addEventListener(kind, (msg) => onEvent(JSON.parse(msg.data)));
  }
  source.addEventListener("end", async () => {
    source.close();
    try { onEnd(await api("GET", `/api/jobs/${encodeURIComponent(jobId)}`)); } catch (e) { fail(e); }
  });
  return source;
}

function describe(event) {
  if (event.kind === "step") {
    const scene = event.scene !== null && event.scene !== undefined ? ` · scene ${event.scene + 1}` : "";
    const figures = event.figures ? Object.entries(event.figures).map(([k, v]) => `${k} ${v}`).join(", ") : "";
    return `✓ ${event.label}${scene}${figures ? " — " + figures : ""} (${event.seconds}s)`;
  }
  if (event.kind === "failed") return `failed: ${event.error}`;
  if (event.kind === "interrupted") return "interrupted: the worker stopped; it resumes from the last checkpoint";
  if (event.kind === "started") return `started (attempt ${event.attempt})`;
  return event.detail ? `${event.kind}: ${event.detail}` : event.kind;
}

function eventLog(id) { return h("ol", { class: "events", id }); }

function logEvent(list, event) {
  list.append(h("li", { class: event.kind, text: describe(event) }));
}

// ---- login ------------------------------------------------------------------------------------
const loginDialog = document.getElementById("login");

function showLogin() { if (!loginDialog.open) loginDialog.showModal(); }

document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await login(document.getElementById("login-token").value);
});

async function login(token) {
  try {
    await api("POST", "/api/login", { token });
    if (loginDialog.open) loginDialog.close();
    route();
  } catch (e) {
    document.getElementById("login-error").textContent = e.message;
    showLogin();
  }
}

// ---- the shelf: upload, reading progress, volumes, pages --------------------------------------
async function shelfView() {
  const files = h("input", { type: "file", id: "upload-files", multiple: true, required: true,
    accept: ".png,.jpg,.jpeg,.tif,.tiff,.webp,.jp2,.bmp,.gif,.pdf,.cbz,.zip,.cbr,.rar,.cb7,.7z" });
  const volume = h("input", { type: "text", id: "upload-volume", placeholder: "volume name (default: the file's)" });
  const rules = h("input", { type: "checkbox", id: "upload-rules" });
  const log = eventLog("upload-log");
  const form = h("form", { class: "panel", id: "upload-form" },
    h("h2", { text: "Read scans" }),
    h("label", {}, "Images, PDF, CBZ/CBR/CB7: ", files),
    h("label", {}, "Volume: ", volume),
    h("label", {}, rules, " rebuild the story by rules only (no narrator model)"),
    h("button", { type: "submit", id: "upload-submit" }, "Upload and read"), log);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData();
    for (const file of files.files) data.append("files", file);
    data.append("volume", volume.value);
    data.append("use_llm", rules.checked ? "false" : "true");
    log.replaceChildren();
    try {
      const answer = await api("POST", "/api/uploads", data);
      say(`reading ${answer.pages} page(s)`);
      for (const warning of answer.warnings) log.append(h("li", { class: "failed", text: `skipped ${warning}` }));
      followJob(answer.job.id, (e) => logEvent(log, e), (job) => {
        log.append(h("li", { id: "upload-done", class: job.status, text: job.status === "done"
          ? `read: ${job.result.volumes.join(", ")}` : `failed: ${job.error}` }));
        loadVolumes(table);
      });
    } catch (e) { log.append(h("li", { class: "failed", text: e.message })); fail(e); }
  });
  const table = h("table", { id: "volumes" });
  view.replaceChildren(form, h("section", { class: "panel" }, h("h2", { text: "Volumes" }), table));
  await loadVolumes(table);
}

async function loadVolumes(table) {
  const volumes = await api("GET", "/api/volumes");
  table.replaceChildren(h("tr", {}, ["volume", "pages", "panels", "balloons", "transcribed"].map((c) => h("th", { text: c }))));
  for (const v of volumes) {
    table.append(h("tr", {},
      h("td", {}, h("a", { href: `#/volume/${encodeURIComponent(v.name)}`, class: "volume-link", text: v.name })),
      [v.pages, v.panels, v.balloons, v.transcribed].map((n) => h("td", { text: n }))));
  }
  if (!volumes.length) table.append(h("tr", {}, h("td", { class: "muted", text: "nothing read yet" })));
}

async function volumeView(name) {
  const pages = await api("GET", `/api/volumes/${encodeURIComponent(name)}/pages`);
  const grid = h("div", { class: "thumbs", id: "pages" }, pages.map((p) =>
    h("a", { href: `#/page/${p.id}`, class: "page-link" },
      h("img", { src: `/api/pages/${p.id}/image`, alt: `page ${p.index + 1}`, loading: "lazy" }),
      `p. ${p.index + 1}`)));
  view.replaceChildren(h("h2", { text: name }), grid);
}

async function pageView(pageId) {
  const page = await api("GET", `/api/pages/${encodeURIComponent(pageId)}`);
  const overlay = svg("svg", { viewBox: `0 0 ${page.width} ${page.height}`, id: "overlay", preserveAspectRatio: "none" });
  for (const p of page.panels) {
    const [x, y, w, hgt] = p.box;
    overlay.append(svg("rect", { x, y, width: w, height: hgt, class: "panel" }));
  }
  for (const b of page.balloons) {
    const [x, y, w, hgt] = b.box;
    overlay.append(svg("rect", { x, y, width: w, height: hgt, class: `balloon ${b.kind}` }));
  }
  const toggles = ["panels", "balloons"].map((what) => h("label", {},
    h("input", { type: "checkbox", checked: true, id: `show-${what}`,
      onchange: (e) => overlay.classList.toggle(`hide-${what}`, !e.target.checked) }), ` ${what}`));
  const lines = h("ol", { id: "transcript" }, page.balloons.map((b) => h("li", {},
    b.speaker ? h("span", { class: "speaker", text: b.speaker }) : null,
    b.kind === "caption" ? h("span", { class: "tag", text: "caption" }) : null,
    b.text || h("span", { class: "muted", text: "(not read)" }))));
  view.replaceChildren(
    h("h2", {}, h("a", { href: `#/volume/${encodeURIComponent(page.volume)}`, text: page.volume }), ` · page ${page.index + 1}`),
    h("div", { class: "page-view" },
      h("figure", { class: "page-figure" }, h("img", { src: `/api/pages/${page.id}/image`, alt: page.source, id: "page-image" }), overlay),
      h("section", { class: "transcript" }, h("div", {}, toggles), h("h3", { text: "Transcript" }), lines)));
}

// ---- memory search ----------------------------------------------------------------------------
function searchView() {
  const q = h("input", { type: "text", id: "search-q", required: true, placeholder: "chi minaccia Tex?" });
  const kind = h("select", { id: "search-kind" }, h("option", { value: "", text: "any kind" }),
    ["line", "scene", "story", "character", "panel", "passage"].map((k) => h("option", { value: k, text: k })));
  const character = h("input", { type: "text", id: "search-character", placeholder: "character (optional)" });
  const volume = h("input", { type: "text", id: "search-volume", placeholder: "volume (optional)" });
  const hits = h("ul", { class: "hits", id: "hits" });
  const form = h("form", { class: "panel", id: "search-form" }, h("h2", { text: "Search the memory" }),
    h("label", {}, "Query: ", q), h("label", {}, "Kind: ", kind), h("label", {}, "Character: ", character),
    h("label", {}, "Volume: ", volume),
    h("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ q: q.value, k: "20" });
    if (kind.value) params.set("kind", kind.value);
    if (character.value) params.set("character", character.value);
    if (volume.value) params.set("volume", volume.value);
    try {
      const answer = await api("GET", `/api/search?${params}`);
      hits.replaceChildren(...answer.hits.map((hit) => h("li", { class: "hit" },
        h("span", { class: "tag", text: hit.kind }), h("span", { class: "tag", text: hit.score.toFixed(3) }), hit.text, " ",
        hit.provenance.page_id
          ? h("a", { href: `#/page/${hit.provenance.page_id}`, class: "muted", text: hit.reference })
          : h("span", { class: "muted", text: hit.reference }))));
      if (!answer.hits.length) hits.append(h("li", { class: "muted", text: "nothing found (is anything read yet?)" }));
    } catch (e) { fail(e); }
  });
  view.replaceChildren(form, hits);
}

// ---- writing an issue -------------------------------------------------------------------------
function writeView() {
  const plot = h("textarea", { id: "write-plot", required: true, minlength: 10,
    placeholder: "Tex e Kit Carson inseguono una banda di contrabbandieri al confine messicano" });
  const pages = h("input", { type: "number", id: "write-pages", min: 1, max: 240, value: 1 });
  const cast = h("input", { type: "text", id: "write-cast", placeholder: "Tex, Kit Carson (default: those the plot names)" });
  const seed = h("input", { type: "number", id: "write-seed", min: 0, placeholder: "seed (default: the settings')" });
  const color = h("input", { type: "checkbox", id: "write-color", checked: true });
  const bar = h("progress", { id: "write-progress", max: 1, value: 0 });
  const log = eventLog("write-log");
  const result = h("p", { id: "write-result" });
  const form = h("form", { class: "panel", id: "write-form" }, h("h2", { text: "Write an issue" }),
    h("label", {}, "Storyline: ", plot), h("label", {}, "Pages: ", pages), h("label", {}, "Cast: ", cast),
    h("label", {}, "Seed: ", seed), h("label", {}, color, " colour (off: Bonelli black and white)"),
    h("button", { type: "submit", id: "write-submit" }, "Write"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { plot: plot.value, pages: Number(pages.value), color: color.checked,
      cast: cast.value.split(",").map((c) => c.trim()).filter(Boolean) };
    if (seed.value !== "") body.seed = Number(seed.value);
    log.replaceChildren();
    result.replaceChildren();
    try {
      const answer = await api("POST", "/api/issues", body);
      followIssue(answer.job.id, log, bar, result);
    } catch (e) { log.append(h("li", { class: "failed", text: e.message })); fail(e); }
  });
  view.replaceChildren(form, h("section", { class: "panel" }, bar, log, result));
}

function followIssue(jobId, log, bar, result) {
  let done = 0;
  say(`writing: run ${jobId}`);
  followJob(jobId, (event) => {
    logEvent(log, event);
    if (event.kind === "step") {
      done += 1;
      bar.max = event.total || Math.max(bar.max, done + 1);
      bar.value = done;
    }
  }, (job) => {
    bar.value = bar.max;
    result.replaceChildren(job.status === "done"
      ? h("a", { href: `#/issue/${job.id}/1`, id: "open-issue", text: `Read “${job.result.title}”` })
      : h("span", { class: "error", text: `failed: ${job.error}` }));
    say(job.status === "done" ? "issue written" : "writing failed", job.status !== "done");
  });
}

// ---- issues and the page viewer ---------------------------------------------------------------
async function issuesView() {
  const issues = await api("GET", "/api/issues");
  const list = h("table", { id: "issues" }, h("tr", {}, ["issue", "status", "pages", "files"].map((c) => h("th", { text: c }))),
    issues.map((i) => h("tr", {},
      h("td", {}, h("a", { href: i.pages ? `#/issue/${i.id}/1` : `#/job/${i.id}`, class: "issue-link", text: i.title || i.plot || i.id })),
      h("td", { text: i.status }), h("td", { text: i.pages }),
      h("td", {}, i.downloads.filter((f) => f === "cbz" || f === "pdf").map((f) =>
        h("a", { href: `/api/issues/${i.id}/download/${f}`, text: f.toUpperCase() + " " }))))));
  view.replaceChildren(h("h2", { text: "Issues" }), list);
}

// The page viewer, for an issue a write job delivered (`issues`) or the pages a chat session drew (`chat`).
async function issueViewer(kind, id, number) {
  const base = `/api/${kind}/${encodeURIComponent(id)}`;
  const found = await api("GET", base);
  const issue = kind === "chat" ? { title: found.title, status: found.stage, ...found.drawn } : found;
  if (!issue.pages) {
    view.replaceChildren(h("p", { text: `${issue.title || id}: no page drawn yet (${issue.status})` }));
    return;
  }
  const n = Math.min(Math.max(1, number || 1), issue.pages);
  const route = kind === "chat" ? "read" : "issue";
  const go = (to) => { location.hash = `#/${route}/${id}/${to}`; };
  const image = h("img", { id: "viewer-page", src: `${base}/pages/${n}`, alt: `page ${n}` });
  view.replaceChildren(h("div", { class: "viewer" },
    h("h2", { id: "viewer-title", text: issue.title || id }),
    h("div", { class: "controls" },
      h("button", { id: "viewer-prev", class: "secondary", disabled: n <= 1, onclick: () => go(n - 1) }, "‹ previous"),
      h("span", { id: "viewer-count", text: `${n} / ${issue.pages}` }),
      h("button", { id: "viewer-next", class: "secondary", disabled: n >= issue.pages, onclick: () => go(n + 1) }, "next ›")),
    image,
    h("p", {}, issue.downloads.map((f) => h("a", { id: `download-${f}`, href: `${base}/download/${f}`, text: `${f.toUpperCase()} ` })))));
  viewerKeys = (event) => {
    if (event.key === "ArrowLeft" && n > 1) go(n - 1);
    if (event.key === "ArrowRight" && n < issue.pages) go(n + 1);
  };
}

let viewerKeys = null;
document.addEventListener("keydown", (event) => { if (viewerKeys) viewerKeys(event); });

async function jobView(jobId) {
  const job = await api("GET", `/api/jobs/${encodeURIComponent(jobId)}`);
  const log = eventLog("job-log");
  view.replaceChildren(h("h2", { text: `${job.kind} job ${job.id}: ${job.status}` }), log);
  for (const event of job.events) logEvent(log, event);
  if (job.status !== "done" && job.status !== "failed") {
    const last = job.events.length ? job.events[job.events.length - 1].seq : 0;
    const source = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/events?after=${last}`);
    for (const kind of EVENT_KINDS) source.addEventListener(kind, (m) => logEvent(log, JSON.parse(m.data)));
    source.addEventListener("end", () => { source.close(); route(); });
  }
}

// ---- co-writing chat --------------------------------------------------------------------------
async function chatList() {
  const sessions = await api("GET", "/api/chat");
  const start = h("button", { id: "chat-new" }, "New session");
  start.addEventListener("click", async () => {
    start.disabled = true;
    try {
      const answer = await api("POST", "/api/chat", { pages: 1 });
      followJob(answer.job.id, () => {}, (job) => {
        if (job.status === "done") location.hash = `#/chat/${job.result.session}`;
        else fail(new Error(job.error));
      });
    } catch (e) { fail(e); start.disabled = false; }
  });
  view.replaceChildren(h("h2", { text: "Co-writing sessions" }), start,
    h("table", { id: "sessions" }, sessions.map((s) => h("tr", {},
      h("td", {}, h("a", { href: `#/chat/${s.id}`, text: s.title })), h("td", { text: s.stage }),
      h("td", { text: `${s.written_pages}/${s.pages} pages` }), h("td", { class: "muted", text: s.updated })))));
}

async function chatView(sessionId) {
  const log = h("div", { class: "chat-log", id: "chat-log" });
  const text = h("input", { type: "text", id: "chat-text", placeholder: "a storyline, a note, ok, /help ...", autocomplete: "off" });
  const send = h("button", { type: "submit", id: "chat-send" }, "Send");
  const editBox = h("div", { id: "chat-edit-box" });
  const form = h("form", { id: "chat-form" }, text, " ", send);
  const title = h("h2", { text: "Chat" });
  view.replaceChildren(title, log, form, editBox);

  async function refresh() {
    const session = await api("GET", `/api/chat/${encodeURIComponent(sessionId)}`);
    title.replaceChildren(`${session.title || "Chat"} · ${session.stage} `, session.drawn.pages
      ? h("a", { href: `#/read/${sessionId}/1`, id: "chat-read", text: `read the ${session.drawn.pages} drawn page(s)` })
      : "");
    log.replaceChildren(...session.turns.map((t) => h("div", { class: t.role, text: t.text })));
    log.scrollTop = log.scrollHeight;
  }

  async function post(body) {
    send.disabled = true;
    say("working…");
    try {
      const answer = await api("POST", `/api/chat/${encodeURIComponent(sessionId)}/messages`, body);
      followJob(answer.job.id, (e) => { if (e.kind === "started") say("working…"); }, async (job) => {
        send.disabled = false;
        say(job.status === "done" ? "" : `failed: ${job.error}`, job.status !== "done");
        if (job.status === "done" && job.result.session !== sessionId) { location.hash = `#/chat/${job.result.session}`; return; }
        if (job.status === "done" && job.result.edit_text !== undefined && body.edit_text == null) showEditor(job.result.edit_text);
        await refresh();
      });
    } catch (e) { send.disabled = false; fail(e); }
  }

  function showEditor(current) {
    const area = h("textarea", { id: "chat-edit", rows: 16 });
    area.value = current;
    const save = h("button", { id: "chat-edit-send", type: "button" }, "Save the edit");
    save.addEventListener("click", () => { editBox.replaceChildren(); post({ text: "/edit", edit_text: area.value }); });
    editBox.replaceChildren(h("h3", { text: "Edit" }), area, save);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const message = text.value;
    text.value = "";
    post({ text: message });
  });
  await refresh();
}

// ---- routing ----------------------------------------------------------------------------------
const ROUTES = [
  [/^#\/shelf$/, () => shelfView(), "shelf"],
  [/^#\/volume\/(.+)$/, (m) => volumeView(decodeURIComponent(m[1])), "shelf"],
  [/^#\/page\/([0-9a-f]+)$/, (m) => pageView(m[1]), "shelf"],
  [/^#\/search$/, () => searchView(), "search"],
  [/^#\/write$/, () => writeView(), "write"],
  [/^#\/issues$/, () => issuesView(), "issues"],
  [/^#\/issue\/([\w-]+)(?:\/(\d+))?$/, (m) => issueViewer("issues", m[1], Number(m[2] || 1)), "issues"],
  [/^#\/read\/([\w-]+)(?:\/(\d+))?$/, (m) => issueViewer("chat", m[1], Number(m[2] || 1)), "chat"],
  [/^#\/job\/([\w-]+)$/, (m) => jobView(m[1]), "issues"],
  [/^#\/chat$/, () => chatList(), "chat"],
  [/^#\/chat\/([\w-]+)$/, (m) => chatView(m[1]), "chat"],
];

async function route() {
  const hash = location.hash || "#/shelf";
  const tokenInHash = hash.match(/^#token=(.+)$/);
  if (tokenInHash) {
    history.replaceState(null, "", location.pathname + "#/shelf");
    await login(decodeURIComponent(tokenInHash[1]));
    return;
  }
  viewerKeys = null;
  say("");
  for (const [pattern, show, tab] of ROUTES) {
    const match = hash.match(pattern);
    if (!match) continue;
    for (const link of document.querySelectorAll("nav a")) link.classList.toggle("active", link.id === `nav-${tab}`);
    try { await show(match); } catch (e) { view.replaceChildren(h("p", { class: "error", text: e.message })); fail(e); }
    return;
  }
  location.hash = "#/shelf";
}

window.addEventListener("hashchange", route);
route()
  .then(() => api("GET", "/api/health"))
  .then((health) => { if (!health.worker.pid) say("the worker is not running: jobs wait in the queue", true); })
  .catch(fail);
