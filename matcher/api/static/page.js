// The coordinator page: builds the config from the form, starts a run through the API,
// polls its progress, shows the cohorts and keeps the coordinator's pins and forbids.
// Every piece of data reaches the page through textContent or setAttribute, never as
// markup.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("run-form");
  const runsUrl = form.dataset.runsUrl;
  const configUrl = form.dataset.configUrl;
  const fieldsUrl = form.dataset.fieldsUrl;
  const POLL_MS = 500;
  const ROLE_TRACK = {
    mentor: "mentoring", mentee: "mentoring", reverse_mentor: "reverse",
    reverse_mentee: "reverse", peer: "peer", circle: "circles",
  };

  const state = {
    pins: [],      // {a, b, track, label}
    forbids: [],
    runId: null,
    names: new Map(),
    token: 0,      // the run being polled; an older poll stops when it changes
  };

  // --- small helpers -----------------------------------------------------------------

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    return node;
  }

  function button(text, label, onClick) {
    const node = el("button", text, { type: "button", "aria-label": label });
    node.addEventListener("click", onClick);
    return node;
  }

  function nameOf(id) {
    return state.names.get(id) || id;
  }

  function percent(score) {
    return `${Math.round(Number(score))}%`;
  }

  function setStatus(text) {
    $("status").textContent = text;
  }

  function setBusy(busy) {
    for (const id of ["run", "rerun"]) $(id).disabled = busy;
    $("results").setAttribute("aria-busy", busy ? "true" : "false");
  }

  // An issue as the API locates it: file, row, column, value, message.
  function describe(issue) {
    if (typeof issue === "string") return issue;
    if (issue && issue.message !== undefined) {
      let where = issue.file || "";
      if (issue.row !== null && issue.row !== undefined) where += `, row ${issue.row}`;
      if (issue.column) where += `, column ${issue.column}`;
      const value = issue.value !== null && issue.value !== undefined
        ? `: value "${issue.value}"` : "";
      return where ? `${where}${value}: ${issue.message}` : issue.message;
    }
    if (issue && issue.msg !== undefined) {  // FastAPI's own validation errors
      return `${(issue.loc || []).join(".")}: ${issue.msg}`;
    }
    return JSON.stringify(issue);
  }

  function showErrors(issues) {
    const list = $("error-list");
    list.replaceChildren(...issues.map((issue) => el("li", describe(issue))));
    $("errors").hidden = issues.length === 0;
  }

  async function issuesOf(response) {
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      return [`HTTP ${response.status}: ${response.statusText}`];
    }
    const detail = body && (body.detail ?? body.error ?? body.errors);
    if (Array.isArray(detail)) return detail;
    if (detail && Array.isArray(detail.issues)) return detail.issues;
    if (detail) return [typeof detail === "string" ? detail : JSON.stringify(detail)];
    return [`HTTP ${response.status}`];
  }

  class Refused extends Error {
    constructor(issues) {
      super("refused");
      this.issues = issues;
    }
  }

  // --- the config --------------------------------------------------------------------

  function showWeight(input) {
    $(`${input.id}-value`).textContent = Number(input.value).toFixed(2);
  }

  function configForm() {
    const data = new FormData(form);
    data.delete("files");
    const file = $("config-file").files[0];
    data.delete("config");
    if (file) data.append("config", file, file.name);
    return data;
  }

  async function buildConfig() {
    const response = await fetch(configUrl, { method: "POST", body: configForm() });
    if (!response.ok) throw new Refused(await issuesOf(response));
    return response.text();
  }

  async function loadConfigFile() {
    const file = $("config-file").files[0];
    const data = new FormData();
    if (file) data.append("config", file, file.name);
    const response = await fetch(fieldsUrl, { method: "POST", body: data });
    if (!response.ok) {
      showErrors(await issuesOf(response));
      setStatus("The config file has problems: see the list below.");
      return;
    }
    showErrors([]);
    const fields = await response.json();
    $("config-name").textContent = fields.source;
    $("program").value = fields.program;
    for (const [key, value] of Object.entries(fields.weights)) {
      const input = $(`weight-${key}`);
      if (input) {
        input.value = value;
        showWeight(input);
      }
    }
    for (const box of form.querySelectorAll('input[name="tracks"]')) {
      box.checked = fields.tracks.includes(box.value);
    }
    $("objective").value = fields.objective;
    setStatus(`Config ${fields.source} loaded into the form.`);
  }

  // --- pins and forbids --------------------------------------------------------------

  function csvCell(text) {
    const value = String(text);
    return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  }

  function rulesCsv(rules) {
    const rows = rules.map((r) => [r.a, r.b, r.track || ""].map(csvCell).join(","));
    return ["a,b,track", ...rows].join("\r\n") + "\r\n";
  }

  const samePair = (r, a, b) => (r.a === a && r.b === b) || (r.a === b && r.b === a);

  function addRule(kind, a, b, track) {
    const other = kind === "pins" ? "forbids" : "pins";
    state[other] = state[other].filter((r) => !samePair(r, a, b));
    if (!state[kind].some((r) => samePair(r, a, b) && r.track === track)) {
      state[kind].push({ a, b, track });
    }
    renderRules();
    const verb = kind === "pins" ? "Pinned" : "Forbade";
    setStatus(`${verb} ${nameOf(a)} and ${nameOf(b)}. Re-run to apply.`);
  }

  function removeRule(kind, index) {
    const [rule] = state[kind].splice(index, 1);
    renderRules();
    const buttons = $(`${kind}-list`).querySelectorAll("button");
    (buttons[Math.min(index, buttons.length - 1)] || $("rule-a")).focus();
    setStatus(`Removed ${nameOf(rule.a)} and ${nameOf(rule.b)} from the ${kind}.`);
  }

  function renderRules() {
    for (const kind of ["pins", "forbids"]) {
      const noun = kind === "pins" ? "pin" : "forbid";
      const items = state[kind].map((rule, index) => {
        const text = `${nameOf(rule.a)} and ${nameOf(rule.b)} (${rule.track || "any track"})`;
        const item = el("li", null, { "data-a": rule.a, "data-b": rule.b });
        item.append(el("span", text), " ");
        item.append(button("Remove", `Remove the ${noun} ${text}`, () => removeRule(kind, index)));
        return item;
      });
      $(`${kind}-list`).replaceChildren(...items);
      $(`${kind}-empty`).hidden = items.length > 0;
    }
  }

  function addManual(kind) {
    const a = $("rule-a").value.trim();
    const b = $("rule-b").value.trim();
    if (!a || !b) {
      setStatus("Type both people (an id or a name) before adding a pair.");
      (a ? $("rule-b") : $("rule-a")).focus();
      return;
    }
    addRule(kind, a, b, $("rule-track").value || null);
    $("rule-a").value = "";
    $("rule-b").value = "";
    $("rule-a").focus();
  }

  // --- running -----------------------------------------------------------------------

  async function startRun(event) {
    event.preventDefault();
    showErrors([]);
    const files = $("files").files;
    if (!files.length) {
      showErrors(["Choose the survey file(s) to match first."]);
      setStatus("No survey file chosen.");
      $("files").focus();
      return;
    }
    setBusy(true);
    $("progress").replaceChildren();
    setStatus("Building the config…");
    try {
      const toml = await buildConfig();
      const data = new FormData();
      for (const file of files) data.append("files", file, file.name);
      data.append("config", new Blob([toml], { type: "application/toml" }), "program.toml");
      data.append("objective", $("objective").value);
      const program = $("program").value.trim();
      if (program) data.append("program", program);
      for (const kind of ["pins", "forbids"]) {
        if (state[kind].length) {
          const csv = new Blob([rulesCsv(state[kind])], { type: "text/csv" });
          data.append(kind, csv, `${kind}.csv`);
        }
      }
      setStatus("Sending the survey…");
      const response = await fetch(runsUrl, {
        method: "POST", body: data, headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Refused(await issuesOf(response));
      const run = await response.json();
      state.runId = run.id;
      state.token += 1;
      setStatus("Queued.");
      poll(run.id, state.token, 0);
    } catch (error) {
      setBusy(false);
      if (error instanceof Refused) {
        showErrors(error.issues);
        setStatus("The run was refused: see the problems below.");
      } else {
        showErrors([String(error)]);
        setStatus("The run could not start.");
      }
    }
  }

  async function poll(id, token, shown) {
    if (token !== state.token) return;
    let run;
    try {
      const response = await fetch(`${runsUrl}/${encodeURIComponent(id)}`, {
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Refused(await issuesOf(response));
      run = await response.json();
    } catch (error) {
      setBusy(false);
      showErrors(error instanceof Refused ? error.issues : [String(error)]);
      setStatus("Lost track of the run.");
      return;
    }
    const lines = run.progress || [];
    const list = $("progress");
    for (const line of lines.slice(shown)) list.append(el("li", line));
    if (run.status === "done") {
      try {
        await finish(run);
      } catch (error) {
        showErrors(error instanceof Refused ? error.issues : [String(error)]);
        setStatus("The run is done but its result could not be read.");
      }
      setBusy(false);
    } else if (run.status === "failed") {
      setBusy(false);
      const issues = Array.isArray(run.error) && run.error.length ? run.error : ["The run failed."];
      showErrors(issues);
      setStatus(`The run failed: ${issues.length} problem(s), listed below.`);
    } else {
      const last = lines.length ? `: ${lines[lines.length - 1]}` : "";
      setStatus(`${run.status === "queued" ? "Queued" : "Running"}${last}`);
      setTimeout(() => poll(id, token, lines.length), POLL_MS);
    }
  }

  // The run's view gives its status and summary; the whole result is fetched apart.
  async function finish(run) {
    if (!run.result) {
      const url = (run.links && run.links.result) || `${runsUrl}/${encodeURIComponent(run.id)}/result`;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Refused(await issuesOf(response));
      run = { ...run, result: await response.json() };
    }
    render(run);
    const pairs = run.result.cohorts.reduce((n, c) => n + c.pairs.length, 0);
    setStatus(`Done: ${pairs} pairs in ${run.result.cohorts.length} cohorts.`);
  }

  // --- results -----------------------------------------------------------------------

  function rememberNames(result) {
    for (const cohort of result.cohorts) {
      for (const m of cohort.members) state.names.set(m.id, m.name);
    }
    for (const circle of result.circles || []) {
      for (const m of circle.members) state.names.set(m.id, m.name);
    }
    for (const u of result.unmatched) state.names.set(u.id, u.name);
    for (const alt of result.alternates || []) {
      if (!state.names.has(alt.partner_id)) state.names.set(alt.partner_id, alt.partner_name);
    }
  }

  function searchable(ids) {
    return ids.flatMap((id) => [id, nameOf(id)]).join(" ").toLowerCase();
  }

  function reasonsCell(reasons) {
    const cell = el("td");
    if (!reasons.length) return cell;
    if (reasons.length === 1) {
      cell.textContent = reasons[0];
      return cell;
    }
    const details = el("details");
    details.append(el("summary", reasons[0]));
    const list = el("ul");
    list.append(...reasons.slice(1).map((r) => el("li", r)));
    details.append(list);
    cell.append(details);
    return cell;
  }

  function pairButtons(a, b, track) {
    const cell = el("td", null, { class: "buttons" });
    const who = `${nameOf(a)} and ${nameOf(b)}`;
    cell.append(
      button("Pin", `Pin ${who}`, () => addRule("pins", a, b, track)), " ",
      button("Forbid", `Forbid ${who}`, () => addRule("forbids", a, b, track)),
    );
    return cell;
  }

  function renderPairs(result) {
    const rows = [];
    for (const cohort of result.cohorts) {
      for (const pair of cohort.pairs) {
        const row = el("tr", null, {
          "data-track": cohort.track, "data-search": searchable([pair.a, pair.b]),
          "data-a": pair.a, "data-b": pair.b,
        });
        row.append(
          el("td", cohort.id), el("td", cohort.track),
          el("td", nameOf(pair.a), { class: "person" }), el("td", nameOf(pair.b), { class: "person" }),
          el("td", percent(pair.score), { class: "score" }),
          reasonsCell(pair.reasons), pairButtons(pair.a, pair.b, cohort.track),
        );
        rows.push(row);
      }
    }
    $("pairs-body").replaceChildren(...rows);
  }

  function renderUnmatched(result) {
    const alternates = new Map();
    for (const alt of result.alternates || []) {
      const key = `${alt.track}\u0000${alt.id}`;
      if (!alternates.has(key)) alternates.set(key, []);
      alternates.get(key).push(alt);
    }
    const rows = result.unmatched.map((person) => {
      const track = ROLE_TRACK[person.role] || person.role;
      const options = (alternates.get(`${track}\u0000${person.id}`) || [])
        .sort((x, y) => x.rank - y.rank);
      const row = el("tr", null, {
        "data-track": track, "data-search": searchable([person.id]), "data-id": person.id,
      });
      const cell = el("td");
      if (options.length) {
        const list = el("ul", null, { class: "alternates" });
        for (const alt of options) {
          const item = el("li", null, { "data-partner": alt.partner_id });
          const who = `${person.name} and ${alt.partner_name}`;
          item.append(
            el("span", `${alt.partner_name}, ${percent(alt.score)}`), " ",
            button("Pin", `Pin ${who}`, () => addRule("pins", person.id, alt.partner_id, track)),
          );
          list.append(item);
        }
        cell.append(list);
      } else {
        cell.textContent = "none listed";
      }
      row.append(el("td", person.name), el("td", person.role), el("td", person.reason), cell);
      return row;
    });
    $("unmatched-body").replaceChildren(...rows);
  }

  function renderCircles(result) {
    const rows = (result.circles || []).map((circle) => {
      const row = el("tr", null, {
        "data-track": "circles", "data-search": searchable(circle.members.map((m) => m.id)),
      });
      const members = circle.members
        .map((m) => `${m.name} (${percent(circle.fit[m.id] ?? 0)})`).join(", ");
      row.append(el("td", circle.id), el("td", circle.theme), el("td", members),
                 reasonsCell(circle.reasons));
      return row;
    });
    $("circles-body").replaceChildren(...rows);
  }

  function renderSummary(run) {
    const summary = run.result.summary;
    $("summary").textContent =
      `${run.program ? `${run.program}: ` : ""}${summary.people} people, ${summary.pairs} pairs.`;
    $("summary-tracks").replaceChildren(...summary.tracks.map((t) => {
      const parts = [`${t.track}: ${t.pairs} ${t.track === "circles" ? "circles" : "pairs"}`];
      if (t.coverage !== null && t.coverage !== undefined) {
        parts.push(`${Math.round(t.coverage * 100)}% of requested places filled`);
      }
      if (t.mean_score !== null && t.mean_score !== undefined) {
        parts.push(`mean match ${percent(t.mean_score)}`);
      }
      parts.push(`${t.left_unmatched} not matched`, `objective ${t.objective}`,
                 `solver ${t.solver.status}`);
      return el("li", parts.join(", "));
    }));
  }

  function renderLinks(id) {
    const base = `${runsUrl}/${encodeURIComponent(id)}`;
    $("link-report").setAttribute("href", `${base}/report.html`);
    $("link-pairs").setAttribute("href", `${base}/pairs.csv`);
    $("link-participants").setAttribute("href", `${base}/participants.csv`);
    $("link-workbook").setAttribute("href", `${base}/workbook.xlsx`);
  }

  function renderTrackFilter(result) {
    const select = $("track-filter");
    const chosen = select.value;
    const tracks = new Set(result.cohorts.map((c) => c.track));
    for (const u of result.unmatched) tracks.add(ROLE_TRACK[u.role] || u.role);
    if ((result.circles || []).length) tracks.add("circles");
    const options = [el("option", "All tracks", { value: "" })];
    for (const track of [...tracks].sort()) options.push(el("option", track, { value: track }));
    select.replaceChildren(...options);
    select.value = tracks.has(chosen) ? chosen : "";
  }

  function render(run) {
    const result = run.result;
    rememberNames(result);
    renderSummary(run);
    renderLinks(run.id);
    renderTrackFilter(result);
    renderPairs(result);
    renderUnmatched(result);
    renderCircles(result);
    renderRules();
    applyFilters();
    $("results").hidden = false;
    $("rerun").hidden = false;
    $("run").textContent = "Run matching again";
  }

  function applyFilters() {
    const track = $("track-filter").value;
    const query = $("search").value.trim().toLowerCase();
    const counts = {};
    for (const body of ["pairs-body", "unmatched-body", "circles-body"]) {
      let shown = 0;
      const rows = $(body).rows;
      for (const row of rows) {
        const visible = (!track || row.dataset.track === track)
          && (!query || row.dataset.search.includes(query));
        row.hidden = !visible;
        if (visible) shown += 1;
      }
      counts[body] = [shown, rows.length];
    }
    const [pairs, allPairs] = counts["pairs-body"];
    const [left, allLeft] = counts["unmatched-body"];
    $("shown").textContent =
      `Showing ${pairs} of ${allPairs} pairs and ${left} of ${allLeft} people not matched.`;
  }

  // --- wiring ------------------------------------------------------------------------

  for (const input of form.querySelectorAll('input[type="range"]')) {
    input.addEventListener("input", () => showWeight(input));
  }
  $("config-file").addEventListener("change", () => {
    loadConfigFile().catch((error) => showErrors([String(error)]));
  });
  $("preview").addEventListener("click", async () => {
    try {
      $("config-preview").textContent = await buildConfig();
      showErrors([]);
    } catch (error) {
      showErrors(error instanceof Refused ? error.issues : [String(error)]);
      $("config-preview").textContent = "";
    }
  });
  $("add-pin").addEventListener("click", () => addManual("pins"));
  $("add-forbid").addEventListener("click", () => addManual("forbids"));
  $("track-filter").addEventListener("change", applyFilters);
  $("search").addEventListener("input", applyFilters);
  form.addEventListener("submit", startRun);
  renderRules();
})();
