/**
 * The analysts' dashboard at `/dashboard`: the recognition matrix and the verification trends drawn
 * with ECharts, bundled from the installed package. The page holds no data: it asks `/graphql` with
 * the analyst's own token (in development, a picked development identity), running the same saved
 * operations GraphiQL opens with, so the figures keep their suppression of small cells.
 */
import express, { type Router } from 'express';
import { todayInChina } from '../../subgraphs/kit/days.js';
import { RECOGNITION_MATRIX, TREND_DAYS, VERIFICATION_TRENDS } from './analyst-operations.js';
import { IDENTITY_PICKER_JS } from './dev-identities.js';
import { contentSecurityPolicy, CSS, escapeHtml, FAVICON_SVG, JS, jsonForScript, packageDir, packageFile, pageHead, serveAssets, serveDailyPage, SVG, textAsset, type AnalystPageOptions, type Asset } from './static-assets.js';

export const DASHBOARD_PATH = '/dashboard';
const ASSETS_PATH = `${DASHBOARD_PATH}/assets`;

export interface DashboardOptions extends AnalystPageOptions {
  /** Linked from the page when GraphiQL is served. */
  graphiqlPath?: string;
}

// Runs in the browser: reads the figures through /graphql and draws them.
const DASHBOARD_JS = `'use strict';
(function () {
  var config = JSON.parse(document.getElementById('hutong-dashboard-config').textContent);
  var FONT = '"Noto Sans CJK SC", "Noto Sans CJK", system-ui, sans-serif';
  var VERDICTS = [
    { code: 'ACCEPTED', label: '通过 accepted', color: '#2e7d32' },
    { code: 'REJECTED', label: '拒绝 rejected', color: '#c62828' },
    { code: 'NOT_RECOGNISED', label: '未互认 not recognised', color: '#f9a825' },
    { code: 'INDETERMINATE', label: '无法确定 indeterminate', color: '#607d8b' },
  ];
  var status = document.getElementById('status');
  var scenarioSelect = document.getElementById('scenario');
  var tokenInput = document.getElementById('token');
  var matrixChart = echarts.init(document.getElementById('matrix'), null, { renderer: 'canvas' });
  var trendChart = echarts.init(document.getElementById('trends'), null, { renderer: 'canvas' });
  window.addEventListener('resize', function () { matrixChart.resize(); trendChart.resize(); });

  function token() {
    return window.HutongIdentity.token() || tokenInput.value.trim().replace(/^Bearer\\s+/i, '');
  }

  function graphql(query, variables) {
    var headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
    var t = token();
    if (t) headers.authorization = 'Bearer ' + t;
    return fetch(config.graphqlPath, { method: 'POST', headers: headers, body: JSON.stringify({ query: query, variables: variables }) })
      .then(function (res) { return res.json(); })
      .then(function (body) {
        if (body.errors && body.errors.length) {
          var e = body.errors[0];
          throw new Error((e.extensions && e.extensions.code ? e.extensions.code + ': ' : '') + e.message);
        }
        return body.data;
      });
  }

  function setState(state, message) {
    document.body.dataset.state = state;
    status.textContent = message;
  }

  function drawMatrix(regions, cells) {
    var index = {};
    regions.forEach(function (r, i) { index[r.code] = i; });
    // One value per accepting × issuing region: the accepted combinations of province, scenario and type.
    var counts = {};
    cells.forEach(function (c) {
      var key = index[c.issuingRegion.code] + ',' + index[c.acceptingRegion.code];
      counts[key] = (counts[key] || 0) + 1;
    });
    var data = Object.keys(counts).map(function (key) {
      var xy = key.split(',').map(Number);
      return [xy[0], xy[1], counts[key]];
    });
    var max = data.reduce(function (m, d) { return Math.max(m, d[2]); }, 1);
    var names = regions.map(function (r) { return r.nameZh; });
    matrixChart.setOption({
      animation: false,
      textStyle: { fontFamily: FONT },
      title: { text: '互认矩阵 Recognition matrix', subtext: '接受的证照类型 × 签发省份 × 场景组合数 (accepted type × province × scenario)', left: 'center', textStyle: { fontFamily: FONT } },
      tooltip: { position: 'top', formatter: function (p) { return names[p.value[1]] + ' 接受 ' + names[p.value[0]] + ' 签发：' + p.value[2]; } },
      grid: { top: 80, left: 120, right: 40, bottom: 90 },
      xAxis: { type: 'category', data: names, name: '签发地区 issuing', nameLocation: 'middle', nameGap: 32, splitArea: { show: true } },
      yAxis: { type: 'category', data: names, name: '核验地区 accepting', nameLocation: 'middle', nameGap: 100, splitArea: { show: true } },
      visualMap: { min: 0, max: max, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, inRange: { color: ['#fde7e4', '#b3261e'] }, textStyle: { fontFamily: FONT } },
      series: [{ type: 'heatmap', data: data, label: { show: true, fontFamily: FONT } }],
    }, true);
    return cells.length;
  }

  function drawTrends(figures) {
    var days = [];
    var d = new Date(config.trend.from + 'T00:00:00Z');
    var end = new Date(config.trend.to + 'T00:00:00Z');
    for (; d <= end; d = new Date(d.getTime() + 86400000)) days.push(d.toISOString().slice(0, 10));
    var total = 0;
    var suppressed = 0;
    var byVerdict = {};
    VERDICTS.forEach(function (v) { byVerdict[v.code] = days.map(function () { return 0; }); });
    figures.forEach(function (f) {
      if (f.suppressed || f.count === null) { suppressed += 1; return; }
      var i = days.indexOf(f.day);
      if (i >= 0 && byVerdict[f.verdict]) { byVerdict[f.verdict][i] += f.count; total += f.count; }
    });
    trendChart.setOption({
      animation: false,
      textStyle: { fontFamily: FONT },
      title: { text: '核验趋势 Verifications per day', subtext: '近 ' + days.length + ' 天（北京时间）；' + suppressed + ' 个小于阈值的单元格未计入 (suppressed cells not counted)', left: 'center', textStyle: { fontFamily: FONT } },
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0, textStyle: { fontFamily: FONT } },
      grid: { top: 80, left: 60, right: 40, bottom: 70 },
      xAxis: { type: 'category', data: days.map(function (day) { return day.slice(5); }) },
      yAxis: { type: 'value', minInterval: 1 },
      series: VERDICTS.map(function (v) {
        return { name: v.label, type: 'bar', stack: 'verdict', itemStyle: { color: v.color }, data: byVerdict[v.code] };
      }),
    }, true);
    return { total: total, suppressed: suppressed };
  }

  var regionsAndScenarios = null;
  function load() {
    var scenario = scenarioSelect.value || null;
    setState('loading', '加载中… Loading…');
    var first = regionsAndScenarios || graphql('{ regions { code nameZh } scenarios { code nameZh } }', {}).then(function (data) {
      data.scenarios.forEach(function (s) {
        var option = document.createElement('option');
        option.value = s.code;
        option.textContent = s.nameZh + ' (' + s.code + ')';
        scenarioSelect.appendChild(option);
      });
      return data;
    });
    regionsAndScenarios = first;
    return first
      .then(function (reference) {
        return Promise.all([
          graphql(config.matrixQuery, { scenario: scenario }),
          graphql(config.trendQuery, { from: config.trend.from, to: config.trend.to, scenario: scenario }),
        ]).then(function (results) {
          var cells = drawMatrix(reference.regions, results[0].recognitionMatrix);
          var trend = drawTrends(results[1].verificationFigures);
          document.body.dataset.matrixCells = String(cells);
          document.body.dataset.verifications = String(trend.total);
          document.body.dataset.suppressedCells = String(trend.suppressed);
          setState('ready', '互认规则单元格 ' + cells + ' 个；近 ' + config.trend.days + ' 天核验 ' + trend.total + ' 次。 ' + cells + ' matrix cells; ' + trend.total + ' verifications counted.');
        });
      })
      .catch(function (error) {
        regionsAndScenarios = null;
        setState('error', '无法加载 Could not load: ' + (error && error.message ? error.message : String(error)));
      });
  }

  scenarioSelect.addEventListener('change', load);
  document.getElementById('load').addEventListener('click', function () {
    try { sessionStorage.setItem('hutong.dashboard.token', tokenInput.value); } catch (e) { /* storage may be off */ }
    load();
  });
  window.HutongIdentity.onChange(function () { if (document.body.dataset.state) load(); });
  window.HutongIdentity.init(document.getElementById('identity'), config.devIdentitiesPath, 'analyst').then(
    function (offered) {
      document.getElementById('identity-field').hidden = !offered;
      document.getElementById('token-field').hidden = offered;
      if (!offered) {
        try { tokenInput.value = sessionStorage.getItem('hutong.dashboard.token') || ''; } catch (e) { /* storage may be off */ }
        if (!tokenInput.value) { setState('needs-token', '请粘贴分析人员令牌 Paste an analyst token.'); return; }
      }
      load();
    },
    function (error) { setState('error', String(error.message || error)); },
  );
})();
`;

