/* Canvass Planner: the volunteer phone page at /t/<token>.
 *
 * Shows one turf (map + doors in walking order), records a result with one tap: per door for
 * "not home", "refused", "moved" and the like, per voter for a support level (Supporter 1-5),
 * "deceased" and "do not contact" (the server says which: response_codes[].per_person). Rarely
 * used results wait behind "More…" so the common ones stay on screen; "Language barrier" asks
 * which language first. After "Not home" or "Come back" a door stays open ("knock again"): the
 * walk goes on to the doors not knocked yet (and those left open on an earlier day), then back
 * to the open ones, least recently knocked first. Every result is kept in a local outbox
 * (IndexedDB; localStorage if IndexedDB is not available) until the server has acknowledged it.
 * Each result carries an id made here (crypto.randomUUID), and the server stores a given id
 * once, so sending again after a lost answer never counts a door twice. The outbox is sent on load, when the phone comes back
 * online, when the page becomes visible again, after each new result, and on a timer that backs
 * off while sending fails. The service worker (sw.js) keeps the page, its assets and the turf so
 * that the page opens again with no signal.
 *
 * A sticky header keeps in view the address of the door being worked, the send state and a line
 * saying what was recorded last ("Recorded: Not home at 12 Main St · ✓ sent").
 *
 * Plain script, no build step, no third-party code but Leaflet (served by the app itself).
 */
"use strict";

