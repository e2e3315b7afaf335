// wagate panel, part 4: the Groups tab. The WhatsApp groups the selected
// number is in (GET /api/instances/{id}/groups: a group's id is what a
// send's `to` takes), and the GHL locations the number serves with how
// each gives new contacts a number (GET /api/ghl/locations). A panel link
// limited to some numbers cannot read the locations' routes (they name
// other numbers too): the tab says so instead.
"use strict";

const NEW_CONTACT_WORDS = {
  default: "new contacts get the default number",
  leastLoaded: "new contacts get the number with the fewest messages waiting",
  roundRobin: "new contacts get the numbers in turn",
};

async function loadChats() {
  const id = state.selected;
  if (!id) return;
  const path = "/api/instances/" + encodeURIComponent(id) + "/groups";
  const [groups, routes] = await Promise.all([
    api("GET", path).then((r) => r.groups, (e) => e),
    api("GET", "/api/ghl/locations").then((r) => r.locations, (e) => e),
  ]);
  if (id !== state.selected) return;
  renderGroups(groups);
  renderRoutes(id, routes);
}

function renderGroups(groups) {
  const list = $("groups");
  list.replaceChildren();
  const failed = groups instanceof Error;
  $("groups-note").textContent = failed ? "The groups cannot be read now: " + groups.message
    : groups.length ? "" : "This number is in no group.";
  $("groups-note").hidden = !$("groups-note").textContent;
  for (const g of failed ? [] : groups) {
    const li = el("li", "group");
    li.append(el("strong", "", g.subject || "(no name)"), el("span", "muted", " · " + g.size + " members · "), el("code", "", g.id));
    list.append(li);
  }
}

function renderRoutes(id, routes) {
  const list = $("routes");
  list.replaceChildren();
  if (routes instanceof Error) {
    $("routes-note").textContent = "The GHL locations' routes are shown with the API key, or a panel link for every number.";
    return;
  }
  const served = routes.filter((r) => r.instanceIds.includes(id));
  $("routes-note").textContent = served.length ? "" : "No GHL location sends through this number.";
  for (const r of served) {
    const role = r.defaultInstanceId === id ? "its default number" : "one of its " + r.instanceIds.length + " numbers";
    const li = el("li", "route");
    li.append(el("strong", "", r.locationId), el("span", "", ": " + role + "; " + (NEW_CONTACT_WORDS[r.newContacts] || r.newContacts) + "."));
    list.append(li);
  }
}
