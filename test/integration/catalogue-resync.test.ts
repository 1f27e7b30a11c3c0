/**
 * A registry whose database is replaced (restored from a backup, moved, re-seeded) numbers its
 * outbox from 1 again under a new epoch. The catalogue's relay must notice, rebuild that region's
 * part of the national index without a moment in which a credential held by both databases stops
 * routing, and leave the other regions alone. Real registries (their own app and feed route, real
 * PGlite databases) on ephemeral ports, called with signed envelopes; a real catalogue database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IndexStore } from '../../subgraphs/catalogue/db/index-store.js';
import { CatalogueRelay, FeedAnswerError, type RegionRelayStatus } from '../../subgraphs/catalogue/relay.js';
import { subgraphs } from '../../subgraphs/index.js';
import { ensureDevKeys } from '../../subgraphs/kit/auth/keys.js';
import type { Database, Queryable } from '../../subgraphs/kit/db.js';
import { listen, type Listening } from '../../subgraphs/kit/http.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { CredentialStore } from '../../subgraphs/kit/registry/store.js';
import { loadSubgraphAuth, type SubgraphAuth } from '../../subgraphs/kit/run.js';
import type { CredentialRecord } from '../../subgraphs/kit/seed/credentials.js';
import { subgraphDatabase } from '../support/databases.js';
import { region, seedCredential } from '../support/fixtures.js';

const SD = 'shandong';
const YD = 'yangtze-delta';
const sd = (k: number) => seedCredential(region(SD), k);
const yd = (k: number) => seedCredential(region(YD), k);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let auth: SubgraphAuth;
let keyDir: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  keyDir = mkdtempSync(path.join(tmpdir(), 'hutong-resync-keys-'));
  const keyFiles = await ensureDevKeys(keyDir, ['catalogue', 'yangtze-delta', 'chengdu-chongqing', 'shandong']);
  auth = await loadSubgraphAuth('catalogue', { jwks: keyFiles.internalJwks, signingKey: keyFiles.serviceKey('catalogue') });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

const silent = createLogger('test', 'silent');

/** A registry database of `regionCode` holding `records` (outbox seq 1…n), served by the registry's real app. */
async function registryDatabase(regionCode: string, records: CredentialRecord[]): Promise<{ db: Database; app: Express; epoch: string }> {
  const mod = subgraphs.find((m) => m.name === regionCode)!;
  const db = await subgraphDatabase(regionCode);
  cleanups.push(() => db.close());
  if (records.length > 0) await issue(db, records);
  const subgraph = await mod.create({ db, logger: silent, env: {}, auth });
  cleanups.push(() => subgraph.stop());
  const [row] = await db.query<{ epoch: string }>('select epoch from feed_epoch');
  return { db, app: subgraph.app, epoch: row!.epoch };
}

