/**
 * The table and the targets of `npm run bench`. Every target is a ratio of two figures measured
 * in the same run (an operation's throughput as a share of a bare one-hop HTTP server's, or the
 * Hutong gateway's over the stock gateway's), so it holds or fails independently of how fast the
 * machine happens to be that minute.
 */
import type { DriveResult } from './drive.js';

export type GatewayKind = 'hutong' | 'stock' | 'bare';

export interface Measurement {
  /** Operation id, e.g. `credential-by-id`. */
  operation: string;
  gateway: GatewayKind;
  result: DriveResult;
  /** Gateway → subgraph requests per answered request. */
  subgraphRequestsPerOp?: number;
  /** SQL statements run by all subgraphs per answered request (Hutong's subgraphs only). */
  sqlPerOp?: number;
  /**
   * CPU milliseconds per operation of the gateway's process (with its workers); for the bare hop,
   * of the bare server (the bench's own process). Unknown in-process or off Linux.
   */
  gatewayCpuMsPerOp?: number;
  /** CPU milliseconds per operation of the subgraphs' process; unknown in-process or off Linux. */
  subgraphsCpuMsPerOp?: number;
}

export interface Target {
  /** What the target says, e.g. `credential-by-id ≥ 4 % of bare hop`. */
  name: string;
  holds: boolean;
  /** The measured figures behind the verdict. */
  measured: string;
}

/** Shares of the bare hop the issue sets for the Hutong gateway (percent). */
export const SHARE_TARGETS: Record<string, number> = { 'credential-by-id': 4, 'holder-regions': 2, verification: 3 };
/** The generic federation workload through Hutong, as a multiple of the stock gateway's throughput. */
export const GENERIC_RATIO_TARGET = 2;
/** Tail latency bound: p99 at most this many times p50. */
export const TAIL_FACTOR = 5;

const find = (rows: Measurement[], operation: string, gateway: GatewayKind) => rows.find((r) => r.operation === operation && r.gateway === gateway);

export function shareOfBare(row: Measurement, bare: Measurement | undefined): number | undefined {
  return bare && bare.result.rps > 0 ? (100 * row.result.rps) / bare.result.rps : undefined;
}

export function hutongOverStock(rows: Measurement[], operation: string): number | undefined {
  const h = find(rows, operation, 'hutong');
  const s = find(rows, operation, 'stock');
  return h && s && s.result.rps > 0 ? h.result.rps / s.result.rps : undefined;
}

export function evaluateTargets(rows: Measurement[]): Target[] {
  const bare = find(rows, 'bare-hop', 'bare');
  const targets: Target[] = [];
  for (const [operation, percent] of Object.entries(SHARE_TARGETS)) {
    const row = find(rows, operation, 'hutong');
    if (!row) continue;
    const share = shareOfBare(row, bare);
    const { errors, p50, p99 } = row.result;
    const tailOk = p99 <= TAIL_FACTOR * Math.max(p50, 1);
    targets.push({
      name: `${operation} (Hutong) ≥ ${percent} % of the bare hop, no errors, p99 ≤ ${TAIL_FACTOR}× p50`,
      holds: share !== undefined && share >= percent && errors === 0 && tailOk,
      measured: `${share === undefined ? 'no bare hop' : `${share.toFixed(2)} %`}, ${errors} errors, p99 ${p99} ms = ${(p99 / Math.max(p50, 1)).toFixed(1)}× p50 ${p50} ms`,
    });
  }
  const ratio = hutongOverStock(rows, 'generic-federation');
  if (ratio !== undefined) {
    // Answers with errors are quick to give: a ratio bought with them is no ratio.
    const errors = find(rows, 'generic-federation', 'hutong')!.result.errors;
    targets.push({
      name: `generic-federation: Hutong ≥ ${GENERIC_RATIO_TARGET}× the stock gateway's throughput, no errors`,
      holds: ratio >= GENERIC_RATIO_TARGET && errors === 0,
      measured: `${ratio.toFixed(2)}×, ${errors} errors`,
    });
  }
  return targets;
}

