import { describe, expect, it } from 'vitest';
import { cpuBudgets, evaluateTargets, formatTable, type Measurement } from '../../scripts/bench/report.js';

const row = (operation: string, gateway: Measurement['gateway'], rps: number, over: Partial<Measurement['result']> = {}): Measurement => ({
  operation,
  gateway,
  result: { requests: rps * 10, sent: rps * 10, seconds: 10, rps, p50: 100, p99: 200, latencyMs: {}, errors: 0, ...over },
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
    const table = formatTable([bare, { ...row('credential-by-id', 'hutong', 50, { cpuMs: 100 }), gatewayCpuMsPerOp: 4.256, subgraphsCpuMsPerOp: 5 }, row('credential-by-id', 'stock', 100)]);
    expect(table.split('\n').slice(2)).toEqual([
      '| bare-hop         | bare    | 10000.0 |    100 |    200 |      0 |               — |      — |           100 |              |                 — |                   — |                        — |',
      '| credential-by-id | hutong  |    50.0 |    100 |    200 |      0 |               — |      — |          0.50 |         0.50 |              4.26 |                5.00 |                     0.20 |',
      '| credential-by-id | stock   |   100.0 |    100 |    200 |      0 |               — |      — |          1.00 |              |                 — |                   — |                        — |',
    ]);
  });
});

describe('what the share targets leave in CPU', () => {
  // 100,000 bare requests sent: 0.05 ms of the bare server and 0.03 ms of the load generator each.
  const bare: Measurement = { ...row('bare-hop', 'bare', 10_000, { cpuMs: 3_000 }), gatewayCpuMsPerOp: 0.05 };
  const measured = (operation: string, gateway: Measurement['gateway'], rps: number, gatewayCpu: number, subgraphsCpu: number): Measurement => ({
    // rps × 10 requests sent; the load generator spent 0.25 ms on each.
    ...row(operation, gateway, rps, { cpuMs: rps * 10 * 0.25 }),
    gatewayCpuMsPerOp: gatewayCpu,
    subgraphsCpuMsPerOp: subgraphsCpu,
  });

  it('gives each share its CPU per request on the machine, beside what each gateway took', () => {
    // 4 % of 10,000 rps is 400 rps: on 2 CPUs, 2,000 ms a second / 400 = 5 ms per request.
    const lines = cpuBudgets([bare, measured('credential-by-id', 'hutong', 180, 4.5, 4.25), measured('credential-by-id', 'stock', 200, 4, 4)], 2);
    expect(lines).toEqual([
      'CPU    the bare hop: 0.08 ms (0.05 + 0.03) per request (server + load generator), at 10000.0 rps on 2 CPUs',
      'CPU    credential-by-id: 4 % of the bare hop is 400.0 rps, at most 5.00 ms of CPU per request in all processes; Hutong took 9.00 ms (4.50 + 4.25 + 0.25), stock 8.25 ms (4.00 + 4.00 + 0.25) (gateway + subgraphs + load generator)',
    ]);
  });

  it('scales the budget with the CPUs and with each target: 2 % of the bare hop leaves twice what 4 % does', () => {
    const lines = cpuBudgets([bare, measured('holder-regions', 'hutong', 80, 7, 11), measured('verification', 'hutong', 80, 4, 12)], 4);
    expect(lines.slice(1).map((l) => l.split(';')[0])).toEqual([
      'CPU    holder-regions: 2 % of the bare hop is 200.0 rps, at most 20.00 ms of CPU per request in all processes',
      'CPU    verification: 3 % of the bare hop is 300.0 rps, at most 13.33 ms of CPU per request in all processes',
    ]);
  });

  it('says "not measured" where a process was not measured (gateways in the bench\'s process), and nothing without a bare hop', () => {
    const lines = cpuBudgets([bare, row('credential-by-id', 'hutong', 180)], 2);
    expect(lines[1]).toBe('CPU    credential-by-id: 4 % of the bare hop is 400.0 rps, at most 5.00 ms of CPU per request in all processes; Hutong took not measured, stock not measured (gateway + subgraphs + load generator)');
    expect(cpuBudgets([measured('credential-by-id', 'hutong', 180, 4.5, 4.25)], 2)).toEqual([]);
  });
});
