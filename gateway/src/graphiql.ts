/**
 * GraphiQL served entirely by the gateway: the page, its boot script and the vendor bundles
 * (react, react-dom, graphiql) read from the installed packages. It opens with the analysts' saved
 * operations, one tab each, and in development with a picker of development identities.
 */
import express, { type Router } from 'express';
import { todayInChina } from '../../subgraphs/kit/days.js';
import { analystOperations, type SavedOperation } from './analyst-operations.js';
import { IDENTITY_PICKER_JS } from './dev-identities.js';
import { contentSecurityPolicy, CSS, escapeHtml, FAVICON_SVG, JS, jsonForScript, MAP, packageDir, packageFile, pageHead, serveAssets, serveDailyPage, SVG, textAsset, type AnalystPageOptions, type Asset } from './static-assets.js';

export const GRAPHIQL_PATH = '/graphiql';
const ASSETS_PATH = `${GRAPHIQL_PATH}/assets`;

export interface GraphiqlOptions extends AnalystPageOptions {
  /** Where the analysts' dashboard is, linked from the page's bar. */
  dashboardPath?: string;
  title?: string;
  defaultQuery?: string;
  /** The saved operations, one tab each (default: the analysts'). */
  savedOperations?: SavedOperation[];
}

const DEFAULT_TITLE = 'Hutong 互通 — credential graph';

const DEFAULT_QUERY = `# Hutong 互通 — credential graph
# Run with Ctrl-Enter; field docs are behind the book icon.
# 按 Ctrl-Enter 运行；点击书本图标查看字段文档。
# The other tabs hold the analysts' saved operations. 其他标签页为分析人员预置的查询。

{
  regions {
    code
    name
  }
}
`;

/** The only names `/graphiql/assets/:name` answers; anything else (including `..`) is a 404. */
function vendorAssets(): Map<string, Asset> {
  const react = packageDir('react');
  const reactDom = packageDir('react-dom');
  const graphiql = packageDir('graphiql');
  return new Map([
    [`react-${react.version}.production.min.js`, packageFile(react.dir, 'umd/react.production.min.js', JS)],
    [`react-dom-${reactDom.version}.production.min.js`, packageFile(reactDom.dir, 'umd/react-dom.production.min.js', JS)],
    [`graphiql-${graphiql.version}.min.js`, packageFile(graphiql.dir, 'graphiql.min.js', JS)],
    [`graphiql-${graphiql.version}.min.css`, packageFile(graphiql.dir, 'graphiql.min.css', CSS)],
    // The bundles reference their source maps by these bare names; devtools fetch them from here.
    ['graphiql.min.js.map', { ...packageFile(graphiql.dir, 'graphiql.min.js.map', MAP), immutable: false }],
    ['graphiql.min.css.map', { ...packageFile(graphiql.dir, 'graphiql.min.css.map', MAP), immutable: false }],
  ]);
}

// Runs in the browser. Kept as a separate file so the CSP can forbid inline scripts altogether.
const BOOT_JS = `'use strict';
(function () {
  var config = JSON.parse(document.getElementById('hutong-graphiql-config').textContent);
  var url = new URL(config.graphqlPath, window.location.origin).href;
  var base = GraphiQL.createFetcher({ url: url });
  // The chosen development identity signs every request, unless the Headers tab names its own.
  function fetcher(params, options) {
    var own = (options && options.headers) || {};
    var headers = {};
    var token = window.HutongIdentity.token();
    var ownAuthorization = Object.keys(own).some(function (k) { return k.toLowerCase() === 'authorization'; });
    if (token && !ownAuthorization) headers.Authorization = 'Bearer ' + token;
    Object.keys(own).forEach(function (k) { headers[k] = own[k]; });
    return base(params, Object.assign({}, options, { headers: headers }));
  }
  function render() {
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher: fetcher,
        defaultQuery: config.defaultQuery,
        defaultTabs: config.tabs,
        isHeadersEditorEnabled: true,
        // Headers often carry credentials; keep them out of localStorage.
        shouldPersistHeaders: false,
      }),
    );
  }
  var picker = document.getElementById('hutong-identity');
  window.HutongIdentity.init(picker, config.devIdentitiesPath, 'analyst').then(
    function (offered) {
      document.getElementById('hutong-identity-field').hidden = !offered;
      render();
    },
    function (error) {
      document.getElementById('hutong-identity-note').textContent = String(error.message || error);
      render();
    },
  );
})();
`;

