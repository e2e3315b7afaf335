// wagate panel, part 3: sign-in from inside GHL. When GHL frames the panel
// (a Custom Menu Link or Custom Page), the page asks GHL for the user's
// encrypted context the documented way (postMessage REQUEST_USER_DATA to
// the parent; GoHighLevel/highlevel-api-docs, "docs/marketplace modules/
// shared_secret_customJS_customPages.md"), takes the answer only from the
// parent window at an origin FRAME_ANCESTORS allows, and trades it at
// POST /api/panel/sso for a panel token kept in memory only (third-party
// cookies are unreliable in an iframe). No answer in time: the usual
// sign-in form.
"use strict";

const GHL_WAIT_MS = 4000;

function framed() {
  try { return window.parent !== window; } catch (_) { return true; }
}

// Does `origin` match one of the CSP frame-ancestors `sources`?
function originAllowed(origin, sources) {
  let url;
  try { url = new URL(origin); } catch (_) { return false; }
  return sources.some((source) => sourceMatches(url, origin, source));
}

function sourceMatches(url, origin, source) {
  if (source === "'self'") return origin === location.origin;
  if (source.startsWith("'")) return false;
  if (/^[a-z][a-z0-9+.-]*:$/i.test(source)) return url.protocol === source.toLowerCase();
  const parts = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*|(?:\*\.)?[^/:*]+)(?::(\d+|\*))?(?:\/.*)?$/i.exec(source);
  if (!parts) return false;
  const [, scheme, host, port] = parts;
  const schemeOk = scheme ? url.protocol === scheme.toLowerCase() + ":" : url.protocol === location.protocol || url.protocol === "https:";
  const name = host.toLowerCase();
  const hostOk = name === "*" || (name.startsWith("*.") ? url.hostname.endsWith(name.slice(1)) : url.hostname === name);
  const portOk = port === "*" || (port ? url.port === port : url.port === "");
  return schemeOk && hostOk && portOk;
}

// GHL's encrypted user data, or null when no allowed parent answers.
function askParent(sources) {
  return new Promise((resolve) => {
    let timer = null;
    const done = (payload) => {
      clearTimeout(timer);
      window.removeEventListener("message", onMessage);
      resolve(payload);
    };
    const onMessage = (event) => {
      if (event.source !== window.parent || !originAllowed(event.origin, sources)) return;
      const data = event.data || {};
      if (data.message === "REQUEST_USER_DATA_RESPONSE" && typeof data.payload === "string") done(data.payload);
    };
    window.addEventListener("message", onMessage);
    timer = setTimeout(() => done(null), GHL_WAIT_MS);
    // The request holds nothing secret; GHL's origin is not known before it answers.
    window.parent.postMessage({ message: "REQUEST_USER_DATA" }, "*");
  });
}

// The gateway's answer to GHL's user data ({token, reach, instances, ...}),
// or null when the panel is not framed, sign-in from GHL is off, or GHL
// did not answer; a refusal is shown and also gives null.
async function signInFromGhl() {
  if (!framed()) return null;
  const info = await fetch("/api/panel/sso", { cache: "no-store" }).then((r) => (r.ok ? r.json() : null)).catch(() => null);
  if (!info || !info.enabled) return null;
  const payload = await askParent(info.frameAncestors || []);
  if (!payload) return null;
  const response = await fetch("/api/panel/sso", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ payload }),
    cache: "no-store",
  }).catch(() => null);
  if (!response) { showError("The gateway cannot be reached. Check the connection and try again."); return null; }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { showError(data.error ? "Sign-in from GHL failed: " + sentence(data.error) : "Sign-in from GHL failed (" + response.status + ")."); return null; }
  return data;
}
