/**
 * Recognition's usage relay: usage records kept until their issuing registry has stored them,
 * one queue per registry. Real PGlite database; the registries the relay calls are a double at
 * the client boundary (down, hung until a timeout, failing one record), and, for the timeout of
 * a hung registry, real HTTP servers behind the real RegistryClient.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, signingKeyFromJwk } from '../../subgraphs/kit/auth/keys.js';
import { fixedSigner } from '../../subgraphs/kit/auth/service-keys.js';
import { ServiceCallError } from '../../subgraphs/kit/auth/service-client.js';
import type { Database } from '../../subgraphs/kit/db.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import type { UsageRecord } from '../../subgraphs/kit/registry/records.js';
import { RecognitionStore } from '../../subgraphs/recognition/db/store.js';
import { RegistryClient, type CallOptions } from '../../subgraphs/recognition/registry-client.js';
import { backoffDelay, UsageRelay, type UsageRelayOptions } from '../../subgraphs/recognition/usage-relay.js';
import { recognitionStoreForEachTest, subgraphDatabase } from '../support/databases.js';

type Behaviour = 'ok' | 'down' | 'hang' | { timeoutMs: number };

/** The registries' usage-record endpoint as the relay sees it. */
class Registries {
  delivered: { region: string; id: string }[] = [];
  calls: { region: string; id: string }[] = [];
  behaviour: Record<string, Behaviour> = {};
  /** Record ids refused once each (HTTP 503). */
  refuseOnce = new Set<string>();
  inFlight = new Map<string, number>();
  mostAtOnce = 0;

  async recordUsage(region: string, record: UsageRecord, options: CallOptions = {}): Promise<void> {
    this.calls.push({ region, id: record.id });
    const now = (this.inFlight.get(region) ?? 0) + 1;
    this.inFlight.set(region, now);
    this.mostAtOnce = Math.max(this.mostAtOnce, now);
    try {
      const behaviour = this.behaviour[region] ?? 'ok';
      if (behaviour === 'down') throw new ServiceCallError(`${region} could not be reached: connect ECONNREFUSED`);
      if (behaviour !== 'ok') {
        await new Promise<void>((_, reject) => {
          if (behaviour !== 'hang') setTimeout(() => reject(new ServiceCallError(`${region} could not be reached: Headers Timeout Error`)), behaviour.timeoutMs);
          // An abandoned call takes a moment to unwind, as a real one does.
          options.signal?.addEventListener('abort', () => setTimeout(() => reject(new ServiceCallError(`${region} call abandoned`)), 50), { once: true });
        });
      }
      if (this.refuseOnce.delete(record.id)) throw new ServiceCallError(`${region} answered HTTP 503`, 503);
      // A real call takes a turn of the event loop at least.
      await new Promise((r) => setImmediate(r));
      this.delivered.push({ region, id: record.id });
    } finally {
      this.inFlight.set(region, this.inFlight.get(region)! - 1);
    }
  }
}

const record = (id: string): UsageRecord => ({
  id, credentialId: `c-${id}`, verifierOrg: '12370100MB0000000X', verifierName: '济南市政务服务中心', verifierRegion: 'shandong', operator: '窗口 3',
  scenario: 'service-hall-visit', scenarioName: '政务服务大厅办事', serviceItemName: '政务服务大厅办事', serviceItemCode: 'HT-ZW-0001',
  businessCaseNumber: 'JN-1', releasedFields: [], verdict: 'INDETERMINATE', reasons: ['ISSUING_REGISTRY_UNREACHABLE'], ruleId: null,
  ruleVersion: null, verifiedAt: '2026-11-30T02:00:00.000Z',
});

let db: Database;
let store: RecognitionStore;
let registries: Registries;

const recognition = recognitionStoreForEachTest(() => subgraphDatabase('recognition'), ['usage_outbox', 'usage_relay_region', 'verification']);
beforeEach(() => {
  ({ db, store } = recognition);
  registries = new Registries();
});

