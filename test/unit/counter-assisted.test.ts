/**
 * Counter-assisted use in RecognitionService, on a real recognition database (PGlite in-process,
 * the module's migrations and reference data). The issuing registries and the catalogue, other
 * services reached over HTTP, are doubles: the registries serve live records made with the seed
 * code and keep the usage records they receive; the catalogue answers a holder's indexed
 * credentials of a type. The clock is frozen at 2030-03-15 10:00 in China (02:00 UTC).
 */
import type { GraphQLError } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import { generateSigningKeyPair, signingKeyFromJwk } from '../../subgraphs/kit/auth/keys.js';
import { ServiceCallError } from '../../subgraphs/kit/auth/service-client.js';
import { fixedSigner, ServiceKeySet } from '../../subgraphs/kit/auth/service-keys.js';
import type { Database } from '../../subgraphs/kit/db.js';
import { buildLicenceId, makeCitizenId } from '../../subgraphs/kit/identifiers/index.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { regionByCode } from '../../subgraphs/kit/reference.js';
import type { UsageRecord } from '../../subgraphs/kit/registry/records.js';
import type { StoredCredential } from '../../subgraphs/kit/registry/store.js';
import { seedCredential } from '../../subgraphs/kit/seed/credentials.js';
import type { CatalogueClient, IndexedCredential } from '../../subgraphs/recognition/catalogue-client.js';
import { RecognitionStore } from '../../subgraphs/recognition/db/store.js';
import { parseRegionalData } from '../../subgraphs/recognition/regional-data.js';
import type { LiveCredential, RegistryClient } from '../../subgraphs/recognition/registry-client.js';
import { verifierNamed, verifiers, type Verifier } from '../../subgraphs/recognition/seed.js';
import { RecognitionService, type CounterVerificationInput } from '../../subgraphs/recognition/service.js';
import { recognitionDatabase } from '../support/databases.js';

const NOW = '2030-03-15T02:00:00.000Z';
const E_ID = '11100000HT00000183001';
const sd = regionByCode('shandong')!;

/** 马超伟's e-ID, issued in Shandong (37). */
const SHANDONG_ID: StoredCredential = seedCredential(sd, 1);
/** Another credential of the same type and issuer, with its own serial. */
const sibling = (serial: string, over: Partial<StoredCredential> = {}): StoredCredential => ({
  ...SHANDONG_ID, id: buildLicenceId({ typeCode: SHANDONG_ID.typeCode, issuerCode: SHANDONG_ID.issuerCode, serial, version: '001' }), serial, ...over,
});
/** A second e-ID of the same holder, issued later, printed number LU-2030-000001. */
const SECOND_ID = sibling('2030000001', { number: 'LU-2030-000001' });
const JINAN_HALL = verifierNamed('济南市政务服务中心');
const SH_HOTEL = verifierNamed('上海外滩江景酒店有限公司');

const indexed = (c: StoredCredential, status = '01'): IndexedCredential => ({ credentialId: c.id, typeCode: c.typeCode, regionCode: 'shandong', status });

class RegistryDouble {
  readonly held = new Map<string, LiveCredential>();
  usage: UsageRecord[] = [];
  reads: string[] = [];
  async credential(_region: string, id: string): Promise<LiveCredential | null> {
    this.reads.push(id);
    const live = this.held.get(id);
    return live ? structuredClone(live) : null;
  }
  async recordUsage(_region: string, record: UsageRecord): Promise<void> {
    this.usage.push(structuredClone(record));
  }
}

class CatalogueDouble {
  lists = new Map<string, IndexedCredential[]>();
  asked: [string, string][] = [];
  fail: Error | null = null;
  async holderCredentials(holderCode: string, typeCode: string): Promise<IndexedCredential[]> {
    this.asked.push([holderCode, typeCode]);
    if (this.fail) throw this.fail;
    return (this.lists.get(holderCode) ?? []).filter((e) => e.typeCode === typeCode);
  }
}

let db: Database;
let store: RecognitionStore;
let registry: RegistryDouble;
let catalogue: CatalogueDouble;
let service: RecognitionService;
let withoutCatalogue: RecognitionService;
let setup: Promise<void>;

