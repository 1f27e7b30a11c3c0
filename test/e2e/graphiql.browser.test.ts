/**
 * GraphiQL and the analysts' dashboard in a real browser against the whole stack: the pages must
 * render, run their operations against the live graph and do it without a single request leaving
 * the gateway's origin, since the machines they run on have no internet. The dashboard's charts
 * are checked on the screenshot itself, pixel by pixel.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECOGNITION_MATRIX } from '../../gateway/src/analyst-operations.js';
import { analystToken } from '../support/identities.js';
import { startStack, TEST_SEED_COUNT } from '../support/stack.js';
import { presentAndVerify, seeded, verifierNamed } from '../support/verification.js';

const CHROMIUM = '/usr/bin/chromium';
const MISSING = `Chromium is not at ${CHROMIUM}: install Debian's chromium: apt-get install -y chromium`;
const hasChromium = existsSync(CHROMIUM);
const requireBrowser = process.env.HUTONG_REQUIRE_BROWSER === '1';
if (!hasChromium && !requireBrowser) {
  console.warn(`Skipping the GraphiQL browser test. ${MISSING} (HUTONG_REQUIRE_BROWSER=1 makes this a failure).`);
}

const QUERY = '{ regions { code name } }';
const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const RESPONSE_EDITOR = '.graphiql-response .CodeMirror';

/**
 * A proxy that refuses everything and remembers what was asked. Chromium sends it every request
 * that is not for loopback, so it also sees traffic the page's own request events would not show.
 */
