/**
 * RecognitionService on a real recognition database (PGlite in-process, the module's own
 * migrations and reference data). Only the issuing registries, another service reached over
 * HTTP, are replaced: by a double that serves live records made with the seed code, records the
 * usage records and disputes it receives, and can be made unreachable.
 *
 * The clock is frozen at 2030-03-15 10:00 in China (02:00 UTC), later than the database's real
 * clock, so codes it signs are live for PostgreSQL's now() and every date below is literal.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import { generateSigningKeyPair, signingKeyFromJwk } from '../../subgraphs/kit/auth/keys.js';
import { fixedSigner, ServiceKeySet, type ServiceSigner } from '../../subgraphs/kit/auth/service-keys.js';
import { ServiceCallError } from '../../subgraphs/kit/auth/service-client.js';
import type { Database } from '../../subgraphs/kit/db.js';
import { makeUscc } from '../../subgraphs/kit/identifiers/index.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { regionByCode } from '../../subgraphs/kit/reference.js';
import type { Dispute, UsageRecord } from '../../subgraphs/kit/registry/records.js';
import type { StoredCredential } from '../../subgraphs/kit/registry/store.js';
import { seedCredential } from '../../subgraphs/kit/seed/credentials.js';
import { signPresentationCode } from '../../subgraphs/recognition/codes.js';
import { RecognitionStore, type VerificationRow } from '../../subgraphs/recognition/db/store.js';
import { RegistryClient, type LiveCredential } from '../../subgraphs/recognition/registry-client.js';
import { UsageRelay } from '../../subgraphs/recognition/usage-relay.js';
import { verifierNamed, type Verifier } from '../../subgraphs/recognition/seed.js';
import { presentationWarning, RecognitionService, type UsageContext } from '../../subgraphs/recognition/service.js';
import { recognitionDatabase } from '../support/databases.js';

const NOW = '2030-03-15T02:00:00.000Z';
/** The registry deadline of a verification, as configured by default. */
const DEADLINE_MS = 2000;

const yrd = regionByCode('yangtze-delta')!;
const cc = regionByCode('chengdu-chongqing')!;
const sd = regionByCode('shandong')!;

// Live records as the registries would serve them: seeded, with dates moved around "today".
/** 孙嘉婷's e-driving licence, issued in Jiangsu (32), valid on 2030-03-15. */
const DRIVING: StoredCredential = { ...seedCredential(yrd, 6), effectiveDate: '2024-03-16', expiryDate: '2030-09-30' };
/** 刘雨, another Jiangsu holder. */
const OTHER_HOLDER = seedCredential(yrd, 2).holderCode;
/** 梁平平's e-ID, issued in Shanghai (31). */
const SHANGHAI_ID: StoredCredential = seedCredential(yrd, 12);
/** 马超伟's e-ID, issued in Shandong (37). */
const SHANDONG_ID: StoredCredential = seedCredential(sd, 1);
/** 韩敏琳's real estate certificate, issued in Chongqing (50). */
const CHONGQING_ESTATE: StoredCredential = seedCredential(cc, 7);
/** 许明's real estate certificate, issued in Sichuan (51). */
const SICHUAN_ESTATE: StoredCredential = seedCredential(cc, 37);

const SH_POLICE = verifierNamed('上海市公安局交通警察总队');
const SD_POLICE = verifierNamed('山东省公安厅交通警察总队');
const SH_HOTEL = verifierNamed('上海外滩江景酒店有限公司');
const JINAN_HALL = verifierNamed('济南市政务服务中心');
const CQ_AGENCY = verifierNamed('重庆安居房屋中介有限公司');
/** Registered only by the test that needs it: a Sichuan agency for flat rentals. */
const SC_AGENCY: Verifier = {
  organisation: makeUscc('9', '1', '510100', 'HW900001'),
  name: '成都安家房屋中介有限公司',
  region: 'chengdu-chongqing',
  province: '51',
  scenarios: ['flat-rental'],
};

/** The issuing registries' service API, as seen from recognition. */
class RegistryDouble {
  private readonly held = new Map<string, LiveCredential>();
  reads: string[] = [];
  usage: { region: string; record: UsageRecord }[] = [];
  disputes: { region: string; dispute: unknown; caller: Caller }[] = [];
  failRead: Error | null = null;
  failUsage: Error | null = null;
  failDispute: Error | null = null;

  serve(region: string, credential: StoredCredential, openDisputes: { id: string; field: string }[] = []): void {
    this.held.set(`${region} ${credential.id}`, { credential, openDisputes });
  }

  forget(region: string, id: string): void {
    this.held.delete(`${region} ${id}`);
  }

  async credential(regionCode: string, id: string): Promise<LiveCredential | null> {
    this.reads.push(`${regionCode} ${id}`);
    if (this.failRead) throw this.failRead;
    const live = this.held.get(`${regionCode} ${id}`);
    return live ? structuredClone(live) : null;
  }

  async recordUsage(regionCode: string, record: UsageRecord): Promise<void> {
    if (this.failUsage) throw this.failUsage;
    this.usage.push({ region: regionCode, record: structuredClone(record) });
  }

  async fileDispute(regionCode: string, dispute: Pick<Dispute, 'credentialId' | 'field' | 'claim' | 'filedByRole' | 'filedBy'>, caller: Caller): Promise<Dispute> {
    if (this.failDispute) throw this.failDispute;
    this.disputes.push({ region: regionCode, dispute: structuredClone(dispute), caller });
    return { id: 'dispute-0001', ...dispute, status: 'OPEN', resolution: null, correctedId: null, filedAt: NOW, resolvedAt: null };
  }
}

const unreachable = () => new ServiceCallError('yangtze-delta could not be reached: connect ECONNREFUSED 127.0.0.1:4002');

let db: Database;
let store: RecognitionStore;
let registry: RegistryDouble;
let service: RecognitionService;
let signingKey: ServiceSigner;
let verifyKeys: ServiceKeySet;
let logLines: string[];


// Awaited by every test: a setup that throws then fails each test, where a throwing beforeAll
// would only skip them (and mutation testing would count a broken seed as surviving).
let setup: Promise<void>;

beforeAll(() => {
  setup = (async () => {
    db = await recognitionDatabase();
    store = new RecognitionStore(db);
    const { privateJwk, publicJwk } = await generateSigningKeyPair('recognition-test');
    signingKey = fixedSigner('recognition', await signingKeyFromJwk(privateJwk));
    verifyKeys = await ServiceKeySet.of({ keys: [{ ...publicJwk, service: 'recognition' }] });
    logLines = [];
    const logger = createLogger('recognition', 'warn', { write: (line) => logLines.push(line) });
    registry = new RegistryDouble();
    service = new RecognitionService(
      store,
      registry as unknown as RegistryClient,
      signingKey,
      verifyKeys,
      { defaultMinutes: 5, maxMinutes: 15 },
      logger,
      DEADLINE_MS,
    );
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
  await db.exec(`delete from presentation_code; delete from verification; delete from usage_outbox;
    delete from acceptance_rule where version > 1 or id like 'test-%'; delete from verifier where organisation = '${SC_AGENCY.organisation}';`);
  registry.reads = [];
  registry.usage = [];
  registry.disputes = [];
  registry.failRead = registry.failUsage = registry.failDispute = null;
  logLines.length = 0;
  registry.serve('yangtze-delta', DRIVING);
  registry.serve('yangtze-delta', SHANGHAI_ID);
  registry.serve('shandong', SHANDONG_ID);
  registry.serve('chengdu-chongqing', CHONGQING_ESTATE);
  registry.serve('chengdu-chongqing', SICHUAN_ESTATE);
});

const holderOf = (c: { holderCode: string }): Caller => ({ role: 'holder', subject: 'holder-app-user', holderCode: c.holderCode });
const operatorOf = (v: Verifier, scenarios: string[] | undefined = v.scenarios): Caller => ({
  role: 'verifier',
  subject: `operator-of-${v.organisation}`,
  region: v.region,
  organisation: v.organisation,
  organisationName: v.name,
  scenarios,
});

const serviceItems: Record<string, [string, string]> = {
  'traffic-check': ['交通执法亮证查验', 'HT-JT-0001'],
  'hotel-check-in': ['旅馆住宿登记', 'HT-ZS-0001'],
  'flat-rental': ['房屋出租核验', 'HT-FW-0001'],
  'service-hall-visit': ['政务服务大厅办事', 'HT-ZW-0001'],
};
const contextOf = (v: Verifier, scenario: string): UsageContext => ({
  organisation: v.organisation,
  operator: '窗口工作人员 0420',
  serviceItemName: serviceItems[scenario]![0],
  serviceItemCode: serviceItems[scenario]![1],
  businessCaseNumber: 'CASE-2030-000123',
});

async function present(c: StoredCredential, scenario: string | null = null): Promise<string> {
  return (await service.createPresentationCode(holderOf(c), c.id, scenario, null)).code;
}

function verifyAs(v: Verifier, code: string, scenario = v.scenarios[0]!, caller: Caller = operatorOf(v)): Promise<VerificationRow> {
  return service.verify(caller, { code, scenario, context: contextOf(v, scenario) });
}

/** The refusal a call ends with: GraphQL error code, reason and message. */
async function refusal(call: Promise<unknown>): Promise<{ code: unknown; reason: unknown; message: string; serviceName?: unknown; field?: unknown }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    const { code, reason, serviceName, field } = error.extensions;
    return { code, reason, message: error.message, ...(serviceName === undefined ? {} : { serviceName }), ...(field === undefined ? {} : { field }) };
  }
  throw new Error('expected a refusal, but the call succeeded');
}

