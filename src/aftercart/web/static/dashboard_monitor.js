// The dashboard's request monitor, live. Every 2 seconds (while the tab is visible and not
// paused) it reads the page again with the session's cookie and swaps in the lists whose text
// changed, keeping open whatever details were open and the focus where it was. Nothing is
// parsed as script: DOMParser's documents run none.
"use strict";

(function () {
  const root = document.getElementById("monitor");
  if (!root) return;
  const INTERVAL_MS = Number(root.dataset.intervalMs) || 2000;
  const refresh = document.getElementById("monitor-refresh");
  const controls = document.getElementById("monitor-controls");
  const pause = document.getElementById("monitor-pause");
  const status = document.getElementById("monitor-status");

  let paused = false;
  let stopped = false;

  refresh.hidden = true;
  controls.hidden = false;

  pause.addEventListener("click", function () {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume live updates" : "Pause live updates";
    status.textContent = paused ? "Paused." : "Live.";
  });

  function requestIds(scope) {
    return new Set(
      Array.from(scope.querySelectorAll("[data-request-id]"), function (row) {
        return row.dataset.requestId;
      })
    );
  }

  function swap(fresh) {
    let arrived = 0;
    fresh.querySelectorAll("[data-live]").forEach(function (part) {
      const here = document.getElementById(part.id);
      if (!here || here.textContent === part.textContent) return;
      const known = requestIds(here);
      requestIds(part).forEach(function (id) {
        if (!known.has(id)) arrived += 1;
      });
      const open = Array.from(here.querySelectorAll("details[open]"), function (d) {
        return d.id;
      });
      const focused = here.contains(document.activeElement) ? document.activeElement.id : "";
      here.replaceWith(document.adoptNode(part));
      open.forEach(function (id) {
        const details = document.getElementById(id);
        if (details) details.open = true;
      });
      const again = focused && document.getElementById(focused);
      if (again) again.focus();
    });
    if (arrived) status.textContent = arrived === 1 ? "1 new request." : arrived + " new requests.";
  }

  async function load() {
    const response = await fetch(window.location.pathname, {
      cache: "no-store",
      credentials: "same-origin",
    });
    if (response.redirected || !response.ok) {
      // The session ended (logged out elsewhere, or the token was revoked).
      stopped = true;
      status.textContent = "Live updates stopped: reload the page to log in again.";
      pause.hidden = true;
      return;
    }
    swap(new DOMParser().parseFromString(await response.text(), "text/html"));
  }

  async function tick() {
    if (!paused && !document.hidden) {
      try {
        await load();
      } catch (error) {
        // The server is away for a moment: try again on the next tick.
      }
    }
    if (!stopped) window.setTimeout(tick, INTERVAL_MS);
  }

  window.setTimeout(tick, INTERVAL_MS);
})();
