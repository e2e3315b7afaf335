// wagate panel, part 1: credentials, calls to the gateway, messages for
// the person, and the live event stream. Auth: a panel link's token (from
// the URL fragment), kept in this tab's sessionStorage (or memory) only; a
// token from signing in inside GHL (ghl.js), kept in memory only; or
// an API key typed once and traded at once for a browser session (an
// HttpOnly cookie this page cannot read, which other pages of this gateway,
// such as a UI served from UI_DIR, share): the key itself is not kept.
// app.js draws the views.
"use strict";

const $ = (id) => document.getElementById(id);

// instances: the list as the API gave it; live: each instance's latest
// state from the event stream, which wins over the list where both exist.
const state = { credential: null, signedIn: false, isToken: false, fromGhl: false, instances: new Map(), live: new Map(), activityChecked: new Set(), selected: null, tab: "link", events: null, retry: 1000 };

// ---- credentials -------------------------------------------------------

const store = {
  get(k) { try { return sessionStorage.getItem(k); } catch (_) { return null; } },
  set(k, v) { try { sessionStorage.setItem(k, v); } catch (_) { /* memory only */ } },
  clear() { try { sessionStorage.removeItem("wagate.credential"); } catch (_) { /* nothing kept */ } },
};

function takeCredential() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get("token");
  if (token) {
    store.set("wagate.credential", token);
    history.replaceState(null, "", location.pathname + location.search);
    return token;
  }
  return store.get("wagate.credential");
}

// credential: a panel link's token, or null for the session cookie (whose
// access is "key" or "panel").
function useCredential(credential, access) {
  state.credential = credential;
  // A panel link may not delete; the server enforces it, the view follows.
  state.isToken = credential ? credential.startsWith("wgp1.") : access !== "key";
  $("delete").hidden = state.isToken;
  $("sign-out").hidden = credential !== null;
}

// Trades the typed key for a session cookie; the answer says what it opens.
async function startSession(key) {
  const response = await fetch("/api/session", { method: "POST", headers: { "Authorization": "Bearer " + key }, cache: "no-store" }).catch(() => null);
  if (!response) throw new Error("The gateway cannot be reached. Check the connection and try again.");
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(response.status === 401 ? "That API key was not accepted." : "The gateway answered with an error (" + response.status + "). Try again.");
  return data.access;
}

// The session this browser already has, if any ("key" or "panel").
async function currentSession() {
  const response = await fetch("/api/session", { cache: "no-store" }).catch(() => null);
  if (!response || !response.ok) return null;
  return (await response.json().catch(() => ({}))).access || null;
}

function signOut(message) {
  if (state.credential === null) fetch("/api/session", { method: "DELETE" }).catch(() => null);
  store.clear();
  state.credential = null;
  state.signedIn = false;
  if (state.events) state.events.close();
  setLive("off");
  $("app").hidden = true;
  $("login").hidden = false;
  if (message) showError(message);
}

// ---- talking to the gateway ---------------------------------------------

async function api(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { ...(state.credential ? { "Authorization": "Bearer " + state.credential } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      cache: "no-store",
    });
  } catch (_) {
    throw new Error("The gateway cannot be reached. Check the connection and try again.");
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) {
    signOut(state.fromGhl ? "The sign-in from GHL has ended. Open the panel from GHL again." : state.credential ? "This panel link has expired or is no longer valid. Ask for a new link." : "The session has ended. Sign in again.");
    throw new Error("signed out");
  }
  if (!response.ok || data.success === false) {
    throw new Error(data.error ? sentence(data.error) : "The gateway answered with an error (" + response.status + "). Try again.");
  }
  return data;
}

function sentence(text) {
  const s = String(text).trim();
  return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? "" : ".");
}

let noticeTimer = null;
function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = false;
}
function notify(message) {
  $("notice").textContent = message;
  $("notice").hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { $("notice").hidden = true; }, 4000);
}
async function attempt(work) {
  try {
    $("error").hidden = true;
    await work();
  } catch (e) {
    if (e.message !== "signed out") showError(e.message);
  }
}

// ---- live events ----------------------------------------------------------

function setLive(mode) {
  const words = { on: "Live", wait: "Reconnecting…", off: "Offline" };
  $("live").dataset.state = mode;
  $("live").textContent = words[mode];
}

// The stream opens with a one-time ticket asked for with the credential,
// so neither the API key nor the panel link ever rides in a URL. A ticket
// opens one stream: after any drop, a new one is asked for.
async function connectEvents() {
  if (state.events) state.events.close();
  state.events = null;
  let ticket;
  try {
    ticket = (await api("POST", "/api/events/ticket")).ticket;
  } catch (e) {
    if (e.message !== "signed out") retryEvents(null);
    return;
  }
  const source = new EventSource("/api/events?ticket=" + encodeURIComponent(ticket));
  state.events = source;
  source.onopen = () => { state.retry = 1000; setLive("on"); attempt(loadInstances); };
  source.onerror = () => {
    setLive("wait");
    // The browser would reconnect with the used ticket: close and start anew.
    source.close();
    retryEvents(source);
  };
  source.addEventListener("instance", (e) => onInstanceEvent(JSON.parse(e.data)));
  source.addEventListener("removed", (e) => { state.live.delete(JSON.parse(e.data).instanceId); later("list", loadInstances); });
  source.addEventListener("message", (e) => onMessageEvent(JSON.parse(e.data)));
}

// Tries the stream again later, slower each time, unless another attempt
// replaced `source` meanwhile.
function retryEvents(source) {
  setLive("wait");
  setTimeout(() => {
    if (state.events === source && state.signedIn) connectEvents();
  }, state.retry);
  state.retry = Math.min(state.retry * 2, 15000);
}

function liveFields(ev) {
  if (!ev) return {};
  const fields = { status: ev.status, qr: ev.qr, qrExpiresAt: ev.qrExpiresAt, pairCode: ev.pairCode, lastError: ev.lastError };
  if (ev.phone) fields.phone = ev.phone;
  return fields;
}

function onInstanceEvent(ev) {
  state.live.set(ev.instanceId, ev);
  const known = state.instances.get(ev.instanceId);
  if (!known) { later("list", loadInstances); return; }
  Object.assign(known, liveFields(ev));
  renderInstances();
  if (state.selected === ev.instanceId) renderDetail();
}

function onMessageEvent(ev) {
  const known = state.instances.get(ev.instanceId);
  if (known) known.lastActivity = new Date().toISOString();
  later("list", loadInstances);
  if (state.selected === ev.instanceId) later("history", loadHistory);
}

// Runs `work` soon, once for a burst of events (a steady stream still gets it).
const timers = {};
function later(key, work) {
  if (timers[key]) return;
  timers[key] = setTimeout(() => { timers[key] = null; attempt(work); }, 200);
}