const jtiOf = (code: string) => decodeJwt(code).jti!;
const count = async (table: string) => (await db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;

describe('the credentials these tests use (seeded, so the literal values below stay true)', () => {
  it('are the seeded records the expectations were written for', () => {
    expect([DRIVING.holderCode, DRIVING.holderName, DRIVING.number, DRIVING.face.licenceClass]).toEqual(['320200198006283876', '孙嘉婷', '320200198006283876', 'C1']);
    expect(DRIVING.id).toBe('1.2.156.3005.2.11100000HT00000183002.11320000HT24349603.201400000006.001.B');
    expect(OTHER_HOLDER).toBe('32020020040526690X');
    expect([SHANGHAI_ID.holderName, SHANGHAI_ID.holderCode, SHANGHAI_ID.face.address]).toEqual(['梁平平', '310104198401017090', '上海市徐汇区人民路165号']);
    expect([SHANDONG_ID.holderName, SHANDONG_ID.holderCode]).toEqual(['马超伟', '370100198806091286']);
    expect([CHONGQING_ESTATE.holderName, CHONGQING_ESTATE.number]).toEqual(['韩敏琳', '渝(2023)渝北区不动产权第1339220号']);
    expect(SH_POLICE.organisation).toBe('11310101HW08049497');
  });
});

describe('presenting a credential', () => {
  it('gives the holder a code for their own credential, valid for the default 5 minutes and bound to the chosen scenario', async () => {
    const result = await service.createPresentationCode(holderOf(DRIVING), DRIVING.id, 'traffic-check', null);
    expect(result).toEqual({
      code: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      expiresAt: '2030-03-15T02:05:00.000Z',
      scenario: 'traffic-check',
      credentialId: DRIVING.id,
      credentialStatus: 'VALID',
      warning: null,
    });
    expect(decodeJwt(result.code).scn).toBe('traffic-check');
    expect(await store.presentationCode(jtiOf(result.code))).toEqual({
      jti: jtiOf(result.code),
      credentialId: DRIVING.id,
      holderCode: '320200198006283876',
      scenario: 'traffic-check',
      expired: false,
      consumed: false,
    });
    expect(registry.reads).toEqual([`yangtze-delta ${DRIVING.id}`]);
  });

  it('leaves the scenario open when the holder chooses none', async () => {
    const result = await service.createPresentationCode(holderOf(DRIVING), DRIVING.id, null, null);
    expect(result.scenario).toBeNull();
    expect(decodeJwt(result.code).scn).toBeUndefined();
    expect((await store.presentationCode(jtiOf(result.code)))?.scenario).toBeNull();
  });

  it.each([
    [1, '2030-03-15T02:01:00.000Z'],
    [15, '2030-03-15T02:15:00.000Z'],
  ])('accepts a lifetime of %i minute(s), the shortest and the longest allowed', async (minutes, expiresAt) => {
    const result = await service.createPresentationCode(holderOf(DRIVING), DRIVING.id, null, minutes);
    expect(result.expiresAt).toBe(expiresAt);
    const [row] = await db.query<{ at: string }>(`select to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as at from presentation_code`);
    expect(row!.at).toBe(expiresAt.slice(0, 19));
  });

  it.each([0, 16, -1, 2.5])('refuses a lifetime of %s minutes', async (minutes) => {
    expect(await refusal(service.createPresentationCode(holderOf(DRIVING), DRIVING.id, null, minutes))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: undefined,
      message: 'validForMinutes must be between 1 and 15.',
    });
    expect(await count('presentation_code')).toBe(0);
  });

  it('refuses a scenario Hutong does not know', async () => {
    expect(await refusal(service.createPresentationCode(holderOf(DRIVING), DRIVING.id, 'parking-permit', null))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'UNKNOWN_SCENARIO',
      message: 'Unknown scenario parking-permit; see scenarios.',
    });
    expect(await count('presentation_code')).toBe(0);
  });

  it.each<[string, Caller]>([
    ['a verifier', operatorOf(SH_POLICE)],
    ['an issuer', { role: 'issuer', region: 'yangtze-delta', organisation: SH_POLICE.organisation }],
    ['an anonymous caller', { role: 'anonymous' }],
    ['a holder token without a holder code', { role: 'holder', subject: 'holder-app-user' }],
    ['a verifier token that also carries the holder’s code', { ...operatorOf(SH_POLICE), holderCode: '320200198006283876' }],
  ])('lets only a holder present: refuses %s before reading the registry', async (_who, caller) => {
    expect(await refusal(service.createPresentationCode(caller, DRIVING.id, null, null))).toEqual({
      code: 'FORBIDDEN',
      reason: undefined,
      message: 'Only a holder can present a credential.',
    });
    expect(registry.reads).toEqual([]);
  });

  it('gives the same refusal for another holder’s credential and for one that does not exist', async () => {
    const notYours = await refusal(service.createPresentationCode({ role: 'holder', holderCode: OTHER_HOLDER }, DRIVING.id, null, null));
    registry.forget('yangtze-delta', DRIVING.id);
    const notFound = await refusal(service.createPresentationCode(holderOf(DRIVING), DRIVING.id, null, null));
    const expected = { code: 'FORBIDDEN', reason: undefined, message: 'You can only present your own credentials.' };
    expect(notYours).toEqual(expected);
    expect(notFound).toEqual(expected);
    expect(await count('presentation_code')).toBe(0);
  });

  it('says which registry could not be reached when the credential cannot be read', async () => {
    registry.failRead = unreachable();
    expect(await refusal(service.createPresentationCode(holderOf(DRIVING), DRIVING.id, null, null))).toEqual({
      code: 'SUBGRAPH_UNAVAILABLE',
      reason: undefined,
      serviceName: 'yangtze-delta',
      message: 'The yangtze-delta registry could not be reached; try again shortly.',
    });
    expect(await count('presentation_code')).toBe(0);
  });

  it('lets an unexpected failure of the registry call through as it is', async () => {
    const failure = new TypeError('response body is not JSON');
    registry.failRead = failure;
    await expect(service.createPresentationCode(holderOf(DRIVING), DRIVING.id, null, null)).rejects.toBe(failure);
  });
});

const DRIVING_RELEASED_BY_YRD = [
  { field: 'holderName', label: 'Holder name', labelZh: '持证主体', value: '孙嘉婷', retain: false, masked: false, disputed: false },
  { field: 'face.licenceClass', label: 'Permitted vehicle class', labelZh: '准驾车型', value: 'C1', retain: false, masked: false, disputed: false },
  { field: 'expiryDate', label: 'Expiry date', labelZh: '有效期截止日期', value: '2030-09-30', retain: false, masked: false, disputed: false },
  { field: 'number', label: 'Licence number', labelZh: '证照编号', value: '3202**********3876', retain: false, masked: true, disputed: false },
];

const TRAFFIC_TRACE_ACCEPTED = [
  { ruleId: 'national-traffic-driving-licence', version: 1, kind: 'ACCEPTANCE', applied: false, detail: 'covers this credential, but yrd-traffic-driving-licence v1 is more specific' },
  { ruleId: 'yrd-traffic-driving-licence', version: 1, kind: 'ACCEPTANCE', applied: true, detail: 'regional rule covers this credential' },
  { ruleId: 'yrd-traffic-vehicle-licence', version: 1, kind: 'ACCEPTANCE', applied: false, detail: 'the rule is for another credential type' },
  { ruleId: 'yrd-suspended-driving-licence', version: 1, kind: 'INVALIDATION', applied: false, detail: "the credential's status VALID is not invalidated" },
];

