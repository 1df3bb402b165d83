// The explorer's downloads of exactly the view (see README, "Explorer"): the table as the
// page shows it, at full precision, as CSV (made by explore.js, with its description line),
// as JSON in the old portal's shape and as Parquet (written by DuckDB-WASM from the same
// rows, with the statement of cubes/queries/explore_parquet.sql). Named after the view.

// e.g. htc-normcpu-ngi-by-quarter-2024-01-2025-02[-egi][-grid][-filtered].csv
export function fileName(view, ext) {
  const vos = view.vos === "all" ? [] : view.vos === "top" ? ["top" + view.top] : [view.vos];
  const parts = [view.data, view.metric.join("+"), view.rows, "by", view.cols === "metric" ? "metrics" : view.cols,
    view.from, view.to, ...vos, ...(view.jobs === "both" ? [] : [view.jobs]),
    ...(Object.keys(view.filters).length ? ["filtered"] : [])];
  return parts.join("-").toLowerCase().replace(/[^a-z0-9+.-]+/g, "_") + "." + ext;
}

// The old portal rounded cells to 4 decimals, Total to an integer and Percent to 2 decimals;
// the Percent row holds strings ("49.64%").
const round = (v, digits) => (v === null || v === undefined || Number.isNaN(v) ? null
  : Math.round(v * 10 ** digits) / 10 ** digits);

// [{<column>: n, …, "id": <row>, "Total": n, "Percent": n}, …, {"id": "Total", …},
//  {"id": "Percent", <column>: "x.xx%", …}, {"id": "xlegend", "0": <row>, …},
//  {"id": "ylegend", "0": <column>, …, "<k>": "id"}, {"id": "var", "xrange", "yrange", "query"}]
export function oldPortalJson(view, out) {
  const cols = out.header.slice(1);
  const digits = (name) => (name === "Total" ? 0 : name === "Percent" ? 2 : 4);
  const rows = [];
  out.records.forEach((rec, i) => {
    const o = {};
    cols.forEach((name, j) => {
      const value = rec[j + 1];
      if (out.kinds[i] === "percent") {
        if (name !== "Percent") { o[name] = value === null ? null : value.toFixed(2) + "%"; }
      } else {
        o[name] = round(value, digits(name));
      }
    });
    o.id = rec[0];
    rows.push(o);
  });
  const data = out.records.filter((r, i) => out.kinds[i] === "entity" || out.kinds[i] === "absent");
  const xlegend = { id: "xlegend" };
  data.forEach((r, i) => { xlegend[String(i)] = r[0]; });
  const legendCols = cols.filter((c) => c !== "Total" && c !== "Percent");
  const ylegend = { id: "ylegend" };
  legendCols.forEach((c, j) => { ylegend[String(j)] = c; });
  ylegend[String(legendCols.length)] = "id";
  return [...rows, xlegend, ylegend,
    { id: "var", xrange: view.cols, yrange: view.rows, query: view.metric.join(",") }];
}

function csvField(v) {
  if (v === null || v === undefined) { return ""; }
  const s = String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}
const sqlText = (v) => "'" + String(v).replace(/'/g, "''") + "'";
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (m, name) => String(values[name]));

let seq = 0;

// The Parquet file's bytes: the table's rows (label, values, row_kind) with their types.
export async function parquet(duck, conn, Q, out) {
  const names = [...out.header, "row_kind"];
  const lines = [names.map(csvField).join(",")];
  out.records.forEach((rec, i) => lines.push([...rec, out.kinds[i]].map(csvField).join(",")));
  seq += 1;
  const src = "explore-view-" + seq + ".csv";
  const target = "explore-view-" + seq + ".parquet";
  await duck.db.registerFileText(src, lines.join("\n") + "\n");
  await duck.db.registerEmptyFileBuffer(target); // (else DuckDB-WASM warns that it buffers a missing file)
  const columns = "{" + names.map((n, j) => sqlText(n) + ": "
    + (j === 0 || j === names.length - 1 ? "'VARCHAR'" : "'DOUBLE'")).join(", ") + "}";
  try {
    await conn.query(fill(Q.parquet, { file: sqlText(src), target: sqlText(target), columns }));
    return await duck.db.copyFileToBuffer(target);
  } finally {
    await duck.db.dropFile(src);
    await duck.db.dropFile(target);
  }
}

const urls = new Map();
function link(id, blob, name) {
  const a = document.getElementById(id);
  if (urls.has(id)) { URL.revokeObjectURL(urls.get(id)); }
  const url = URL.createObjectURL(blob);
  urls.set(id, url);
  a.href = url;
  a.download = name;
  a.hidden = false;
}

// Points the page's download links at the view's files.
export async function offer(view, out, csvText, engine) {
  link("explore-csv", new Blob([csvText], { type: "text/csv" }), fileName(view, "csv"));
  link("explore-json", new Blob([JSON.stringify(oldPortalJson(view, out))], { type: "application/json" }),
    fileName(view, "json"));
  const bytes = await parquet(engine.duck, engine.conn, engine.Q, out);
  link("explore-parquet", new Blob([bytes], { type: "application/vnd.apache.parquet" }), fileName(view, "parquet"));
}
