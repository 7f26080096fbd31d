// Charts from the echarts webjar; data comes from data-series attributes the server escaped.
(function () {
  'use strict';
  var el = document.getElementById('share-chart');
  if (!el || !window.echarts) { return; }
  var buckets = JSON.parse(el.getAttribute('data-series') || '[]');
  // Every host count from 1 to the largest, also those no layer has (an empty bar says so), so the axis reads as a
  // scale; past 200 hosts only the counts that occur (a category per host would be unreadable).
  var byCount = {};
  var max = 0;
  buckets.forEach(function (b) { byCount[b.hostCount] = b; max = Math.max(max, b.hostCount); });
  var counts = [];
  if (max <= 200) {
    for (var n = 1; n <= max; n++) { counts.push(n); }
  } else {
    counts = buckets.map(function (b) { return b.hostCount; });
  }
  // Bytes in SI units with three significant digits, as the pages show them (Fmt.bytes; 1 kB = 1000 B, as the Docker
  // CLI counts): "35.0 GB", never "35000.0 MB".
  var UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  function human(v) {
    var u = 0;
    while (Math.abs(v) >= 1000 && u < UNITS.length - 1) { v /= 1000; u++; }
    return (u === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + ' ' + UNITS[u];
  }
  var chart = echarts.init(el, null, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    grid: { left: 56, right: 72, top: 36, bottom: 44 },
    tooltip: { trigger: 'axis', valueFormatter: function (v) { return typeof v === 'number' && v >= 1000 ? human(v) : String(v); } },
    legend: { data: ['layers', 'bytes'], top: 4 },
    xAxis: { type: 'category', name: 'hosts holding the layer', nameLocation: 'middle', nameGap: 28,
             axisLabel: { interval: counts.length <= 40 ? 0 : 'auto' }, data: counts.map(String) },
    yAxis: [{ type: 'value', name: 'layers', minInterval: 1 },
            { type: 'value', name: 'bytes', axisLabel: { formatter: human } }],
    series: [
      { name: 'layers', type: 'bar', data: counts.map(function (c) { return byCount[c] ? byCount[c].layers : 0; }), itemStyle: { color: '#2457c5' } },
      { name: 'bytes', type: 'bar', yAxisIndex: 1, data: counts.map(function (c) { return byCount[c] ? byCount[c].bytes : 0; }), itemStyle: { color: '#98a2b3' } }
    ]
  });
  window.addEventListener('resize', function () { chart.resize(); });
  window.layeratlasHumanBytes = human;
  el.setAttribute('data-rendered', String(buckets.length));
})();
