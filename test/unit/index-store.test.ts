import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holderCredentialKey, IndexStore, RelayCursorConflict } from '../../subgraphs/catalogue/db/index-store.js';
import type { Database } from '../../subgraphs/kit/db.js';
import type { StatusCode } from '../../subgraphs/kit/reference.js';
import type { FeedEntry } from '../../subgraphs/kit/registry/store.js';
import { subgraphDatabase } from '../support/databases.js';

const E_ID = '11100000HT00000183001';
const E_DRIVING_LICENCE = '11100000HT00000183002';
const E_BUSINESS_LICENCE = '11100000HT0000042K001';
const CITIZEN = '370100198806091286';
const COMPANY = '91370100HT1234561M';

let db: Database;
let store: IndexStore;

beforeAll(async () => {
  db = await subgraphDatabase('catalogue');
  store = new IndexStore(db);
});
afterAll(async () => {
  await db?.close();
});

// Each test works on its own credentials and its own made-up region code, so tests stay independent.
let counter = 0;
const fresh = (label: string) => `${label}-${++counter}`;

const entry = (seq: number, credentialId: string, status: StatusCode, more: Partial<FeedEntry> = {}): FeedEntry => ({
  seq,
  credentialId,
  holderCode: CITIZEN,
  holderType: '111',
  typeCode: E_ID,
  status,
  ...more,
});

const indexRow = async (credentialId: string) =>
  (await db.query(
    `select credential_id, holder_code, holder_type, type_code, region_code, status, source_seq::float8 as source_seq
     from holder_index where credential_id = $1`,
    [credentialId],
  ))[0];

const updatedAt = async (credentialId: string) =>
  (await db.query<{ t: string }>(`select updated_at::text as t from holder_index where credential_id = $1`, [credentialId]))[0]!.t;

describe('the national index applying a registry\'s outbox', () => {
  it('adds every credential of a batch under the region it came from', async () => {
    const a = fresh('cred');
    const b = fresh('cred');
    await store.apply('shandong', [entry(1, a, '01'), entry(2, b, '02', { holderCode: COMPANY, holderType: '001', typeCode: E_BUSINESS_LICENCE })], 2);
    expect(await indexRow(a)).toEqual({ credential_id: a, holder_code: CITIZEN, holder_type: '111', type_code: E_ID, region_code: 'shandong', status: '01', source_seq: 1 });
    expect(await indexRow(b)).toEqual({ credential_id: b, holder_code: COMPANY, holder_type: '001', type_code: E_BUSINESS_LICENCE, region_code: 'shandong', status: '02', source_seq: 2 });
  });

  it('lets a newer entry replace every indexed field of an older one', async () => {
    const id = fresh('cred');
    await store.apply('shandong', [entry(10, id, '01')], 10);
    await store.apply('shandong', [entry(11, id, '03', { holderCode: COMPANY, holderType: '001', typeCode: E_DRIVING_LICENCE })], 11);
    expect(await indexRow(id)).toEqual({ credential_id: id, holder_code: COMPANY, holder_type: '001', type_code: E_DRIVING_LICENCE, region_code: 'shandong', status: '03', source_seq: 11 });
  });

  it('never lets an older entry, arriving in a later batch, overwrite a newer one', async () => {
    const id = fresh('cred');
    await store.apply('shandong', [entry(21, id, '04')], 21);
    await store.apply('shandong', [entry(20, id, '01', { holderCode: COMPANY })], 20);
    expect(await indexRow(id)).toMatchObject({ holder_code: CITIZEN, status: '04', source_seq: 21 });
  });

  it('keeps the newest entry of a batch whatever order the batch lists them in', async () => {
    const id = fresh('cred');
    await store.apply('shandong', [entry(32, id, '03'), entry(30, id, '01'), entry(31, id, '02')], 32);
    expect(await indexRow(id)).toMatchObject({ status: '03', source_seq: 32 });
    const other = fresh('cred');
    await store.apply('shandong', [entry(40, other, '01'), entry(41, other, '02'), entry(42, other, '04')], 42);
    expect(await indexRow(other)).toMatchObject({ status: '04', source_seq: 42 });
  });

  it('changes nothing when an entry with the same seq is applied again, not even its update time', async () => {
    const id = fresh('cred');
    await store.apply('shandong', [entry(50, id, '02')], 50);
    const before = await updatedAt(id);
    await store.apply('shandong', [entry(50, id, '02')], 50);
    // Same seq with different content: the stored one stands.
    await store.apply('shandong', [entry(50, id, '01', { holderCode: COMPANY })], 50);
    expect(await indexRow(id)).toMatchObject({ holder_code: CITIZEN, status: '02', source_seq: 50 });
    expect(await updatedAt(id)).toBe(before);
  });

  it('keeps the first of two entries with the same seq in one batch, as it does across batches', async () => {
    const id = fresh('cred');
    await store.apply('shandong', [entry(60, id, '01'), entry(60, id, '02')], 60);
    expect(await indexRow(id)).toMatchObject({ status: '01', source_seq: 60 });
  });

  it('updates one credential and inserts another in the same batch', async () => {
    const known = fresh('cred');
    const added = fresh('cred');
    await store.apply('shandong', [entry(70, known, '01')], 70);
    await store.apply('shandong', [entry(71, known, '02'), entry(72, added, '01')], 72);
    expect(await indexRow(known)).toMatchObject({ status: '02', source_seq: 71 });
    expect(await indexRow(added)).toMatchObject({ status: '01', source_seq: 72 });
  });
});

