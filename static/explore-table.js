// The explorer's table, once drawn: sortable by any column (a button in each header, so
// click, Enter and Space all sort; Total and Percent rows stay last), and CPU efficiency
// cells in the old portal's colour bands (old-portal-features.md §4.1; classes in site.css).

// [upper bound, class]: below 50, 60, 75, 90, 100 %, then 100 % and more.
const BANDS = [[50, "eff-lt50"], [60, "eff-lt60"], [75, "eff-lt75"], [90, "eff-lt90"], [100, "eff-lt100"]];
export function band(value) {
  if (value === null || value === undefined || Number.isNaN(value)) { return null; }
  const b = BANDS.find(([upper]) => value < upper);
  return b ? b[1] : "eff-ge100";
}

export const isEfficiency = (m) => !!m && !!m.denominator && /cpueff$/.test(m.id);

function cellKey(row, col) {
  const cell = row.cells[col];
  if (col === 0) { return cell.textContent; }
  return cell.dataset.value === "" ? -Infinity : Number(cell.dataset.value);
}

// columnMetrics[j]: the metric of the j-th value column (null: a Percent column).
export function enhance(table, columnMetrics) {
  const body = table.tBodies[0];
  table.querySelectorAll("tbody tr").forEach((tr) => {
    Array.from(tr.querySelectorAll("td")).forEach((td, j) => {
      const cls = tr.dataset.kind !== "percent" && isEfficiency(columnMetrics[j])
        ? band(td.dataset.value === "" ? null : Number(td.dataset.value)) : null;
      if (cls) { td.classList.add("eff", cls); }
    });
  });
  const heads = Array.from(table.querySelectorAll("thead th"));
  heads.forEach((th, col) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.textContent = th.textContent;
    th.replaceChildren(button);
    th.setAttribute("aria-sort", "none");
    button.addEventListener("click", () => {
      // A first sort of a number column is largest first, of the label column A to Z.
      const now = th.getAttribute("aria-sort");
      const ascending = now === "none" ? col === 0 : now === "descending";
      const rows = Array.from(body.rows);
      const data = rows.filter((r) => !r.classList.contains("summary"));
      const summary = rows.filter((r) => r.classList.contains("summary"));
      data.sort((a, b) => {
        const x = cellKey(a, col); const y = cellKey(b, col);
        const o = typeof x === "string" ? x.localeCompare(y) : x < y ? -1 : x > y ? 1 : 0;
        return ascending ? o : -o;
      });
      [...data, ...summary].forEach((r) => body.appendChild(r));
      heads.forEach((h) => h.setAttribute("aria-sort", "none"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    });
  });
}
