import { describe, expect, it } from 'vitest';
import { decide, inForce, type CredentialFacts, type VerifierFacts } from '../../subgraphs/recognition/engine.js';
import type { AcceptanceRule, FieldRelease, InvalidationRule } from '../../subgraphs/recognition/seed.js';
import { credentialTypeBySlug } from '../../subgraphs/kit/reference.js';

const DRIVING = credentialTypeBySlug('e-driving-licence').code;
const VEHICLE = credentialTypeBySlug('e-vehicle-licence').code;
const TODAY = '2026-03-31';

const releases: FieldRelease[] = [
  { field: 'holderName', retain: false, masked: false },
  { field: 'number', retain: false, masked: true },
];

function acceptance(over: Partial<AcceptanceRule> = {}): AcceptanceRule {
  return {
    id: 'yrd-traffic-driving',
    version: 1,
    acceptingRegion: 'yangtze-delta',
    acceptingProvinces: null,
    scenario: 'traffic-check',
    credentialType: DRIVING,
    issuingProvinces: ['31', '32'],
    acceptedStatuses: ['VALID'],
    requireWithinValidity: true,
    releasedFields: releases,
    validFrom: '2021-06-01',
    validUntil: null,
    legalBasis: 'test agreement',
    ...over,
  };
}

function invalidation(over: Partial<InvalidationRule> = {}): InvalidationRule {
  return {
    id: 'sh-suspended-driving',
    version: 1,
    issuingProvinces: ['31'],
    credentialType: DRIVING,
    scenarios: ['traffic-check'],
    statuses: ['SUSPENDED'],
    validFrom: '2021-06-01',
    validUntil: null,
    legalBasis: 'test notice',
    ...over,
  };
}

const credential = (over: Partial<CredentialFacts> = {}): CredentialFacts => ({
  typeCode: DRIVING,
  issuingProvince: '31',
  status: 'VALID',
  effectiveDate: '2020-01-01',
  expiryDate: '2030-01-01',
  superseded: false,
  ...over,
});

const shanghaiPolice: VerifierFacts = { region: 'yangtze-delta', province: '31' };

function run(opts: {
  rules?: AcceptanceRule[];
  invalidations?: InvalidationRule[];
  cred?: Partial<CredentialFacts>;
  verifier?: VerifierFacts;
  scenario?: string;
  today?: string;
}) {
  return decide({
    scenario: opts.scenario ?? 'traffic-check',
    verifier: opts.verifier ?? shanghaiPolice,
    credential: credential(opts.cred),
    acceptanceRules: opts.rules ?? [acceptance()],
    invalidationRules: opts.invalidations ?? [],
    today: opts.today ?? TODAY,
  });
}