beforeAll(() => {
  setup = (async () => {
    db = await recognitionDatabase();
    store = new RecognitionStore(db);
    const { privateJwk, publicJwk } = await generateSigningKeyPair('recognition-test');
    const signer = fixedSigner('recognition', await signingKeyFromJwk(privateJwk));
    const keys = await ServiceKeySet.of({ keys: [{ ...publicJwk, service: 'recognition' }] });
    registry = new RegistryDouble();
    catalogue = new CatalogueDouble();
    const make = (c?: CatalogueDouble) =>
      new RecognitionService(store, registry as unknown as RegistryClient, signer, keys, { defaultMinutes: 5, maxMinutes: 15 }, createLogger('recognition', 'silent'), 2000, c as unknown as CatalogueClient);
    service = make(catalogue);
    withoutCatalogue = make();
  })();
  setup.catch(() => {});
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(NOW));
});
afterAll(async () => {
  vi.useRealTimers();
  await db?.close();
});
beforeEach(async () => {
  await setup;
  await db.exec('delete from verification; delete from usage_outbox;');
  registry.held.clear();
  registry.usage = [];
  registry.reads = [];
  catalogue.lists.clear();
  catalogue.asked = [];
  catalogue.fail = null;
  registry.held.set(SHANDONG_ID.id, { credential: SHANDONG_ID, openDisputes: [] });
  registry.held.set(SECOND_ID.id, { credential: SECOND_ID, openDisputes: [] });
});

const staffOf = (v: Verifier): Caller => ({ role: 'verifier', subject: `operator-of-${v.organisation}`, region: v.region, organisation: v.organisation, organisationName: v.name, scenarios: v.scenarios });
const input = (over: Partial<CounterVerificationInput> = {}): CounterVerificationInput => ({
  holderCode: SHANDONG_ID.holderCode,
  credentialType: E_ID,
  scenario: 'service-hall-visit',
  context: { organisation: JINAN_HALL.organisation, operator: '综合窗口 王丽', serviceItemName: '政务服务大厅办事', serviceItemCode: 'HT-ZW-0001', businessCaseNumber: 'JN-2030-0315-001' },
  consent: { identityDocument: 'RESIDENT_ID_CARD', staffName: '王丽', staffNumber: 'JN-0317' },
  ...over,
});
const refusal = (work: Promise<unknown>) =>
  work.then(
    () => expect.unreachable('should have been refused'),
    (e: GraphQLError) => ({ message: e.message, ...e.extensions }),
  );

describe('a registered counter verifies for a holder without a phone', () => {
  it('asks the index for that holder and type, decides by the rules, and records the counter’s part with no code', async () => {
    catalogue.lists.set(SHANDONG_ID.holderCode, [indexed(SHANDONG_ID)]);
    const v = await service.verifyAtCounter(staffOf(JINAN_HALL), input());
    expect(catalogue.asked).toEqual([[SHANDONG_ID.holderCode, E_ID]]);
    expect([v.verdict, v.ruleId, v.ruleVersion, v.codeJti, v.credentialId, v.channel, v.usageRecorded]).toEqual([
      'ACCEPTED', 'sd-service-hall-e-id', 1, null, SHANDONG_ID.id, 'COUNTER_ASSISTED', true,
    ]);
    const consent = { identityDocument: 'RESIDENT_ID_CARD', staffName: '王丽', staffNumber: 'JN-0317' };
    expect(v.counterAssistance).toEqual(consent);
    expect(registry.usage).toHaveLength(1);
    expect(registry.usage[0]).toMatchObject({ id: v.id, credentialId: SHANDONG_ID.id, channel: 'COUNTER_ASSISTED', counterAssistance: consent, operator: '综合窗口 王丽', releasedFields: ['holderName', 'holderCode'] });
    expect(await store.verification(v.id)).toMatchObject({ codeJti: null, channel: 'COUNTER_ASSISTED', counterAssistance: consent, verdict: 'ACCEPTED' });
  });

  it('takes a check character typed as a lower-case x, and asks the index with the upper-case code', async () => {
    const code = Array.from({ length: 40 }, (_, i) => makeCitizenId('370102', '1950-05-06', i)).find((c) => c.endsWith('X'))!;
    const theirs = sibling('2030000002', { holderCode: code });
    registry.held.set(theirs.id, { credential: theirs, openDisputes: [] });
    catalogue.lists.set(code, [indexed(theirs)]);
    const v = await service.verifyAtCounter(staffOf(JINAN_HALL), input({ holderCode: code.toLowerCase() }));
    expect([catalogue.asked, v.verdict]).toEqual([[[code, E_ID]], 'ACCEPTED']);
  });

  it('rejects as HOLDER_CHANGED when the registry holds the credential for someone else than the index said', async () => {
    catalogue.lists.set(SHANDONG_ID.holderCode, [indexed(SHANDONG_ID)]);
    registry.held.set(SHANDONG_ID.id, { credential: { ...SHANDONG_ID, holderCode: makeCitizenId('370102', '1960-01-01', 11) }, openDisputes: [] });
    const v = await service.verifyAtCounter(staffOf(JINAN_HALL), input());
    expect([v.verdict, v.reasons, v.releasedFields, v.channel]).toEqual(['REJECTED', ['HOLDER_CHANGED'], [], 'COUNTER_ASSISTED']);
    expect(registry.usage[0]).toMatchObject({ verdict: 'REJECTED', channel: 'COUNTER_ASSISTED' });
  });
});