describe('verifying a presentation code', () => {
  it('accepts a valid Jiangsu driving licence at a Shanghai traffic check under the regional rule, releasing its fields with the number masked', async () => {
    const code = await present(DRIVING);
    const v = await verifyAs(SH_POLICE, code);
    expect(v).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      codeJti: jtiOf(code),
      credentialId: DRIVING.id,
      issuingRegion: 'yangtze-delta',
      verifierOrg: '11310101HW08049497',
      verifierRegion: 'yangtze-delta',
      scenario: 'traffic-check',
      context: {
        organisation: '11310101HW08049497',
        operator: '窗口工作人员 0420',
        serviceItemName: '交通执法亮证查验',
        serviceItemCode: 'HT-JT-0001',
        businessCaseNumber: 'CASE-2030-000123',
      },
      verdict: 'ACCEPTED',
      reasons: [],
      ruleId: 'yrd-traffic-driving-licence',
      ruleVersion: 1,
      disputed: false,
      disputedFields: [],
      releasedFields: DRIVING_RELEASED_BY_YRD,
      trace: TRAFFIC_TRACE_ACCEPTED,
      usageRecorded: true,
      checkedAt: NOW,
    });
    expect(await store.verification(v.id)).toEqual(v);
    expect(registry.reads).toEqual([`yangtze-delta ${DRIVING.id}`, `yangtze-delta ${DRIVING.id}`]);
  });

  it('writes the usage record, with exactly these fields, to the issuing region', async () => {
    const v = await verifyAs(SH_POLICE, await present(DRIVING));
    expect(registry.usage).toEqual([
      {
        region: 'yangtze-delta',
        record: {
          id: v.id,
          credentialId: DRIVING.id,
          verifierOrg: '11310101HW08049497',
          verifierName: '上海市公安局交通警察总队',
          verifierRegion: 'yangtze-delta',
          operator: '窗口工作人员 0420',
          scenario: 'traffic-check',
          scenarioName: '交通执法亮证查验',
          serviceItemName: '交通执法亮证查验',
          serviceItemCode: 'HT-JT-0001',
          businessCaseNumber: 'CASE-2030-000123',
          releasedFields: ['holderName', 'face.licenceClass', 'expiryDate', 'number'],
          verdict: 'ACCEPTED',
          reasons: [],
          ruleId: 'yrd-traffic-driving-licence',
          ruleVersion: 1,
          verifiedAt: NOW,
        },
      },
    ]);
    // Queued with the verification, then delivered at once: nothing waits for the relay.
    expect(await db.query(`select verification_id as id, delivered_at is not null as delivered, attempts from usage_outbox`)).toEqual([
      { id: v.id, delivered: true, attempts: 0 },
    ]);
    expect(await store.pendingUsageCount()).toBe(0);
  });

  it('consumes the code in the name of the verifying organisation', async () => {
    const code = await present(DRIVING);
    await verifyAs(SH_POLICE, code);
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(true);
    expect(await db.query(`select consumed_by as "by" from presentation_code`)).toEqual([{ by: '11310101HW08049497' }]);
  });

  it('applies the national rule for a Shandong traffic check: no licence number released', async () => {
    const v = await verifyAs(SD_POLICE, await present(DRIVING));
    expect([v.verdict, v.ruleId, v.ruleVersion, v.verifierRegion, v.issuingRegion]).toEqual(['ACCEPTED', 'national-traffic-driving-licence', 1, 'shandong', 'yangtze-delta']);
    expect(v.releasedFields).toEqual([
      { field: 'holderName', label: 'Holder name', labelZh: '持证主体', value: '孙嘉婷', retain: false, masked: false, disputed: false },
      { field: 'face.licenceClass', label: 'Permitted vehicle class', labelZh: '准驾车型', value: 'C1', retain: false, masked: false, disputed: false },
      { field: 'expiryDate', label: 'Expiry date', labelZh: '有效期截止日期', value: '2030-09-30', retain: false, masked: false, disputed: false },
    ]);
    expect(registry.usage.map((u) => u.region)).toEqual(['yangtze-delta']);
  });

  it('releases an e-ID to a Shanghai hotel: name and ID number kept for police registration, address masked', async () => {
    const v = await verifyAs(SH_HOTEL, await present(SHANGHAI_ID, 'hotel-check-in'));
    expect([v.verdict, v.ruleId]).toEqual(['ACCEPTED', 'yrd-hotel-e-id']);
    expect(v.releasedFields).toEqual([
      { field: 'holderName', label: 'Holder name', labelZh: '持证主体', value: '梁平平', retain: true, masked: false, disputed: false },
      { field: 'holderCode', label: 'Holder code', labelZh: '持证主体代码', value: '310104198401017090', retain: true, masked: false, disputed: false },
      { field: 'face.sex', label: 'Sex', labelZh: '性别', value: '男', retain: false, masked: false, disputed: false },
      { field: 'face.address', label: 'Address', labelZh: '住址', value: '上海市*******65号', retain: false, masked: true, disputed: false },
    ]);
  });

  it('masks the ID number a Jinan service hall sees', async () => {
    const v = await verifyAs(JINAN_HALL, await present(SHANDONG_ID));
    expect([v.verdict, v.ruleId, v.issuingRegion]).toEqual(['ACCEPTED', 'sd-service-hall-e-id', 'shandong']);
    expect(v.releasedFields).toEqual([
      { field: 'holderName', label: 'Holder name', labelZh: '持证主体', value: '马超伟', retain: false, masked: false, disputed: false },
      { field: 'holderCode', label: 'Holder code', labelZh: '持证主体代码', value: '3701**********1286', retain: false, masked: true, disputed: false },
    ]);
    expect(registry.usage.map((u) => u.region)).toEqual(['shandong']);
  });

  it('recognises a Chongqing certificate at a Chongqing agency but not a Sichuan one (issuing province from the identifier)', async () => {
    const accepted = await verifyAs(CQ_AGENCY, await present(CHONGQING_ESTATE));
    expect([accepted.verdict, accepted.reasons, accepted.ruleId, accepted.issuingRegion]).toEqual(['ACCEPTED', [], 'cq-rental-real-estate', 'chengdu-chongqing']);
    expect(accepted.releasedFields).toEqual([
      { field: 'holderName', label: 'Holder name', labelZh: '持证主体', value: '韩敏琳', retain: true, masked: false, disputed: false },
      { field: 'number', label: 'Licence number', labelZh: '证照编号', value: '渝(2023)渝北区不动产权第1339220号', retain: true, masked: false, disputed: false },
      { field: 'face.location', label: 'Property location', labelZh: '坐落', value: '重庆市渝北区人民路352号', retain: true, masked: false, disputed: false },
      { field: 'face.use', label: 'Use', labelZh: '用途', value: '住宅', retain: false, masked: false, disputed: false },
    ]);
    const notRecognised = await verifyAs(CQ_AGENCY, await present(SICHUAN_ESTATE));
    expect([notRecognised.verdict, notRecognised.reasons, notRecognised.ruleId, notRecognised.ruleVersion, notRecognised.releasedFields]).toEqual([
      'NOT_RECOGNISED', ['NO_RULE'], null, null, [],
    ]);
    expect(registry.usage[1]!.record).toMatchObject({ verdict: 'NOT_RECOGNISED', reasons: ['NO_RULE'], ruleId: null, ruleVersion: null, releasedFields: [] });
  });

  it('does not recognise a Chongqing certificate at a Sichuan agency (the rule names the accepting province)', async () => {
    await db.query(`insert into verifier (organisation, name, region, province, scenarios) values ($1, $2, $3, $4, $5::text[])`, [
      SC_AGENCY.organisation, SC_AGENCY.name, SC_AGENCY.region, SC_AGENCY.province, SC_AGENCY.scenarios,
    ]);
    const v = await verifyAs(SC_AGENCY, await present(CHONGQING_ESTATE));
    expect([v.verdict, v.reasons, v.verifierRegion]).toEqual(['NOT_RECOGNISED', ['NO_RULE'], 'chengdu-chongqing']);
    expect(v.trace).toEqual([
      { ruleId: 'cq-rental-real-estate', version: 1, kind: 'ACCEPTANCE', applied: false, detail: 'accepting provinces are 50, the verifier is in 51' },
    ]);
  });

  it('labels released fields from the type catalogue, the metadata names or the field itself, and releases a missing value as null', async () => {
    const all = ['name', 'number', 'holderName', 'holderCode', 'issuerName', 'issueDate', 'effectiveDate', 'expiryDate', 'areaCode', 'issuerCode', 'face.archiveNumber', 'face.unknownField', 'face_licenceClass'];
    const releases = all.map((field) => ({ field, retain: false, masked: field === 'face.archiveNumber' }));
    await db.query(
      `insert into acceptance_rule (id, version, accepting_region, accepting_provinces, scenario, credential_type, issuing_provinces,
         accepted_statuses, require_within_validity, released_fields, valid_from, valid_until, legal_basis)
       select id, 2, accepting_region, accepting_provinces, scenario, credential_type, issuing_provinces, accepted_statuses,
         require_within_validity, $1::jsonb, '2030-03-15', null, legal_basis from acceptance_rule where id = 'yrd-traffic-driving-licence'`,
      [JSON.stringify(releases)],
    );
    const v = await verifyAs(SH_POLICE, await present(DRIVING));
    expect([v.verdict, v.ruleId, v.ruleVersion]).toEqual(['ACCEPTED', 'yrd-traffic-driving-licence', 2]);
    expect(v.releasedFields.map((f) => [f.field, f.label, f.value])).toEqual([
      ['name', 'Licence name', '电子驾驶证'],
      ['number', 'Licence number', '320200198006283876'],
      ['holderName', 'Holder name', '孙嘉婷'],
      ['holderCode', 'Holder code', '320200198006283876'],
      ['issuerName', 'Issuing authority', '江苏省公安厅交通警察总队'],
      ['issueDate', 'Issue date', '2014-03-14'],
      ['effectiveDate', 'Effective date', '2024-03-16'],
      ['expiryDate', 'Expiry date', '2030-09-30'],
      ['areaCode', 'Area code', '320200'],
      ['issuerCode', 'issuerCode', '11320000HT24349603'],
      ['face.archiveNumber', 'Archive number', '328******265'],
      ['face.unknownField', 'face.unknownField', null],
      // Not a face field: only the `face.` prefix names one.
      ['face_licenceClass', 'face_licenceClass', null],
    ]);
    expect(registry.usage[0]!.record.ruleVersion).toBe(2);
  });

  it('releases null, not a masked or printed "null", for a value the record lacks', async () => {
    registry.serve('yangtze-delta', { ...DRIVING, expiryDate: null, number: null as unknown as string });
    const v = await verifyAs(SH_POLICE, await present(DRIVING));
    expect(v.verdict).toBe('ACCEPTED');
    expect(v.releasedFields.map((f) => [f.field, f.value])).toEqual([
      ['holderName', '孙嘉婷'],
      ['face.licenceClass', 'C1'],
      ['expiryDate', null],
      ['number', null],
    ]);
  });

  it('labels a face field by its key when the catalogue does not know the credential’s type', async () => {
    const unknownType = '11100000HT00000183999';
    await db.query(
      `insert into acceptance_rule (id, version, accepting_region, accepting_provinces, scenario, credential_type, issuing_provinces,
         accepted_statuses, require_within_validity, released_fields, valid_from, valid_until, legal_basis)
       values ('test-uncatalogued-type', 1, 'yangtze-delta', null, 'traffic-check', $1, null, '{VALID}', true, $2::jsonb, '2021-01-01', null, 'test')`,
      [unknownType, JSON.stringify([{ field: 'face.licenceClass', retain: false, masked: false, disputed: false }])],
    );
    registry.serve('yangtze-delta', { ...DRIVING, typeCode: unknownType });
    const v = await verifyAs(SH_POLICE, await present(DRIVING));
    expect([v.verdict, v.ruleId]).toEqual(['ACCEPTED', 'test-uncatalogued-type']);
    expect(v.releasedFields).toEqual([{ field: 'face.licenceClass', label: 'face.licenceClass', labelZh: 'face.licenceClass', value: 'C1', retain: false, masked: false, disputed: false }]);
  });

  describe('rejects with the rule that decided and releases nothing', () => {
    it.each<[string, Partial<StoredCredential>, string[]]>([
      ['a suspended licence', { status: '02' }, ['SUSPENDED', 'INVALIDATED_BY_ISSUER']],
      ['a revoked licence', { status: '03' }, ['REVOKED']],
      ['a superseded licence', { supersededBy: '1.2.156.3005.2.11100000HT00000183002.11320000HT24349603.201400000006.002.B' }, ['SUPERSEDED']],
      ['a licence that expired yesterday (2030-03-14)', { expiryDate: '2030-03-14' }, ['EXPIRED']],
      ['a licence effective only from tomorrow (2030-03-16)', { effectiveDate: '2030-03-16' }, ['NOT_YET_VALID']],
    ])('%s', async (_what, change, reasons) => {
      registry.serve('yangtze-delta', { ...DRIVING, ...change });
      const v = await verifyAs(SH_POLICE, await present(DRIVING));
      expect([v.verdict, v.reasons, v.ruleId, v.ruleVersion, v.releasedFields]).toEqual(['REJECTED', reasons, 'yrd-traffic-driving-licence', 1, []]);
      expect(registry.usage[0]!.record).toMatchObject({ verdict: 'REJECTED', reasons, ruleId: 'yrd-traffic-driving-licence', ruleVersion: 1, releasedFields: [] });
    });
  });

  it.each<[string, Partial<StoredCredential>]>([
    ['expires today (2030-03-15)', { expiryDate: '2030-03-15' }],
    ['expires tomorrow (2030-03-16)', { expiryDate: '2030-03-16' }],
    ['became effective today (2030-03-15)', { effectiveDate: '2030-03-15' }],
  ])('accepts a licence that %s', async (_what, change) => {
    registry.serve('yangtze-delta', { ...DRIVING, ...change });
    const v = await verifyAs(SH_POLICE, await present(DRIVING));
    expect([v.verdict, v.reasons]).toEqual(['ACCEPTED', []]);
  });

  it('flags a credential with an open dispute, and still decides on it', async () => {
    registry.serve('yangtze-delta', DRIVING, [{ id: 'dispute-0007', field: 'holderName' }]);
    const v = await verifyAs(SH_POLICE, await present(DRIVING));
    expect([v.verdict, v.disputed]).toEqual(['ACCEPTED', true]);
    expect((await store.verification(v.id))?.disputed).toBe(true);
  });

  it('names the disputed fields, and flags a released value an open dispute contests (the licence class the police see)', async () => {
    registry.serve('yangtze-delta', DRIVING, [{ id: 'dispute-0008', field: 'face.licenceClass' }, { id: 'dispute-0009', field: 'face.archiveNumber' }, { id: 'dispute-0010', field: 'face.licenceClass' }]);
    const v = await verifyAs(SH_POLICE, await present(DRIVING));
    expect(v.disputedFields).toEqual(['face.archiveNumber', 'face.licenceClass']);
    expect(v.releasedFields.map((f) => [f.field, f.disputed])).toEqual([['holderName', false], ['face.licenceClass', true], ['expiryDate', false], ['number', false]]);
    expect((await store.verification(v.id))?.disputedFields).toEqual(['face.archiveNumber', 'face.licenceClass']);
  });

  it('rejects with HOLDER_CHANGED when the credential is now held by someone else than the holder who presented it', async () => {
    const code = await present(DRIVING);
    registry.serve('yangtze-delta', { ...DRIVING, holderCode: OTHER_HOLDER, holderName: '刘雨' }, [{ id: 'dispute-0008', field: 'holderCode' }]);
    const v = await verifyAs(SH_POLICE, code);
    expect([v.verdict, v.reasons, v.ruleId, v.ruleVersion, v.releasedFields, v.trace, v.disputed]).toEqual(['REJECTED', ['HOLDER_CHANGED'], null, null, [], [], true]);
    expect(registry.usage[0]!.record).toMatchObject({ verdict: 'REJECTED', reasons: ['HOLDER_CHANGED'], ruleId: null, releasedFields: [] });
  });

  it('rejects with NOT_FOUND when the issuing registry no longer holds the credential, and still records the use', async () => {
    const code = await present(DRIVING);
    registry.forget('yangtze-delta', DRIVING.id);
    const v = await verifyAs(SH_POLICE, code);
    expect([v.verdict, v.reasons, v.ruleId, v.releasedFields, v.disputed, v.usageRecorded]).toEqual(['REJECTED', ['NOT_FOUND'], null, [], false, true]);
    expect(registry.usage[0]!.record).toMatchObject({ verdict: 'REJECTED', reasons: ['NOT_FOUND'] });
  });

  it('answers INDETERMINATE when the issuing registry is down, and queues the usage record for the relay', async () => {
    const code = await present(DRIVING);
    registry.failRead = unreachable();
    registry.failUsage = unreachable();
    const v = await verifyAs(SH_POLICE, code);
    expect([v.verdict, v.reasons, v.ruleId, v.ruleVersion, v.releasedFields, v.trace, v.disputed, v.usageRecorded]).toEqual([
      'INDETERMINATE', ['ISSUING_REGISTRY_UNREACHABLE'], null, null, [], [], false, false,
    ]);
    expect((await store.verification(v.id))?.usageRecorded).toBe(false);
    expect(await store.pendingUsageRecords(10)).toEqual([
      {
        verificationId: v.id,
        regionCode: 'yangtze-delta',
        record: {
          id: v.id,
          credentialId: DRIVING.id,
          verifierOrg: '11310101HW08049497',
          verifierName: '上海市公安局交通警察总队',
          verifierRegion: 'yangtze-delta',
          operator: '窗口工作人员 0420',
          scenario: 'traffic-check',
          scenarioName: '交通执法亮证查验',
          serviceItemName: '交通执法亮证查验',
          serviceItemCode: 'HT-JT-0001',
          businessCaseNumber: 'CASE-2030-000123',
          releasedFields: [],
          verdict: 'INDETERMINATE',
          reasons: ['ISSUING_REGISTRY_UNREACHABLE'],
          ruleId: null,
          ruleVersion: null,
          verifiedAt: NOW,
        },
      },
    ]);
    expect(await db.query(`select attempts, last_error as "lastError", next_attempt_at <= now() as due from usage_outbox`)).toEqual([
      { attempts: 1, lastError: 'yangtze-delta could not be reached: connect ECONNREFUSED 127.0.0.1:4002', due: true },
    ]);
    expect(logLines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 40, region: 'yangtze-delta', msg: 'issuing registry unreachable during verification', reason: 'yangtze-delta could not be reached: connect ECONNREFUSED 127.0.0.1:4002' }),
      expect.objectContaining({ level: 40, region: 'yangtze-delta', msg: 'usage record queued for the relay', reason: 'yangtze-delta could not be reached: connect ECONNREFUSED 127.0.0.1:4002' }),
    ]);
  });

  it('answers INDETERMINATE but records the use at once when only the read failed', async () => {
    const code = await present(DRIVING);
    registry.failRead = unreachable();
    const v = await verifyAs(SH_POLICE, code);
    expect([v.verdict, v.reasons, v.usageRecorded]).toEqual(['INDETERMINATE', ['ISSUING_REGISTRY_UNREACHABLE'], true]);
    expect(registry.usage[0]!.record).toMatchObject({ verdict: 'INDETERMINATE', reasons: ['ISSUING_REGISTRY_UNREACHABLE'] });
    expect(await store.pendingUsageCount()).toBe(0);
  });

  it('keeps the verification and queues the usage record when the usage write cannot reach the registry', async () => {
    const code = await present(DRIVING);
    registry.failUsage = unreachable();
    const v = await verifyAs(SH_POLICE, code);
    expect([v.verdict, v.ruleId, v.usageRecorded, v.releasedFields]).toEqual(['ACCEPTED', 'yrd-traffic-driving-licence', false, DRIVING_RELEASED_BY_YRD]);
    expect(await store.verification(v.id)).toEqual(v);
    const pending = await store.pendingUsageRecords(10);
    expect(pending.map((p) => [p.verificationId, p.regionCode])).toEqual([[v.id, 'yangtze-delta']]);
    expect(pending[0]!.record).toMatchObject({ verdict: 'ACCEPTED', releasedFields: ['holderName', 'face.licenceClass', 'expiryDate', 'number'], verifiedAt: NOW });
    // Due for the relay at once: the verification has given up on it.
    expect(await store.usageRegions(true)).toEqual(['yangtze-delta']);
  });

  it('lets an unexpected failure of the live read through, storing nothing, recording no use and leaving the code usable', async () => {
    const code = await present(DRIVING);
    const failure = new TypeError('response body is not JSON');
    registry.failRead = failure;
    await expect(verifyAs(SH_POLICE, code)).rejects.toBe(failure);
    expect([await count('verification'), await count('usage_outbox'), registry.usage.length]).toEqual([0, 0, 0]);
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(false);
    registry.failRead = null;
    expect((await verifyAs(SH_POLICE, code)).verdict).toBe('ACCEPTED');
  });

  it('answers an unexpected failure of the usage write with the verification, which stands, its usage record queued for the relay', async () => {
    const code = await present(DRIVING);
    registry.failUsage = new TypeError('response body is not JSON');
    const v = await verifyAs(SH_POLICE, code);
    expect([v.verdict, v.usageRecorded]).toEqual(['ACCEPTED', false]);
    expect(await store.verification(v.id)).toEqual(v);
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(true);
    expect(await db.query(`select verification_id as id, attempts, last_error as "lastError", delivered_at is null as pending from usage_outbox`)).toEqual([
      { id: v.id, attempts: 1, lastError: 'response body is not JSON', pending: true },
    ]);
    expect(logLines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 50, region: 'yangtze-delta', msg: 'usage record write failed unexpectedly; queued for the relay', reason: 'response body is not JSON' }),
    ]);
  });

  it.each([
    ['consuming the code', 'before update on presentation_code'],
    ['storing the verification', 'before insert on verification'],
    ['queueing the usage record', 'before insert on usage_outbox'],
  ])('fails as a whole when %s fails: no spent code, no verification, no usage record, and nothing sent to the registry', async (_write, when) => {
    const code = await present(DRIVING);
    await db.exec(`create function hutong_test_fail() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$;
      create trigger hutong_test_fail ${when} for each row execute function hutong_test_fail();`);
    try {
      await expect(verifyAs(SH_POLICE, code)).rejects.toThrow('disk full');
    } finally {
      await db.exec(`drop trigger hutong_test_fail on ${when.split(' on ')[1]}; drop function hutong_test_fail();`);
    }
    expect([await count('verification'), await count('usage_outbox'), registry.usage.length]).toEqual([0, 0, 0]);
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(false);
    expect((await verifyAs(SH_POLICE, code)).usageRecorded).toBe(true);
  });


  /** Runs `work` while every update of the usage outbox fails in the database (a full disk, say). */
  async function whileOutboxUpdatesFail<T>(work: () => Promise<T>): Promise<T> {
    await db.exec(`create function hutong_test_fail() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$;
      create trigger hutong_test_fail before update on usage_outbox for each row execute function hutong_test_fail();`);
    try {
      return await work();
    } finally {
      await db.exec(`drop trigger hutong_test_fail on usage_outbox; drop function hutong_test_fail();`);
    }
  }

  it('still answers the verification when its delivered usage record cannot be marked; the relay sends it again', async () => {
    const code = await present(DRIVING);
    const v = await whileOutboxUpdatesFail(() => verifyAs(SH_POLICE, code));
    expect([v.verdict, v.usageRecorded, registry.usage.length]).toEqual(['ACCEPTED', false, 1]);
    expect((await store.verification(v.id))?.usageRecorded).toBe(false);
    expect((await store.pendingUsageRecords(10)).map((p) => p.verificationId)).toEqual([v.id]);
    expect(logLines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 50, region: 'yangtze-delta', msg: 'could not mark the usage record delivered', reason: expect.stringContaining('disk full') }),
    ]);
  });

  it('still answers the verification when its failed usage write cannot be noted; the record stays queued', async () => {
    const code = await present(DRIVING);
    registry.failUsage = unreachable();
    const v = await whileOutboxUpdatesFail(() => verifyAs(SH_POLICE, code));
    expect([v.verdict, v.usageRecorded]).toEqual(['ACCEPTED', false]);
    expect((await store.pendingUsageRecords(10)).map((p) => p.verificationId)).toEqual([v.id]);
    expect(logLines.map((l) => JSON.parse(l).msg)).toEqual(['usage record queued for the relay', 'could not note the failed usage write']);
    expect(JSON.parse(logLines[1]!)).toMatchObject({ level: 50, region: 'yangtze-delta', reason: expect.stringContaining('disk full') });
  });

  it('tells the second of two verifiers that reach the end with one code that it was used, and that it expired when it did meanwhile', async () => {
    const code = await present(DRIVING);
    // Between the check and the transaction (while the registry is read): another verifier consumed it.
    const racing = (sql: string, params: unknown[] = []) =>
      new RecognitionService(
        new RecognitionStore(db),
        Object.create(registry, {
          credential: {
            value: async (regionCode: string, id: string) => {
              await db.query(sql, params);
              return registry.credential(regionCode, id);
            },
          },
        }) as RegistryClient,
        signingKey, verifyKeys, { defaultMinutes: 5, maxMinutes: 15 }, createLogger('recognition', 'silent'), DEADLINE_MS,
      );
    const slow = racing(`update presentation_code set consumed_at = now(), consumed_by = 'someone else'`);
    expect(await refusal(slow.verify(operatorOf(SH_POLICE), { code, scenario: 'traffic-check', context: contextOf(SH_POLICE, 'traffic-check') }))).toEqual({
      code: 'BAD_USER_INPUT', reason: 'PRESENTATION_CODE_USED', message: 'The presentation code was already used; ask the holder for a new one.',
    });
    const late = await present(DRIVING);
    const expiring = racing(`update presentation_code set expires_at = now() - interval '1 second' where jti = $1`, [jtiOf(late)]);
    expect(await refusal(expiring.verify(operatorOf(SH_POLICE), { code: late, scenario: 'traffic-check', context: contextOf(SH_POLICE, 'traffic-check') }))).toEqual({
      code: 'BAD_USER_INPUT', reason: 'PRESENTATION_CODE_EXPIRED', message: 'The presentation code has expired; ask the holder for a new one.',
    });
    expect([await count('verification'), await count('usage_outbox'), registry.usage.length]).toEqual([0, 0, 0]);
  });

  it('lets exactly one of two verifications of the same code at the same instant succeed', async () => {
    const code = await present(DRIVING);
    const results = await Promise.allSettled([verifyAs(SH_POLICE, code), verifyAs(SH_POLICE, code)]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(await refusal(Promise.reject(rejected[0]!.reason))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'PRESENTATION_CODE_USED',
      message: 'The presentation code was already used; ask the holder for a new one.',
    });
    expect([await count('verification'), registry.usage.length]).toEqual([1, 1]);
  });
});

