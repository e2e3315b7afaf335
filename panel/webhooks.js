// wagate panel, part 4: the Webhooks tab. Lists the selected number's own
// webhooks (GET /api/instances/{id}/webhooks), adds one (POST: URL, the
// events it takes, an optional secret) and removes one (DELETE). A secret
// is sent once and never shown again; the list says only whether one is set.
"use strict";

function hooksPath(id) {
  return "/api/instances/" + encodeURIComponent(id) + "/webhooks";
}

async function loadWebhooks() {
  const id = state.selected;
  if (!id) return;
  const data = await api("GET", hooksPath(id));
  if (id !== state.selected) return;
  renderWebhooks(id, data.webhooks);
}

function renderWebhooks(id, hooks) {
  const list = $("webhooks");
  list.replaceChildren();
  for (const hook of hooks) {
    const li = el("li", "webhook");
    li.dataset.id = hook.id;
    li.append(el("code", "url", hook.url));
    const signed = hook.hasSecret ? "own secret" : "default secret";
    li.append(el("span", "muted", hook.events.join(", ") + " · " + signed));
    const remove = el("button", "danger", "Remove");
    remove.type = "button";
    remove.onclick = () => attempt(async () => {
      if (!(await confirmStep("Remove the webhook " + hook.url + "? Deliveries still waiting for it are dropped.", "Remove"))) return;
      await api("DELETE", hooksPath(id) + "/" + encodeURIComponent(hook.id));
      notify("Webhook removed.");
      await loadWebhooks();
    });
    li.append(remove);
    list.append(li);
  }
  $("webhooks-empty").hidden = hooks.length > 0;
}

function wireWebhooks() {
  $("webhook-form").onsubmit = (e) => {
    e.preventDefault();
    const form = e.target;
    const id = state.selected;
    const events = [...form.querySelectorAll("input[name=events]:checked")].map((box) => box.value);
    const body = { url: form.elements.url.value.trim(), events };
    if (form.elements.secret.value) body.secret = form.elements.secret.value;
    attempt(async () => {
      await api("POST", hooksPath(id), body);
      form.elements.url.value = "";
      form.elements.secret.value = "";
      notify("Webhook added.");
      await loadWebhooks();
    });
  };
}