describe('rules in force on a date', () => {
  const windowed = (validFrom: string, validUntil: string | null) => ({ id: 'r', version: 1, validFrom, validUntil });

  it.each([
    ['is not in force the day before its validFrom', '2026-03-30', false],
    ['is in force on its validFrom', '2026-03-31', true],
    ['is in force the day after its validFrom', '2026-04-01', true],
  ])('a rule valid from 2026-03-31 %s (%s)', (_behaviour, today, expected) => {
    expect(inForce([windowed('2026-03-31', null)], today).length).toBe(expected ? 1 : 0);
  });

  it.each([
    ['is still in force the day before its validUntil', '2026-03-30', true],
    ['is still in force on its validUntil, its last day', '2026-03-31', true],
    ['is not in force the day after its validUntil', '2026-04-01', false],
  ])('a rule valid until 2026-03-31 %s (%s)', (_behaviour, today, expected) => {
    expect(inForce([windowed('2020-01-01', '2026-03-31')], today).length).toBe(expected ? 1 : 0);
  });

  it('keeps a rule with no validUntil in force indefinitely', () => {
    expect(inForce([windowed('2020-01-01', null)], '2099-12-31')).toEqual([windowed('2020-01-01', null)]);
  });

  it('keeps only the highest version of a rule id in force, whatever the input order', () => {
    const v1 = { id: 'r', version: 1, validFrom: '2020-01-01', validUntil: null };
    const v2 = { id: 'r', version: 2, validFrom: '2025-01-01', validUntil: null };
    const v3 = { id: 'r', version: 3, validFrom: '2025-06-01', validUntil: null };
    expect(inForce([v1, v3, v2], TODAY)).toEqual([v3]);
    expect(inForce([v3, v2, v1], TODAY)).toEqual([v3]);
  });

  it('falls back to the older version while the newer one has not started yet', () => {
    const v1 = { id: 'r', version: 1, validFrom: '2020-01-01', validUntil: null };
    const v2 = { id: 'r', version: 2, validFrom: '2026-04-01', validUntil: null };
    expect(inForce([v1, v2], '2026-03-31')).toEqual([v1]);
    expect(inForce([v1, v2], '2026-04-01')).toEqual([v2]);
  });

  it('falls back to an older version when the newest one has ended', () => {
    const v1 = { id: 'r', version: 1, validFrom: '2020-01-01', validUntil: null };
    const v2 = { id: 'r', version: 2, validFrom: '2025-01-01', validUntil: '2026-01-01' };
    expect(inForce([v2, v1], TODAY)).toEqual([v1]);
  });

  it('keeps one rule per id, for every id in force, in first-seen order', () => {
    const a = { id: 'a', version: 1, validFrom: '2020-01-01', validUntil: null };
    const b = { id: 'b', version: 4, validFrom: '2020-01-01', validUntil: null };
    expect(inForce([b, a], TODAY)).toEqual([b, a]);
  });
});

describe('a credential within its validity period', () => {
  // The credential here is effective 2026-03-10 and expires 2026-03-20.
  const dates = { effectiveDate: '2026-03-10', expiryDate: '2026-03-20' };

  it.each([
    ['2026-03-09', 'REJECTED', ['NOT_YET_VALID'], 'is not yet valid the day before its effective date'],
    ['2026-03-10', 'ACCEPTED', [], 'is valid on its effective date'],
    ['2026-03-11', 'ACCEPTED', [], 'is valid the day after its effective date'],
    ['2026-03-19', 'ACCEPTED', [], 'is valid the day before its expiry date'],
    ['2026-03-20', 'ACCEPTED', [], 'is valid through its expiry date'],
    ['2026-03-21', 'REJECTED', ['EXPIRED'], 'is expired the day after its expiry date'],
  ])('checked on %s under a rule requiring validity: %s %j (%s)', (today, verdict, reasons) => {
    const rule = acceptance({ validFrom: '2020-01-01' });
    const d = run({ rules: [rule], cred: dates, today });
    expect(d.verdict).toBe(verdict);
    expect(d.reasons).toEqual(reasons);
  });

  it.each(['2026-03-09', '2026-03-10', '2026-03-20', '2026-03-21'])(
    'is accepted on %s when the rule does not require the validity period',
    (today) => {
      const rule = acceptance({ requireWithinValidity: false });
      const d = run({ rules: [rule], cred: dates, today });
      expect(d.verdict).toBe('ACCEPTED');
      expect(d.reasons).toEqual([]);
    },
  );

  it('never expires when it has no expiry date', () => {
    const d = run({ cred: { expiryDate: null }, today: '2099-12-31' });
    expect(d.verdict).toBe('ACCEPTED');
    expect(d.reasons).toEqual([]);
  });

  it('reports both NOT_YET_VALID and EXPIRED for an inconsistent period', () => {
    const d = run({ cred: { effectiveDate: '2026-04-01', expiryDate: '2026-03-01' } });
    expect(d.reasons).toEqual(['NOT_YET_VALID', 'EXPIRED']);
  });

  it('reports EXPIRED only once when the registry already says EXPIRED and the date has passed', () => {
    const d = run({ cred: { status: 'EXPIRED', expiryDate: '2026-03-01' } });
    expect(d.verdict).toBe('REJECTED');
    expect(d.reasons).toEqual(['EXPIRED']);
  });

  it('reports the status reason before the date reason', () => {
    const d = run({ cred: { status: 'SUSPENDED', expiryDate: '2026-03-01' } });
    expect(d.reasons).toEqual(['SUSPENDED', 'EXPIRED']);
  });
});

