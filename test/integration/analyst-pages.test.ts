/**
 * What the gateway serves analysts besides /graphql: the saved operations GraphiQL opens with (each
 * runs against the live graph), the development identities it offers in development only, and the
 * dashboard page with its bundled chart library. The pages in a real browser: test/e2e/graphiql.browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analystOperations } from '../../gateway/src/analyst-operations.js';
import { loadGatewayConfig } from '../../gateway/src/config.js';
import { savedTabs } from '../../gateway/src/graphiql.js';
import { startStack, type Stack } from '../support/stack.js';
import { analystToken, identityToken } from '../support/identities.js';
import { presentAndVerify, seeded, verifierNamed } from '../support/verification.js';
import { TEST_SEED_COUNT } from '../support/stack.js';

let stack: Stack;
let plain: Stack | undefined;
beforeAll(async () => {
  stack = await startStack({ devIdentities: true, subgraphEnv: { HUTONG_FIGURES_MIN_CELL: '1' } });
});
afterAll(async () => {
  await stack?.stop();
  await plain?.stop();
});

const chinaDay = (d = new Date()) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);

describe('the analysts’ saved operations', () => {
  it('are GraphiQL’s tabs after the welcome, with the verification trends covering the 30 days up to today', () => {
    const tabs = savedTabs('{ regions { code } }', analystOperations, '2026-03-01');
    expect(tabs.map((t) => /query (\w+)/.exec(t.query)?.[1] ?? 'welcome')).toEqual(['welcome', 'CredentialFigures', 'VerificationTrends', 'RecognitionMatrix', 'DisputeFigures', 'UsageRelayBacklog']);
    // 2026 is not a leap year: 30 days up to 1 March start on 31 January.
    expect(JSON.parse(tabs[2]!.variables!)).toEqual({ from: '2026-01-31', to: '2026-03-01' });
    expect(JSON.parse(tabs[1]!.variables!)).toEqual({ issuedFrom: '2021-01', issuedUntil: '2026-03' });
    expect(tabs[4]!.variables).toBeUndefined();
  });

  it('each run without an error as an analyst, and name no personal field', async () => {
    const verifier = verifierNamed('上海外滩江景酒店有限公司');
    await presentAndVerify(stack, seeded('yangtze-delta', TEST_SEED_COUNT, { type: 'e-id', province: '32' }), verifier, 'hotel-check-in');
    const token = await analystToken(stack);
    const today = chinaDay();
    for (const op of analystOperations) {
      const { status, body } = await stack.query(op.query, op.variables?.(today), { token });
      expect(body.errors, op.name).toBeUndefined();
      expect(status, op.name).toBe(200);
      expect(op.query).not.toMatch(/holderName|holderCode|number\b|fields\b/);
    }
    const trends = await stack.query(analystOperations[1]!.query, analystOperations[1]!.variables!(today), { token });
    expect(trends.body.data.verificationFigures).toEqual([
      {
        day: today,
        scenario: { code: 'hotel-check-in', nameZh: '旅馆住宿登记' },
        verdict: 'ACCEPTED',
        acceptingRegion: { code: 'yangtze-delta', nameZh: '长三角' },
        issuingRegion: { code: 'yangtze-delta', nameZh: '长三角' },
        count: 1,
        suppressed: false,
      },
    ]);
  });

  it('refuse a holder the analysts’ figures with 403 FORBIDDEN', async () => {
    const op = analystOperations.find((o) => o.name === 'UsageRelayBacklog')!;
    const { status, body } = await stack.query(op.query, undefined, { token: await identityToken(stack, 'holder') });
    expect(status).toBe(403);
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('development identities', () => {
  // Started in a hook, which may take longer than a test: a second stack on a busy machine.
  beforeAll(async () => {
    plain = await startStack({ seedCount: 5 });
  });

  it('are listed with tokens the gateway accepts, each acting as its identity', async () => {
    const res = await fetch(`${stack.gatewayUrl}/dev-identities`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { identities } = (await res.json()) as { identities: { name: string; role: string; token: string }[] };
    const analyst = identities.find((i) => i.name === 'analyst')!;
    expect(analyst.role).toBe('analyst');
    expect(identities.map((i) => i.name)).toContain('verifier-shanghai-hotel');
    const me = await stack.query('{ me { role } }', undefined, { token: analyst.token });
    expect(me.body.data.me).toEqual({ role: 'analyst' });
    const holder = identities.find((i) => i.name === 'holder')!;
    expect((await stack.query('{ me { role holderCode } }', undefined, { token: holder.token })).body.data.me.role).toBe('holder');
  });

  it('are not offered without the development key', async () => {
    expect((await fetch(`${plain!.gatewayUrl}/dev-identities`)).status).toBe(404);
    // The dashboard is served all the same: it holds no data and asks for a token.
    expect((await fetch(`${plain!.gatewayUrl}/dashboard`)).status).toBe(200);
  });

  it('are refused at start-up in production', () => {
    expect(() => loadGatewayConfig({ HUTONG_ENVIRONMENT: 'production', HUTONG_DEV_CLIENT_SIGNING_KEY_FILE: 'data/keys/client-signing-key.json' })).toThrow(
      'HUTONG_DEV_CLIENT_SIGNING_KEY_FILE: development identities are refused when HUTONG_ENVIRONMENT is production',
    );
  });
});

describe('the dashboard page', () => {
  it('is served under a policy that allows scripts from the gateway only, with ECharts bundled and cached by version', async () => {
    const res = await fetch(`${stack.gatewayUrl}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self';");
    const html = await res.text();
    expect(html).toContain('<title>互通 数据看板 — Hutong analysts&#39; dashboard</title>');
    expect(html).toContain('<script src="/dashboard/assets/echarts-6.1.0.min.js"></script>');
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    const echarts = await fetch(`${stack.gatewayUrl}/dashboard/assets/echarts-6.1.0.min.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(echarts.status).toBe(200);
    expect(echarts.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(echarts.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await echarts.text()).length).toBeGreaterThan(500_000);
    expect((await fetch(`${stack.gatewayUrl}/dashboard/assets/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${stack.gatewayUrl}/dashboard/assets/echarts.min.js`)).status).toBe(404);
  });
});
