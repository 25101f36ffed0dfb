// Refreshes the delivery counts on the change form of an issue being sent, every 2 s,
// until nothing is left queued or being sent (newsletter/issue_admin.py, progress_view).
(function () {
  "use strict";

  const INTERVAL = 2000;
  const RETRY_INTERVAL = 10000;
  const panel = document.getElementById("issue-progress");
  if (!panel || panel.dataset.finished === "true") {
    return;
  }
  const status = panel.querySelector("[data-progress-status]");
  const language = document.documentElement.lang || undefined;

  function show(data) {
    for (const [name, count] of Object.entries(data.counts)) {
      const cell = panel.querySelector(`[data-progress-count="${name}"]`);
      if (cell) {
        cell.textContent = count.toLocaleString(language);
      }
    }
    status.textContent = data.status;
  }

  async function refresh() {
    let data;
    try {
      const response = await fetch(panel.dataset.progressUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      data = await response.json();
    } catch (error) {
      // A restart or a dropped connection: keep the last counts, ask again a bit later.
      window.setTimeout(refresh, RETRY_INTERVAL);
      return;
    }
    show(data);
    panel.dataset.finished = String(data.finished);
    if (!data.finished) {
      window.setTimeout(refresh, INTERVAL);
    }
  }

  window.setTimeout(refresh, INTERVAL);
})();