const relayOf = (options: UsageRelayOptions & { intervalInMs?: number; logLines?: string[] } = {}) =>
  new UsageRelay(
    store,
    registries as unknown as RegistryClient,
    options.logLines ? createLogger('test', 'warn', { write: (l) => void options.logLines!.push(l) }) : createLogger('test', 'silent'),
    options.intervalInMs ?? 60_000,
    { random: () => 1, ...options },
  );

/** Queues records for a region, `createdAt` literal (the same for all when given). */
async function queue(region: string, ids: string[], createdAt?: string): Promise<void> {
  if (ids.length > 10) {
    // In one statement, in order: each row still gets the next sequence number.
    await db.query(
      `insert into usage_outbox (verification_id, region_code, record, attempts, last_error)
       select id, $2, $3::jsonb || jsonb_build_object('id', id), 1, 'down at verification' from unnest($1::text[]) with ordinality as t(id, n) order by n`,
      [ids, region, JSON.stringify(record('x'))],
    );
  } else {
    for (const id of ids) await store.queueUsageRecord(id, region, record(id), 'down at verification');
  }
  if (createdAt) await db.query(`update usage_outbox set created_at = $2 where verification_id = any($1::text[])`, [ids, createdAt]);
}

const ids = (list: { region: string; id: string }[], region?: string) => list.filter((x) => !region || x.region === region).map((x) => x.id);
const settledWithin = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), ms))]);

