/* Draws the page's charts from JSON embedded with Django's json_script (never from HTML).
   Tooltips use ECharts' richText mode: names from outside (regions) are never parsed as HTML. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var palette = ["#1f6f8b", "#b3423a", "#7a8591", "#2f7d4f", "#b7791f", "#6b5b95", "#3d8eb9", "#a0522d"];
  var font = '-apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
  var base = { color: palette, textStyle: { fontFamily: font }, tooltip: { renderMode: "richText", confine: true }, grid: { left: 48, right: 16, top: 24, bottom: 32 } };

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function draw(el, option) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(Object.assign({}, base, option));
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function line(points, area) {
    return {
      tooltip: Object.assign({}, base.tooltip, { trigger: "axis" }),
      xAxis: { type: "category", data: points.map(function (p) { return p[0].slice(0, 16).replace("T", " "); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "line", smooth: true, showSymbol: false, areaStyle: area ? { opacity: 0.15 } : undefined,
                 data: points.map(function (p) { return p[1]; }) }]
    };
  }
  function pie(pairs) {
    return {
      tooltip: Object.assign({}, base.tooltip, { trigger: "item" }),
      legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["40%", "68%"], label: { formatter: "{b}: {d}%" },
                 data: pairs.map(function (p) { return { name: String(p[0]), value: p[1] }; }) }]
    };
  }
  function bars(pairs) {
    return {
      tooltip: Object.assign({}, base.tooltip, { trigger: "axis" }),
      grid: { left: 110, right: 24, top: 8, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: pairs.map(function (p) { return String(p[0]); }) },
      series: [{ type: "bar", barMaxWidth: 18, data: pairs.map(function (p) { return p[1]; }) }]
    };
  }

  // The dashboard's volume: when the last point is today (or this hour) so far, it is drawn as a
  // dashed segment with its own label, so a partial day never reads as a plunge.
  function volume(points, partial) {
    var option = line(points, true);
    if (!partial || points.length < 2) return option;
    var n = points.length;
    var whole = points.map(function (p, i) { return i < n - 1 ? p[1] : null; });
    var last = points.map(function (p, i) { return i >= n - 2 ? p[1] : null; });
    option.series = [
      { type: "line", smooth: true, showSymbol: false, areaStyle: { opacity: 0.15 }, data: whole },
      { type: "line", name: partial.label, showSymbol: true, symbolSize: 6, lineStyle: { type: "dashed" },
        itemStyle: { color: "#7a8591" }, data: last,
        endLabel: { show: true, formatter: partial.label, color: "#6b7785" } }
    ];
    option.grid = Object.assign({}, base.grid, { right: 96 });
    return option;
  }
  // Keywords as a word cloud (echarts-wordcloud, vendored); a click searches for the word.
  function words(pairs, el) {
    // Square roots of the weights: a few very large events would otherwise leave one or two
    // giant words and many unreadable ones. Sizes follow the box (a phone gets smaller words).
    var max = Math.max(18, Math.min(34, Math.round(el.clientWidth / 14)));
    return {
      tooltip: Object.assign({}, base.tooltip, { trigger: "item",
        formatter: function (p) { return p.name + " " + (p.data ? p.data.count : ""); } }),
      series: [{ type: "wordCloud", shape: "square", left: "center", top: "center", width: "100%", height: "100%",
                 sizeRange: [11, max], rotationRange: [0, 0], gridSize: 4, drawOutOfBound: false,
                 textStyle: { fontFamily: font, color: function (p) { return palette[p.dataIndex % palette.length]; } },
                 emphasis: { textStyle: { fontWeight: "bold" } },
                 data: pairs.map(function (p) { return { name: String(p[0]), value: Math.sqrt(p[1]), count: p[1] }; }) }]
    };
  }

  var data = read("chart-data");
  var timeline = read("timeline-data");
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var name = el.getAttribute("data-chart");
    if (name === "timeline" && timeline) draw(el, line(timeline, true));
    else if (!data) return;
    else if (name === "volume") draw(el, volume(data.volume, data.partial));
    else if (name === "words") {
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(Object.assign({}, base, words(data.words || [], el)));
      chart.on("click", function (p) {
        if (data.search_url && p && p.name) window.location.href = data.search_url + "?q=" + encodeURIComponent(p.name);
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }
    else if (name === "sentiment") draw(el, Object.assign(pie(data.sentiment), { color: ["#b3423a", "#7a8591", "#2f7d4f"] }));
    else if (name === "sources") draw(el, pie(data.sources));
    else if (name === "regions") draw(el, bars(data.regions));
  });
})();
