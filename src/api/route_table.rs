//! Every HTTP route the gateway serves, in one table: method, path template
//! (`{id}` for a path segment), group, the status of a success and a line on
//! what it does. The OpenAPI document and the route labels of the HTTP
//! metrics are made from it, so a new route is added here too; tests check
//! that each row answers and that the routes in the README and docs/ are
//! all here.

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub tag: &'static str,
    /// Status of a successful answer.
    pub ok: &'static str,
    pub summary: &'static str,
}

impl Route {
    /// Every /api route needs the API key, except the original health path
    /// and sign-in from inside GHL (GHL's encrypted user data is the credential).
    pub fn needs_key(&self) -> bool {
        self.path.starts_with("/api/") && !matches!(self.path, "/api/health" | "/api/panel/sso")
    }
}

const fn route(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    ok: &'static str,
    summary: &'static str,
) -> Route {
    Route {
        method,
        path,
        tag,
        ok,
        summary,
    }
}

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    route("GET", "/healthz", "health", "200", "Liveness: the process answers"),
    route("GET", "/api/health", "health", "200", "Liveness at the original gateway's path"),
    route("GET", "/readyz", "health", "200", "Readiness with the detail of each check (503 when not ready)"),
    route("GET", "/metrics", "health", "200", "Prometheus metrics (Bearer METRICS_TOKEN when set)"),
    route("GET", "/api/openapi.json", "health", "200", "This OpenAPI document"),
    route("POST", "/api/instances", "instances", "201", "Create an instance: {instanceId, phoneAlias?, forceNew?}"),
    route("GET", "/api/instances", "instances", "200", "List the instances with status, phone and queue depth"),
    route("GET", "/api/instances/{id}", "instances", "200", "One instance with its sending outlook: sends today, today's cap, next send, new-contact block"),
    route("DELETE", "/api/instances/{id}", "instances", "200", "Log an instance out and remove it"),
    route("GET", "/api/instances/{id}/contacts/{phone}", "instances", "200", "Is this number on WhatsApp? {phone, onWhatsApp, jid}; at most LOOKUPS_PER_MINUTE per instance (429 past that)"),
    route("GET", "/api/instances/{id}/groups", "instances", "200", "The WhatsApp groups the instance's number is in: [{id, subject, size}]; a group's id is what to takes"),
    route("GET", "/api/instances/{id}/settings", "instances", "200", "The instance's sending settings: presence, pauses, daily cap, warm-up, read marks"),
    route("PUT", "/api/instances/{id}/settings", "instances", "200", "Change the sending settings named in the body (the others keep their value)"),
    route("GET", "/api/instances/{id}/webhooks", "webhooks", "200", "The instance's own webhooks: [{id, url, events, hasSecret, createdAt}]"),
    route("POST", "/api/instances/{id}/webhooks", "webhooks", "201", "Add a webhook: {url, events? (messages, statuses, instance, calls; default messages), secret?}"),
    route("PUT", "/api/instances/{id}/webhooks/{webhookId}", "webhooks", "200", "Change the webhook's fields named in the body (secret null: sign with WEBHOOK_SECRET again)"),
    route("DELETE", "/api/instances/{id}/webhooks/{webhookId}", "webhooks", "200", "Remove a webhook; its pending deliveries become dead letters"),
    route("POST", "/api/wa/instances", "instances", "201", "Create an instance (original gateway's path)"),
    route("GET", "/api/wa/instances", "instances", "200", "List the instances (original gateway's path)"),
    route("GET", "/api/wa/status/{id}", "instances", "200", "An instance's status and connected number"),
    route("POST", "/api/wa/logout/{id}", "instances", "200", "Log an instance out"),
    route("DELETE", "/api/wa/delete/{id}", "instances", "200", "Log out and remove (original gateway's path)"),
    route("GET", "/api/wa/instances/available", "instances", "200", "The wa-NN ids the original UI may still create ({available, total, used})"),
    route("GET", "/api/wa/qr/{id}", "whatsapp", "200", "The QR to scan, creating the instance within COMPAT_MAX_INSTANCES ({status, qr: raw text, qrImage: PNG data URL}; ?format=png for the image)"),
    route("GET", "/api/wa/qr-check/{id}", "whatsapp", "200", "The current QR code if any; never starts a pairing"),
    route("POST", "/api/wa/pair-code/{id}", "whatsapp", "200", "Link by phone-number code: {phone}"),
    route("POST", "/api/wa/reconnect/{id}", "whatsapp", "200", "Throw the client away and build a fresh one"),
    route("POST", "/api/wa/clear/{id}", "whatsapp", "200", "Drop the session and start a fresh QR"),
    route("POST", "/api/send", "send", "202", "Queue a send: {instanceId, to, type?, message, mediaUrl?, caption?, quotedId?}; type reaction {reactTo, emoji}, location {latitude, longitude, name?, address?}, contact {contactName, contactPhone}"),
    route("GET", "/api/send/stats", "send", "200", "Queue counts: waiting, active, completed, failed, delayed, total"),
    route("GET", "/api/messages/history", "messages", "200", "Latest messages, both directions (?instanceId&type&limit&since)"),
    route("GET", "/api/messages/{id}", "messages", "200", "A message's status: queued, sent, delivered, read, failed"),
    route("POST", "/api/ghl/outbound", "ghl", "202", "GHL workflow webhook: queue a send"),
    route("GET", "/api/ghl/locations", "ghl", "200", "GHL locations and the instances that serve them"),
    route("PUT", "/api/ghl/locations/{locationId}", "ghl", "200", "Route a GHL location: {defaultInstanceId, instanceIds?, newContacts?: default | leastLoaded | roundRobin}"),
    route("DELETE", "/api/ghl/locations/{locationId}", "ghl", "200", "Remove a location's route"),
    route("PUT", "/api/ghl/locations/{locationId}/contacts/{contactId}", "ghl", "200", "A contact's own instance: {instanceId} (null clears)"),
    route("GET", "/api/ghl/app", "ghl", "200", "Provider mode: the GHL app's settings and install URL"),
    route("PUT", "/api/ghl/app", "ghl", "200", "Save {clientId?, clientSecret?, appId?, conversationProviderId?}"),
    route("GET", "/api/ghl/connections", "ghl", "200", "Locations and agencies that installed the app (no tokens)"),
    route("DELETE", "/api/ghl/connections/{id}", "ghl", "200", "Forget a location's or agency's tokens"),
    route("POST", "/api/ghl/inbound-test", "ghl", "200", "A receiver that records what it gets, for wiring checks"),
    route("GET", "/api/ghl/inbound-test", "ghl", "200", "What the test receiver recorded"),
    route("GET", "/api/forwards", "forwards", "200", "The forwarding outbox (?status=pending|delivered|dead)"),
    route("POST", "/api/forwards/{id}/retry", "forwards", "200", "Send a forward again now (one being tried: 409)"),
    route("POST", "/api/sim/{id}/scan", "sim", "200", "Sim only: the phone scans the QR code ({phone?})"),
    route("POST", "/api/sim/{id}/inbound", "sim", "200", "Sim only: a contact writes ({from, text, id?, type?, mediaUrl?, pushName?, group?})"),
    route("POST", "/api/sim/{id}/drop", "sim", "200", "Sim only: cut the connection"),
    route("POST", "/api/sim/{id}/logout", "sim", "200", "Sim only: the phone unlinks the device"),
    route("GET", "/api/sim/{id}/sent", "sim", "200", "Sim only: what the simulated network received"),
    route("GET", "/api/sim/{id}/chat", "sim", "200", "Sim only: the typing presence and read marks the contacts saw"),
    route("POST", "/api/sim/{id}/unregistered", "sim", "200", "Sim only: a number that is not on WhatsApp ({phone, unregistered?})"),
    route("POST", "/api/sim/{id}/groups", "sim", "200", "Sim only: the number is in a group ({subject, members, id?}); answers its id"),
    route("POST", "/api/sim/{id}/refuse", "sim", "200", "Sim only: answer sends to a number with error 463 ({to, refuse?, untilMs?})"),
    route("POST", "/api/panel-links", "panel", "200", "A signed, expiring panel link: {expiresInSeconds?, instances?}"),
    route("POST", "/api/events/ticket", "panel", "200", "A one-time ticket (30 s) that opens the event stream: GET /api/events?ticket="),
    route("GET", "/api/events", "panel", "200", "Server-Sent Events: instance status and QR, removals, message ticks (?ticket= or a key header)"),
    route("GET", "/panel/", "panel", "200", "The embeddable panel"),
    route("POST", "/api/session", "panel", "201", "Start a browser session: the key or panel link in a header, an HttpOnly cookie back"),
    route("GET", "/api/session", "panel", "200", "The browser session's access and expiry (401 without one)"),
    route("DELETE", "/api/session", "panel", "200", "End the browser session (clears the cookie)"),
    route("GET", "/api/panel/sso", "panel", "200", "Whether sign-in from inside GHL is on (GHL_SHARED_SECRET), and the frame ancestors the panel takes GHL's answer from"),
    route("POST", "/api/panel/sso", "panel", "201", "Sign in from inside GHL without the key: {payload} (GHL's encrypted user data) for a panel token scoped by the user's role and location"),
    route("GET", "/", "panel", "200", "UI_DIR's index.html (and its files; unknown non-API paths get index.html); without UI_DIR a redirect to /panel/"),
    route("POST", "/ghl/webhooks", "ghl", "200", "The GHL app's webhook: INSTALL and UNINSTALL events (X-GHL-Signature; this appId, timestamp within 5 min, webhookId once)"),
    route("GET", "/ghl/oauth/callback", "ghl", "200", "GHL's OAuth redirect after an install (no API key; takes only the state of a current install link)"),
    route("POST", "/ghl/provider/outbound", "ghl", "200", "GHL Conversation Provider Delivery URL (X-GHL-Signature, no API key)"),
    route("GET", "/media/{name}", "media", "200", "Inbound media the gateway downloaded"),
];
