/* The event page's sentiment over time: shares of negative/neutral/positive items per time
   bucket (stacked, percent), the official response and the first mainstream report marked.
   Data and every word come from the page's json_script (never from HTML); richText tooltips. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var el = document.querySelector("[data-chart=sentiment-time]");
  var src = document.getElementById("sentiment-time-data");
  if (!el || !src) return;
  var d = JSON.parse(src.textContent);
  if (!d.labels || !d.labels.length) return;
  var colours = { negative: "#b3423a", neutral: "#7a8591", positive: "#2f7d4f" };
  var font = '-apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
  var keys = ["negative", "neutral", "positive"];
  var series = keys.map(function (k, i) {
    var s = { name: d.names[k], type: "bar", stack: "share", barMaxWidth: 28, itemStyle: { color: colours[k] },
              emphasis: { focus: "series" }, data: d.shares[k] };
    if (i === 0 && d.marks.length) {
      s.markLine = { symbol: "none", silent: true, lineStyle: { color: "#1a1a1a", type: "dashed" },
                     label: { formatter: "{b}", position: "end", fontSize: 11 },
                     data: d.marks.map(function (m) { return { name: m.name, xAxis: m.at }; }) };
    }
    return s;
  });
  series.push({ name: d.names.items, type: "line", yAxisIndex: 1, showSymbol: false, smooth: true,
                lineStyle: { width: 1.5, color: "#1f6f8b" }, itemStyle: { color: "#1f6f8b" }, data: d.totals });
  var chart = echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    textStyle: { fontFamily: font },
    tooltip: { trigger: "axis", renderMode: "richText", confine: true },
    legend: { bottom: 0, type: "scroll" },
    grid: { left: 40, right: 40, top: 28, bottom: 56 },
    xAxis: { type: "category", data: d.labels },
    yAxis: [{ type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
            { type: "value", minInterval: 1, splitLine: { show: false } }],
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
