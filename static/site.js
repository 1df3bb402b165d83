// Pages are complete without this script: tables are HTML. With it, charts render from
// their Vega-Lite specs with the site's own Vega bundle (no network), and report tables
// sort by any column when its header is clicked (Total and Percent rows stay last).
(function () {
  "use strict";

  // The site is served with a strict Content-Security-Policy (no 'unsafe-eval', no inline
  // style; see site_templates/apache.conf.j2), so charts render without eval: Vega's
  // expression interpreter (ast: true) instead of compiled expressions, the CSV reader
  // below instead of Vega's (d3-dsv builds its row objects with new Function; the bundle
  // does not expose vega.formats to replace it), and no injected <style> elements (the
  // tooltip style is in site.css).
  // The site's CSV files put a ' before text a spreadsheet would run as a formula
  // (accounting/site/report.py csv_text); charts show the text itself.
  var NEUTRALISED = /^'(?='*[=+\-@\t\r])/;
  function cellText(field) { return field.replace(NEUTRALISED, ""); }

  function parseCsv(text) {
    var rows = [], row = [], field = "", i = 0, n = text.length, quoted = false, c;
    while (i < n) {
      c = text.charAt(i);
      if (quoted) {
        if (c === '"') {
          if (text.charAt(i + 1) === '"') { field += '"'; i += 2; continue; }
          quoted = false;
        } else { field += c; }
        i += 1;
      } else if (c === '"') { quoted = true; i += 1; }
      else if (c === ",") { row.push(field); field = ""; i += 1; }
      else if (c === "\n" || c === "\r") {
        row.push(field); rows.push(row); row = []; field = "";
        i += (c === "\r" && text.charAt(i + 1) === "\n") ? 2 : 1;
      } else { field += c; i += 1; }
    }
    if (field !== "" || row.length) { row.push(field); rows.push(row); }
    var header = rows.shift() || [];
    return rows.map(function (r) {
      var o = {};
      header.forEach(function (h, j) { o[cellText(h)] = r[j] === undefined ? "" : cellText(r[j]); });
      return o;
    });
  }

  var EMBED = {
    renderer: "svg", actions: false, ast: true, defaultStyle: false,
    tooltip: { disableDefaultStyle: true }
  };

  // A chart's data is the CSV download beside its page: read and parsed here, then given
  // to Vega as values (with the spec's own field types).
  function embed(el, spec) {
    var data = spec.data;
    if (!(data && data.url && data.format && data.format.type === "csv")) {
      return vegaEmbed(el, spec, EMBED);
    }
    return fetch(data.url).then(function (response) {
      if (!response.ok) { throw new Error(data.url + ": HTTP " + response.status); }
      return response.text();
    }).then(function (text) {
      spec.data = { values: parseCsv(text), format: { parse: data.format.parse || {} } };
      return vegaEmbed(el, spec, EMBED);
    });
  }

  if (typeof vegaEmbed === "function") {
    document.querySelectorAll(".vega[data-spec]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-spec"));
      if (!source) { return; }
      embed(el, JSON.parse(source.textContent))
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

  // The header's search box (site_templates/_layout.html). Its index (search.json: names,
  // what they are and their pages) is fetched on first use only; the matching names become
  // the box's options, and choosing one opens its page. Anything else goes to /search/,
  // which lists every name (and keeps those matching ?q= here).
  var form = document.querySelector("form.search");
  var index = null, loading = null;
  function loadIndex() {
    loading = loading || fetch(form.getAttribute("data-index"))
      .then(function (r) { return r.json(); }).then(function (x) { index = x; return x; });
    return loading;
  }
  function entryLabel(e) { return e.name + " — " + e.type; }
  function matching(q) {
    q = q.trim().toLowerCase();
    return q ? index.filter(function (e) { return e.name.toLowerCase().indexOf(q) >= 0; }) : [];
  }
  if (form) {
    var box = form.elements.q, names = document.getElementById("site-search-names");
    var root = form.getAttribute("data-root");
    var chosen = function () {
      return index && index.filter(function (e) { return entryLabel(e) === box.value; })[0];
    };
    box.addEventListener("focus", loadIndex);
    box.addEventListener("input", function () {
      loadIndex().then(function () {
        var e = chosen();
        if (e) { location.href = root + e.url; return; }
        names.replaceChildren.apply(names, matching(box.value).slice(0, 20).map(function (x) {
          var o = document.createElement("option");
          o.value = entryLabel(x);
          return o;
        }));
      });
    });
    form.addEventListener("submit", function (ev) {
      if (!index) { return; }
      var found = matching(box.value);
      var e = chosen() || (found.length === 1 ? found[0] : null);
      if (e) { ev.preventDefault(); location.href = root + e.url; }
    });
  }
  var listed = document.querySelectorAll(".search-list li");
  var query = new URLSearchParams(location.search).get("q");
  if (listed.length && query) {
    var shown = 0;
    listed.forEach(function (li) {
      li.hidden = li.textContent.toLowerCase().indexOf(query.trim().toLowerCase()) < 0;
      shown += li.hidden ? 0 : 1;
    });
    document.querySelectorAll(".search-group").forEach(function (g) { g.hidden = !g.querySelector("li:not([hidden])"); });
    document.getElementById("search-query").textContent = query;
    document.getElementById("search-none").hidden = shown > 0;
    if (form) { form.elements.q.value = query; }
  }
})();
