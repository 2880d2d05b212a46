"""The report page: HTML, CSS and JavaScript in one string, nothing loaded from anywhere (the
Content-Security-Policy forbids it, so a stray URL fails loudly instead of silently going online).

report.py fills __TITLE__, __AS_OF__ and __DATA__ (the JSON of report.report_data). The script
draws one SVG chart per metric for the chosen slice (all / a rep / a lead source; also from the
URL, e.g. index.html#rep_id=r-007) and writes any error into the page (#report-errors), so a
headless browser's DOM shows it. When it has drawn everything it sets body[data-render-status=ok].
"""

PAGE = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<script>
/* Errors become part of the page: a DOM dump or a screenshot shows them. */
(function () {
  var pending = [];
  function show() {
    if (!document.body || !pending.length) { return; }
    var box = document.getElementById('report-errors');
    if (!box) {
      box = document.createElement('div');
      box.id = 'report-errors';
      document.body.insertBefore(box, document.body.firstChild);
    }
    while (pending.length) {
      var p = document.createElement('p');
      p.className = 'report-error';
      p.textContent = pending.shift();
      box.appendChild(p);
    }
  }
  function mark(kind, text) { pending.push(kind + ': ' + text); show(); }
  window.addEventListener('error', function (e) {
    mark('error', (e.message || 'resource failed to load') + (e.filename ? ' (' + e.filename + ':' + e.lineno + ')' : ''));
  }, true);
  window.addEventListener('unhandledrejection', function (e) { mark('unhandledrejection', String(e.reason)); });
  document.addEventListener('securitypolicyviolation', function (e) {
    mark('blocked', e.violatedDirective + ' ' + e.blockedURI);
  });
  var consoleError = console.error;
  console.error = function () {
    mark('console.error', Array.prototype.join.call(arguments, ' '));
    consoleError.apply(console, arguments);
  };
  document.addEventListener('DOMContentLoaded', show);
})();
</script>
<style>
  :root {
    --ink: #1d2430; --muted: #5d6878; --line: #2563eb; --ref: #9aa4b2; --grid: #e6e9ee;
    --card: #ffffff; --page: #f4f6f9; --good: #0f7b3f; --bad: #b42318; --partial: #f1f3f7;
  }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
         color: var(--ink); background: var(--page); }
  header.page { padding: 20px 28px 8px; }
  h1 { margin: 0 0 4px; font-size: 22px; }
  .meta { margin: 0; color: var(--muted); }
  .meta b { color: var(--ink); font-weight: 600; }
  .controls { margin: 14px 0 4px; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
  select { font: inherit; padding: 4px 8px; border: 1px solid #c5ccd6; border-radius: 6px; background: #fff; }
  .hint { color: var(--muted); font-size: 12px; }
  main { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; padding: 12px 28px 28px; }
  .card { background: var(--card); border: 1px solid #e1e5eb; border-radius: 10px; padding: 14px 16px 10px; }
  .card h2 { margin: 0; font-size: 15px; display: flex; justify-content: space-between; gap: 8px; }
  .card h2 .slice { color: var(--muted); font-weight: 400; font-size: 12px; }
  .kpi { display: flex; align-items: baseline; gap: 10px; margin: 6px 0 2px; flex-wrap: wrap; }
  .kpi .value { font-size: 26px; font-weight: 650; }
  .kpi .change { font-weight: 600; }
  .kpi .change.good { color: var(--good); } .kpi .change.bad { color: var(--bad); }
  .kpi .change.flat, .kpi .period { color: var(--muted); }
  svg.chart { width: 100%; height: auto; display: block; }
  svg .grid line { stroke: var(--grid); }
  svg .axis text { fill: var(--muted); font-size: 11px; }
  svg .series { fill: none; stroke: var(--line); stroke-width: 2.2; }
  svg .reference { fill: none; stroke: var(--ref); stroke-width: 1.6; stroke-dasharray: 5 4; }
  svg .point { fill: var(--line); }
  svg .point.partial { fill: #fff; stroke: var(--line); stroke-width: 1.8; }
  svg .running { fill: var(--partial); }
  svg .running-label { fill: var(--muted); font-size: 10px; }
  svg .empty { fill: var(--muted); font-size: 13px; }
  .definition { margin: 4px 0 0; color: var(--muted); font-size: 12.5px; }
  .note { margin: 4px 0 0; color: #8a5a00; font-size: 12px; }
  .legend { color: var(--muted); font-size: 12px; margin: 0; }
  .legend .swatch { display: inline-block; width: 18px; height: 0; border-top: 2px solid var(--line); vertical-align: middle; margin-right: 4px; }
  .legend .swatch.ref { border-top: 2px dashed var(--ref); margin-left: 10px; }
  footer { padding: 0 28px 24px; color: var(--muted); font-size: 12px; }
  #report-errors { background: #fde8e8; color: var(--bad); padding: 8px 28px; }
  #report-errors p { margin: 2px 0; font-family: ui-monospace, monospace; }
  @media print { .controls { display: none; } main { grid-template-columns: 1fr 1fr; } }
</style>
</head>
<body>
<header class="page">
  <h1>__TITLE__</h1>
  <p class="meta" id="meta">As of <b>__AS_OF__</b></p>
  <div class="controls">
    <label for="slice">Show</label>
    <select id="slice" aria-label="Slice of the metrics"></select>
    <span class="hint">Monthly values, UTC. Headline: the latest complete month with a value, against the month before. The shaded month is still running.</span>
  </div>
</header>
<main id="cards"></main>
<footer id="footer"></footer>
<noscript><p style="padding:0 28px">This report draws its charts with JavaScript; please enable it.</p></noscript>
<script type="application/json" id="report-data">__DATA__</script>
<script>
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var SVG = 'http://www.w3.org/2000/svg';
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  var W = 560, H = 220, PAD = { top: 16, right: 26, bottom: 30, left: 56 };
  var LABELS = { all: 'All', rep_id: 'Rep', lead_source: 'Lead source' };

  function el(name, attrs, parent, text) {
    var node = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function svg(name, attrs, parent, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function monthName(iso, long) {
    var parts = iso.split('-');
    return MONTHS[Number(parts[1]) - 1] + ' ' + (long ? parts[0] : "'" + parts[0].slice(2));
  }
  function number(v, digits) {
    return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function formatValue(metric, v, axis) {
    if (v === null || v === undefined) { return 'n/a'; }
    if (metric.kind === 'rate') { return number(v * 100, axis ? 0 : 1) + '%'; }
    if (metric.kind === 'count') { return number(v, 0); }
    return number(v, axis ? (Math.abs(v) >= 10 ? 0 : 1) : 1) + (metric.unit && !axis ? ' ' + metric.unit : '');
  }
  function niceStep(range) {
    var raw = range / 4, power = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) { if (steps[i] * power >= raw) { return steps[i] * power; } }
    return 10 * power;
  }
  function age(iso) {
    if (!iso) { return ''; }
    var hours = (Date.now() - Date.parse(iso + 'Z')) / 3600000;
    if (!isFinite(hours)) { return ''; }
    if (hours < 1) { return ' (under an hour ago)'; }
    if (hours < 48) { return ' (' + Math.round(hours) + ' h ago)'; }
    return ' (' + Math.round(hours / 24) + ' days ago)';
  }
  function stamp(iso) { return iso ? iso.replace('T', ' ').slice(0, 16) + ' UTC' : 'unknown'; }

  function sliceOf(key) {
    if (key === 'all') { return { dimension: 'all', value: '' }; }
    var at = key.indexOf('=');
    return { dimension: key.slice(0, at), value: key.slice(at + 1) };
  }

  function drawChart(parent, metric, points, reference, sliceLabel) {
    var months = data.months, n = months.length;
    var chart = svg('svg', { 'class': 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img',
                             'data-metric': metric.key, 'data-slice': sliceLabel,
                             'aria-label': metric.title + ' by month, ' + sliceLabel }, parent);
    var values = points.value, all = values.concat(reference ? reference.value : []);
    var present = all.filter(function (v) { return v !== null; });
    var innerW = W - PAD.left - PAD.right, innerH = H - PAD.top - PAD.bottom;
    function x(i) { return PAD.left + (n === 1 ? innerW / 2 : i * innerW / (n - 1)); }
    if (!present.length) {
      svg('text', { 'class': 'empty', x: W / 2, y: H / 2, 'text-anchor': 'middle' }, chart, 'No value yet (no mature cohort)');
      return chart;
    }
    var low = Math.min(0, Math.min.apply(null, present)), high = Math.max.apply(null, present);
    if (metric.kind === 'rate') { high = Math.min(1, Math.max(high, 0.05)); }
    if (high <= low) { high = low + 1; }
    var step = niceStep(high - low);
    low = Math.floor(low / step) * step; high = Math.ceil(high / step) * step;
    function y(v) { return PAD.top + innerH - (v - low) / (high - low) * innerH; }

    var running = data.running_month ? months.indexOf(data.running_month) : -1;
    if (running >= 0) {
      var half = n > 1 ? innerW / (n - 1) / 2 : innerW / 2;
      svg('rect', { 'class': 'running', x: x(running) - half, y: PAD.top, width: Math.min(2 * half, W - PAD.right - x(running) + half),
                    height: innerH }, chart);
      svg('text', { 'class': 'running-label', x: Math.min(x(running), W - PAD.right - 2), y: PAD.top - 4, 'text-anchor': 'end' },
          chart, 'month to date');
    }
    var grid = svg('g', { 'class': 'grid' }, chart), axis = svg('g', { 'class': 'axis' }, chart);
    for (var t = low; t <= high + step / 2; t += step) {
      svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(t), y2: y(t) }, grid);
      svg('text', { x: PAD.left - 6, y: y(t) + 4, 'text-anchor': 'end' }, axis, formatValue(metric, t, true));
    }
    var every = Math.max(1, Math.ceil(n / 8));
    for (var i = 0; i < n; i++) {
      if ((n - 1 - i) % every === 0) {
        svg('text', { x: x(i), y: H - PAD.bottom + 16, 'text-anchor': 'middle' }, axis, monthName(months[i], false));
      }
    }
    function line(series, cls) {
      var d = '', open = false;
      series.forEach(function (v, i) {
        if (v === null) { open = false; return; }
        d += (open ? ' L' : ' M') + x(i).toFixed(1) + ' ' + y(v).toFixed(1);
        open = true;
      });
      if (d) { svg('path', { 'class': cls, d: d.trim() }, chart); }
    }
    if (reference) { line(reference.value, 'reference'); }
    line(values, 'series');
    values.forEach(function (v, i) {
      if (v === null) { return; }
      var dot = svg('circle', { 'class': 'point' + (i === running ? ' partial' : ''), cx: x(i), cy: y(v), r: n > 24 ? 2.4 : 3.4 }, chart);
      var detail = monthName(months[i], true) + (i === running ? ' (month to date)' : '') + ': ' + formatValue(metric, v, false);
      var num = points.numerator[i], den = points.denominator[i];
      if (den !== null && num !== null) { detail += ' (' + number(num, num % 1 ? 1 : 0) + ' / ' + number(den, den % 1 ? 1 : 0) + ')'; }
      svg('title', {}, dot, detail);
    });
    return chart;
  }

  function drawCard(parent, metric, sliceKey) {
    var want = sliceOf(sliceKey), bySlice = data.series[metric.key] || {};
    var points = (bySlice[want.dimension] || {})[want.value], note = null;
    var label = want.dimension === 'all' ? 'All' : LABELS[want.dimension] + ' ' + want.value;
    if (!points) {
      points = (bySlice.all || {})[''];
      note = want.dimension === 'lead_source' && metric.dimensions.indexOf('lead_source') < 0
        ? 'This metric is not broken down by lead source: showing all.'
        : 'No data for ' + label + ': showing all.';
      label = 'All';
    }
    var card = el('section', { 'class': 'card', 'data-metric': metric.key }, parent);
    var h2 = el('h2', {}, card);
    el('span', {}, h2, metric.title);
    el('span', { 'class': 'slice' }, h2, label);
    var h = points ? points.headline : null, kpi = el('div', { 'class': 'kpi' }, card);
    el('span', { 'class': 'value' }, kpi, h ? h.value_text : 'n/a');
    if (h && h.change !== null) {
      var good = h.change === 0 ? 'flat' : ((h.change > 0) === (metric.better === 'up') ? 'good' : 'bad');
      el('span', { 'class': 'change ' + good }, kpi, (h.change > 0 ? '\u25B2 ' : h.change < 0 ? '\u25BC ' : '') + h.change_text);
    }
    el('span', { 'class': 'period' }, kpi, h && h.period
      ? monthName(h.period, true) + (h.to_date ? ' so far' : '') + (h.change !== null ? ' vs the month before' : '')
      : 'no month with a value yet');
    var reference = null;
    if (want.dimension !== 'all' && metric.kind !== 'count' && !note) {
      reference = (bySlice.all || {})[''] || null;
    }
    drawChart(card, metric, points || { value: [], numerator: [], denominator: [] }, reference, label);
    if (reference) {
      var legend = el('p', { 'class': 'legend' }, card);
      el('span', { 'class': 'swatch' }, legend);
      legend.appendChild(document.createTextNode(label));
      el('span', { 'class': 'swatch ref' }, legend);
      legend.appendChild(document.createTextNode('All'));
    }
    el('p', { 'class': 'definition' }, card, metric.definition);
    if (note) { el('p', { 'class': 'note' }, card, note); }
  }

  function render(sliceKey) {
    var cards = document.getElementById('cards');
    while (cards.firstChild) { cards.removeChild(cards.firstChild); }
    data.metrics.forEach(function (metric) { drawCard(cards, metric, sliceKey); });
    document.body.setAttribute('data-slice', sliceKey);
  }

  function options() {
    var select = document.getElementById('slice');
    el('option', { value: 'all' }, select, 'All reps and lead sources');
    ['rep_id', 'lead_source'].forEach(function (dimension) {
      var values = data.slices[dimension] || [];
      if (!values.length) { return; }
      var group = el('optgroup', { label: 'By ' + LABELS[dimension].toLowerCase() }, select);
      values.forEach(function (v) { el('option', { value: dimension + '=' + v }, group, LABELS[dimension] + ': ' + v); });
    });
    return select;
  }

  function header() {
    var c = data.context, meta = document.getElementById('meta');
    while (meta.firstChild) { meta.removeChild(meta.firstChild); }
    [['As of', stamp(c.as_of), ''],
     ['latest event', stamp(c.latest_occurred_at), age(c.latest_occurred_at)],
     ['last load', stamp(c.latest_loaded_at), age(c.latest_loaded_at)],
     ['published', stamp(c.published_at), age(c.published_at)]].forEach(function (part, i) {
      if (i) { meta.appendChild(document.createTextNode(' \u00B7 ')); }
      meta.appendChild(document.createTextNode(part[0] + ' '));
      el('b', {}, meta, part[1]);
      if (part[2]) { meta.appendChild(document.createTextNode(part[2])); }
    });
    document.getElementById('footer').textContent = 'Snapshot ' + (c.snapshot || 'n/a') + ' \u00B7 run ' +
      (c.run_id || 'n/a') + ' \u00B7 page generated ' + stamp(c.generated_at) +
      ' \u00B7 source: marts.metric_values of the published snapshot.';
  }

  var select = options();
  function fromHash() {
    var wanted = decodeURIComponent(location.hash.replace(/^#/, '')) || 'all';
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === wanted; });
    return known ? wanted : 'all';
  }
  select.addEventListener('change', function () {
    try {  // a shareable link to the slice; some browsers refuse it for file:// pages, which is fine
      history.replaceState(null, '', select.value === 'all' ? location.pathname : '#' + encodeURIComponent(select.value));
    } catch (ignored) { /* the slice is still shown */ }
    render(select.value);
  });
  window.addEventListener('hashchange', function () { select.value = fromHash(); render(select.value); });
  header();
  select.value = fromHash();
  render(select.value);
  document.body.setAttribute('data-render-status', 'ok');
})();
</script>
</body>
</html>
"""
