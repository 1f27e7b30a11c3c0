/**
 * GraphiQL served entirely by the gateway: the page, its boot script and the vendor bundles
 * (react, react-dom, graphiql) read from the installed packages. The browser never contacts any
 * other host, because analysts' machines and many government networks have no internet.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import express, { type Request, type Response, type Router } from 'express';

export const GRAPHIQL_PATH = '/graphiql';
const ASSETS_PATH = `${GRAPHIQL_PATH}/assets`;

export interface GraphiqlOptions {
  /** Where the GraphQL endpoint is, usually a path on this origin such as `/graphql`. */
  graphqlPath: string;
  title?: string;
  defaultQuery?: string;
}

const DEFAULT_TITLE = 'Hutong 互通 — credential graph';

const DEFAULT_QUERY = `# Hutong 互通 — credential graph
# Run with Ctrl-Enter; field docs are behind the book icon.
# 按 Ctrl-Enter 运行；点击书本图标查看字段文档。

{
  regions {
    code
    name
  }
}
`;

interface Asset {
  contentType: string;
  /** Files named after their package version never change at that URL; the rest revalidate. */
  immutable: boolean;
  load(): Buffer;
}

interface LoadedAsset {
  body: Buffer;
  gzipped: Buffer | undefined;
  etag: string;
}

const require = createRequire(import.meta.url);

function packageDir(name: string): { dir: string; version: string } {
  const manifestPath = require.resolve(`${name}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string };
  return { dir: path.dirname(manifestPath), version: manifest.version };
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const MAP = 'application/json; charset=utf-8';

/** The only names `/graphiql/assets/:name` answers; anything else (including `..`) is a 404. */
function vendorAssets(): Map<string, Asset> {
  const react = packageDir('react');
  const reactDom = packageDir('react-dom');
  const graphiql = packageDir('graphiql');
  const file = (dir: string, rel: string, contentType: string): Asset => ({
    contentType,
    immutable: true,
    load: () => readFileSync(path.join(dir, rel)),
  });
  return new Map([
    [`react-${react.version}.production.min.js`, file(react.dir, 'umd/react.production.min.js', JS)],
    [`react-dom-${reactDom.version}.production.min.js`, file(reactDom.dir, 'umd/react-dom.production.min.js', JS)],
    [`graphiql-${graphiql.version}.min.js`, file(graphiql.dir, 'graphiql.min.js', JS)],
    [`graphiql-${graphiql.version}.min.css`, file(graphiql.dir, 'graphiql.min.css', CSS)],
    // The bundles reference their source maps by these bare names; devtools fetch them from here.
    ['graphiql.min.js.map', { ...file(graphiql.dir, 'graphiql.min.js.map', MAP), immutable: false }],
    ['graphiql.min.css.map', { ...file(graphiql.dir, 'graphiql.min.css.map', MAP), immutable: false }],
  ]);
}

// Runs in the browser. Kept as a separate file so the CSP can forbid inline scripts altogether.
const BOOT_JS = `'use strict';
(function () {
  var config = JSON.parse(document.getElementById('hutong-graphiql-config').textContent);
  var url = new URL(config.graphqlPath, window.location.origin).href;
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: url }),
      defaultQuery: config.defaultQuery,
      isHeadersEditorEnabled: true,
      // Headers often carry credentials; keep them out of localStorage.
      shouldPersistHeaders: false,
    }),
  );
})();
`;

// No overflow:hidden on body: GraphiQL's dialogs measure the scrollbar there and log an error.
const PAGE_CSS = `html, body { height: 100%; margin: 0; }
#graphiql { height: 100vh; }
.hutong-noscript { font: 16px/1.5 system-ui, sans-serif; padding: 2rem; }
`;

const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#b3261e"/><text x="32" y="46" font-size="40" text-anchor="middle" fill="#fff" font-family="sans-serif">互</text></svg>
`;

