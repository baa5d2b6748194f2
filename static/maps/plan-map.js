// The map of all turfs of a plan, drawn from the data its page loads first (window.CANVASS_PLAN):
// precinct boundaries, turf outlines with labels linking to each turf's map, and the routes,
// each a layer that can be switched off, over the base map of the plan's streets
// (window.CANVASS_BASEMAP, drawn by basemap.js). Text from the data goes in as text, never as HTML.
(function () {
  "use strict";
  const data = window.CANVASS_PLAN;
  const holder = document.getElementById("map");
  if (!data || !holder || typeof L === "undefined") return;

  function textTip(lines) {
    const tip = document.createElement("span");
    lines.forEach(function (line, i) {
      if (i) tip.appendChild(document.createElement("br"));
      const part = document.createElement(i ? "span" : "b");
      part.textContent = line;
      tip.appendChild(part);
    });
    return tip;
  }

  const map = L.map(holder, { zoomControl: true });
  L.control.scale().addTo(map);
  const outlines = L.featureGroup();
  const routes = L.featureGroup();
  const precincts = L.featureGroup();
  data.precincts.forEach(function (precinct) {
    L.geoJSON(precinct.outline, {
      style: { color: "#444", weight: 1.5, fill: false, dashArray: "4 4" },
    }).bindTooltip(textTip(["Precinct", precinct.id]), { sticky: true }).addTo(precincts);
  });
  data.turfs.forEach(function (turf) {
    const shape = L.geoJSON(turf.outline, {
      style: { color: turf.colour, weight: 1, fillColor: turf.colour, fillOpacity: 0.15 },
    });
    shape.bindTooltip(textTip([turf.id, turf.summary]), { sticky: true }).addTo(outlines);
    if (turf.route.length > 1) {
      L.polyline(turf.route, { color: turf.colour, weight: 3 }).addTo(routes);
    }
    const link = document.createElement("a");
    link.className = "turf-label";
    link.href = encodeURIComponent(turf.id) + ".html";
    link.style.color = turf.colour;
    link.textContent = turf.id;
    L.marker(turf.label, {
      icon: L.divIcon({ className: "", html: link, iconSize: [60, 16], iconAnchor: [30, 8] }),
    }).addTo(outlines);
  });
  // The view first: Leaflet cannot place vector layers on a map that has none yet.
  map.fitBounds(outlines.getBounds(), { padding: [8, 8] });
  let streets = null;
  if (window.CanvassBasemap) {
    streets = CanvassBasemap.draw(map, window.CANVASS_BASEMAP, { labelZoom: 16 });
    CanvassBasemap.tiles(map, holder.dataset.tiles, holder.dataset.attribution, streets);
  }
  if (data.precincts.length) precincts.addTo(map);
  outlines.addTo(map);
  routes.addTo(map);
  const overlays = { Turfs: outlines, Routes: routes };
  if (streets) overlays.Streets = streets;
  if (data.precincts.length) overlays.Precincts = precincts;
  L.control.layers({}, overlays, { collapsed: false }).addTo(map);
})();
