// Pages are complete without this script: tables are HTML. With it, charts render from
// their Vega-Lite specs with the site's own Vega bundle (no network), and report tables
// sort by any column when its header is clicked (Total and Percent rows stay last).
(function () {
  "use strict";

  if (typeof vegaEmbed === "function") {
    document.querySelectorAll(".vega[data-spec]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-spec"));
      if (!source) { return; }
      vegaEmbed(el, JSON.parse(source.textContent), { renderer: "svg", actions: false })
        .catch(function (err) { el.textContent = "The chart could not be drawn: " + err; });
    });
  }

  // Cell text is display-rounded with thousands separators; "–" means no value.
  function cellValue(cell) {
    var text = cell.textContent.trim();
    if (cell.tagName === "TH") { return text.toLowerCase(); }
    if (text === "–") { return -Infinity; }
    return parseFloat(text.replace(/,/g, ""));
  }

  document.querySelectorAll("table.report").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body) { return; }
    table.querySelectorAll("thead th").forEach(function (th, col) {
      th.classList.add("sortable");
      th.setAttribute("tabindex", "0");
      th.setAttribute("aria-sort", "none");
      function sort() {
        var descending = th.getAttribute("aria-sort") !== "descending";
        var rows = Array.prototype.slice.call(body.rows);
        var data = rows.filter(function (r) { return !r.classList.contains("summary"); });
        var summary = rows.filter(function (r) { return r.classList.contains("summary"); });
        data.sort(function (a, b) {
          var x = cellValue(a.cells[col]), y = cellValue(b.cells[col]);
          var order = x < y ? -1 : x > y ? 1 : 0;
          return descending ? -order : order;
        });
        data.concat(summary).forEach(function (r) { body.appendChild(r); });
        table.querySelectorAll("thead th").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
    });
  });
})();
