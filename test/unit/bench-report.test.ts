import { describe, expect, it } from 'vitest';
import { evaluateTargets, formatTable, type Measurement } from '../../scripts/bench/report.js';

const row = (operation: string, gateway: Measurement['gateway'], rps: number, over: Partial<Measurement['result']> = {}): Measurement => ({
  operation,
  gateway,
  result: { requests: rps * 10, sent: rps * 10, seconds: 10, rps, p50: 100, p99: 200, errors: 0, ...over },
});

describe('the bench targets', () => {
  const bare = row('bare-hop', 'bare', 10_000);

  it('holds a share of the bare hop at exactly the target, and fails just under it', () => {
    const [at] = evaluateTargets([bare, row('credential-by-id', 'hutong', 400)]);
    expect(at).toMatchObject({ holds: true, measured: '4.00 %, 0 errors, p99 200 ms = 2.0× p50 100 ms' });
    const [under] = evaluateTargets([bare, row('credential-by-id', 'hutong', 399)]);
    expect(under).toMatchObject({ holds: false, measured: '3.99 %, 0 errors, p99 200 ms = 2.0× p50 100 ms' });
  });

  it('fails a fast operation with one error, or with p99 over five times p50', () => {
    expect(evaluateTargets([bare, row('verification', 'hutong', 1000, { errors: 1 })])[0]!.holds).toBe(false);
    expect(evaluateTargets([bare, row('verification', 'hutong', 1000, { p50: 100, p99: 500 })])[0]!.holds).toBe(true);
    expect(evaluateTargets([bare, row('verification', 'hutong', 1000, { p50: 100, p99: 501 })])[0]!.holds).toBe(false);
  });

  it('sets 4 % for credential by id, 2 % for the holder across regions, 3 % for verification', () => {
    const targets = evaluateTargets([bare, row('credential-by-id', 'hutong', 300), row('holder-regions', 'hutong', 200), row('verification', 'hutong', 300), row('create-code', 'hutong', 1)]);
    expect(targets.map((t) => [t.name.split(' ')[0], t.holds])).toEqual([
      ['credential-by-id', false],
      ['holder-regions', true],
      ['verification', true],
    ]);
  });

  it('holds the generic workload at twice the stock gateway, not below, and never with an error', () => {
    expect(evaluateTargets([row('generic-federation', 'hutong', 200), row('generic-federation', 'stock', 100)])).toEqual([
      { name: "generic-federation: Hutong ≥ 2× the stock gateway's throughput, no errors", holds: true, measured: '2.00×, 0 errors' },
    ]);
    expect(evaluateTargets([row('generic-federation', 'hutong', 199), row('generic-federation', 'stock', 100)])[0]!.holds).toBe(false);
    expect(evaluateTargets([row('generic-federation', 'hutong', 400, { errors: 1 }), row('generic-federation', 'stock', 100)])[0]).toMatchObject({ holds: false, measured: '4.00×, 1 errors' });
  });

  it('prints shares of the bare hop, the Hutong/stock ratio and the CPU per operation in the table', () => {
    const table = formatTable([bare, { ...row('credential-by-id', 'hutong', 50), gatewayCpuMsPerOp: 4.256, subgraphsCpuMsPerOp: 5 }, row('credential-by-id', 'stock', 100)]);
    expect(table.split('\n').slice(2)).toEqual([
      '| bare-hop         | bare    | 10000.0 |    100 |    200 |      0 |               — |      — |           100 |              |                 — |                   — |',
      '| credential-by-id | hutong  |    50.0 |    100 |    200 |      0 |               — |      — |          0.50 |         0.50 |              4.26 |                5.00 |',
      '| credential-by-id | stock   |   100.0 |    100 |    200 |      0 |               — |      — |          1.00 |              |                 — |                   — |',
    ]);
  });
});
