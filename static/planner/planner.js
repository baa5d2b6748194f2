// New-plan page: uploads with progress, a live count of the target, and the cutting job.
(function () {
  "use strict";
  const csrf = document.body.dataset.csrf;
  const uploads = { voters: null, precincts: null, addresses: null };
  const $ = (id) => document.getElementById(id);

  function say(element, text, isError) {
    element.textContent = text;
    element.classList.toggle("error", Boolean(isError));
  }

  function detail(body) {
    if (!body || body.detail === undefined) return "the server refused the request";
    const d = body.detail;
    if (typeof d === "string") return d;
    if (d.message) return d.message;
    return JSON.stringify(d);
  }

  function upload(kind) {
    const input = $(`${kind}-file`);
    const bar = $(`${kind}-progress`);
    const report = $(`${kind}-report`);
    const file = input.files[0];
    uploads[kind] = null;
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    form.append("csrf_token", csrf);
    const request = new XMLHttpRequest();
    request.open("POST", `/api/uploads/${kind}`);
    request.responseType = "json";
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) bar.value = event.loaded / event.total;
    };
    bar.hidden = false;
    bar.value = 0;
    say(report, `Uploading ${file.name}…`);
    request.onload = () => {
      bar.hidden = true;
      const body = request.response || {};
      if (request.status !== 201) {
        say(report, `${file.name}: ${detail(body)}`, true);
        return;
      }
      uploads[kind] = body.id;
      if (kind === "voters") {
        say(report, `${body.filename}: ${body.total.toLocaleString()} rows, ` +
          `${body.accepted.toLocaleString()} placed, ${body.to_geocode.toLocaleString()} to geocode ` +
          `against the streets, ${body.rejected.toLocaleString()} rejected (layout: ${body.layout}).`);
      } else if (kind === "addresses") {
        say(report, `${body.filename}: ${body.rows.toLocaleString()} address ` +
          `${body.contents === "ranges" ? "ranges (street sides)" : "points"}.`);
      } else {
        say(report, `${body.filename}: ${body.features} precincts (ids from "${body.id_column}"), ` +
          `${body.repaired} repaired, ${body.dropped_empty} without a usable polygon.`);
      }
      count();
    };
    request.onerror = () => {
      bar.hidden = true;
      say(report, `${file.name}: the upload did not reach the server; try again`, true);
    };
    request.send(form);
  }

  function choice() {
    return {
      voters_upload: uploads.voters,
      precincts_upload: uploads.precincts,
      addresses_upload: uploads.addresses,
      streets: $("streets").value,
      target: $("target").value.trim(),
    };
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    let payload = null;
    try { payload = await response.json(); } catch (error) { payload = null; }
    return { ok: response.ok, status: response.status, body: payload };
  }

  let pending = null;
  let asked = 0;
  async function count() {
    const out = $("target-count");
    if (uploads.voters === null) return;
    const mine = ++asked;
    say(out, "Counting…");
    const answer = await post("/api/universe", choice());
    if (mine !== asked) return; // a newer expression was typed meanwhile
    if (!answer.ok) {
      const d = answer.body && answer.body.detail;
      let text = detail(answer.body);
      if (d && d.fields) text += `\nFields: ${d.fields.join(", ")}`;
      say(out, text, true);
      return;
    }
    const t = answer.body.target;
    const v = answer.body.voters;
    say(out, `${t.voters.toLocaleString()} voters at ${t.households.toLocaleString()} doors ` +
      `and ${t.stops.toLocaleString()} stops: about ${Math.round(t.hours).toLocaleString()} canvass hours ` +
      `(of ${v.accepted.toLocaleString()} usable voters).`);
  }

  function countSoon() {
    clearTimeout(pending);
    pending = setTimeout(count, 400);
  }

  async function loadStreets() {
    const response = await fetch("/api/streets", { credentials: "same-origin" });
    if (!response.ok) return;
    for (const source of await response.json()) {
      const option = document.createElement("option");
      option.value = source.id;
      option.textContent = source.label;
      $("streets").appendChild(option);
    }
  }

  async function follow(job) {
    const out = $("job");
    for (;;) {
      if (job.status === "done") {
        out.textContent = "";
        const link = document.createElement("a");
        link.href = job.url;
        link.textContent = `Plan ${job.plan} is ready: open it`;
        out.appendChild(link);
        return;
      }
      if (job.status === "failed") {
        say(out, `The plan could not be made: ${job.error}`, true);
        $("cut").disabled = false;
        return;
      }
      const stage = (job.stage || job.status).replace(/_/g, " ");
      const counted = job.total ? ` ${job.done} of ${job.total}` : "";
      say(out, `Working on ${job.plan}: ${stage}${counted}` +
        ` (${job.stages_done.length} stages done)`);
      const bar = document.createElement("progress");
      bar.max = job.total || 1;
      bar.value = job.total ? job.done : 0;
      if (!job.total) bar.removeAttribute("value");  // a stage without a count: indeterminate
      out.appendChild(document.createElement("br"));
      out.appendChild(bar);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const response = await fetch(`/api/jobs/${job.id}`, { credentials: "same-origin" });
      if (response.ok) job = await response.json();
    }
  }

  $("plan-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = $("job");
    if (uploads.voters === null) { say(out, "Upload a voter file first.", true); return; }
    const byDoors = document.querySelector("input[name=size]:checked").value === "doors";
    const body = Object.assign(choice(), {
      name: $("name").value.trim(),
      turf_minutes: byDoors ? null : Number($("turf-minutes").value),
      turf_doors: byDoors ? Number($("turf-doors").value) : null,
      paper: $("paper").value || null,
      hours: $("hours").value ? Number($("hours").value) : null,
      value: $("value").value.trim(),
      regions: $("regions").value.trim(),
      walklist_fields: Array.from(
        document.querySelectorAll("input[name=walklist_fields]:checked"), (box) => box.value),
    });
    $("cut").disabled = true;
    const answer = await post("/api/plans", body);
    if (!answer.ok) {
      say(out, detail(answer.body), true);
      $("cut").disabled = false;
      return;
    }
    follow(answer.body);
  });

  $("voters-file").addEventListener("change", () => upload("voters"));
  $("precincts-file").addEventListener("change", () => upload("precincts"));
  $("addresses-file").addEventListener("change", () => upload("addresses"));
  $("target").addEventListener("input", countSoon);
  $("streets").addEventListener("change", countSoon);
  loadStreets();
})();
