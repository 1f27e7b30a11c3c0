/**
 * Replicas that share state: two gateways and two replicas of a registry and of the catalogue,
 * on PostgreSQL and Redis. A replayed envelope is refused by the other replica, the rate limit is
 * shared, the catalogue's relay runs in one replica only, and when that one dies another takes
 * over within a second.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../gateway/src/gateway.js';
import { loadGatewayConfig } from '../../gateway/src/config.js';
import { anonymous } from '../../subgraphs/kit/auth/caller.js';
import { ENVELOPE_HEADER, signEnvelope } from '../../subgraphs/kit/auth/envelope.js';
import { registryUrlVariable } from '../../subgraphs/kit/config.js';
import { openDatabase, type Database } from '../../subgraphs/kit/db.js';
import { listen, type Listening } from '../../subgraphs/kit/http.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { CredentialStore } from '../../subgraphs/kit/registry/store.js';
import { subgraphs } from '../../subgraphs/index.js';
import type { SubgraphApp } from '../../subgraphs/kit/subgraph-server.js';
import { postgresAdminUrl, startStack, TEST_SEED_COUNT, type Stack } from '../support/stack.js';
import { region, seedCredential } from '../support/fixtures.js';

const REDIS_URL = process.env.HUTONG_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const silent = createLogger('test', 'silent');
const moduleOf = (name: string) => subgraphs.find((m) => m.name === name)!;
let stack: Stack;
const cleanups: (() => Promise<unknown>)[] = [];

/** Another replica of a stack's subgraph: its own process state and pool, the same database. */
async function replicaOf(name: string, env: Record<string, string> = {}): Promise<{ url: string; db: Database; subgraph: SubgraphApp; listening: Listening }> {
  const db = await openDatabase({ url: stack.subgraphs.get(name)!.databaseUrl!, poolSize: 3 });
  const registryUrls = Object.fromEntries([...stack.subgraphs.values()].map((s) => [registryUrlVariable(s.name), s.url]));
  const subgraph = await moduleOf(name).create({ db, logger: silent, env: { ...registryUrls, HUTONG_LEADER_CHECK_MS: '100', ...env }, auth: await stack.authFor(name) });
  const listening = await listen(subgraph.app, 0);
  // Undone in reverse: stop listening, stop the subgraph (its relay and lead), then close its pool.
  cleanups.push(() => db.close(), () => subgraph.stop(), () => listening.close());
  return { url: listening.url, db, subgraph, listening };
}

beforeAll(async () => {
  stack = await startStack({ db: 'postgres', redisUrl: REDIS_URL, subgraphEnv: { HUTONG_LEADER_CHECK_MS: '100' }, gatewayEnv: { HUTONG_RATE_LIMIT_PER_MINUTE: '6' } });
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await stack?.stop();
});

describe('two replicas of a registry, sharing Redis', () => {
  it('refuse an envelope at the second replica that the first has already accepted', async () => {
    const second = await replicaOf('shandong');
    const body = JSON.stringify({ query: '{ _service { sdl } }' });
    const envelope = await signEnvelope(await stack.serviceKey('gateway'), 'gateway', anonymous, { audience: 'shandong', method: 'POST', path: '/graphql', body });
    const send = (url: string) => fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', [ENVELOPE_HEADER]: envelope }, body });
    expect((await send(stack.subgraphs.get('shandong')!.url)).status).toBe(200);
    const replayed = await send(second.url);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ errors: [{ message: 'request signature was already used', extensions: { code: 'UNAUTHENTICATED' } }] });
  });
});

