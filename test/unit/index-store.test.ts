import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexStore } from '../../subgraphs/catalogue/db/index-store.js';
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
    `select credential_id, holder_code, holder_type, type_code, region_code, status, source_seq::int as source_seq
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
});
