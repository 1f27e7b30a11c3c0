/**
 * `npm run bench` on its quickest path: credential by id and the generic federation workload
 * through both gateways, one second each (two half-second rounds in turn), two connections. It must start everything, drive it from its own autocannon process, print a row per
 * gateway with figures that add up, and stop every server (the process exits on its own).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** The table's data rows as cells, by `operation/gateway`. */
function tableRows(stdout: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('| ') || line.startsWith('| operation')) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    rows.set(`${cells[0]}/${cells[1]}`, cells);
  }
  return rows;
}

it('measures credential by id and the generic workload through the Hutong and the stock gateway against the bare hop, and says whether the targets hold', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/bench.ts', '--duration', '1', '--connections', '2', '--warmup', '0', '--only', 'credential-by-id,generic-federation', '--seed-count', '20'],
    { cwd: root, env: { ...process.env, HUTONG_LOG_LEVEL: 'silent' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  const context = `${stdout.slice(-3000)}\n${stderr.slice(-3000)}`;
  expect(code, context).toBe(0);

  expect(stdout).toMatch(/^Hutong bench, \d{4}-\d\d-\d\dT.*: Node v\d+\.\d+\.\d+, \d+ CPUs/m);
  const rows = tableRows(stdout);
  expect([...rows.keys()], context).toEqual(['bare-hop/bare', 'credential-by-id/hutong', 'credential-by-id/stock', 'generic-federation/hutong', 'generic-federation/stock']);
  // Columns: operation, gateway, rps, p50, p99, errors, subgraph req/op, SQL/op, % of bare hop, Hutong/stock,
  // gateway CPU ms/op, subgraphs CPU ms/op, load generator CPU ms/op.
  const [, , bareRps, , , bareErrors] = rows.get('bare-hop/bare')!;
  expect(Number(bareRps)).toBeGreaterThan(0);
  expect(Number(bareErrors)).toBe(0);
  for (const gateway of ['hutong', 'stock']) {
    const [, , rps, p50, p99, errors, subgraphRequests, sql, share] = rows.get(`credential-by-id/${gateway}`)!;
    expect(Number(rps), gateway).toBeGreaterThan(0);
    expect(Number(p99), gateway).toBeGreaterThanOrEqual(Number(p50));
    expect(Number(errors), gateway).toBe(0);
    // The catalogue routes the identifier, the issuing registry answers: at least two subgraph requests, and SQL.
    expect(Number(subgraphRequests), gateway).toBeGreaterThanOrEqual(2);
    expect(Number(sql), gateway).toBeGreaterThan(0);
    expect(Number(share), gateway).toBeCloseTo((100 * Number(rps)) / Number(bareRps), 1);
    // Each process did some work for every request: the gateway, and the subgraphs behind it.
    const [gatewayCpu, subgraphsCpu, driverCpu] = rows.get(`credential-by-id/${gateway}`)!.slice(10);
    expect(Number(gatewayCpu), gateway).toBeGreaterThan(0);
    expect(Number(subgraphsCpu), gateway).toBeGreaterThan(0);
    expect(Number(driverCpu), gateway).toBeGreaterThan(0);
  }
  // The bare hop has no subgraphs: its server's CPU stands in the gateway's column.
  const [bareServerCpu, bareSubgraphsCpu, bareDriverCpu] = rows.get('bare-hop/bare')!.slice(10);
  expect(Number(bareServerCpu)).toBeGreaterThan(0);
  expect(bareSubgraphsCpu).toBe('—');
  expect(Number(bareDriverCpu)).toBeGreaterThan(0);
  // What 4 % of the bare hop leaves per request in CPU, from the same run's bare hop and CPU count.
  const cpus = Number(/(\d+) CPUs/.exec(stdout)![1]);
  const budget = /^CPU {4}credential-by-id: 4 % of the bare hop is (\d+\.\d) rps, at most (\d+\.\d\d) ms of CPU per request in all processes; Hutong took (\d+\.\d\d) ms/m.exec(stdout);
  expect(budget, context).not.toBeNull();
  expect(Number(budget![1])).toBeCloseTo(0.04 * Number(bareRps), 0);
  // From the bare hop's rate (printed to 0.1 rps), not the budget's rounded one: a slow run's small budget rate would round too coarsely.
  expect(Number(budget![2])).toBeCloseTo((cpus * 1000) / (0.04 * Number(bareRps)), 1);
  const hutongCpu = rows.get('credential-by-id/hutong')!.slice(10, 13).map(Number);
  expect(Number(budget![3])).toBeCloseTo(hutongCpu[0]! + hutongCpu[1]! + hutongCpu[2]!, 1);
  const ratio = Number(rows.get('credential-by-id/hutong')![9]);
  expect(ratio).toBeCloseTo(Number(rows.get('credential-by-id/hutong')![2]) / Number(rows.get('credential-by-id/stock')![2]), 1);
  expect(stdout).toMatch(/^(HOLDS|FAILS) {2}credential-by-id \(Hutong\) ≥ 4 % of the bare hop, no errors, p99 ≤ 5× p50: \d+\.\d\d %, 0 errors/m);
  // The fixture's supergraph declares no list sizes: its nested lists must not be refused as too costly.
  for (const gateway of ['hutong', 'stock']) {
    const [, , rps, , , errors, subgraphRequests] = rows.get(`generic-federation/${gateway}`)!;
    expect(Number(rps), gateway).toBeGreaterThan(0);
    expect(Number(errors), gateway).toBe(0);
    expect(Number(subgraphRequests), gateway).toBeGreaterThanOrEqual(2);
  }
  expect(stdout).toMatch(/^(HOLDS|FAILS) {2}generic-federation: Hutong ≥ 2× the stock gateway's throughput, no errors: \d+\.\d\d×, 0 errors$/m);
  // Each gateway ran as a process of its own, as deployed.
  expect(stdout).toContain("Subgraphs in one process, each gateway in its own (Hutong: 1 worker, node --max-semi-space-size=32 as deployed; stock: Node's defaults), autocannon in another.");
  // Neither gateway always runs second on warmer subgraphs: by default they take turns, Hutong, stock, stock, Hutong.
  expect(stdout).toMatch(/^Order of the timed runs of each operation: Hutong, stock, stock, Hutong, each for half of --duration/m);
  const rounds = [...stderr.matchAll(/^credential-by-id through (\w+), round (\d) of 4…$/gm)].map((m) => `${m[2]} ${m[1]}`);
  expect(rounds).toEqual(['1 hutong', '2 stock', '3 stock', '4 hutong']);
}, 180_000);

it('refuses an order it does not know before starting anything, and names the ones it does', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--order', 'zigzag'], { cwd: root, env: { ...process.env, HUTONG_LOG_LEVEL: 'silent' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  expect(code).toBe(2);
  expect(stderr.trim()).toBe('--order is one of abba, hutong-first, stock-first');
}, 60_000);
