import { describe, expect, it } from 'vitest';
import { addDistributions, percentile } from '../../scripts/bench/latency.js';
import type { Measurement } from '../../scripts/bench/report.js';
import { describeOrder, mergeRounds, roundsOf } from '../../scripts/bench/rounds.js';

describe('latency distributions of the bench', () => {
  it('reads p50 and p99 as the smallest latency at or below which that share of answers fall', () => {
    // 100 answers: 49 at 10 ms, 1 at 11 ms, 49 at 20 ms, 1 at 300 ms.
    const d = { '10': 49, '11': 1, '20': 49, '300': 1 };
    expect(percentile(d, 50)).toBe(11);
    expect(percentile(d, 49)).toBe(10);
    expect(percentile(d, 51)).toBe(20);
    expect(percentile(d, 99)).toBe(20);
    expect(percentile(d, 100)).toBe(300);
  });

  it('orders buckets by number, not as text', () => {
    expect(percentile({ '9': 1, '100': 1, '20': 1 }, 50)).toBe(20);
  });

  it('gives 0 when nothing was answered', () => {
    expect(percentile({}, 99)).toBe(0);
  });

  it('adds distributions bucket by bucket', () => {
    expect(addDistributions({ '1': 2, '5': 1 }, { '5': 3, '7': 1 }, {})).toEqual({ '1': 2, '5': 4, '7': 1 });
  });
});

describe('the order of the timed runs', () => {
  it('alternates by default: Hutong, stock, stock, Hutong, each for half of --duration', () => {
    expect(roundsOf('abba')).toEqual([
      { gateway: 'hutong', share: 0.5 },
      { gateway: 'stock', share: 0.5 },
      { gateway: 'stock', share: 0.5 },
      { gateway: 'hutong', share: 0.5 },
    ]);
  });

  it('runs each gateway once for all of --duration when one goes first', () => {
    expect(roundsOf('hutong-first')).toEqual([
      { gateway: 'hutong', share: 1 },
      { gateway: 'stock', share: 1 },
    ]);
    expect(roundsOf('stock-first')).toEqual([
      { gateway: 'stock', share: 1 },
      { gateway: 'hutong', share: 1 },
    ]);
  });

  it('says the order in the header', () => {
    expect(describeOrder('abba')).toBe(
      "Hutong, stock, stock, Hutong, each for half of --duration, a gateway's two rounds merged into its row, p50 and p99 from their latencies together (--order abba)",
    );
    expect(describeOrder('stock-first')).toBe('stock, Hutong, each for --duration (--order stock-first)');
  });
});

describe('merging the rounds of one gateway', () => {
  const round = (over: Partial<Measurement['result']>, perOp: Partial<Measurement> = {}): Measurement => ({
    operation: 'credential-by-id',
    gateway: 'hutong',
    result: { requests: 0, sent: 0, seconds: 0, rps: 0, p50: 0, p99: 0, latencyMs: {}, errors: 0, ...over },
    ...perOp,
  });

  it('adds requests, seconds and errors, and reads rps as requests over seconds', () => {
    const merged = mergeRounds([
      round({ requests: 1000, sent: 1010, seconds: 2, rps: 500, errors: 1, latencyMs: { '50': 1000 }, cpuMs: 300 }),
      round({ requests: 1500, sent: 1500, seconds: 3, rps: 500, errors: 2, latencyMs: { '70': 1500 }, cpuMs: 450 }),
    ]);
    expect(merged.result).toMatchObject({ requests: 2500, sent: 2510, seconds: 5, rps: 500, errors: 3, cpuMs: 750 });
  });

  it('reads p50 and p99 from both rounds latencies together, not from their percentiles', () => {
    // Round one: 90 answers at 10 ms, 10 at 100 ms (p99 100). Round two: 100 at 20 ms (p99 20).
    // Together 200 answers: p50 is the 100th (20 ms), p99 the 198th (100 ms).
    const merged = mergeRounds([
      round({ requests: 100, sent: 100, seconds: 1, p50: 10, p99: 100, latencyMs: { '10': 90, '100': 10 } }),
      round({ requests: 100, sent: 100, seconds: 1, p50: 20, p99: 20, latencyMs: { '20': 100 } }),
    ]);
    expect(merged.result.p50).toBe(20);
    expect(merged.result.p99).toBe(100);
    expect(merged.result.latencyMs).toEqual({ '10': 90, '20': 100, '100': 10 });
  });

  it('weights figures per request by the requests each round sent', () => {
    const merged = mergeRounds([
      round({ requests: 100, sent: 100, seconds: 1 }, { subgraphRequestsPerOp: 2, sqlPerOp: 1, gatewayCpuMsPerOp: 3, subgraphsCpuMsPerOp: 1 }),
      round({ requests: 300, sent: 300, seconds: 1 }, { subgraphRequestsPerOp: 2, sqlPerOp: 3, gatewayCpuMsPerOp: 1, subgraphsCpuMsPerOp: 5 }),
    ]);
    expect(merged).toMatchObject({ subgraphRequestsPerOp: 2, sqlPerOp: 2.5, gatewayCpuMsPerOp: 1.5, subgraphsCpuMsPerOp: 4 });
  });

  it('leaves a figure out when a round did not measure it, and keeps the first error seen', () => {
    const merged = mergeRounds([
      round({ requests: 10, sent: 10, seconds: 1, errors: 0 }, { sqlPerOp: 1 }),
      round({ requests: 10, sent: 10, seconds: 1, errors: 1, firstError: 'HTTP 503: down' }, {}),
    ]);
    expect(merged.sqlPerOp).toBeUndefined();
    expect(merged.result.cpuMs).toBeUndefined();
    expect(merged.result.firstError).toBe('HTTP 503: down');
  });

  it('keeps a single round as it is', () => {
    const only = round({ requests: 7, sent: 7, seconds: 1, rps: 7, p50: 3, p99: 9, latencyMs: { '3': 7 } });
    expect(mergeRounds([only])).toBe(only);
  });
});
