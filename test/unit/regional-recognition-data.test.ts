import { describe, expect, it } from 'vitest';
import { regionByCode } from '../../subgraphs/kit/reference.js';
import { parseRegionalData } from '../../subgraphs/recognition/regional-data.js';

const shandong = regionByCode('shandong')!;
const national = ['traffic-check', 'hotel-check-in'];
const published = {
  scenarios: [{ code: 'online-filing', name: 'Online filing', nameZh: '网上备案', serviceItemCode: 'HT-BA-0001' }],
  verifiers: [{ kind: 'agency', name: '山东省测试备案中心', city: '370100', scenarios: ['online-filing'] }],
  acceptanceRules: [{
    id: 'sd-online-filing-e-seal', version: 1, scenario: 'online-filing', credentialType: 'e-seal', issuingProvinces: ['37'],
    acceptedStatuses: ['VALID'], requireWithinValidity: true, releasedFields: [{ field: 'holderName' }, { field: 'holderCode', retain: true }],
    validFrom: '2023-01-01', legalBasis: 'test basis',
  }],
  invalidationRules: [{
    id: 'sd-suspended-seal', version: 1, issuingProvinces: ['37'], credentialType: 'e-seal', scenarios: null, statuses: ['SUSPENDED'],
    validFrom: '2023-01-01', legalBasis: 'test basis',
  }],
};
const changed = (change: (d: any) => void) => {
  const d = structuredClone(published);
  change(d);
  return d;
};
const parse = (value: unknown) => parseRegionalData(shandong, value, national, 'subgraphs/shandong/recognition.json');

describe('a region’s own recognition data', () => {
  it('becomes rules that accept in that region only, verifiers of that region with generated USCCs, and catalogue type codes', () => {
    const data = parse(published);
    expect(data.scenarios.map((s) => s.code)).toEqual(['online-filing']);
    expect(data.verifiers).toEqual([{ organisation: expect.stringMatching(/^11370100HW\d{6}[0-9A-Z]{2}$/), name: '山东省测试备案中心', region: 'shandong', province: '37', scenarios: ['online-filing'] }]);
    expect(data.acceptanceRules[0]).toMatchObject({
      id: 'sd-online-filing-e-seal', acceptingRegion: 'shandong', acceptingProvinces: null, credentialType: '11100000HT00000183004', validUntil: null,
      releasedFields: [{ field: 'holderName', retain: false, masked: false }, { field: 'holderCode', retain: true, masked: false }],
    });
    expect(data.invalidationRules[0]).toMatchObject({ id: 'sd-suspended-seal', credentialType: '11100000HT00000183004', statuses: ['SUSPENDED'] });
  });

  it.each([
    ['a verifier in another region', (d: any) => (d.verifiers[0].city = '130100'), 'verifiers.0.city: 130100 is not in shandong (37): a region registers its own verifiers only'],
    ['an acceptance rule for another region’s provinces', (d: any) => (d.acceptanceRules[0].acceptingProvinces = ['37', '31']), 'acceptanceRules.0.acceptingProvinces.1: 31 is not in shandong: a region publishes acceptance rules for itself only'],
    ['an invalidation rule for credentials another region issued', (d: any) => (d.invalidationRules[0].issuingProvinces = ['32']), 'invalidationRules.0.issuingProvinces.0: 32 is not in shandong: a region invalidates only what it issued'],
    ['a rule for a scenario no one defined', (d: any) => (d.acceptanceRules[0].scenario = 'tax-filing'), 'acceptanceRules.0.scenario: no scenario tax-filing'],
    ['a verifier for a scenario no one defined', (d: any) => (d.verifiers[0].scenarios = ['tax-filing']), 'verifiers.0.scenarios.0: no scenario tax-filing'],
    ['a type outside the national catalogue', (d: any) => (d.acceptanceRules[0].credentialType = 'e-passport'), 'acceptanceRules.0.credentialType: must be a type of the national catalogue (e.g. e-seal)'],
    ['a malformed date', (d: any) => (d.acceptanceRules[0].validFrom = '2023-1-1'), 'acceptanceRules.0.validFrom: must be a date YYYY-MM-DD'],
  ])('is refused with %s, naming the entry', (_what, change, line) => {
    expect(() => parse(changed(change))).toThrow(`subgraphs/shandong/recognition.json is not valid:\n  - ${line}`);
  });

  it('may use the national scenarios', () => {
    const data = parse(changed((d) => (d.acceptanceRules[0].scenario = 'traffic-check')));
    expect(data.acceptanceRules[0]!.scenario).toBe('traffic-check');
  });
});
