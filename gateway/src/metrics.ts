import client from 'prom-client';
import { createMetrics, type ServiceMetrics } from '../../subgraphs/kit/metrics.js';
import type { BreakerState, GuardEvents, SubgraphHealth } from './resilience.js';

export interface GatewayMetrics extends ServiceMetrics {
  /** What the subgraph guards report, as metrics. */
  guardEvents: GuardEvents;
  /** A query answered by an identical call of the same caller already in flight. */
  onSharedCall(subgraph: string): void;
}

const breakerValue: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** The gateway's metrics: the common request series plus one set per subgraph. */
export function createGatewayMetrics(subgraphHealth: () => Record<string, SubgraphHealth>): GatewayMetrics {
  const metrics = createMetrics('gateway');
  const calls = new client.Counter({
    name: 'hutong_subgraph_calls_total',
    help: 'Calls to subgraphs by outcome: ok, or why it failed (TIMEOUT, UNREACHABLE, HTTP_ERROR, CIRCUIT_OPEN, DEADLINE_EXCEEDED)',
    labelNames: ['subgraph', 'outcome'],
    registers: [metrics.registry],
  });
  const duration = new client.Histogram({
    name: 'hutong_subgraph_call_duration_seconds',
    help: 'Duration of one call to a subgraph (each attempt), fail-fast answers excluded',
    labelNames: ['subgraph'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5],
    registers: [metrics.registry],
  });
  const retries = new client.Counter({
    name: 'hutong_subgraph_retries_total',
    help: 'Query calls to a subgraph retried after a failure',
    labelNames: ['subgraph'],
    registers: [metrics.registry],
  });
  const shared = new client.Counter({
    name: 'hutong_subgraph_shared_calls_total',
    help: 'Subgraph queries not sent because an identical query of the same caller was in flight: they got its answer',
    labelNames: ['subgraph'],
    registers: [metrics.registry],
  });
  new client.Gauge({
    name: 'hutong_subgraph_breaker_state',
    help: 'Circuit breaker of each subgraph: 0 closed, 1 half-open, 2 open',
    labelNames: ['subgraph'],
    registers: [metrics.registry],
    collect() {
      for (const [subgraph, health] of Object.entries(subgraphHealth())) this.set({ subgraph }, breakerValue[health.breaker]);
    },
  });
  return {
    ...metrics,
    guardEvents: {
      onAttempt(subgraph, outcome, seconds) {
        calls.inc({ subgraph, outcome });
        if (outcome !== 'CIRCUIT_OPEN') duration.observe({ subgraph }, seconds);
      },
      onRetry: (subgraph) => retries.inc({ subgraph }),
    },
    onSharedCall: (subgraph) => shared.inc({ subgraph }),
  };
}
