/**
 * What the system says about itself: one access-log line per request, a log line per failed
 * subgraph call, Prometheus series per operation, subgraph, breaker and error code, and
 * readiness that names the failing region and the catalogue's lag per registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from '../support/identities.js';
import { ONE_PER_REGION, onePerRegionIds } from '../support/queries.js';
import { startStack, TEST_SEED_COUNT, type Stack } from '../support/stack.js';
import { present, seeded, verifierNamed, verify } from '../support/verification.js';

const lines: string[] = [];
const logged = () =>
  lines
    .join('')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, any>);

let stack: Stack;
let token: string;
beforeAll(async () => {
  stack = await startStack({
    logSink: { write: (l) => void lines.push(l) },
    gatewayEnv: { HUTONG_SUBGRAPH_TIMEOUT_MS: '2000', HUTONG_BREAKER_FAILURES: '2', HUTONG_BREAKER_HALF_OPEN_AFTER_MS: '5000', HUTONG_SUBGRAPH_RETRIES: '0' },
    subgraphEnv: { HUTONG_REGISTRY_TIMEOUT_MS: '500', HUTONG_USAGE_RELAY_INTERVAL_MS: '100' },
  });
  token = await adminToken(stack);
});
afterAll(async () => {
  await stack?.stop();
});

/** The value of one series in Prometheus text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    if (wanted.every((w) => labelText.split(',').includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics, access log and readiness', () => {
  it('counts a named operation at the gateway and each subgraph call, and logs one access line for it without personal data', async () => {
    const ids = onePerRegionIds(7);
    const res = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: ONE_PER_REGION, variables: ids, operationName: 'OnePerRegion' }),
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');

    const gateway = await stack.metrics('gateway');
    expect(sample(gateway, 'hutong_requests_total', { service: 'gateway', operation: 'OnePerRegion', status: '200' })).toBe(1);
    expect(sample(gateway, 'hutong_request_duration_seconds_count', { service: 'gateway', operation: 'OnePerRegion' })).toBe(1);
    for (const subgraph of ['yangtze-delta', 'chengdu-chongqing', 'shandong']) {
      expect(sample(gateway, 'hutong_subgraph_calls_total', { subgraph, outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(sample(gateway, 'hutong_subgraph_breaker_state', { subgraph })).toBe(0);
    }
    const shandong = await stack.metrics('shandong');
    expect(shandong).toContain('hutong_requests_total{operation="OnePerRegion__shandong__');

    const access = logged().filter((l) => l.msg === 'request' && l.requestId === requestId && l.service === 'gateway');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ method: 'POST', path: '/graphql', operation: 'OnePerRegion', status: 200 });
    expect(access[0]!.durationMs).toEqual(expect.any(Number));
    const everyLine = lines.join('');
    for (const id of Object.values(ids)) expect(everyLine).not.toContain(id);
  });

  it('logs each failed subgraph call, counts it by reason and error code, opens the breaker and says so in /ready', async () => {
    stack.setFault('shandong', 'hang');
    try {
      for (let i = 0; i < 3; i++) await stack.query(ONE_PER_REGION, onePerRegionIds(8), { token });
      const gateway = await stack.metrics('gateway');
      expect(sample(gateway, 'hutong_subgraph_calls_total', { subgraph: 'shandong', outcome: 'TIMEOUT' })).toBe(2);
      expect(sample(gateway, 'hutong_subgraph_calls_total', { subgraph: 'shandong', outcome: 'CIRCUIT_OPEN' })).toBe(1);
      expect(sample(gateway, 'hutong_subgraph_breaker_state', { subgraph: 'shandong' })).toBe(2);
      expect(sample(gateway, 'hutong_graphql_errors_total', { service: 'gateway', code: 'SUBGRAPH_UNAVAILABLE' })).toBe(3);

      const failures = logged().filter((l) => l.msg === 'subgraph call failed' && l.subgraph === 'shandong');
      expect(failures.map((l) => l.reason)).toEqual(['TIMEOUT', 'TIMEOUT', 'CIRCUIT_OPEN']);
      expect(logged().filter((l) => l.msg === 'subgraph breaker opened: failing fast')).toEqual([expect.objectContaining({ subgraph: 'shandong', breaker: 'open' })]);

      const ready = (await (await fetch(`${stack.gatewayUrl}/ready`)).json()) as any;
      expect(ready.status).toBe('degraded');
      expect(ready.subgraphs.shandong).toMatchObject({ breaker: 'open', lastFailure: 'CIRCUIT_OPEN' });
    } finally {
      stack.setFault('shandong', null);
    }
  });

  it('counts verifications by verdict, scenario and regions, and shows a usage record waiting for a hung registry until it is delivered', async () => {
    const licence = seeded('shandong', TEST_SEED_COUNT, { type: 'e-id' }, 6);
    const hall = verifierNamed('济南市政务服务中心');
    const code = await present(stack, licence, 'service-hall-visit');
    stack.setFault('shandong', 'hang');
    try {
      const { body } = await verify(stack, hall, code, 'service-hall-visit');
      expect(body.data.verifyPresentation).toMatchObject({ verdict: 'INDETERMINATE', reasons: ['ISSUING_REGISTRY_UNREACHABLE'], usageRecorded: false });
      const text = await stack.metrics('recognition');
      expect(
        sample(text, 'hutong_verifications_total', { verdict: 'INDETERMINATE', scenario: 'service-hall-visit', accepting_region: 'shandong', issuing_region: 'shandong' }),
      ).toBe(1);
      expect(sample(text, 'hutong_usage_relay_backlog', { region: 'shandong' })).toBe(1);
      const ready = (await (await fetch(`${stack.subgraphs.get('recognition')!.url}/ready`)).json()) as any;
      expect(ready).toMatchObject({ status: 'ready', usageRelay: { shandong: { pending: 1 } } });
    } finally {
      stack.setFault('shandong', null);
    }
    for (const started = Date.now(); Date.now() - started < 10_000; await new Promise((r) => setTimeout(r, 100))) {
      if (sample(await stack.metrics('recognition'), 'hutong_usage_relay_backlog', { region: 'shandong' }) !== 1) break;
    }
    expect(sample(await stack.metrics('recognition'), 'hutong_usage_relay_backlog', { region: 'shandong' }) ?? 0).toBe(0);
  });

  it('reports the catalogue relay’s lag per registry in the catalogue’s /ready and metrics, and through the gateway’s /ready', async () => {
    await stack.subgraphs.get('catalogue')!.subgraph.settle?.();
    const catalogue = stack.subgraphs.get('catalogue')!;
    const ready = (await (await fetch(`${catalogue.url}/ready`)).json()) as any;
    expect(ready.status).toBe('ready');
    for (const region of ['yangtze-delta', 'chengdu-chongqing', 'shandong']) {
      expect(ready.relay[region]).toMatchObject({ lagEntries: 0, failing: null, resyncing: false });
    }
    const text = await stack.metrics('catalogue');
    expect(sample(text, 'hutong_catalogue_relay_lag_entries', { region: 'yangtze-delta' })).toBe(0);
    expect(sample(text, 'hutong_catalogue_relay_failing', { region: 'shandong' })).toBe(0);

    const gatewayReady = (await (await fetch(`${stack.gatewayUrl}/ready`)).json()) as any;
    expect(gatewayReady.catalogueRelay['chengdu-chongqing']).toMatchObject({ lagEntries: 0, failing: null });
  });
});