describe('the relay cursor of a region', () => {
  it('starts at 0 for a region never read', async () => {
    expect(await store.cursor(fresh('region'))).toBe(0);
  });

  it('moves forward with each batch and never goes back', async () => {
    const region = fresh('region');
    await store.apply(region, [entry(5, fresh('cred'), '01')], 5);
    expect(await store.cursor(region)).toBe(5);
    await store.apply(region, [entry(9, fresh('cred'), '01')], 9);
    expect(await store.cursor(region)).toBe(9);
    await store.apply(region, [entry(3, fresh('cred'), '01')], 3);
    expect(await store.cursor(region)).toBe(9);
    await store.apply(region, [], 9);
    expect(await store.cursor(region)).toBe(9);
    await store.apply(region, [], 10);
    expect(await store.cursor(region)).toBe(10);
  });

  it('keeps each region\'s cursor apart', async () => {
    const one = fresh('region');
    const two = fresh('region');
    await store.apply(one, [], 100);
    await store.apply(two, [], 7);
    expect([await store.cursor(one), await store.cursor(two)]).toEqual([100, 7]);
  });

  it('does not move when the batch cannot be stored, and stores none of it', async () => {
    const region = fresh('region');
    await store.apply(region, [], 4);
    const good = fresh('cred');
    const broken = { ...entry(6, fresh('cred'), '01'), holderCode: null as unknown as string };
    await expect(store.apply(region, [entry(5, good, '01'), broken], 6)).rejects.toThrow();
    expect(await store.cursor(region)).toBe(4);
    expect(await indexRow(good)).toBeUndefined();
  });
});

describe('looking up a holder in the national index', () => {
  it('lists the holder\'s credentials by region, type and identifier, and nobody else\'s', async () => {
    const holder = '370102199003071238';
    const other = '370202198511204560';
    await store.apply('yangtze-delta', [entry(1, 'idx-b-eid', '01', { holderCode: holder })], 1);
    await store.apply('shandong', [
      entry(900, 'idx-z-driving', '02', { holderCode: holder, typeCode: E_DRIVING_LICENCE }),
      entry(901, 'idx-y-eid', '01', { holderCode: holder }),
      entry(902, 'idx-a-eid', '03', { holderCode: holder }),
      entry(903, 'idx-other', '01', { holderCode: other }),
    ], 903);
    expect(await store.byHolders([holder])).toEqual([
      { credentialId: 'idx-a-eid', holderCode: holder, typeCode: E_ID, regionCode: 'shandong', status: '03' },
      { credentialId: 'idx-y-eid', holderCode: holder, typeCode: E_ID, regionCode: 'shandong', status: '01' },
      { credentialId: 'idx-z-driving', holderCode: holder, typeCode: E_DRIVING_LICENCE, regionCode: 'shandong', status: '02' },
      { credentialId: 'idx-b-eid', holderCode: holder, typeCode: E_ID, regionCode: 'yangtze-delta', status: '01' },
    ]);
    expect((await store.byHolders([holder, other])).map((e) => e.credentialId)).toEqual(['idx-a-eid', 'idx-other', 'idx-y-eid', 'idx-z-driving', 'idx-b-eid']);
    expect(await store.byHolders(['110101199001011237'])).toEqual([]);
  });

  it('reads a holder\'s credentials a page at a time in that order, each page after the key of the last', async () => {
    const holder = '440106198202020555';
    await store.apply('yangtze-delta', [entry(2, 'pg-y-2', '01', { holderCode: holder }), entry(3, 'pg-y-1', '01', { holderCode: holder })], 3);
    await store.apply('shandong', [
      entry(910, 'pg-s-driving', '01', { holderCode: holder, typeCode: E_DRIVING_LICENCE }),
      entry(911, 'pg-s-eid', '01', { holderCode: holder }),
      entry(912, 'pg-s-other', '01', { holderCode: '370202198511204560' }),
    ], 912);
    const ids: string[][] = [];
    let after: [string, string, string] | null = null;
    for (;;) {
      const [page] = await store.pagesByHolders([{ holderCode: holder, page: { size: 2, limit: 3, after } }]);
      ids.push(page!.map((e) => e.credentialId));
      if (page!.length <= 2) break;
      after = holderCredentialKey(page![1]!);
    }
    expect(ids).toEqual([['pg-s-eid', 'pg-s-driving', 'pg-y-1'], ['pg-y-1', 'pg-y-2']]);
    expect(await store.countByHolders([holder, '110101199001011237'])).toEqual([4, 0]);
    // Several holders' pages in one statement, each with its own size and cursor.
    const both = await store.pagesByHolders([
      { holderCode: holder, page: { size: 1, limit: 2, after: ['shandong', E_ID, 'pg-s-eid'] } },
      { holderCode: '110101199001011237', page: { size: 5, limit: 6, after: null } },
      { holderCode: holder, page: { size: 5, limit: 6, after: ['yangtze-delta', E_ID, 'pg-y-1'] } },
    ]);
    expect(both.map((p) => p.map((e) => e.credentialId))).toEqual([['pg-s-driving', 'pg-y-1'], [], ['pg-y-2']]);
    expect(await store.pagesByHolders([])).toEqual([]);
  });
});

