/**
 * Latency distributions of the bench's load generator: a count of answers per whole millisecond,
 * which adds up across rounds (percentiles do not).
 */

/** The smallest latency (ms) at or below which at least `p` % of the answers fall; 0 when there are none. */
export function percentile(latencyMs: Record<string, number>, p: number): number {
  const buckets = Object.entries(latencyMs)
    .map(([ms, count]) => [Number(ms), count] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return 0;
  const wanted = Math.ceil((p / 100) * total);
  let seen = 0;
  for (const [ms, count] of buckets) {
    seen += count;
    if (seen >= wanted) return ms;
  }
  return buckets[buckets.length - 1]![0];
}

/** The distribution of several runs together. */
export function addDistributions(...distributions: Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const d of distributions) for (const [ms, count] of Object.entries(d)) sum[ms] = (sum[ms] ?? 0) + count;
  return sum;
}
