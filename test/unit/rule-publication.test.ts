/**
 * Rules managed by their owners (subgraphs/recognition/rules.ts) on a real recognition database
 * (PGlite in-process, the module's migrations and reference data): version numbering, closing
 * the predecessor, date boundaries in China time, who may write which rule, input checks, and
 * what is logged and counted. The clock is frozen at 2030-03-15 10:00 in China (02:00 UTC), so
 * every date below is literal.
 */
import { readFileSync } from 'node:fs';
import type { GraphQLError } from 'graphql';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { devIdentity } from '../../scripts/dev-identities.js';
import { callerFromClaims, type Caller } from '../../subgraphs/kit/auth/caller.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { regionsFilePath } from '../../subgraphs/kit/reference.js';
import { parseRegionsDocument } from '../../subgraphs/kit/regions-file.js';
import type { RecognitionStore } from '../../subgraphs/recognition/db/store.js';
import { inForce } from '../../subgraphs/recognition/engine.js';
import { RulePublisher, type AcceptanceRuleInput, type InvalidationRuleInput, type RuleChange } from '../../subgraphs/recognition/rules.js';
import { recognitionDatabase, recognitionStoreForEachTest } from '../support/databases.js';

const E_ID = '11100000HT00000183001';
const E_DRIVING_LICENCE = '11100000HT00000183002';
const E_SEAL = '11100000HT00000183004';

const officer = (name: string): Caller => callerFromClaims(devIdentity(name).claims as unknown as Record<string, unknown>);
const shandong = officer('rule-officer-shandong');
const yangtzeDelta = officer('rule-officer-yangtze-delta');
const national = officer('rule-officer-national');
const verifier = callerFromClaims(devIdentity('verifier-jinan-service-hall').claims as unknown as Record<string, unknown>);

const recognition = recognitionStoreForEachTest(recognitionDatabase, ['presentation_code', 'verification', 'acceptance_rule', 'invalidation_rule']);
let store: RecognitionStore;
let rules: RulePublisher;
let logLines: Record<string, unknown>[];
let changes: RuleChange[];