/** Holds every reader of a presentation code until `readers` of them have read it: scans at the same instant. */
class SimultaneousScans extends RecognitionStore {
  private readonly waiting: (() => void)[] = [];

  constructor(database: Database, private readonly readers: number) {
    super(database);
  }

  override async presentationCode(jti: string) {
    const row = await super.presentationCode(jti);
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length === this.readers) for (const go of this.waiting) go();
    });
    return row;
  }
}

/**
 * An issuing registry's service API over real HTTP: it serves DRIVING's live record and stores
 * usage records (a redelivery is ignored, as the registries do), and either call can hang
 * (connection accepted, never answered) or answer late.
 */
class RegistryServer {
  readonly stored = new Map<string, UsageRecord>();
  readonly requests: ('read' | 'usage')[] = [];
  hang = { read: false, usage: false };
  delayMs = { read: 0, usage: 0 };
  /** Sends the live record's headers and the start of its body, then nothing more. */
  stallReadBody = false;
  /** Held requests whose connection the client has closed. */
  abandoned = 0;
  url = '';
  private readonly held = new Set<ServerResponse>();
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const kind = req.method === 'GET' ? 'read' : 'usage';
      this.requests.push(kind);
      if (this.hang[kind] || (kind === 'read' && this.stallReadBody)) {
        this.held.add(res);
        res.socket!.once('close', () => this.abandoned++);
        if (kind === 'read' && this.stallReadBody) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"credential":');
        }
        return;
      }
      setTimeout(() => {
        if (kind === 'read') {
          const found = decodeURIComponent(req.url!.replace('/internal/credentials/', '')) === DRIVING.id;
          res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
          res.end(JSON.stringify(found ? { credential: DRIVING, openDisputes: [] } : { error: 'not held' }));
        } else {
          const record = JSON.parse(Buffer.concat(chunks).toString()) as UsageRecord;
          const fresh = !this.stored.has(record.id);
          this.stored.set(record.id, record);
          res.writeHead(fresh ? 201 : 200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ stored: fresh }));
        }
      }, this.delayMs[kind]);
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Healthy again: held requests are dropped. */
  recover(): void {
    this.hang = { read: false, usage: false };
    this.delayMs = { read: 0, usage: 0 };
    this.stallReadBody = false;
    for (const res of this.held) res.socket?.destroy();
    this.held.clear();
  }

  async close(): Promise<void> {
    this.recover();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('a verification on a bad day: one deadline for the live read and the usage write (real HTTP)', () => {
  let server: RegistryServer;
  let client: RegistryClient;
  let overHttp: RecognitionService;
  // The client's own per-call timeouts are far longer: what ends the wait here is the deadline.
  beforeEach(async () => {
    server = new RegistryServer();
    await server.start();
    client = new RegistryClient({ 'yangtze-delta': server.url }, signingKey, 10_000);
    overHttp = new RecognitionService(store, client, signingKey, verifyKeys, { defaultMinutes: 5, maxMinutes: 15 }, createLogger('recognition', 'warn', { write: (l) => logLines.push(l) }), DEADLINE_MS);
  });
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  async function timedVerify(code: string): Promise<{ v: VerificationRow; ms: number }> {
    const started = performance.now();
    const v = await overHttp.verify(operatorOf(SH_POLICE), { code, scenario: 'traffic-check', context: contextOf(SH_POLICE, 'traffic-check') });
    return { v, ms: performance.now() - started };
  }

  const outbox = () => db.query(`select verification_id as id, attempts, last_error as "lastError", delivered_at is null as pending,
    next_attempt_at <= now() as due from usage_outbox`);

  /** One round of the relay on its timer's terms (no forcing): what is due is delivered. */
  async function relayRound(): Promise<string[]> {
    const relay = new UsageRelay(store, client, createLogger('relay', 'silent'), 60_000);
    const round = await relay.startRound();
    await Promise.all(round.values());
    return [...round.keys()];
  }

  it('answers INDETERMINATE within the deadline when the registry hangs, tries no usage write, and the relay delivers the record once it answers', async () => {
    const code = await present(DRIVING);
    server.hang = { read: true, usage: true };
    const { v, ms } = await timedVerify(code);
    expect([v.verdict, v.reasons, v.usageRecorded]).toEqual(['INDETERMINATE', ['ISSUING_REGISTRY_UNREACHABLE'], false]);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(ms).toBeLessThanOrEqual(2500);
    expect(server.requests).toEqual(['read']);
    // The abandoned request's connection is closed at the deadline, not left to the client's own timeout.
    await vi.waitFor(() => expect(server.abandoned).toBe(1), { timeout: 500, interval: 10 });
    expect(await outbox()).toEqual([{ id: v.id, attempts: 0, lastError: null, pending: true, due: true }]);
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(true);
    expect(logLines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 40, msg: 'issuing registry unreachable during verification', reason: 'yangtze-delta did not answer within the deadline' }),
    ]);

    server.recover();
    expect(await relayRound()).toEqual(['yangtze-delta']);
    expect([...server.stored.keys()]).toEqual([v.id]);
    expect(server.stored.get(v.id)).toMatchObject({ verdict: 'INDETERMINATE', reasons: ['ISSUING_REGISTRY_UNREACHABLE'] });
    expect((await store.verification(v.id))?.usageRecorded).toBe(true);
    expect(await store.pendingUsageCount()).toBe(0);
  });

  it('decides on the live read and answers within the deadline when the registry hangs the usage write; the relay delivers it later', async () => {
    const code = await present(DRIVING);
    server.hang = { read: false, usage: true };
    const { v, ms } = await timedVerify(code);
    expect([v.verdict, v.ruleId, v.usageRecorded]).toEqual(['ACCEPTED', 'yrd-traffic-driving-licence', false]);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(ms).toBeLessThanOrEqual(2500);
    expect(server.requests).toEqual(['read', 'usage']);
    expect(await outbox()).toEqual([{ id: v.id, attempts: 1, lastError: 'yangtze-delta did not answer within the deadline', pending: true, due: true }]);
    expect(await store.verification(v.id)).toEqual(v);

    server.recover();
    expect(await relayRound()).toEqual(['yangtze-delta']);
    expect([...server.stored.keys()]).toEqual([v.id]);
    expect((await store.verification(v.id))?.usageRecorded).toBe(true);
  });

  it('answers INDETERMINATE within the deadline when the registry sends the live record’s headers and stalls its body', async () => {
    const code = await present(DRIVING);
    server.stallReadBody = true;
    const { v, ms } = await timedVerify(code);
    expect([v.verdict, v.reasons]).toEqual(['INDETERMINATE', ['ISSUING_REGISTRY_UNREACHABLE']]);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(ms).toBeLessThanOrEqual(2500);
    await vi.waitFor(() => expect(server.abandoned).toBe(1), { timeout: 500, interval: 10 });
    expect(await outbox()).toEqual([{ id: v.id, attempts: 0, lastError: null, pending: true, due: true }]);
  });

  it('shares the deadline: a read and a write that each take less than it, but more together, end at the deadline', async () => {
    const code = await present(DRIVING);
    server.delayMs = { read: 1400, usage: 1400 };
    const { v, ms } = await timedVerify(code);
    expect([v.verdict, v.usageRecorded]).toEqual(['ACCEPTED', false]);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(ms).toBeLessThanOrEqual(2500);
    expect(await outbox()).toEqual([{ id: v.id, attempts: 1, lastError: 'yangtze-delta did not answer within the deadline', pending: true, due: true }]);
  });

  it('waits for a slow registry that answers both calls within the deadline, and records the use at once', async () => {
    const code = await present(DRIVING);
    server.delayMs = { read: 700, usage: 700 };
    const { v, ms } = await timedVerify(code);
    expect([v.verdict, v.usageRecorded]).toEqual(['ACCEPTED', true]);
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect([...server.stored.keys()]).toEqual([v.id]);
    // Delivered in time; it was held back from the relay meanwhile.
    expect(await outbox()).toEqual([{ id: v.id, attempts: 0, lastError: null, pending: false, due: false }]);
  });

  it('holds a record it is still delivering back from the relay', async () => {
    const code = await present(DRIVING);
    server.delayMs = { read: 0, usage: 600 };
    const verifying = timedVerify(code);
    await vi.waitFor(() => expect(server.requests).toEqual(['read', 'usage']), { timeout: 2000, interval: 10 });
    // The record is queued and its delivery under way: a relay round now leaves it alone.
    expect(await store.pendingUsageCount()).toBe(1);
    expect(await relayRound()).toEqual([]);
    const { v } = await verifying;
    expect(v.usageRecorded).toBe(true);
    expect([...server.stored.keys()]).toEqual([v.id]);
    expect(server.requests).toEqual(['read', 'usage']);
  });
});