function ownAssets(): Map<string, Asset> {
  const text = (body: string, contentType: string): Asset => ({ contentType, immutable: false, load: () => Buffer.from(body, 'utf8') });
  return new Map([
    ['boot.js', text(BOOT_JS, JS)],
    ['hutong.css', text(PAGE_CSS, CSS)],
    ['favicon.svg', text(FAVICON_SVG, 'image/svg+xml; charset=utf-8')],
  ]);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` are escaped so no value
 * can close the element or open a comment; U+2028/2029 for older JS parsers.
 */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function connectSources(graphqlPath: string): string {
  // A path stays on this origin; an absolute URL (a separate API host) must be allowed by name.
  if (/^https?:\/\//i.test(graphqlPath)) return `'self' ${new URL(graphqlPath).origin}`;
  return "'self'";
}

function contentSecurityPolicy(graphqlPath: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // GraphiQL's dialogs inject a small scroll-lock <style> element at runtime without a nonce we
    // could set, so inline style elements are allowed; scripts stay strictly 'self'.
    "style-src 'self' 'unsafe-inline'",
    // The bundled fonts are data: URIs inside graphiql.min.css.
    "font-src 'self' data:",
    "img-src 'self' data:",
    `connect-src ${connectSources(graphqlPath)}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function renderPage(options: { title: string; graphqlPath: string; defaultQuery: string; assets: { js: string[]; css: string[] } }): string {
  const css = options.assets.css.map((name) => `    <link rel="stylesheet" href="${ASSETS_PATH}/${escapeHtml(name)}" />`).join('\n');
  const js = options.assets.js.map((name) => `    <script src="${ASSETS_PATH}/${escapeHtml(name)}"></script>`).join('\n');
  const config = jsonForScript({ graphqlPath: options.graphqlPath, defaultQuery: options.defaultQuery });
  return `<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>${escapeHtml(options.title)}</title>
    <link rel="icon" type="image/svg+xml" href="${ASSETS_PATH}/favicon.svg" />
${css}
  </head>
  <body>
    <div id="graphiql"></div>
    <noscript><p class="hutong-noscript">GraphiQL needs JavaScript. 使用 GraphiQL 需要启用 JavaScript。</p></noscript>
    <script type="application/json" id="hutong-graphiql-config">${config}</script>
${js}
  </body>
</html>
`;
}

function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

function acceptsGzip(req: Request): boolean {
  return /\bgzip\b/i.test(req.get('accept-encoding') ?? '');
}

function setCommonHeaders(res: Response): void {
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('Referrer-Policy', 'no-referrer');
}

/** Serves GraphiQL at `/graphiql` and its allow-listed assets under `/graphiql/assets/`. */
export function graphiqlRouter(options: GraphiqlOptions): Router {
  const title = options.title ?? DEFAULT_TITLE;
  const defaultQuery = options.defaultQuery ?? DEFAULT_QUERY;
  // Resolved now, so a missing package fails at startup rather than on the first page view.
  const vendor = vendorAssets();
  const assets = new Map([...vendor, ...ownAssets()]);
  const names = [...vendor.keys()];
  const pick = (pattern: RegExp) => names.filter((n) => pattern.test(n));
  // Order matters: graphiql's bundle expects the React and ReactDOM globals to exist.
  const page = Buffer.from(
    renderPage({
      title,
      graphqlPath: options.graphqlPath,
      defaultQuery,
      assets: {
        css: [...pick(/^graphiql-.*\.css$/), 'hutong.css'],
        js: [...pick(/^react-\d.*\.js$/), ...pick(/^react-dom-.*\.js$/), ...pick(/^graphiql-.*\.js$/), 'boot.js'],
      },
    }),
    'utf8',
  );
  const pageEtag = etagOf(page);
  const csp = contentSecurityPolicy(options.graphqlPath);

  // Bundles are read (and gzipped) on first request, then kept: they are a few MB at most.
  const loaded = new Map<string, LoadedAsset>();
  const load = (name: string, asset: Asset): LoadedAsset => {
    let entry = loaded.get(name);
    if (!entry) {
      const body = asset.load();
      const gzipped = body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined;
      entry = { body, gzipped, etag: etagOf(body) };
      loaded.set(name, entry);
    }
    return entry;
  };

  const router = express.Router({ strict: false, caseSensitive: true });

  router.get(GRAPHIQL_PATH, (_req, res) => {
    setCommonHeaders(res);
    res.set('Content-Security-Policy', csp);
    res.set('Cache-Control', 'no-cache');
    res.set('ETag', pageEtag);
    res.type('text/html; charset=utf-8');
    // res.send answers 304 itself when the request's validators match.
    res.send(page);
  });

  router.get(`${ASSETS_PATH}/:name`, (req, res) => {
    const name = req.params.name;
    const asset = assets.get(name);
    if (!asset) {
      res.status(404).type('text/plain; charset=utf-8').send('Not found\n');
      return;
    }
    const entry = load(name, asset);
    setCommonHeaders(res);
    res.set('Content-Type', asset.contentType);
    res.set('Cache-Control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.set('Vary', 'Accept-Encoding');
    // Each encoding is its own representation, so each gets its own validator.
    if (entry.gzipped && acceptsGzip(req)) {
      res.set('Content-Encoding', 'gzip');
      res.set('ETag', entry.etag.replace(/"$/, '-gz"'));
      res.send(entry.gzipped);
    } else {
      res.set('ETag', entry.etag);
      res.send(entry.body);
    }
  });

  // Nothing else under the assets path exists; answer here so no later handler sees such paths.
  router.use(ASSETS_PATH, (_req, res) => {
    res.status(404).type('text/plain; charset=utf-8').send('Not found\n');
  });

  return router;
}