// No overflow:hidden on body: GraphiQL's dialogs measure the scrollbar there and log an error.
const PAGE_CSS = `html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; }
#hutong-bar { display: flex; gap: 1rem; align-items: center; padding: 0.35rem 1rem; font: 13px/1.4 "Noto Sans CJK SC", system-ui, sans-serif; background: #f6f1ef; border-bottom: 1px solid #e0d6d2; }
#hutong-bar strong { color: #b3261e; }
#hutong-bar select { max-width: 36rem; font: inherit; }
#hutong-bar a { margin-left: auto; color: #b3261e; }
#graphiql { flex: 1; min-height: 0; }
.hutong-noscript { font: 16px/1.5 system-ui, sans-serif; padding: 2rem; }
`;

function ownAssets(): Map<string, Asset> {
  return new Map([
    ['identity.js', textAsset(IDENTITY_PICKER_JS, JS)],
    ['boot.js', textAsset(BOOT_JS, JS)],
    ['hutong.css', textAsset(PAGE_CSS, CSS)],
    ['favicon.svg', textAsset(FAVICON_SVG, SVG)],
  ]);
}

interface PageConfig {
  graphqlPath: string;
  devIdentitiesPath: string | null;
  defaultQuery: string;
  tabs: { query: string; variables?: string }[];
}

function renderPage(title: string, dashboardPath: string | undefined, config: PageConfig, assets: { js: string[]; css: string[] }): Buffer {
  const js = assets.js.map((name) => `    <script src="${ASSETS_PATH}/${escapeHtml(name)}"></script>`).join('\n');
  const dashboardLink = dashboardPath ? `<a href="${escapeHtml(dashboardPath)}">数据看板 Dashboard</a>` : '';
  return Buffer.from(
    `${pageHead(title, ASSETS_PATH, assets.css)}  <body>
    <div id="hutong-bar">
      <strong>互通 Hutong</strong>
      <label id="hutong-identity-field" hidden>开发身份 Development identity <select id="hutong-identity"></select></label>
      <span id="hutong-identity-note" role="status"></span>
      ${dashboardLink}
    </div>
    <div id="graphiql"></div>
    <noscript><p class="hutong-noscript">GraphiQL needs JavaScript. 使用 GraphiQL 需要启用 JavaScript。</p></noscript>
    <script type="application/json" id="hutong-graphiql-config">${jsonForScript(config)}</script>
${js}
  </body>
</html>
`,
    'utf8',
  );
}

/** GraphiQL's tabs: the welcome query, then one per saved operation with its variables for today. */
export function savedTabs(defaultQuery: string, operations: SavedOperation[], today: string): PageConfig['tabs'] {
  return [
    { query: defaultQuery },
    ...operations.map((op) => (op.variables ? { query: op.query, variables: JSON.stringify(op.variables(today), null, 2) } : { query: op.query })),
  ];
}

/** Serves GraphiQL at `/graphiql` and its allow-listed assets under `/graphiql/assets/`. */
export function graphiqlRouter(options: GraphiqlOptions): Router {
  const title = options.title ?? DEFAULT_TITLE;
  const defaultQuery = options.defaultQuery ?? DEFAULT_QUERY;
  const operations = options.savedOperations ?? analystOperations;
  const today = options.today ?? (() => todayInChina());
  // Resolved now, so a missing package fails at startup rather than on the first page view.
  const vendor = vendorAssets();
  const names = [...vendor.keys()];
  const pick = (pattern: RegExp) => names.filter((n) => pattern.test(n));
  // Order matters: graphiql's bundle expects the React and ReactDOM globals to exist.
  const assetNames = {
    css: [...pick(/^graphiql-.*\.css$/), 'hutong.css'],
    js: [...pick(/^react-\d.*\.js$/), ...pick(/^react-dom-.*\.js$/), ...pick(/^graphiql-.*\.js$/), 'identity.js', 'boot.js'],
  };
  const router = express.Router({ strict: false, caseSensitive: true });
  serveDailyPage(router, GRAPHIQL_PATH, today, (day) => {
    const config: PageConfig = { graphqlPath: options.graphqlPath, devIdentitiesPath: options.devIdentitiesPath ?? null, defaultQuery, tabs: savedTabs(defaultQuery, operations, day) };
    return renderPage(title, options.dashboardPath, config, assetNames);
  }, contentSecurityPolicy(options.graphqlPath));
  serveAssets(router, ASSETS_PATH, new Map([...vendor, ...ownAssets()]));
  return router;
}
