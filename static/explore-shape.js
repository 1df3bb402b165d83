// The explorer's table from a view's query result (static/explore.js runs the query): the
// records shaped into rows, columns and totals (`shape`), then the values the table, the
// chart and the downloads show (`tableRecords`), each metric taken from the exact sums at
// its level as accounting/site/report.py does (catalogue Metric.value). accounting/api/table.py
// is its Python twin for the API; tests/test_explore_browser.py holds both to the source.

let Q = null; // queries.json, given by `use`
export function use(queries) { Q = queries; }

export const metricOf = (fam, id) => fam.metrics.find((m) => m.id === id);
// The unit a metric is shown in, and what its sum is divided by (hour-type metrics: the view's unit).
export const unitOf = (view, m) => (m.units && m.units[view.unit] ? m.units[view.unit].unit : m.unit);
const scaleOf = (view, m) => (m.units && m.units[view.unit] ? m.units[view.unit].scale : m.scale);

// A metric from its sums (report.py, catalogue Metric.value): a ratio from the two sums; a
// per-period metric (GPUs, VMs) over the length of the period in its unit; else the sum in
// the view's unit. A stock's missing month stays missing (null).
export function metricValue(view, m, s, length) {
  const num = s[m.numerator];
  if (num === null || num === undefined) { return null; }
  if (m.denominator) { const den = s[m.denominator]; return den ? m.multiplier * num / den : null; }
  if (m.per_period) { return length ? m.multiplier * num / length : null; }
  return num / scaleOf(view, m);
}

// The length of a cell's period in a per-period metric's unit (months or seconds): the
// view's months within the cell's row and column keys where those are time (undefined:
// a total over that axis).
export function periodLength(view, m, rowKey, colKey) {
  if (!m.per_period) { return null; }
  let n = 0;
  Q.families[view.data].months.forEach((mo) => {
    if (mo.month < view.from || mo.month > view.to) { return; }
    if (rowKey !== undefined && Q.periods[view.rows] && mo[view.rows] !== rowKey) { return; }
    if (colKey !== undefined && Q.periods[view.cols] && mo[view.cols] !== colKey) { return; }
    n += m.period_unit === "month" ? 1 : mo.seconds;
  });
  return n;
}

// {rows: [{key, label, absent, cells: [{num, den}], total}], columns: [...], totals, grand}
export function shape(view, records) {
  const fam = Q.families[view.data];
  const dims = Q.dimensions;
  const label = (dim, key) => (key === null || key === undefined
    ? (dims[dim] && dims[dim].absent) || "(none)" : String(key));
  const missing = fam.stock ? null : 0; // a stock's month without a value is no zero
  const sumsOf = (r) => Object.fromEntries(fam.sums.map((c) => [c, r[c] === null ? missing : Number(r[c])]));
  const cells = new Map(); const rowTotals = new Map(); const colTotals = new Map(); let grand = null;
  const colKeys = new Set();
  records.forEach((r) => {
    const rk = r.row_key === null ? null : String(r.row_key);
    const ck = r.column_key === null ? null : String(r.column_key);
    const s = sumsOf(r);
    if (r.all_rows && r.all_columns) { grand = s; }
    else if (r.all_rows) { colTotals.set(ck, s); colKeys.add(ck); }
    else if (r.all_columns) { rowTotals.set(rk, s); }
    else { cells.set(JSON.stringify([rk, ck]), s); colKeys.add(ck); }
  });
  const zero = Object.fromEntries(fam.sums.map((c) => [c, missing]));
  grand = grand || zero;
  let columns;
  if (view.cols === "metric") {
    columns = view.metric.map((id) => ({ key: id, label: metricOf(fam, id).name }));
  } else if (Q.periods[view.cols]) {
    const seen = new Set();
    columns = [];
    fam.months.forEach((m) => {
      if (m.month >= view.from && m.month <= view.to && !seen.has(m[view.cols])) {
        seen.add(m[view.cols]);
        columns.push({ key: m[view.cols], label: m[view.cols] });
      }
    });
  } else {
    columns = Array.from(colKeys).sort((a, b) => (a === null) - (b === null) || (a < b ? -1 : a > b ? 1 : 0))
      .map((k) => ({ key: k, label: label(view.cols, k) }));
  }
  const metrics = view.metric.map((id) => metricOf(fam, id));
  const first = metrics[0];
  const order = (s) => s[first.denominator || first.numerator] || 0;
  const rows = Array.from(rowTotals.entries()).map(([key, total]) => ({
    key, label: label(view.rows, key), absent: key === null, total,
    cells: view.cols === "metric" ? null : columns.map((c) => cells.get(JSON.stringify([key, c.key])) || zero),
  }));
  const byLabel = (a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
  // Time as rows runs in time order; other rows by their total, largest first (report.py).
  rows.sort(Q.periods[view.rows] ? byLabel : (a, b) => order(b.total) - order(a.total) || byLabel(a, b));
  const totals = view.cols === "metric" ? null : columns.map((c) => colTotals.get(c.key) || zero);
  return { columns, rows, totals, grand, metrics };
}

// records as the table shows them, full precision: [label, values…], kinds beside. The
// Total column of a stock is the average (peak) of its months, of a per-period metric the
// average over the period: so named. A stock has no Percent (rows add, months do not).
export function tableRecords(view, t) {
  const fam = Q.families[view.data];
  const header = [Q.dimensions[view.rows] ? Q.dimensions[view.rows].label : Q.periods[view.rows].label];
  const records = []; const kinds = [];
  const rowKey = (r) => (Q.periods[view.rows] ? r.key : undefined);
  if (view.cols === "metric") {
    t.metrics.forEach((m) => header.push(m.name + " (" + unitOf(view, m) + ")"));
    t.rows.forEach((r) => {
      records.push([r.label, ...t.metrics.map((m) => metricValue(view, m, r.total, periodLength(view, m, rowKey(r))))]);
      kinds.push(r.absent ? "absent" : "entity");
    });
    records.push(["Total", ...t.metrics.map((m) => metricValue(view, m, t.grand, periodLength(view, m)))]);
    kinds.push("total");
    return { header, records, kinds, percent: false };
  }
  const m = t.metrics[0];
  const v = (s, rk, ck) => metricValue(view, m, s, periodLength(view, m, rk, ck));
  const percent = !m.denominator && !fam.stock;
  const gnum = t.grand[m.numerator];
  const pct = (s) => (gnum ? 100 * s[m.numerator] / gnum : null);
  t.columns.forEach((c) => header.push(c.label));
  header.push(fam.stock ? (view.stat === "peak" ? "Peak" : "Average") : m.per_period ? "Average" : "Total");
  if (percent) { header.push("Percent"); }
  t.rows.forEach((r) => {
    records.push([r.label, ...r.cells.map((s, j) => v(s, rowKey(r), t.columns[j].key)), v(r.total, rowKey(r)),
      ...(percent ? [pct(r.total)] : [])]);
    kinds.push(r.absent ? "absent" : "entity");
  });
  records.push(["Total", ...t.totals.map((s, j) => v(s, undefined, t.columns[j].key)), v(t.grand),
    ...(percent ? [gnum ? 100 : null] : [])]);
  kinds.push("total");
  if (percent) {
    records.push(["Percent", ...t.totals.map(pct), gnum ? 100 : null, null]);
    kinds.push("percent");
  }
  return { header, records, kinds, percent };
}
