import client from 'prom-client';
import type { ServiceMetrics } from '../kit/metrics.js';
import type { UsageBacklog, VerificationRow } from './db/store.js';
import type { RuleChange } from './rules.js';

/** Recognition's own series: verifications as decided, rule publications and retirements, and usage records waiting per registry. */
export function recognitionMetrics(metrics: ServiceMetrics, backlog: () => Promise<Record<string, UsageBacklog>>) {
  const verifications = new client.Counter({
    name: 'hutong_verifications_total',
    help: 'Verifications by verdict, scenario, accepting (verifier’s) region and issuing region',
    labelNames: ['verdict', 'scenario', 'accepting_region', 'issuing_region'],
    registers: [metrics.registry],
  });
  const ruleChanges = new client.Counter({
    name: 'hutong_rule_changes_total',
    help: 'Rule versions published and rules retired by rule officers, by kind, action and the officer’s region (or national)',
    labelNames: ['kind', 'action', 'region'],
    registers: [metrics.registry],
  });
  const perRegion = (name: string, help: string, value: (b: UsageBacklog) => number) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['region'],
      registers: [metrics.registry],
      async collect() {
        this.reset();
        for (const [region, b] of Object.entries(await backlog())) this.set({ region }, value(b));
      },
    });
  perRegion('hutong_usage_relay_backlog', 'Usage records waiting for their issuing registry', (b) => b.pending);
  perRegion('hutong_usage_relay_oldest_seconds', 'Age of the oldest usage record waiting for a registry (0 when none)', (b) =>
    b.oldestQueuedAt ? Math.max(0, (Date.now() - Date.parse(b.oldestQueuedAt)) / 1000) : 0,
  );
  return {
    verified(v: VerificationRow): void {
      verifications.inc({ verdict: v.verdict, scenario: v.scenario, accepting_region: v.verifierRegion, issuing_region: v.issuingRegion });
    },
    ruleChanged(change: RuleChange): void {
      ruleChanges.inc({ kind: change.kind, action: change.action, region: change.region });
    },
  };
}
