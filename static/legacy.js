// The old portal's view addresses, opened in the explorer (see README, "Old portal addresses").
//
// `/<scope>/<metric>[-unit]/<ROW>/<COL>/<sY>/<sM>/<eY>/<eM>/<VOGroup>/<localJobs>/` is read
// segment by segment with the table of explore/legacy.json (accounting/site/legacy.py, from
// the catalogue's [legacy] section): the only place the old ids are spelled. The explorer
// calls `parseLegacy` for `?legacy=<path>` (where Apache redirects an old path no page has);
// the 404 page loads this module too and forwards an old path there (an object store has no
// rewrite rules). Segments may be left off from the end: the scope's defaults fill them in.

// {params, problem: null | {index, segment, reason}, notes: [], page: null | site path}.
// `params` is the explorer's view as far as the address was understood (the nearest view);
// `families` is queries.json's (each data type's dimensions, values, metrics and months).
export function parseLegacy(path, T, families) {
  const segs = String(path).split("/").filter((s) => s !== "");
  const out = { params: {}, problem: null, notes: [], page: null };
  const fail = (index, reason) => {
    out.problem = { index: index + 1, segment: segs[index] === undefined ? "" : segs[index], reason };
    return out;
  };
  const scope = T.scopes.find((s) => s.path.every((p, i) => segs[i] === p));
  if (!scope) { return fail(0, "not the start of an old portal view (" + scopeList(T) + ")"); }
  let i = scope.path.length;
  if (!T.explore.includes(scope.data) || !families[scope.data]) {
    out.page = scope.path[0] + "/";
    return fail(i - 1, "the explorer has no " + scope.data + " data yet: its pages are at /" + out.page);
  }
  const fam = families[scope.data];
  const p = out.params;
  p.data = scope.data;
  p.rows = scope.rows;
  Object.assign(p, { cols: T.defaults.cols }, scope.groups ? { vos: T.defaults.vos, jobs: T.defaults.jobs }
    : T.no_group_defaults);
  p.filters = {};
  if (scope.entity) {
    const name = segs[i];
    const label = T.labels[scope.entity] || scope.entity;
    if (name === undefined) { return fail(i, "the address ends before the " + lower(label) + "'s name"); }
    const dims = T.levels[scope.entity] || [scope.entity];
    const dim = dims.find((d) => (fam.values[d] || []).includes(name));
    if (!dim) { return fail(i, "no " + lower(label) + " named “" + name + "” in the data"); }
    p.filters[dim] = [name];
    i += 1;
  }
  const axes = new Set([...fam.dimensions, "month", "quarter", "half", "year"]);
  const steps = [
    (s) => metricStep(s, T, fam, p, out.notes),
    (s) => axisStep(s, T, axes, p, "rows", "row variable"),
    (s) => axisStep(s, T, axes, p, "cols", "column variable"),
  ];
  for (const step of steps) {
    if (i >= segs.length) { return done(out, p); }
    const reason = step(segs[i]);
    if (reason) { return fail(i, reason); }
    i += 1;
  }
  if (p.rows === p.cols) { return fail(i - 1, "rows and columns are the same variable"); }
  if (i >= segs.length) { return done(out, p); }
  const period = periodStep(segs.slice(i, i + 4), fam, p, out.notes);
  if (period) { return fail(i + period.offset, period.reason); }
  i += 4;
  if (scope.groups) {
    for (const step of [(s) => voStep(s, T, p), (s) => jobsStep(s, T, p)]) {
      if (i >= segs.length) { return done(out, p); }
      const reason = step(segs[i]);
      if (reason) { return fail(i, reason); }
      i += 1;
    }
  }
  if (i < segs.length && T.benchmarks.includes(segs[i].toLowerCase())) { i += 1; }
  if (i < segs.length) {
    return fail(i, T.formats.includes(segs[i].toUpperCase())
      ? "the old " + segs[i].toUpperCase() + " output is not served by the explorer (its CSV download is)"
      : "nothing is expected after the " + (scope.groups ? "job type" : "end month"));
  }
  return done(out, p);
}

const lower = (s) => s.charAt(0).toLowerCase() + s.slice(1);
const scopeList = (T) => Array.from(new Set(T.scopes.map((s) => "/" + s.path[0] + "/"))).join(", ");

function done(out, p) {
  if (p.rows === p.cols) { delete p.cols; }  // a scope whose rows default to DATE: the explorer picks
  return out;
}

// `normcpu`, `normcpu-day`, `normcpu_days`, `normalized_sum_cpu`, `normcpu-HEPSPEC06`.
function metricStep(seg, T, fam, p, notes) {
  const ids = T.metrics[p.data] || {};
  let metric = ids[seg];
  let unit = null;
  if (!metric) {
    const m = /^(.+?)(?:-([A-Za-z0-9]+)|_(days))$/.exec(seg);
    if (m && ids[m[1]] && T.units[m[2] || m[3]]) { metric = ids[m[1]]; unit = T.units[m[2] || m[3]]; }
  }
  if (!metric) { return "not a metric id of the old portal's " + p.data + " views"; }
  const known = fam.metrics.find((x) => x.id === metric);
  if (!known) { return "the explorer has no metric “" + metric + "”"; }
  p.metric = metric;
  if (unit && unit !== "hours" && !known.denominator && /\bh$/.test(known.unit)) {
    notes.push("The old address asked for " + unit + "; the explorer shows " + known.name + " in " + known.unit + ".");
  }
  return null;
}

