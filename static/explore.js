// The explorer (/explore/): any metric(s) × rows × columns × period × VO selection × job
// type × filters, computed in the browser by DuckDB-WASM over the site's published cubes.
//
// The SQL is not written here: explore/queries.json (built by accounting/site/explore.py
// from cubes/queries/explore.sql, report.sql, macros.sql and the catalogue) holds the query
// and its fragments, and `viewSql` only fills them in, exactly as explore.view_sql does in
// Python. Cells come from the query's exact sums (with every total, GROUPING SETS); the
// metric values are taken from those sums at each level as accounting/site/report.py does.
//
// Every choice is in the address (see README, "Explorer"): data, metric (comma list), rows,
// cols (a dimension, month, quarter, half, year; "metric" with several metrics), from, to
// (YYYY-MM), vos (all, egi, lhc, top, custom), top (N), vo (repeated: the custom list), jobs
// (both, grid, local; HTC only), unit (hour, day, month, quarter, halfyear, year: hour-type
// metrics), stat (average, peak: storage only), and one repeated parameter per filtered
// dimension (NGI=…&NGI=…; "~-" stands for the absent value, 'no VO'). A parameter the data
// type does not have is dropped, so switching the data type resets what does not apply.

const $ = (id) => document.getElementById(id);
const status = $("explore-status");
const config = JSON.parse($("explore-config").textContent);
const FILTER_PARAMS = new Set();
let Q = null; // queries.json
let conn = null;
let duck = null;
let attached = new Set();
let ui = null; // the shape, chart, table and download modules (static/explore-*.js)

