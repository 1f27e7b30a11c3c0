/**
 * Row-level decisions made in resolvers: whose holder listing a caller may read, whose
 * verification, which recognition rules are listed for a region and a date, and which routes
 * only Hutong's own services may call.
 */
import type { Request, Response } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import type { Database } from '../../subgraphs/kit/db.js';
import { onlyFrom } from '../../subgraphs/kit/subgraph-server.js';
import { assertMayListHolder, Holder } from '../../subgraphs/catalogue/resolvers/Holder.js';
import { Query as CatalogueQuery } from '../../subgraphs/catalogue/resolvers/Query.js';
import { acceptanceRuleVersionPages, invalidationRuleVersionPages, RecognitionStore, type VerificationRow } from '../../subgraphs/recognition/db/store.js';
import { createRecognitionLoaders } from '../../subgraphs/recognition/loaders.js';
import { Query as RecognitionQuery } from '../../subgraphs/recognition/resolvers/Query.js';
import { InvalidationRule, PresentationCode, RecognitionRule, Verification, VerifierType } from '../../subgraphs/recognition/resolvers/types.js';
import type { RecognitionContext } from '../../subgraphs/recognition/resolvers/context.js';
import { recognitionDatabase } from '../support/databases.js';

const HOLDER = '320100197202028039';
const OTHER_HOLDER = '370100198806091286';
const HOTEL = '91310101HW7470291X';
const OTHER_ORG = '91320100HW00000007';

const callers: Record<string, Caller> = {
  anonymous: { role: 'anonymous' },
  holder: { role: 'holder', holderCode: HOLDER },
  otherHolder: { role: 'holder', holderCode: OTHER_HOLDER },
  verifier: { role: 'verifier', organisation: HOTEL, region: 'yangtze-delta' },
  otherVerifier: { role: 'verifier', organisation: OTHER_ORG, region: 'yangtze-delta' },
  issuer: { role: 'issuer', organisation: HOTEL, region: 'yangtze-delta' },
  analyst: { role: 'analyst' },
  admin: { role: 'admin' },
};

const codeOf = (work: () => unknown) => {
  try {
    work();
    return 'allowed';
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code ?? String(error);
  }
};
const asyncCodeOf = async (work: () => Promise<unknown>) => {
  try {
    await work();
    return 'allowed';
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code ?? String(error);
  }
};