describe('two verifications that both find the code unused', () => {
  it('let exactly one consume it; the other is told the code was used', async () => {
    const code = await present(DRIVING);
    const racing = new RecognitionService(new SimultaneousScans(db, 2), registry as unknown as RegistryClient, signingKey, verifyKeys, { defaultMinutes: 5, maxMinutes: 15 }, createLogger('recognition', 'silent'), DEADLINE_MS);
    const scan = () => racing.verify(operatorOf(SH_POLICE), { code, scenario: 'traffic-check', context: contextOf(SH_POLICE, 'traffic-check') });
    const results = await Promise.allSettled([scan(), scan()]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(await refusal(Promise.reject(rejected.reason))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'PRESENTATION_CODE_USED',
      message: 'The presentation code was already used; ask the holder for a new one.',
    });
    expect([await count('verification'), registry.usage.length]).toEqual([1, 1]);
  });
});

describe('who may verify', () => {
  it.each<[string, Caller]>([
    ['a holder', { role: 'holder', holderCode: '320200198006283876' }],
    ['an issuer', { role: 'issuer', region: 'yangtze-delta', organisation: SH_POLICE.organisation }],
    ['a verifier token without an organisation', { ...operatorOf(SH_POLICE), organisation: undefined }],
    ['a verifier token without a region', { ...operatorOf(SH_POLICE), region: undefined }],
  ])('refuses %s', async (_who, caller) => {
    const code = await present(DRIVING);
    expect(await refusal(verifyAs(SH_POLICE, code, 'traffic-check', caller))).toEqual({
      code: 'FORBIDDEN',
      reason: undefined,
      message: 'Only a registered verifier can verify a credential.',
    });
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(false);
  });

  it.each<[string, Caller]>([
    ['an organisation that is not registered', { ...operatorOf(SH_POLICE), organisation: makeUscc('9', '1', '310101', 'HW900002') }],
    ['a registered verifier acting from another region', { ...operatorOf(SH_POLICE), region: 'shandong' }],
  ])('refuses %s', async (_who, caller) => {
    const code = await present(DRIVING);
    const v = { ...SH_POLICE, organisation: caller.organisation! };
    expect(await refusal(service.verify(caller, { code, scenario: 'traffic-check', context: contextOf(v, 'traffic-check') }))).toEqual({
      code: 'FORBIDDEN',
      reason: undefined,
      message: 'Your organisation is not registered as a verifier in Hutong.',
    });
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(false);
  });

  it('refuses a scenario the organisation is not registered for, even when its token lists it', async () => {
    const code = await present(SHANGHAI_ID);
    const caller = operatorOf(SH_POLICE, ['traffic-check', 'hotel-check-in']);
    expect(await refusal(service.verify(caller, { code, scenario: 'hotel-check-in', context: contextOf(SH_POLICE, 'hotel-check-in') }))).toEqual({
      code: 'FORBIDDEN',
      reason: 'SCENARIO_NOT_REGISTERED',
      message: 'Your organisation is not registered to verify credentials for hotel-check-in.',
    });
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(false);
  });

  it.each<[string, string[]]>([
    ['lists no scenario', []],
    ['lists only other scenarios', ['hotel-check-in']],
  ])('refuses a registered scenario the operator’s token %s', async (_what, scenarios) => {
    const code = await present(DRIVING);
    expect(await refusal(verifyAs(SH_POLICE, code, 'traffic-check', operatorOf(SH_POLICE, scenarios)))).toEqual({
      code: 'FORBIDDEN',
      reason: 'SCENARIO_NOT_REGISTERED',
      message: 'Your organisation is not registered to verify credentials for traffic-check.',
    });
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(false);
  });

  it('lets a token that carries no scenario list verify what the organisation is registered for', async () => {
    const v = await verifyAs(SH_POLICE, await present(DRIVING), 'traffic-check', operatorOf(SH_POLICE, undefined));
    expect(v.verdict).toBe('ACCEPTED');
  });
});

