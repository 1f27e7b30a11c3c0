/**
 * What a rule does with a released field an open dispute contests (RELEASE_FLAGGED or WITHHOLD):
 * the engine's releases, a region's recognition.json, a rule officer's input and the store, on a
 * real recognition database (PGlite in-process). The clock is frozen at 2030-03-15 10:00 in China.
 */
import type { GraphQLError } from 'graphql';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { devIdentity } from '../../scripts/dev-identities.js';
import { callerFromClaims, type Caller } from '../../subgraphs/kit/auth/caller.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { credentialTypeBySlug, regionByCode } from '../../subgraphs/kit/reference.js';
import { decide, type CredentialFacts } from '../../subgraphs/recognition/engine.js';
import { parseRegionalData } from '../../subgraphs/recognition/regional-data.js';
import { RulePublisher, type AcceptanceRuleInput } from '../../subgraphs/recognition/rules.js';
import type { AcceptanceRule } from '../../subgraphs/recognition/seed.js';
import { recognitionDatabase, recognitionStoreForEachTest } from '../support/databases.js';

const DRIVING = credentialTypeBySlug('e-driving-licence').code;
const E_ID = '11100000HT00000183001';

const rule = (over: Partial<AcceptanceRule> = {}): AcceptanceRule => ({
  id: 'yrd-traffic-driving', version: 1, acceptingRegion: 'yangtze-delta', acceptingProvinces: null, scenario: 'traffic-check',
  credentialType: DRIVING, issuingProvinces: ['31'], acceptedStatuses: ['VALID'], requireWithinValidity: true,
  releasedFields: [
    { field: 'holderName', retain: true, masked: false },
    { field: 'face.licenceClass', retain: false, masked: false },
    { field: 'number', retain: false, masked: true },
  ],
  validFrom: '2021-06-01', validUntil: null, legalBasis: 'test agreement', ...over,
});
const licence = (over: Partial<CredentialFacts> = {}): CredentialFacts => ({
  typeCode: DRIVING, issuingProvince: '31', status: 'VALID', effectiveDate: '2020-01-01', expiryDate: '2030-01-01', superseded: false, ...over,
});
const run = (r: AcceptanceRule, c: CredentialFacts) =>
  decide({ scenario: 'traffic-check', verifier: { region: 'yangtze-delta', province: '31' }, credential: c, acceptanceRules: [r], invalidationRules: [], today: '2026-03-31' });

describe('the engine’s releases for a disputed field', () => {
  it('withholds only the contested fields under WITHHOLD, keeping the rest as the rule lists them', () => {
    const d = run(rule({ disputedFieldPolicy: 'WITHHOLD' }), licence({ disputedFields: ['face.licenceClass', 'face.archiveNumber'] }));
    expect(d.verdict).toBe('ACCEPTED');
    expect(d.releases).toEqual([
      { field: 'holderName', retain: true, masked: false },
      { field: 'face.licenceClass', retain: false, masked: false, withheld: true },
      { field: 'number', retain: false, masked: true },
    ]);
  });

  it('releases every field under RELEASE_FLAGGED, and when the rule leaves the policy unsaid', () => {
    const contested = licence({ disputedFields: ['face.licenceClass'] });
    for (const r of [rule({ disputedFieldPolicy: 'RELEASE_FLAGGED' }), rule()]) {
      expect(run(r, contested).releases.map((f) => [f.field, f.withheld])).toEqual([['holderName', undefined], ['face.licenceClass', undefined], ['number', undefined]]);
    }
  });

  it('withholds nothing under WITHHOLD when no dispute is open (the dispute resolved)', () => {
    expect(run(rule({ disputedFieldPolicy: 'WITHHOLD' }), licence({ disputedFields: [] })).releases.some((f) => f.withheld)).toBe(false);
    expect(run(rule({ disputedFieldPolicy: 'WITHHOLD' }), licence()).releases.some((f) => f.withheld)).toBe(false);
  });

  it('releases nothing at all when the verdict is not ACCEPTED', () => {
    const d = run(rule({ disputedFieldPolicy: 'WITHHOLD' }), licence({ status: 'SUSPENDED', disputedFields: ['face.licenceClass'] }));
    expect([d.verdict, d.releases]).toEqual(['REJECTED', []]);
  });
});

