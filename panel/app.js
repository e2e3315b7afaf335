// wagate panel, part 2: the views (instances, linking by QR or
// phone-number code, activity) and what their buttons do. api.js holds the
// state, the calls to the gateway and the live event stream.
"use strict";

const STATUS_WORDS = {
  PAIRING: "Waiting for scan", CONNECTING: "Connecting", ONLINE: "Online",
  RECONNECTING: "Reconnecting", OFFLINE: "Offline", LOGGED_OUT: "Logged out",
};
const TICKS = {
  queued: ["🕓", "Queued"], sent: ["✓", "Sent"], delivered: ["✓✓", "Delivered"],
  read: ["✓✓", "Read"], failed: ["✕", "Failed"], received: ["↙", "Received"],
};

// ---- instances -------------------------------------------------------------

async function loadInstances() {
  const data = await api("GET", "/api/instances");
  const fresh = new Map();
  for (const item of data.instances) {
    const old = state.instances.get(item.instanceId) || {};
    const lastActivity = old.lastActivity || item.lastConnectedAt;
    fresh.set(item.instanceId, { ...item, lastActivity, ...liveFields(state.live.get(item.instanceId)) });
  }
  state.instances = fresh;
  for (const id of fresh.keys()) {
    if (!state.activityChecked.has(id)) { state.activityChecked.add(id); attempt(() => loadLastActivity(id)); }
  }
  if (state.selected && !fresh.has(state.selected)) state.selected = null;
  if (!state.selected && fresh.size > 0) select(fresh.keys().next().value);
  renderInstances();
  renderDetail();
}

function renderInstances() {
  const list = $("instances");
  list.replaceChildren();
  for (const item of state.instances.values()) {
    const li = document.createElement("li");
    li.className = "instance" + (item.instanceId === state.selected ? " selected" : "");
    li.dataset.id = item.instanceId;
    li.tabIndex = 0;
    li.append(
      el("div", "name", item.phoneAlias ? item.phoneAlias + " · " + item.instanceId : item.instanceId),
      badge(item.status),
      el("div", "meta", [item.phone || "no number linked", "queue " + (item.queueDepth || 0), item.lastActivity ? "active " + when(item.lastActivity) : "no activity yet"].join(" · ")),
    );
    li.onclick = () => select(item.instanceId);
    li.onkeydown = (e) => { if (e.key === "Enter") select(item.instanceId); };
    list.append(li);
  }
  $("instances-empty").hidden = state.instances.size > 0;
}

function select(id) {
  state.selected = id;
  renderInstances();
  renderDetail();
  if (state.tab === "activity") attempt(loadHistory);
  if (state.tab === "sending") attempt(loadSending);
  if (state.tab === "chats") attempt(loadChats);
  if (state.tab === "webhooks") attempt(loadWebhooks);
}

