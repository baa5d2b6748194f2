// The organiser's plan page: turfs on a map and in the table, with status, assignments,
// volunteer links and turf edits (split, merge, draw). Everything goes through the JSON API;
// without this script the page is still the plain table with its file links.
(function () {
  "use strict";
  const body = document.body;
  const plan = body.dataset.plan;
  const base = "/api/plans/" + encodeURIComponent(plan);
  const table = document.getElementById("turfs");
  const notice = document.getElementById("notice");
  const tools = document.getElementById("tools");
  const STATUS_COLOURS = { "not started": "#0b3d91", "in progress": "#e08a00", done: "#2e7d32" };

  let me = null; // {username, role, csrf_token} when logged in
  let selected = [];
  let drawing = null; // {points: [[lat, lon]], line} while a turf is being drawn
  let map = null;
  let turfLayer = null;
  const layers = new Map(); // turf id -> Leaflet layer of its outline

  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
      else if (value !== null && value !== undefined) node.setAttribute(key, value);
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  function say(text, kind) {
    notice.textContent = text;
    notice.dataset.kind = kind || "info";
    notice.hidden = !text;
  }

  function detail(payload, status) {
    const d = payload && payload.detail;
    if (typeof d === "string") return d;
    if (Array.isArray(d)) return d.map(function (e) { return (e.loc || []).slice(1).join(".") + ": " + e.msg; }).join("; ");
    if (d && d.message) return d.message;
    return "the server answered " + status;
  }

  async function api(method, url, payload) {
    const headers = { Accept: "application/json" };
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    if (me && method !== "GET") headers["X-CSRF-Token"] = me.csrf_token;
    const response = await fetch(url, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    let answer = null;
    try { answer = await response.json(); } catch (err) { answer = null; }
    if (!response.ok) throw new Error(detail(answer, response.status));
    return answer;
  }

  function canEdit() {
    return me !== null && (me.role === "organiser" || me.role === "admin");
  }

  function row(turf) {
    return table.querySelector("tr[data-turf='" + CSS.escape(turf) + "']");
  }

  // ------------------------------------------------------------------ status and assignments

  async function refreshStatus() {
    try {
      const report = await api("GET", base + "/progress");
      for (const t of report.turfs) {
        const line = row(t.turf);
        if (!line) continue;
        const cell = line.querySelector("[data-field='status']");
        cell.textContent = t.status + " · " + t.doors_knocked + "/" + t.target_households;
        line.dataset.status = t.status;
        const layer = layers.get(t.turf);
        if (layer) layer.setStyle({ color: STATUS_COLOURS[t.status] || "#0b3d91" });
      }
    } catch (err) {
      // Progress needs a login once accounts exist; the rest of the page still works.
    }
  }

  function assignmentCell(turf, current) {
    const cell = row(turf).querySelector("[data-field='assigned']");
    const name = current ? current.volunteer : "";
    const parts = [el("span", { class: "who", text: name || "–" })];
    if (current && current.note) parts.push(el("small", { text: " " + current.note }));
    if (canEdit()) {
      parts.push(el("button", {
        type: "button", class: "small", "data-action": "assign", text: name ? "Change" : "Assign",
        on: { click: function () { assignForm(turf, current); } },
      }));
    }
    cell.replaceChildren.apply(cell, parts);
  }

  function assignForm(turf, current) {
    const cell = row(turf).querySelector("[data-field='assigned']");
    const who = el("input", { type: "text", name: "volunteer", maxlength: "200", placeholder: "Volunteer(s)", value: current ? current.volunteer : "" });
    const note = el("input", { type: "text", name: "note", maxlength: "500", placeholder: "Note", value: current ? current.note : "" });
    const form = el("form", { class: "assign" }, [who, note,
      el("button", { type: "submit", text: "Save" }),
      current ? el("button", { type: "button", text: "Clear", on: { click: async function () {
        try {
          await api("DELETE", base + "/turfs/" + encodeURIComponent(turf) + "/assignment");
          assignmentCell(turf, null);
        } catch (err) { say(turf + ": " + err.message, "error"); }
      } } }) : null,
    ]);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      try {
        const saved = await api("PUT", base + "/turfs/" + encodeURIComponent(turf) + "/assignment",
          { volunteer: who.value, note: note.value });
        assignmentCell(turf, saved);
        say("");
      } catch (err) { say(turf + ": " + err.message, "error"); }
    });
    cell.replaceChildren(form);
    who.focus();
  }

  async function refreshAssignments() {
    let list = [];
    try { list = await api("GET", base + "/assignments"); } catch (err) { return; }
    const byTurf = new Map(list.map(function (a) { return [a.turf, a]; }));
    for (const line of table.querySelectorAll("tbody tr[data-turf]")) {
      assignmentCell(line.dataset.turf, byTurf.get(line.dataset.turf) || null);
    }
    const orphans = list.filter(function (a) { return !a.turf_exists; });
    if (orphans.length) {
      say("Assigned turfs no longer in the plan: " + orphans.map(function (a) { return a.turf + " (" + a.volunteer + ")"; }).join(", "), "warn");
    }
  }

  // ------------------------------------------------------------------ volunteer links

  function linksCell(turf, links) {
    const cell = row(turf).querySelector("[data-field='links']");
    const parts = [];
    for (const link of links) {
      if (!link.active) continue;
      parts.push(el("span", { class: "link", "data-link": String(link.id) }, [
        (link.label || "link") + " until " + link.expires_at.slice(0, 10) + " ",
        el("button", { type: "button", class: "small", "data-action": "revoke", text: "Revoke", on: { click: async function () {
          try {
            await api("POST", "/api/links/" + link.id + "/revoke");
            await refreshLinks();
          } catch (err) { say(turf + ": " + err.message, "error"); }
        } } }),
      ]));
    }
    parts.push(el("button", { type: "button", class: "small", "data-action": "new-link", text: "New link", on: {
      click: function () { newLink(turf); },
    } }));
    cell.replaceChildren.apply(cell, parts);
  }

  async function newLink(turf) {
    const assigned = row(turf).querySelector("[data-field='assigned'] .who");
    const label = assigned && assigned.textContent !== "–" ? assigned.textContent : "";
    try {
      const link = await api("POST", base + "/links", { turf: turf, label: label, days: 7 });
      await refreshLinks();
      const box = document.getElementById("new-link");
      box.hidden = false;
      document.getElementById("new-link-turf").textContent = turf;
      const url = document.getElementById("new-link-url");
      url.value = link.url;
      url.select();
      say("");
    } catch (err) { say(turf + ": " + err.message, "error"); }
  }

  async function refreshLinks() {
    let links;
    try { links = await api("GET", base + "/links"); } catch (err) { return; }
    const byTurf = new Map();
    for (const link of links) {
      if (!byTurf.has(link.turf)) byTurf.set(link.turf, []);
      byTurf.get(link.turf).push(link);
    }
    for (const line of table.querySelectorAll("tbody tr[data-turf]")) {
      linksCell(line.dataset.turf, byTurf.get(line.dataset.turf) || []);
    }
  }

  // ------------------------------------------------------------------ map and selection

  function select(turf) {
    const at = selected.indexOf(turf);
    if (at >= 0) selected.splice(at, 1);
    else {
      selected.push(turf);
      if (selected.length > 2) selected.shift();
    }
    for (const line of table.querySelectorAll("tbody tr[data-turf]")) {
      line.classList.toggle("selected", selected.indexOf(line.dataset.turf) >= 0);
    }
    layers.forEach(function (layer, id) {
      layer.setStyle({ weight: selected.indexOf(id) >= 0 ? 5 : 2, fillOpacity: selected.indexOf(id) >= 0 ? 0.35 : 0.12 });
    });
    updateTools();
  }

  async function drawMap() {
    const box = document.getElementById("map");
    if (!box || typeof L === "undefined") return;
    map = L.map(box, { zoomControl: true });
    const tiles = body.dataset.tileUrl;
    if (tiles) L.tileLayer(tiles, { maxZoom: 19, attribution: "© OpenStreetMap contributors" }).addTo(map);
    try {
      const [turfs, routes] = await Promise.all([
        fetch("/files/" + encodeURIComponent(plan) + "/turfs.geojson", { credentials: "same-origin" }).then(function (r) { return r.json(); }),
        fetch("/files/" + encodeURIComponent(plan) + "/routes.geojson", { credentials: "same-origin" }).then(function (r) { return r.json(); }),
      ]);
      L.geoJSON(routes, { style: { color: "#444", weight: 2, opacity: 0.7 }, interactive: false }).addTo(map);
      turfLayer = L.geoJSON(turfs, {
        style: { color: "#0b3d91", weight: 2, fillOpacity: 0.12 },
        onEachFeature: function (feature, layer) {
          const id = feature.properties.turf;
          layers.set(id, layer);
          // Leaflet puts a string tooltip in as HTML: give it a text node (ids come from data).
          const tip = document.createElement("span");
          tip.textContent = id + " · " + Number(feature.properties.doors) + " doors · " + Math.round(Number(feature.properties.minutes)) + " min";
          layer.bindTooltip(tip);
          layer.on("click", function (event) {
            if (drawing) return;
            L.DomEvent.stopPropagation(event);
            select(id);
          });
        },
      }).addTo(map);
      map.fitBounds(turfLayer.getBounds(), { padding: [10, 10] });
    } catch (err) {
      say("The turf map could not be loaded: " + err.message, "error");
    }
    map.on("click", function (event) {
      if (!drawing) return;
      drawing.points.push([event.latlng.lat, event.latlng.lng]);
      drawing.line.setLatLngs(drawing.points);
      updateTools();
    });
  }

  // ------------------------------------------------------------------ edits

  function button(id) { return document.getElementById(id); }

  function updateTools() {
    if (!tools) return;
    tools.hidden = !canEdit();
    button("split").disabled = selected.length !== 1 || drawing !== null;
    button("merge").disabled = selected.length !== 2 || drawing !== null;
    button("draw").hidden = drawing !== null;
    button("draw-done").hidden = drawing === null;
    button("draw-cancel").hidden = drawing === null;
    button("draw-done").disabled = !drawing || drawing.points.length < 3;
    const what = selected.length ? "Selected: " + selected.join(", ") : "Click turfs on the map or in the table to select them.";
    document.getElementById("selection").textContent = drawing ? "Click the map to place the corners of the new turf (" + drawing.points.length + " so far)." : what;
  }

  async function runEdit(kind, payload) {
    const status = document.getElementById("job");
    try {
      let job = await api("POST", base + "/turfs/" + kind, payload);
      status.textContent = kind + ": queued";
      while (job.status === "queued" || job.status === "running") {
        await new Promise(function (resolve) { setTimeout(resolve, 1000); });
        job = await api("GET", "/api/jobs/" + encodeURIComponent(job.id));
        status.textContent = kind + ": " + job.status + (job.stage ? " (" + job.stage + ")" : "");
      }
      if (job.status === "failed") throw new Error(job.error || "the edit failed");
      status.textContent = kind + ": done, reloading…";
      window.location.reload();
    } catch (err) {
      status.textContent = "";
      say(kind + ": " + err.message, "error");
    }
  }

  function wireTools() {
    if (!tools) return;
    button("split").addEventListener("click", function () { runEdit("split", { turf: selected[0] }); });
    button("merge").addEventListener("click", function () { runEdit("merge", { turfs: selected.slice() }); });
    button("draw").addEventListener("click", function () {
      if (!map) return;
      drawing = { points: [], line: L.polygon([], { color: "#c62828", dashArray: "4 4" }).addTo(map) };
      updateTools();
    });
    button("draw-cancel").addEventListener("click", function () {
      if (drawing) drawing.line.remove();
      drawing = null;
      updateTools();
    });
    button("draw-done").addEventListener("click", function () {
      const ring = drawing.points.map(function (p) { return [p[1], p[0]]; });
      ring.push(ring[0]);
      drawing.line.remove();
      drawing = null;
      updateTools();
      runEdit("draw", { geometry: { type: "Polygon", coordinates: [ring] } });
    });
    document.getElementById("copy-link").addEventListener("click", async function () {
      const url = document.getElementById("new-link-url");
      url.select();
      try { await navigator.clipboard.writeText(url.value); say("Link copied."); } catch (err) { say("Select the link and copy it.", "warn"); }
    });
  }

  // ------------------------------------------------------------------ start

  async function start() {
    try { me = await api("GET", "/api/me"); } catch (err) { me = null; }
    body.dataset.role = me ? me.role : "";
    for (const line of table.querySelectorAll("tbody tr[data-turf]")) {
      line.addEventListener("click", function (event) {
        if (event.target.closest("a, button, input, form")) return;
        select(line.dataset.turf);
      });
    }
    wireTools();
    updateTools();
    await drawMap();
    await Promise.all([refreshStatus(), refreshAssignments(), canEdit() ? refreshLinks() : null]);
    body.dataset.ready = "yes";
    setInterval(refreshStatus, 30000);
  }

  start();
})();
