import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import type { Database } from '../../subgraphs/kit/db.js';
import { regionByCode, type Region, type StatusCode } from '../../subgraphs/kit/reference.js';
import { RegistryCommands, type IssueInput } from '../../subgraphs/kit/registry/commands.js';
import { createRegistryLoaders } from '../../subgraphs/kit/registry/loaders.js';
import { RecordStore } from '../../subgraphs/kit/registry/records.js';
import { FigureStore } from '../../subgraphs/kit/registry/figures.js';
import { registryResolvers, type RegistryContext } from '../../subgraphs/kit/registry/resolvers.js';
import { CredentialStore, type StoredCredential } from '../../subgraphs/kit/registry/store.js';
import { seedCredential, type CredentialRecord } from '../../subgraphs/kit/seed/credentials.js';
import { subgraphDatabase } from '../support/databases.js';
import { jinanHallUsage, shandongEidInput } from '../support/records.js';

const SHANDONG: Region = regionByCode('shandong')!;
const SHANDONG_POLICE = '11370000HT71218912';
const E_ID = '11100000HT00000183001';
const HOLDER_CODE = '370102199003071238';
const OTHER_HOLDER_CODE = '370202198511204560';

type Resolver = (parent: unknown, args: unknown, ctx: RegistryContext) => any;
// Built inside each test, so a broken resolver map fails the tests rather than the file's import.
const resolverMap = () => registryResolvers(SHANDONG) as unknown as Record<string, Record<string, Resolver>>;
const field = (name: string): Resolver => resolverMap().ShandongCredential![name]!;
const resolveReference = (ref: { id: string }, ctx: RegistryContext) =>
  (field('__resolveReference') as unknown as (r: { id: string }, c: RegistryContext) => Promise<StoredCredential>)(ref, ctx);

const issuer: Caller = { role: 'issuer', subject: 'officer-7', region: 'shandong', organisation: SHANDONG_POLICE, organisationName: '山东省公安厅' };
const holder: Caller = { role: 'holder', subject: 'holder-1', holderCode: HOLDER_CODE };
const admin: Caller = { role: 'admin', subject: 'auditor-1' };

let db: Database;
const ctx = (caller: Caller): RegistryContext => ({
  caller,
  loaders: createRegistryLoaders(new CredentialStore(db), new RecordStore(db), new FigureStore(db)),
  commands: new RegistryCommands(db, SHANDONG),
});

beforeAll(async () => {
  db = await subgraphDatabase('shandong');
});
afterAll(async () => {
  await db?.close();
});

const input = shandongEidInput;

/** A credential issued to HOLDER_CODE, as the registry's loader returns it. */
async function issued(overrides: Partial<IssueInput> = {}): Promise<StoredCredential> {
  const record = await ctx(issuer).commands.issue(issuer, input(overrides));
  return (await ctx(admin).loaders.credential.load(record.id))!;
}

async function refusal(work: Promise<unknown> | (() => unknown)): Promise<GraphQLError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return error as GraphQLError;
  }
  throw new Error('expected a refusal');
}

describe('the region', () => {
  const region = () => resolverMap().ShandongRegion!;
  const countCtx = () => ctx(admin);

  // Runs first in this file, on the still empty registry, so the counts are known.
  beforeAll(async () => {
    const statuses: StatusCode[] = ['05', '01', '03', '01', '02', '01', '99'];
    const records = statuses.map((status, k) => ({ ...seedCredential(SHANDONG, k), status }));
    await db.transaction((tx) => CredentialStore.insert(tx, records));
  });

  it('resolves its own code and no other', async () => {
    expect(region().__resolveReference!({ code: 'shandong' }, {}, countCtx())).toEqual({ code: 'shandong' });
    const error = await refusal(() => region().__resolveReference!({ code: 'yangtze-delta' }, {}, countCtx()));
    expect(error.extensions).toEqual({ code: 'NOT_FOUND' });
    expect(error.message).toBe('The Shandong registry does not serve region yangtze-delta.');
  });

  it('counts its credentials, in total and by status in code order', async () => {
    expect(await region().credentialCount!({}, {}, countCtx())).toBe(7);
    expect(await region().credentialCountByStatus!({}, {}, countCtx())).toEqual([
      { status: 'VALID', statusCode: '01', count: 3 },
      { status: 'SUSPENDED', statusCode: '02', count: 1 },
      { status: 'REVOKED', statusCode: '03', count: 1 },
      { status: 'EXPIRED', statusCode: '05', count: 1 },
      { status: 'OTHER', statusCode: '99', count: 1 },
    ]);
  });
});

