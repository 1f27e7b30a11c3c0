/**
 * GraphiQL in a real browser against the whole stack: the page must render, run a query against
 * the live graph and do it without a single request leaving the gateway's origin, since the
 * machines it runs on have no internet.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.js';

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

describe.skipIf(!hasChromium && !requireBrowser)('GraphiQL served by the gateway, in Chromium', () => {
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  let proxy: Awaited<ReturnType<typeof startTrapProxy>> | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    if (!hasChromium) throw new Error(MISSING);
    proxy = await startTrapProxy();
    stack = await startStack();
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
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
  }, 60_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await stack?.stop();
    await proxy?.close();
  }, 60_000);

  it('runs a query against the live graph without contacting any other host', async () => {
    const gatewayOrigin = new URL(stack!.gatewayUrl).origin;
    const page = await context!.newPage();

    // Recorded on the context so requests from workers the page might start count too.
    const requests: string[] = [];
    const problems: string[] = [];
    context!.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
    page.on('websocket', (ws) => requests.push(`WEBSOCKET ${ws.url()}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()} (${request.failure()?.errorText})`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });

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
    // Polled from here: page.waitForFunction polls with eval inside the page, which the CSP forbids.
    const deadline = Date.now() + 30_000;
    while (!(await editorValue(page, RESPONSE_EDITOR)).includes('"regions"')) {
      if (Date.now() > deadline) throw new Error('GraphiQL showed no result within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }

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

    // (b) Every request the page made went to the gateway itself. data: and blob: URLs never
    // touch the network; anything else must be on the gateway's origin.
    const network = requests.filter((r) => !/^\S+ (data|blob):/.test(r));
    const outside = network.filter((r) => new URL(r.slice(r.indexOf(' ') + 1)).origin !== gatewayOrigin);
    expect(outside).toEqual([]);
    expect(proxy!.seen.filter((r) => !isBrowserHousekeeping(r))).toEqual([]);
    // The recording works: the vendor bundles and the query itself were seen.
    expect(network.some((r) => r.startsWith(`GET ${gatewayOrigin}/graphiql/assets/graphiql-`))).toBe(true);
    expect(network.some((r) => r === `POST ${gatewayOrigin}/graphql`)).toBe(true);

    // (c) No console errors (CSP violations land here too), failed loads or error responses.
    expect(problems).toEqual([]);

    await page.close();
  }, 60_000);
});
