/* Case metrics charts, drawn from JSON embedded with json_script (never from HTML).
   Tooltips are rich text: unit names are never parsed as HTML. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var el = document.getElementById("case-chart-data");
  if (!el) return;
  var data = JSON.parse(el.textContent);
  var font = '-apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
  var names = data.units;
  function draw(node, option) {
    var chart = echarts.init(node, null, { renderer: "canvas" });
    chart.setOption(Object.assign({
      color: ["#1f6f8b", "#2f7d4f", "#b7791f", "#b3423a"],
      textStyle: { fontFamily: font },
      tooltip: { renderMode: "richText", confine: true, trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 150, right: 24, top: 8, bottom: 40 },
      yAxis: { type: "category", inverse: true, data: names }
    }, option));
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.querySelectorAll("[data-case-chart]").forEach(function (node) {
    var kind = node.getAttribute("data-case-chart");
    if (kind === "counts") {
      draw(node, {
        xAxis: { type: "value", minInterval: 1 },
        series: [
          { name: data.labels.received, type: "bar", barMaxWidth: 14, data: data.received },
          { name: data.labels.closed, type: "bar", barMaxWidth: 14, data: data.closed }
        ]
      });
    } else if (kind === "rates") {
      draw(node, {
        xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        series: [
          { name: data.labels.closure_rate, type: "bar", barMaxWidth: 14, data: data.closure_rate },
          { name: data.labels.on_time_rate, type: "bar", barMaxWidth: 14, data: data.on_time_rate }
        ]
      });
    }
  });
})();