describe("a holder's credential listing (the national index)", () => {
  it.each([
    ['holder', 'allowed'],
    ['admin', 'allowed'],
    ['otherHolder', 'FORBIDDEN'],
    ['verifier', 'FORBIDDEN'],
    ['issuer', 'FORBIDDEN'],
    ['analyst', 'FORBIDDEN'],
    ['anonymous', 'FORBIDDEN'],
  ])('is listed to %s: %s', (who, expected) => {
    expect(codeOf(() => assertMayListHolder(callers[who]!, HOLDER))).toBe(expected);
    expect(codeOf(() => CatalogueQuery.holder(undefined, { code: HOLDER }, { caller: callers[who]! } as never))).toBe(expected);
  });

  it('refuses a caller who is not the holder even when its token carries the holder code, saying why', () => {
    const verifierWithCode: Caller = { role: 'verifier', organisation: HOTEL, region: 'yangtze-delta', holderCode: HOLDER };
    expect(() => assertMayListHolder(verifierWithCode, HOLDER)).toThrow('A holder’s credentials are listed for that holder only.');
    expect(() => assertMayListHolder(callers.otherHolder!, HOLDER)).toThrow('A holder’s credentials are listed for that holder only.');
  });

  it('resolves a holder reference from its code, as a citizen or an organisation', () => {
    expect(Holder.__resolveReference({ code: HOLDER })).toEqual({ code: HOLDER, holderType: 'CITIZEN' });
    expect(Holder.__resolveReference({ code: HOTEL })).toEqual({ code: HOTEL, holderType: 'ORGANISATION' });
  });

  it('refuses another holder before reading the index', async () => {
    const load = vi.fn();
    const ctx = { caller: callers.otherHolder!, loaders: { holderCredentialPages: { load }, holderCredentialCounts: { load } } } as never;
    await expect(Holder.credentials({ code: HOLDER }, {}, ctx)).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(load).not.toHaveBeenCalled();
  });

  it('refuses another holder before looking at the page asked for', async () => {
    const load = vi.fn();
    const ctx = { caller: callers.otherHolder!, loaders: { holderCredentialPages: { load }, holderCredentialCounts: { load } } } as never;
    await expect(Holder.credentials({ code: HOLDER }, { first: 0, after: 'garbage' }, ctx)).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(load).not.toHaveBeenCalled();
  });

  it("lists the holder's own entries as references to each region's credential type, a page at a time", async () => {
    const entries = [
      { credentialId: 'a', regionCode: 'no-such-region', typeCode: 'T' },
      { credentialId: 'b', regionCode: 'shandong', typeCode: 'T' },
      { credentialId: 'c', regionCode: 'yangtze-delta', typeCode: 'T' },
      { credentialId: 'd', regionCode: 'yangtze-delta', typeCode: 'T' },
    ];
    const asked: unknown[] = [];
    const pages = { load: async (request: unknown) => (asked.push(request), entries.slice(0, 3)) };
    const ctx = { caller: callers.holder!, loaders: { holderCredentialPages: pages, holderCredentialCounts: { load: async () => 4 } } } as never;
    const connection = await Holder.credentials({ code: HOLDER }, { first: 2 }, ctx);
    expect(asked).toEqual([{ holderCode: HOLDER, page: { size: 2, limit: 3, after: null } }]);
    // The region no longer in the regions file routes nowhere; its entry is left out of the page.
    expect(connection.nodes).toEqual([{ __typename: 'ShandongCredential', id: 'b' }]);
    expect(connection.pageInfo.hasNextPage).toBe(true);
    expect(await (connection.totalCount as () => Promise<number>)()).toBe(4);
    await Holder.credentials({ code: HOLDER }, { first: 2, after: connection.pageInfo.endCursor }, ctx);
    expect(asked[1]).toEqual({ holderCode: HOLDER, page: { size: 2, limit: 3, after: ['shandong', 'T', 'b'] } });
  });

  it('refuses a page size outside 1 to 100 and a cursor of another holder’s list', async () => {
    const entries = [{ credentialId: 'b', regionCode: 'shandong', typeCode: 'T' }];
    const ctx = { caller: callers.admin!, loaders: { holderCredentialPages: { load: async () => entries }, holderCredentialCounts: { load: async () => 1 } } } as never;
    await expect(Holder.credentials({ code: HOLDER }, { first: 101 }, ctx)).rejects.toMatchObject({
      message: 'first must be between 1 and 100 (the maximum page size); it was 101.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const { pageInfo } = await Holder.credentials({ code: HOLDER }, { first: 1 }, ctx);
    expect(pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });
    await expect(Holder.credentials({ code: HOTEL }, { first: 1, after: pageInfo.endCursor }, ctx)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', argument: 'after', reason: 'INVALID_CURSOR' },
    });
  });
});