const DASHBOARD_CSS = `html, body { margin: 0; background: #faf7f6; color: #222; font: 14px/1.5 "Noto Sans CJK SC", "Noto Sans CJK", system-ui, sans-serif; }
header { display: flex; flex-wrap: wrap; gap: 0.75rem 1.25rem; align-items: center; padding: 0.6rem 1.25rem; background: #fff; border-bottom: 2px solid #b3261e; }
header h1 { margin: 0; font-size: 18px; color: #b3261e; }
header select, header input, header button { font: inherit; }
header a { margin-left: auto; color: #b3261e; }
#status { padding: 0.4rem 1.25rem; color: #555; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; padding: 0 1.25rem 1.25rem; }
.chart { height: 460px; background: #fff; border: 1px solid #e6dcd8; border-radius: 6px; }
@media (max-width: 1100px) { main { grid-template-columns: 1fr; } }
`;

function dashboardAssets(): Map<string, Asset> {
  const echarts = packageDir('echarts');
  return new Map([
    [`echarts-${echarts.version}.min.js`, packageFile(echarts.dir, 'dist/echarts.min.js', JS)],
    ['identity.js', textAsset(IDENTITY_PICKER_JS, JS)],
    ['dashboard.js', textAsset(DASHBOARD_JS, JS)],
    ['dashboard.css', textAsset(DASHBOARD_CSS, CSS)],
    ['favicon.svg', textAsset(FAVICON_SVG, SVG)],
  ]);
}