describe('choosing the acceptance rule', () => {
  it('does not recognise a credential when no rule is held for the scenario', () => {
    const d = run({ rules: [acceptance({ scenario: 'hotel-check-in' })] });
    expect(d).toEqual({ verdict: 'NOT_RECOGNISED', reasons: ['NO_RULE'], rule: null, releases: [], trace: [] });
  });

  it('does not recognise a credential when there are no rules at all', () => {
    expect(run({ rules: [] })).toEqual({ verdict: 'NOT_RECOGNISED', reasons: ['NO_RULE'], rule: null, releases: [], trace: [] });
  });

  it('ignores rules that are not in force on the day of the check', () => {
    const future = acceptance({ id: 'future', validFrom: '2026-04-01' });
    const ended = acceptance({ id: 'ended', validFrom: '2020-01-01', validUntil: '2026-03-30' });
    const d = run({ rules: [future, ended] });
    expect(d.verdict).toBe('NOT_RECOGNISED');
    expect(d.trace).toEqual([]);
  });

  it('applies a rule on its last day in force (validUntil today)', () => {
    const d = run({ rules: [acceptance({ validUntil: '2026-03-31' })] });
    expect(d.verdict).toBe('ACCEPTED');
  });

  it('does not recognise a credential shown to a verifier outside the accepting region', () => {
    const d = run({ verifier: { region: 'shandong', province: '37' } });
    expect(d.verdict).toBe('NOT_RECOGNISED');
    expect(d.reasons).toEqual(['NO_RULE']);
    expect(d.trace).toEqual([
      {
        ruleId: 'yrd-traffic-driving',
        version: 1,
        kind: 'ACCEPTANCE',
        applied: false,
        detail: 'accepting region is yangtze-delta, the verifier is in shandong',
      },
    ]);
  });

  it('does not recognise a credential shown to a verifier outside the accepting provinces', () => {
    const rule = acceptance({ acceptingProvinces: ['33', '34'] });
    const d = run({ rules: [rule] });
    expect(d.verdict).toBe('NOT_RECOGNISED');
    expect(d.trace).toEqual([
      {
        ruleId: 'yrd-traffic-driving',
        version: 1,
        kind: 'ACCEPTANCE',
        applied: false,
        detail: 'accepting provinces are 33, 34, the verifier is in 31',
      },
    ]);
  });

  it('recognises a credential shown to a verifier inside the accepting provinces', () => {
    const d = run({ rules: [acceptance({ acceptingProvinces: ['33', '31'] })] });
    expect(d.verdict).toBe('ACCEPTED');
  });

  it('does not recognise another credential type', () => {
    const d = run({ cred: { typeCode: VEHICLE } });
    expect(d.verdict).toBe('NOT_RECOGNISED');
    expect(d.trace).toEqual([
      { ruleId: 'yrd-traffic-driving', version: 1, kind: 'ACCEPTANCE', applied: false, detail: 'the rule is for another credential type' },
    ]);
  });

  it('does not recognise a credential issued outside the issuing provinces', () => {
    const d = run({ cred: { issuingProvince: '34' } });
    expect(d.verdict).toBe('NOT_RECOGNISED');
    expect(d.trace).toEqual([
      {
        ruleId: 'yrd-traffic-driving',
        version: 1,
        kind: 'ACCEPTANCE',
        applied: false,
        detail: 'accepts credentials issued in 31, 32, not in 34',
      },
    ]);
  });

  it('recognises a credential from any province when the rule names no issuing provinces', () => {
    const d = run({ rules: [acceptance({ issuingProvinces: null })], cred: { issuingProvince: '44' } });
    expect(d.verdict).toBe('ACCEPTED');
  });

  it('accepts under a national rule for a verifier in any region, and says it is national', () => {
    const national = acceptance({ id: 'national-traffic', acceptingRegion: null, issuingProvinces: null });
    const d = run({ rules: [national], verifier: { region: 'shandong', province: '37' } });
    expect(d.verdict).toBe('ACCEPTED');
    expect(d.rule).toEqual({ id: 'national-traffic', version: 1 });
    expect(d.trace).toEqual([
      { ruleId: 'national-traffic', version: 1, kind: 'ACCEPTANCE', applied: true, detail: 'national rule covers this credential' },
    ]);
  });

  it('accepts under a regional rule and explains it, releasing its fields', () => {
    const d = run({});
    expect(d).toEqual({
      verdict: 'ACCEPTED',
      reasons: [],
      rule: { id: 'yrd-traffic-driving', version: 1 },
      releases: [
        { field: 'holderName', retain: false, masked: false },
        { field: 'number', retain: false, masked: true },
      ],
      trace: [
        { ruleId: 'yrd-traffic-driving', version: 1, kind: 'ACCEPTANCE', applied: true, detail: 'regional rule covers this credential' },
      ],
    });
  });

  it.each([
    ['national rule listed first', true],
    ['regional rule listed first', false],
  ])('prefers the regional rule over the national one of the same version (%s)', (_label, nationalFirst) => {
    const national = acceptance({ id: 'a-national', acceptingRegion: null, issuingProvinces: null, version: 1 });
    const regional = acceptance({ id: 'z-regional', version: 1 });
    const d = run({ rules: nationalFirst ? [national, regional] : [regional, national] });
    expect(d.rule).toEqual({ id: 'z-regional', version: 1 });
    const loser = d.trace.find((t) => t.ruleId === 'a-national');
    expect(loser).toEqual({
      ruleId: 'a-national',
      version: 1,
      kind: 'ACCEPTANCE',
      applied: false,
      detail: 'covers this credential, but z-regional v1 is more specific',
    });
    expect(d.trace.find((t) => t.ruleId === 'z-regional')).toEqual({
      ruleId: 'z-regional',
      version: 1,
      kind: 'ACCEPTANCE',
      applied: true,
      detail: 'regional rule covers this credential',
    });
  });

  it('prefers an older regional rule over a newer national one', () => {
    const national = acceptance({ id: 'a-national', acceptingRegion: null, version: 5 });
    const regional = acceptance({ id: 'z-regional', version: 1 });
    expect(run({ rules: [national, regional] }).rule).toEqual({ id: 'z-regional', version: 1 });
    expect(run({ rules: [regional, national] }).rule).toEqual({ id: 'z-regional', version: 1 });
  });

  it('between two regional rules, prefers the newest version', () => {
    const older = acceptance({ id: 'a-older', version: 1, releasedFields: [] });
    const newer = acceptance({ id: 'z-newer', version: 3 });
    for (const rules of [[older, newer], [newer, older]]) {
      const d = run({ rules });
      expect(d.rule).toEqual({ id: 'z-newer', version: 3 });
      expect(d.releases).toEqual(releases);
      expect(d.trace.find((t) => t.ruleId === 'a-older')?.detail).toBe('covers this credential, but z-newer v3 is more specific');
    }
  });

  it('between two national rules, prefers the newest version', () => {
    const older = acceptance({ id: 'a-older', acceptingRegion: null, version: 2 });
    const newer = acceptance({ id: 'z-newer', acceptingRegion: null, version: 7 });
    expect(run({ rules: [older, newer] }).rule).toEqual({ id: 'z-newer', version: 7 });
    expect(run({ rules: [newer, older] }).rule).toEqual({ id: 'z-newer', version: 7 });
  });

  it('between equally specific rules of the same version, takes the first id alphabetically', () => {
    const b = acceptance({ id: 'b-rule', version: 2 });
    const a = acceptance({ id: 'a-rule', version: 2 });
    for (const rules of [[b, a], [a, b]]) {
      const d = run({ rules });
      expect(d.rule).toEqual({ id: 'a-rule', version: 2 });
      expect(d.trace.find((t) => t.ruleId === 'b-rule')).toEqual({
        ruleId: 'b-rule',
        version: 2,
        kind: 'ACCEPTANCE',
        applied: false,
        detail: 'covers this credential, but a-rule v2 is more specific',
      });
      expect(d.trace.find((t) => t.ruleId === 'a-rule')?.applied).toBe(true);
    }
  });

  it('marks every losing rule, keeping non-covering rules as they were', () => {
    const outside = acceptance({ id: 'a-outside', acceptingRegion: 'shandong' });
    const national = acceptance({ id: 'b-national', acceptingRegion: null });
    const regional = acceptance({ id: 'c-regional' });
    const older = acceptance({ id: 'd-regional', version: 1 });
    const newest = acceptance({ id: 'e-regional', version: 2 });
    const d = run({ rules: [outside, national, regional, older, newest] });
    expect(d.rule).toEqual({ id: 'e-regional', version: 2 });
    expect(d.trace).toEqual([
      { ruleId: 'a-outside', version: 1, kind: 'ACCEPTANCE', applied: false, detail: 'accepting region is shandong, the verifier is in yangtze-delta' },
      { ruleId: 'b-national', version: 1, kind: 'ACCEPTANCE', applied: false, detail: 'covers this credential, but e-regional v2 is more specific' },
      { ruleId: 'c-regional', version: 1, kind: 'ACCEPTANCE', applied: false, detail: 'covers this credential, but e-regional v2 is more specific' },
      { ruleId: 'd-regional', version: 1, kind: 'ACCEPTANCE', applied: false, detail: 'covers this credential, but e-regional v2 is more specific' },
      { ruleId: 'e-regional', version: 2, kind: 'ACCEPTANCE', applied: true, detail: 'regional rule covers this credential' },
    ]);
  });

  it('uses the version of a rule in force today, not a newer one that starts tomorrow', () => {
    const v1 = acceptance({ version: 1, acceptedStatuses: ['VALID'] });
    const v2 = acceptance({ version: 2, acceptedStatuses: ['VALID', 'SUSPENDED'], validFrom: '2026-04-01' });
    const d = run({ rules: [v1, v2], cred: { status: 'SUSPENDED' } });
    expect(d.verdict).toBe('REJECTED');
    expect(d.rule).toEqual({ id: 'yrd-traffic-driving', version: 1 });
    expect(run({ rules: [v1, v2], cred: { status: 'SUSPENDED' }, today: '2026-04-01' }).rule).toEqual({
      id: 'yrd-traffic-driving',
      version: 2,
    });
  });
});