describe('the usage context of a verification', () => {
  const verifyWith = (code: string, context: Record<string, unknown>) =>
    service.verify(operatorOf(SH_POLICE), { code, scenario: 'traffic-check', context: context as unknown as UsageContext });

  it('refuses a context that names another organisation than the verifier’s token', async () => {
    const code = await present(DRIVING);
    const context = { ...contextOf(SH_POLICE, 'traffic-check'), organisation: SH_HOTEL.organisation };
    expect(await refusal(verifyWith(code, context))).toEqual({
      code: 'FORBIDDEN',
      reason: 'CONTEXT_ORGANISATION_MISMATCH',
      message: 'The usage context names another organisation than the verifier’s token.',
    });
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(false);
  });

  it.each<[string, unknown, string]>([
    ['operator', '   ', 'Usage context field operator must not be empty (1–200 characters of text).'],
    ['businessCaseNumber', 'C'.repeat(201), 'Usage context field businessCaseNumber must be at most 200 characters (1–200 characters of text).'],
    ['serviceItemName', '交通\u0000执法', 'Usage context field serviceItemName must not contain control characters (1–200 characters of text).'],
    ['serviceItemCode', 1, 'Usage context field serviceItemCode must be text (1–200 characters of text).'],
    ['organisation', '', 'Usage context field organisation must not be empty (1–200 characters of text).'],
  ])('refuses a context whose %s is not acceptable text', async (field, value, message) => {
    const code = await present(DRIVING);
    expect(await refusal(verifyWith(code, { ...contextOf(SH_POLICE, 'traffic-check'), [field]: value }))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'INVALID_CONTEXT',
      message,
    });
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(false);
  });

  it('refuses a service item of another scenario (a traffic check filed under the hotel’s item), spending no code', async () => {
    const code = await present(DRIVING);
    expect(await refusal(verifyWith(code, { ...contextOf(SH_POLICE, 'traffic-check'), serviceItemCode: 'HT-ZS-0001' }))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'SERVICE_ITEM_MISMATCH',
      message: 'Usage context serviceItemCode HT-ZS-0001 is not the service item of traffic-check (HT-JT-0001).',
    });
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(false);
    expect(registry.usage).toEqual([]);
  });

  it('refuses an extra context field that is not text', async () => {
    const code = await present(DRIVING);
    expect(await refusal(verifyWith(code, { ...contextOf(SH_POLICE, 'traffic-check'), remark: null }))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'INVALID_CONTEXT',
      message: 'Usage context field remark must be text (1–200 characters of text).',
    });
  });

  it('accepts context text of exactly 200 characters and keeps it as sent', async () => {
    const code = await present(DRIVING);
    const context = { ...contextOf(SH_POLICE, 'traffic-check'), businessCaseNumber: 'C'.repeat(200) };
    const v = await verifyWith(code, context);
    expect(v.context.businessCaseNumber).toBe('C'.repeat(200));
    expect(registry.usage[0]!.record.businessCaseNumber).toBe('C'.repeat(200));
  });
});

