/**
 * What the gateway's own pages (GraphiQL, the analysts' dashboard) share: allow-listed assets read
 * from installed packages and served with validators and gzip, HTML and JSON escaping, and a strict
 * content security policy. Nothing is fetched from another host: analysts' machines and many
 * government networks have no internet.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Request, Response, Router } from 'express';

export interface Asset {
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

export const JS = 'text/javascript; charset=utf-8';
export const CSS = 'text/css; charset=utf-8';
export const MAP = 'application/json; charset=utf-8';
export const SVG = 'image/svg+xml; charset=utf-8';

const require = createRequire(import.meta.url);

/** An installed package's folder and version (the version names its files, so they can be cached for good). */
export function packageDir(name: string): { dir: string; version: string } {
  const manifestPath = require.resolve(`${name}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string };
  return { dir: path.dirname(manifestPath), version: manifest.version };
}

export const packageFile = (dir: string, rel: string, contentType: string): Asset => ({ contentType, immutable: true, load: () => readFileSync(path.join(dir, rel)) });
export const textAsset = (body: string, contentType: string): Asset => ({ contentType, immutable: false, load: () => Buffer.from(body, 'utf8') });

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#b3261e"/><text x="32" y="46" font-size="40" text-anchor="middle" fill="#fff" font-family="sans-serif">互</text></svg>
`;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` are escaped so no value
 * can close the element or open a comment; U+2028/2029 for older JS parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Scripts only from this origin, never inline. Inline style elements are allowed: GraphiQL's dialogs
 * inject a scroll-lock `<style>` at runtime without a nonce that could be set.
 */
export function contentSecurityPolicy(graphqlPath: string): string {
  // A path stays on this origin; an absolute URL (a separate API host) must be allowed by name.
  const connect = /^https?:\/\//i.test(graphqlPath) ? `'self' ${new URL(graphqlPath).origin}` : "'self'";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    // GraphiQL's bundled fonts are data: URIs inside its CSS.
    "font-src 'self' data:",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

function setCommonHeaders(res: Response): void {
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('Referrer-Policy', 'no-referrer');
}

/** An HTML page under the policy; revalidated each time (res.send answers 304 itself when the validators match). */
export function sendPage(res: Response, page: Buffer, csp: string): void {
  setCommonHeaders(res);
  res.set('Content-Security-Policy', csp);
  res.set('Cache-Control', 'no-cache');
  res.set('ETag', etagOf(page));
  res.type('text/html; charset=utf-8');
  res.send(page);
}

/** The start of an analysts' page up to `<body>`: its title, favicon and style sheets, all from `assetsPath`. */
export function pageHead(title: string, assetsPath: string, css: string[]): string {
  const links = css.map((name) => `    <link rel="stylesheet" href="${assetsPath}/${escapeHtml(name)}" />`).join('\n');
  return `<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>${escapeHtml(title)}</title>
    <link rel="icon" type="image/svg+xml" href="${assetsPath}/favicon.svg" />
${links}
  </head>
`;
}

/** The options both analysts' pages take. */
export interface AnalystPageOptions {
  /** Where the GraphQL endpoint is, usually a path on this origin such as `/graphql`. */
  graphqlPath: string;
  /** Development only: where the development identities are listed (the picker is shown). */
  devIdentitiesPath?: string;
  /** Today, China date: the saved operations' figures look back from it. */
  today?: () => string;
}

/** Serves a page rendered once a day (China date), since the saved operations' dates move with it. */
export function serveDailyPage(router: Router, pagePath: string, today: () => string, render: (day: string) => Buffer, csp: string): void {
  let page: { day: string; body: Buffer } | undefined;
  router.get(pagePath, (_req, res) => {
    const day = today();
    if (page?.day !== day) page = { day, body: render(day) };
    sendPage(res, page.body, csp);
  });
}

/**
 * Serves exactly the named assets under `assetsPath/:name`; any other name (including `..`) is a
 * 404 answered here, so no later handler sees such paths. Bundles are read (and gzipped) on first
 * request, then kept: they are a few MB at most.
 */
export function serveAssets(router: Router, assetsPath: string, assets: Map<string, Asset>): void {
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
  const notFound = (_req: Request, res: Response) => void res.status(404).type('text/plain; charset=utf-8').send('Not found\n');

  router.get(`${assetsPath}/:name`, (req, res) => {
    const name = req.params.name as string;
    const asset = assets.get(name);
    if (!asset) return notFound(req, res);
    const entry = load(name, asset);
    setCommonHeaders(res);
    res.set('Content-Type', asset.contentType);
    res.set('Cache-Control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.set('Vary', 'Accept-Encoding');
    // Each encoding is its own representation, so each gets its own validator.
    if (entry.gzipped && /\bgzip\b/i.test(req.get('accept-encoding') ?? '')) {
      res.set('Content-Encoding', 'gzip');
      res.set('ETag', entry.etag.replace(/"$/, '-gz"'));
      res.send(entry.gzipped);
    } else {
      res.set('ETag', entry.etag);
      res.send(entry.body);
    }
  });
  router.use(assetsPath, notFound);
}
