// The explorer's chart (see README, "Explorer"): stacked bars, lines, cumulative, or a pie
// of the rows or of the columns, each with the top N series and "Other". Built from the
// sums of the table the view already computed (explore.js `shape`), never from a query of
// its own, so the chart shows the table's numbers: a point is the metric taken from the
// cell's sums, "Other" the metric of the summed sums of the series it stands for (for an
// additive metric, the sum of their values), a cumulative point the metric of the running
// sums over the time axis (its last point is the series' Total).
//
// Drawn with the site's own Vega bundle (the global vegaEmbed every page loads) as
// static/site.js draws the report pages' charts: Vega's expression interpreter (ast: true),
// no eval and no injected style, as the strict Content-Security-Policy requires.

export const KINDS = { bar: "Stacked bars", line: "Lines", cumulative: "Cumulative", "pie-rows": "Pie of the rows",
  "pie-cols": "Pie of the columns" };
const DEFAULT_N = 9;

export function readParams(p) {
  const chart = Object.hasOwn(KINDS, p.get("chart")) ? p.get("chart") : "bar";
  const n = parseInt(p.get("chartn"), 10);
  return { chart, chartn: Number.isFinite(n) ? Math.max(1, Math.min(50, n)) : DEFAULT_N };
}

export function writeParams(view, p) {
  p.set("chart", view.chart);
  p.set("chartn", String(view.chartn));
}

// Colours follow the entity, not its rank: a label hashes to a slot of the palette (the
// shown labels that collide take the next free slot, in label order), "Other" is grey.
const PALETTE = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6",
  "#9d755d", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
  "#bcbd22", "#393b79", "#637939"];
const OTHER = "Other";
const OTHER_COLOUR = "#a0a0a0";

function hash(text) {
  let h = 2166136261; // FNV-1a
  for (let i = 0; i < text.length; i += 1) { h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0; }
  return h;
}

export function colours(labels) {
  const taken = new Map();
  const out = new Map();
  [...labels].filter((l) => l !== OTHER).sort().forEach((label) => {
    let slot = hash(label) % PALETTE.length;
    for (let i = 0; i < PALETTE.length && taken.has(slot); i += 1) { slot = (slot + 1) % PALETTE.length; }
    taken.set(slot, label);
    out.set(label, PALETTE[slot]);
  });
  if (labels.includes(OTHER)) { out.set(OTHER, OTHER_COLOUR); }
  return labels.map((l) => out.get(l));
}

// (a stock's missing month is null: null plus nothing stays null)
const add = (a, b) => Object.fromEntries(Object.keys(a).map((k) => [k, a[k] === null && b[k] === null ? null
  : (a[k] || 0) + (b[k] || 0)]));

// The top `n` of `items` ({label, sums, points}) by the metric's ordering sum, the rest
// merged into "Other" (only when there is a rest).
function topN(items, n, order) {
  const ranked = items.slice().sort((a, b) => order(b.sums) - order(a.sums));
  if (ranked.length <= n) { return ranked; }
  const rest = ranked.slice(n);
  const other = rest.slice(1).reduce((acc, it) => ({
    label: OTHER, sums: add(acc.sums, it.sums), points: acc.points && acc.points.map((p, i) => add(p, it.points[i])),
  }), { label: OTHER, sums: { ...rest[0].sums }, points: rest[0].points && rest[0].points.map((p) => ({ ...p })) });
  return [...ranked.slice(0, n), other];
}