describe('which of the holder’s credentials the counter verifies', () => {
  it.each([
    ['the current one, when another is suspended', [['first', '02'], ['second', '01']], 'second'],
    ['the current one, when another was superseded (99)', [['first', '01'], ['second', '99']], 'first'],
    ['the only one there is, even suspended, so the rules give their reasons', [['first', '02']], 'first'],
  ] as const)('is %s', async (_label, entries, wanted) => {
    const of = { first: SHANDONG_ID, second: SECOND_ID };
    catalogue.lists.set(SHANDONG_ID.holderCode, entries.map(([which, status]) => indexed(of[which], status)));
    const v = await service.verifyAtCounter(staffOf(JINAN_HALL), input());
    expect(v.credentialId).toBe(of[wanted].id);
  });

  it('refuses two current ones without a number: CREDENTIAL_AMBIGUOUS, nothing read or recorded', async () => {
    catalogue.lists.set(SHANDONG_ID.holderCode, [indexed(SHANDONG_ID), indexed(SECOND_ID)]);
    expect(await refusal(service.verifyAtCounter(staffOf(JINAN_HALL), input()))).toEqual({
      message: 'The holder holds 2 电子居民身份证: ask which one, and give the number printed on it (credentialNumber).',
      code: 'BAD_USER_INPUT', reason: 'CREDENTIAL_AMBIGUOUS',
    });
    expect([registry.reads, registry.usage]).toEqual([[], []]);
  });

  it('takes the one whose printed number the staff give, among all the index lists (a suspended one too)', async () => {
    catalogue.lists.set(SHANDONG_ID.holderCode, [indexed(SHANDONG_ID), indexed(SECOND_ID, '02')]);
    const v = await service.verifyAtCounter(staffOf(JINAN_HALL), input({ credentialNumber: 'LU-2030-000001' }));
    expect(v.credentialId).toBe(SECOND_ID.id);
    const first = await service.verifyAtCounter(staffOf(JINAN_HALL), input({ credentialNumber: SHANDONG_ID.number }));
    expect(first.credentialId).toBe(SHANDONG_ID.id);
  });

  it('answers NOT_FOUND for a number none has, and for a holder the index lists nothing for', async () => {
    catalogue.lists.set(SHANDONG_ID.holderCode, [indexed(SHANDONG_ID), indexed(SECOND_ID)]);
    expect(await refusal(service.verifyAtCounter(staffOf(JINAN_HALL), input({ credentialNumber: 'LU-0000-000000' })))).toEqual({
      message: "None of the holder's 电子居民身份证 has the number LU-0000-000000.", code: 'NOT_FOUND',
    });
    const nobody = makeCitizenId('370102', '1931-02-03', 7);
    expect(await refusal(service.verifyAtCounter(staffOf(JINAN_HALL), input({ holderCode: nobody })))).toEqual({
      message: "Hutong's national index lists no 电子居民身份证 for this holder.", code: 'NOT_FOUND',
    });
    expect(registry.usage).toEqual([]);
  });
});