describe('the presentation code a verifier scans', () => {
  it('refuses something that is not a presentation code', async () => {
    expect(await refusal(verifyAs(SH_POLICE, 'not-a-code'))).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PRESENTATION_CODE_INVALID' });
  });

  it('refuses a well-signed code Hutong never handed out', async () => {
    const { code } = await signPresentationCode(signingKey, null, 5);
    expect(await refusal(verifyAs(SH_POLICE, code))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'PRESENTATION_CODE_INVALID',
      message: 'The presentation code is not known to Hutong.',
    });
    expect(registry.usage).toEqual([]);
  });

  it('refuses a code that was already used', async () => {
    const code = await present(DRIVING);
    await verifyAs(SH_POLICE, code);
    expect(await refusal(verifyAs(SH_POLICE, code))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'PRESENTATION_CODE_USED',
      message: 'The presentation code was already used; ask the holder for a new one.',
    });
    expect([await count('verification'), registry.usage.length]).toEqual([1, 1]);
  });

  it('refuses a code whose stored lifetime is over', async () => {
    const code = await present(DRIVING);
    await db.query(`update presentation_code set expires_at = '2020-01-01T00:00:00Z'`);
    expect(await refusal(verifyAs(SH_POLICE, code))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'PRESENTATION_CODE_EXPIRED',
      message: 'The presentation code has expired; ask the holder for a new one.',
    });
    expect([await count('verification'), registry.usage.length]).toEqual([0, 0]);
  });

  it('calls a code that is both used and expired used', async () => {
    const code = await present(DRIVING);
    await verifyAs(SH_POLICE, code);
    await db.query(`update presentation_code set expires_at = '2020-01-01T00:00:00Z'`);
    expect(await refusal(verifyAs(SH_POLICE, code))).toMatchObject({ reason: 'PRESENTATION_CODE_USED' });
  });

  it('refuses a code bound to another scenario, and leaves it usable for its own', async () => {
    const code = await present(DRIVING, 'hotel-check-in');
    expect(await refusal(verifyAs(SH_POLICE, code))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'PRESENTATION_CODE_SCENARIO_MISMATCH',
      message: 'The holder presented this credential for hotel-check-in, not for traffic-check.',
    });
    expect((await store.presentationCode(jtiOf(code)))?.consumed).toBe(false);
    expect(registry.usage).toEqual([]);
  });

  it('accepts a code bound to the scenario being verified', async () => {
    const v = await verifyAs(SH_POLICE, await present(DRIVING, 'traffic-check'));
    expect([v.verdict, v.scenario]).toEqual(['ACCEPTED', 'traffic-check']);
  });
});