// What the chart shows: {kind, mark, x: [labels] | null, series: [{label, values: [...]}]}.
// `value(m, sums, timeKey)` is explore.js's metric of a cell's sums (a per-period metric
// over the length of the period `timeKey` names, or of the whole view without one).
export function chartData(view, t, Q, value) {
  const m = t.metrics[0];
  const v = (s, timeKey) => value(m, s, timeKey);
  const order = (s) => s[m.denominator || m.numerator] || 0;
  const additive = !m.denominator;
  const isTime = (a) => !!Q.periods[a];
  const n = view.chartn;
  const totalsOnly = view.cols === "metric" || view.chart.startsWith("pie");
  if (totalsOnly) {
    // One value per row (or column): a pie, or bars when a pie would not mean anything
    // (a ratio, whose parts do not add up to the whole).
    const byCols = view.chart === "pie-cols" && view.cols !== "metric";
    const items = byCols ? t.columns.map((c, j) => ({ label: c.label, sums: t.totals[j] }))
      : t.rows.map((r) => ({ label: r.label, sums: r.total }));
    const shown = topN(items, n, order);
    return { kind: view.chart, mark: additive && view.chart.startsWith("pie") ? "arc" : "bar", x: null,
      axis: byCols ? view.cols : view.rows, series: shown.map((it) => ({ label: it.label, values: [v(it.sums)] })) };
  }
  // Time runs along x when it is one of the axes; the other axis gives the series.
  const transpose = isTime(view.rows) && !isTime(view.cols);
  const x = transpose ? t.rows.map((r) => r.label) : t.columns.map((c) => c.label);
  const items = transpose
    ? t.columns.map((c, j) => ({ label: c.label, sums: t.totals[j], points: t.rows.map((r) => r.cells[j]) }))
    : t.rows.map((r) => ({ label: r.label, sums: r.total, points: r.cells }));
  const shown = topN(items, n, order);
  // A stock (storage) adds across rows but never over months: its cumulative is not drawn
  // as a running sum but as lines of the months themselves.
  const cumulative = view.chart === "cumulative" && !Q.families[view.data].stock;
  const series = shown.map((it) => {
    let running = null;
    const values = it.points.map((p, j) => {
      if (!cumulative) { return v(p, isTime(view.rows) || isTime(view.cols) ? x[j] : undefined); }
      running = running ? add(running, p) : { ...p };
      return v(running, undefined);
    });
    return { label: it.label, values };
  });
  return { kind: view.chart, mark: view.chart === "bar" ? "bar" : "line", stack: additive && view.chart === "bar",
    x, axis: transpose ? view.rows : view.cols, seriesAxis: transpose ? view.cols : view.rows, series };
}

export function spec(data, labels) {
  const title = labels.metric;
  const names = data.series.map((s) => s.label);
  const color = { field: "series", type: "nominal", title: labels.axis(data.seriesAxis || data.axis),
    sort: names, scale: { domain: names, range: colours(names) }, legend: { labelLimit: 240 } };
  const base = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", width: "container", height: 320,
    autosize: { type: "fit", contains: "padding" } };
  if (!data.x) {
    const values = data.series.map((s, i) => ({ series: s.label, value: s.values[0], rank: i }));
    if (data.mark === "arc") {
      return { ...base, data: { name: "chart", values }, mark: { type: "arc" },
        encoding: { theta: { field: "value", type: "quantitative", stack: true }, color,
          order: { field: "rank", type: "quantitative" },
          tooltip: [{ field: "series", title: labels.axis(data.axis) }, { field: "value", title, format: ",.2f" }] } };
    }
    return { ...base, data: { name: "chart", values }, mark: { type: "bar" },
      encoding: { x: { field: "series", type: "nominal", sort: names, title: labels.axis(data.axis) },
        y: { field: "value", type: "quantitative", title }, color,
        tooltip: [{ field: "series", title: labels.axis(data.axis) }, { field: "value", title, format: ",.2f" }] } };
  }
  const values = [];
  data.series.forEach((s, i) => s.values.forEach((value, j) => {
    values.push({ x: data.x[j], series: s.label, value, rank: i });
  }));
  const encoding = {
    x: { field: "x", type: "ordinal", sort: data.x, title: labels.axis(data.axis) },
    y: { field: "value", type: "quantitative", title: (data.kind === "cumulative" ? "Cumulative " : "") + title,
      stack: data.stack ? "zero" : null },
    color, order: { field: "rank", type: "quantitative" },
    tooltip: [{ field: "x", title: labels.axis(data.axis) }, { field: "series", title: labels.axis(data.seriesAxis) },
      { field: "value", title, format: ",.2f" }],
  };
  if (data.mark === "bar" && !data.stack) { encoding.xOffset = { field: "series", sort: names }; }
  return { ...base, data: { name: "chart", values },
    mark: data.mark === "line" ? { type: "line", point: true } : { type: "bar" }, encoding };
}

const EMBED = { renderer: "svg", actions: false, ast: true, defaultStyle: false, tooltip: { disableDefaultStyle: true } };
let current = null;

// Draws the view's chart into `el`; its data stay on el.chartData (what the tests read).
export async function draw(el, view, t, Q, value) {
  if (current) { current.finalize(); current = null; }
  el.replaceChildren();
  el.chartData = null;
  if (typeof vegaEmbed !== "function" || !t.rows.length) { el.hidden = true; return; }
  el.hidden = false;
  const fam = Q.families[view.data];
  const m = t.metrics[0];
  const data = chartData(view, t, Q, value);
  const labels = {
    metric: m.name + " (" + m.unit + ")" + (view.cols === "metric" && view.metric.length > 1 ? ", the first metric" : ""),
    axis: (a) => (!a ? "" : Q.periods[a] ? Q.periods[a].label : a === "metric" ? "Metric"
      : (Q.dimensions[a] || { label: a }).label),
  };
  const result = await vegaEmbed(el, spec(data, labels), EMBED);
  current = result;
  el.chartData = data;
  el.dataset.kind = data.kind;
  el.dataset.family = fam.cube;
}
