// Render every chart of the page from its inline Vega-Lite spec with the site's own
// Vega bundle (no network). Pages are complete without this script: tables are HTML.
(function () {
  "use strict";
  if (typeof vegaEmbed !== "function") { return; }
  document.querySelectorAll(".vega[data-spec]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-spec"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    vegaEmbed(el, spec, { renderer: "svg", actions: false }).catch(function (err) {
      el.textContent = "The chart could not be drawn: " + err;
    });
  });
})();
