// Charts from the echarts webjar; data comes from data-series attributes the server escaped.
(function () {
  'use strict';
  var el = document.getElementById('share-chart');
  if (!el || !window.echarts) { return; }
  var buckets = JSON.parse(el.getAttribute('data-series') || '[]');
  var chart = echarts.init(el, null, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    grid: { left: 56, right: 56, top: 36, bottom: 44 },
    tooltip: { trigger: 'axis' },
    legend: { data: ['layers', 'bytes'], top: 4 },
    xAxis: { type: 'category', name: 'hosts holding the layer', nameLocation: 'middle', nameGap: 28,
             data: buckets.map(function (b) { return String(b.hostCount); }) },
    yAxis: [{ type: 'value', name: 'layers', minInterval: 1 },
            { type: 'value', name: 'MB', axisLabel: { formatter: function (v) { return (v / 1e6).toFixed(1); } } }],
    series: [
      { name: 'layers', type: 'bar', data: buckets.map(function (b) { return b.layers; }), itemStyle: { color: '#2457c5' } },
      { name: 'bytes', type: 'bar', yAxisIndex: 1, data: buckets.map(function (b) { return b.bytes; }), itemStyle: { color: '#98a2b3' } }
    ]
  });
  window.addEventListener('resize', function () { chart.resize(); });
  el.setAttribute('data-rendered', String(buckets.length));
})();