describe('the usage relay', () => {
  it('keeps a record while its registry is down, delivers it once it is back, and then forgets it', async () => {
    const relay = relayOf();
    registries.behaviour = { shandong: 'down' };
    await queue('shandong', ['v-1']);
    await queue('yangtze-delta', ['v-2']);

    expect(await relay.deliverPending()).toBe(1); // Shandong's is still waiting; Yangtze Delta's went
    expect(ids(registries.delivered)).toEqual(['v-2']);
    expect((await store.pendingUsageRecords(10)).map((p) => p.verificationId)).toEqual(['v-1']);

    registries.behaviour = {};
    // A forced round (settling) does not wait out the backoff Shandong earned.
    expect(await relay.deliverPending()).toBe(0);
    expect(ids(registries.delivered)).toEqual(['v-2', 'v-1']);
    expect(await store.pendingUsageRecords(10)).toEqual([]);
    expect(await relay.deliverPending()).toBe(0);
    expect(registries.delivered).toHaveLength(2); // nothing delivered twice
  });

  it('runs on its own timer until stopped, and a failing round is logged and retried, not fatal', async () => {
    const lines: string[] = [];
    let rounds = 0;
    let failNext = true;
    class CountingRelay extends UsageRelay {
      override async startRound() {
        rounds++;
        if (failNext) {
          failNext = false;
          throw new Error('recognition database unavailable');
        }
        return super.startRound();
      }
    }
    const relay = new CountingRelay(store, registries as unknown as RegistryClient, createLogger('test', 'warn', { write: (l) => void lines.push(l) }), 20);
    await queue('shandong', ['v-3']);
    relay.start();
    for (let waited = 0; (rounds < 3 || (await store.pendingUsageRecords(10)).length > 0) && waited < 5000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await relay.stop();
    expect(rounds).toBeGreaterThanOrEqual(3);
    expect(ids(registries.delivered)).toEqual(['v-3']);
    expect(lines.map((l) => JSON.parse(l) as { msg: string; reason: string })).toContainEqual(
      expect.objectContaining({ msg: 'usage relay failed', reason: 'recognition database unavailable' }),
    );
    const afterStop = rounds;
    await new Promise((r) => setTimeout(r, 100));
    expect(rounds).toBe(afterStop);
  });
});

describe('one queue per registry', () => {
  it('delivers another registry’s record in the first round while 500 records wait for a hung one, and the round does not wait for its timeout', async () => {
    registries.behaviour = { shandong: { timeoutMs: 1500 } };
    const shandong = Array.from({ length: 500 }, (_, i) => `sd-${String(i).padStart(3, '0')}`);
    await queue('shandong', shandong, '2030-03-15T01:00:00Z');
    await queue('yangtze-delta', ['yd-1'], '2030-03-15T02:00:00Z');
    const relay = relayOf();

    const started = performance.now();
    const round = await relay.startRound();
    expect(performance.now() - started).toBeLessThan(500);
    expect([...round.keys()]).toEqual(['shandong', 'yangtze-delta']);
    expect(await settledWithin(round.get('yangtze-delta')!, 750)).toBe(true);
    expect(registries.delivered).toEqual([{ region: 'yangtze-delta', id: 'yd-1' }]);
    expect(await settledWithin(round.get('shandong')!, 0)).toBe(false); // still waiting for its registry

    await round.get('shandong');
    // One call to the hung registry, for its oldest record; the 499 behind it were not tried.
    expect(registries.calls.filter((c) => c.region === 'shandong')).toEqual([{ region: 'shandong', id: 'sd-000' }]);
    expect(await store.pendingUsageCount()).toBe(500);
  });

  it('does not wait for a hung registry’s HTTP timeout either (real HTTP, real client)', async () => {
    const { privateJwk } = await generateSigningKeyPair('relay-test');
    const key = fixedSigner('recognition', await signingKeyFromJwk(privateJwk));
    const stored: string[] = [];
    const hung = createServer(() => {});
    const healthy = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        stored.push((JSON.parse(body) as UsageRecord).id);
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"stored":true}');
      });
    });
    const listen = async (s: Server) => {
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    };
    const client = new RegistryClient({ shandong: await listen(hung), 'yangtze-delta': await listen(healthy) }, key, 1000);
    try {
      await queue('shandong', ['sd-1', 'sd-2'], '2030-03-15T01:00:00Z');
      await queue('yangtze-delta', ['yd-1'], '2030-03-15T02:00:00Z');
      const relay = new UsageRelay(store, client, createLogger('test', 'silent'), 60_000, { random: () => 1 });
      const round = await relay.startRound();
      const started = performance.now();
      await round.get('yangtze-delta');
      expect(performance.now() - started).toBeLessThan(700);
      expect(stored).toEqual(['yd-1']);
      await round.get('shandong');
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
      expect(await db.query(`select region_code as region, failures, last_error as "lastError" from usage_relay_region`)).toEqual([
        { region: 'shandong', failures: 1, lastError: 'shandong could not be reached: Headers Timeout Error' },
      ]);
      await relay.stop();
    } finally {
      await client.close();
      for (const s of [hung, healthy]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    }
  });

  it('delivers a registry’s records in creation order, ties in queueing order, and none overtakes one that failed', async () => {
    await queue('shandong', ['sd-b'], '2030-03-15T02:00:02Z');
    await queue('shandong', ['sd-a'], '2030-03-15T02:00:01Z');
    await queue('shandong', ['sd-c', 'sd-e', 'sd-d'], '2030-03-15T02:00:03Z');
    registries.refuseOnce = new Set(['sd-e']);
    const relay = relayOf();
    expect(await relay.deliverPending()).toBe(2);
    expect(ids(registries.delivered)).toEqual(['sd-a', 'sd-b', 'sd-c']);
    expect(ids(registries.calls)).toEqual(['sd-a', 'sd-b', 'sd-c', 'sd-e']);
    expect(await relay.deliverPending()).toBe(0);
    expect(ids(registries.delivered)).toEqual(['sd-a', 'sd-b', 'sd-c', 'sd-e', 'sd-d']);
  });

  it('leaves a record a verification is still delivering to it on its timer, but a forced round (settling) takes it too', async () => {
    await queue('shandong', ['sd-held']);
    await db.exec(`update usage_outbox set next_attempt_at = now() + interval '1 hour'`);
    const relay = relayOf();
    expect([...(await relay.startRound()).keys()]).toEqual([]);
    expect(await relay.deliverPending()).toBe(0);
    expect(ids(registries.delivered)).toEqual(['sd-held']);
  });

  it('reads a long queue in batches, in order, to the end', async () => {
    const many = Array.from({ length: 7 }, (_, i) => `sd-${i}`);
    await queue('shandong', many, '2030-03-15T02:00:00Z');
    expect(await relayOf({ batchSize: 3 }).deliverPending()).toBe(0);
    expect(ids(registries.delivered)).toEqual(many);
  });

  it('runs one delivery per registry at a time: a forced round waits behind the timer’s, and nothing goes twice', async () => {
    await queue('shandong', ['sd-1', 'sd-2', 'sd-3'], '2030-03-15T02:00:00Z');
    await queue('yangtze-delta', ['yd-1'], '2030-03-15T02:00:00Z');
    const relay = relayOf();
    const [round, pending] = await Promise.all([relay.startRound(), relay.deliverPending()]);
    await Promise.all(round.values());
    expect(pending).toBe(0);
    expect(registries.mostAtOnce).toBe(1);
    expect(ids(registries.delivered, 'shandong')).toEqual(['sd-1', 'sd-2', 'sd-3']);
    expect(ids(registries.delivered, 'yangtze-delta')).toEqual(['yd-1']);
    // A round while one is under way for a registry leaves that registry to it.
    registries.behaviour = { shandong: 'hang' };
    await queue('shandong', ['sd-4']);
    const first = await relay.startRound();
    expect([...(await relay.startRound()).keys()]).toEqual([]);
    await relay.stop();
    await Promise.all(first.values());
  });
});