beforeEach(async () => {
  store = recognition.store;
  await store.seedReferenceData();
  logLines = [];
  changes = [];
  rules = new RulePublisher(store, createLogger('recognition', 'info', { write: (l) => logLines.push(JSON.parse(l)) }), (c) => changes.push(c));
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2030-03-15T02:00:00.000Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

/** Version 2 of Shandong's service-hall rule as its officer writes it: the name only, from a given day. */
const hallRule = (over: Partial<AcceptanceRuleInput> = {}): AcceptanceRuleInput => ({
  id: 'sd-service-hall-e-id',
  scenario: 'service-hall-visit',
  credentialType: E_ID,
  issuingProvinces: ['37'],
  acceptedStatuses: ['VALID'],
  releasedFields: [{ field: 'holderName' }],
  validFrom: '2030-03-15',
  legalBasis: '山东省政务服务大厅“免证办”：只核验姓名。',
  ...over,
});

const sealInvalidation = (over: Partial<InvalidationRuleInput> = {}): InvalidationRuleInput => ({
  id: 'sd-suspended-e-seal',
  credentialType: E_SEAL,
  issuingProvinces: ['37'],
  scenarios: null,
  statuses: ['SUSPENDED'],
  validFrom: '2030-03-15',
  legalBasis: '暂扣的电子印章不得用于签章。',
  ...over,
});

async function refusal(work: Promise<unknown>): Promise<{ code: unknown; reason: unknown; field: unknown; message: string }> {
  try {
    await work;
  } catch (error) {
    const e = error as GraphQLError;
    return { code: e.extensions?.code, reason: e.extensions?.reason, field: e.extensions?.field, message: e.message };
  }
  throw new Error('the change was accepted');
}

const versionsOf = async (id: string) =>
  (await store.acceptanceRuleRecords(id)).map((r) => ({ version: r.version, validFrom: r.validFrom, validUntil: r.validUntil }));
const inForceOn = async (id: string, day: string) => inForce(await store.acceptanceRuleRecords(id), day).map((r) => r.version);

describe('publishing a version', () => {
  it('numbers a new rule id from 1 and each later version of it max+1', async () => {
    const first = await rules.publishAcceptanceRule(shandong, hallRule({ id: 'sd-hall-e-id-pilot' }), '试点');
    const second = await rules.publishAcceptanceRule(shandong, hallRule({ id: 'sd-hall-e-id-pilot', validFrom: '2030-04-01' }), '推广');
    const third = await rules.publishAcceptanceRule(shandong, hallRule({ id: 'sd-hall-e-id-pilot', validFrom: '2030-05-01' }), '调整');
    expect([first.version, second.version, third.version]).toEqual([1, 2, 3]);
    expect((await rules.publishAcceptanceRule(shandong, hallRule(), '减少释放字段')).version).toBe(2);
    expect((await rules.publishInvalidationRule(shandong, sealInvalidation(), '新规')).version).toBe(1);
  });

  it('closes the version in force on the day before the new one starts, keeping it in the history', async () => {
    const v2 = await rules.publishAcceptanceRule(shandong, hallRule({ validFrom: '2030-03-15' }), '减少释放字段');
    expect(await versionsOf('sd-service-hall-e-id')).toEqual([
      { version: 1, validFrom: '2021-01-01', validUntil: '2030-03-14' },
      { version: 2, validFrom: '2030-03-15', validUntil: null },
    ]);
    expect(v2).toEqual({
      id: 'sd-service-hall-e-id', version: 2, acceptingRegion: 'shandong', acceptingProvinces: null, scenario: 'service-hall-visit',
      credentialType: E_ID, issuingProvinces: ['37'], acceptedStatuses: ['VALID'], requireWithinValidity: true,
      releasedFields: [{ field: 'holderName', retain: false, masked: false }], validFrom: '2030-03-15', validUntil: null,
      legalBasis: '山东省政务服务大厅“免证办”：只核验姓名。',
      publication: {
        source: 'OFFICER', publishedAt: '2030-03-15T02:00:00.000Z', subject: 'rule-officer-11370100HW2447201K',
        organisation: '11370100HW2447201K', region: 'shandong', reason: '减少释放字段',
      },
      retirement: null,
    });
    // Stored as answered, and v1 still says it came from reference data.
    const [v1, stored] = await store.acceptanceRuleRecords('sd-service-hall-e-id');
    expect(stored).toEqual(v2);
    expect(v1!.publication).toEqual({ source: 'REFERENCE_DATA', publishedAt: null, subject: null, organisation: null, region: null, reason: null });
    expect(await inForceOn('sd-service-hall-e-id', '2030-03-14')).toEqual([1]);
    expect(await inForceOn('sd-service-hall-e-id', '2030-03-15')).toEqual([2]);
  });

  it('keeps exactly one version in force on every day when a version is scheduled after another that has not started', async () => {
    await rules.publishAcceptanceRule(shandong, hallRule({ validFrom: '2030-04-01' }), '四月起');
    await rules.publishAcceptanceRule(shandong, hallRule({ validFrom: '2030-04-02' }), '改为四月二日起');
    expect(await versionsOf('sd-service-hall-e-id')).toEqual([
      { version: 1, validFrom: '2021-01-01', validUntil: '2030-03-31' },
      { version: 2, validFrom: '2030-04-01', validUntil: '2030-04-01' },
      { version: 3, validFrom: '2030-04-02', validUntil: null },
    ]);
    for (const [day, version] of [['2030-03-31', 1], ['2030-04-01', 2], ['2030-04-02', 3]] as const) {
      expect(await inForceOn('sd-service-hall-e-id', day), day).toEqual([version]);
    }
  });

  it('leaves a predecessor that ends earlier as it is: only a later end is brought forward', async () => {
    await rules.publishAcceptanceRule(shandong, hallRule({ id: 'sd-hall-pilot', validUntil: '2030-03-20' }), '试点十天');
    await rules.publishAcceptanceRule(shandong, hallRule({ id: 'sd-hall-pilot', validFrom: '2030-06-01' }), '正式实施');
    expect(await versionsOf('sd-hall-pilot')).toEqual([
      { version: 1, validFrom: '2030-03-15', validUntil: '2030-03-20' },
      { version: 2, validFrom: '2030-06-01', validUntil: null },
    ]);
  });

  it.each([
    ['yesterday', '2030-03-14', 'RULE_STARTS_IN_THE_PAST'],
    ['today', '2030-03-15', undefined],
    ['tomorrow', '2030-03-16', undefined],
  ])('starting %s (%s) is %s', async (_when, validFrom, reason) => {
    const work = rules.publishAcceptanceRule(shandong, hallRule({ validFrom }), '调整');
    if (reason) expect(await refusal(work)).toMatchObject({ code: 'BAD_USER_INPUT', reason, field: 'validFrom' });
    else expect((await work).validFrom).toBe(validFrom);
  });

  it('reads today as the China date: at 00:30 in China (16:30 UTC the day before) yesterday in UTC is already the past', async () => {
    vi.setSystemTime(new Date('2030-03-14T16:30:00.000Z'));
    expect(await refusal(rules.publishAcceptanceRule(shandong, hallRule({ validFrom: '2030-03-14' }), '调整'))).toMatchObject({ reason: 'RULE_STARTS_IN_THE_PAST' });
    vi.setSystemTime(new Date('2030-03-14T15:30:00.000Z'));
    expect((await rules.publishAcceptanceRule(shandong, hallRule({ validFrom: '2030-03-14' }), '调整')).version).toBe(2);
  });

  it('refuses a version starting on or before the previous version’s first day: history is never rewritten', async () => {
    await rules.publishAcceptanceRule(shandong, hallRule({ validFrom: '2030-04-01' }), '四月起');
    for (const validFrom of ['2030-03-20', '2030-04-01']) {
      expect(await refusal(rules.publishAcceptanceRule(shandong, hallRule({ validFrom }), '提前'))).toEqual({
        code: 'BAD_USER_INPUT', reason: 'RULE_STARTS_BEFORE_PREVIOUS_VERSION', field: 'validFrom',
        message: 'Version 2 of sd-service-hall-e-id starts on 2030-04-01: a new version starts after it.',
      });
    }
    expect((await versionsOf('sd-service-hall-e-id')).length).toBe(2);
  });

  it('keeps a rule’s scenario and credential type across versions', async () => {
    expect(await refusal(rules.publishAcceptanceRule(shandong, hallRule({ scenario: 'traffic-check' }), '改场景'))).toMatchObject({ reason: 'RULE_INVALID', field: 'scenario' });
    expect(await refusal(rules.publishAcceptanceRule(shandong, hallRule({ credentialType: E_DRIVING_LICENCE, releasedFields: [{ field: 'holderName' }] }), '改类型'))).toMatchObject({ reason: 'RULE_INVALID', field: 'scenario' });
    await rules.publishInvalidationRule(shandong, sealInvalidation(), '新规');
    expect(await refusal(rules.publishInvalidationRule(shandong, sealInvalidation({ credentialType: E_ID, validFrom: '2030-04-01' }), '改类型'))).toMatchObject({ reason: 'RULE_INVALID', field: 'credentialType' });
  });

  it('logs and counts each publication, without the officer’s account or the reason text', async () => {
    await rules.publishAcceptanceRule(shandong, hallRule(), '减少释放字段');
    expect(changes).toEqual([{ kind: 'ACCEPTANCE', action: 'published', ruleId: 'sd-service-hall-e-id', version: 2, region: 'shandong' }]);
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).toMatchObject({
      level: 30, msg: 'recognition rule version published', kind: 'ACCEPTANCE', ruleId: 'sd-service-hall-e-id', version: 2,
      region: 'shandong', organisation: '11370100HW2447201K', from: '2030-03-15',
    });
    expect(JSON.stringify(logLines)).not.toContain('rule-officer-');
    expect(JSON.stringify(logLines)).not.toContain('减少释放字段');
  });

  it('is kept when the reference data is loaded again (a restart)', async () => {
    await rules.publishAcceptanceRule(shandong, hallRule(), '减少释放字段');
    await rules.retireAcceptanceRule(national, 'national-traffic-driving-licence', '2030-04-01', '由新规取代');
    const before = [await store.acceptanceRuleRecords(), await store.invalidationRuleRecords()];
    await store.seedReferenceData();
    expect([await store.acceptanceRuleRecords(), await store.invalidationRuleRecords()]).toEqual(before);
    expect(await versionsOf('national-traffic-driving-licence')).toEqual([{ version: 1, validFrom: '2022-01-01', validUntil: '2030-03-31' }]);
  });
});

describe('retiring a rule', () => {
  it.each([
    ['yesterday', '2030-03-14', 'RETIREMENT_IN_THE_PAST', null],
    ['today', '2030-03-15', undefined, '2030-03-14'],
    ['tomorrow', '2030-03-16', undefined, '2030-03-15'],
  ])('from %s (%s) is %s', async (_when, effectiveFrom, reason, lastDay) => {
    const work = rules.retireAcceptanceRule(shandong, 'sd-service-hall-e-id', effectiveFrom, '停止互认');
    if (reason) {
      expect(await refusal(work)).toMatchObject({ code: 'BAD_USER_INPUT', reason, field: 'effectiveFrom' });
      expect(await versionsOf('sd-service-hall-e-id')).toEqual([{ version: 1, validFrom: '2021-01-01', validUntil: null }]);
      return;
    }
    const retired = await work;
    expect(retired).toMatchObject({ id: 'sd-service-hall-e-id', version: 1, validUntil: lastDay });
    expect(retired.retirement).toEqual({
      retiredAt: '2030-03-15T02:00:00.000Z', effectiveFrom, subject: 'rule-officer-11370100HW2447201K',
      organisation: '11370100HW2447201K', region: 'shandong', reason: '停止互认',
    });
    expect((await store.acceptanceRuleRecords('sd-service-hall-e-id'))[0]).toEqual(retired);
    expect(await inForceOn('sd-service-hall-e-id', lastDay!)).toEqual([1]);
    expect(await inForceOn('sd-service-hall-e-id', effectiveFrom)).toEqual([]);
  });

  it('also ends a version scheduled to start later, so the rule is not back the next day', async () => {
    await rules.publishAcceptanceRule(shandong, hallRule({ validFrom: '2030-04-01' }), '四月起');
    await rules.retireAcceptanceRule(shandong, 'sd-service-hall-e-id', '2030-03-20', '停止互认');
    expect(await versionsOf('sd-service-hall-e-id')).toEqual([
      { version: 1, validFrom: '2021-01-01', validUntil: '2030-03-19' },
      { version: 2, validFrom: '2030-04-01', validUntil: '2030-03-19' },
    ]);
    for (const day of ['2030-03-20', '2030-04-01', '2031-01-01']) expect(await inForceOn('sd-service-hall-e-id', day), day).toEqual([]);
  });

  it('is refused for an unknown id and for a rule already retired; a new version brings it back and may be retired again', async () => {
    expect(await refusal(rules.retireAcceptanceRule(shandong, 'sd-no-such-rule', '2030-03-15', '停止'))).toEqual({
      code: 'BAD_USER_INPUT', reason: 'RULE_NOT_FOUND', field: 'id', message: 'There is no rule sd-no-such-rule.',
    });
    await rules.retireAcceptanceRule(shandong, 'sd-service-hall-e-id', '2030-03-20', '停止互认');
    expect(await refusal(rules.retireAcceptanceRule(shandong, 'sd-service-hall-e-id', '2030-03-15', '提前停止'))).toEqual({
      code: 'BAD_USER_INPUT', reason: 'RULE_ALREADY_RETIRED', field: 'id', message: 'Rule sd-service-hall-e-id is already retired from 2030-03-20.',
    });
    const back = await rules.publishAcceptanceRule(shandong, hallRule({ validFrom: '2030-05-01' }), '恢复互认');
    expect(back.version).toBe(2);
    expect((await rules.retireAcceptanceRule(shandong, 'sd-service-hall-e-id', '2030-06-01', '再次停止')).validUntil).toBe('2030-05-31');
  });

  it('is refused for a rule whose versions all ended by their own window', async () => {
    await rules.publishAcceptanceRule(shandong, hallRule({ id: 'sd-hall-pilot', validUntil: '2030-03-20' }), '试点');
    expect(await refusal(rules.retireAcceptanceRule(shandong, 'sd-hall-pilot', '2030-03-21', '停止'))).toMatchObject({ reason: 'RULE_ALREADY_RETIRED' });
    expect((await rules.retireAcceptanceRule(shandong, 'sd-hall-pilot', '2030-03-20', '提前结束')).validUntil).toBe('2030-03-19');
  });

  it('retires an invalidation rule of the region, and logs and counts it', async () => {
    const retired = await rules.retireInvalidationRule(yangtzeDelta, 'yrd-suspended-driving-licence', '2030-03-16', '暂扣不再影响查验');
    expect(retired).toMatchObject({ id: 'yrd-suspended-driving-licence', version: 1, validUntil: '2030-03-15', retirement: { region: 'yangtze-delta', effectiveFrom: '2030-03-16' } });
    expect(changes).toEqual([{ kind: 'INVALIDATION', action: 'retired', ruleId: 'yrd-suspended-driving-licence', version: 1, region: 'yangtze-delta' }]);
    expect(logLines[0]).toMatchObject({ msg: 'recognition rule retired', ruleId: 'yrd-suspended-driving-licence', from: '2030-03-16' });
  });
});

describe('who may write which rule', () => {
  it('keeps a rule id with the region that published it first: another region cannot publish a version of it or retire it', async () => {
    const owned = { code: 'FORBIDDEN', reason: 'RULE_OWNED_ELSEWHERE' };
    expect(await refusal(rules.publishAcceptanceRule(yangtzeDelta, hallRule({ issuingProvinces: ['37'] }), '抢占'))).toMatchObject({
      ...owned, message: "Rule sd-service-hall-e-id belongs to shandong's rule officers: only they publish versions of it or retire it.",
    });
    expect(await refusal(rules.retireAcceptanceRule(yangtzeDelta, 'sd-service-hall-e-id', '2030-03-15', '停止'))).toMatchObject(owned);
    expect(await refusal(rules.retireAcceptanceRule(national, 'sd-service-hall-e-id', '2030-03-15', '停止'))).toMatchObject(owned);
    expect(await refusal(rules.retireAcceptanceRule(shandong, 'national-traffic-driving-licence', '2030-03-15', '停止'))).toMatchObject({
      ...owned, message: 'Rule national-traffic-driving-licence belongs to the national rule office: only they publish versions of it or retire it.',
    });
    expect(await refusal(rules.retireInvalidationRule(shandong, 'yrd-suspended-driving-licence', '2030-03-15', '停止'))).toMatchObject(owned);
    // A new id published by Shandong is Shandong's: the Yangtze Delta cannot take it over for its own region.
    await rules.publishAcceptanceRule(shandong, hallRule({ id: 'shared-hall-e-id' }), '新规');
    expect(await refusal(rules.publishAcceptanceRule(yangtzeDelta, hallRule({ id: 'shared-hall-e-id', validFrom: '2030-04-01' }), '新规'))).toMatchObject(owned);
    expect(await versionsOf('sd-service-hall-e-id')).toEqual([{ version: 1, validFrom: '2021-01-01', validUntil: null }]);
  });

  it('lets a regional officer accept in its own provinces only', async () => {
    expect(await refusal(rules.publishAcceptanceRule(shandong, hallRule({ id: 'sd-hall-shanghai', acceptingProvinces: ['37', '31'] }), '越界'))).toEqual({
      code: 'FORBIDDEN', reason: undefined, field: undefined,
      message: 'acceptingProvinces: 31 is not in shandong (37): a region publishes acceptance rules for itself only.',
    });
    expect(await refusal(rules.publishAcceptanceRule(shandong, hallRule({ id: 'sd-hall-yrd', acceptingRegion: 'yangtze-delta' }), '越界'))).toMatchObject({
      code: 'FORBIDDEN', message: 'A shandong rule officer publishes rules accepting in shandong only, not in yangtze-delta.',
    });
    expect((await rules.publishAcceptanceRule(shandong, hallRule({ id: 'sd-hall-37', acceptingProvinces: ['37'], acceptingRegion: 'shandong' }), '本省')).acceptingRegion).toBe('shandong');
  });

  it('leaves national rules to the national rule office, and the national office to national rules', async () => {
    const nationalRule = hallRule({ id: 'national-hall-e-id', issuingProvinces: null, acceptingRegion: null });
    expect(await refusal(rules.publishAcceptanceRule(shandong, nationalRule, '全国'))).toMatchObject({
      code: 'FORBIDDEN', message: 'National rules (acceptingRegion null) are published by the national rule office.',
    });
    expect(await refusal(rules.publishAcceptanceRule(national, hallRule({ id: 'national-hall-sd', acceptingRegion: 'shandong' }), '代发'))).toMatchObject({ code: 'FORBIDDEN' });
    const published = await rules.publishAcceptanceRule(national, { ...nationalRule, acceptingRegion: undefined }, '全国推行');
    expect(published).toMatchObject({ id: 'national-hall-e-id', version: 1, acceptingRegion: null, publication: { region: 'national', organisation: '11100000HW6168162F' } });
    expect(await refusal(rules.publishInvalidationRule(national, sealInvalidation(), '全国'))).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('lets a region invalidate only credentials issued in its own provinces', async () => {
    expect(await refusal(rules.publishInvalidationRule(shandong, sealInvalidation({ issuingProvinces: ['37', '32'] }), '越界'))).toEqual({
      code: 'FORBIDDEN', reason: undefined, field: undefined,
      message: 'issuingProvinces: 32 is not in shandong (37): a region invalidates only what it issued.',
    });
    expect((await rules.publishInvalidationRule(shandong, sealInvalidation(), '新规')).issuingProvinces).toEqual(['37']);
  });

  it('refuses callers that are not rule officers', async () => {
    expect(await refusal(rules.publishAcceptanceRule(verifier, hallRule(), '调整'))).toMatchObject({ code: 'FORBIDDEN', message: 'Only a rule officer can publish or retire recognition rules.' });
    expect(await refusal(rules.retireInvalidationRule({ role: 'admin', subject: 'admin-1' }, 'yrd-suspended-driving-licence', '2030-03-15', '停止'))).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('what a version must say', () => {
  it.each<[string, Partial<AcceptanceRuleInput>, string, string]>([
    ['a malformed id', { id: 'SD Hall' }, 'id', 'A rule id is 1–64 lower-case letters, digits and hyphens, e.g. sd-service-hall-e-id.'],
    ['an unknown scenario', { scenario: 'tax-filing' }, 'scenario', 'There is no scenario tax-filing; see scenarios.'],
    ['an unknown type', { credentialType: '11100000HT00000183999' }, 'credentialType', 'There is no credential type 11100000HT00000183999 in the national catalogue; give its type code (e.g. 11100000HT00000183001, the e-ID).'],
    ['an unknown issuing province', { issuingProvinces: ['37', '99'] }, 'issuingProvinces', "issuingProvinces: there is no province 99 in Hutong's regions."],
    ['an empty province list', { issuingProvinces: [] }, 'issuingProvinces', 'issuingProvinces lists at least one province; leave it null for any issuing province.'],
    ['an unknown accepting province', { acceptingProvinces: ['98'] }, 'acceptingProvinces', "acceptingProvinces: there is no province 98 in Hutong's regions."],
    ['an unknown status', { acceptedStatuses: ['VALID', 'LOST'] }, 'acceptedStatuses', 'acceptedStatuses: there is no status LOST; use VALID, SUSPENDED, REVOKED, CANCELLED, EXPIRED, TRANSFERRED_OUT, REVOKED_AS_PENALTY, OTHER.'],
    ['no status', { acceptedStatuses: [] }, 'acceptedStatuses', 'acceptedStatuses lists at least one status.'],
    ['a field the type does not have', { releasedFields: [{ field: 'face.licenceClass' }] }, 'releasedFields', 'releasedFields: face.licenceClass is not a field of e-id; use name, number, holderName, holderCode, issuerName, issueDate, effectiveDate, expiryDate, areaCode or face.sex, face.ethnicity, face.birthDate, face.address.'],
    ['an inherited name as a field', { releasedFields: [{ field: 'constructor' }] }, 'releasedFields', expect.stringContaining('constructor is not a field of e-id') as unknown as string],
    ['a field twice', { releasedFields: [{ field: 'holderName' }, { field: 'holderName', masked: true }] }, 'releasedFields', 'releasedFields names holderName twice.'],
    ['no field', { releasedFields: [] }, 'releasedFields', 'releasedFields lists at least one field: a rule releases what the scenario needs.'],
    ['a date that is not a day', { validFrom: '2030-02-30' }, 'validFrom', 'validFrom must be a calendar date YYYY-MM-DD, not "2030-02-30".'],
    ['validUntil before validFrom', { validFrom: '2030-04-01', validUntil: '2030-03-31' }, 'validUntil', 'validUntil 2030-03-31 is before validFrom 2030-04-01: validUntil is the last day in force.'],
  ])('refuses %s, naming the field', async (_what, over, field, message) => {
    expect(await refusal(rules.publishAcceptanceRule(shandong, hallRule(over), '调整'))).toEqual({ code: 'BAD_USER_INPUT', reason: 'RULE_INVALID', field, message });
    expect(await versionsOf('sd-service-hall-e-id')).toEqual([{ version: 1, validFrom: '2021-01-01', validUntil: null }]);
  });

  it('accepts a one-day window (validUntil = validFrom) and takes retain and masked as given', async () => {
    const v = await rules.publishAcceptanceRule(shandong, hallRule({ validUntil: '2030-03-15', releasedFields: [{ field: 'holderCode', retain: true, masked: true }, { field: 'face.sex' }] }), '一日');
    expect(v).toMatchObject({ validFrom: '2030-03-15', validUntil: '2030-03-15', releasedFields: [{ field: 'holderCode', retain: true, masked: true }, { field: 'face.sex', retain: false, masked: false }] });
  });

  it('checks an invalidation rule’s scenarios and statuses', async () => {
    expect(await refusal(rules.publishInvalidationRule(shandong, sealInvalidation({ scenarios: ['online-filing', 'tax-filing'] }), '新规'))).toMatchObject({ reason: 'RULE_INVALID', field: 'scenarios', message: 'scenarios: there is no scenario tax-filing; see scenarios.' });
    expect(await refusal(rules.publishInvalidationRule(shandong, sealInvalidation({ scenarios: [] }), '新规'))).toMatchObject({ reason: 'RULE_INVALID', field: 'scenarios' });
    expect(await refusal(rules.publishInvalidationRule(shandong, sealInvalidation({ statuses: ['LOST'] }), '新规'))).toMatchObject({ reason: 'RULE_INVALID', field: 'statuses' });
    expect(await refusal(rules.publishInvalidationRule(shandong, sealInvalidation({ issuingProvinces: [] }), '新规'))).toMatchObject({ reason: 'RULE_INVALID', field: 'issuingProvinces' });
    expect((await rules.publishInvalidationRule(shandong, sealInvalidation({ scenarios: ['online-filing'] }), '新规')).scenarios).toEqual(['online-filing']);
  });

  it('needs a reason and a legal basis as text', async () => {
    expect(await refusal(rules.publishAcceptanceRule(shandong, hallRule(), '  '))).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'reason' });
    expect(await refusal(rules.publishAcceptanceRule(shandong, hallRule({ legalBasis: '' }), '调整'))).toMatchObject({ reason: 'INVALID_TEXT', field: 'legalBasis' });
    expect(await refusal(rules.retireAcceptanceRule(shandong, 'sd-service-hall-e-id', '2030-3-15', '停止'))).toMatchObject({ reason: 'RULE_INVALID', field: 'effectiveFrom' });
  });
});

describe('the regions file', () => {
  it('refuses a region coded national: that is the national rule office’s claim', () => {
    const document = JSON.parse(readFileSync(regionsFilePath, 'utf8'));
    document.regions[3].code = 'national';
    expect(() => parseRegionsDocument(document, 'regions.json')).toThrow('regions.3.code: national is the national rule office, not a region');
  });
});
