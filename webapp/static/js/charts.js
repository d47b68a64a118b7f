/* Draw the report charts with Chart.js from each canvas's data-chart (see processes/reports/tables.py). */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var palette = ["#198754", "#0d6efd", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#ffc107", "#0dcaf0",
    "#6c757d", "#d63384", "#6610f2"];
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 3 });

  function colours(count) {
    var result = [];
    for (var i = 0; i < count; i += 1) { result.push(palette[i % palette.length]); }
    return result;
  }

  function draw(canvas) {
    var spec;
    try { spec = JSON.parse(canvas.dataset.chart); } catch (error) { return; }
    var round = spec.type === "pie" || spec.type === "doughnut";
    var datasets = spec.datasets.map(function (set, i) {
      return {
        label: set.label,
        data: set.data,
        backgroundColor: round ? colours(set.data.length) : palette[i % palette.length],
        borderWidth: round ? 1 : 0
      };
    });
    var axes = {};
    if (!round) {
      var value = { stacked: spec.stacked, beginAtZero: true, ticks: { precision: spec.unit ? undefined : 0 } };
      var category = { stacked: spec.stacked, ticks: { autoSkip: false } };
      axes = spec.horizontal ? { x: value, y: category } : { x: category, y: value };
    }
    /* Horizontal bars grow with their rows; the others keep one height. */
    canvas.parentNode.style.position = "relative";
    canvas.parentNode.style.height = (spec.horizontal ? Math.max(160, 34 * spec.labels.length + 70) : 280) + "px";
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        animation: false,
        scales: axes,
        plugins: {
          legend: { display: round || datasets.length > 1, position: round ? "bottom" : "top" },
          tooltip: {
            callbacks: {
              label: function (item) {
                var name = round ? item.label : item.dataset.label;
                return name + ": " + number.format(item.raw) + (spec.unit ? " " + spec.unit : "");
              }
            }
          }
        }
      }
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
}());
