/**
 * The gateway as its own process, as an operator runs it, in front of real subgraphs: it swaps
 * in a changed supergraph (file change or SIGHUP) under load without a failed request, refuses a
 * broken one and keeps serving, refuses to start on a broken one with a clear message, and on
 * SIGTERM under load finishes what it accepted and exits 0 within 10 s.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subgraphUrlVariable } from '../../gateway/src/config.js';
import { spawnEntry, type SpawnedEntry } from '../support/processes.js';
import { ONE_PER_REGION, onePerRegionIds } from '../support/queries.js';
import { startStack, type Stack } from '../support/stack.js';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'hutong-gateway-'));
const supergraphFile = path.join(dir, 'supergraph.graphql');
const original = readFileSync(path.join(root, 'schema/supergraph.graphql'), 'utf8');

const ids = onePerRegionIds(4);

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

interface GatewayProcess extends SpawnedEntry {
  url: string;
}

async function startGateway(supergraphPath: string): Promise<GatewayProcess> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'production',
    HUTONG_LOG_LEVEL: 'info',
    HUTONG_GATEWAY_PORT: '0',
    HUTONG_SUPERGRAPH_PATH: supergraphPath,
    HUTONG_CLIENT_JWKS_FILE: stack.keyFiles.clientJwks,
    HUTONG_INTERNAL_SIGNING_KEY_FILE: stack.keyFiles.serviceKey('gateway'),
    HUTONG_RATE_LIMIT_PER_MINUTE: '1000000',
    HUTONG_SUBGRAPH_TIMEOUT_MS: '10000',
    HUTONG_REQUEST_DEADLINE_MS: '20000',
  };
  for (const s of stack.subgraphs.values()) env[subgraphUrlVariable(s.name)] = `${s.url}/graphql`;
  const started = spawnEntry('gateway/src/main.ts', env);
  const { child, output, exited } = started;
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await exited;
      return { ...started, url: '' };
    }
    url = /"graphql":"(http:\/\/[^"]+)\/graphql"/.exec(output())?.[1];
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...started, url };
}

/** Keep-alive clients sending the same query in a loop until stopped; every outcome is kept. */
function load(url: string, clients: number) {
  const pool = new Pool(url, { connections: clients, keepAliveTimeout: 60_000 });
  const outcomes = { ok: 0, refused: 0, failed: [] as string[] };
  let running = true;
  const body = JSON.stringify({ query: ONE_PER_REGION, variables: ids });
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      try {
        const res = await pool.request({ path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
        const json = (await res.body.json()) as { data?: { sd?: unknown }; errors?: unknown };
        if (res.statusCode === 200 && !json.errors && json.data?.sd) outcomes.ok++;
        else outcomes.failed.push(`${res.statusCode} ${JSON.stringify(json).slice(0, 300)}`);
      } catch (error) {
        const code = (error as { code?: string }).code;
        // Refused: the listener is closed, the request was never accepted; the client goes elsewhere.
        if (code === 'ECONNREFUSED') {
          outcomes.refused++;
          await new Promise((r) => setTimeout(r, 50));
        } else outcomes.failed.push(`${code ?? ''} ${(error as Error).message}`);
      }
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
      await pool.close();
    },
  };
}

