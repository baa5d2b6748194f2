// Who goes where on the plan page (issue 18): the server suggests the unassigned turfs to the
// people of the list (least travel from home, within their hours, pairs together); the
// organiser unticks or changes rows, then gives the ticked turfs and makes their links in one
// step. people.js calls CanvassSuggest.start(page, people) for organisers. Every name is set
// as text, never as HTML.
window.CanvassSuggest = (function () {
  "use strict";
  let page = null;
  let people = null; // {list(), reload(), show(link)}
  let suggestion = null; // the server's answer

  function $(id) { return document.getElementById(id); }

  function km(value) { return value.toLocaleString([], { maximumFractionDigits: 1 }) + " km"; }

  function totals(record) {
    const base = record.baselines || {};
    const compare = [["table_order", "in table order"], ["nearest_first", "nearest first"]]
      .filter(function (pair) { return base[pair[0]]; })
      .map(function (pair) { return km(base[pair[0]].travel_km) + " " + pair[1] + " (" + base[pair[0]].turfs_assigned + " turfs)"; });
    return record.turfs_assigned + " of " + record.turfs + " unassigned turfs to " +
      (record.volunteers - record.volunteers_without_turf) + " of " + record.volunteers +
      " people, " + km(record.travel_km) + " from home in all" +
      (compare.length ? "; by hand: " + compare.join(", ") : "") + ".";
  }

  function personSelect(row) {
    const el = page.el;
    const select = el("select", { name: "person", "aria-label": "Who walks " + row.turf });
    for (const person of people.list()) {
      const option = el("option", { value: String(person.id), text: person.name });
      if (person.id === row.person_id) option.selected = true;
      select.append(option);
    }
    return select;
  }

  function render() {
    const el = page.el;
    $("suggest-totals").textContent = totals(suggestion.record);
    const body = $("suggestion").tBodies[0];
    body.replaceChildren.apply(body, suggestion.turfs.map(function (row) {
      return el("tr", { "data-turf": row.turf }, [
        el("td", { "data-label": "Give" }, [el("input", { type: "checkbox", name: "accept", checked: "checked",
          "aria-label": "Give " + row.turf })]),
        el("td", { "data-label": "Turf" }, [el("b", { text: row.turf })]),
        el("td", { "data-label": "Who" }, [personSelect(row)]),
        el("td", { "data-label": "With", class: "partner", text: row.partner }),
        el("td", { "data-label": "Travel", class: "num", text: km(row.travel_km) }),
        el("td", { "data-label": "Minutes", class: "num", text: Math.round(row.minutes) + " min" }),
      ]);
    }));
    $("suggestion").hidden = !suggestion.turfs.length;
    $("apply-suggestion").hidden = !suggestion.turfs.length;
    const left = $("suggest-left-out");
    left.replaceChildren.apply(left, suggestion.left_out.map(function (item) {
      return el("li", {}, [el("b", { text: item.person }), ": " + item.reason]);
    }));
    left.hidden = !suggestion.left_out.length;
  }

  async function ask() {
    $("suggest").disabled = true;
    try {
      suggestion = await page.api("POST", page.base + "/assignments/suggestion");
      render();
      page.say(suggestion.turfs.length ? "" : "Nothing to suggest: add people with a home, or every turf is given.", "warn");
    } catch (err) { page.say("Who goes where: " + err.message, "error"); }
    $("suggest").disabled = false;
  }

  async function apply() {
    const chosen = [];
    for (const line of $("suggestion").tBodies[0].rows) {
      if (!line.querySelector("input[name='accept']").checked) continue;
      const row = suggestion.turfs.find(function (r) { return r.turf === line.dataset.turf; });
      const person = Number(line.querySelector("select[name='person']").value);
      const note = person === row.person_id && row.partner ? "with " + row.partner : "";
      chosen.push({ turf: row.turf, person: person, note: note });
    }
    if (!chosen.length) { page.say("Tick the turfs to give.", "warn"); return; }
    $("apply-suggestion").disabled = true;
    try {
      const links = await page.api("POST", page.base + "/assignments/apply", { turfs: chosen });
      page.say(links.length + (links.length === 1 ? " turf given" : " turfs given") +
        ", each with its link: the table's Links column shows them with their QR codes.");
      $("suggestion").hidden = true;
      $("apply-suggestion").hidden = true;
      $("suggest-totals").textContent = "";
      $("suggest-left-out").hidden = true;
      await page.refresh();
      await people.reload();
    } catch (err) { page.say("Who goes where: " + err.message, "error"); }
    $("apply-suggestion").disabled = false;
  }

  // A plan made with --volunteers: its volunteers join the people list, so they can get links.
  async function fromFile() {
    try {
      const answer = await page.api("POST", page.base + "/people/from-volunteers");
      page.say(answer.added + " added to People" + (answer.already ? ", " + answer.already + " were on it already" : "") +
        ". Now suggest who goes where.");
      await people.reload();
    } catch (err) { page.say("Volunteers file: " + err.message, "error"); }
  }

  function start(pageApi, peopleApi) {
    page = pageApi;
    people = peopleApi;
    $("who-goes-where").hidden = false;
    $("suggest").addEventListener("click", ask);
    $("apply-suggestion").addEventListener("click", apply);
    if ($("people-from-file")) $("people-from-file").addEventListener("click", fromFile);
  }

  return { start: start };
})();
