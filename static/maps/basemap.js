// The base map under a plan's routes, drawn from the plan's own street data (no tiles needed):
// street lines by kind, building outlines, street names along the streets and house numbers
// when zoomed in. The data is what app/outputs/basemap.py writes (window.CANVASS_BASEMAP in a
// plan folder's maps/, or the "basemap" of the volunteer's turf). Text from the data goes in
// as text, never as HTML. Online tiles are optional: CanvassBasemap.tiles() adds them only when
// one probe tile loads, and drops them (and their credit) again when they stop loading.
(function (root) {
  "use strict";
  if (typeof L === "undefined") return;

  const LABEL_ZOOM = 14; // street names from here in (a turf fits a phone at about 14-15)
  const NUMBER_ZOOM = 17; // house numbers from here in
  const CREDIT = "Map data © OpenStreetMap contributors (ODbL)";
  const STREETS = {
    major: [{ color: "#c2a15e", width: 10 }, { color: "#fde7a6", width: 7.5 }],
    minor: [{ color: "#c5c9ce", width: 8 }, { color: "#ffffff", width: 6 }],
    path: [{ color: "#8b939b", width: 1.6, dashArray: "4 3" }],
  };

  // The labels' look, added once per page (the pages allow inline style, never inline script).
  const CSS =
    ".bm-label span,.bm-number span{position:absolute;left:0;top:0;white-space:nowrap;" +
    "transform:translate(-50%,-50%);font:600 12px/14px system-ui,sans-serif;color:#2b3138;" +
    "text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff;pointer-events:none}" +
    ".bm-number span{font:500 10px/12px system-ui,sans-serif;color:#6b5a4a}";

  function addStyle() {
    if (document.getElementById("canvass-basemap-style")) return;
    const style = document.createElement("style");
    style.id = "canvass-basemap-style";
    style.textContent = CSS;
    document.head.appendChild(style);
  }

  // A line as written: whole 1e-5 degrees, the first point absolute, then steps.
  function pairs(flat) {
    const out = [];
    let lat = 0;
    let lon = 0;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      lat += flat[i];
      lon += flat[i + 1];
      out.push([lat / 1e5, lon / 1e5]);
    }
    return out;
  }

  // Street widths follow the zoom: fat white streets at walking zoom, hairlines for a city.
  function widthScale(zoom) {
    if (zoom >= 18) return 1.4;
    if (zoom >= 17) return 1;
    if (zoom >= 16) return 0.7;
    if (zoom >= 15) return 0.45;
    if (zoom >= 14) return 0.3;
    return 0.2;
  }

  function labelBox(point, width, angle) {
    // The screen box of a rotated label (width x 14 px) about its centre.
    const rad = (angle * Math.PI) / 180;
    const w = Math.abs(Math.cos(rad)) * width + Math.abs(Math.sin(rad)) * 14;
    const h = Math.abs(Math.sin(rad)) * width + Math.abs(Math.cos(rad)) * 14;
    return [point.x - w / 2, point.y - h / 2, point.x + w / 2, point.y + h / 2];
  }

  function overlaps(a, b) {
    return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
  }

  function textIcon(className, text, angle) {
    const holder = document.createElement("div");
    const span = document.createElement("span");
    span.textContent = text;
    if (angle) span.style.transform = "translate(-50%, -50%) rotate(" + angle + "deg)";
    holder.appendChild(span);
    return L.divIcon({ className: className, html: holder, iconSize: [0, 0], iconAnchor: [0, 0] });
  }

  /**
   * Draw `data` on `map` under everything else; returns the layer group (or null).
   * Call after the map has a view. `options.credit`: show the data credit (default true);
   * `options.labelZoom`: the zoom from which street names show (default LABEL_ZOOM).
   */
  function draw(map, data, options) {
    if (!data || !data.streets) return null;
    options = options || {};
    addStyle();
    // With no tile layer Leaflet would zoom without end; past 19 nothing more is drawn.
    if (!isFinite(map.getMaxZoom())) map.setMaxZoom(19);
    if (!map.getPane("basemap")) {
      map.createPane("basemap").style.zIndex = 250; // above tiles (200), under routes (400)
      const labels = map.createPane("basemap-labels");
      labels.style.zIndex = 450; // over the route line, under the stop markers (600)
      labels.style.pointerEvents = "none";
    }
    const renderer = L.svg({ pane: "basemap", padding: 0.5 });
    const group = L.layerGroup();
    const lines = [];
    if (data.buildings && data.buildings.length) {
      L.polygon(data.buildings.map(pairs), {
        pane: "basemap", renderer: renderer, interactive: false,
        color: "#bdb2a7", weight: 0.8, fillColor: "#ddd5cc", fillOpacity: 1,
      }).addTo(group);
    }
    ["path", "minor", "major"].forEach(function (kind) {
      const parts = (data.streets[kind] || []).map(pairs);
      if (!parts.length) return;
      STREETS[kind].forEach(function (style) {
        const line = L.polyline(parts, {
          pane: "basemap", renderer: renderer, interactive: false, color: style.color,
          weight: style.width, opacity: 1, dashArray: style.dashArray || null,
          lineCap: "round", lineJoin: "round",
        });
        line.addTo(group);
        lines.push([line, style.width]);
      });
    });
    const names = data.names || [];
    const labels = (data.labels || []).map(function (l) {
      const text = String(names[l[3]] || "");
      const marker = L.marker([l[0], l[1]], {
        icon: textIcon("bm-label", text, l[2]), pane: "basemap-labels",
        interactive: false, keyboard: false,
      });
      return { marker: marker, angle: l[2], width: text.length * 6.6 + 6 };
    });
    const labelLayer = L.layerGroup(labels.map(function (l) { return l.marker; }));
    const numberLayer = L.layerGroup((data.numbers || []).map(function (n) {
      return L.marker([n[0], n[1]], {
        icon: textIcon("bm-number", String(n[2]), 0), pane: "basemap-labels",
        interactive: false, keyboard: false,
      });
    }));

    function declutter() {
      if (!map.hasLayer(group)) return;
      const zoom = map.getZoom();
      const scale = widthScale(zoom);
      lines.forEach(function (entry) { entry[0].setStyle({ weight: entry[1] * scale }); });
      const showLabels = zoom >= (options.labelZoom || LABEL_ZOOM);
      if (showLabels !== map.hasLayer(labelLayer)) {
        if (showLabels) labelLayer.addTo(map); else map.removeLayer(labelLayer);
      }
      if (zoom >= NUMBER_ZOOM) numberLayer.addTo(map); else map.removeLayer(numberLayer);
      if (!showLabels) return;
      // One name where several would overlap: the first placed wins.
      const size = map.getSize();
      const placed = [];
      labels.forEach(function (l) {
        const at = map.latLngToContainerPoint(l.marker.getLatLng());
        const box = labelBox(at, l.width, l.angle);
        const onScreen = box[2] > 0 && box[3] > 0 && box[0] < size.x && box[1] < size.y;
        const free = onScreen && !placed.some(function (p) { return overlaps(p, box); });
        if (free) placed.push(box);
        const element = l.marker.getElement();
        if (element) element.style.display = free ? "" : "none";
      });
    }

    group.on("add", declutter);
    group.on("remove", function () {
      map.removeLayer(labelLayer);
      map.removeLayer(numberLayer);
    });
    map.on("zoomend moveend resize", declutter);
    group.addTo(map);
    if (options.credit !== false && data.credit !== false && map.attributionControl) {
      map.attributionControl.addAttribution(CREDIT);
    }
    group.credit = CREDIT;
    return group;
  }

  /**
   * Online tiles on `map` if `url` is set and one tile at the current view loads; the drawn base
   * map (`vector`, from draw()) steps aside while tiles show and comes back if they fail.
   * Nothing is requested when `url` is empty or the browser knows it is offline.
   */
  function tiles(map, url, attribution, vector) {
    if (!url || navigator.onLine === false) return;
    const zoom = Math.max(0, Math.min(19, Math.round(map.getZoom())));
    const tile = map.project(map.getCenter(), zoom).divideBy(256).floor();
    const probe = new Image();
    probe.onload = function () {
      const layer = L.tileLayer(url, { maxZoom: 19, attribution: attribution || "" });
      let failures = 0;
      layer.on("tileerror", function () {
        failures += 1;
        if (failures === 3 && map.hasLayer(layer)) {
          map.removeLayer(layer); // its credit goes with it
          if (vector) {
            vector.addTo(map);
            if (map.attributionControl) map.attributionControl.addAttribution(CREDIT);
          }
        }
      });
      layer.addTo(map);
      if (vector) {
        map.removeLayer(vector);
        if (map.attributionControl) map.attributionControl.removeAttribution(CREDIT);
      }
    };
    probe.src = L.Util.template(url, { x: tile.x, y: tile.y, z: zoom, s: "a", r: "" });
  }

  root.CanvassBasemap = { draw: draw, tiles: tiles, LABEL_ZOOM: LABEL_ZOOM };
})(window);
