// Dashboard charts (Apache ECharts from the npm package, served by the app itself).
(function () {
  "use strict";
  var d = JSON.parse(document.getElementById("dashboard-data").textContent);
  var T = window.TW_T;
  var lab = function (c) { return d.labels[c || ""] || c; };
  var tiers = d.value.map(function (v) { return v.tier; });
  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var c = echarts.init(el, null, { renderer: "svg" });
    option.animation = false;
    c.setOption(option);
  }
  function stacked(rows, id, top) {
    var totals = {};
    rows.forEach(function (r) { totals[r.key] = (totals[r.key] || 0) + r.customers; });
    var keys = Object.keys(totals).sort(function (a, b) { return totals[b] - totals[a]; }).slice(0, top);
    var series = tiers.map(function (t) {
      return { name: lab(t), type: "bar", stack: "s", data: keys.map(function (k) {
        var hit = rows.find(function (r) { return r.key === k && r.tier === t; });
        return hit ? hit.customers : 0; }) };
    });
    chart(id, { tooltip: { trigger: "axis" }, legend: {}, grid: { left: 50, right: 10, bottom: 60 },
      xAxis: { type: "category", data: keys, axisLabel: { rotate: 40 } }, yAxis: { type: "value" }, series: series });
  }
  chart("c-tier", { tooltip: {}, legend: { bottom: 0 }, series: [{ type: "pie", radius: ["35%", "65%"],
    label: { formatter: "{b}: {c} ({d}%)" },
    data: d.value.map(function (v) { return { name: lab(v.tier), value: v.customers }; }) }] });
  chart("c-value", { tooltip: { trigger: "axis" }, legend: {}, grid: { left: 80, right: 10 },
    xAxis: { type: "category", data: tiers.map(lab) }, yAxis: { type: "value" },
    series: [{ name: T.avg_spend, type: "bar", data: d.value.map(function (v) { return v.spend_365d_avg; }) },
             { name: T.avg_ltv, type: "bar", data: d.value.map(function (v) { return v.ltv_avg; }) }] });
  stacked(d.province, "c-province", 15);
  stacked(d.cuisine, "c-cuisine", 15);
  chart("c-trend", { tooltip: { trigger: "axis" }, legend: {}, grid: { left: 50, right: 10 },
    xAxis: { type: "category", data: d.runs.map(function (r) { return r.as_of; }) }, yAxis: { type: "value" },
    series: tiers.map(function (t) { return { name: lab(t), type: "line",
      data: d.runs.map(function (r) { return r.tiers[t] || 0; }) }; }) });
  var mt = tiers.slice();
  d.migration.forEach(function (c) { [c.from_tier, c.to_tier].forEach(function (t) { if (mt.indexOf(t) < 0) { mt.push(t); } }); });
  var max = Math.max.apply(null, [1].concat(d.migration.map(function (c) { return c.customers; })));
  chart("c-migration", { tooltip: { position: "top" }, grid: { left: 80, bottom: 60, right: 10 },
    xAxis: { type: "category", data: mt.map(lab), name: T.to, nameLocation: "middle", nameGap: 28 },
    yAxis: { type: "category", data: mt.map(lab), name: T.from },
    visualMap: { min: 0, max: max, show: false, inRange: { color: ["#eef4fb", "#1d6fb8"] } },
    series: [{ type: "heatmap", label: { show: true },
      data: d.migration.map(function (c) { return [mt.indexOf(c.to_tier), mt.indexOf(c.from_tier), c.customers]; }) }] });
  chart("c-tags", { tooltip: {}, grid: { left: 120, right: 10 }, yAxis: { type: "category", data: d.tags.map(function (r) { return lab(r.tag); }) },
    xAxis: { type: "value" }, series: [{ type: "bar", data: d.tags.map(function (r) { return r.customers; }) }] });
})();
