import { describe, expect, it } from 'vitest';
import { isValidCitizenId, isValidUscc, parseLicenceId, parseUscc } from '../../subgraphs/kit/identifiers/index.js';
import { credentialTypeByCode, regionOfProvince } from '../../subgraphs/kit/reference.js';
import { authoritiesOf } from '../../subgraphs/kit/seed/credentials.js';
import { moverAt, regions, seedCredential, seededCredentials } from '../support/fixtures.js';

const SAMPLE = 2000;

describe('seed data', () => {
  it.each(regions.map((r) => [r.code, r] as const))('gives every %s credential valid identifiers and check characters', (_c, region) => {
    for (const c of seededCredentials(region.code, SAMPLE)) {
      const parsed = parseLicenceId(c.id);
      expect(parsed.ok, c.id).toBe(true);
      if (!parsed.ok) continue;
      // The issuer's division code is in the region that holds the record.
      expect(regionOfProvince(parsed.parts.provinceCode)?.code).toBe(region.code);
      expect(isValidUscc(c.issuerCode)).toBe(true);
      expect(credentialTypeByCode(c.typeCode)).toBeDefined();
      if (c.holderType === '111') expect(isValidCitizenId(c.holderCode), c.holderCode).toBe(true);
      else expect(isValidUscc(c.holderCode), c.holderCode).toBe(true);
    }
  });

  it('gives every issuing authority a USCC whose division code is in its own province', () => {
    for (const region of regions) {
      for (const a of authoritiesOf(region)) {
        const parsed = parseUscc(a.code);
        expect(parsed.ok && parsed.provinceCode).toBe(a.province.code);
      }
    }
  });

  it('is deterministic: the same index gives the same credential every time', () => {
    for (const region of regions) expect(seedCredential(region, 777)).toEqual(seedCredential(region, 777));
  });

  it('keeps identifiers unique within a region', () => {
    for (const region of regions) {
      const ids = seededCredentials(region.code, SAMPLE).map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('mixes statuses: valid, suspended, revoked and expired all occur', () => {
    const statuses = new Set(seededCredentials('yangtze-delta', SAMPLE).map((c) => c.status));
    for (const s of ['01', '02', '03', '05']) expect(statuses).toContain(s);
  });

  it('has people who hold credentials in several regions', () => {
    for (let m = 0; m < 20; m++) {
      const holders = regions.map((r) => seedCredential(r, 5 * m).holderCode);
      expect(new Set(holders)).toEqual(new Set([moverAt(m).code]));
    }
  });

  it('expires credentials marked expired before their expiry date has passed', () => {
    for (const c of seededCredentials('shandong', SAMPLE).filter((c) => c.status === '05')) {
      expect(c.expiryDate).not.toBeNull();
      expect(c.expiryDate! < '2026-01-01').toBe(true);
    }
  });
});