async function waitFor(check: () => boolean, what: string, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('the gateway process', () => {
  it('reloads a changed supergraph on a file change and on SIGHUP under load with no failed request, and refuses a broken one', async () => {
    copyFileSync(path.join(root, 'schema/supergraph.graphql'), supergraphFile);
    const gateway = await startGateway(supergraphFile);
    expect(gateway.url, gateway.output()).not.toBe('');
    const traffic = load(gateway.url, 8);
    try {
      await waitFor(() => traffic.outcomes.ok > 20, 'traffic');

      writeFileSync(supergraphFile, 'type Query {');
      await waitFor(() => gateway.output().includes('supergraph refused'), 'the broken file to be refused');
      expect(gateway.output()).toContain('"reason":"The supergraph at');
      const okBefore = traffic.outcomes.ok;
      await waitFor(() => traffic.outcomes.ok > okBefore + 20, 'traffic on the old supergraph');

      // A real change: the URL recorded for one subgraph (the gateway's own URL settings still win).
      writeFileSync(supergraphFile, original.replace('url: "http://127.0.0.1:4004/graphql"', 'url: "http://127.0.0.1:4104/graphql"'));
      await waitFor(() => count(gateway.output(), '"msg":"supergraph loaded"') === 1, 'the file change to load');
      expect(gateway.output()).toMatch(/"trigger":"file".*"msg":"supergraph loaded"/);

      // An editor's save arrives as a write to the watched folder too; SIGHUP reads it again.
      gateway.child.kill('SIGHUP');
      await waitFor(() => gateway.output().includes('"msg":"supergraph unchanged"'), 'SIGHUP on an unchanged file');
      writeFileSync(path.join(dir, 'next.graphql'), original);
      copyFileSync(path.join(dir, 'next.graphql'), supergraphFile);
      gateway.child.kill('SIGHUP');
      await waitFor(() => count(gateway.output(), '"msg":"supergraph loaded"') >= 2, 'SIGHUP to load');
      const okAfter = traffic.outcomes.ok;
      await waitFor(() => traffic.outcomes.ok > okAfter + 20, 'traffic on the new supergraph');
    } finally {
      await traffic.stop();
      gateway.child.kill('SIGKILL');
      await gateway.exited;
    }
    expect(traffic.outcomes.failed).toEqual([]);
    expect(traffic.outcomes.refused).toBe(0);
  });

  it('serves its metrics on their own port, not on the port clients reach', async () => {
    copyFileSync(path.join(root, 'schema/supergraph.graphql'), supergraphFile);
    const gateway = await startGateway(supergraphFile);
    try {
      const metricsUrl = /"metrics":"(http:\/\/[^"]+\/metrics)"/.exec(gateway.output())?.[1];
      expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(new URL(metricsUrl!).port).not.toBe(new URL(gateway.url).port);
      await fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      const text = await (await fetch(metricsUrl!)).text();
      expect(text).toMatch(/^hutong_requests_total\{operation="anonymous",status="200",service="gateway"\} 1$/m);
      expect(text).toContain('process_cpu_user_seconds_total');
      expect((await fetch(`${gateway.url}/metrics`)).status).toBe(404);
    } finally {
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
    }
  });

  it('finishes every request it accepted and exits 0 within 10 s of SIGTERM under load', async () => {
    copyFileSync(path.join(root, 'schema/supergraph.graphql'), supergraphFile);
    const gateway = await startGateway(supergraphFile);
    expect(gateway.url, gateway.output()).not.toBe('');
    const traffic = load(gateway.url, 16);
    await waitFor(() => traffic.outcomes.ok > 30, 'traffic');
    const signalledAt = Date.now();
    gateway.child.kill('SIGTERM');
    const code = await Promise.race([gateway.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000))]);
    const tookMs = Date.now() - signalledAt;
    await waitFor(() => traffic.outcomes.refused > 0, 'clients to be refused once the gateway is gone', 5000);
    await traffic.stop();
    if (code === 'still running') gateway.child.kill('SIGKILL');
    expect(code, gateway.output().slice(-3000)).toBe(0);
    expect(tookMs).toBeLessThan(10_000);
    expect(traffic.outcomes.failed).toEqual([]);
    expect(gateway.output()).toContain('"msg":"stopped"');
  });

  it('refuses to start on a broken supergraph with one clear line and exit code 2', async () => {
    const broken = path.join(dir, 'broken.graphql');
    writeFileSync(broken, 'schema @link(url: "https://specs.apollo.dev/link/v1.0") { query: Query }\ntype Query { a: Int');
    const gateway = await startGateway(broken);
    expect(await gateway.exited).toBe(2);
    expect(gateway.output()).toMatch(new RegExp(`^The gateway cannot start: The supergraph at ${broken.replaceAll('/', '\\/')} is not valid: Syntax Error: .+\\n$`));
  });
});
