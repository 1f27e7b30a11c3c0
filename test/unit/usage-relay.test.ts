/**
 * Recognition's usage relay: usage records kept until their issuing registry has stored them.
 * Real PGlite database; the registry the relay calls is a small double at its client boundary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceCallError } from '../../subgraphs/kit/auth/service-client.js';
import type { Database } from '../../subgraphs/kit/db.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import type { UsageRecord } from '../../subgraphs/kit/registry/records.js';
import { RecognitionStore } from '../../subgraphs/recognition/db/store.js';
import type { RegistryClient } from '../../subgraphs/recognition/registry-client.js';
import { UsageRelay } from '../../subgraphs/recognition/usage-relay.js';
import { subgraphDatabase } from '../support/databases.js';

describe('the usage relay', () => {
  let db: Database;
  let store: RecognitionStore;
  const delivered: UsageRecord[] = [];
  let down = new Set<string>();
  const registries = {
    async recordUsage(regionCode: string, record: UsageRecord) {
      if (down.has(regionCode)) throw new ServiceCallError(`${regionCode} unreachable`);
      delivered.push(record);
    },
  } as unknown as RegistryClient;

  const record = (id: string, credentialId: string): UsageRecord => ({
    id, credentialId, verifierOrg: '12370100MB0000000X', verifierName: '济南市政务服务中心', verifierRegion: 'shandong', operator: '窗口 3',
    scenario: 'service-hall-visit', scenarioName: '政务服务大厅办事', serviceItemName: '政务服务大厅办事', serviceItemCode: 'HT-ZW-0001',
    businessCaseNumber: 'JN-1', releasedFields: [], verdict: 'INDETERMINATE', reasons: ['ISSUING_REGISTRY_UNREACHABLE'], ruleId: null,
    ruleVersion: null, verifiedAt: '2026-11-30T02:00:00.000Z',
  });

  beforeAll(async () => {
    db = await subgraphDatabase('recognition');
    store = new RecognitionStore(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('keeps a record while its registry is down, delivers it once it is back, and then forgets it', async () => {
    const relay = new UsageRelay(store, registries, createLogger('test', 'silent'), 60_000);
    down = new Set(['shandong']);
    await store.queueUsageRecord('v-1', 'shandong', record('v-1', 'c-1'), 'down at verification');
    await store.queueUsageRecord('v-2', 'yangtze-delta', record('v-2', 'c-2'), 'down at verification');

    expect(await relay.deliverPending()).toBe(1); // Shandong's is still waiting; Yangtze Delta's went
    expect(delivered.map((r) => r.id)).toEqual(['v-2']);
    expect((await store.pendingUsageRecords(10)).map((p) => p.verificationId)).toEqual(['v-1']);

    down = new Set();
    expect(await relay.deliverPending()).toBe(0);
    expect(delivered.map((r) => r.id)).toEqual(['v-2', 'v-1']);
    expect(await store.pendingUsageRecords(10)).toEqual([]);
    expect(await relay.deliverPending()).toBe(0);
    expect(delivered).toHaveLength(2); // nothing delivered twice
  });

  it('runs on its own timer until stopped, and a failing round is logged and retried, not fatal', async () => {
    const lines: string[] = [];
    let rounds = 0;
    let failNext = true;
    class CountingRelay extends UsageRelay {
      override async deliverPending(): Promise<number> {
        rounds++;
        if (failNext) {
          failNext = false;
          throw new Error('recognition database unavailable');
        }
        return super.deliverPending();
      }
    }
    const relay = new CountingRelay(store, registries, createLogger('test', 'warn', { write: (l) => void lines.push(l) }), 20);
    await store.queueUsageRecord('v-3', 'shandong', record('v-3', 'c-3'), 'down at verification');
    relay.start();
    for (let waited = 0; (rounds < 3 || (await store.pendingUsageRecords(10)).length > 0) && waited < 5000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    relay.stop();
    expect(rounds).toBeGreaterThanOrEqual(3);
    expect(delivered.map((r) => r.id)).toContain('v-3');
    expect(lines.map((l) => JSON.parse(l) as { msg: string; reason: string })).toContainEqual(
      expect.objectContaining({ msg: 'usage relay failed', reason: 'recognition database unavailable' }),
    );
    const afterStop = rounds;
    await new Promise((r) => setTimeout(r, 100));
    expect(rounds).toBe(afterStop);
  });
});