function badge(status) {
  const b = el("span", "badge status", STATUS_WORDS[status] || status);
  b.dataset.status = status;
  return b;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function when(iso) {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

// ---- the selected instance: linking ---------------------------------------

function renderDetail() {
  const item = state.instances.get(state.selected);
  $("detail").hidden = !item;
  if (!item) return;
  $("detail-title").textContent = item.phoneAlias ? item.phoneAlias + " (" + item.instanceId + ")" : item.instanceId;
  const head = $("detail-status");
  head.textContent = STATUS_WORDS[item.status] || item.status;
  head.dataset.status = item.status;
  head.className = "badge status";
  const online = item.status === "ONLINE";
  const pairing = item.status === "PAIRING" || (!item.phone && item.status === "CONNECTING");
  $("connected").hidden = !online;
  $("connected-phone").textContent = item.phone ? "as " + item.phone : "";
  $("pairing").hidden = !pairing;
  $("idle").hidden = online || pairing;
  $("idle-text").textContent = idleText(item);
  $("start-link").hidden = Boolean(item.phone) && item.status !== "LOGGED_OUT";
  const img = $("qr-img");
  if (item.qr && img.getAttribute("src") !== item.qr) img.src = item.qr;
  img.hidden = !item.qr;
  $("qr-wait").hidden = Boolean(item.qr);
  $("pair-code-box").hidden = !item.pairCode;
  $("pair-code").textContent = item.pairCode || "";
  tickCountdown();
}

function idleText(item) {
  if (item.status === "RECONNECTING") return "The connection dropped; the gateway is reconnecting by itself.";
  if (item.status === "LOGGED_OUT") return "This number was unlinked from the phone. Show a QR code to link it again.";
  if (item.lastError) return "Not connected: " + item.lastError;
  return item.phone ? "Connecting to WhatsApp…" : "Not linked yet.";
}

function tickCountdown() {
  const item = state.instances.get(state.selected);
  const box = $("qr-countdown");
  if (!item || !item.qr || !item.qrExpiresAt) { box.textContent = ""; return; }
  const left = Math.max(0, Math.round((Date.parse(item.qrExpiresAt) - Date.now()) / 1000));
  box.textContent = left > 0 ? "This code changes in " + left + " s" : "Getting a new code…";
}

// ---- the selected instance: activity ---------------------------------------

async function loadHistory() {
  if (!state.selected) return;
  const id = state.selected;
  const data = await api("GET", "/api/messages/history?limit=30&instanceId=" + encodeURIComponent(id));
  if (id !== state.selected) return;
  const body = $("history");
  body.replaceChildren();
  for (const m of data.messages) {
    const row = document.createElement("tr");
    row.dataset.id = m.id;
    const outbound = m.type === "outbound";
    // The history speaks the original gateway's words in status and
    // timestamp; wagate's own ride in messageStatus and createdAt.
    const [tick, word] = TICKS[m.messageStatus] || ["", m.messageStatus];
    const ticks = el("td", "ticks", tick);
    ticks.dataset.status = m.messageStatus;
    ticks.title = word;
    ticks.append(el("span", "word", " " + word));
    row.append(el("td", "time", when(m.createdAt)), el("td", "dir", outbound ? "↗ out" : "↙ in"), el("td", "number", (outbound ? m.to : m.from) || ""), el("td", "text", m.text || ""), ticks);
    body.append(row);
  }
  $("history-empty").hidden = data.messages.length > 0;
  noteActivity(id, data.messages[0]);
}

async function loadLastActivity(id) {
  const data = await api("GET", "/api/messages/history?limit=1&instanceId=" + encodeURIComponent(id));
  noteActivity(id, data.messages[0]);
}

function noteActivity(id, newest) {
  const item = state.instances.get(id);
  if (newest && item && (!item.lastActivity || Date.parse(newest.createdAt) > Date.parse(item.lastActivity))) {
    item.lastActivity = newest.createdAt;
    renderInstances();
  }
}

// ---- actions ------------------------------------------------------------------

// Asks before a step that cannot be undone; resolves to true on "yes".
function confirmStep(question, yes) {
  return new Promise((resolve) => {
    const dialog = $("confirm");
    $("confirm-text").textContent = question;
    $("confirm-ok").textContent = yes;
    dialog.onclose = () => resolve(dialog.returnValue === "ok");
    dialog.returnValue = "";
    dialog.showModal();
  });
}

function wire() {
  $("error-close").onclick = () => { $("error").hidden = true; };
  $("sign-out").onclick = () => signOut();
  $("login-form").onsubmit = (e) => {
    e.preventDefault();
    const key = new FormData(e.target).get("key").trim();
    if (!key) return;
    attempt(async () => {
      const access = await startSession(key);
      e.target.reset();
      start(null, access);
    });
  };
  $("create-form").onsubmit = (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const body = { instanceId: form.get("instanceId").trim() };
    if (form.get("alias").trim()) body.phoneAlias = form.get("alias").trim();
    attempt(async () => {
      await api("POST", "/api/instances", body);
      e.target.reset();
      state.selected = body.instanceId;
      await loadInstances();
      await api("GET", "/api/wa/qr/" + encodeURIComponent(body.instanceId)).catch(() => null);
    });
  };
  const onSelected = (action) => () => attempt(() => action(encodeURIComponent(state.selected)));
  $("reconnect").onclick = onSelected(async (id) => { await api("POST", "/api/wa/reconnect/" + id); notify("Reconnecting " + state.selected + "…"); });
  $("clear").onclick = onSelected(async (id) => {
    const name = state.selected;
    if (!(await confirmStep("Unlink " + name + " from its phone? It must then be linked again with a new QR code.", "Unlink"))) return;
    await api("POST", "/api/wa/clear/" + id);
    notify(name + " was unlinked; scan the new QR code.");
  });
  $("start-link").onclick = onSelected(async (id) => { await api("GET", "/api/wa/qr/" + id); });
  $("delete").onclick = onSelected(async (id) => {
    const name = state.selected;
    const question = "Delete " + name + "? It is logged out of WhatsApp, its queued messages fail, and it disappears from this list.";
    if (!(await confirmStep(question, "Delete"))) return;
    await api("DELETE", "/api/instances/" + id);
    state.selected = null;
    notify(name + " was deleted.");
    await loadInstances();
  });
  $("pair-form").onsubmit = (e) => {
    e.preventDefault();
    const phone = new FormData(e.target).get("phone").trim();
    attempt(async () => {
      const data = await api("POST", "/api/wa/pair-code/" + encodeURIComponent(state.selected), { phone });
      const item = state.instances.get(state.selected);
      if (item) item.pairCode = data.pairCode;
      renderDetail();
    });
  };
  $("send-form").onsubmit = (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    attempt(async () => {
      await api("POST", "/api/send", { instanceId: state.selected, to: form.get("to").trim(), message: form.get("message") });
      e.target.elements.message.value = "";
      notify("Queued; the ticks update as WhatsApp reports.");
      await loadHistory();
    });
  };
  for (const tab of document.querySelectorAll("[data-tab]")) {
    tab.onclick = () => {
      state.tab = tab.dataset.tab;
      for (const t of document.querySelectorAll("[data-tab]")) t.setAttribute("aria-selected", String(t === tab));
      for (const name of ["link", "activity", "sending", "chats", "webhooks"]) $("tab-" + name).hidden = state.tab !== name;
      if (state.tab === "activity") attempt(loadHistory);
      if (state.tab === "sending") attempt(loadSending);
      if (state.tab === "chats") attempt(loadChats);
      if (state.tab === "webhooks") attempt(loadWebhooks);
    };
  }
  wireSending();
  wireWebhooks();
  setInterval(tickCountdown, 1000);
}

function start(credential, access) {
  useCredential(credential, access);
  state.signedIn = true;
  $("login").hidden = true;
  $("app").hidden = false;
  attempt(loadInstances);
  connectEvents();
}

// Signed in from inside GHL: the token stays in memory; a location's user
// sees that location's numbers only and adds none; the panel opens on the
// open sub-account's default number.
function startFromGhl(signed) {
  state.fromGhl = true;
  $("create-form").hidden = signed.instances !== null;
  state.selected = signed.openOn || null;
  start(signed.token);
  if (signed.userName) notify("Signed in from GHL as " + signed.userName + ".");
}

async function begin() {
  const initial = takeCredential();
  if (initial) return start(initial);
  const signed = await signInFromGhl();
  if (signed) return startFromGhl(signed);
  const access = await currentSession();
  if (access) start(null, access);
  else $("login").hidden = false;
}

wire();
begin();