function axisStep(seg, T, axes, p, key, what) {
  const name = Object.keys(T.axes).find((k) => k === seg) || Object.keys(T.axes).find((k) => k.toLowerCase() === seg.toLowerCase());
  const axis = name && T.axes[name];
  if (!axis) { return "not a " + what + " of the old portal (" + Object.keys(T.axes).join(", ") + ")"; }
  if (!axes.has(axis)) { return "the explorer has no " + axis + " for " + p.data; }
  p[key] = axis;
  return null;
}

// sY/sM/eY/eM: months with or without a leading zero; clamped to the months with data.
function periodStep(segs, fam, p, notes) {
  const names = ["start year", "start month", "end year", "end month"];
  for (let k = 0; k < 4; k += 1) {
    if (segs[k] === undefined) { return { offset: k, reason: "the address ends before the " + names[k] }; }
    const ok = k % 2 ? /^\d{1,2}$/.test(segs[k]) && +segs[k] >= 1 && +segs[k] <= 12 : /^\d{4}$/.test(segs[k]);
    if (!ok) { return { offset: k, reason: "not a " + names[k] + (k % 2 ? " (1 to 12)" : " (four digits)") }; }
  }
  const month = (y, m) => y + "-" + String(+m).padStart(2, "0");
  let from = month(segs[0], segs[1]);
  let to = month(segs[2], segs[3]);
  if (from > to) { return { offset: 2, reason: "the period ends before it starts" }; }
  const first = fam.months[0].month;
  const last = fam.months[fam.months.length - 1].month;
  if (to < first || from > last) {
    return { offset: 0, reason: "no data from " + from + " to " + to + " (the data runs from " + first + " to " + last + ")" };
  }
  if (from < first) { notes.push("The data starts in " + first + ", not " + from + "."); from = first; }
  if (to > last) { notes.push("The last complete month is " + last + ", not " + to + "."); to = last; }
  p.from = from;
  p.to = to;
  return null;
}

function voStep(seg, T, p) {
  let m;
  if (T.vo_groups[seg]) { p.vos = T.vo_groups[seg]; }
  else if ((m = /^top(\d+)$/.exec(seg)) && +m[1] >= 1) { p.vos = "top"; p.top = +m[1]; }
  else if ((m = /^custom-(.+)$/.exec(seg)) && m[1].split(",").some((v) => v)) {
    p.vos = "custom";
    p.vo = m[1].split(",").filter((v) => v);
  } else { return "not a VO group (" + Object.keys(T.vo_groups).join(", ") + ", top10, custom-<vo>,<vo>)"; }
  return null;
}

function jobsStep(seg, T, p) {
  if (!T.jobs[seg]) { return "not a job type (" + Object.keys(T.jobs).join(", ") + ")"; }
  p.jobs = T.jobs[seg];
  return null;
}

// The explorer's address (README, "Explorer") of `params`.
export function explorerSearch(params) {
  const q = new URLSearchParams();
  ["data", "metric", "rows", "cols", "from", "to", "vos"].forEach((k) => { if (params[k] !== undefined) { q.set(k, params[k]); } });
  if (params.vos === "top") { q.set("top", String(params.top)); }
  (params.vo || []).forEach((v) => q.append("vo", v));
  if (params.jobs !== undefined) { q.set("jobs", params.jobs); }
  Object.keys(params.filters || {}).sort().forEach((d) => params.filters[d].forEach((v) => q.append(d, v)));
  return "?" + q.toString();
}

// Whether a missing path is an old view address to forward: not the old JSON/CSV output,
// nor a file of the site's own kinds (`/egi/no-such.csv`), as Apache's rule.
export function isLegacy(path, prefixes, formats, files) {
  const segs = path.split("/").filter((s) => s !== "");
  const last = segs[segs.length - 1] || "";
  const ext = /\.([A-Za-z0-9]+)$/.exec(last);
  return segs.length > 1 && prefixes.includes(segs[0]) && !formats.includes(last.toUpperCase())
    && !(ext && !path.endsWith("/") && files.includes(ext[1]));
}

// On the 404 page: forward an old view address to the explorer.
if (typeof document !== "undefined" && document.getElementById("legacy-config")) {
  const c = JSON.parse(document.getElementById("legacy-config").textContent);
  let path = location.pathname;
  try { path = path.split("/").map(decodeURIComponent).join("/"); } catch (e) { /* kept as sent */ }
  if (isLegacy(path, c.prefixes, c.formats, c.files)) {
    location.replace(c.explore + "?legacy=" + encodeURIComponent(path));
  }
}