(function () {
  const body = document.body;
  const TOKEN = body.dataset.token || "";
  const TILE_URL = body.dataset.tileUrl || "";
  const ENC_TOKEN = encodeURIComponent(TOKEN);
  const TURF_URL = "/api/v/" + ENC_TOKEN + "/turf";
  const RESULTS_URL = "/api/v/" + ENC_TOKEN + "/results";
  const BATCH = 100;
  const SEND_TIMEOUT_MS = 20000;
  const RETRY_MIN_MS = 2000;
  const RETRY_MAX_MS = 60000;
  const NOTES_MAX = 1000;
  const LANGUAGE_MAX = 40;
  const ARMING_MS = 500;
  // Offered when the volunteer is asked which language; the ones used on this phone come first.
  const LANGUAGES = ["Spanish", "Chinese", "Vietnamese", "Arabic", "Tagalog", "Korean", "Russian",
    "Somali", "French", "Haitian Creole", "Portuguese"];
  // Results about one person rather than the door (a support level is never recorded for a whole
  // household by one tap). Older servers did not say: then only the support levels are.
  function perPerson(c) {
    return c.per_person === undefined ? /^supporter_/.test(c.code) : Boolean(c.per_person);
  }

  const state = {
    turf: null,
    results: new Map(), // client_id -> result (with .status: waiting | synced | rejected)
    open: null, // household_id of the door whose buttons are shown
    lastRecorded: null, // client_id of the result the header's "Recorded:" line tells about
    noteOpen: new Set(),
    more: new Set(), // household_ids whose "More…" results are shown
    asking: null, // {household, code}: the language question shown for this door
    answers: new Map(), // household_id -> {question id: choice} for the next result
    linkGone: false,
    arming: null, // {household, until}: a door just opened by a result, briefly inert
    sending: false,
    fromCache: false,
  };
  const households = new Map(); // household_id -> {household, stop}
  const order = []; // household_ids in walking order
  const codeLabels = new Map();
  const reknock = new Set(); // codes after which a door stays open: not home, come back

  // ---------------------------------------------------------------- small helpers

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [key, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (key === "text") node.textContent = value;
        else if (key === "className") node.className = value;
        else if (key === "on") {
          for (const [type, handler] of Object.entries(value)) node.addEventListener(type, handler);
        } else node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (const child of children || []) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function newId() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    // Pages served over plain http on a LAN have no randomUUID; getRandomValues still works.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" +
      h.slice(16, 20) + "-" + h.slice(20);
  }

  function showNotice(text, kind) {
    const box = document.getElementById("notice");
    box.textContent = text;
    box.className = "notice" + (kind ? " " + kind : "");
    box.hidden = !text;
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many || one + "s");
  }

  function timeOf(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // ---------------------------------------------------------------- outbox

  const Outbox = (function () {
    const DB = "canvass-volunteer";
    const STORE = "results";
    let opened = null;
    let useLocal = !("indexedDB" in window);
    const localKey = "canvass-outbox:" + TOKEN;

    function open() {
      if (!opened) {
        opened = new Promise(function (resolve, reject) {
          const req = indexedDB.open(DB, 1);
          req.onupgradeneeded = function () {
            const store = req.result.createObjectStore(STORE, { keyPath: "client_id" });
            store.createIndex("token", "token");
          };
          req.onsuccess = function () { resolve(req.result); };
          req.onerror = function () { reject(req.error); };
          req.onblocked = function () { reject(new Error("database blocked")); };
        });
      }
      return opened;
    }

    function run(mode, work) {
      return open().then(function (db) {
        return new Promise(function (resolve, reject) {
          // "strict": the write is on disk before we tell the volunteer it is saved.
          const tx = db.transaction(STORE, mode, { durability: "strict" });
          const req = work(tx.objectStore(STORE));
          tx.oncomplete = function () { resolve(req ? req.result : undefined); };
          tx.onerror = function () { reject(tx.error); };
          tx.onabort = function () { reject(tx.error || new Error("aborted")); };
        });
      });
    }

    function localAll() {
      try {
        return JSON.parse(localStorage.getItem(localKey) || "[]");
      } catch (err) {
        return [];
      }
    }

    function localPut(items) {
      const byId = new Map(localAll().map(function (r) { return [r.client_id, r]; }));
      for (const item of items) byId.set(item.client_id, item);
      localStorage.setItem(localKey, JSON.stringify(Array.from(byId.values())));
    }

    return {
      all: async function () {
        if (!useLocal) {
          try {
            return await run("readonly", function (s) { return s.index("token").getAll(TOKEN); });
          } catch (err) {
            useLocal = true;
          }
        }
        return localAll();
      },
      put: async function (items) {
        const rows = items.map(function (r) { return Object.assign({ token: TOKEN }, r); });
        if (!useLocal) {
          try {
            await run("readwrite", function (s) { rows.forEach(function (r) { s.put(r); }); });
            return;
          } catch (err) {
            useLocal = true;
          }
        }
        localPut(rows);
      },
    };
  })();

  // ---------------------------------------------------------------- results

  function latestFor(householdId) {
    let door = null;
    const voters = new Map();
    for (const r of state.results.values()) {
      if (r.household_id !== householdId || r.status === "rejected") continue;
      if (r.voter_id) {
        const prev = voters.get(r.voter_id);
        if (!prev || prev.recorded_at <= r.recorded_at) voters.set(r.voter_id, r);
      }
      if (!door || door.recorded_at <= r.recorded_at) door = r;
    }
    return { door: door, voters: voters };
  }

  function resultsFor(householdId) {
    return Array.from(state.results.values())
      .filter(function (r) { return r.household_id === householdId; })
      .sort(function (a, b) { return a.recorded_at < b.recorded_at ? 1 : -1; });
  }

  function waiting() {
    return Array.from(state.results.values())
      .filter(function (r) { return r.status === "waiting"; })
      .sort(function (a, b) { return a.recorded_at < b.recorded_at ? -1 : 1; });
  }

  function today() {
    const d = new Date();
    return d.getFullYear() + "-" + d.getMonth() + "-" + d.getDate();
  }

  function dayOf(iso) {
    const d = new Date(iso);
    return d.getFullYear() + "-" + d.getMonth() + "-" + d.getDate();
  }

  function openness(householdId) {
    // "todo": not knocked (or left open on an earlier day: a later visit knocks again);
    // "again": left open today (not home, come back); "done": a final result.
    const door = latestFor(householdId).door;
    if (!door) return "todo";
    if (!reknock.has(door.code)) return "done";
    return dayOf(door.recorded_at) === today() ? "again" : "todo";
  }

  function budgetSkips(householdId) {
    // The plan's budget works this turf in part: the door waits for a later pass.
    return Boolean(households.get(householdId).household.skip);
  }

  function nextDoor(skip) {
    // First the doors still to do, in walking order; then back to the ones left open today,
    // the least recently knocked first (so "not home" twice does not loop on one door).
    // Doors the budget skips are never the next door.
    for (const id of order) {
      if (id !== skip && !budgetSkips(id) && openness(id) === "todo") return id;
    }
    let best = null;
    let when = null;
    for (const id of order) {
      if (id === skip || budgetSkips(id) || openness(id) !== "again") continue;
      const at = latestFor(id).door.recorded_at;
      if (best === null || at < when) {
        best = id;
        when = at;
      }
    }
    return best;
  }

  let lastTap = { household: null, voter: null, code: null, at: 0 };

  function doorFinished(householdId, voterId) {
    // A door result finishes the door; a voter's result does once every voter has one.
    if (!voterId) return true;
    const voters = latestFor(householdId).voters;
    return households.get(householdId).household.voters.every(function (v) {
      return voters.has(v.voter_id);
    });
  }

  async function record(householdId, code, voterId, language) {
    // A double tap on the same button is one result.
    const now = Date.now();
    voterId = voterId || null;
    if (lastTap.household === householdId && lastTap.voter === voterId && lastTap.code === code &&
        now - lastTap.at < ARMING_MS) {
      return;
    }
    lastTap = { household: householdId, voter: voterId, code: code, at: now };
    const noteBox = document.getElementById("note-" + householdId);
    const notes = noteBox ? noteBox.value.trim().slice(0, NOTES_MAX) : "";
    const result = {
      client_id: newId(),
      household_id: householdId,
      voter_id: voterId,
      code: code,
      recorded_at: new Date(now).toISOString(),
      status: "waiting",
    };
    if (notes) result.notes = notes;
    if (language) result.language = language;
    state.asking = null;
    state.more.delete(householdId);
    const answers = state.answers.get(householdId);
    if (answers && Object.keys(answers).length) result.answers = answers;
    state.answers.delete(householdId);
    state.results.set(result.client_id, result);
    state.lastRecorded = result.client_id;
    const saved = Outbox.put([result]); // written in the background, in order
    if (noteBox) noteBox.value = "";
    state.noteOpen.delete(householdId);
    if (doorFinished(householdId, voterId)) {
      // The door is done: open the next one. It opens where the finger was, so it ignores
      // taps for a moment: a double tap does not record it too.
      const next = nextDoor(householdId);
      state.open = next;
      state.arming = { household: next, until: now + ARMING_MS };
      setTimeout(renderAll, ARMING_MS + 20);
      renderAll();
      if (next) scrollToDoor(next, false);
    } else {
      renderAll();
    }
    try {
      await saved;
    } catch (err) {
      showNotice("Could not save on this phone: " + err + ". Keep the page open until it is sent.", "warn");
    }
    sendSoon(0);
  }


  // ---------------------------------------------------------------- sending

  let retryTimer = null;
  let retryDelay = RETRY_MIN_MS;

  function sendSoon(delay) {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = setTimeout(function () {
      retryTimer = null;
      send();
    }, delay);
  }

  function backOff(ms) {
    const delay = ms || retryDelay;
    retryDelay = Math.min(RETRY_MAX_MS, retryDelay * 2);
    // A little jitter so that many phones coming back online do not all send at once.
    sendSoon(delay + Math.floor(Math.random() * 500));
  }

  async function post(items) {
    const controller = new AbortController();
    const timer = setTimeout(function () { controller.abort(); }, SEND_TIMEOUT_MS);
    try {
      return await fetch(RESULTS_URL, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({
          results: items.map(function (r) {
            const out = {
              client_id: r.client_id,
              household_id: r.household_id,
              voter_id: r.voter_id,
              code: r.code,
              recorded_at: r.recorded_at,
            };
            if (r.notes) out.notes = r.notes;
            if (r.language) out.language = r.language;
            if (r.answers) out.answers = r.answers;
            return out;
          }),
        }),
        cache: "no-store",
        credentials: "same-origin",
        signal: controller.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async function acknowledge(items, response) {
    const answer = await response.json();
    const done = new Set([].concat(answer.stored || [], answer.duplicates || []));
    const changed = items.filter(function (r) { return done.has(r.client_id); });
    changed.forEach(function (r) { r.status = "synced"; });
    await Outbox.put(changed);
    return changed.length;
  }

  async function send() {
    if (state.sending || state.linkGone) return;
    if (!waiting().length) {
      retryDelay = RETRY_MIN_MS;
      return;
    }
    if (navigator.onLine === false) {
      renderSync();
      backOff(RETRY_MAX_MS); // the "online" event will usually come first
      return;
    }
    state.sending = true;
    renderSync();
    let sent = false;
    try {
      for (;;) {
        const batch = waiting().slice(0, BATCH);
        if (!batch.length) {
          retryDelay = RETRY_MIN_MS;
          if (sent) await refreshTurf();
          return;
        }
        sent = true;
        const response = await post(batch);
        if (response.ok) {
          if ((await acknowledge(batch, response)) === 0) throw new Error("nothing acknowledged");
        } else if (response.status === 404 || response.status === 410) {
          linkGone(response);
          return;
        } else if (response.status === 429) {
          const after = Number(response.headers.get("Retry-After"));
          backOff(after > 0 ? after * 1000 : 0);
          return;
        } else if (response.status === 422) {
          await sendOneByOne(batch);
        } else {
          throw new Error("server answered " + response.status);
        }
        renderAll();
      }
    } catch (err) {
      backOff();
    } finally {
      state.sending = false;
      renderAll();
    }
  }

  function people(turf) {
    // Who the turf shows: its doors and their voters, in walking order.
    const stops = turf.stops.slice().sort(function (a, b) { return a.sequence - b.sequence; });
    return stops.map(function (stop) {
      return stop.households.map(function (hh) {
        return hh.household_id + ":" + hh.voters.map(function (v) { return v.voter_id; }).join(",");
      }).join(";");
    }).join("|");
  }

  async function refreshTurf() {
    // After a sync, take the server's turf again: people who asked not to be contacted since
    // the cut (at a door, on a list) leave this phone, and the saved offline copy with them.
    let response = null;
    try {
      response = await fetch(TURF_URL, { headers: { Accept: "application/json" }, cache: "no-store" });
    } catch (err) {
      return;
    }
    if (response.status === 404 || response.status === 410) {
      await linkGone(response);
      return;
    }
    if (!response.ok || response.headers.get("X-Canvass-Offline") === "1") return;
    const turf = await response.json();
    // Nobody left: the page stays as it is (a redraw would move what the volunteer sees).
    if (people(turf) === people(state.turf)) return;
    absorb(turf);
    const stops = new Map(state.turf.stops.map(function (stop) { return [stop.stop_id, stop]; }));
    mapState.markers.forEach(function (entry, stopId) {
      if (stops.has(stopId)) {
        entry.stop = stops.get(stopId);
      } else {
        entry.marker.remove();
        mapState.markers.delete(stopId);
      }
    });
    if (state.open && !households.has(state.open)) state.open = nextDoor();
    renderAll();
  }

  async function sendOneByOne(batch) {
    // The server refused the batch: find the result(s) it cannot take so the rest still go.
    for (const item of batch) {
      const response = await post([item]);
      if (response.ok) {
        await acknowledge([item], response);
      } else if (response.status === 422) {
        item.status = "rejected";
        await Outbox.put([item]);
      } else {
        throw new Error("server answered " + response.status);
      }
    }
  }

  async function linkGone(response) {
    state.linkGone = true;
    let detail = "";
    try {
      detail = (await response.json()).detail || "";
    } catch (err) {
      detail = "";
    }
    showNotice(
      "This link no longer works" + (detail ? " (" + detail + ")" : "") +
        ". Ask your organiser for a new one." +
        (waiting().length ? " " + plural(waiting().length, "result") + " could not be sent." : ""),
      "error",
    );
    // Take the voters' details off this phone.
    if ("caches" in window) {
      const keys = await caches.keys();
      await Promise.all(
        keys.filter(function (k) { return k.endsWith("-" + TOKEN); })
          .map(function (k) { return caches.delete(k); }),
      );
    }
    renderSync();
  }

  // ---------------------------------------------------------------- loading the turf

  async function loadTurf() {
    let response = null;
    try {
      response = await fetch(TURF_URL, { headers: { Accept: "application/json" } });
    } catch (err) {
      // No network and no worker yet: the page may still have the turf in its cache.
      if ("caches" in window) response = await caches.match(TURF_URL);
      if (!response) {
        showNotice("No connection, and this turf is not saved on this phone yet. " +
          "Open the link once with signal.", "error");
        return null;
      }
    }
    if (response.status === 404 || response.status === 410) {
      await linkGone(response);
      return null;
    }
    if (!response.ok) {
      showNotice("The server could not load this turf (" + response.status + "). Try again.", "error");
      return null;
    }
    state.fromCache = response.headers.get("X-Canvass-Offline") === "1";
    return response.json();
  }

  function absorb(turf) {
    state.turf = turf;
    households.clear();
    order.length = 0;
    const stops = turf.stops.slice().sort(function (a, b) { return a.sequence - b.sequence; });
    turf.stops = stops;
    for (const stop of stops) {
      for (const hh of stop.households) {
        households.set(hh.household_id, { household: hh, stop: stop });
        order.push(hh.household_id);
      }
    }
    codeLabels.clear();
    reknock.clear();
    for (const c of turf.response_codes) {
      codeLabels.set(c.code, c.label);
      if (c.reknock) reknock.add(c.code);
    }
    for (const r of turf.results || []) {
      const mine = state.results.get(r.client_id);
      if (mine) {
        if (mine.status !== "synced") {
          mine.status = "synced";
          Outbox.put([mine]);
        }
      } else {
        state.results.set(r.client_id, Object.assign({}, r, { status: "synced" }));
      }
    }
  }

  // ---------------------------------------------------------------- rendering: list

  function voterName(voter) {
    if (voter.name) return String(voter.name);
    const parts = [voter.first_name, voter.last_name].filter(Boolean);
    return parts.length ? parts.join(" ") : "Voter " + voter.voter_id;
  }

  function voterFacts(voter) {
    const skip = new Set(["voter_id", "name", "first_name", "last_name"]);
    return (state.turf.fields || [])
      .filter(function (f) { return !skip.has(f) && voter[f] !== null && voter[f] !== undefined && voter[f] !== ""; })
      .map(function (f) { return String(voter[f]); })
      .join(", ");
  }

  function resultText(r) {
    // "Language barrier (Somali)": the label, and the language when one was given.
    const label = codeLabels.get(r.code) || r.code;
    return r.language ? label + " (" + r.language + ")" : label;
  }

  function statusText(r) {
    if (r.status === "synced") return "✓ sent";
    if (r.status === "rejected") return "⚠ not accepted";
    return "waiting to send"; // no emoji: not every phone font has ⏳
  }

  function whoOf(hh, voterId) {
    const v = hh.voters.find(function (x) { return x.voter_id === voterId; });
    return v ? voterName(v) : String(voterId);
  }

  function doorStatus(householdId) {
    const latest = latestFor(householdId);
    if (!latest.door) return "none";
    const all = resultsFor(householdId);
    return all.some(function (r) { return r.status === "waiting"; }) ? "waiting" : "synced";
  }

  function renderDoor(householdId, nextId) {
    const entry = households.get(householdId);
    const hh = entry.household;
    const latest = latestFor(householdId);
    const status = doorStatus(householdId);
    const open = openness(householdId);
    const isOpen = state.open === householdId;
    const label = hh.unit ? hh.unit : "Door";
    const names = hh.voters.map(voterName).join(", ");

    const summary = latest.door
      ? el("span", { className: "state " + status }, [
        householdId === nextId ? "Next door: " : "",
        resultText(latest.door),
        latest.door.voter_id ? " (" + whoOf(hh, latest.door.voter_id) + ")" : "",
        open !== "done" ? el("span", { className: "again", text: " · knock again" }) : "",
        " · ",
        statusText(latest.door),
      ])
      : hh.skip
        ? el("span", { className: "state skip" }, ["Skip: left for a later pass"])
        : el("span", { className: "state none" }, [householdId === nextId ? "Next door" : "To do"]);

    const head = el("button", {
      type: "button",
      className: "door-head",
      "aria-expanded": isOpen ? "true" : "false",
      "aria-controls": "door-body-" + householdId,
      on: {
        click: function () {
          state.open = state.open === householdId ? null : householdId;
          renderAll();
        },
      },
    }, [
      el("span", { className: "unit", text: label }),
      el("span", { className: "names", text: names || "—" }),
      summary,
    ]);

    const arming = state.arming && state.arming.household === householdId &&
      Date.now() < state.arming.until;
    const item = el("li", {
      className: "door" + (householdId === nextId ? " is-next" : "") + (isOpen ? " open" : "") +
        (hh.skip ? " skip" : ""),
      id: "door-" + householdId,
      "data-household": householdId,
      "data-status": status,
      "data-open": open,
      inert: arming,
    }, [head]);

    if (isOpen) item.append(renderDoorBody(householdId, hh, latest));
    return item;
  }

  function codeButton(householdId, c, voter, short) {
    return el("button", {
      type: "button",
      className: "code code-" + c.code,
      "data-code": c.code,
      "data-voter": voter ? voter.voter_id : null,
      "aria-label": voter ? c.label + " for " + voterName(voter) : null,
      on: {
        click: function () {
          if (c.asks_language) {
            // Which language? asked first, under the buttons; recorded from there.
            state.asking = { household: householdId, code: c.code, voter: voter ? voter.voter_id : null };
            renderAll();
            const box = document.getElementById("language-" + householdId);
            if (box) box.focus({ preventScroll: true });
            return;
          }
          record(householdId, c.code, voter ? voter.voter_id : null);
        },
      },
    }, [short ? shortLabel(c) : c.label]);
  }

  function recentLanguages() {
    // Languages named on this phone, most recent first, then the usual ones.
    const used = Array.from(state.results.values())
      .filter(function (r) { return r.language; })
      .sort(function (a, b) { return a.recorded_at < b.recorded_at ? 1 : -1; })
      .map(function (r) { return r.language; });
    return Array.from(new Set(used.concat(LANGUAGES)));
  }

  function renderLanguageQuestion(householdId) {
    const ask = state.asking;
    const label = codeLabels.get(ask.code) || ask.code;
    const id = "language-" + householdId;
    const recent = recentLanguages();
    const submit = function () {
      const input = document.getElementById(id);
      const language = input ? input.value.split(/\s+/).join(" ").trim().slice(0, LANGUAGE_MAX) : "";
      record(householdId, ask.code, ask.voter, language);
    };
    return el("form", {
      className: "ask-language",
      "aria-label": "Which language?",
      on: { submit: function (event) { event.preventDefault(); submit(); } },
    }, [
      el("label", { className: "note", for: id }, ["Which language do they speak?"]),
      el("input", {
        id: id, type: "text", maxlength: LANGUAGE_MAX, list: id + "-list", autocomplete: "off",
        autocapitalize: "words", enterkeyhint: "done", placeholder: "e.g. " + recent[0],
      }),
      el("datalist", { id: id + "-list" }, recent.map(function (name) { return el("option", { value: name }); })),
      el("div", { className: "choices" }, recent.slice(0, 3).map(function (name) {
        return el("button", {
          type: "button", className: "chip", "data-language": name,
          on: { click: function () { record(householdId, ask.code, ask.voter, name); } },
        }, [name]);
      })),
      el("div", { className: "ask-actions" }, [
        el("button", {
          type: "submit", className: "code record-language", "data-record": ask.code,
          "aria-label": "Record " + label,
        }, ["Record"]),
        el("button", {
          type: "button", className: "add-note",
          on: { click: function () { state.asking = null; renderAll(); } },
        }, ["Cancel"]),
      ]),
    ]);
  }

  function renderDoorBody(householdId, hh, latest) {
    const codes = state.turf.response_codes;
    const more = state.more.has(householdId);
    const shown = function (c) { return more || c.group !== "more"; };
    const doorCodes = codes.filter(function (c) { return !perPerson(c) && shown(c); });
    // A person's row: the support scale, and behind "More…" the rarer ones (deceased, ...).
    const scaleCodes = codes.filter(function (c) { return perPerson(c) && c.group !== "more"; });
    const personCodes = codes.filter(function (c) { return perPerson(c) && c.group === "more"; });
    const hasMore = codes.some(function (c) { return c.group === "more"; });

    const toggle = hasMore
      ? el("button", {
        type: "button",
        className: "more",
        "aria-expanded": more ? "true" : "false",
        on: {
          click: function () {
            if (more) state.more.delete(householdId);
            else state.more.add(householdId);
            renderAll();
          },
        },
      }, [more ? "Fewer" : "More…"])
      : null;
    const door = el("div", { className: "codes door-codes", role: "group", "aria-label": "Result for the whole door" },
      doorCodes.map(function (c) { return codeButton(householdId, c, null, false); }));
    const asking = state.asking && state.asking.household === householdId
      ? renderLanguageQuestion(householdId) : null;

    let people = null;
    if (asking) {
      // Which language: the question and its answers in view; the rest waits for the answer.
    } else if (more && personCodes.length && hh.voters.length) {
      // "More…": each rarer result about one person, then who (the support rows step aside so
      // the door still fits on screen; "Fewer" brings them back). Given names where they tell
      // the people apart; the button's label always has the whole name.
      const given = hh.voters.map(function (v) { return voterName(v).split(" ")[0]; });
      const short = new Set(given).size === given.length ? given : hh.voters.map(voterName);
      people = el("div", { className: "people more-people" }, personCodes.map(function (c) {
        return el("div", { className: "person-code", role: "group", "aria-label": c.label + ": who?" }, [
          el("p", { className: "hint" }, [c.label + " ", el("small", { text: "— who?" })]),
          el("div", { className: "codes person-more" }, hh.voters.map(function (voter, i) {
            const button = codeButton(householdId, c, voter, false);
            button.replaceChildren(short[i]);
            return button;
          })),
        ]);
      }));
    } else if (scaleCodes.length && hh.voters.length) {
      people = el("div", { className: "people" }, [
        el("p", { className: "hint" }, scaleHint(scaleCodes)),
      ].concat(hh.voters.map(function (voter) {
        const mine = latest.voters.get(voter.voter_id);
        return el("div", {
          className: "voter" + (mine ? " has-result" : ""),
          role: "group",
          "aria-label": "Support of " + voterName(voter),
          "data-voter": voter.voter_id,
        }, [
          el("p", { className: "voter-name" }, [
            el("b", { text: voterName(voter) }),
            voterFacts(voter) ? el("small", { text: " " + voterFacts(voter) }) : null,
            mine ? el("span", { className: "voter-result " + mine.status, text: " · " + resultText(mine) }) : null,
          ]),
          el("div", { className: "codes scale" }, scaleCodes.map(function (c) { return codeButton(householdId, c, voter, true); })),
        ]);
      })));
    }

    const survey = renderSurvey(householdId);

    const noteShown = state.noteOpen.has(householdId);
    const note = noteShown
      ? el("label", { className: "note" }, [
        "Note for the next result (optional)",
        el("textarea", { id: "note-" + householdId, maxlength: NOTES_MAX, rows: 2 }),
      ])
      : el("button", {
        type: "button",
        className: "add-note",
        on: {
          click: function () {
            state.noteOpen.add(householdId);
            renderAll();
            const box = document.getElementById("note-" + householdId);
            if (box) box.focus();
          },
        },
      }, ["+ Add a note"]);

    const history = resultsFor(householdId);
    const log = history.length
      ? el("ol", { className: "history", "aria-label": "Recorded here" }, history.map(function (r) {
        const whom = r.voter_id ? whoOf(hh, r.voter_id) : "whole door";
        return el("li", { className: r.status, "data-client-id": r.client_id }, [
          timeOf(r.recorded_at), " ", el("b", { text: resultText(r) }),
          " — ", whom, answerText(r), r.notes ? " — “" + r.notes + "”" : "", " · ", statusText(r),
        ]);
      }))
      : null;

    const extras = survey
      ? el("p", { className: "hint", text: "Survey (optional): the answers go with the next result you tap here." })
      : null;
    return el("div", { className: "door-body", id: "door-body-" + householdId }, [
      el("div", { className: "codes-head" }, [el("p", { className: "hint", text: "Result for the whole door" }), toggle]),
      door, asking, people, extras, survey, note, log,
    ]);
  }

  function shortLabel(c) {
    // "Supporter 1" .. "Supporter 5" show as 1 .. 5 on a voter's row; the row says the rest.
    const prefix = commonPrefix(state.turf.response_codes.filter(function (x) { return perPerson(x) && x.group !== "more"; }));
    const rest = c.label.slice(prefix.length).trim();
    return rest || c.label;
  }

  function commonPrefix(codes) {
    if (!codes.length) return "";
    let prefix = codes[0].label;
    for (const c of codes) {
      while (prefix && !c.label.startsWith(prefix)) prefix = prefix.slice(0, -1);
    }
    // Cut at a word boundary: "Supporter 1" and "Supporter 2" share "Supporter ", not more.
    const space = prefix.lastIndexOf(" ");
    return codes.length > 1 && space >= 0 ? prefix.slice(0, space + 1) : "";
  }

  function scaleHint(codes) {
    // "Supporter 1–5, per person (1 strongest)"
    const prefix = commonPrefix(codes).trim();
    if (!prefix || codes.length < 2) return ["Per person"];
    const first = shortLabel(codes[0]);
    return [
      prefix + " " + first + "–" + shortLabel(codes[codes.length - 1]) + ", per person ",
      el("small", { text: "(" + first + " strongest)" }),
    ];
  }

  function renderSurvey(householdId) {
    const questions = state.turf.questions || [];
    if (!questions.length) return null;
    const chosen = state.answers.get(householdId) || {};
    return el("div", { className: "survey" }, questions.map(function (q) {
      return el("div", { className: "question", role: "group", "aria-label": q.text }, [
        el("p", { text: q.text }),
        el("div", { className: "choices" }, q.choices.map(function (choice) {
          return el("button", {
            type: "button",
            className: "chip",
            "data-question": q.id,
            "aria-pressed": chosen[q.id] === choice ? "true" : "false",
            on: {
              click: function () {
                // Tapping the chosen answer again takes it back: every question is optional.
                const answers = Object.assign({}, state.answers.get(householdId));
                if (answers[q.id] === choice) delete answers[q.id];
                else answers[q.id] = choice;
                state.answers.set(householdId, answers);
                renderAll();
              },
            },
          }, [choice]);
        })),
      ]);
    }));
  }

  function answerText(r) {
    if (!r.answers) return "";
    const parts = Object.keys(r.answers).map(function (id) { return r.answers[id]; });
    return parts.length ? " — " + parts.join(", ") : "";
  }

  function renderList() {
    const list = document.getElementById("list");
    const nextId = nextDoor();
    // Keep what the volunteer is typing across re-renders.
    const drafts = new Map();
    list.querySelectorAll("textarea[id^='note-']").forEach(function (t) { drafts.set(t.id, t.value); });
    const focused = document.activeElement && document.activeElement.id;

    const parts = [];
    for (const stop of state.turf.stops) {
      const done = stop.households.filter(function (h) { return openness(h.household_id) === "done"; }).length;
      const header = el("h2", { className: "stop-head" }, [
        el("span", { className: "seq", text: String(stop.sequence) }),
        el("span", { className: "address", text: stop.address }),
        el("small", { text: done + "/" + plural(stop.households.length, "door") }),
      ]);
      const doors = el("ul", { className: "doors" },
        stop.households.map(function (h) { return renderDoor(h.household_id, nextId); }));
      parts.push(el("section", {
        className: "stop" + (done === stop.households.length ? " done" : ""),
        id: "stop-" + stop.stop_id,
        "data-stop": stop.stop_id,
      }, [header, doors]));
    }
    list.replaceChildren.apply(list, parts);
    drafts.forEach(function (value, id) {
      const t = document.getElementById(id);
      if (t) t.value = value;
    });
    if (focused && focused.startsWith("note-")) {
      const t = document.getElementById(focused);
      if (t) t.focus();
    }
  }

  function renderSync() {
    const box = document.getElementById("sync");
    const n = waiting().length;
    const rejected = Array.from(state.results.values()).filter(function (r) { return r.status === "rejected"; }).length;
    let text;
    let kind;
    if (state.linkGone) {
      text = n ? plural(n, "result") + " not sent: link closed" : "Link closed";
      kind = "error";
    } else if (!n) {
      text = "✓ All sent";
      kind = "ok";
    } else if (state.sending) {
      text = "Sending " + n + "…";
      kind = "busy";
    } else if (navigator.onLine === false) {
      text = "Offline · " + n + " waiting";
      kind = "wait";
    } else {
      text = n + " waiting to send";
      kind = "wait";
    }
    if (rejected) text += " · " + rejected + " refused";
    box.textContent = text;
    box.className = "sync " + kind;
    box.dataset.waiting = String(n);
    // "no" once a round of sending (and the turf fetched after it) is over: nothing redraws then.
    box.dataset.sending = state.sending ? "yes" : "no";
  }

  function renderProgress() {
    // Doors the budget skips are not this pass's work, unless someone knocked one anyway.
    const counted = order.filter(function (id) { return !budgetSkips(id) || latestFor(id).door; });
    const skipped = order.length - counted.length;
    const total = counted.length;
    const done = counted.filter(function (id) { return openness(id) === "done"; }).length;
    const again = counted.filter(function (id) { return openness(id) !== "done" && latestFor(id).door; }).length;
    const box = document.getElementById("progress");
    // One line under the count, so the dock keeps its height on a small phone.
    const notes = [];
    if (again) notes.push(el("span", { className: "again", text: again + " to knock again" }));
    if (again && skipped) notes.push(" · ");
    if (skipped) notes.push(el("span", { className: "skipped", text: skipped + " skipped this pass" }));
    box.replaceChildren(done + " of " + plural(total, "door") + " done",
      notes.length ? el("small", {}, notes) : "");
    box.dataset.done = String(done);
    box.dataset.total = String(total);
    box.dataset.again = String(again);
    box.dataset.skipped = String(skipped);
    const next = document.getElementById("next-door");
    const upcoming = nextDoor();
    next.disabled = upcoming === null;
    next.textContent = done === total ? "All doors done"
      : upcoming !== null && openness(upcoming) === "again" ? "Knock again" : "Next door";
  }

  function placeOf(householdId) {
    const entry = households.get(householdId);
    if (!entry) return "";
    const unit = entry.household.unit;
    return entry.stop.address + (unit ? " (" + unit + ")" : "");
  }

  function renderHere() {
    // The sticky header: the door being worked (the open one, else the next one).
    const box = document.getElementById("here");
    if (!box) return;
    const id = state.open || nextDoor();
    const entry = id ? households.get(id) : null;
    box.textContent = entry ? "Stop " + entry.stop.sequence + " · " + placeOf(id) : "All doors done";
    box.title = box.textContent;
  }

  function renderRecorded() {
    // What the last tap recorded, and whether it is sent: stays until the next result.
    const box = document.getElementById("recorded");
    const r = state.lastRecorded ? state.results.get(state.lastRecorded) : null;
    if (!box || !r) return;
    const entry = households.get(r.household_id);
    const whom = r.voter_id && entry ? " for " + whoOf(entry.household, r.voter_id) : "";
    const where = entry ? " at " + placeOf(r.household_id) : "";
    box.textContent = "Recorded: " + resultText(r) + whom + where + " · " + statusText(r);
    box.className = "recorded " + r.status;
    box.dataset.clientId = r.client_id;
    box.dataset.status = r.status;
  }

  function measureTop() {
    // The sticky header's height, for scroll-padding-top: a door scrolled to starts below it.
    const top = document.getElementById("top");
    if (top) document.documentElement.style.setProperty("--top", Math.ceil(top.getBoundingClientRect().height) + "px");
  }

  function renderAll() {
    if (!state.turf) {
      renderSync();
      renderRecorded();
      measureTop();
      return;
    }
    renderList();
    renderSync();
    renderProgress();
    renderHere();
    renderRecorded();
    renderMarkers();
    measureTop();
  }

  function scrollToDoor(householdId, smooth) {
    const node = document.getElementById("door-" + householdId);
    if (node) node.scrollIntoView({ behavior: smooth ? "smooth" : "auto", block: "start" });
  }

  // ---------------------------------------------------------------- rendering: map

  const mapState = { map: null, markers: new Map(), me: null, accuracy: null, watch: null };

  function buildMap(turf) {
    if (typeof L === "undefined") {
      document.getElementById("map").textContent = "The map could not load.";
      return;
    }
    const map = L.map("map", { zoomControl: true, tap: true });
    map.attributionControl.setPrefix(false);
    mapState.map = map;
    document.getElementById("map").classList.add("no-tiles");
    const bounds = L.latLngBounds([]);
    const t = turf.turf;
    if (t.route && t.route.length > 1) {
      L.polyline(t.route, { color: "#ffffff", weight: 9, opacity: 0.9, interactive: false }).addTo(map);
      L.polyline(t.route, { color: "#0b3d91", weight: 5, opacity: 0.95, interactive: false }).addTo(map);
      t.route.forEach(function (p) { bounds.extend(p); });
    }
    if (t.drop_off) {
      const start = [t.drop_off.lat, t.drop_off.lon];
      L.marker(start, {
        icon: L.divIcon({ className: "drop-pin", html: "Start", iconSize: [52, 24], iconAnchor: [26, 12] }),
        title: "Drop-off: where this walk begins",
        keyboard: false,
      }).addTo(map);
      bounds.extend(start);
    }
    for (const stop of turf.stops) {
      const at = [stop.lat, stop.lon];
      const marker = L.marker(at, {
        icon: stopIcon(stop, ""),
        title: stop.sequence + ". " + stop.address,
        riseOnHover: true,
      }).addTo(map);
      marker.on("click", function () {
        const first = stop.households.find(function (h) { return openness(h.household_id) !== "done"; }) ||
          stop.households[0];
        if (first) {
          state.open = first.household_id;
          renderAll();
          scrollToDoor(first.household_id, true);
        }
      });
      mapState.markers.set(stop.stop_id, { marker: marker, stop: stop, kind: null });
      bounds.extend(at);
    }
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 18 });
    else map.setView([0, 0], 2);
    // Streets, names and buildings from the plan's own data; online tiles only if they load.
    if (window.CanvassBasemap) {
      const base = CanvassBasemap.draw(map, turf.basemap);
      CanvassBasemap.tiles(map, TILE_URL, "© OpenStreetMap contributors", base);
    }
    addLocateControl(map);
  }

  function stopIcon(stop, kind) {
    return L.divIcon({
      className: "stop-pin" + (kind ? " " + kind : ""),
      html: String(Number(stop.sequence)),
      iconSize: [30, 30],
      iconAnchor: [15, 15],
    });
  }

  function renderMarkers() {
    if (!mapState.map) return;
    const nextId = nextDoor();
    const nextStop = nextId ? households.get(nextId).stop.stop_id : null;
    mapState.markers.forEach(function (entry, stopId) {
      const done = entry.stop.households.every(function (h) { return openness(h.household_id) === "done"; });
      const kind = stopId === nextStop ? "is-next" : done ? "done" : "";
      if (entry.kind !== kind) {
        entry.kind = kind;
        entry.marker.setIcon(stopIcon(entry.stop, kind));
        entry.marker.setZIndexOffset(kind === "is-next" ? 1000 : 0);
      }
    });
  }

  function addLocateControl(map) {
    const Locate = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        const button = L.DomUtil.create("button", "locate");
        button.type = "button";
        button.title = "Where am I?";
        button.setAttribute("aria-label", "Where am I? Show my position");
        button.textContent = "◎";
        L.DomEvent.disableClickPropagation(button);
        L.DomEvent.on(button, "click", locate);
        return button;
      },
    });
    map.addControl(new Locate());
  }

  function locate() {
    const map = mapState.map;
    if (!("geolocation" in navigator)) {
      showNotice("This phone cannot tell the page where you are.", "warn");
      return;
    }
    if (mapState.me) map.setView(mapState.me.getLatLng(), Math.max(map.getZoom(), 17));
    if (mapState.watch !== null) return;
    let first = !mapState.me;
    mapState.watch = navigator.geolocation.watchPosition(
      function (pos) {
        const at = [pos.coords.latitude, pos.coords.longitude];
        if (!mapState.me) {
          mapState.accuracy = L.circle(at, {
            radius: pos.coords.accuracy, color: "#1a73e8", weight: 1, fillOpacity: 0.12, interactive: false,
          }).addTo(map);
          mapState.me = L.circleMarker(at, {
            radius: 9, color: "#ffffff", weight: 3, fillColor: "#1a73e8", fillOpacity: 1,
          }).addTo(map).bindTooltip("You are here");
        } else {
          mapState.me.setLatLng(at);
          mapState.accuracy.setLatLng(at).setRadius(pos.coords.accuracy);
        }
        if (first) {
          first = false;
          map.setView(at, Math.max(map.getZoom(), 17));
        }
      },
      function (err) {
        navigator.geolocation.clearWatch(mapState.watch);
        mapState.watch = null;
        showNotice(
          err.code === 1 ? "Location is blocked for this page: allow it in the browser settings."
            : "Your position is not available right now.",
          "warn",
        );
      },
      { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 },
    );
  }

  // ---------------------------------------------------------------- start

  function describe(turf) {
    const t = turf.turf;
    const bits = [
      t.precinct ? "Precinct " + t.precinct : null,
      plural(t.doors, "door"),
      plural(t.stops, "stop"),
      (t.walk_m / 1000).toFixed(1) + " km",
      "about " + Math.round(t.minutes) + " min",
    ].filter(Boolean);
    document.getElementById("turf-facts").textContent = bits.join(" · ");
    document.getElementById("turf-id").textContent = t.id;
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) {
      body.dataset.offline = "unsupported";
      return;
    }
    navigator.serviceWorker
      .register("/t/" + ENC_TOKEN + "/sw.js", { scope: "/t/" + ENC_TOKEN })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () { body.dataset.offline = "ready"; })
      .catch(function () { body.dataset.offline = "unavailable"; });
  }

  async function start() {
    const expires = document.getElementById("expires");
    const when = new Date(expires.getAttribute("datetime"));
    if (!isNaN(when)) expires.textContent = when.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });

    for (const r of await Outbox.all()) {
      // Outbox rows carry the status they had when last written.
      state.results.set(r.client_id, r);
      const last = state.lastRecorded ? state.results.get(state.lastRecorded) : null;
      if (!last || last.recorded_at <= r.recorded_at) state.lastRecorded = r.client_id;
    }
    renderSync();
    const top = document.getElementById("top");
    if (top && "ResizeObserver" in window) new ResizeObserver(measureTop).observe(top);
    measureTop();

    const turf = await loadTurf();
    if (turf) {
      absorb(turf);
      describe(turf);
      state.open = nextDoor();
      buildMap(turf);
      renderAll();
      if (state.fromCache) showNotice("Offline: showing the copy of this turf saved on this phone.", "warn");
      body.dataset.ready = "yes";
    }
    registerWorker();
    send();
  }

  document.getElementById("next-door").addEventListener("click", function () {
    const id = nextDoor();
    if (!id) return;
    state.open = id;
    renderAll();
    scrollToDoor(id, true);
  });
  window.addEventListener("online", function () {
    retryDelay = RETRY_MIN_MS;
    if (state.fromCache) showNotice("", "");
    renderSync();
    sendSoon(0);
  });
  window.addEventListener("offline", renderSync);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") sendSoon(0);
  });
  // A slow heartbeat in case the "online" event never comes (captive portals, flaky signal).
  setInterval(function () {
    if (waiting().length && !retryTimer && !state.sending) send();
  }, RETRY_MAX_MS);

  start().catch(function (err) {
    showNotice("Something went wrong loading this page: " + err, "error");
  });
})();