describe('who may read a credential record', () => {
  it('lets the holder read their own credential', async () => {
    const c = await issued();
    expect(await resolveReference({ id: c.id }, ctx(holder))).toMatchObject({ id: c.id, holderCode: HOLDER_CODE, holderName: '李明华' });
  });

  it('refuses another holder', async () => {
    const c = await issued();
    const error = await refusal(resolveReference({ id: c.id }, ctx({ role: 'holder', subject: 'h2', holderCode: OTHER_HOLDER_CODE })));
    expect(error.extensions).toEqual({ code: 'FORBIDDEN' });
    expect(error.message).toBe('This credential belongs to another holder.');
  });

  it('lets an issuer of the issuing region read it, whatever their organisation', async () => {
    const c = await issued();
    const other: Caller = { role: 'issuer', subject: 'officer-8', region: 'shandong', organisation: '11370000HT24367559' };
    expect(await resolveReference({ id: c.id }, ctx(issuer))).toMatchObject({ id: c.id });
    expect(await resolveReference({ id: c.id }, ctx(other))).toMatchObject({ id: c.id });
  });

  it('lets an admin (auditor) read it', async () => {
    const c = await issued();
    expect(await resolveReference({ id: c.id }, ctx(admin))).toMatchObject({ id: c.id });
  });

  it.each<[string, Caller]>([
    ['an issuer of another region', { role: 'issuer', subject: 'sh', region: 'yangtze-delta', organisation: '11310000HT5544823B' }],
    ['an issuer whose token names no region', { role: 'issuer', subject: 'x', organisation: SHANDONG_POLICE }],
    ['a verifier of the issuing region', { role: 'verifier', subject: 'v', region: 'shandong', organisation: '12370100HT9876543X' }],
    ['a verifier carrying the holder\'s code', { role: 'verifier', subject: 'v', region: 'shandong', holderCode: HOLDER_CODE }],
    ['an analyst', { role: 'analyst', subject: 'a' }],
  ])('refuses %s', async (_who, caller) => {
    const c = await issued();
    const error = await refusal(resolveReference({ id: c.id }, ctx(caller)));
    expect(error.extensions).toEqual({ code: 'FORBIDDEN' });
    expect(error.message).toBe('A credential is visible to its holder, to Shandong issuers and to auditors only.');
  });

  it('tells an anonymous caller to sign in (UNAUTHENTICATED), not that the record is forbidden', async () => {
    const c = await issued();
    const error = await refusal(resolveReference({ id: c.id }, ctx({ role: 'anonymous' })));
    expect(error.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    expect(error.message).toBe('Sign in to read a credential: it is visible to its holder, to Shandong issuers and to auditors only.');
  });

  it('reports a credential the registry does not hold as not found, naming the registry', async () => {
    const id = '1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.209900000001.001.A';
    const error = await refusal(resolveReference({ id }, ctx(admin)));
    expect(error.extensions).toEqual({ code: 'NOT_FOUND', registry: 'shandong' });
    expect(error.message).toBe(`No credential with identifier ${id} in the Shandong registry.`);
  });
});

describe('personal data on a credential record', () => {
  const read = (c: StoredCredential, caller: Caller) => {
    const context = ctx(caller);
    return {
      holderName: field('holderName')(c, {}, context),
      holderCode: field('holderCode')(c, {}, context),
      faceFields: field('faceFields')(c, {}, context),
    };
  };

  const full = {
    holderName: '李明华',
    holderCode: HOLDER_CODE,
    faceFields: [
      { key: 'sex', label: 'Sex', labelZh: '性别', value: '男' },
      { key: 'birthDate', label: 'Date of birth', labelZh: '出生日期', value: '1990-03-07' },
      { key: 'address', label: 'Address', labelZh: '住址', value: '山东省济南市泉城路1号' },
    ],
  };

  it('is shown in full to the holder, in the catalogue\'s field order', async () => {
    expect(read(await issued(), holder)).toEqual(full);
  });

  it('is shown in full to an issuer of the issuing region', async () => {
    expect(read(await issued(), issuer)).toEqual(full);
  });

  it('is masked for an admin', async () => {
    expect(read(await issued(), admin)).toEqual({
      holderName: '李*华',
      holderCode: '3701**********1238',
      faceFields: [
        { key: 'sex', label: 'Sex', labelZh: '性别', value: '男*' },
        { key: 'birthDate', label: 'Date of birth', labelZh: '出生日期', value: '19******07' },
        { key: 'address', label: 'Address', labelZh: '住址', value: '山东*******1号' },
      ],
    });
  });

  it.each<[string, Caller]>([
    ['another holder', { role: 'holder', subject: 'h2', holderCode: OTHER_HOLDER_CODE }],
    ['an issuer of another region', { role: 'issuer', subject: 'sh', region: 'yangtze-delta', organisation: '11310000HT5544823B' }],
    ['a verifier of the issuing region', { role: 'verifier', subject: 'v', region: 'shandong' }],
    ['a verifier carrying the holder\'s code', { role: 'verifier', subject: 'v', holderCode: HOLDER_CODE }],
  ])('is masked for %s, should a field ever be reached without the record check', async (_who, caller) => {
    expect(read(await issued(), caller)).toMatchObject({ holderName: '李*华', holderCode: '3701**********1238' });
  });

  it('shows no face fields for a type the catalogue no longer lists', async () => {
    const c: CredentialRecord = { ...seedCredential(SHANDONG, 1), typeCode: '11100000HT00000183999' };
    expect(field('faceFields')(c, {}, ctx(holder))).toEqual([]);
  });

  it('masks an organisation holder\'s code for an admin', async () => {
    const c = await ctx(issuer).commands.issue(
      { ...issuer, organisation: '11370000HT24367559' },
      { typeCode: '11100000HT0000042K001', holderCode: '91370100HT1234561M', holderName: '济南泉城科技有限公司', issueDate: '2024-12-31', areaCode: '370100' },
    );
    expect(field('holderCode')(c, {}, ctx(admin))).toBe('9137**********561M');
    expect(field('holderName')(c, {}, ctx(admin))).toBe('济南******公司');
    expect(field('holderType')(c, {}, ctx(admin))).toBe('ORGANISATION');
    expect(field('faceFields')(c, {}, ctx(admin))).toEqual([]);
  });
});

describe('the other fields of a credential record', () => {
  it('names its type, holder type and stored status code', async () => {
    const c = await issued();
    // The reference entry: the registry gives the type's names itself (shareable with the catalogue).
    expect(field('type')(c, {}, ctx(holder))).toMatchObject({ code: E_ID, slug: 'e-id', name: 'Electronic resident identity card', nameZh: '电子居民身份证' });
    expect(field('holderType')(c, {}, ctx(holder))).toBe('CITIZEN');
    expect(field('statusCode')(c, {}, ctx(holder))).toBe('01');
    expect(field('status')(c, {}, ctx(holder))).toBe('VALID');
  });

  it.each<[StatusCode, string | null, string]>([
    ['01', '2020-06-30', 'EXPIRED'],
    ['01', '2099-12-31', 'VALID'],
    ['01', null, 'VALID'],
    ['02', '2020-06-30', 'SUSPENDED'],
    ['03', null, 'REVOKED'],
    ['99', null, 'OTHER'],
  ])('reports stored status %s with expiry %s as %s', (status, expiryDate, expected) => {
    const c: CredentialRecord = { ...seedCredential(SHANDONG, 1), status, expiryDate };
    expect(field('status')(c, {}, ctx(holder))).toBe(expected);
    expect(field('statusCode')(c, {}, ctx(holder))).toBe(status);
  });

  it('points a corrected record to its new version, and a current one to nothing', async () => {
    const c = await issued();
    const next = await ctx(issuer).commands.correct(issuer, c.id, [{ field: 'holderName', value: '李明' }], 'typo');
    const old = (await ctx(admin).loaders.credential.load(c.id))!;
    expect(field('supersededBy')(old, {}, ctx(holder))).toBe(next.id);
    expect(field('supersededBy')(next, {}, ctx(holder))).toBeNull();
    expect(field('supersededBy')(c, {}, ctx(holder))).toBeNull();
  });

  it('lists its usage records with the verifier organisation, and its disputes', async () => {
    const c = await issued();
    const records = new RecordStore(db);
    const usage = jinanHallUsage(`verif-${c.id}`, c.id);
    await records.addUsageRecord(usage);
    const dispute = await records.fileDispute({ id: `d-${c.id}`, credentialId: c.id, field: 'holderName', claim: '姓名有误', filedByRole: 'holder', filedBy: 'holder-1' });
    const usageRecords = await field('usageRecords')(c, {}, ctx(holder));
    expect(usageRecords.nodes).toEqual([{ ...usage, verifierOrganisation: '12370100HT9876543X', scenario: { code: 'service-hall-visit' } }]);
    expect(usageRecords.pageInfo.hasNextPage).toBe(false);
    expect(await usageRecords.totalCount()).toBe(1);
    const disputes = await field('disputes')(c, {}, ctx(holder));
    expect(disputes.nodes).toEqual([dispute]);
    expect(disputes.pageInfo.hasNextPage).toBe(false);
    expect(await disputes.totalCount()).toBe(1);
  });

  it('pages its usage records newest first, a tie in time broken by id, with no entry twice or left out', async () => {
    const c = await issued();
    const records = new RecordStore(db);
    const at = ['2026-03-01T10:00:00.000Z', '2026-03-02T10:00:00.000Z', '2026-03-02T10:00:00.000Z', '2026-03-02T10:00:00.000Z', '2026-03-03T10:00:00.000Z'];
    for (const [i, verifiedAt] of at.entries()) await records.addUsageRecord(jinanHallUsage(`page-${c.id}-${i}`, c.id, { verifiedAt }));
    const seen: string[] = [];
    const pages: { ids: string[]; hasNextPage: boolean }[] = [];
    let after: string | null = null;
    do {
      const page: any = await field('usageRecords')(c, { first: 2, after }, ctx(holder));
      pages.push({ ids: page.nodes.map((r: { id: string }) => r.id.slice(-1)), hasNextPage: page.pageInfo.hasNextPage });
      seen.push(...page.nodes.map((r: { id: string }) => r.id));
      expect(await page.totalCount()).toBe(5);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(pages).toEqual([
      { ids: ['4', '3'], hasNextPage: true },
      { ids: ['2', '1'], hasNextPage: true },
      { ids: ['0'], hasNextPage: false },
    ]);
    expect(new Set(seen).size).toBe(5);
  });

  it('reads the pages of several credentials asked for in one request in one statement, each page by its own key', async () => {
    const [a, b] = [await issued(), await issued()];
    const records = new RecordStore(db);
    for (const [i, c] of [a, a, a, b].entries()) await records.addUsageRecord(jinanHallUsage(`batch-${c.id}-${i}`, c.id, { verifiedAt: `2026-04-0${i + 1}T00:00:00.000Z` }));
    const context = ctx(admin);
    const statements: string[] = [];
    const query = db.query.bind(db);
    const counting = { ...db, query: (sql: string, params?: unknown[]) => (statements.push(sql), query(sql, params)) } as Database;
    context.loaders = createRegistryLoaders(new CredentialStore(db), new RecordStore(counting), new FigureStore(db));
    const [pageA, pageA1, pageB] = await Promise.all([
      field('usageRecords')(a, { first: 2 }, context),
      field('usageRecords')(a, { first: 1 }, context),
      field('usageRecords')(b, {}, context),
    ]);
    expect(statements).toHaveLength(1);
    expect(pageA.nodes.map((r: { id: string }) => r.id)).toEqual([`batch-${a.id}-2`, `batch-${a.id}-1`]);
    expect(pageA.pageInfo.hasNextPage).toBe(true);
    expect(pageA1.nodes.map((r: { id: string }) => r.id)).toEqual([`batch-${a.id}-2`]);
    expect(pageB.nodes.map((r: { id: string }) => r.id)).toEqual([`batch-${b.id}-3`]);
    expect(pageB.pageInfo.hasNextPage).toBe(false);
    const next = await field('usageRecords')(a, { first: 2, after: pageA.pageInfo.endCursor }, context);
    expect(next.nodes.map((r: { id: string }) => r.id)).toEqual([`batch-${a.id}-0`]);
    expect(await refusal(field('usageRecords')(b, { first: 2, after: pageA.pageInfo.endCursor }, context))).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' },
    });
  });

  it('pages its disputes most recently filed first', async () => {
    const c = await issued();
    const records = new RecordStore(db);
    for (const i of [0, 1, 2]) {
      await records.fileDispute({ id: `dp-${i}-${c.id}`, credentialId: c.id, field: 'holderName', claim: `第${i}次`, filedByRole: 'holder', filedBy: 'holder-1' });
    }
    const first = await field('disputes')(c, { first: 2 }, ctx(holder));
    expect(first.nodes.map((d: { claim: string }) => d.claim)).toEqual(['第2次', '第1次']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await field('disputes')(c, { first: 2, after: first.pageInfo.endCursor }, ctx(holder));
    expect(second.nodes.map((d: { claim: string }) => d.claim)).toEqual(['第0次']);
    expect(second.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });
    const empty = await field('disputes')(c, { first: 2, after: second.pageInfo.endCursor }, ctx(holder));
    expect(empty.nodes).toEqual([]);
    expect(empty.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  it('refuses a page size outside 1 to 100 before reading anything', async () => {
    const c = await issued();
    for (const first of [0, 101]) {
      const e = await refusal(field('usageRecords')(c, { first }, ctx(holder)));
      expect(e.message).toBe(`first must be between 1 and 100 (the maximum page size); it was ${first}.`);
      expect(e.extensions.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('the registry mutations', () => {
  const call = (name: string, args: unknown, caller: Caller = issuer) => resolverMap().ShandongRegistryMutations![name]!({}, args, ctx(caller));

  it('are reached under the region\'s camel-cased name', () => {
    expect(resolverMap().Mutation!.shandong!({}, {}, ctx(issuer))).toEqual({});
    expect(Object.keys(registryResolvers(regionByCode('yangtze-delta')!).Mutation!)).toEqual(['yangtzeDelta']);
    expect(Object.keys(registryResolvers(regionByCode('chengdu-chongqing')!).Mutation!)).toEqual(['chengduChongqing']);
    expect(Object.keys(registryResolvers(regionByCode('chengdu-chongqing')!))).toEqual([
      'ChengduChongqingCredential',
      'UsageRecord',
      'Mutation',
      'ChengduChongqingRegistryMutations',
      'ChengduChongqingRegion',
    ]);
  });

  it('issue, suspend, restore, revoke and cancel as named', async () => {
    const c = await call('issueCredential', { input: input() });
    expect(c).toMatchObject({ status: '01', holderCode: HOLDER_CODE });
    expect((await call('suspendCredential', { id: c.id, reason: 'lost' })).status).toBe('02');
    expect((await call('restoreCredential', { id: c.id, reason: 'found' })).status).toBe('01');
    expect((await call('revokeCredential', { id: c.id, reason: 'fraud' })).status).toBe('03');
    const d = await call('issueCredential', { input: input() });
    expect((await call('cancelCredential', { id: d.id, reason: 'holder died' })).status).toBe('04');
    const rows = await db.query('select action, reason from credential_event where credential_id = $1 order by seq', [c.id]);
    expect(rows).toEqual([
      { action: 'ISSUE', reason: 'issued' },
      { action: 'SUSPEND', reason: 'lost' },
      { action: 'RESTORE', reason: 'found' },
      { action: 'REVOKE', reason: 'fraud' },
    ]);
  });

  it('correct with or without a dispute, and reject a dispute', async () => {
    const c = await issued();
    const records = new RecordStore(db);
    await records.fileDispute({ id: `m1-${c.id}`, credentialId: c.id, field: 'holderName', claim: '姓名有误', filedByRole: 'holder', filedBy: 'holder-1' });
    await records.fileDispute({ id: `m2-${c.id}`, credentialId: c.id, field: 'number', claim: '号码有误', filedByRole: 'holder', filedBy: 'holder-1' });
    const v2 = await call('correctCredential', { id: c.id, changes: [{ field: 'holderName', value: '李明' }], reason: 'typo', disputeId: `m1-${c.id}` });
    expect(v2).toMatchObject({ version: 2, holderName: '李明' });
    expect(await records.dispute(`m1-${c.id}`)).toMatchObject({ status: 'CORRECTED', correctedId: v2.id });
    const v3 = await call('correctCredential', { id: v2.id, changes: [{ field: 'number', value: 'N-1' }], reason: 'number', disputeId: null });
    expect(v3).toMatchObject({ version: 3, number: 'N-1' });
    expect(await records.dispute(`m2-${c.id}`)).toMatchObject({ status: 'OPEN' });
    const rejected = await call('rejectDispute', { id: `m2-${c.id}`, reason: 'number is right' });
    expect(rejected).toMatchObject({ id: `m2-${c.id}`, status: 'REJECTED', resolution: 'number is right' });
  });

  it('refuse a caller who is not an issuer of the region', async () => {
    const c = await issued();
    const error = await refusal(call('suspendCredential', { id: c.id, reason: 'lost' }, holder));
    expect(error.extensions).toEqual({ code: 'FORBIDDEN' });
  });
});