describe('the status of the credential', () => {
  it.each([
    ['SUSPENDED', 'SUSPENDED'],
    ['REVOKED', 'REVOKED'],
    ['CANCELLED', 'CANCELLED'],
    ['EXPIRED', 'EXPIRED'],
    ['TRANSFERRED_OUT', 'TRANSFERRED_OUT'],
    ['REVOKED_AS_PENALTY', 'REVOKED_AS_PENALTY'],
    ['OTHER', 'OTHER_STATUS'],
    ['SOMETHING_NEW', 'OTHER_STATUS'],
  ])('rejects a %s credential with reason %s and releases nothing', (status, reason) => {
    const d = run({ cred: { status } });
    expect(d).toEqual({
      verdict: 'REJECTED',
      reasons: [reason],
      rule: { id: 'yrd-traffic-driving', version: 1 },
      releases: [],
      trace: [
        { ruleId: 'yrd-traffic-driving', version: 1, kind: 'ACCEPTANCE', applied: true, detail: 'regional rule covers this credential' },
      ],
    });
  });

  it('rejects a status the rule lists nowhere even when validity is not required', () => {
    const d = run({ rules: [acceptance({ requireWithinValidity: false })], cred: { status: 'REVOKED' } });
    expect(d.reasons).toEqual(['REVOKED']);
  });

  it('accepts a status the rule lists as accepted', () => {
    const d = run({ rules: [acceptance({ acceptedStatuses: ['VALID', 'SUSPENDED'] })], cred: { status: 'SUSPENDED' } });
    expect(d.verdict).toBe('ACCEPTED');
  });

  it('rejects a superseded credential as SUPERSEDED even though its status is VALID', () => {
    const d = run({ cred: { superseded: true } });
    expect(d.verdict).toBe('REJECTED');
    expect(d.reasons).toEqual(['SUPERSEDED']);
    expect(d.releases).toEqual([]);
  });

  it('gives SUPERSEDED alone, not a status reason too, for a superseded revoked credential', () => {
    expect(run({ cred: { superseded: true, status: 'REVOKED' } }).reasons).toEqual(['SUPERSEDED']);
  });
});