async function issue(db: Database, records: CredentialRecord[]): Promise<void> {
  await db.transaction(async (tx) => {
    await CredentialStore.lockOutbox(tx);
    await CredentialStore.insert(tx, records);
  });
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A registry address whose database can be swapped behind it, or made to hang. */
interface Front {
  url: string;
  serve(app: Handler | 'hang'): void;
  /** Requests received so far. */
  requests: number;
}

async function front(app: Handler): Promise<Front> {
  let target: Handler | 'hang' = app;
  const held = new Set<IncomingMessage>();
  const f = {
    url: '',
    requests: 0,
    serve(next: Handler | 'hang') {
      target = next;
    },
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    f.requests++;
    if (target === 'hang') {
      held.add(req);
      return;
    }
    target(req, res);
  };
  const listening: Listening = await listen(handler as unknown as Express, 0);
  cleanups.push(async () => {
    for (const req of held) req.socket.destroy();
    await listening.close();
  });
  f.url = listening.url;
  return f;
}

interface Catalogue {
  db: Database;
  store: IndexStore;
  relay: CatalogueRelay;
  logs: Record<string, unknown>[];
}

async function catalogue(fronts: Record<string, Front>, options: { batchSize?: number; intervalInMs?: number; db?: Database } = {}): Promise<Catalogue> {
  let db = options.db;
  if (!db) {
    const opened = await subgraphDatabase('catalogue');
    cleanups.push(() => opened.close());
    db = opened;
  }
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('catalogue', 'info', { write: (line) => logs.push(JSON.parse(line)) });
  const store = new IndexStore(db);
  const relay = new CatalogueRelay(
    store,
    Object.entries(fronts).map(([regionCode, f]) => ({ regionCode, registryUrl: f.url })),
    logger,
    { intervalInMs: options.intervalInMs ?? 60_000, batchSize: options.batchSize ?? 2 },
    auth.signer!,
  );
  cleanups.push(() => relay.stop());
  return { db, store, relay, logs };
}

/** The credentials the index routes to a region. */
const routed = async (c: Catalogue, regionCode: string) =>
  (await c.db.query<{ id: string }>('select credential_id as id from holder_index where region_code = $1 order by credential_id', [regionCode])).map((r) => r.id);

/** Whether looking up the credential's holder in the index (what `holder { credentials }` reads) finds it, under its region. */
const routable = async (c: Catalogue, credential: CredentialRecord, regionCode: string) =>
  (await c.store.byHolders([credential.holderCode])).some((e) => e.credentialId === credential.id && e.regionCode === regionCode);

const resyncLines = (c: Catalogue) => c.logs.filter((l) => String(l.msg).startsWith('catalogue resync'));
const ids = (records: CredentialRecord[]) => records.map((r) => r.id).sort();

const expectStatus = (status: RegionRelayStatus, expected: Omit<RegionRelayStatus, 'lastSuccessAt'>, since: number) => {
  expect({ ...status, lastSuccessAt: undefined }).toEqual({ ...expected, lastSuccessAt: undefined });
  expect(status.lastSuccessAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(Date.parse(status.lastSuccessAt!)).toBeGreaterThanOrEqual(since);
  expect(Date.parse(status.lastSuccessAt!)).toBeLessThanOrEqual(Date.now());
};

describe('a registry database replaced by another', () => {
  it('is rebuilt poll by poll: the shared credentials route at every poll, the old-only ones go at the end, the other region is untouched', async () => {
    // The old Shandong database: eight credentials, then one suspended (nine outbox entries).
    const oldRecords = [0, 1, 2, 3, 4, 5, 6, 7].map(sd);
    const old = await registryDatabase(SD, oldRecords);
    await old.db.transaction(async (tx) => {
      await CredentialStore.lockOutbox(tx);
      await CredentialStore.writeOutbox(tx, [{ ...oldRecords[1]!, status: '02' }]);
    });
    const yangtze = await registryDatabase(YD, [0, 1, 2].map(yd));
    const fronts = { [SD]: await front(old.app), [YD]: await front(yangtze.app) };
    const c = await catalogue(fronts);

    const started = Date.now();
    await c.relay.syncAll();
    expect(await routed(c, SD)).toEqual(ids(oldRecords));
    expect(await routed(c, YD)).toEqual(ids([0, 1, 2].map(yd)));
    expectStatus(c.relay.status()[SD]!, { cursor: 9, headSeq: 9, lagEntries: 0, epoch: old.epoch, failing: null, resyncing: false }, started);
    expectStatus(c.relay.status()[YD]!, { cursor: 3, headSeq: 3, lagEntries: 0, epoch: yangtze.epoch, failing: null, resyncing: false }, started);
    expect(old.epoch).toMatch(UUID);
    const yangtzeRowsBefore = await c.db.query('select * from holder_index where region_code = $1 order by credential_id', [YD]);

    // The replacement: fewer and different credentials, one of the shared ones revoked, seq from 1.
    const shared = [sd(2), { ...sd(3), status: '03' as const }];
    const newRecords = [...shared, sd(20), sd(21), sd(22)];
    const replacement = await registryDatabase(SD, newRecords);
    expect(replacement.epoch).not.toBe(old.epoch);
    fronts[SD]!.serve(replacement.app);

    const outcomes = [];
    const statuses = [];
    for (let poll = 0; poll < 10; poll++) {
      const outcome = await c.relay.poll(SD);
      outcomes.push(outcome);
      statuses.push(c.relay.status()[SD]);
      // At every poll of the resync: both shared credentials route to Shandong.
      for (const s of shared) expect(await routable(c, s, SD)).toBe(true);
      // The other region is polled meanwhile, reads nothing new and is not resynchronised.
      expect(await c.relay.poll(YD)).toEqual({ entries: 0, more: false });
      expect(c.relay.status()[YD]).toMatchObject({ cursor: 3, headSeq: 3, lagEntries: 0, epoch: yangtze.epoch, resyncing: false });
      if (!outcome.more) break;
      // Until the pass is over, the old database's credentials keep routing too.
      expect(await routed(c, SD)).toEqual(expect.arrayContaining(ids([0, 1, 4, 5, 6, 7].map(sd))));
    }
    expect(outcomes).toEqual([
      { entries: 0, more: true }, // another epoch: the resync starts
      { entries: 2, more: true },
      { entries: 2, more: true },
      { entries: 1, more: false }, // the head is reached: generations swapped
    ]);
    expect(statuses.map((s) => ({ ...s, lastSuccessAt: undefined }))).toEqual([
      { cursor: 0, headSeq: 5, lagEntries: 5, epoch: replacement.epoch, failing: null, resyncing: true, lastSuccessAt: undefined },
      { cursor: 2, headSeq: 5, lagEntries: 3, epoch: replacement.epoch, failing: null, resyncing: true, lastSuccessAt: undefined },
      { cursor: 4, headSeq: 5, lagEntries: 1, epoch: replacement.epoch, failing: null, resyncing: true, lastSuccessAt: undefined },
      { cursor: 5, headSeq: 5, lagEntries: 0, epoch: replacement.epoch, failing: null, resyncing: false, lastSuccessAt: undefined },
    ]);

    // Exactly the new database's credentials route to Shandong; the old-only ones are gone.
    expect(await routed(c, SD)).toEqual(ids(newRecords));
    for (const gone of [0, 1, 4, 5, 6, 7].map(sd)) expect(await routable(c, gone, SD)).toBe(false);
    const [revoked] = await c.db.query<{ status: string }>('select status from holder_index where credential_id = $1', [shared[1]!.id]);
    expect(revoked!.status).toBe('03');
    expect(await c.store.relayCursor(SD)).toMatchObject({ lastSeq: 5, epoch: replacement.epoch, resync: null });
    expect(await c.db.query('select * from holder_index where region_code = $1 order by credential_id', [YD])).toEqual(yangtzeRowsBefore);

    // One line when it started and one when it finished, for Shandong only.
    expect(resyncLines(c)).toEqual([
      expect.objectContaining({
        level: 30,
        region: SD,
        oldEpoch: old.epoch,
        newEpoch: replacement.epoch,
        oldCursor: 9,
        headSeq: 5,
        reason: 'the registry feed has another epoch',
        msg: 'catalogue resync of shandong started: reading its 5 feed entries from the start (the registry feed has another epoch)',
      }),
      expect.objectContaining({
        level: 30,
        region: SD,
        oldEpoch: old.epoch,
        newEpoch: replacement.epoch,
        entries: 5,
        removed: 6,
        msg: 'catalogue resync of shandong finished: 5 feed entries read, 6 credentials the new database does not hold removed from the index',
      }),
    ]);

    // Afterwards the new database is read on as usual, from its own numbering.
    await issue(replacement.db, [sd(23)]);
    expect(await c.relay.poll(SD)).toEqual({ entries: 1, more: false });
    expect(await routed(c, SD)).toEqual(ids([...newRecords, sd(23)]));
    expect(c.relay.status()[SD]).toMatchObject({ cursor: 6, headSeq: 6, lagEntries: 0, resyncing: false });
    expect(resyncLines(c)).toHaveLength(2);
  });

  it('is rebuilt when restored from an older backup of itself: same epoch, head below the cursor', async () => {
    const old = await registryDatabase(SD, [0, 1, 2, 3, 4, 5].map(sd));
    const fronts = { [SD]: await front(old.app) };
    const c = await catalogue(fronts, { batchSize: 10 });
    await c.relay.syncAll();
    expect(c.relay.status()[SD]).toMatchObject({ cursor: 6, headSeq: 6, epoch: old.epoch });

    // The backup was taken after the first three entries; one credential was issued since the restore.
    const restored = await registryDatabase(SD, [0, 1, 2].map(sd));
    await restored.db.query('update feed_epoch set epoch = $1', [old.epoch]);
    await issue(restored.db, [sd(40)]);
    fronts[SD]!.serve(restored.app);

    expect(await c.relay.poll(SD)).toEqual({ entries: 0, more: true });
    expect(c.relay.status()[SD]).toMatchObject({ cursor: 0, headSeq: 4, lagEntries: 4, epoch: old.epoch, resyncing: true });
    expect(await c.relay.poll(SD)).toEqual({ entries: 4, more: false });
    expect(await routed(c, SD)).toEqual(ids([0, 1, 2, 40].map(sd)));
    expect(c.relay.status()[SD]).toMatchObject({ cursor: 4, headSeq: 4, lagEntries: 0, epoch: old.epoch, resyncing: false });
    expect(resyncLines(c).map((l) => [l.oldEpoch, l.newEpoch, l.reason ?? null, l.entries ?? null, l.removed ?? null])).toEqual([
      [old.epoch, old.epoch, 'the registry feed head is below the cursor', null, null],
      [old.epoch, old.epoch, null, 4, 3],
    ]);
  });

  it('is rebuilt once for a cursor kept before epochs existed, and never again while the registry is unchanged', async () => {
    const records = [0, 1, 2].map(sd);
    const registry = await registryDatabase(SD, records);
    const fronts = { [SD]: await front(registry.app) };
    const c = await catalogue(fronts, { batchSize: 10 });
    // What an older catalogue left: rows and a cursor without an epoch, at the registry's head (so
    // nothing but the missing epoch tells), and a row of a database the registry no longer has.
    await c.store.apply(SD, [...records, sd(9)].map((r, i) => ({ seq: i + 1, credentialId: r.id, holderCode: r.holderCode, holderType: r.holderType, typeCode: r.typeCode, status: r.status })), 3);

    await c.relay.syncAll();
    expect(await routed(c, SD)).toEqual(ids(records));
    expect(resyncLines(c).map((l) => [l.oldEpoch, l.newEpoch])).toEqual([[null, registry.epoch], [null, registry.epoch]]);

    // A catalogue restart (a new relay on the same index) and further polls change nothing.
    const again = await catalogue(fronts, { batchSize: 10, db: c.db });
    for (let i = 0; i < 3; i++) expect(await again.relay.poll(SD)).toEqual({ entries: 0, more: false });
    expect(resyncLines(again)).toEqual([]);
    expect(await c.store.relayCursor(SD)).toMatchObject({ lastSeq: 3, epoch: registry.epoch, resync: null });
  });

  it('resumes an interrupted resync where it stopped after a catalogue restart', async () => {
    const old = await registryDatabase(SD, [0, 1, 2, 3].map(sd));
    const fronts = { [SD]: await front(old.app) };
    const first = await catalogue(fronts, { batchSize: 2 });
    await first.relay.syncAll();
    const replacement = await registryDatabase(SD, [2, 30, 31, 32, 33].map(sd));
    fronts[SD]!.serve(replacement.app);
    await first.relay.poll(SD); // starts
    await first.relay.poll(SD); // reads 1–2
    await first.relay.stop();

    const second = await catalogue(fronts, { batchSize: 2, db: first.db });
    const before = fronts[SD]!.requests;
    expect(await second.relay.poll(SD)).toEqual({ entries: 2, more: true });
    expect(second.relay.status()[SD]).toMatchObject({ cursor: 4, headSeq: 5, lagEntries: 1, epoch: replacement.epoch, resyncing: true });
    expect(await second.relay.poll(SD)).toEqual({ entries: 1, more: false });
    expect(fronts[SD]!.requests - before).toBe(2);
    expect(await routed(second, SD)).toEqual(ids([2, 30, 31, 32, 33].map(sd)));
    expect(resyncLines(second)).toEqual([expect.objectContaining({ oldEpoch: old.epoch, newEpoch: replacement.epoch, entries: 5, removed: 3 })]);
  });

  it('starts over on the newest database when replaced again during the resync', async () => {
    const old = await registryDatabase(SD, [0, 1, 2].map(sd));
    const fronts = { [SD]: await front(old.app) };
    const c = await catalogue(fronts, { batchSize: 1 });
    await c.relay.syncAll();
    const second = await registryDatabase(SD, [1, 2, 50].map(sd));
    fronts[SD]!.serve(second.app);
    await c.relay.poll(SD);
    await c.relay.poll(SD); // the pass over the second database has read one entry
    const third = await registryDatabase(SD, [2, 60].map(sd));
    fronts[SD]!.serve(third.app);
    await c.relay.syncAll();
    expect(await routed(c, SD)).toEqual(ids([2, 60].map(sd)));
    expect(resyncLines(c).map((l) => [l.oldEpoch, l.newEpoch, l.abandonedEpoch ?? null, l.entries ?? null])).toEqual([
      [old.epoch, second.epoch, null, null],
      [old.epoch, third.epoch, second.epoch, null],
      [old.epoch, third.epoch, null, 2],
    ]);
    expect(c.relay.status()[SD]).toMatchObject({ cursor: 2, headSeq: 2, epoch: third.epoch, resyncing: false });
  });

  it('starts over when the database being read is itself restored from an older backup during the resync', async () => {
    const old = await registryDatabase(SD, [0, 1].map(sd));
    const fronts = { [SD]: await front(old.app) };
    const c = await catalogue(fronts, { batchSize: 2 });
    await c.relay.syncAll();
    const replacement = await registryDatabase(SD, [1, 80, 81, 82].map(sd));
    fronts[SD]!.serve(replacement.app);
    await c.relay.poll(SD);
    expect(await c.relay.poll(SD)).toEqual({ entries: 2, more: true }); // the pass stands at 2 of 4
    const restored = await registryDatabase(SD, [83].map(sd));
    await restored.db.query('update feed_epoch set epoch = $1', [replacement.epoch]);
    fronts[SD]!.serve(restored.app);
    expect(await c.relay.poll(SD)).toEqual({ entries: 0, more: true });
    expect(c.relay.status()[SD]).toMatchObject({ cursor: 0, headSeq: 1, lagEntries: 1, resyncing: true });
    await c.relay.syncAll();
    expect(await routed(c, SD)).toEqual(ids([83].map(sd)));
    expect(resyncLines(c).map((l) => l.reason ?? null)).toEqual([
      'the registry feed has another epoch',
      'the registry feed head went below the resync position',
      null,
    ]);
  });

  it('empties the region when the new database holds no credential', async () => {
    const old = await registryDatabase(SD, [0, 1].map(sd));
    const fronts = { [SD]: await front(old.app) };
    const c = await catalogue(fronts);
    await c.relay.syncAll();
    const empty = await registryDatabase(SD, []);
    fronts[SD]!.serve(empty.app);
    await c.relay.syncAll();
    expect(await routed(c, SD)).toEqual([]);
    expect(c.relay.status()[SD]).toMatchObject({ cursor: 0, headSeq: 0, lagEntries: 0, epoch: empty.epoch, resyncing: false });
  });
});

describe('the relay on its own timers while one region resynchronises', () => {
  it('keeps the shared credentials routable at every look, and keeps relaying the other region', async () => {
    const old = await registryDatabase(SD, Array.from({ length: 12 }, (_, k) => sd(k)));
    const yangtze = await registryDatabase(YD, [0].map(yd));
    const fronts = { [SD]: await front(old.app), [YD]: await front(yangtze.app) };
    const c = await catalogue(fronts, { batchSize: 2, intervalInMs: 50 });
    await c.relay.syncAll();

    const shared = [sd(3), sd(8), sd(11)];
    const newRecords = [...shared, ...[70, 71, 72, 73, 74, 75, 76].map(sd)];
    const replacement = await registryDatabase(SD, newRecords);
    // A slow registry: the pass takes several polls of 80 ms each.
    fronts[SD]!.serve((req, res) => setTimeout(() => replacement.app(req, res), 80));
    c.relay.start();

    let looks = 0;
    let sawResync = false;
    let yangtzeRelayedDuringResync = false;
    const deadline = Date.now() + 30_000;
    await issue(yangtze.db, [yd(1)]);
    for (;;) {
      looks++;
      for (const s of shared) expect(await routable(c, s, SD)).toBe(true);
      const status = c.relay.status();
      if (status[SD]!.resyncing) {
        sawResync = true;
        if (await routable(c, yd(1), YD)) yangtzeRelayedDuringResync = true;
      }
      expect(status[YD]!.resyncing).toBe(false);
      if (sawResync && !status[SD]!.resyncing) break;
      if (Date.now() > deadline) throw new Error(`the resync did not finish: ${JSON.stringify(status[SD])}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(looks).toBeGreaterThan(10);
    expect(yangtzeRelayedDuringResync).toBe(true);
    expect(await routed(c, SD)).toEqual(ids(newRecords));
    expect(await routed(c, YD)).toEqual(ids([0, 1].map(yd)));
    expect(c.relay.status()[SD]).toMatchObject({ cursor: 10, headSeq: 10, lagEntries: 0, epoch: replacement.epoch, failing: null });
    expect(resyncLines(c).filter((l) => l.region === YD)).toEqual([]);
    expect(resyncLines(c)).toHaveLength(2);
  });
});

describe('polls, failures and stopping', () => {
  it('runs one poll of a region at a time: a second poll reads from where the first left the cursor', async () => {
    const registry = await registryDatabase(SD, [0, 1, 2].map(sd));
    const fronts = { [SD]: await front(registry.app) };
    const c = await catalogue(fronts);
    fronts[SD]!.serve((req, res) => setTimeout(() => registry.app(req, res), 400));
    const first = c.relay.poll(SD);
    const second = c.relay.poll(SD);
    while (fronts[SD]!.requests === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 200));
    expect(fronts[SD]!.requests).toBe(1);
    expect(await first).toEqual({ entries: 2, more: true });
    expect(await second).toEqual({ entries: 1, more: false });
    expect(fronts[SD]!.requests).toBe(2);
    expect(await routed(c, SD)).toEqual(ids([0, 1, 2].map(sd)));
  });

  it('refuses a feed answer without an epoch (an older registry) with a clear reason, and writes nothing', async () => {
    const registry = await registryDatabase(SD, [0, 1].map(sd));
    const fronts = { [SD]: await front(registry.app) };
    const c = await catalogue(fronts);
    fronts[SD]!.serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ entries: [{ seq: 1, credentialId: sd(0).id, holderCode: sd(0).holderCode, holderType: '111', typeCode: sd(0).typeCode, status: '01' }], lastSeq: 1 }));
    });
    const error = await c.relay.poll(SD).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeedAnswerError);
    expect((error as Error).message).toBe('the shandong catalogue feed answered an unusable page: epoch: Invalid input: expected string, received undefined');
    expect(c.relay.status()[SD]).toEqual({
      cursor: null, headSeq: null, lagEntries: null, epoch: null, lastSuccessAt: null, resyncing: false,
      failing: 'the shandong catalogue feed answered an unusable page: epoch: Invalid input: expected string, received undefined',
    });
    expect(c.relay.lagging()).toEqual({ [SD]: 'the shandong catalogue feed answered an unusable page: epoch: Invalid input: expected string, received undefined' });
    expect(await routed(c, SD)).toEqual([]);

    // Back to a sound registry: the failure clears.
    fronts[SD]!.serve(registry.app);
    await c.relay.syncAll();
    expect(c.relay.status()[SD]).toMatchObject({ cursor: 2, headSeq: 2, lagEntries: 0, failing: null });
    expect(c.relay.lagging()).toEqual({});
  });

  it('refuses pages that do not continue from the cursor, writing nothing', async () => {
    const epoch = '6f1c1f8e-3b7a-4c52-9d0e-2a4b8c6d1e3f';
    const e = (seq: number) => ({ seq, credentialId: `c${seq}`, holderCode: '91370100HT1234561M', holderType: '001', typeCode: sd(0).typeCode, status: '01' });
    let page: unknown;
    const fronts = {
      [SD]: await front((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(page));
      }),
    };
    const c = await catalogue(fronts);
    const cases: [unknown, string][] = [
      [{ entries: [e(0)], lastSeq: 0, epoch, headSeq: 0 }, 'entries.0.seq: Too small: expected number to be >0'],
      [{ entries: [e(2), e(1)], lastSeq: 1, epoch, headSeq: 2 }, 'entry 1 is not after 2'],
      [{ entries: [e(1)], lastSeq: 500, epoch, headSeq: 500 }, 'lastSeq 500 is not the last entry served (1)'],
      [{ entries: [], lastSeq: 7, epoch, headSeq: 7 }, 'lastSeq 7 is not the last entry served (0)'],
      [{ entries: [e(1), e(2)], lastSeq: 2, epoch, headSeq: 1 }, 'headSeq 1 is below its own entries'],
      [{ entries: [e(1)], lastSeq: 1, epoch: '', headSeq: 1 }, 'epoch: Too small: expected string to have >=1 characters'],
      [{ entries: [e(1)], lastSeq: 1, epoch, headSeq: -1 }, 'headSeq: Too small: expected number to be >=0'],
      [{ entries: [{ ...e(1), credentialId: 7 }], lastSeq: 1, epoch, headSeq: 1 }, 'entries.0.credentialId: Invalid input: expected string, received number'],
      ['not a page', 'body: Invalid input: expected object, received string'],
    ];
    for (const [answer, why] of cases) {
      page = answer;
      await expect(c.relay.poll(SD)).rejects.toThrow(`the shandong catalogue feed answered an unusable page: ${why}`);
      expect(c.relay.status()[SD]!.failing).toBe(`the shandong catalogue feed answered an unusable page: ${why}`);
    }
    expect(await routed(c, SD)).toEqual([]);
    expect(await c.store.relayCursor(SD)).toEqual({ lastSeq: 0, epoch: null, generation: 0, resync: null });
    // A sound page is taken: the same relay was only refusing what it could not use.
    page = { entries: [e(1)], lastSeq: 1, epoch, headSeq: 1 };
    expect(await c.relay.poll(SD)).toEqual({ entries: 1, more: false });
    expect(await routed(c, SD)).toEqual(['c1']);
  });

  it('stops at once while a registry hangs, without recording the cut-off read as a failure', async () => {
    const registry = await registryDatabase(SD, [0].map(sd));
    const fronts = { [SD]: await front(registry.app) };
    const c = await catalogue(fronts);
    fronts[SD]!.serve('hang');
    const inFlight = c.relay.poll(SD).then(() => 'answered', () => 'cut off');
    while (fronts[SD]!.requests === 0) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    await c.relay.stop();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await inFlight).toBe('cut off');
    expect(c.relay.status()[SD]!.failing).toBeNull();
    await expect(c.relay.poll(SD)).rejects.toThrow('the catalogue relay is stopped');
  });

  it('waits for a poll that is writing to the index before it returns', async () => {
    const registry = await registryDatabase(SD, [0, 1].map(sd));
    const fronts = { [SD]: await front(registry.app) };
    const catalogueDb = await subgraphDatabase('catalogue');
    cleanups.push(() => catalogueDb.close());
    // The real catalogue database, whose writes wait for a gate: a slow index write.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let writing!: () => void;
    const writeStarted = new Promise<void>((resolve) => (writing = resolve));
    const gated: Database = {
      ...catalogueDb,
      query: (sql, params) => catalogueDb.query(sql, params),
      exec: (sql) => catalogueDb.exec(sql),
      transaction: async <T>(fn: (tx: Queryable) => Promise<T>) => {
        writing();
        await gate;
        return catalogueDb.transaction(fn);
      },
      close: () => catalogueDb.close(),
    };
    const c = await catalogue(fronts, { db: gated });
    const inFlight = c.relay.poll(SD);
    await writeStarted;
    let stopped = false;
    const stopping = c.relay.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(stopped).toBe(false);
    open();
    await stopping;
    expect(await inFlight).toEqual({ entries: 2, more: false });
    expect(await catalogueDb.query('select count(*)::int as n from holder_index')).toEqual([{ n: 2 }]);
  });
});