const fixed = (n: number | undefined, digits: number) => (n === undefined ? '—' : n.toFixed(digits));

/** CPU milliseconds per request sent that the load generator (autocannon's process) spent. */
export function driverCpuMsPerOp(row: Measurement): number | undefined {
  return row.result.cpuMs === undefined ? undefined : row.result.cpuMs / Math.max(row.result.sent, 1);
}

/** Every process's CPU per request (servers and load generator), when each was measured. */
function totalCpuMsPerOp(row: Measurement): { total: number; parts: number[] } | undefined {
  const measured = [row.gatewayCpuMsPerOp, ...(row.gateway === 'bare' ? [] : [row.subgraphsCpuMsPerOp]), driverCpuMsPerOp(row)];
  if (measured.some((p) => p === undefined)) return undefined;
  const parts = measured as number[];
  return { total: parts.reduce((a, b) => a + b, 0), parts };
}

/**
 * What each share target asks in CPU: every process of the run (gateway, subgraphs, load
 * generator) shares the machine's `cpuCount` CPUs, so a throughput of `rate` requests a second
 * leaves at most `cpuCount × 1000 / rate` ms of CPU per request in all of them together. Set
 * beside what a request took through each gateway, it says how far a target is from what the
 * machine can give, whatever the code.
 */
export function cpuBudgets(rows: Measurement[], cpuCount: number): string[] {
  const bare = find(rows, 'bare-hop', 'bare');
  if (!bare || bare.result.rps <= 0) return [];
  const cost = (row: Measurement | undefined) => {
    const cpu = row && totalCpuMsPerOp(row);
    return cpu ? `${cpu.total.toFixed(2)} ms (${cpu.parts.map((p) => p.toFixed(2)).join(' + ')})` : 'not measured';
  };
  const lines = [`CPU    the bare hop: ${cost(bare)} per request (server + load generator), at ${bare.result.rps.toFixed(1)} rps on ${cpuCount} CPUs`];
  for (const [operation, percent] of Object.entries(SHARE_TARGETS)) {
    const hutong = find(rows, operation, 'hutong');
    if (!hutong) continue;
    const rate = (percent / 100) * bare.result.rps;
    const budget = (cpuCount * 1000) / rate;
    lines.push(
      `CPU    ${operation}: ${percent} % of the bare hop is ${rate.toFixed(1)} rps, at most ${budget.toFixed(2)} ms of CPU per request in all processes; ` +
        `Hutong took ${cost(hutong)}, stock ${cost(find(rows, operation, 'stock'))} (gateway + subgraphs + load generator)`,
    );
  }
  return lines;
}

/** The table, one row per operation and gateway, in columns padded to their widest cell. */
export function formatTable(rows: Measurement[]): string {
  const bare = find(rows, 'bare-hop', 'bare');
  const header = ['operation', 'gateway', 'rps', 'p50 ms', 'p99 ms', 'errors', 'subgraph req/op', 'SQL/op', '% of bare hop', 'Hutong/stock', 'gateway CPU ms/op', 'subgraphs CPU ms/op', 'load generator CPU ms/op'];
  const cells = rows.map((r) => [
    r.operation,
    r.gateway,
    r.result.rps.toFixed(1),
    String(r.result.p50),
    String(r.result.p99),
    String(r.result.errors),
    fixed(r.subgraphRequestsPerOp, 2),
    fixed(r.sqlPerOp, 2),
    r.gateway === 'bare' ? '100' : fixed(shareOfBare(r, bare), 2),
    r.gateway === 'hutong' ? fixed(hutongOverStock(rows, r.operation), 2) : '',
    fixed(r.gatewayCpuMsPerOp, 2),
    fixed(r.subgraphsCpuMsPerOp, 2),
    fixed(driverCpuMsPerOp(r), 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? `-${'-'.repeat(w)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`;
  return [line(header), rule, ...cells.map(line)].join('\n');
}

export function formatTargets(targets: Target[]): string {
  return targets.map((t) => `${t.holds ? 'HOLDS' : 'FAILS'}  ${t.name}: ${t.measured}`).join('\n');
}
