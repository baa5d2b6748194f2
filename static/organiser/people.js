// The people list of the plan page and giving a turf to a person: the organiser adds,
// changes and removes volunteers (name, phone, email), picks one for a turf, and the link is
// made in the same step and shown with its QR code, SMS and email buttons and the walk list
// printed for that person. organiser.js calls CanvassPeople.start(page) once it knows the
// user may edit; `page` hands over its api(), el(), say(), the plan and a refresh().
window.CanvassPeople = (function () {
  "use strict";
  let page = null;
  let people = []; // [{id, name, phone, email, turfs, home, hours, pairs_with}]

  function $(id) { return document.getElementById(id); }

  function contact(person) {
    return [person.phone, person.email].filter(Boolean).join(" · ");
  }

  function turfCount(n) {
    return n === 1 ? "1 turf" : n + " turfs";
  }

  // Who goes where (issue 18): where they start from, their hours, who they walk with.
  function availability(person) {
    const partner = people.find(function (p) { return p.id === person.pairs_with; });
    return [
      person.home ? "from " + person.home : "no home",
      person.hours ? person.hours + " h" : "one turf",
      partner ? "with " + partner.name : "",
    ].filter(Boolean).join(" · ");
  }

  // ---------------------------------------------------------------- the people list

  async function load() {
    try { people = await page.api("GET", "/api/people"); } catch (err) { people = []; }
    render();
  }

  function render() {
    const el = page.el;
    $("people-count").textContent = people.length ? " (" + people.length + ")" : "";
    const list = $("people-list");
    list.replaceChildren.apply(list, people.map(function (person) {
      return el("li", { "data-person": String(person.id) }, [
        el("span", { class: "name", text: person.name }),
        el("span", { class: "contact", text: contact(person) || "no phone or email" }),
        el("span", { class: "availability meta", text: availability(person) }),
        el("span", { class: "meta", text: turfCount(person.turfs) }),
        el("span", { class: "actions" }, [
          el("button", { type: "button", class: "small", "data-action": "edit-person", text: "Edit",
            on: { click: function () { editForm(person); } } }),
          el("button", { type: "button", class: "small", "data-action": "remove-person", text: "Remove",
            on: { click: function () { remove(person); } } }),
        ]),
      ]);
    }));
    $("people-empty").hidden = people.length > 0;
  }

  function fields(form) {
    const hours = form.elements.hours.value.trim().replace(",", ".");
    const partner = form.elements.pairs_with.value;
    return {
      name: form.elements.name.value,
      phone: form.elements.phone.value,
      email: form.elements.email.value,
      home: form.elements.home.value,
      hours: hours ? Number(hours) : null,
      pairs_with: partner ? Number(partner) : null,
    };
  }

  function partnerSelect(person) {
    const el = page.el;
    const select = el("select", { name: "pairs_with" }, [el("option", { value: "", text: "Nobody" })]);
    for (const other of people) {
      if (person && other.id === person.id) continue;
      const option = el("option", { value: String(other.id), text: other.name });
      if (person && person.pairs_with === other.id) option.selected = true;
      select.append(option);
    }
    return select;
  }

  function personInputs(person) {
    const el = page.el;
    return [
      el("label", {}, ["Name", el("input", { name: "name", required: "required", maxlength: "200",
        autocomplete: "off", value: person ? person.name : "" })]),
      el("label", {}, ["Phone", el("input", { name: "phone", type: "tel", maxlength: "40",
        autocomplete: "off", value: person ? person.phone : "" })]),
      el("label", {}, ["Email", el("input", { name: "email", type: "email", maxlength: "200",
        autocomplete: "off", value: person ? person.email : "" })]),
      el("label", {}, ["Home (address or lat, lon)", el("input", { name: "home", maxlength: "300",
        autocomplete: "off", value: person ? person.home || "" : "" })]),
      el("label", { class: "short" }, ["Hours", el("input", { name: "hours", inputmode: "decimal",
        maxlength: "5", placeholder: "one turf", autocomplete: "off",
        value: person && person.hours ? String(person.hours) : "" })]),
      el("label", {}, ["Walks with", partnerSelect(person)]),
    ];
  }

  function editForm(person) {
    const el = page.el;
    const item = document.querySelector("#people-list li[data-person='" + person.id + "']");
    const form = el("form", { class: "person-form" }, personInputs(person).concat([
      el("button", { type: "submit", text: "Save" }),
      el("button", { type: "button", text: "Cancel", on: { click: render } }),
    ]));
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      try {
        await page.api("PUT", "/api/people/" + person.id, fields(form));
        page.say("");
        await load();
        await page.refresh();
      } catch (err) { page.say(person.name + ": " + err.message, "error"); }
    });
    item.replaceChildren(form);
    form.elements.name.focus();
  }

  async function remove(person) {
    const what = person.turfs ? " Their " + turfCount(person.turfs) + " become unassigned and their links stop working." : "";
    if (!window.confirm("Remove " + person.name + " from the list?" + what)) return;
    try {
      await page.api("DELETE", "/api/people/" + person.id);
      page.say(person.name + " was removed." + (person.turfs ? " Their turfs are unassigned." : ""));
      await load();
      await page.refresh();
    } catch (err) { page.say(person.name + ": " + err.message, "error"); }
  }

  function wireAddForm() {
    const form = $("person-add");
    form.replaceChildren.apply(form, personInputs(null).concat([
      page.el("button", { type: "submit", text: "Add person" }),
    ]));
    if (form.dataset.wired) return;
    form.dataset.wired = "yes";
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      try {
        const added = await page.api("POST", "/api/people", fields(form));
        form.reset();
        page.say(added.name + " was added: pick them for a turf in the table.");
        await load();
        refreshPickers();
        wireAddForm();
      } catch (err) { page.say(err.message, "error"); }
    });
  }

  // ---------------------------------------------------------------- assigning a turf

  function options(select, chosen) {
    const el = page.el;
    const list = [el("option", { value: "", text: people.length ? "Choose a person…" : "Add people first" })];
    for (const person of people) {
      const option = el("option", { value: String(person.id), text: person.name + (person.phone ? " · " + person.phone : "") });
      if (chosen !== null && chosen === person.id) option.selected = true;
      list.push(option);
    }
    select.replaceChildren.apply(select, list);
  }

  function refreshPickers() {
    for (const select of document.querySelectorAll("form.assign select[name='person']")) {
      options(select, select.value ? Number(select.value) : null);
    }
  }

  function assignForm(turf, current, cell, cancel) {
    const el = page.el;
    const select = el("select", { name: "person", "aria-label": "Who walks " + turf });
    options(select, current ? current.person_id : null);
    const note = el("input", { type: "text", name: "note", maxlength: "500", placeholder: "Note (optional)",
      "aria-label": "Note", value: current ? current.note : "" });
    const form = el("form", { class: "assign" }, [select, note,
      el("button", { type: "submit", text: "Assign & share" }),
      el("button", { type: "button", text: "Cancel", on: { click: cancel } }),
      current ? el("button", { type: "button", "data-action": "unassign", text: "Unassign", on: { click: async function () {
        try {
          await page.api("DELETE", page.base + "/turfs/" + encodeURIComponent(turf) + "/assignment");
          await page.refresh();
          await load();
        } catch (err) { page.say(turf + ": " + err.message, "error"); }
      } } }) : null,
    ]);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      if (!select.value) {
        page.say(people.length ? "Choose who walks " + turf + "." : "Add a person in People first.", "warn");
        if (!people.length) { $("people").open = true; $("person-add").elements.name.focus(); }
        return;
      }
      try {
        const saved = await page.api("PUT", page.base + "/turfs/" + encodeURIComponent(turf) + "/assignment",
          { person: Number(select.value), note: note.value });
        page.say("");
        await page.refresh();
        await load();
        show(saved.link);
      } catch (err) { page.say(turf + ": " + err.message, "error"); }
    });
    cell.replaceChildren(form);
    select.focus();
  }

  // ---------------------------------------------------------------- handing the link over

  async function share(turf) {
    try {
      show(await page.api("POST", page.base + "/turfs/" + encodeURIComponent(turf) + "/assignment/link", {}));
    } catch (err) { page.say(turf + ": " + err.message, "error"); }
  }

  function show(link) {
    const dialog = $("share");
    const printed = "/plans/" + encodeURIComponent(page.plan) + "/print/" + encodeURIComponent(link.turf);
    $("share-title").textContent = "Turf " + link.turf + " for " + link.volunteer;
    $("share-qr").src = link.qr; // a data: URI made by the server
    $("share-qr").alt = "QR code of the link for " + link.volunteer;
    $("share-url").value = link.url;
    $("share-note").textContent = (link.created ? "New link" : "The link made before") +
      ", works until " + page.day(link.expires_at) + ". Scan it with the volunteer's phone, or send it:";
    $("share-sms").href = link.sms;
    $("share-mail").href = link.mailto;
    $("share-print").href = printed + ".html";
    $("share-pdf").href = printed + ".pdf";
    dialog.dataset.turf = link.turf;
    if (!dialog.open) dialog.showModal();
  }

  function wireDialog() {
    $("share-copy").addEventListener("click", async function () {
      const url = $("share-url");
      url.select();
      try { await navigator.clipboard.writeText(url.value); $("share-copied").textContent = "Copied."; } catch (err) { $("share-copied").textContent = "Select the link and copy it."; }
    });
    $("share-close").addEventListener("click", function () { $("share").close(); });
  }

  async function start(pageApi) {
    page = pageApi;
    $("people").hidden = false;
    wireAddForm();
    wireDialog();
    await load();
    wireAddForm(); // the partner list now knows everyone
    if (!people.length) $("people").open = true;
    if (window.CanvassSuggest) {
      window.CanvassSuggest.start(page, {
        list: function () { return people; },
        reload: async function () { await load(); refreshPickers(); },
        show: show,
      });
    }
  }

  return { start: start, assignForm: assignForm, share: share };
})();