const generationOf = async (credentialId: string) =>
  (await db.query<{ g: number }>('select generation::int as g from holder_index where credential_id = $1', [credentialId]))[0]?.g;
const regionRows = async (region: string) =>
  (await db.query<{ id: string; status: string; seq: number }>(
    'select credential_id as id, status, source_seq::int as seq from holder_index where region_code = $1 order by credential_id',
    [region],
  ));

describe('the feed epoch kept with a region\'s cursor', () => {
  it('is unknown for a region never read', async () => {
    expect(await store.relayCursor(fresh('region'))).toEqual({ lastSeq: 0, epoch: null, generation: 0, resync: null });
  });

  it('is stored with the batch read from it, and kept by a batch that names none', async () => {
    const region = fresh('region');
    await store.apply(region, [entry(1, fresh('cred'), '01')], 1, 'epoch-a');
    expect(await store.relayCursor(region)).toEqual({ lastSeq: 1, epoch: 'epoch-a', generation: 0, resync: null });
    await store.apply(region, [], 2, 'epoch-a');
    await store.apply(region, [], 3);
    expect(await store.relayCursor(region)).toEqual({ lastSeq: 3, epoch: 'epoch-a', generation: 0, resync: null });
  });

  it('keeps sequence numbers past 2^31 exactly (they are bigint end to end)', async () => {
    const region = fresh('region');
    const id = fresh('cred');
    await store.apply(region, [entry(3_000_000_001, id, '01')], 3_000_000_001, 'epoch-a');
    expect(await store.relayCursor(region)).toEqual({ lastSeq: 3_000_000_001, epoch: 'epoch-a', generation: 0, resync: null });
    // A later entry wins over an earlier one past 2^31 too.
    await store.apply(region, [entry(3_000_000_002, id, '03')], 3_000_000_002, 'epoch-a');
    expect(await indexRow(id)).toMatchObject({ status: '03' });
    expect((await store.relayCursor(region)).lastSeq).toBe(3_000_000_002);
  });

  it('refuses a batch read from another epoch, storing none of it', async () => {
    const region = fresh('region');
    const id = fresh('cred');
    await store.apply(region, [entry(4, id, '01')], 4, 'epoch-a');
    const other = fresh('cred');
    await expect(store.apply(region, [entry(5, id, '03'), entry(6, other, '01')], 6, 'epoch-b')).rejects.toThrow(RelayCursorConflict);
    await expect(store.apply(region, [], 6, 'epoch-b')).rejects.toThrow(`the ${region} cursor is no longer in feed epoch epoch-b`);
    expect(await store.relayCursor(region)).toEqual({ lastSeq: 4, epoch: 'epoch-a', generation: 0, resync: null });
    expect(await indexRow(id)).toMatchObject({ status: '01', source_seq: 4 });
    expect(await indexRow(other)).toBeUndefined();
  });

  it('refuses an ordinary batch while the region is being resynchronised', async () => {
    const region = fresh('region');
    await store.apply(region, [], 8, 'epoch-a');
    await store.beginResync(region, 'epoch-b');
    const id = fresh('cred');
    await expect(store.apply(region, [entry(9, id, '01')], 9, 'epoch-a')).rejects.toThrow(RelayCursorConflict);
    expect(await indexRow(id)).toBeUndefined();
    expect((await store.relayCursor(region)).lastSeq).toBe(8);
  });
});