describe('invalidation rules of the issuing province', () => {
  const suspended = { status: 'SUSPENDED' };
  const lenient = acceptance({ acceptedStatuses: ['VALID', 'SUSPENDED'] });

  it('rejects a credential whose status the issuing province invalidates for the scenario', () => {
    const d = run({ rules: [lenient], invalidations: [invalidation()], cred: suspended });
    expect(d).toEqual({
      verdict: 'REJECTED',
      reasons: ['INVALIDATED_BY_ISSUER'],
      rule: { id: 'yrd-traffic-driving', version: 1 },
      releases: [],
      trace: [
        { ruleId: 'yrd-traffic-driving', version: 1, kind: 'ACCEPTANCE', applied: true, detail: 'regional rule covers this credential' },
        {
          ruleId: 'sh-suspended-driving',
          version: 1,
          kind: 'INVALIDATION',
          applied: true,
          detail: 'the issuing province invalidates SUSPENDED credentials for this scenario',
        },
      ],
    });
  });

  it('adds INVALIDATED_BY_ISSUER after the status reason', () => {
    const d = run({ invalidations: [invalidation()], cred: suspended });
    expect(d.reasons).toEqual(['SUSPENDED', 'INVALIDATED_BY_ISSUER']);
  });

  it('applies to every scenario when it names none', () => {
    const d = run({ rules: [lenient], invalidations: [invalidation({ scenarios: null })], cred: suspended });
    expect(d.reasons).toEqual(['INVALIDATED_BY_ISSUER']);
  });

  it('ignores a rule for another credential type', () => {
    const d = run({ rules: [lenient], invalidations: [invalidation({ credentialType: VEHICLE })], cred: suspended });
    expect(d.verdict).toBe('ACCEPTED');
    expect(d.trace[1]).toEqual({
      ruleId: 'sh-suspended-driving',
      version: 1,
      kind: 'INVALIDATION',
      applied: false,
      detail: 'published for other credentials',
    });
  });

  it('ignores a rule published by another issuing province', () => {
    const d = run({ rules: [lenient], invalidations: [invalidation({ issuingProvinces: ['32', '33'] })], cred: suspended });
    expect(d.verdict).toBe('ACCEPTED');
    expect(d.trace[1]).toEqual({
      ruleId: 'sh-suspended-driving',
      version: 1,
      kind: 'INVALIDATION',
      applied: false,
      detail: 'published for other credentials',
    });
  });

  it('ignores a rule for other scenarios', () => {
    const inv = invalidation({ scenarios: ['hotel-check-in', 'flat-rental'] });
    const d = run({ rules: [lenient], invalidations: [inv], cred: suspended });
    expect(d.verdict).toBe('ACCEPTED');
    expect(d.releases).toEqual(releases);
    expect(d.trace[1]).toEqual({
      ruleId: 'sh-suspended-driving',
      version: 1,
      kind: 'INVALIDATION',
      applied: false,
      detail: 'applies to hotel-check-in, flat-rental only',
    });
  });

  it('ignores a rule for other statuses', () => {
    const d = run({ invalidations: [invalidation()] });
    expect(d.verdict).toBe('ACCEPTED');
    expect(d.trace[1]).toEqual({
      ruleId: 'sh-suspended-driving',
      version: 1,
      kind: 'INVALIDATION',
      applied: false,
      detail: "the credential's status VALID is not invalidated",
    });
  });

  it.each([
    ['2026-03-30', 'ACCEPTED', 'before it starts'],
    ['2026-03-31', 'REJECTED', 'on its first day'],
    ['2026-04-01', 'REJECTED', 'the day after it starts'],
  ])('on %s the verdict is %s: a rule starting 2026-03-31 is considered %s', (today, verdict) => {
    const inv = invalidation({ validFrom: '2026-03-31' });
    expect(run({ rules: [lenient], invalidations: [inv], cred: suspended, today }).verdict).toBe(verdict);
  });

  it.each([
    ['2026-03-31', 'REJECTED', 'on its last day'],
    ['2026-04-01', 'ACCEPTED', 'the day after its last day'],
  ])('on %s the verdict is %s: a rule ending 2026-03-31 is considered %s', (today, verdict) => {
    const inv = invalidation({ validFrom: '2020-01-01', validUntil: '2026-03-31' });
    expect(run({ rules: [lenient], invalidations: [inv], cred: suspended, today }).verdict).toBe(verdict);
  });

  it('is not consulted when no acceptance rule covers the credential', () => {
    const d = run({ rules: [], invalidations: [invalidation()], cred: suspended });
    expect(d.trace).toEqual([]);
  });

  it('uses the newest version of an invalidation rule in force', () => {
    const v1 = invalidation({ version: 1, statuses: ['SUSPENDED'] });
    const v2 = invalidation({ version: 2, statuses: ['REVOKED'] });
    const d = run({ rules: [lenient], invalidations: [v2, v1], cred: suspended });
    expect(d.verdict).toBe('ACCEPTED');
    expect(d.trace[1]).toEqual({
      ruleId: 'sh-suspended-driving',
      version: 2,
      kind: 'INVALIDATION',
      applied: false,
      detail: "the credential's status SUSPENDED is not invalidated",
    });
  });

  it('explains every invalidation rule it looked at, in order', () => {
    const other = invalidation({ id: 'js-revoked', issuingProvinces: ['32'] });
    const hit = invalidation({ id: 'sh-suspended' });
    const d = run({ rules: [lenient], invalidations: [other, hit], cred: suspended });
    expect(d.trace.map((t) => [t.ruleId, t.kind, t.applied])).toEqual([
      ['yrd-traffic-driving', 'ACCEPTANCE', true],
      ['js-revoked', 'INVALIDATION', false],
      ['sh-suspended', 'INVALIDATION', true],
    ]);
    expect(d.reasons).toEqual(['INVALIDATED_BY_ISSUER']);
  });
});

describe('scenario matching', () => {
  it('only considers acceptance rules for the scenario being checked', () => {
    const hotel = acceptance({ id: 'hotel', scenario: 'hotel-check-in' });
    const traffic = acceptance({ id: 'traffic' });
    const d = run({ rules: [hotel, traffic] });
    expect(d.rule).toEqual({ id: 'traffic', version: 1 });
    expect(d.trace.map((t) => t.ruleId)).toEqual(['traffic']);
  });
});
