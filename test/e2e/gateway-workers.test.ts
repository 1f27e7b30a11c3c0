/**
 * The gateway with HUTONG_GATEWAY_WORKERS=2, as an operator runs it: two worker processes on one
 * port, their metrics summed on the supervisor's metrics port, a killed worker replaced, SIGTERM
 * stopping every process, and workers that cannot start stopping the gateway with their exit code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subgraphUrlVariable } from '../../gateway/src/config.js';
import { spawnEntry, type SpawnedEntry } from '../support/processes.js';
import { ONE_PER_REGION, onePerRegionIds } from '../support/queries.js';
import { startStack, type Stack } from '../support/stack.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hutong-gateway-workers-'));
const ids = onePerRegionIds(4);
const OPERATION = `query WorkersProbe${ONE_PER_REGION.slice(ONE_PER_REGION.indexOf('('))}`;

let stack: Stack;
let token: string;
beforeAll(async () => {
  stack = await startStack({});
  token = await stack.token({ sub: 'auditor-1', role: 'admin' });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function gatewayEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'production',
    HUTONG_LOG_LEVEL: 'info',
    HUTONG_GATEWAY_PORT: '0',
    HUTONG_METRICS_PORT: '0',
    HUTONG_GATEWAY_WORKERS: '2',
    HUTONG_CLIENT_JWKS_FILE: stack.keyFiles.clientJwks,
    HUTONG_INTERNAL_SIGNING_KEY_FILE: stack.keyFiles.serviceKey('gateway'),
    HUTONG_RATE_LIMIT_PER_MINUTE: '1000000',
    ...extra,
  };
  for (const s of stack.subgraphs.values()) env[subgraphUrlVariable(s.name)] = `${s.url}/graphql`;
  return env;
}

/** The log lines (JSON) the gateway's processes printed with this message. */
const logLines = (gateway: SpawnedEntry, msg: string) =>
  gateway
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((l) => l.msg === msg);

async function until<T>(what: string, gateway: SpawnedEntry, probe: () => T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline || gateway.child.exitCode !== null) throw new Error(`${what}:\n${gateway.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ask(url: string): Promise<string> {
  // A connection per request: cluster hands each new connection to the next worker.
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, connection: 'close' },
    body: JSON.stringify({ query: OPERATION, operationName: 'WorkersProbe', variables: ids }),
  });
  const body = (await res.json()) as { data?: { sd?: unknown }; errors?: unknown };
  return res.status === 200 && !body.errors && body.data?.sd ? 'ok' : `${res.status} ${JSON.stringify(body).slice(0, 300)}`;
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Sum of `hutong_requests_total` for the probe operation answered 200, as the metrics port reports it. */
async function probeRequestsCounted(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('hutong_requests_total{') && l.includes('operation="WorkersProbe"') && l.includes('status="200"'))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('gateway workers', () => {
  it('serve one port from two processes, report their requests together, replace a killed worker and all stop on SIGTERM', async () => {
    const gateway = spawnEntry('gateway/src/main.ts', gatewayEnv({}));
    try {
      const listening = await until('two workers listening', gateway, () => {
        const lines = logLines(gateway, 'gateway listening');
        return lines.length === 2 ? lines : undefined;
      });
      expect(listening.map((l) => l.worker).sort()).toEqual([1, 2]);
      const pids = listening.map((l) => l.pid as number);
      expect(new Set(pids).size).toBe(2);
      expect(pids).not.toContain(gateway.child.pid);
      const url = listening[0]!.graphql.replace(/\/graphql$/, '');
      expect(listening[1]!.graphql).toBe(`${url}/graphql`);
      const metricsUrl = logLines(gateway, 'gateway workers starting')[0]!.metrics as string;
      expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

      const answers: string[] = [];
      for (let round = 0; round < 5; round++) answers.push(...(await Promise.all(Array.from({ length: 8 }, () => ask(url)))));
      expect(answers.filter((a) => a !== 'ok')).toEqual([]);
      // Both workers' counts, summed: forty requests answered, whichever worker took each.
      expect(await probeRequestsCounted(metricsUrl)).toBe(40);

      process.kill(pids[0]!, 'SIGKILL');
      const replacement = await until('a replacement worker', gateway, () => logLines(gateway, 'gateway listening').find((l) => !pids.includes(l.pid)));
      expect(replacement.worker).toBe(listening[0]!.worker);
      expect(logLines(gateway, 'gateway worker exited unexpectedly; starting another in 1 s')).toMatchObject([{ pid: pids[0], signal: 'SIGKILL' }]);
      const after = await Promise.all(Array.from({ length: 8 }, () => ask(url)));
      expect(after.filter((a) => a !== 'ok')).toEqual([]);

      const stoppedAt = Date.now();
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(12_000);
      for (const pid of [pids[1]!, replacement.pid as number]) expect(isRunning(pid)).toBe(false);
      expect(logLines(gateway, 'stopped')).toHaveLength(3);
    } finally {
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
    }
  }, 180_000);

  it('stop the gateway with exit code 2 when the workers cannot load the supergraph, rather than restarting them', async () => {
    const gateway = spawnEntry('gateway/src/main.ts', gatewayEnv({ HUTONG_SUPERGRAPH_PATH: path.join(dir, 'missing-supergraph.graphql') }));
    expect(await gateway.exited).toBe(2);
    expect(gateway.output()).toContain('The gateway cannot start:');
    expect(logLines(gateway, 'gateway worker could not start; stopping the gateway').length).toBeGreaterThanOrEqual(1);
    expect(logLines(gateway, 'gateway listening')).toEqual([]);
  }, 120_000);
});
