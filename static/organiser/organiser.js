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
  // The same colours as organiser.css (--not-started, --in-progress, --knock-again, --done,
  // --picked). "knock again": every door knocked, some not home / come back (open for a pass).
  const STATUSES = ["not started", "in progress", "knock again", "done"];
  const STATUS_COLOURS = {
    "not started": "#5f6b7d", "in progress": "#c96a00", "knock again": "#7a3fb0", done: "#1e7b34",
  };
  const PICKED = "#111827";

  let me = null; // {username, role, csrf_token} when logged in
  let selected = [];
  let drawing = null; // {points: [[lat, lon]], line} while a turf is being drawn
  let map = null;
  let turfLayer = null;
  const layers = new Map(); // turf id -> Leaflet layer of its outline
  const labels = new Map(); // turf id -> Leaflet marker showing its id
  const statusOf = new Map(); // turf id -> one of STATUSES
  let legend = null; // the legend's element
  // The budget (canvass plan --hours): turf id -> {priority, inBudget}; colour by it on request.
  const priorityOf = new Map();
  let colourBy = "status";

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

  function day(iso) {
    // "10 Dec" (in the reader's language and time zone); the year only when it is not this one.
    const when = new Date(iso);
    if (isNaN(when)) return String(iso).slice(0, 10);
    const options = { day: "numeric", month: "short" };
    if (when.getFullYear() !== new Date().getFullYear()) options.year = "numeric";
    return when.toLocaleDateString([], options);
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
        // Doors done (a final result) of the turf's doors, and those open for another pass.
        const done = t.doors_done === undefined ? t.doors_knocked : t.doors_done;
        const again = t.doors_reknock || 0;
        const parts = [el("span", { class: "dot", "aria-hidden": "true" }),
          t.status + " · " + done + "/" + t.target_households];
        if (again) parts.push(el("small", { class: "again", text: again + " to knock again" }));
        cell.replaceChildren.apply(cell, parts);
        cell.title = done + " of " + t.target_households + " doors done" +
          (again ? ", " + again + " to knock again (not home, come back)" : "");
        line.dataset.status = t.status;
        statusOf.set(t.turf, t.status);
      }
      restyle();
      showCounts();
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
      // Picking a person and handing the link over live in people.js.
      parts.push(el("button", {
        type: "button", class: "small", "data-action": "assign", text: name ? "Change" : "Assign",
        on: { click: function () {
          window.CanvassPeople.assignForm(turf, current, cell, function () { assignmentCell(turf, current); });
        } },
      }));
      if (current && current.person_id) {
        parts.push(el("button", {
          type: "button", class: "small", "data-action": "share", text: "Link & print",
          on: { click: function () { window.CanvassPeople.share(turf); } },
        }));
      }
    }
    cell.replaceChildren.apply(cell, parts);
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
        (link.label || "link") + " until " + day(link.expires_at) + " ",
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

  function isPicked(turf) {
    return selected.indexOf(turf) >= 0;
  }

  function priorityColour(turf) {
    // In budget: dark green for the first turfs fading to light green; the rest grey.
    const p = priorityOf.get(turf);
    if (!p || !p.inBudget) return "#9aa3ad";
    let inBudget = 0;
    priorityOf.forEach(function (q) { inBudget += q.inBudget ? 1 : 0; });
    const share = inBudget > 1 ? (p.priority - 1) / (inBudget - 1) : 0;
    return "hsl(140, 60%, " + Math.round(22 + 38 * share) + "%)";
  }

  function styleOf(turf) {
    const colour = colourBy === "priority" ? priorityColour(turf)
      : STATUS_COLOURS[statusOf.get(turf)] || STATUS_COLOURS["not started"];
    // A selected turf: a thick dark outline over its status colour, well filled.
    return isPicked(turf)
      ? { color: PICKED, weight: 6, opacity: 1, fillColor: colour, fillOpacity: 0.45 }
      : { color: colour, weight: 2, opacity: 0.9, fillColor: colour, fillOpacity: 0.18 };
  }

  function restyle() {
    layers.forEach(function (layer, id) {
      layer.setStyle(styleOf(id));
      const path = layer.getElement && layer.getElement();
      if (path) path.dataset.status = statusOf.get(id) || "not started";
    });
    // Turfs with results over untouched ones, the selection over everything.
    layers.forEach(function (layer, id) {
      if ((statusOf.get(id) || "not started") !== "not started") layer.bringToFront();
    });
    selected.forEach(function (id) {
      const layer = layers.get(id);
      if (layer) layer.bringToFront();
    });
    labels.forEach(function (marker, id) {
      const node = marker.getElement();
      if (node) node.classList.toggle("picked", isPicked(id));
      marker.setZIndexOffset(isPicked(id) ? 1000 : 0);
    });
    declutter();
  }

  function select(turf) {
    const at = selected.indexOf(turf);
    if (at >= 0) selected.splice(at, 1);
    else {
      selected.push(turf);
      if (selected.length > 2) selected.shift();
    }
    for (const line of table.querySelectorAll("tbody tr[data-turf]")) {
      const picked = isPicked(line.dataset.turf);
      line.classList.toggle("selected", picked);
      line.setAttribute("aria-selected", picked ? "true" : "false");
    }
    restyle();
    updateTools();
  }

  function labelPoint(layer, feature) {
    // The centre of the turf's outline when it falls inside the turf, else its drop-off.
    const centre = layer.getCenter();
    if (contains(layer, centre)) return centre;
    const p = feature.properties || {};
    const lat = p.drop_off_lat === null || p.drop_off_lat === "" ? NaN : Number(p.drop_off_lat);
    const lon = p.drop_off_lon === null || p.drop_off_lon === "" ? NaN : Number(p.drop_off_lon);
    return Number.isFinite(lat) && Number.isFinite(lon) ? L.latLng(lat, lon) : centre;
  }

  function contains(layer, point) {
    // Ray casting on the outer rings (a turf may be a multi-polygon).
    let rings = layer.getLatLngs();
    while (rings.length && Array.isArray(rings[0]) && Array.isArray(rings[0][0])) rings = [].concat.apply([], rings);
    if (rings.length && !Array.isArray(rings[0])) rings = [rings];
    let inside = false;
    for (const ring of rings) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const a = ring[i];
        const b = ring[j];
        if ((a.lat > point.lat) !== (b.lat > point.lat) &&
            point.lng < ((b.lng - a.lng) * (point.lat - a.lat)) / (b.lat - a.lat) + a.lng) {
          inside = !inside;
        }
      }
    }
    return inside;
  }

  function addLabel(id, layer, feature) {
    const text = document.createElement("span");
    text.textContent = id; // ids come from data: text, never markup
    const marker = L.marker(labelPoint(layer, feature), {
      icon: L.divIcon({ className: "turf-label", html: text, iconSize: null }),
      pane: "turf-labels",
      interactive: false,
      keyboard: false,
    }).addTo(map);
    marker.getElement().dataset.turf = id;
    labels.set(id, marker);
  }

  function declutter() {
    // Labels that would overlap one already shown are hidden; selected turfs go first.
    if (!map) return;
    const shown = [];
    const order = Array.from(labels.keys()).sort(function (a, b) { return isPicked(b) - isPicked(a); });
    for (const id of order) {
      const node = labels.get(id).getElement();
      if (!node) continue;
      node.classList.remove("crowded");
      const box = node.firstChild.getBoundingClientRect();
      const hit = shown.some(function (o) {
        return box.left < o.right + 2 && box.right > o.left - 2 && box.top < o.bottom + 1 && box.bottom > o.top - 1;
      });
      if (hit && !isPicked(id)) node.classList.add("crowded");
      else shown.push(box);
    }
  }

  function addLegend() {
    // Under the map, not over it: it never hides a turf.
    legend = document.getElementById("legend");
    if (!legend) return;
    const parts = [el("b", { text: "Turfs:" })];
    for (const status of STATUSES) {
      parts.push(el("span", { class: "key", "data-status": status }, [
        el("i", {}), el("span", { text: status.charAt(0).toUpperCase() + status.slice(1) }),
        el("span", { class: "count", text: "" }),
      ]));
    }
    parts.push(el("span", { class: "key picked" }, [el("i", {}), el("span", { text: "Selected" })]));
    if (priorityOf.size) {
      const choose = el("select", { id: "colour-by", on: { change: function (event) {
        colourBy = event.target.value;
        legend.classList.toggle("by-priority", colourBy === "priority");
        restyle();
      } } }, [
        el("option", { value: "status", text: "status" }),
        el("option", { value: "priority", text: "budget priority (dark green first, grey: outside the hours)" }),
      ]);
      parts.push(el("label", { class: "colour-by" }, [el("span", { text: "Colour by " }), choose]));
    }
    legend.replaceChildren.apply(legend, parts);
    legend.hidden = false;
  }

  function showCounts() {
    if (!legend) return;
    for (const status of STATUSES) {
      let n = 0;
      statusOf.forEach(function (s) { n += s === status ? 1 : 0; });
      legend.querySelector("[data-status='" + status + "'] .count").textContent = " (" + n + ")";
    }
  }

  async function drawMap() {
    const box = document.getElementById("map");
    if (!box || typeof L === "undefined") return;
    // Fractional zoom: the turfs fill the frame instead of the nearest whole zoom level.
    map = L.map(box, { zoomControl: true, zoomSnap: 0.1, zoomDelta: 0.5 });
    map.createPane("turf-labels").style.zIndex = 450;
    try {
      const [turfs, routes] = await Promise.all([
        fetch("/files/" + encodeURIComponent(plan) + "/turfs.geojson", { credentials: "same-origin" }).then(function (r) { return r.json(); }),
        fetch("/files/" + encodeURIComponent(plan) + "/routes.geojson", { credentials: "same-origin" }).then(function (r) { return r.json(); }),
      ]);
      L.geoJSON(routes, { style: { color: "#444", weight: 1.5, opacity: 0.6 }, interactive: false }).addTo(map);
      const features = [];
      turfLayer = L.geoJSON(turfs, {
        style: function (feature) { return styleOf(feature.properties.turf); },
        onEachFeature: function (feature, layer) {
          const id = feature.properties.turf;
          layers.set(id, layer);
          if (feature.properties.priority != null) {
            priorityOf.set(id, { priority: Number(feature.properties.priority), inBudget: Boolean(feature.properties.in_budget) });
          }
          features.push([id, layer, feature]);
          // Leaflet puts a string tooltip in as HTML: give it a text node (ids come from data).
          const tip = document.createElement("span");
          tip.textContent = id + " · " + Number(feature.properties.doors) + " doors · " + Math.round(Number(feature.properties.minutes)) + " min";
          layer.bindTooltip(tip, { sticky: true });
          layer.on("click", function (event) {
            if (drawing) return;
            L.DomEvent.stopPropagation(event);
            select(id);
          });
        },
      }).addTo(map);
      map.fitBounds(turfLayer.getBounds(), { padding: [8, 8] });
      // The plan's streets and their names under the turfs; online tiles only if they load.
      if (window.CanvassBasemap) {
        const streets = CanvassBasemap.draw(map, window.CANVASS_BASEMAP, { labelZoom: 16 });
        CanvassBasemap.tiles(map, body.dataset.tileUrl, "© OpenStreetMap contributors", streets);
      }
      for (const [id, layer, feature] of features) {
        const path = layer.getElement && layer.getElement();
        if (path) path.dataset.turf = id;
        addLabel(id, layer, feature);
      }
      addLegend();
      restyle();
      map.on("zoomend moveend resize", declutter);
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

  async function planNextPass() {
    // A new plan of the doors still worth knocking, from the results stored so far.
    const status = document.getElementById("job");
    try {
      let job = await api("POST", base + "/next-pass", {});
      while (job.status === "queued" || job.status === "running") {
        status.textContent = "next pass: " + job.status + (job.stage ? " (" + job.stage + ")" : "");
        await new Promise(function (resolve) { setTimeout(resolve, 1000); });
        job = await api("GET", "/api/jobs/" + encodeURIComponent(job.id));
      }
      if (job.status === "failed") throw new Error(job.error || "the next pass failed");
      status.replaceChildren(el("a", { href: job.url, text: "Next pass ready: " + job.plan }));
    } catch (err) {
      status.textContent = "";
      say("Next pass: " + err.message, "error");
    }
  }

  function wireTools() {
    if (!tools) return;
    button("next-pass").addEventListener("click", planNextPass);
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
    if (canEdit() && window.CanvassPeople) {
      await window.CanvassPeople.start({
        api: api, el: el, say: say, day: day, plan: plan, base: base,
        refresh: function () { return Promise.all([refreshAssignments(), refreshLinks()]); },
      });
    }
    body.dataset.ready = "yes";
    setInterval(refreshStatus, 30000);
  }

  start();
})();