describe('two gateway replicas, sharing Redis', () => {
  it('count one client’s requests together: the seventh in a minute is refused by either', async () => {
    const second = await createGateway(loadGatewayConfig(stack.gatewayEnv), silent);
    const secondListening = await listen(second.app, 0);
    cleanups.push(() => second.stop(), () => secondListening.close());
    // A caller of its own, so no other test's requests count.
    const token = await stack.token({ sub: `analyst-${randomUUID()}`, role: 'analyst' });
    const ask = (url: string) => fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"query":"{ regions { code } }"}' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await ask(i % 2 === 0 ? stack.gatewayUrl : secondListening.url)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const refused = await ask(secondListening.url);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('RATE_LIMITED');
    expect((await ask(stack.gatewayUrl)).status).toBe(429);
  });

  it('tell clients behind a trusted proxy apart by the address it names, and not otherwise', async () => {
    const behind = async (trustProxy: string) => {
      const gateway = await createGateway(loadGatewayConfig({ ...stack.gatewayEnv, HUTONG_TRUST_PROXY: trustProxy, HUTONG_RATE_LIMIT_PER_MINUTE: '1' }), silent);
      const listening = await listen(gateway.app, 0);
      cleanups.push(() => gateway.stop(), () => listening.close());
      // Addresses of this run only, so no earlier run's counters in Redis count.
      const n = Math.floor(Math.random() * 200) + 1;
      const from = (last: number) =>
        fetch(`${listening.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.${n}.${last}` }, body: '{"query":"{ regions { code } }"}' }).then((r) => r.status);
      return [await from(1), await from(2), await from(1)];
    };
    // Trusted: two clients, one request each allowed; the first client's second is refused.
    expect(await behind('loopback')).toEqual([200, 200, 429]);
    // Not trusted: the header is ignored, every request is the proxy's own, so the second
    // (whatever the first got) is refused although it claims another client.
    expect((await behind('false'))[1]).toBe(429);
  });
});

describe('the catalogue’s relay, with two replicas of the catalogue', () => {
  it('runs in one replica only, and another takes over within a second when the leader’s session dies', async () => {
    const leader = stack.subgraphs.get('catalogue')!.subgraph;
    await expect.poll(() => leader.leadership!.isLeader(), { timeout: 5000 }).toBe(true);
    // The second replica reads the Shandong feed through a door that counts its requests.
    let feedRequests = 0;
    const shandongUrl = new URL(stack.subgraphs.get('shandong')!.url);
    const door: Server = createServer((req, res) => {
      if (req.url?.startsWith('/catalogue-feed')) feedRequests++;
      const forward = request({ host: shandongUrl.hostname, port: shandongUrl.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      req.pipe(forward);
    });
    await new Promise<void>((r) => door.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => door.close(r)));
    const follower = await replicaOf('catalogue', { HUTONG_RELAY_INTERVAL_MS: '100', [registryUrlVariable('shandong')]: `http://127.0.0.1:${(door.address() as AddressInfo).port}` });
    await new Promise((r) => setTimeout(r, 600));
    expect(follower.subgraph.leadership!.isLeader()).toBe(false);
    expect(feedRequests).toBe(0);

    // The leader dies: PostgreSQL ends its session, and with it the lock.
    const admin = new pg.Client({ connectionString: postgresAdminUrl });
    await admin.connect();
    const database = new URL(stack.subgraphs.get('catalogue')!.databaseUrl!).pathname.slice(1);
    await admin.query(`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = $1)`, [database]);
    await admin.end();
    await leader.leadership!.check();
    // A dead process does not come back, nor finish a relay poll it had in flight: on a busy
    // machine such a poll read the feed after the inserts below and indexed them before the new
    // leader's first poll.
    await leader.stop();
    const diedAt = Date.now();
    await expect.poll(() => follower.subgraph.leadership!.isLeader(), { timeout: 3000, interval: 20 }).toBe(true);
    expect(Date.now() - diedAt).toBeLessThan(1000);

    // Credentials issued now reach the national index through the new leader, once each.
    const shandong = stack.subgraphs.get('shandong')!;
    const fresh = [0, 1, 2].map((i) => seedCredential(region('shandong'), TEST_SEED_COUNT + 500 + i));
    await shandong.db.transaction(async (tx) => {
      await CredentialStore.lockOutbox(tx);
      await CredentialStore.insert(tx, fresh);
    });
    const indexed = async () =>
      (await follower.db.query<{ n: number }>('select count(*)::int as n from holder_index where credential_id = any($1)', [fresh.map((c) => c.id)]))[0]!.n;
    await expect.poll(indexed, { timeout: 5000, interval: 50 }).toBe(3);
    expect(feedRequests).toBeGreaterThan(0);
  });
});
