/**
 * One region's bad day costs only that region, on the gateway's defaults: a hung registry is
 * given up on within the subgraph timeout, its breaker then fails fast without calling it, and
 * it is called again shortly after it recovers. Queries are retried on a failed call, mutations
 * never; the request's deadline also covers the wait for a pooled connection.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ONE_PER_REGION, onePerRegionIds } from '../support/queries.js';
import { adminToken, regionIssuerToken } from '../support/identities.js';
import { startStack, type Stack } from '../support/stack.js';

const ids = onePerRegionIds(5);
/** The gateway's defaults (the test stack raises them for busy machines; test/unit/config.test.ts pins them). */
const PRODUCTION_DEFAULTS = {
  HUTONG_SUBGRAPH_TIMEOUT_MS: '1500',
  HUTONG_REQUEST_DEADLINE_MS: '5000',
  HUTONG_BREAKER_FAILURES: '5',
  HUTONG_BREAKER_HALF_OPEN_AFTER_MS: '2000',
  HUTONG_SUBGRAPH_RETRIES: '1',
};
const SHANDONG_ONLY = `query($id: ID!) { credential(id: $id) { id status } }`;

/** Tokens of five auditors, each a caller of their own. */
const fiveAuditors = (stack: Stack) => Promise.all([1, 2, 3, 4, 5].map((n) => stack.token({ sub: `auditor-${n}`, role: 'admin' })));

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe('a hung registry on the default timeout and breaker', () => {
  let stack: Stack;
  let token: string;
  beforeAll(async () => {
    stack = await startStack({ gatewayEnv: { HUTONG_RATE_LIMIT_PER_MINUTE: '100000', ...PRODUCTION_DEFAULTS } });
    token = await adminToken(stack);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers the first wave within 2.5 s (a 1.5 s timeout) with the other regions complete, then fails fast without calling it, and recovers once it answers', async () => {
    // Five concurrent clients (five auditors: one caller's identical queries would share one call)
    // — the breaker's default threshold of consecutive failures. The same wave on a healthy
    // registry says what this machine adds on top of the timeout right now.
    const auditors = await fiveAuditors(stack);
    const healthy = await Promise.all(auditors.map((t) => timed(() => stack.query(ONE_PER_REGION, ids, { token: t }))));
    const overheadMs = Math.max(...healthy.map((h) => h.ms));
    stack.setFault('shandong', 'hang');
    try {
      const wave = await Promise.all(auditors.map((t) => timed(() => stack.query(ONE_PER_REGION, ids, { token: t }))));
      for (const { result, ms } of wave) {
        expect(ms).toBeGreaterThanOrEqual(1450);
        expect(ms).toBeLessThan(Math.max(2500, 1500 + overheadMs + 250));
        expect(result.status).toBe(200);
        expect(result.body.data.yd).toEqual({ id: ids.yd, status: expect.any(String) });
        expect(result.body.data.cc).toEqual({ id: ids.cc, status: expect.any(String) });
        expect(result.body.data.sd).toBeNull();
        expect(result.body.errors.map((e: any) => e.extensions)).toEqual([
          expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'shandong', reason: 'TIMEOUT' }),
        ]);
      }

      const calledBefore = stack.graphqlRequests('shandong');
      const open = await timed(() => stack.query(ONE_PER_REGION, ids, { token }));
      // No network call at all, so no wait: well under the 1.5 s timeout even on a busy machine.
      expect(stack.graphqlRequests('shandong')).toBe(calledBefore);
      expect(open.ms).toBeLessThan(750);
      expect(open.result.body.data.yd).toEqual({ id: ids.yd, status: expect.any(String) });
      expect(open.result.body.data.sd).toBeNull();
      expect(open.result.body.errors[0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'shandong', reason: 'CIRCUIT_OPEN' });
      expect(open.result.body.errors[0].message).toBe('Subgraph shandong is failing and is not being called for now; data from other subgraphs is unaffected.');

      const ready = (await (await fetch(`${stack.gatewayUrl}/ready`)).json()) as any;
      expect(ready.subgraphs.shandong).toMatchObject({ breaker: 'open', lastFailure: 'CIRCUIT_OPEN' });
      expect(ready.subgraphs['yangtze-delta']).toMatchObject({ breaker: 'closed', lastFailure: null });
      expect(ready.status).toBe('degraded');
    } finally {
      stack.setFault('shandong', null);
    }

    // Back: the breaker lets a probe through after 2 s and closes on its success.
    const returnedAt = performance.now();
    let back;
    while (!(back = await stack.query(ONE_PER_REGION, ids, { token })).body.data?.sd) {
      expect(performance.now() - returnedAt).toBeLessThan(5000);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(performance.now() - returnedAt).toBeLessThan(5000);
    expect(back.body.errors).toBeUndefined();
    expect(back.body.data.sd).toEqual({ id: ids.sd, status: expect.any(String) });
    const ready = (await (await fetch(`${stack.gatewayUrl}/ready`)).json()) as any;
    expect(ready.subgraphs.shandong.breaker).toBe('closed');
    expect(ready.status).toBe('ready');
  });

  /** Whatever an earlier test left behind: the registry healthy and its breaker closed. */
  beforeEach(async () => {
    stack.setFault('shandong', null);
    for (const started = Date.now(); Date.now() - started < 6000; await new Promise((r) => setTimeout(r, 200))) {
      const ready = (await (await fetch(`${stack.gatewayUrl}/ready`)).json()) as any;
      if (ready.subgraphs.shandong.breaker === 'closed') return;
      await stack.query(SHANDONG_ONLY, { id: ids.sd }, { token }); // the probe that closes it
    }
  });

  it('retries a query once after an HTTP 503 and answers it completely', async () => {
    const before = stack.graphqlRequests('shandong');
    stack.setFault('shandong', { status: 503, times: 1 });
    const res = await stack.query(SHANDONG_ONLY, { id: ids.sd }, { token });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.credential).toEqual({ id: ids.sd, status: expect.any(String) });
    expect(stack.graphqlRequests('shandong') - before).toBe(2);
  });

  it('never retries a mutation: one HTTP 503 reaches the client as SUBGRAPH_UNAVAILABLE', async () => {
    const issuer = await regionIssuerToken(stack, 'shandong');
    const before = stack.graphqlRequests('shandong');
    stack.setFault('shandong', { status: 503, times: 1 });
    const res = await stack.query(`mutation($id: ID!) { shandong { suspendCredential(id: $id, reason: "breaker test") { id status } } }`, { id: ids.sd }, { token: issuer });
    expect(res.body.data?.shandong ?? null).toBeNull();
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'shandong', reason: 'HTTP_ERROR' });
    expect(stack.graphqlRequests('shandong') - before).toBe(1);
    // The one attempt never reached the registry's resolver: the credential was not suspended.
    const after = await stack.query(SHANDONG_ONLY, { id: ids.sd }, { token });
    expect(after.body.data.credential.status).not.toBe('SUSPENDED');
  });
});

describe('a slow registry behind a pool of one connection', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ gatewayEnv: { HUTONG_RATE_LIMIT_PER_MINUTE: '100000', HUTONG_SUBGRAPH_CONNECTIONS: '1', ...PRODUCTION_DEFAULTS } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('ends a request waiting for the pooled connection at the subgraph timeout, not after the queue ahead of it', async () => {
    stack.setFault('shandong', { delayMs: 1000 });
    try {
      // Three auditors: one caller's three identical queries would share one call.
      const auditors = (await fiveAuditors(stack)).slice(0, 3);
      const answers = await Promise.all(auditors.map((t) => timed(() => stack.query(SHANDONG_ONLY, { id: ids.sd }, { token: t }))));
      for (const { ms } of answers) expect(ms).toBeLessThan(2500);
      const complete = answers.filter((a) => a.result.body.data?.credential);
      const timedOut = answers.filter((a) => a.result.body.errors?.[0]?.extensions?.reason === 'TIMEOUT');
      expect(complete).toHaveLength(1);
      expect(timedOut).toHaveLength(2);
    } finally {
      stack.setFault('shandong', null);
    }
  });
});
