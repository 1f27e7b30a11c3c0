import { describe, expect, it } from 'vitest';
import { anonymous, callerClaims, callerFromClaims, callerFromEnvelope, roles } from '../../subgraphs/kit/auth/caller.js';
import { makeCitizenId, makeUscc } from '../../subgraphs/kit/identifiers/index.js';

const citizenId = makeCitizenId('370102', '1990-05-17', 123);
const citizenIdWithX = makeCitizenId('370102', '1990-05-17', 7); // check character X
const uscc = makeUscc('9', '1', '370100', 'MA3C7Y2K');

const holder = { sub: 'holder-1', role: 'holder', holder_code: citizenId };
const verifier = { sub: 'operator-1', role: 'verifier', region: 'shandong', org: uscc, org_name: '济南市政务服务中心', scenarios: ['hotel-check-in'] };
const issuer = { sub: 'issuer-1', role: 'issuer', region: 'yangtze-delta', org: uscc };

const accepts = (claims: Record<string, unknown>) => expect(() => callerFromClaims(claims)).not.toThrow();
const reasonFor = (claims: Record<string, unknown>): string => {
  try {
    callerFromClaims(claims);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('claims were accepted');
};

describe('the roles a client token may carry', () => {
  it('are holder, verifier, issuer, analyst, admin and rule-officer', () => {
    expect(roles).toEqual(['holder', 'verifier', 'issuer', 'analyst', 'admin', 'rule-officer']);
    expect(anonymous).toEqual({ role: 'anonymous' });
  });
});

describe('turning client-token claims into a caller', () => {
  it('maps a verifier’s claims onto the caller', () => {
    expect(callerFromClaims(verifier)).toEqual({
      role: 'verifier',
      subject: 'operator-1',
      holderCode: undefined,
      region: 'shandong',
      organisation: uscc,
      organisationName: '济南市政务服务中心',
      scenarios: ['hotel-check-in'],
    });
  });

  it('maps a holder’s claims onto the caller', () => {
    expect(callerFromClaims(holder)).toEqual({
      role: 'holder',
      subject: 'holder-1',
      holderCode: citizenId,
      region: undefined,
      organisation: undefined,
      organisationName: undefined,
      scenarios: undefined,
    });
  });

  it('accepts analysts and admins without holder code, region or organisation', () => {
    expect(callerFromClaims({ sub: 'analyst-1', role: 'analyst' })).toMatchObject({ role: 'analyst', subject: 'analyst-1' });
    expect(callerFromClaims({ sub: 'admin-1', role: 'admin' })).toMatchObject({ role: 'admin', subject: 'admin-1' });
  });

  it('refuses an unknown role and the anonymous role', () => {
    expect(reasonFor({ sub: 'x', role: 'superuser' })).toMatch(/^token claims are not acceptable: /);
    expect(() => callerFromClaims({ sub: 'x', role: 'anonymous' })).toThrow(/^token claims are not acceptable: /);
    expect(() => callerFromClaims({ sub: 'x' })).toThrow(/^token claims are not acceptable: /);
  });

  describe('the subject', () => {
    it('is 1 to 128 characters', () => {
      accepts({ sub: 'a', role: 'analyst' });
      accepts({ sub: 'a'.repeat(128), role: 'analyst' });
      expect(() => callerFromClaims({ sub: 'a'.repeat(129), role: 'analyst' })).toThrow(/^token claims are not acceptable: /);
      expect(() => callerFromClaims({ sub: '', role: 'analyst' })).toThrow(/^token claims are not acceptable: /);
      expect(() => callerFromClaims({ role: 'analyst' })).toThrow(/^token claims are not acceptable: /);
    });
  });

  describe('a holder', () => {
    it('needs a holder code', () => {
      expect(reasonFor({ sub: 'holder-1', role: 'holder' })).toBe('token claims are not acceptable: a holder token needs holder_code');
      expect(reasonFor({ sub: 'holder-1', role: 'holder', region: 'shandong', org: uscc })).toBe(
        'token claims are not acceptable: a holder token needs holder_code',
      );
    });

    it('takes a citizen ID number or a USCC, ending in X or not', () => {
      accepts(holder);
      accepts({ ...holder, holder_code: citizenIdWithX });
      accepts({ ...holder, holder_code: uscc });
    });

    it.each([
      ['17 characters', citizenId.slice(0, 17)],
      ['19 characters', `${citizenId}1`],
      ['a lower-case x', citizenIdWithX.toLowerCase()],
      ['a leading space', ` ${citizenId.slice(1)}`],
      ['a character before', `-${citizenId}`],
      ['a character after', `${citizenId}-`],
      ['a line break after', `${citizenId}\n`],
    ])('refuses a holder code with %s', (_what, code) => {
      expect(reasonFor({ ...holder, holder_code: code })).toBe('token claims are not acceptable: must be an 18-character holder code');
    });
  });

  describe('a rule officer', () => {
    const officer = { sub: 'rule-officer-1', role: 'rule-officer', region: 'shandong', org: uscc, org_name: '山东省政务服务管理办公室' };
    const reason =
      'token claims are not acceptable: a rule-officer token needs org and region: a region code (yangtze-delta, chengdu-chongqing, shandong, hebei) or national for the national rule office';

    it('speaks for a region of the regions file, or for the national rule office', () => {
      expect(callerFromClaims(officer)).toMatchObject({ role: 'rule-officer', subject: 'rule-officer-1', region: 'shandong', organisation: uscc });
      expect(callerFromClaims({ ...officer, region: 'national' })).toMatchObject({ role: 'rule-officer', region: 'national' });
      expect(callerFromClaims({ ...officer, region: 'hebei' })).toMatchObject({ region: 'hebei' });
    });

    it('is refused without an organisation, without a region, or with a region Hutong does not have', () => {
      const { org: _o, ...withoutOrg } = officer;
      const { region: _r, ...withoutRegion } = officer;
      expect(reasonFor(withoutOrg)).toBe(reason);
      expect(reasonFor(withoutRegion)).toBe(reason);
      expect(reasonFor({ ...officer, region: 'beijing' })).toBe(reason);
      expect(reasonFor({ ...officer, region: 'nationwide' })).toBe(reason);
    });
  });

  describe('a verifier or issuer', () => {
    it.each([
      ['verifier', verifier, 'token claims are not acceptable: a verifier token needs region and org'],
      ['issuer', issuer, 'token claims are not acceptable: an issuer token needs region and org'],
    ])('%s needs both region and organisation', (role, base, reason) => {
      accepts(base);
      const { region: _r, ...withoutRegion } = base;
      const { org: _o, ...withoutOrg } = base;
      expect(reasonFor(withoutRegion)).toBe(reason);
      expect(reasonFor(withoutOrg)).toBe(reason);
      expect(reasonFor({ sub: 'x', role })).toBe(reason);
    });

    it('does not need a holder code', () => {
      expect(callerFromClaims(issuer)).toMatchObject({ role: 'issuer', region: 'yangtze-delta', organisation: uscc });
    });

    it('has a region of a lower-case letter followed by 1 to 40 letters or hyphens', () => {
      accepts({ ...verifier, region: 'sh' });
      accepts({ ...verifier, region: `s${'-'.repeat(40)}` });
      accepts({ ...verifier, region: 'chengdu-chongqing' });
      for (const region of ['s', `s${'a'.repeat(41)}`, '-shandong', 'Shandong', 'shandong2', 'shan dong', 'x.shandong', 'shandong.x', 'shandong\n']) {
        expect(() => callerFromClaims({ ...verifier, region }), region).toThrow(/^token claims are not acceptable: /);
      }
    });

    it.each([
      ['17 characters', uscc.slice(0, 17)],
      ['19 characters', `${uscc}0`],
      ['lower case', uscc.toLowerCase()],
      ['a character before', `-${uscc}`],
      ['a character after', `${uscc}-`],
    ])('refuses an organisation code with %s', (_what, org) => {
      expect(reasonFor({ ...verifier, org })).toBe('token claims are not acceptable: must be an 18-character USCC');
    });

    it('has an organisation name of at most 200 characters', () => {
      accepts({ ...verifier, org_name: '局'.repeat(200) });
      expect(() => callerFromClaims({ ...verifier, org_name: '局'.repeat(201) })).toThrow(/^token claims are not acceptable: /);
    });

    it('has at most 100 scenarios, each 1 to 64 lower-case letters, digits or hyphens', () => {
      accepts({ ...verifier, scenarios: [] });
      accepts({ ...verifier, scenarios: ['a', 'z-9', 'a'.repeat(64)] });
      accepts({ ...verifier, scenarios: Array.from({ length: 100 }, (_, i) => `scenario-${i}`) });
      expect(() => callerFromClaims({ ...verifier, scenarios: Array.from({ length: 101 }, (_, i) => `scenario-${i}`) })).toThrow(
        /^token claims are not acceptable: /,
      );
      for (const scenario of ['', 'a'.repeat(65), 'Hotel-check-in', 'hotel_check_in', 'hotel check-in', '.hotel', 'hotel.']) {
        expect(() => callerFromClaims({ ...verifier, scenarios: [scenario] }), scenario).toThrow(/^token claims are not acceptable: /);
      }
    });
  });

  it('names every problem, separated by semicolons', () => {
    expect(reasonFor({ sub: 'x', role: 'verifier', region: 'shandong', org: 'bad', holder_code: 'bad' })).toBe(
      'token claims are not acceptable: must be an 18-character holder code; must be an 18-character USCC',
    );
  });
});

describe('the caller an envelope carries', () => {
  it('keeps only the fields that are set', () => {
    expect(callerClaims({ role: 'holder', subject: 'holder-1', holderCode: citizenId, region: undefined, scenarios: undefined })).toEqual({
      role: 'holder',
      subject: 'holder-1',
      holderCode: citizenId,
    });
    expect(Object.keys(callerClaims({ role: 'anonymous', subject: undefined }))).toEqual(['role']);
  });

  it('reads back every caller field, the anonymous role included', () => {
    const caller = {
      role: 'verifier',
      subject: 'operator-1',
      holderCode: citizenId,
      region: 'shandong',
      organisation: uscc,
      organisationName: '济南市政务服务中心',
      scenarios: ['hotel-check-in'],
    };
    expect(callerFromEnvelope(caller)).toEqual(caller);
    expect(callerFromEnvelope({ role: 'anonymous' })).toEqual({ role: 'anonymous' });
    for (const role of roles) expect(callerFromEnvelope({ role })).toEqual({ role });
  });

  it.each([
    ['nothing', undefined],
    ['an unknown role', { role: 'root' }],
    ['a numeric subject', { role: 'holder', subject: 7 }],
    ['a numeric holder code', { role: 'holder', holderCode: 370102 }],
    ['a region list', { role: 'verifier', region: ['shandong'] }],
    ['a numeric organisation', { role: 'verifier', organisation: 1 }],
    ['a numeric organisation name', { role: 'verifier', organisationName: 1 }],
    ['a scenario that is not text', { role: 'verifier', scenarios: [1] }],
  ])('refuses %s', (_what, value) => {
    expect(() => callerFromEnvelope(value)).toThrow();
  });
});
