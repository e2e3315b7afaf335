// wagate panel, part 3: the Sending tab. Shows how the selected number
// sends today (count, limit, next send, WhatsApp's block on new contacts)
// and edits its sending settings (PUT /api/instances/{id}/settings).
"use strict";

function at(ms) {
  return new Date(ms).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

async function loadSending() {
  const id = state.selected;
  if (!id) return;
  const [one, current] = await Promise.all([
    api("GET", "/api/instances/" + encodeURIComponent(id)),
    api("GET", "/api/instances/" + encodeURIComponent(id) + "/settings"),
  ]);
  if (id !== state.selected) return;
  renderOutlook(one.instance.sending, current.settings);
  fillSettings(current.settings);
}

function renderOutlook(s, settings) {
  const warming = s.capToday != null && s.capToday < settings.dailyCap;
  const cap = s.capToday == null ? "no daily limit"
    : "limit " + s.capToday + " today" + (warming ? ", a new number warming up to " + settings.dailyCap : "");
  const next = s.nextSendAt > Date.now() ? "; the next message may go at " + at(s.nextSendAt) : "";
  $("sending-outlook").textContent = s.sentToday + " sent today (" + cap + ")" + next + ".";
  const block = s.newContactBlock;
  $("sending-block").hidden = !block;
  if (block) {
    const until = block.untilMs ? " until " + at(block.untilMs) : "";
    $("sending-block").textContent = "WhatsApp is not letting this number message new contacts" + until +
      ". Replies to existing chats still go; messages to new contacts wait. (" + block.reason + ")";
  }
}

function fillSettings(s) {
  const f = $("sending-form").elements;
  f.presence.checked = s.presence.enabled;
  f.markRead.checked = s.markRead;
  f.textMin.value = s.textDelayMs.min; f.textMax.value = s.textDelayMs.max;
  f.mediaMin.value = s.mediaDelayMs.min; f.mediaMax.value = s.mediaDelayMs.max;
  f.dailyCap.value = s.dailyCap;
  f.firstDay.value = s.warmup.firstDay; f.warmupDays.value = s.warmup.days;
}

function settingsFromForm() {
  const f = $("sending-form").elements;
  const n = (input) => Number(input.value);
  return {
    presence: { enabled: f.presence.checked },
    markRead: f.markRead.checked,
    textDelayMs: { min: n(f.textMin), max: n(f.textMax) },
    mediaDelayMs: { min: n(f.mediaMin), max: n(f.mediaMax) },
    dailyCap: n(f.dailyCap),
    warmup: { firstDay: n(f.firstDay), days: n(f.warmupDays) },
  };
}

function wireSending() {
  $("sending-form").onsubmit = (e) => {
    e.preventDefault();
    const id = state.selected;
    attempt(async () => {
      await api("PUT", "/api/instances/" + encodeURIComponent(id) + "/settings", settingsFromForm());
      notify("Saved; the next message follows these settings.");
      await loadSending();
    });
  };
}