describe('recognition resolvers on a real recognition database', () => {
  let db: Database;
  let store: RecognitionStore;
  const VERIFICATION_ID = '6f1c0b7e-3a52-4c1e-9d0b-2f7a1e5c8b90';
  const ctxFor = (caller: Caller) => ({ caller, store, loaders: createRecognitionLoaders(store) }) as unknown as RecognitionContext;

  beforeAll(async () => {
    db = await recognitionDatabase();
    store = new RecognitionStore(db);
    const row: VerificationRow = {
      id: VERIFICATION_ID, codeJti: 'jti-1', credentialId: 'cred-1', issuingRegion: 'yangtze-delta', verifierOrg: HOTEL,
      verifierRegion: 'yangtze-delta', scenario: 'hotel-check-in', context: { operator: '前台' }, verdict: 'ACCEPTED', reasons: [],
      ruleId: 'yrd-hotel-e-id', ruleVersion: 1, disputed: false, disputedFields: [], releasedFields: [], trace: [], usageRecorded: true,
      checkedAt: '2026-11-30T08:00:00.000Z',
    };
    await store.addVerification(row);
    // A second version of the hotel rule that starts later, and a rule retired at the end of 2025.
    await db.query(
      `insert into acceptance_rule (id, version, accepting_region, accepting_provinces, scenario, credential_type, issuing_provinces,
         accepted_statuses, require_within_validity, released_fields, valid_from, valid_until, legal_basis)
       select id, 2, accepting_region, accepting_provinces, scenario, credential_type, issuing_provinces, accepted_statuses,
              require_within_validity, released_fields, date '2027-01-01', null, legal_basis from acceptance_rule where id = 'yrd-hotel-e-id'
       union all
       select 'retired-hotel-rule', 1, accepting_region, accepting_provinces, scenario, credential_type, issuing_provinces, accepted_statuses,
              require_within_validity, released_fields, date '2020-01-01', date '2025-12-31', legal_basis from acceptance_rule where id = 'yrd-hotel-e-id'`,
    );
  });
  afterAll(async () => {
    await db?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('a verification', () => {
    it.each([
      ['verifier', 'allowed'],
      ['admin', 'allowed'],
      ['otherVerifier', 'FORBIDDEN'],
      ['holder', 'FORBIDDEN'],
      ['analyst', 'FORBIDDEN'],
    ])('is shown to %s: %s', async (who, expected) => {
      expect(await asyncCodeOf(() => RecognitionQuery.verification(undefined, { id: VERIFICATION_ID }, ctxFor(callers[who]!)))).toBe(expected);
      expect(await asyncCodeOf(() => Verification.__resolveReference({ id: VERIFICATION_ID }, ctxFor(callers[who]!)))).toBe(expected);
    });

    it('is returned whole to the verifier that made it', async () => {
      const found = await RecognitionQuery.verification(undefined, { id: VERIFICATION_ID }, ctxFor(callers.verifier!));
      expect(found).toMatchObject({ id: VERIFICATION_ID, verifierOrg: HOTEL, verdict: 'ACCEPTED', ruleId: 'yrd-hotel-e-id', context: { operator: '前台' } });
    });

    it('is refused to another verifier with a message that says who may see it', async () => {
      await expect(RecognitionQuery.verification(undefined, { id: VERIFICATION_ID }, ctxFor(callers.otherVerifier!))).rejects.toThrow(
        'A verification is visible to the verifier that made it and to auditors only.',
      );
      await expect(Verification.__resolveReference({ id: VERIFICATION_ID }, ctxFor(callers.otherVerifier!))).rejects.toThrow(
        'A verification is visible to the verifier that made it and to auditors only.',
      );
    });

    it('names its scenario and its verifier', async () => {
      const row = (await store.verification(VERIFICATION_ID))!;
      const ctx = ctxFor(callers.verifier!);
      expect(await Verification.scenario(row, undefined, ctx)).toEqual({ code: 'hotel-check-in', name: 'Hotel check-in', nameZh: '旅馆住宿登记', serviceItemCode: 'HT-ZS-0001' });
      expect(await Verification.verifier(row, undefined, ctx)).toMatchObject({ organisation: HOTEL, name: '上海外滩江景酒店有限公司', region: 'yangtze-delta' });
    });

    it('is null when no verification has the id, and a malformed id is a BAD_USER_INPUT', async () => {
      expect(await RecognitionQuery.verification(undefined, { id: '00000000-0000-4000-8000-000000000000' }, ctxFor(callers.admin!))).toBeNull();
      expect(await Verification.__resolveReference({ id: '00000000-0000-4000-8000-000000000000' }, ctxFor(callers.verifier!))).toBeNull();
      for (const id of ['not-a-uuid', `${VERIFICATION_ID}x`, `x${VERIFICATION_ID}`, VERIFICATION_ID.toUpperCase()]) {
        expect(await asyncCodeOf(() => RecognitionQuery.verification(undefined, { id }, ctxFor(callers.admin!)))).toBe('BAD_USER_INPUT');
      }
      await expect(RecognitionQuery.verification(undefined, { id: 'not-a-uuid' }, ctxFor(callers.admin!))).rejects.toMatchObject({
        message: 'A verification id is a UUID.',
        extensions: { code: 'BAD_USER_INPUT', argument: 'id' },
      });
    });
  });

  describe('recognition rules listed for a region', () => {
    const ids = async (args: Parameters<typeof RecognitionQuery.recognitionRules>[1]) =>
      (await RecognitionQuery.recognitionRules(undefined, args, ctxFor(callers.anonymous!))).map((r) => `${r.id} v${r.version}`).sort();

    it("are the region's own rules for the scenario plus national ones", async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2026-06-01T04:00:00Z'));
      expect(await ids({ acceptingRegion: 'yangtze-delta', scenario: 'traffic-check' })).toEqual([
        'national-traffic-driving-licence v1',
        'yrd-traffic-driving-licence v1',
        'yrd-traffic-vehicle-licence v1',
      ]);
      expect(await ids({ acceptingRegion: 'shandong', scenario: null })).toEqual(['national-traffic-driving-licence v1', 'sd-service-hall-e-id v1']);
      expect(await ids({ acceptingRegion: null, scenario: 'hotel-check-in' })).toEqual(['yrd-hotel-e-id v1']);
    });

    it('are those in force today in China: a version starts on its first day, a retired rule ends the day its validity ends', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      // 2025-12-31 16:00 UTC is already 1 January 2026 in China: the retired rule's last day was 31 December.
      vi.setSystemTime(new Date('2025-12-31T15:59:59Z'));
      expect(await ids({ scenario: 'hotel-check-in' })).toEqual(['retired-hotel-rule v1', 'yrd-hotel-e-id v1']);
      vi.setSystemTime(new Date('2025-12-31T16:00:00Z'));
      expect(await ids({ scenario: 'hotel-check-in' })).toEqual(['yrd-hotel-e-id v1']);
      vi.setSystemTime(new Date('2026-12-31T15:59:59Z'));
      expect(await ids({ scenario: 'hotel-check-in' })).toEqual(['yrd-hotel-e-id v1']);
      vi.setSystemTime(new Date('2026-12-31T16:00:00Z'));
      expect(await ids({ scenario: 'hotel-check-in' })).toEqual(['yrd-hotel-e-id v2']);
    });

    it('keep every version of a rule in its history, newest first, a page at a time', async () => {
      const history = (id: string, args: { first?: number; after?: string | null } = {}) =>
        RecognitionQuery.recognitionRuleHistory(undefined, { id, ...args }, ctxFor(callers.anonymous!));
      const versions = (page: Awaited<ReturnType<typeof history>>) => page.nodes.map((r) => `${r.id} v${r.version}`);
      const first = await history('yrd-hotel-e-id', { first: 1 });
      expect(versions(first)).toEqual(['yrd-hotel-e-id v2']);
      expect(first.pageInfo.hasNextPage).toBe(true);
      expect(await (first.totalCount as () => Promise<number>)()).toBe(2);
      const second = await history('yrd-hotel-e-id', { first: 1, after: first.pageInfo.endCursor });
      expect(versions(second)).toEqual(['yrd-hotel-e-id v1']);
      expect(second.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });
      expect(second.nodes[0]!.publication.source).toBe('REFERENCE_DATA');
      expect(versions(await history('yrd-hotel-e-id'))).toEqual(['yrd-hotel-e-id v2', 'yrd-hotel-e-id v1']);
      // A retired rule is no longer listed in force, but its history stays.
      expect(versions(await history('retired-hotel-rule'))).toEqual(['retired-hotel-rule v1']);
      const none = await history('no-such-rule');
      expect(none.nodes).toEqual([]);
      expect(none.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
      expect(await (none.totalCount as () => Promise<number>)()).toBe(0);
      // A cursor of another rule's history, or of an invalidation rule's, is another list's.
      await expect(history('retired-hotel-rule', { after: first.pageInfo.endCursor })).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' },
      });
      await expect(history('yrd-hotel-e-id', { first: 0 })).rejects.toMatchObject({
        message: 'first must be between 1 and 100 (the maximum page size); it was 0.',
      });
    });

    it("say whether each is in force, from its first day through its last (validUntil)", () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const rule = { validFrom: '2026-03-01', validUntil: '2026-03-31' };
      const table: [string, boolean][] = [
        ['2026-02-28T15:59:59Z', false], // 28 Feb in China
        ['2026-02-28T16:00:00Z', true], // 1 Mar in China
        ['2026-03-31T15:59:59Z', true], // 31 Mar
        ['2026-03-31T16:00:00Z', false], // 1 Apr
      ];
      for (const [now, expected] of table) {
        vi.setSystemTime(new Date(now));
        expect(RecognitionRule.inForce(rule), now).toBe(expected);
      }
      vi.setSystemTime(new Date('2040-01-01T00:00:00Z'));
      expect(RecognitionRule.inForce({ validFrom: '2026-03-01', validUntil: null })).toBe(true);
    });
  });

  it('lists the scenarios Hutong knows', async () => {
    expect((await RecognitionQuery.scenarios(undefined, undefined, ctxFor(callers.anonymous!))).map((x) => x.code)).toEqual([
      'flat-rental', 'hotel-check-in', 'library-entry', 'online-filing', 'service-hall-visit', 'subsidy-payout', 'traffic-check',
    ]);
  });

  it('lists the invalidation rules in force, and keeps every version of one in its history', async () => {
    await db.query(
      `insert into invalidation_rule (id, version, issuing_provinces, credential_type, scenarios, statuses, valid_from, valid_until, legal_basis)
       values ('retired-invalidation', 1, '{37}', '11100000HT00000183002', null, '{REVOKED}', date '2020-01-01', date '2021-01-01', 'retired')
       on conflict do nothing`,
    );
    expect((await RecognitionQuery.invalidationRules(undefined, undefined, ctxFor(callers.anonymous!))).map((r) => r.id)).toEqual(['yrd-suspended-driving-licence']);
    const history = (id: string, after?: string | null) => RecognitionQuery.invalidationRuleHistory(undefined, { id, first: 1, after }, ctxFor(callers.anonymous!));
    const retired = await history('retired-invalidation');
    expect(retired.nodes.map((r) => [r.id, r.version, r.validUntil])).toEqual([['retired-invalidation', 1, '2021-01-01']]);
    expect(retired.pageInfo.hasNextPage).toBe(false);
    // An acceptance rule history's cursor is not an invalidation rule history's, even for the same id.
    await expect(history('retired-invalidation', acceptanceRuleVersionPages.encode('retired-invalidation', [2]))).rejects.toMatchObject({
      message: 'after is a cursor of another list: pass the endCursor of the previous page of this same list.',
      extensions: { code: 'BAD_USER_INPUT', argument: 'after', reason: 'INVALID_CURSOR' },
    });
    expect((await history('retired-invalidation', invalidationRuleVersionPages.encode('retired-invalidation', [2]))).nodes.map((r) => r.version)).toEqual([1]);
  });

  it('links rules, verifiers and presentation codes to their scenarios and credential types', async () => {
    const ctx = ctxFor(callers.anonymous!);
    const hotelRule = (await store.acceptanceRules()).find((r) => r.id === 'yrd-hotel-e-id' && r.version === 1)!;
    expect(await RecognitionRule.scenario(hotelRule, undefined, ctx)).toMatchObject({ code: 'hotel-check-in' });
    expect(RecognitionRule.credentialType(hotelRule)).toEqual({ code: '11100000HT00000183001' });

    const all = await store.invalidationRules();
    const suspended = all.find((r) => r.id === 'yrd-suspended-driving-licence')!;
    expect(InvalidationRule.credentialType(suspended)).toEqual({ code: '11100000HT00000183002' });
    expect((await InvalidationRule.scenarios(suspended, undefined, ctx))!.map((x) => x!.code)).toEqual(['traffic-check']);
    expect(await InvalidationRule.scenarios({ ...suspended, scenarios: null }, undefined, ctx)).toBeNull();

    const jinan = (await store.verifiers()).find((v) => v.name === '济南市政务服务中心')!;
    expect((await VerifierType.scenarios({ ...jinan, scenarios: ['service-hall-visit', 'no-such-scenario'] }, undefined, ctx)).map((x) => x.code)).toEqual([
      'service-hall-visit',
    ]);
    expect(await PresentationCode.scenario({ scenario: 'library-entry' }, undefined, ctx)).toMatchObject({ code: 'library-entry', nameZh: '图书馆入馆借阅' });
    expect(await PresentationCode.scenario({ scenario: null }, undefined, ctx)).toBeNull();
  });

  it('lists verifiers of one region, or all', async () => {
    const all = await RecognitionQuery.verifiers(undefined, {}, ctxFor(callers.anonymous!));
    const shandong = await RecognitionQuery.verifiers(undefined, { region: 'shandong' }, ctxFor(callers.anonymous!));
    expect(shandong.map((v) => v.name).sort()).toEqual(['山东省公安厅交通警察总队', '济南市政务服务中心'].sort());
    expect(all.length).toBeGreaterThan(shandong.length);
  });
});

