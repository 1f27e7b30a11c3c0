/**
 * In which order the bench's two gateways take their timed runs of one operation, and how the
 * rounds of one gateway add up to one row.
 *
 * Both gateways share the subgraphs' process, and whichever runs second finds it warmer (most
 * likely its compiled code, caches and PGlite's pages): measured on credential by id,
 * Hutong/stock was 0.91 with Hutong first and 1.03 and 0.98 with stock first, within the same
 * hour. The default, `abba`, gives each gateway half of --duration twice — Hutong, stock, stock,
 * Hutong — so that both have a run in each position and a drift of the machine that is even over
 * the four runs falls on both alike.
 */
import type { GatewayKind, Measurement } from './report.js';
import { addDistributions, percentile } from './latency.js';

export const ORDERS = ['abba', 'hutong-first', 'stock-first'] as const;
export type Order = (typeof ORDERS)[number];

export interface Round {
  gateway: Exclude<GatewayKind, 'bare'>;
  /** The round's share of --duration. */
  share: number;
}

export function roundsOf(order: Order): Round[] {
  switch (order) {
    case 'abba':
      return [
        { gateway: 'hutong', share: 0.5 },
        { gateway: 'stock', share: 0.5 },
        { gateway: 'stock', share: 0.5 },
        { gateway: 'hutong', share: 0.5 },
      ];
    case 'hutong-first':
      return [
        { gateway: 'hutong', share: 1 },
        { gateway: 'stock', share: 1 },
      ];
    case 'stock-first':
      return [
        { gateway: 'stock', share: 1 },
        { gateway: 'hutong', share: 1 },
      ];
  }
}

/**
 * One row from the timed rounds of one operation through one gateway: counts and seconds add up
 * (rps is requests over seconds), p50 and p99 are read from the summed latency distribution, and
 * figures per request are weighted by the requests each round sent.
 */
export function mergeRounds(rounds: Measurement[]): Measurement {
  const [first] = rounds;
  if (!first) throw new Error('mergeRounds needs at least one round');
  if (rounds.length === 1) return first;
  const sum = (of: (m: Measurement) => number) => rounds.reduce((total, m) => total + of(m), 0);
  const sent = sum((m) => m.result.sent);
  const requests = sum((m) => m.result.requests);
  const seconds = sum((m) => m.result.seconds);
  const latencyMs = addDistributions(...rounds.map((m) => m.result.latencyMs));
  const perRequest = (of: (m: Measurement) => number | undefined) => {
    const values = rounds.map(of);
    if (values.some((v) => v === undefined)) return undefined;
    return sent === 0 ? 0 : rounds.reduce((total, m, i) => total + values[i]! * m.result.sent, 0) / sent;
  };
  const cpuMs = rounds.every((m) => m.result.cpuMs !== undefined) ? sum((m) => m.result.cpuMs!) : undefined;
  const firstError = rounds.find((m) => m.result.firstError)?.result.firstError;
  const optional = <K extends string>(key: K, value: number | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, number>));
  return {
    operation: first.operation,
    gateway: first.gateway,
    result: {
      requests,
      sent,
      seconds,
      rps: seconds > 0 ? requests / seconds : 0,
      p50: percentile(latencyMs, 50),
      p99: percentile(latencyMs, 99),
      latencyMs,
      errors: sum((m) => m.result.errors),
      ...(firstError ? { firstError } : {}),
      ...optional('cpuMs', cpuMs),
    },
    ...optional('subgraphRequestsPerOp', perRequest((m) => m.subgraphRequestsPerOp)),
    ...optional('sqlPerOp', perRequest((m) => m.sqlPerOp)),
    ...optional('gatewayCpuMsPerOp', perRequest((m) => m.gatewayCpuMsPerOp)),
    ...optional('subgraphsCpuMsPerOp', perRequest((m) => m.subgraphsCpuMsPerOp)),
  };
}

/** The order in words, for the bench's header. */
export function describeOrder(order: Order): string {
  const rounds = roundsOf(order);
  const names = rounds.map((r) => (r.gateway === 'hutong' ? 'Hutong' : 'stock')).join(', ');
  if (rounds.length === 2) return `${names}, each for --duration (--order ${order})`;
  return `${names}, each for half of --duration, a gateway's two rounds merged into its row, p50 and p99 from their latencies together (--order ${order})`;
}