describe('backoff of a failing registry', () => {
  it.each([
    [1, () => 1, 1000],
    [2, () => 1, 2000],
    [3, () => 1, 4000],
    [6, () => 1, 32_000],
    [7, () => 1, 60_000], // 64 s, capped
    [1000, () => 1, 60_000], // no overflow
    [1, () => 0, 500], // jitter: at least half
    [3, () => 0.5, 3000],
    [7, () => 0, 30_000],
  ])('after %s failures waits the computed delay (case %#)', (failures, random, delay) => {
    expect(backoffDelay(failures, 1000, 60_000, random)).toBe(delay);
  });

  const regionState = () =>
    db.query<{ failures: number; delayMs: number | null; lastError: string | null }>(
      `select failures, (extract(epoch from next_attempt_at - last_failure_at) * 1000)::int as "delayMs", last_error as "lastError"
       from usage_relay_region where region_code = 'shandong'`,
    );

  it('grows with each failure up to the cap, with jitter, is logged, and resets when a record gets through', async () => {
    const lines: string[] = [];
    const relay = relayOf({ intervalInMs: 1000, maxBackoffInMs: 5000, random: () => 1, logLines: lines });
    registries.behaviour = { shandong: 'down' };
    await queue('shandong', ['sd-1']);
    const delays: (number | null)[] = [];
    for (let i = 0; i < 4; i++) {
      await relay.deliverPending();
      delays.push((await regionState())[0]!.delayMs);
    }
    expect(delays).toEqual([1000, 2000, 4000, 5000]);
    expect(await regionState()).toEqual([{ failures: 4, delayMs: 5000, lastError: 'shandong could not be reached: connect ECONNREFUSED' }]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, msg: 'usage records wait for their registry', region: 'shandong', failures: 1, retryInMs: 1000 });

    registries.behaviour = {};
    expect(await relay.deliverPending()).toBe(0);
    expect(await regionState()).toEqual([{ failures: 0, delayMs: null, lastError: null }]);

    registries.behaviour = { shandong: 'down' };
    await queue('shandong', ['sd-2']);
    await relayOf({ intervalInMs: 1000, maxBackoffInMs: 5000, random: () => 0 }).deliverPending();
    expect(await regionState()).toEqual([{ failures: 1, delayMs: 500, lastError: 'shandong could not be reached: connect ECONNREFUSED' }]);
  });

  it('leaves a registry alone on its timer while it backs off, and goes back to it once the backoff is over', async () => {
    registries.behaviour = { shandong: 'down' };
    await queue('shandong', ['sd-1']);
    const relay = relayOf({ intervalInMs: 60_000 });
    await Promise.all((await relay.startRound()).values());
    expect(registries.calls).toEqual([{ region: 'shandong', id: 'sd-1' }]);

    await queue('yangtze-delta', ['yd-1']);
    const round = await relay.startRound();
    expect([...round.keys()]).toEqual(['yangtze-delta']);
    await Promise.all(round.values());
    expect(registries.calls).toHaveLength(2);

    registries.behaviour = {};
    await db.exec(`update usage_relay_region set next_attempt_at = now() - interval '1 millisecond'`);
    const later = await relay.startRound();
    expect([...later.keys()]).toEqual(['shandong']);
    await Promise.all(later.values());
    expect(ids(registries.delivered)).toEqual(['yd-1', 'sd-1']);
  });
});