describe('filing a dispute', () => {
  const dispute = (caller: Caller, field = 'holderName', claim = '姓名应为孙佳婷', id = DRIVING.id) => service.fileDispute(caller, id, field, claim);

  it('files the holder’s dispute about their own credential with the issuing registry', async () => {
    const filed = await dispute(holderOf(DRIVING));
    expect(filed).toMatchObject({ id: 'dispute-0001', status: 'OPEN', field: 'holderName' });
    expect(registry.disputes).toEqual([
      {
        region: 'yangtze-delta',
        dispute: { credentialId: DRIVING.id, field: 'holderName', claim: '姓名应为孙佳婷', filedByRole: 'holder', filedBy: 'holder' },
        caller: holderOf(DRIVING),
      },
    ]);
  });

  it('gives the same refusal for another holder’s credential and for one that does not exist', async () => {
    const notYours = await refusal(dispute({ role: 'holder', holderCode: OTHER_HOLDER }));
    registry.forget('yangtze-delta', DRIVING.id);
    const notFound = await refusal(dispute(holderOf(DRIVING)));
    const expected = { code: 'FORBIDDEN', reason: undefined, message: 'You can only dispute your own credentials.' };
    expect(notYours).toEqual(expected);
    expect(notFound).toEqual(expected);
    expect(registry.disputes).toEqual([]);
  });

  it('files a verifier’s dispute about a credential it verified, in its organisation’s name', async () => {
    await verifyAs(SH_POLICE, await present(DRIVING));
    await dispute(operatorOf(SH_POLICE), 'face.licenceClass', '现场核验为 C2');
    expect(registry.disputes).toEqual([
      {
        region: 'yangtze-delta',
        dispute: { credentialId: DRIVING.id, field: 'face.licenceClass', claim: '现场核验为 C2', filedByRole: 'verifier', filedBy: '11310101HW08049497' },
        caller: operatorOf(SH_POLICE),
      },
    ]);
  });

  it('refuses a verifier that has not verified the credential, even if another organisation did or it verified another one', async () => {
    await verifyAs(SD_POLICE, await present(DRIVING));
    await verifyAs(SH_HOTEL, await present(SHANGHAI_ID, 'hotel-check-in'));
    const expected = { code: 'FORBIDDEN', reason: undefined, message: 'A verifier can only dispute credentials it has verified.' };
    expect(await refusal(dispute(operatorOf(SH_POLICE)))).toEqual(expected);
    expect(await refusal(dispute(operatorOf(SH_HOTEL)))).toEqual(expected);
    expect(registry.disputes).toEqual([]);
  });

  it('refuses a verifier that verified a credential the registry no longer holds', async () => {
    await verifyAs(SH_POLICE, await present(DRIVING));
    registry.forget('yangtze-delta', DRIVING.id);
    expect(await refusal(dispute(operatorOf(SH_POLICE)))).toEqual({
      code: 'FORBIDDEN',
      reason: undefined,
      message: 'A verifier can only dispute credentials it has verified.',
    });
  });

  it.each<[string, Caller]>([
    ['an issuer', { role: 'issuer', region: 'yangtze-delta', organisation: SH_POLICE.organisation }],
    ['an anonymous caller', { role: 'anonymous' }],
    ['a verifier token without an organisation', { ...operatorOf(SH_POLICE), organisation: undefined }],
  ])('refuses %s', async (_who, caller) => {
    await verifyAs(SH_POLICE, await present(DRIVING));
    expect(await refusal(dispute(caller))).toEqual({
      code: 'FORBIDDEN',
      reason: undefined,
      message: 'Only the holder or a verifier of a credential can file a dispute.',
    });
    expect(registry.disputes).toEqual([]);
  });

  it.each(['name', 'number', 'holderName', 'holderCode', 'issuerName', 'issueDate', 'effectiveDate', 'expiryDate', 'areaCode', 'face.licenceClass', 'face.firstIssueDate', 'face.archiveNumber'])(
    'accepts a dispute about %s of a driving licence',
    async (field) => {
      await dispute(holderOf(DRIVING), field);
      expect(registry.disputes.map((d) => (d.dispute as { field: string }).field)).toEqual([field]);
    },
  );

  it.each(['face.address', 'licenceClass', 'status', 'constructor', 'toString', 'face.'])('refuses a dispute about %s of a driving licence', async (field) => {
    expect(await refusal(dispute(holderOf(DRIVING), field))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: undefined,
      message: `Field ${field} cannot be disputed; use a metadata field (name, number, holderName, holderCode, issuerName, issueDate, effectiveDate, expiryDate, areaCode) or one of face.licenceClass, face.firstIssueDate, face.archiveNumber.`,
    });
    expect(registry.disputes).toEqual([]);
  });

  it('offers only metadata fields for a credential of a type the catalogue does not know', async () => {
    registry.serve('yangtze-delta', { ...DRIVING, typeCode: '11100000HT00000183999' });
    expect(await refusal(dispute(holderOf(DRIVING), 'face.licenceClass'))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: undefined,
      message: 'Field face.licenceClass cannot be disputed; use a metadata field (name, number, holderName, holderCode, issuerName, issueDate, effectiveDate, expiryDate, areaCode) or one of .',
    });
    await dispute(holderOf(DRIVING), 'holderName');
    expect(registry.disputes).toHaveLength(1);
  });

  it.each<[string, string, string]>([
    ['that is empty', '', 'claim must not be empty (1–1000 characters of text).'],
    ['of only white space', ' \n ', 'claim must not be empty (1–1000 characters of text).'],
    ['of 1001 characters', '错'.repeat(1001), 'claim must be at most 1000 characters (1–1000 characters of text).'],
  ])('refuses a claim %s', async (_what, claim, message) => {
    expect(await refusal(dispute(holderOf(DRIVING), 'holderName', claim))).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'claim', message });
    expect(registry.disputes).toEqual([]);
  });

  it('accepts a claim of 1 and of 1000 characters', async () => {
    await dispute(holderOf(DRIVING), 'holderName', '错');
    await dispute(holderOf(DRIVING), 'holderName', '错'.repeat(1000));
    expect(registry.disputes.map((d) => (d.dispute as { claim: string }).claim.length)).toEqual([1, 1000]);
  });

  it('says which registry could not be reached, when reading or when filing', async () => {
    const expected = {
      code: 'SUBGRAPH_UNAVAILABLE',
      reason: undefined,
      serviceName: 'yangtze-delta',
      message: 'The yangtze-delta registry could not be reached; try again shortly.',
    };
    registry.failRead = unreachable();
    expect(await refusal(dispute(holderOf(DRIVING)))).toEqual(expected);
    registry.failRead = null;
    registry.failDispute = unreachable();
    expect(await refusal(dispute(holderOf(DRIVING)))).toEqual(expected);
  });

  it('lets unexpected failures of the registry calls through as they are', async () => {
    const failure = new TypeError('response body is not JSON');
    registry.failRead = failure;
    await expect(dispute(holderOf(DRIVING))).rejects.toBe(failure);
    registry.failRead = null;
    registry.failDispute = failure;
    await expect(dispute(holderOf(DRIVING))).rejects.toBe(failure);
  });
});

describe('region names', () => {
  it('names a region with a registry, and falls back to the code for one it does not know', () => {
    expect(service.regionName('chengdu-chongqing')).toBe('Chengdu-Chongqing');
    expect(service.regionName('north-east')).toBe('north-east');
  });
});

describe('what a holder is told when presenting a credential verifiers will reject', () => {
  it.each([
    ['VALID', null, null],
    ['SUSPENDED', null, 'This credential is suspended (暂扣): verifiers reject it until its issuer restores it.'],
    ['EXPIRED', null, 'This credential has expired: most scenarios reject it; only those whose rules accept expired credentials will not.'],
    ['REVOKED', null, 'This credential is REVOKED: verifiers reject it.'],
    ['CANCELLED', null, 'This credential is CANCELLED: verifiers reject it.'],
    ['VALID', '1.2.156.3005.2.X', 'This credential was corrected and replaced by 1.2.156.3005.2.X: verifiers reject this version; present the new one.'],
  ])('status %s, replaced by %s: %s', (status, supersededBy, warning) => {
    expect(presentationWarning(status, supersededBy)).toBe(warning);
  });
});