function renderPage(config: object, scripts: string[], graphiqlPath: string | undefined): Buffer {
  const js = scripts.map((name) => `    <script src="${ASSETS_PATH}/${escapeHtml(name)}"></script>`).join('\n');
  const graphiqlLink = graphiqlPath ? `<a href="${escapeHtml(graphiqlPath)}">GraphiQL</a>` : '';
  return Buffer.from(
    `${pageHead("互通 数据看板 — Hutong analysts' dashboard", ASSETS_PATH, ['dashboard.css'])}  <body>
    <header>
      <h1>互通 数据看板 <small>Analysts' dashboard</small></h1>
      <label id="identity-field" hidden>开发身份 Development identity <select id="identity"></select></label>
      <label id="token-field" hidden>令牌 Token <input id="token" type="password" autocomplete="off" size="28" /></label>
      <button id="load" type="button">加载 Load</button>
      <label>场景 Scenario <select id="scenario"><option value="">全部场景 All scenarios</option></select></label>
      ${graphiqlLink}
    </header>
    <p id="status" role="status">需要 JavaScript。 Needs JavaScript.</p>
    <main>
      <div id="matrix" class="chart" aria-label="互认矩阵 Recognition matrix"></div>
      <div id="trends" class="chart" aria-label="核验趋势 Verification trends"></div>
    </main>
    <script type="application/json" id="hutong-dashboard-config">${jsonForScript(config)}</script>
${js}
  </body>
</html>
`,
    'utf8',
  );
}

/** Serves the dashboard at `/dashboard` and its allow-listed assets (ECharts among them) under `/dashboard/assets/`. */
export function dashboardRouter(options: DashboardOptions): Router {
  const today = options.today ?? (() => todayInChina());
  const assets = dashboardAssets();
  const scripts = [...assets.keys()].filter((n) => n.endsWith('.js'));
  const router = express.Router({ strict: false, caseSensitive: true });
  // The trends end today, so the page is rendered once a day.
  serveDailyPage(router, DASHBOARD_PATH, today, (day) => {
    const trend = VERIFICATION_TRENDS.variables!(day) as { from: string; to: string };
    const config = {
      graphqlPath: options.graphqlPath,
      devIdentitiesPath: options.devIdentitiesPath ?? null,
      matrixQuery: RECOGNITION_MATRIX.query,
      trendQuery: VERIFICATION_TRENDS.query,
      trend: { ...trend, days: TREND_DAYS },
    };
    return renderPage(config, scripts, options.graphiqlPath);
  }, contentSecurityPolicy(options.graphqlPath));
  serveAssets(router, ASSETS_PATH, assets);
  return router;
}
