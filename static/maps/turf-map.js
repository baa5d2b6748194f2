// A turf's map, drawn from the data its page loads before this script (window.CANVASS_TURF):
// the outline, the route along the streets, the drop-off point and the numbered stops, over the
// base map of the turf's streets (window.CANVASS_BASEMAP, drawn by basemap.js). Text from the
// data (addresses) goes into tooltips as text nodes, never as HTML.
(function () {
  "use strict";
  const data = window.CANVASS_TURF;
  const holder = document.getElementById("map");
  if (!data || !holder || typeof L === "undefined") return;

  function textTip(text) {
    const tip = document.createElement("span");
    tip.textContent = text;
    return tip;
  }

  const map = L.map(holder, { zoomControl: true, preferCanvas: false, zoomSnap: 0.25 });
  L.control.scale().addTo(map);
  const colour = data.colour;
  const outline = L.geoJSON(data.outline, {
    style: { color: colour, weight: 1, fillOpacity: 0.08 },
  });
  // The view first: Leaflet cannot place vector layers on a map that has none yet.
  map.fitBounds(outline.getBounds(), { padding: [8, 8] });
  let base = null;
  if (window.CanvassBasemap) {
    base = CanvassBasemap.draw(map, window.CANVASS_BASEMAP);
    CanvassBasemap.tiles(map, holder.dataset.tiles, holder.dataset.attribution, base);
  }
  outline.addTo(map);
  if (data.route.length > 1) {
    L.polyline(data.route, { color: colour, weight: 4 }).addTo(map);
  }
  data.stops.forEach(function (stop) {
    L.polyline([[stop.lat, stop.lon], [stop.street_lat, stop.street_lon]], {
      color: colour, weight: 1.5, dashArray: "3 4",
    }).addTo(map);
  });
  if (data.drop_off) {
    L.marker(data.drop_off, {
      icon: L.divIcon({ className: "", html: '<div class="drop-off">Start</div>', iconSize: [44, 20], iconAnchor: [22, 10] }),
    }).addTo(map).bindTooltip(textTip("Drop-off: the street corner where this walk begins"), { sticky: true });
  }
  data.stops.forEach(function (stop) {
    const number = document.createElement("div");
    number.className = "stop-no";
    number.style.background = colour;
    number.textContent = String(Number(stop.sequence));
    L.marker([stop.lat, stop.lon], {
      icon: L.divIcon({ className: "", html: number, iconSize: [24, 24], iconAnchor: [12, 12] }),
    }).addTo(map).bindTooltip(textTip(stop.label), { sticky: true });
  });
})();
