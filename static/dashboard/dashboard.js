// Manager dashboard: refreshes the progress tables from /api/plans/<plan>/progress.
(function () {
  "use strict";
  const body = document.body;
  const plan = body.dataset.plan;
  const every = Math.max(5, Number(body.dataset.refreshS) || 30) * 1000;

  function readable(iso) {
    // "3 Dec, 07:53" in the reader's language and time zone; the year only when not this one.
    const when = new Date(iso);
    if (!iso || isNaN(when)) return "none yet";
    const options = { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
    if (when.getFullYear() !== new Date().getFullYear()) options.year = "numeric";
    return when.toLocaleString([], options);
  }

  function showLastResult(iso) {
    const node = document.getElementById("last-result");
    node.setAttribute("datetime", iso || "");
    node.textContent = readable(iso);
    node.title = iso || "";
  }

  function pct(value) {
    return value === null || value === undefined ? "–" : Math.round(value * 100) + "%";
  }

  function show(cell, value) {
    if (!cell) return;
    const kind = cell.dataset.kind;
    if (kind === "pct") {
      cell.textContent = pct(value);
    } else if (kind === "skipped") {
      cell.textContent = value ? value.toLocaleString() + " skipped" : "";
    } else if (kind === "bar") {
      const bar = cell.querySelector(".bar i");
      if (bar) bar.style.width = ((value || 0) * 100).toFixed(1) + "%";
      cell.lastChild.textContent = " " + pct(value);
    } else {
      cell.textContent = typeof value === "number" ? value.toLocaleString() : String(value);
    }
    if (cell.dataset.field === "status") cell.dataset.status = String(value);
  }

  function fill(table, rows, key) {
    for (const row of rows) {
      const line = table.querySelector(`tr[data-${key}="${CSS.escape(row[key])}"]`);
      if (!line) continue;
      for (const cell of line.querySelectorAll("[data-field]")) {
        show(cell, row[cell.dataset.field]);
      }
    }
  }

  async function refresh() {
    try {
      const response = await fetch(`/api/plans/${encodeURIComponent(plan)}/progress`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const report = await response.json();
      const totals = Object.assign({ results: report.results }, report.totals);
      for (const cell of document.querySelectorAll("[data-total]")) {
        show(cell, totals[cell.dataset.total]);
      }
      fill(document.getElementById("turfs"), report.turfs, "turf");
      fill(document.getElementById("precincts"), report.precincts, "precinct");
      showLastResult(report.last_result_at);
      document.getElementById("updated").textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    } catch (error) {
      document.getElementById("updated").textContent = `not updated (${error.message})`;
    }
  }

  document.getElementById("reload-map").addEventListener("click", function () {
    const frame = document.getElementById("map");
    frame.src = frame.src.split("?")[0] + "?t=" + Date.now();
    refresh();
  });
  showLastResult(document.getElementById("last-result").getAttribute("datetime"));
  document.body.dataset.ready = "yes";
  setInterval(refresh, every);
})();