describe('resynchronising a region whose registry database was replaced', () => {
  it('starts a pass from the start of the new epoch under a new generation, touching no row and not the cursor', async () => {
    const region = fresh('region');
    const id = fresh('cred');
    await store.apply(region, [entry(40, id, '01')], 40, 'epoch-old');
    const before = await updatedAt(id);
    const progress = await store.beginResync(region, 'epoch-new');
    expect(progress).toEqual({ epoch: 'epoch-new', generation: expect.any(Number), seq: 0, entries: 0, startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    expect(progress.generation).toBeGreaterThan(0);
    expect(Math.abs(Date.parse(progress.startedAt) - Date.now())).toBeLessThan(60_000);
    expect(await store.relayCursor(region)).toEqual({ lastSeq: 40, epoch: 'epoch-old', generation: 0, resync: progress });
    expect(await indexRow(id)).toMatchObject({ status: '01', source_seq: 40 });
    expect(await updatedAt(id)).toBe(before);
  });

  it('gives every pass a generation above all earlier ones, whatever the region', async () => {
    const one = await store.beginResync(fresh('region'), 'e');
    const two = await store.beginResync(fresh('region'), 'e');
    const three = await store.beginResync(fresh('region'), 'e');
    expect(two.generation).toBe(one.generation + 1);
    expect(three.generation).toBe(two.generation + 1);
  });

  it('lets the new database\'s entry replace the old row whatever its sequence number, while old-only rows keep routing', async () => {
    const region = fresh('region');
    const both = fresh('cred');
    const oldOnly = fresh('cred');
    const newOnly = fresh('cred');
    await store.apply(region, [entry(500, both, '01'), entry(501, oldOnly, '01')], 501, 'epoch-old');
    const { generation } = await store.beginResync(region, 'epoch-new');
    const progress = await store.applyResync(region, generation, [entry(1, both, '03', { holderCode: COMPANY, holderType: '001' }), entry(2, newOnly, '02')], 2);
    expect(progress).toMatchObject({ epoch: 'epoch-new', generation, seq: 2, entries: 2 });
    expect(await indexRow(both)).toEqual({ credential_id: both, holder_code: COMPANY, holder_type: '001', type_code: E_ID, region_code: region, status: '03', source_seq: 1 });
    expect(await generationOf(both)).toBe(generation);
    expect(await indexRow(oldOnly)).toMatchObject({ status: '01', source_seq: 501 });
    expect(await generationOf(oldOnly)).toBe(0);
    expect(await generationOf(newOnly)).toBe(generation);
    // The region's cursor is still the old one until the pass is finished.
    expect(await store.relayCursor(region)).toMatchObject({ lastSeq: 501, epoch: 'epoch-old', generation: 0 });
  });

  it('within the pass, keeps the rule that an older entry never overwrites a newer one', async () => {
    const region = fresh('region');
    const id = fresh('cred');
    const { generation } = await store.beginResync(region, 'epoch-new');
    await store.applyResync(region, generation, [entry(7, id, '04')], 7);
    await store.applyResync(region, generation, [entry(6, id, '01')], 7);
    await store.applyResync(region, generation, [entry(7, id, '02')], 7);
    expect(await indexRow(id)).toMatchObject({ status: '04', source_seq: 7 });
  });

  it('counts the pass\'s entries and never moves its position back', async () => {
    const region = fresh('region');
    const { generation } = await store.beginResync(region, 'epoch-new');
    await store.applyResync(region, generation, [entry(1, fresh('cred'), '01'), entry(2, fresh('cred'), '01'), entry(3, fresh('cred'), '01')], 3);
    expect(await store.applyResync(region, generation, [], 1)).toMatchObject({ seq: 3, entries: 3 });
    const progress = await store.applyResync(region, generation, [entry(4, fresh('cred'), '01')], 4);
    expect(progress).toMatchObject({ seq: 4, entries: 4 });
  });

  it('refuses a batch or a finish for a pass that is not the one under way, storing nothing', async () => {
    const region = fresh('region');
    await expect(store.finishResync(region, 1)).rejects.toThrow(`no resync of ${region} under generation 1 is under way`);
    const first = await store.beginResync(region, 'epoch-b');
    const second = await store.beginResync(region, 'epoch-c');
    const id = fresh('cred');
    await expect(store.applyResync(region, first.generation, [entry(1, id, '01')], 1)).rejects.toThrow(RelayCursorConflict);
    await expect(store.finishResync(region, first.generation)).rejects.toThrow(RelayCursorConflict);
    expect(await indexRow(id)).toBeUndefined();
    expect((await store.relayCursor(region)).resync).toEqual(second);
  });

  it('on finishing, removes exactly the region\'s rows of other generations and makes the pass the cursor', async () => {
    const region = fresh('region');
    const neighbour = fresh('region');
    const [kept, dropped, added, theirs] = [fresh('cred'), fresh('cred'), fresh('cred'), fresh('cred')];
    await store.apply(region, [entry(300, kept, '01'), entry(301, dropped, '01')], 301, 'epoch-old');
    await store.apply(neighbour, [entry(12, theirs, '01')], 12, 'epoch-neighbour');
    const { generation } = await store.beginResync(region, 'epoch-new');
    await store.applyResync(region, generation, [entry(1, kept, '02'), entry(2, added, '01')], 2);
    await store.applyResync(region, generation, [entry(3, kept, '03')], 3);
    expect(await store.finishResync(region, generation)).toEqual({ epoch: 'epoch-new', lastSeq: 3, entries: 3, removed: 1 });
    expect(await regionRows(region)).toEqual(
      [{ id: kept, status: '03', seq: 3 }, { id: added, status: '01', seq: 2 }].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    expect(await store.relayCursor(region)).toEqual({ lastSeq: 3, epoch: 'epoch-new', generation, resync: null });
    expect(await regionRows(neighbour)).toEqual([{ id: theirs, status: '01', seq: 12 }]);
    expect(await store.relayCursor(neighbour)).toEqual({ lastSeq: 12, epoch: 'epoch-neighbour', generation: 0, resync: null });

    // Afterwards the region reads on in the new epoch, under the new generation.
    await store.apply(region, [entry(4, kept, '04'), entry(2, added, '02')], 4, 'epoch-new');
    expect(await indexRow(kept)).toMatchObject({ status: '04', source_seq: 4 });
    expect(await indexRow(added)).toMatchObject({ status: '01', source_seq: 2 });
    expect(await generationOf(kept)).toBe(generation);
    await expect(store.apply(region, [], 5, 'epoch-old')).rejects.toThrow(RelayCursorConflict);
  });

  it('after a pass restarted on yet another database, removes what only the abandoned pass read', async () => {
    const region = fresh('region');
    const [old, abandoned, final] = [fresh('cred'), fresh('cred'), fresh('cred')];
    await store.apply(region, [entry(90, old, '01')], 90, 'epoch-a');
    const first = await store.beginResync(region, 'epoch-b');
    await store.applyResync(region, first.generation, [entry(1, abandoned, '01'), entry(2, final, '02')], 2);
    const second = await store.beginResync(region, 'epoch-c');
    expect(second).toMatchObject({ epoch: 'epoch-c', seq: 0, entries: 0 });
    await store.applyResync(region, second.generation, [entry(1, final, '01')], 1);
    expect(await indexRow(final)).toMatchObject({ status: '01', source_seq: 1 });
    expect(await store.finishResync(region, second.generation)).toEqual({ epoch: 'epoch-c', lastSeq: 1, entries: 1, removed: 2 });
    expect(await regionRows(region)).toEqual([{ id: final, status: '01', seq: 1 }]);
  });

  it('on finishing a pass over an empty database, empties the region', async () => {
    const region = fresh('region');
    await store.apply(region, [entry(1, fresh('cred'), '01'), entry(2, fresh('cred'), '01')], 2, 'epoch-a');
    const { generation } = await store.beginResync(region, 'epoch-empty');
    await store.applyResync(region, generation, [], 0);
    expect(await store.finishResync(region, generation)).toEqual({ epoch: 'epoch-empty', lastSeq: 0, entries: 0, removed: 2 });
    expect(await regionRows(region)).toEqual([]);
    expect(await store.relayCursor(region)).toEqual({ lastSeq: 0, epoch: 'epoch-empty', generation, resync: null });
  });
});