describe('a region’s recognition.json', () => {
  const shandong = regionByCode('shandong')!;
  const data = (policy?: unknown) => ({
    acceptanceRules: [{
      id: 'sd-online-filing-e-seal', version: 1, scenario: 'online-filing', credentialType: 'e-seal', issuingProvinces: ['37'],
      acceptedStatuses: ['VALID'], requireWithinValidity: true, releasedFields: [{ field: 'holderName' }],
      ...(policy === undefined ? {} : { disputedFieldPolicy: policy }), validFrom: '2023-01-01', legalBasis: 'test basis',
    }],
  });
  const parse = (value: unknown) => parseRegionalData(shandong, value, ['online-filing'], 'subgraphs/shandong/recognition.json');

  it('keeps WITHHOLD, and leaves the default unsaid whether written or not', () => {
    expect(parse(data('WITHHOLD')).acceptanceRules[0]!.disputedFieldPolicy).toBe('WITHHOLD');
    expect('disputedFieldPolicy' in parse(data('RELEASE_FLAGGED')).acceptanceRules[0]!).toBe(false);
    expect('disputedFieldPolicy' in parse(data()).acceptanceRules[0]!).toBe(false);
  });

  it('refuses another value, naming the rule and the two it accepts', () => {
    expect(() => parse(data('HIDE'))).toThrow(/acceptanceRules\.0\.disputedFieldPolicy: .*"RELEASE_FLAGGED"\|"WITHHOLD"/);
  });
});

describe('a rule officer’s version', () => {
  const shandong: Caller = callerFromClaims(devIdentity('rule-officer-shandong').claims as unknown as Record<string, unknown>);
  const recognition = recognitionStoreForEachTest(recognitionDatabase, ['acceptance_rule']);
  let rules: RulePublisher;
  const hallRule = (over: Partial<AcceptanceRuleInput> = {}): AcceptanceRuleInput => ({
    id: 'sd-service-hall-e-id', scenario: 'service-hall-visit', credentialType: E_ID, issuingProvinces: ['37'], acceptedStatuses: ['VALID'],
    releasedFields: [{ field: 'holderName' }], validFrom: '2030-03-15', legalBasis: '有异议的信息待核实后再使用。', ...over,
  });

  beforeEach(async () => {
    await recognition.store.seedReferenceData();
    rules = new RulePublisher(recognition.store, createLogger('recognition', 'silent'));
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-03-15T02:00:00.000Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('stores WITHHOLD with the version and gives it back to the engine; the earlier version keeps the default', async () => {
    const v2 = await rules.publishAcceptanceRule(shandong, hallRule({ disputedFieldPolicy: 'WITHHOLD' }), '有异议的字段暂不释放');
    expect(v2.disputedFieldPolicy).toBe('WITHHOLD');
    const stored = (await recognition.store.acceptanceRules()).filter((r) => r.id === 'sd-service-hall-e-id');
    expect(stored.map((r) => [r.version, r.disputedFieldPolicy])).toEqual([[1, undefined], [2, 'WITHHOLD']]);
    const [, recorded] = await recognition.store.acceptanceRuleRecords('sd-service-hall-e-id');
    expect(recorded!.disputedFieldPolicy).toBe('WITHHOLD');
  });

  it('takes an omitted or null policy as RELEASE_FLAGGED', async () => {
    for (const [validFrom, disputedFieldPolicy] of [['2030-03-16', undefined], ['2030-03-17', null]] as const) {
      const v = await rules.publishAcceptanceRule(shandong, hallRule({ validFrom, disputedFieldPolicy }), '调整');
      expect('disputedFieldPolicy' in v).toBe(false);
    }
    expect((await recognition.store.acceptanceRules()).every((r) => r.disputedFieldPolicy === undefined)).toBe(true);
  });

  it('refuses any other policy as RULE_INVALID naming the field, writing nothing', async () => {
    const error = await rules.publishAcceptanceRule(shandong, hallRule({ disputedFieldPolicy: 'HIDE' }), '调整').catch((e: GraphQLError) => e);
    expect([(error as GraphQLError).message, (error as GraphQLError).extensions]).toEqual([
      'disputedFieldPolicy is RELEASE_FLAGGED or WITHHOLD, not "HIDE".',
      { code: 'BAD_USER_INPUT', reason: 'RULE_INVALID', field: 'disputedFieldPolicy' },
    ]);
    expect((await recognition.store.acceptanceRules()).filter((r) => r.id === 'sd-service-hall-e-id').map((r) => r.version)).toEqual([1]);
  });
});