async function startTrapProxy(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(403).end();
  });
  server.on('connect', (req, socket) => {
    seen.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Debian's Chromium phones its own services (extension updates, sign-in, autofill, clock) from
 * any page, even about:blank, whatever the flags; that is the browser, not the page. Font hosts
 * are deliberately not excused: a font pulled from outside is exactly the leak this test hunts.
 */
function isBrowserHousekeeping(proxied: string): boolean {
  const target = proxied.split(' ')[1] ?? '';
  const host = (target.includes('://') ? new URL(target).hostname : target.replace(/:\d+$/, '')).toLowerCase();
  if (host === 'fonts.googleapis.com' || host === 'fonts.gstatic.com') return false;
  return /(^|\.)(google\.com|googleapis\.com|gvt1\.com|gvt2\.com)$/.test(host);
}

/** The text of one of GraphiQL's CodeMirror editors, read through CodeMirror's own API. */
function editorValue(page: Page, selector: string): Promise<string> {
  return page.evaluate<string>(`document.querySelector(${JSON.stringify(selector)})?.CodeMirror?.getValue() ?? ''`);
}

/**
 * Polled from Node: page.waitForFunction polls with eval inside the page, which the pages' CSP
 * forbids (page.evaluate goes through the debugging protocol and is not subject to it).
 */
async function until<T>(page: Page, expression: string, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await page.evaluate<T>(expression);
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} within 30 s (last seen: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pixels of a PNG inside a box whose colour is within `tolerance` of `rgb` (each channel). */
function pixelsNear(png: PNG, box: { x: number; y: number; width: number; height: number }, rgb: [number, number, number], tolerance = 24): number {
  let n = 0;
  for (let y = Math.max(0, Math.floor(box.y)); y < Math.min(png.height, box.y + box.height); y++) {
    for (let x = Math.max(0, Math.floor(box.x)); x < Math.min(png.width, box.x + box.width); x++) {
      const i = (png.width * y + x) * 4;
      if (Math.abs(png.data[i]! - rgb[0]) <= tolerance && Math.abs(png.data[i + 1]! - rgb[1]) <= tolerance && Math.abs(png.data[i + 2]! - rgb[2]) <= tolerance) n++;
    }
  }
  return n;
}

describe.skipIf(!hasChromium && !requireBrowser)('GraphiQL and the dashboard served by the gateway, in Chromium', () => {
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  let proxy: Awaited<ReturnType<typeof startTrapProxy>> | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!hasChromium) throw new Error(MISSING);
    proxy = await startTrapProxy();
    // Cells under three verifications are suppressed, so two library entries stay hidden.
    stack = await startStack({ devIdentities: true, subgraphEnv: { HUTONG_FIGURES_MIN_CELL: '3' } });
    const shanghaiHotel = verifierNamed('上海外滩江景酒店有限公司');
    const eid = seeded('yangtze-delta', TEST_SEED_COUNT, { type: 'e-id', province: '32' });
    for (let i = 0; i < 3; i++) await presentAndVerify(stack, eid, shanghaiHotel, 'hotel-check-in');
    const card = seeded('chengdu-chongqing', TEST_SEED_COUNT, { type: 'e-social-security-card', province: '51' });
    for (let i = 0; i < 2; i++) await presentAndVerify(stack, card, verifierNamed('重庆图书馆'), 'library-entry');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--proxy-server=${proxy.url}`,
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await stack?.stop();
    await proxy?.close();
  }, 60_000);

  /**
   * A page in a context of its own, with every request (workers' too) and every problem recorded:
   * console errors (CSP violations land there), page errors, failed loads and error responses.
   */
  async function watchedPage() {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    const proxiedBefore = proxy!.seen.length;
    context.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
    page.on('websocket', (ws) => requests.push(`WEBSOCKET ${ws.url()}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()} (${request.failure()?.errorText})`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
    const gatewayOrigin = new URL(stack!.gatewayUrl).origin;
    return {
      page,
      requests,
      problems,
      /** Requests that touched the network (data: and blob: URLs never do). */
      network: () => requests.filter((r) => !/^\S+ (data|blob):/.test(r)),
      /** Requests for anything but the gateway, seen by the page or by the trap proxy. */
      outside: () => [
        ...requests.filter((r) => !/^\S+ (data|blob):/.test(r)).filter((r) => new URL(r.slice(r.indexOf(' ') + 1)).origin !== gatewayOrigin),
        ...proxy!.seen.slice(proxiedBefore).filter((r) => !isBrowserHousekeeping(r)),
      ],
      close: () => context.close(),
    };
  }

  it('runs a query against the live graph without contacting any other host', async () => {
    const gatewayOrigin = new URL(stack!.gatewayUrl).origin;
    const { page, problems, network, outside, close } = await watchedPage();

    const response = await page.goto(`${stack!.gatewayUrl}/graphiql`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(await page.title()).toContain('互通');

    await page.locator(QUERY_EDITOR).waitFor({ state: 'visible', timeout: 30_000 });

    // Replace whatever the editor holds, as an analyst pasting a query would.
    await page.locator(QUERY_EDITOR).click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(QUERY);
    expect(await editorValue(page, QUERY_EDITOR)).toBe(QUERY);

    await page.locator('.graphiql-execute-button').click();
    await until<string>(page, `document.querySelector(${JSON.stringify(RESPONSE_EDITOR)})?.CodeMirror?.getValue() ?? ''`, (v) => v.includes('"regions"'), 'GraphiQL showed no result');

    // (a) The result pane shows live data, both on screen and in the editor's content.
    const shown = await page.locator('.graphiql-response').innerText();
    expect(shown).toContain('"regions"');
    expect(shown).toContain('yangtze-delta');
    const result = JSON.parse(await editorValue(page, RESPONSE_EDITOR)) as {
      data?: { regions?: { code: string; name: string }[] };
      errors?: unknown[];
    };
    expect(result.errors).toBeUndefined();
    expect(result.data?.regions?.map((r) => r.code)).toContain('yangtze-delta');

    const screenshot = path.join(os.tmpdir(), `hutong-graphiql-${Date.now()}.png`);
    await page.screenshot({ path: screenshot });
    console.log(`GraphiQL screenshot: ${screenshot}`);

    // (b) Every request the page made went to the gateway itself.
    expect(outside()).toEqual([]);
    // The recording works: the vendor bundles and the query itself were seen.
    expect(network().some((r) => r.startsWith(`GET ${gatewayOrigin}/graphiql/assets/graphiql-`))).toBe(true);
    expect(network().some((r) => r === `POST ${gatewayOrigin}/graphql`)).toBe(true);

    // (c) No console errors (CSP violations land here too), failed loads or error responses.
    expect(problems).toEqual([]);
    await close();
  }, 60_000);

  it('opens with the analysts’ saved operations as tabs and runs them as the picked development identity', async () => {
    const { page, problems, outside, close } = await watchedPage();
    await page.goto(`${stack!.gatewayUrl}/graphiql`, { waitUntil: 'load' });
    await page.locator(QUERY_EDITOR).waitFor({ state: 'visible', timeout: 30_000 });
    const tabs = (await page.locator('.graphiql-tab').allInnerTexts()).map((t) => t.trim());
    expect(tabs.slice(1)).toEqual(['CredentialFigures', 'VerificationTrends', 'RecognitionMatrix', 'DisputeFigures', 'UsageRelayBacklog']);
    // The picker offers the development identities and starts on the analyst.
    await until<number>(page, `document.querySelectorAll('#hutong-identity option').length`, (n) => n > 5, 'the identity picker was not filled');
    expect(await page.locator('#hutong-identity').inputValue()).toBe('analyst');

    await page.locator('.graphiql-tab', { hasText: 'VerificationTrends' }).click();
    expect(await editorValue(page, QUERY_EDITOR)).toContain('query VerificationTrends(');
    await page.locator('.graphiql-execute-button').click();
    const text = await until<string>(page, `document.querySelector(${JSON.stringify(RESPONSE_EDITOR)})?.CodeMirror?.getValue() ?? ''`, (v) => v.includes('"verificationFigures"') || v.includes('"errors"'), 'GraphiQL showed no result');
    const result = JSON.parse(text) as { data?: { verificationFigures: { scenario: { code: string }; count: number | null; suppressed: boolean }[] }; errors?: unknown[] };
    expect(result.errors).toBeUndefined();
    const byScenario = Object.fromEntries(result.data!.verificationFigures.map((f) => [f.scenario.code, { count: f.count, suppressed: f.suppressed }]));
    expect(byScenario).toEqual({ 'hotel-check-in': { count: 3, suppressed: false }, 'library-entry': { count: null, suppressed: true } });

    // Another identity is another caller: a holder may not read the analysts' figures.
    await page.locator('#hutong-identity').selectOption('holder');
    await page.locator('.graphiql-execute-button').click();
    await until<string>(page, `document.querySelector(${JSON.stringify(RESPONSE_EDITOR)})?.CodeMirror?.getValue() ?? ''`, (v) => v.includes('FORBIDDEN'), 'the holder was not refused');
    // The refusal is a 403 by design; it is the only error response allowed.
    expect(problems.filter((p) => !/^(HTTP 403: .*\/graphql|console: Failed to load resource: .* 403)/.test(p))).toEqual([]);
    expect(outside()).toEqual([]);
    await close();
  }, 60_000);

  it('draws the recognition matrix and the verification trends, in Chinese, from the live figures', async () => {
    const fontFamily = execFileSync('fc-match', ['-f', '%{family}', 'Noto Sans CJK SC']).toString();
    expect(fontFamily, "Chinese text needs Debian's fonts-noto-cjk (apt-get install -y fonts-noto-cjk)").toContain('Noto Sans CJK SC');

    const { page, problems, network, outside, close } = await watchedPage();
    const response = await page.goto(`${stack!.gatewayUrl}/dashboard`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe("互通 数据看板 — Hutong analysts' dashboard");
    const state = await until<string | undefined>(page, 'document.body.dataset.state', (s) => s === 'ready' || s === 'error' || s === 'needs-token', 'the dashboard did not load');
    expect(state, await page.locator('#status').innerText()).toBe('ready');
    expect(await page.locator('#identity').inputValue()).toBe('analyst');

    const matrix = await stack!.query(RECOGNITION_MATRIX.query, { scenario: null }, { token: await analystToken(stack!) });
    expect(matrix.body.errors).toBeUndefined();
    const data = await page.evaluate<Record<string, string>>('({ ...document.body.dataset })');
    expect(data).toEqual({ state: 'ready', matrixCells: String(matrix.body.data.recognitionMatrix.length), verifications: '3', suppressedCells: '1' });
    expect(Number(data.matrixCells)).toBeGreaterThan(10);
    expect(await page.locator('#status').innerText()).toContain('近 30 天核验 3 次');

    // The charts are canvases: what they drew is read off the screenshot.
    const file = path.join(os.tmpdir(), `hutong-dashboard-${Date.now()}.png`);
    await page.screenshot({ path: file });
    console.log(`Dashboard screenshot: ${file}`);
    const png = PNG.sync.read(readFileSync(file));
    const matrixBox = (await page.locator('#matrix').boundingBox())!;
    const trendsBox = (await page.locator('#trends').boundingBox())!;
    // Inside each chart's plotting grid (the margins set in the page's options), away from legends.
    const matrixGrid = { x: matrixBox.x + 120, y: matrixBox.y + 80, width: matrixBox.width - 160, height: matrixBox.height - 170 };
    const trendsGrid = { x: trendsBox.x + 60, y: trendsBox.y + 80, width: trendsBox.width - 100, height: trendsBox.height - 150 };
    // The most accepted combination is drawn in the scale's darkest red; the hotel's three
    // accepted check-ins in one bar of the accepted green, and no red, yellow or grey bar.
    expect(pixelsNear(png, matrixGrid, [0xb3, 0x26, 0x1e])).toBeGreaterThan(1000);
    expect(pixelsNear(png, trendsGrid, [0x2e, 0x7d, 0x32], 12)).toBeGreaterThan(500);
    expect(pixelsNear(png, trendsGrid, [0xc6, 0x28, 0x28], 12)).toBe(0);
    expect(pixelsNear(png, trendsGrid, [0xf9, 0xa8, 0x25], 12)).toBe(0);

    // Choosing a scenario redraws both charts for it alone.
    await page.locator('#scenario').selectOption('library-entry');
    await until<string | undefined>(page, 'document.body.dataset.verifications', (v) => v === '0', 'the dashboard did not redraw for library entry');
    expect(await page.evaluate<string | undefined>('document.body.dataset.suppressedCells')).toBe('1');

    expect(network().some((r) => /^GET \S+\/dashboard\/assets\/echarts-[\d.]+\.min\.js$/.test(r))).toBe(true);
    expect(outside()).toEqual([]);
    expect(problems).toEqual([]);
    await close();
  }, 90_000);
});
