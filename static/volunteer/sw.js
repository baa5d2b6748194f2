/* Canvass Planner: service worker of the volunteer page, served as /t/<token>/sw.js.
 *
 * One worker per link, controlling only /t/<token>. It keeps in one cache per link:
 * - the page itself and the turf JSON: network first, the saved copy when there is no network
 *   (or it takes too long), so the page opens and shows the turf with no signal;
 * - the page's script and style (Leaflet and ours): served from the cache, refreshed in the
 *   background.
 * Results are never cached or replayed here: the page keeps them in its outbox and sends them.
 * When the server says the link is gone (404/410), the saved page and turf are deleted.
 */
"use strict";

const VERSION = "5"; // a new page script and style: the worker caches them afresh
const found = self.location.pathname.match(/^\/t\/([^/]+)\/sw\.js$/);
const TOKEN = found ? found[1] : "";
const CACHE = "canvass-" + VERSION + "-" + TOKEN;
const PAGE = "/t/" + TOKEN;
const TURF = "/api/v/" + TOKEN + "/turf";
const ASSETS = [
  "/vendor/leaflet/leaflet.css",
  "/vendor/leaflet/leaflet.js",
  "/static/maps/basemap.js",
  "/static/volunteer/volunteer.css",
  "/static/volunteer/volunteer.js",
  "/static/volunteer/icon.svg",
  "/t/" + TOKEN + "/manifest.webmanifest",
];
const NETWORK_WAIT_MS = 6000;

self.addEventListener("install", function (event) {
  event.waitUntil(
    (async function () {
      const cache = await caches.open(CACHE);
      await cache.addAll(ASSETS);
      // The page and the turf are saved only if the link works now.
      await Promise.all(
        [PAGE, TURF].map(async function (url) {
          try {
            const response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
            if (response.ok) await cache.put(url, response);
          } catch (err) {
            // Offline while installing: the page saves them on its next visit.
          }
        }),
      );
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    (async function () {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter(function (n) { return n.startsWith("canvass-") && n.endsWith("-" + TOKEN) && n !== CACHE; })
          .map(function (n) { return caches.delete(n); }),
      );
      await self.clients.claim();
    })(),
  );
});

function offlineCopy(response) {
  const headers = new Headers(response.headers);
  headers.set("X-Canvass-Offline", "1");
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: headers,
  });
}

async function forget() {
  const cache = await caches.open(CACHE);
  await Promise.all([cache.delete(PAGE), cache.delete(TURF)]);
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then(async function (response) {
    if (response.ok) {
      await cache.put(key, response.clone());
    } else if (response.status === 404 || response.status === 410) {
      await forget();
    }
    return response;
  });
  let timer = null;
  const slow = new Promise(function (resolve) {
    timer = setTimeout(function () { resolve("slow"); }, NETWORK_WAIT_MS);
  });
  try {
    const first = await Promise.race([network, slow]);
    if (first !== "slow") return first;
    const cached = await cache.match(key);
    if (cached) {
      network.catch(function () {}); // it may still arrive and refresh the cache
      return offlineCopy(cached);
    }
    return await network;
  } catch (err) {
    const cached = await cache.match(key);
    if (cached) return offlineCopy(cached);
    if (request.mode === "navigate") {
      return new Response(
        "<!doctype html><meta name=viewport content='width=device-width'><title>Offline</title>" +
          "<p style='font:18px system-ui;padding:1rem'>No connection, and this walk list is not " +
          "saved on this phone yet. Open the link again when you have signal.</p>",
        { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } },
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function cacheFirst(request, key) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key);
  const refresh = fetch(request).then(async function (response) {
    if (response.ok) await cache.put(key, response.clone());
    return response;
  });
  if (cached) {
    refresh.catch(function () {});
    return cached;
  }
  return refresh;
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // map tiles go straight to the network
  if (url.pathname === PAGE || url.pathname === PAGE + "/") {
    event.respondWith(networkFirst(request, PAGE));
  } else if (url.pathname === TURF) {
    event.respondWith(networkFirst(request, TURF));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(cacheFirst(request, url.pathname));
  }
});
