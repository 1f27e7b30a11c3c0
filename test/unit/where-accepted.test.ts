import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import { acceptanceResolvers, whereAccepted, type CredentialRepresentation } from '../../subgraphs/recognition/acceptance.js';
import type { RecognitionContext } from '../../subgraphs/recognition/resolvers/context.js';
import { acceptanceRules, invalidationRules, scenarios } from '../../subgraphs/recognition/seed.js';

const REAL_ESTATE = '11100000HT0000034Q001'; // e-real-estate-certificate (自然资源部)
const facts = (overrides: Partial<Parameters<typeof whereAccepted>[0]['credential']> = {}) => ({
  typeCode: REAL_ESTATE,
  issuingProvince: '50',
  status: 'VALID',
  effectiveDate: '2020-05-01',
  expiryDate: null,
  superseded: false,
  ...overrides,
});
const decide = (credential = facts(), on = '2026-12-01') =>
  whereAccepted({ credential, scenarios: scenarios.map((s) => s.code), acceptanceRules, invalidationRules, on });

describe('where a credential is accepted, decided for every region and scenario', () => {
  it('answers once per region and scenario when the region’s provinces agree', () => {
    const all = decide();
    const hebei = all.filter((a) => a.acceptingRegion === 'hebei');
    expect(hebei).toHaveLength(scenarios.length);
    expect(hebei.every((a) => a.acceptingProvinces === null && !a.accepted && a.reasons.join() === 'NO_RULE')).toBe(true);
  });

  it('splits a region by province where a rule accepts in some of its provinces only', () => {
    const rental = decide().filter((a) => a.acceptingRegion === 'chengdu-chongqing' && a.scenario === 'flat-rental');
    expect(rental).toEqual([
      { acceptingRegion: 'chengdu-chongqing', acceptingProvinces: ['50'], scenario: 'flat-rental', accepted: true, ruleId: 'cq-rental-real-estate', ruleVersion: 1, reasons: [], releasedFields: expect.any(Array) },
      { acceptingRegion: 'chengdu-chongqing', acceptingProvinces: ['51'], scenario: 'flat-rental', accepted: false, ruleId: null, ruleVersion: null, reasons: ['NO_RULE'], releasedFields: [] },
    ]);
  });

  it('names a superseded credential’s reason where a rule covers it', () => {
    const rental = decide(facts({ superseded: true })).find((a) => a.acceptingProvinces?.includes('50') && a.scenario === 'flat-rental');
    expect(rental).toMatchObject({ accepted: false, ruleId: 'cq-rental-real-estate', reasons: ['SUPERSEDED'] });
  });
});

describe('who may ask where a credential is accepted', () => {
  const representation: CredentialRepresentation = {
    id: '1.2.156.3005.2.11100000HT00000183001.11320000HT637706XL.202200000001.001.4',
    typeCode: '11100000HT00000183001',
    holderCode: '320102199003071234',
    status: 'VALID',
    effectiveDate: '2022-01-01',
    expiryDate: null,
    supersededBy: null,
  };
  const ask = (caller: Caller) => {
    const resolve = (acceptanceResolvers() as unknown as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>).Credential!.whereAccepted!;
    return resolve(representation, {}, { caller } as RecognitionContext);
  };

  it('refuses a holder whose code is not the one the registry read for the credential', async () => {
    const error = await ask({ role: 'holder', subject: 'h', holderCode: '370102199003071238' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('FORBIDDEN');
  });

  it('refuses an issuer, even of the issuing region', async () => {
    const error = await ask({ role: 'issuer', subject: 'i', region: 'yangtze-delta', organisation: '11320000HT637706XL' }).catch((e: unknown) => e);
    expect((error as GraphQLError).extensions.code).toBe('FORBIDDEN');
  });
});