// str.format of Python, as the templates use it: one pass, `{name}` only.
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (m, name) => {
    if (!(name in values)) { throw new Error("no value for {" + name + "}"); }
    return String(values[name]);
  });
}
const sqlText = (v) => "'" + String(v).replace(/'/g, "''") + "'";
const ident = (c) => '"' + String(c).replace(/"/g, '""') + '"';
const expr = (dim) => (Q.periods[dim] ? Q.periods[dim].sql : ident(dim));
const metricOf = (fam, id) => ui.shape.metricOf(fam, id);
const hasUnits = (fam, ids) => ids.some((id) => metricOf(fam, id).units);
// The VO selections beyond the groups: a data type whose cube has no VO has none.
const VO_LISTS = { top: "Top N VOs of the period", custom: "Custom list" };
const voLists = (fam) => (fam.vo_lists ? Object.keys(VO_LISTS) : []);
const unitOf = (view, m) => ui.shape.unitOf(view, m);

// ---- the view: defaults, URL, form ----------------------------------------------------

function parseView(search) {
  const p = new URLSearchParams(search);
  const d = Q.defaults;
  const data = Q.families[p.get("data")] ? p.get("data") : d.data;
  const fam = Q.families[data];
  const ids = new Set(fam.metrics.map((m) => m.id));
  let metric = (p.get("metric") || "").split(",").filter((m) => ids.has(m));
  if (!metric.length) { metric = d.metrics[data].slice(); }
  const axes = new Set([...fam.dimensions, ...Object.keys(Q.periods)]);
  const months = fam.months.map((m) => m.month);
  const month = (v, dflt) => (months.includes(v) ? v : (months.includes(dflt) ? dflt : months[0]));
  const view = {
    data, metric,
    rows: axes.has(p.get("rows")) ? p.get("rows") : d.rows,
    cols: axes.has(p.get("cols")) ? p.get("cols") : d.cols,
    from: month(p.get("from"), d.from),
    to: month(p.get("to"), d.to),
    vos: [...fam.vo_groups, ...voLists(fam)].includes(p.get("vos")) ? p.get("vos") : d.vos,
    top: Math.max(1, Math.min(1000, parseInt(p.get("top"), 10) || d.top)),
    vo: p.getAll("vo"),
    jobs: fam.jobs && Q.jobs[p.get("jobs")] ? p.get("jobs") : d.jobs,
    unit: hasUnits(fam, metric) && Q.units[p.get("unit")] ? p.get("unit") : d.unit,
    stat: fam.stock && fam.rollups[p.get("stat")] ? p.get("stat") : d.stat,
    filters: {},
    ...ui.chart.readParams(p),
  };
  if (view.vos !== "custom") { view.vo = []; }
  if (view.from > view.to) { [view.from, view.to] = [view.to, view.from]; }
  if (view.metric.length > 1) { view.cols = "metric"; }
  if (view.rows === view.cols) { view.cols = view.rows === "month" ? "NGI" : "month"; }
  fam.dimensions.forEach((dim) => {
    const values = p.getAll(dim);
    if (values.length) { view.filters[dim] = values; }
  });
  return view;
}

function viewSearch(view) {
  const p = new URLSearchParams();
  p.set("data", view.data);
  p.set("metric", view.metric.join(","));
  p.set("rows", view.rows);
  if (view.cols !== "metric") { p.set("cols", view.cols); }
  p.set("from", view.from);
  p.set("to", view.to);
  p.set("vos", view.vos);
  if (view.vos === "top") { p.set("top", String(view.top)); }
  if (view.vos === "custom") { view.vo.forEach((v) => p.append("vo", v)); }
  const fam = Q.families[view.data];
  if (fam.jobs) { p.set("jobs", view.jobs); }
  if (hasUnits(fam, view.metric)) { p.set("unit", view.unit); }
  if (fam.stock) { p.set("stat", view.stat); }
  Object.keys(view.filters).sort().forEach((dim) => view.filters[dim].forEach((v) => p.append(dim, v)));
  ui.chart.writeParams(view, p);
  return "?" + p.toString();
}

function option(select, value, label, selected) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  o.selected = !!selected;
  select.appendChild(o);
}

function fillForm(view) {
  const fam = Q.families[view.data];
  const sel = (id, items, current) => {
    const s = $(id);
    s.replaceChildren();
    items.forEach(([v, l]) => option(s, v, l, Array.isArray(current) ? current.includes(v) : v === current));
  };
  sel("x-data", Object.keys(Q.families).map((k) => [k, Q.families[k].label]), view.data);
  sel("x-metric", fam.metrics.map((m) => [m.id, m.name + " (" + unitOf(view, m) + ")"]), view.metric);
  sel("x-unit", Object.entries(Q.units).map(([k, v]) => [k, v]), view.unit);
  $("x-unit-label").hidden = !hasUnits(fam, view.metric);
  sel("x-stat", Object.keys(fam.rollups).map((k) => [k, k === "peak" ? "peak month" : "average of the months"]),
    view.stat);
  $("x-stat-label").hidden = !fam.stock;
  const axes = [...Object.entries(Q.periods).map(([k, v]) => [k, v.label]),
    ...fam.dimensions.map((dim) => [dim, Q.dimensions[dim].label])];
  sel("x-rows", axes, view.rows);
  sel("x-cols", [...axes, ["metric", "Metrics (with several metrics)"]], view.cols);
  const months = fam.months.map((m) => [m.month, m.month]);
  sel("x-from", months, view.from);
  sel("x-to", months, view.to);
  sel("x-vos", [...fam.vo_groups.map((g) => [g, Q.vo_groups[g]]), ...voLists(fam).map((k) => [k, VO_LISTS[k]])],
    view.vos);
  $("x-top").value = String(view.top);
  // The absent value ('no VO', 'unknown NGI') is a choice of its own where the cube has it.
  const choices = (dim) => [...(fam.values[dim] || []).map((v) => [v, v]),
    ...(fam.absent.includes(dim) ? [[Q.absent_value, Q.dimensions[dim].absent || "(none)"]] : [])];
  sel("x-vo", choices("VO"), view.vo);
  // (a data type without VO lists, HTC by compute element, has neither control)
  $("x-top-label").hidden = $("x-vo-label").hidden = !fam.vo_lists;
  sel("x-jobs", Object.entries(Q.jobs).map(([k, v]) => [k, v.label]), view.jobs);
  $("x-jobs-label").hidden = !fam.jobs;
  sel("x-chart", Object.entries(ui.chart.KINDS), view.chart);
  $("x-chartn").value = String(view.chartn);
  const box = $("x-filters");
  box.replaceChildren();
  FILTER_PARAMS.clear();
  fam.dimensions.forEach((dim) => {
    FILTER_PARAMS.add(dim);
    const label = document.createElement("label");
    label.append(Q.dimensions[dim].label + " ");
    const s = document.createElement("select");
    s.name = dim;
    s.multiple = true;
    s.size = 4;
    choices(dim).forEach(([v, l]) => option(s, v, l, (view.filters[dim] || []).includes(v)));
    label.appendChild(s);
    box.appendChild(label);
  });
}

function formView() {
  const f = $("explore-form");
  const p = new URLSearchParams();
  const selected = (s) => Array.from(s.selectedOptions).map((o) => o.value);
  p.set("data", f.elements.data.value);
  p.set("metric", selected(f.elements.metric).join(","));
  ["rows", "cols", "from", "to", "vos", "top", "jobs", "unit", "stat", "chart", "chartn"]
    .forEach((k) => p.set(k, f.elements[k].value));
  selected(f.elements.vo).forEach((v) => p.append("vo", v));
  FILTER_PARAMS.forEach((dim) => selected(f.elements[dim]).forEach((v) => p.append(dim, v)));
  return parseView("?" + p.toString());
}

// ---- SQL ----------------------------------------------------------------------------

// A filter on `column`: the absent value's token selects NULL too (explore.py _filter).
function filterSql(column, values) {
  const named = values.filter((v) => v !== Q.absent_value);
  return fill(named.length < values.length ? Q.filter_absent : Q.filter,
    { column: ident(column), values: named.map(sqlText).join(", ") || "NULL" });
}

function viewSql(view) {
  const fam = Q.families[view.data];
  const p = Q.predicates;
  const base = [
    fill(p.first, { first: parseInt(view.from.replace("-", ""), 10), last: parseInt(view.to.replace("-", ""), 10) }),
  ];
  if (fam.jobs) { base.push(fill(p.infra_filter, { infra_filter: sqlText(Q.jobs[view.jobs].id) })); }
  const where = base.slice();
  if (fam.vo_groups.includes(view.vos)) {
    // (a cube without the groups' flags offers only "all")
    if (fam.vo_groups.length !== 1 || fam.vo_groups[0] !== "all") {
      where.push(fill(p.vo_group, { vo_group: sqlText(view.vos) }));
    }
  } else if (view.vos === "top") {
    where.push(fill(Q.top_vos, { cube: fam.cube, where: base.join(" AND "), n: view.top, rank: ident(fam.rank) }));
  } else {
    where.push(filterSql("VO", view.vo));
  }
  Object.keys(view.filters).sort().forEach((dim) => {
    if (view.filters[dim].length) { where.push(filterSql(dim, view.filters[dim])); }
  });
  const fields = {
    row: expr(view.rows), column: view.cols === "metric" ? "'all'" : expr(view.cols), cube: fam.cube,
    where: where.join("\n    AND "), sums: fam.sums_sql,
  };
  if (fam.stock) { return fill(Q.stock_query, { ...fields, rollup: fam.rollups[view.stat] }); }
  return fill(Q.query, fields);
}

async function ensureAttached(data) {
  if (attached.has(data)) { return; }
  const fam = Q.families[data];
  const url = new URL(fam.url, new URL(config.queries, document.baseURI)).href;
  await duck.db.registerFileURL(fam.file, url, duck.lib.DuckDBDataProtocol.HTTP, false);
  await conn.query(fam.attach);
  attached.add(data);
}

// ---- the table ------------------------------------------------------------------------

function fmt(value, isPercent, m) {
  if (value === null || value === undefined || Number.isNaN(value)) { return "–"; }
  if (value === 0) { return "0"; }
  if (isPercent) { return value.toFixed(2); }
  if (m && m.denominator) { return value.toLocaleString("en-GB", { minimumFractionDigits: 1, maximumFractionDigits: 1 }); }
  if (Number.isInteger(value)) { return value.toLocaleString("en-GB"); }
  const digits = Math.abs(value) >= 100 ? 0 : 2;
  return value.toLocaleString("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function render(view, out) {
  const table = document.createElement("table");
  table.className = "report";
  table.id = "explore-table";
  const cap = document.createElement("caption");
  cap.textContent = caption(view);
  table.appendChild(cap);
  const thead = document.createElement("thead");
  const tr = document.createElement("tr");
  out.header.forEach((h, j) => {
    const th = document.createElement("th");
    th.scope = "col";
    if (j) { th.className = "num"; }
    th.textContent = h;
    tr.appendChild(th);
  });
  thead.appendChild(tr);
  table.appendChild(thead);
  const tbody = document.createElement("tbody");
  const pctCol = out.percent ? out.header.length - 2 : -1;
  out.records.forEach((rec, i) => {
    const row = document.createElement("tr");
    row.dataset.kind = out.kinds[i];
    if (out.kinds[i] === "total" || out.kinds[i] === "percent") { row.className = "summary"; }
    const th = document.createElement("th");
    th.scope = "row";
    const bdi = document.createElement("bdi");
    bdi.textContent = rec[0];
    if (out.kinds[i] === "absent") { bdi.className = "absent"; }
    th.appendChild(bdi);
    row.appendChild(th);
    rec.slice(1).forEach((value, j) => {
      const td = document.createElement("td");
      td.className = "num";
      td.dataset.value = value === null ? "" : String(value);
      const m = view.cols === "metric" ? Q.families[view.data].metrics.find((x) => x.id === view.metric[j])
        : Q.families[view.data].metrics.find((x) => x.id === view.metric[0]);
      td.textContent = fmt(value, out.kinds[i] === "percent" || j === pctCol, m);
      row.appendChild(td);
    });
    tbody.appendChild(row);
  });
  table.appendChild(tbody);
  return table;
}

function caption(view) {
  const fam = Q.families[view.data];
  const names = view.metric.map((id) => { const m = metricOf(fam, id); return m.name + " (" + unitOf(view, m) + ")"; });
  return names.join(", ") + " by " + axisLabel(view.rows) + (view.cols === "metric" ? "" : " and " + axisLabel(view.cols))
    + ", " + view.from + " to " + view.to + (fam.stock ? " (" + view.stat + " of the months)" : "");
}
const axisLabel = (a) => (Q.periods[a] ? Q.periods[a].label : Q.dimensions[a].label);

// ---- CSV download ---------------------------------------------------------------------

const FORMULA_START = /^'*[=+\-@\t\r]/; // as accounting/site/report.py csv_text
const csvText = (t) => (FORMULA_START.test(t) ? "'" + t : t);
function csvField(v) {
  if (v === null || v === undefined) { return ""; }
  const s = typeof v === "number" ? String(v) : csvText(String(v));
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

function viewDescription(view) {
  const fam = Q.families[view.data];
  const metrics = view.metric.map((id) => { const m = metricOf(fam, id); return m.id + " (" + unitOf(view, m) + ")"; });
  const vos = view.vos === "top" ? "top " + view.top : view.vos === "custom" ? "custom: " + view.vo.join(" | ") : view.vos;
  const filters = Object.keys(view.filters).sort().map((d) => d + "=" + view.filters[d].join(" | ")).join("; ") || "none";
  return "scope: EGI " + view.data + "; metric: " + metrics.join(", ") + "; rows: " + view.rows + "; columns: "
    + view.cols + "; period: " + view.from + " to " + view.to + (fam.stock ? " (" + view.stat + " of the months)" : "")
    + "; VOs: " + vos + (fam.jobs ? "; jobs: " + view.jobs : "") + "; filters: " + filters;
}

function csv(view, out) {
  const lines = ["# " + viewDescription(view)];
  lines.push([...out.header, "row_kind"].map(csvField).join(","));
  out.records.forEach((rec, i) => lines.push([...rec, out.kinds[i]].map(csvField).join(",")));
  return lines.join("\r\n") + "\r\n";
}

// ---- running a view -------------------------------------------------------------------

let shown = null;

async function show(view) {
  const search = viewSearch(view);
  status.textContent = "Computing…";
  const result = $("explore-result");
  result.dataset.ready = "";
  await ensureAttached(view.data);
  const sql = viewSql(view);
  const t0 = performance.now();
  const table = await conn.query(sql);
  const records = table.toArray().map((r) => r.toJSON());
  const t = ui.shape.shape(view, records);
  const out = ui.shape.tableRecords(view, t);
  const shownTable = render(view, out);
  result.replaceChildren(shownTable);
  const fam = Q.families[view.data];
  ui.table.enhance(shownTable, out.header.slice(1).map((h, j) => (view.cols === "metric" ? metricOf(fam, view.metric[j])
    : out.percent && j === out.header.length - 2 ? null : t.metrics[0])));
  const timeKey = (k) => [Q.periods[view.rows] ? k : undefined, Q.periods[view.cols] ? k : undefined];
  const chartValue = (m, s, k) => ui.shape.metricValue(view, m, s,
    ui.shape.periodLength(view, m, ...(k === undefined ? [] : timeKey(k))));
  await Promise.all([ui.chart.draw($("explore-chart"), view, t, Q, chartValue),
    ui.download.offer(view, out, csv(view, out), { duck, conn, Q })]);
  shown = search;
  result.dataset.sql = sql;
  result.dataset.csv = csv(view, out);
  result.dataset.ready = search;
  status.textContent = out.records.length - (out.percent ? 2 : 1) + " rows, in "
    + Math.round(performance.now() - t0) + " ms.";
}

async function openLegacy(path) {
  const [mod, T] = await Promise.all([
    import(new URL(config.legacy, document.baseURI).href),
    fetch(config.legacy_table).then((r) => { if (!r.ok) { throw new Error(config.legacy_table + ": HTTP " + r.status); } return r.json(); }),
  ]);
  const r = mod.parseLegacy(path, T, Q.families);
  const search = mod.explorerSearch(r.params);
  $("legacy-path").textContent = path;
  if (r.problem) {
    $("legacy-index").textContent = String(r.problem.index);
    $("legacy-segment").textContent = r.problem.segment;
    $("legacy-reason").textContent = r.problem.reason;
    if (r.page) { $("legacy-nearest").href = "../" + r.page; $("legacy-nearest").dataset.page = r.page; }
    $("legacy-nearest").textContent = r.page ? "/" + r.page : "the view below";
    $("legacy-problem").hidden = false;
  }
  r.notes.forEach((note) => { const li = document.createElement("li"); li.textContent = note; $("legacy-notes").appendChild(li); });
  $("explore-legacy").dataset.state = r.problem ? "problem" : "ok";
  $("explore-legacy").hidden = false;
  return search;
}

function fail(err) {
  status.textContent = "The explorer failed: " + (err && err.message ? err.message : err);
  $("explore-result").dataset.ready = "error";
  console.error(err);
}

async function start() {
  if (typeof WebAssembly !== "object") {
    $("explore-nowasm").hidden = false;
    return;
  }
  status.textContent = "Loading the query engine…";
  const load = (u) => import(new URL(u, document.baseURI).href);
  const engine = load(config.duckdb);
  engine.catch(() => {}); // (awaited below, where a failure is reported)
  const [q, shape, chart, table, download] = await Promise.all([
    fetch(config.queries).then((r) => { if (!r.ok) { throw new Error(config.queries + ": HTTP " + r.status); } return r.json(); }),
    load(config.modules.shape), load(config.modules.chart), load(config.modules.table),
    load(config.modules.download),
  ]);
  Q = q;
  shape.use(q);
  ui = { shape, chart, table, download };
  // An old portal address (Apache and the 404 page send it as ?legacy=<path>) opens as the
  // view it meant, or as far as it was understood (static/legacy.js).
  const legacyPath = new URLSearchParams(location.search).get("legacy");
  const view = parseView(legacyPath === null ? location.search : await openLegacy(legacyPath));
  // The address states the view in full and in one spelling (what a bookmark keeps).
  if (viewSearch(view) !== location.search) { history.replaceState(null, "", viewSearch(view)); }
  if (legacyPath !== null && !$("legacy-nearest").dataset.page) { $("legacy-nearest").href = viewSearch(view); }
  fillForm(view);
  $("explore-form").hidden = false;
  $("explore-form").dataset.view = viewSearch(view); // (settled before the engine has loaded)
  // Another data type (or metric) changes what applies: the form offers only that type's
  // metrics, dimensions, filters, VO groups, job type, unit and roll-up, its values reset.
  ["x-data", "x-metric"].forEach((id) => $(id).addEventListener("change", () => fillForm(formView())));
  const lib = await engine;
  const abs = (u) => new URL(u, document.baseURI).href;
  const bundles = {
    eh: { mainModule: abs(config.bundles.eh.mainModule), mainWorker: abs(config.bundles.eh.mainWorker) },
    mvp: { mainModule: abs(config.bundles.mvp.mainModule), mainWorker: abs(config.bundles.mvp.mainWorker) },
  };
  const bundle = await lib.selectBundle(bundles);
  const worker = new Worker(bundle.mainWorker);
  const db = new lib.AsyncDuckDB(new lib.VoidLogger(), worker);
  await db.instantiate(bundle.mainModule);
  duck = { lib, db };
  conn = await db.connect();
  for (const statement of Q.setup) { await conn.query(statement); }
  $("explore-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formView();
    const search = viewSearch(v);
    if (search !== location.search) { history.pushState(null, "", search); }
    fillForm(v);
    show(v).catch(fail);
  });
  window.addEventListener("popstate", () => {
    const v = parseView(location.search);
    fillForm(v);
    show(v).catch(fail);
  });
  await show(view);
}

start().catch(fail);