describe('routes for named services only (a registry feed, its service API, /graphql)', () => {
  const call = (allowed: string[], signer: string | undefined) => {
    const next = vi.fn();
    const res = { locals: { envelopeService: signer, requestId: 'req-1' }, status: vi.fn(), json: vi.fn() };
    res.status.mockReturnValue(res);
    onlyFrom(...allowed)({} as Request, res as unknown as Response, next);
    return { next, res };
  };

  it.each([[['recognition'], 'recognition'], [['catalogue'], 'catalogue'], [['gateway', 'recognition'], 'gateway']])('let %j through a call signed by %s', (allowed, signer) => {
    const { next, res } = call(allowed, signer);
    expect(next).toHaveBeenCalledOnce();
    expect(res.status).not.toHaveBeenCalled();
  });

  it.each([['gateway'], ['catalogue'], ['shandong'], [undefined]])('refuse the recognition-only service API a call signed by %s with 403 FORBIDDEN', (signer) => {
    const { next, res } = call(['recognition'], signer);
    expect(next).not.toHaveBeenCalled();
    expect(res.status).toHaveBeenCalledWith(403);
    expect(res.json).toHaveBeenCalledWith({ errors: [{ message: 'This endpoint is for recognition only.', extensions: { code: 'FORBIDDEN', requestId: 'req-1' } }] });
  });
});