describe('the backlog', () => {
  it('gives each registry’s pending records, oldest, next attempt and last error, exactly', async () => {
    await queue('shandong', ['sd-1'], '2030-03-15T02:00:01.500Z');
    await queue('shandong', ['sd-2'], '2030-03-15T02:00:02Z');
    await queue('yangtze-delta', ['yd-1'], '2030-03-15T02:00:03Z');
    registries.behaviour = { shandong: 'down' };
    const relay = relayOf({ intervalInMs: 1000 });
    await relay.deliverPending();
    const [{ next }] = await db.query<{ next: string }>(
      `select to_char(next_attempt_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as next from usage_relay_region where region_code = 'shandong'`,
    ) as [{ next: string }];
    expect(await relay.backlog()).toEqual({
      'chengdu-chongqing': { pending: 0, oldestQueuedAt: null, nextAttemptAt: null, lastError: null },
      hebei: { pending: 0, oldestQueuedAt: null, nextAttemptAt: null, lastError: null },
      shandong: { pending: 2, oldestQueuedAt: '2030-03-15T02:00:01.500Z', nextAttemptAt: next, lastError: 'shandong could not be reached: connect ECONNREFUSED' },
      'yangtze-delta': { pending: 0, oldestQueuedAt: null, nextAttemptAt: null, lastError: null },
    });
  });
});

describe('stopping', () => {
  it('waits for the delivery under way, abandons its call without blaming the registry, and tries nothing more', async () => {
    registries.behaviour = { shandong: 'hang' };
    await queue('shandong', ['sd-1', 'sd-2']);
    const relay = relayOf({ intervalInMs: 20 });
    relay.start();
    for (let waited = 0; registries.calls.length === 0 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(registries.calls).toEqual([{ region: 'shandong', id: 'sd-1' }]);
    const stopping = relay.stop();
    expect(await settledWithin(stopping, 500)).toBe(true);
    expect(registries.inFlight.get('shandong')).toBe(0); // stop() returned after the call had ended
    expect(await db.query(`select * from usage_relay_region`)).toEqual([]);
    expect(await db.query(`select verification_id as id, attempts from usage_outbox order by verification_id`)).toEqual([
      { id: 'sd-1', attempts: 1 },
      { id: 'sd-2', attempts: 1 },
    ]);
    await new Promise((r) => setTimeout(r, 100));
    expect(registries.calls).toHaveLength(1);
    expect(await relay.deliverPending()).toBe(2); // stopped for good
    expect(registries.calls).toHaveLength(1);
  });
});