describe('refusals before anything is looked up', () => {
  const untouched = () => expect([catalogue.asked, registry.reads, registry.usage]).toEqual([[], [], []]);

  it('refuses a verifier that is not a registered counter', async () => {
    const hotel = input({ scenario: 'hotel-check-in', context: { ...input().context, organisation: SH_HOTEL.organisation, serviceItemName: '旅馆住宿登记', serviceItemCode: 'HT-ZS-0001' } });
    expect(await refusal(service.verifyAtCounter(staffOf(SH_HOTEL), hotel))).toEqual({
      message: 'Your organisation is not a registered counter: only a registered counter’s staff verify for a holder in person, without a presentation code.',
      code: 'FORBIDDEN', reason: 'NOT_A_REGISTERED_COUNTER',
    });
    untouched();
  });

  it('refuses a counter outside its scenarios, as a code’s verification would', async () => {
    expect(await refusal(service.verifyAtCounter(staffOf(JINAN_HALL), input({ scenario: 'hotel-check-in' })))).toMatchObject({ code: 'FORBIDDEN', reason: 'SCENARIO_NOT_REGISTERED' });
    untouched();
  });

  it.each([
    ['a bad check character', SHANDONG_ID.holderCode.slice(0, 17) + (SHANDONG_ID.holderCode.endsWith('0') ? '1' : '0'), /^holderCode is not a citizen ID number as an identity document shows it: The check character is '.' but expected '.'\.$/],
    ['an organisation’s USCC', JINAN_HALL.organisation, /^holderCode is not a citizen ID number as an identity document shows it: /],
    ['17 digits', SHANDONG_ID.holderCode.slice(0, 17), /must be 18 characters long, but 17 were given\.$/],
  ])('refuses a holder code with %s as INVALID_HOLDER_CODE', async (_label, holderCode, message) => {
    const e = await refusal(service.verifyAtCounter(staffOf(JINAN_HALL), input({ holderCode })));
    expect(e).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_HOLDER_CODE' });
    expect(e.message).toMatch(message);
    untouched();
  });

  it('refuses a type the national catalogue does not have', async () => {
    expect(await refusal(service.verifyAtCounter(staffOf(JINAN_HALL), input({ credentialType: '11100000HT00000183999' })))).toEqual({
      message: 'There is no credential type 11100000HT00000183999 in the national catalogue.', code: 'BAD_USER_INPUT', reason: 'UNKNOWN_TYPE',
    });
    untouched();
  });

  it.each([
    ['a document the counter cannot read an ID number from', { identityDocument: 'PASSPORT', staffName: '王丽', staffNumber: 'JN-0317' }, { code: 'BAD_USER_INPUT', reason: 'INVALID_CONSENT' }],
    ['no staff name', { identityDocument: 'RESIDENT_ID_CARD', staffName: '', staffNumber: 'JN-0317' }, { code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'staffName' }],
    ['a staff number of 65 characters', { identityDocument: 'RESIDENT_ID_CARD', staffName: '王丽', staffNumber: 'N'.repeat(65) }, { code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'staffNumber' }],
  ])('refuses a consent with %s', async (_label, consent, expected) => {
    expect(await refusal(service.verifyAtCounter(staffOf(JINAN_HALL), input({ consent })))).toMatchObject(expected);
    untouched();
  });

  it('takes a staff number of 64 characters', async () => {
    catalogue.lists.set(SHANDONG_ID.holderCode, [indexed(SHANDONG_ID)]);
    const v = await service.verifyAtCounter(staffOf(JINAN_HALL), input({ consent: { identityDocument: 'TEMPORARY_RESIDENT_ID_CARD', staffName: '王丽', staffNumber: 'N'.repeat(64) } }));
    expect(v.counterAssistance?.staffNumber).toHaveLength(64);
  });

  it('says the catalogue is unavailable when it cannot be reached, and records nothing', async () => {
    catalogue.fail = new ServiceCallError('catalogue could not be reached: connect ECONNREFUSED');
    expect(await refusal(service.verifyAtCounter(staffOf(JINAN_HALL), input()))).toEqual({
      message: 'The catalogue registry could not be reached; try again shortly.', code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'catalogue',
    });
    expect(registry.usage).toEqual([]);
  });

  it('fails as a server fault when recognition was started without the catalogue', async () => {
    await expect(withoutCatalogue.verifyAtCounter(staffOf(JINAN_HALL), input())).rejects.toThrow('counter-assisted verification needs the catalogue (HUTONG_CATALOGUE_URL)');
  });
});

describe('registered counters as reference data', () => {
  it('are the Jinan service hall and the two libraries among the founding verifiers, and the store says so', async () => {
    expect(verifiers.filter((v) => v.registeredCounter).map((v) => v.name)).toEqual(['重庆图书馆', '四川省图书馆', '济南市政务服务中心']);
    expect((await store.verifier(JINAN_HALL.organisation))?.registeredCounter).toBe(true);
    expect('registeredCounter' in (await store.verifier(SH_HOTEL.organisation))!).toBe(false);
  });

  it('follow the reference data at the next start: a counter registered in the database only is not one any more', async () => {
    await db.query('update verifier set registered_counter = true where organisation = $1', [SH_HOTEL.organisation]);
    await store.seedReferenceData();
    expect('registeredCounter' in (await store.verifier(SH_HOTEL.organisation))!).toBe(false);
  });

  it('are read from a region’s recognition.json, false unless it says true', () => {
    const data = parseRegionalData(sd, {
      verifiers: [
        { kind: 'agency', name: '济南市历下区政务服务中心', city: '370100', scenarios: ['service-hall-visit'], registeredCounter: true },
        { kind: 'agency', name: '济南市测试备案中心', city: '370100', scenarios: ['service-hall-visit'] },
      ],
    }, ['service-hall-visit'], 'subgraphs/shandong/recognition.json');
    expect(data.verifiers.map((v) => [v.name, v.registeredCounter])).toEqual([['济南市历下区政务服务中心', true], ['济南市测试备案中心', undefined]]);
  });
});
