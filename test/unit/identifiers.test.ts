import { describe, expect, it } from 'vitest';
import {
  LICENCE_ID_PREFIX,
  buildLicenceId,
  citizenIdCheckChar,
  isValidCitizenId,
  isValidMod3736,
  isValidUscc,
  makeCitizenId,
  makeUscc,
  mod3736CheckChar,
  orgCodeCheckChar,
  parseCitizenId,
  parseLicenceId,
  parseUscc,
  usccCheckChar,
} from '../../subgraphs/kit/identifiers/index.js';

// ---------------------------------------------------------------------------
// Independent reference formulas, written differently from the implementation
// so that a shared mistake is unlikely.
// ---------------------------------------------------------------------------

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** ISO 7064 hybrid MOD 37,36: a string including its check char is valid when the last running sum ≡ 1 (mod 36). */
function hybridFinalRemainder(s: string): number {
  let product = 36;
  let sum = 0;
  for (const ch of s) {
    sum = (product + ALNUM.indexOf(ch)) % 36;
    product = (2 * (sum || 36)) % 37;
  }
  return sum;
}

/** Brute force: the one alphabet character that makes the hybrid system come out at 1. */
function referenceMod3736(data: string): string {
  const hits = [...ALNUM].filter((c) => hybridFinalRemainder(data + c) === 1);
  expect(hits).toHaveLength(1);
  return hits[0]!;
}

function referenceCitizenCheck(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * Number(first17[i]), 0);
  const v = (12 - (sum % 11)) % 11;
  return v === 10 ? 'X' : String(v);
}

function referenceOrgCheck(body8: string): string {
  const weights = [3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * ALNUM.indexOf(body8[i]!), 0);
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

function referenceUsccCheck(first17: string): string {
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const sum = weights.reduce((acc, w, i) => acc + w * USCC_ALPHABET.indexOf(first17[i]!), 0);
  return USCC_ALPHABET[(31 - (sum % 31)) % 31]!;
}

/** Small deterministic PRNG so sampled tests are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomString(next: () => number, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(next() * alphabet.length)];
  return out;
}

const ABSURD_INPUTS: unknown[] = [
  '',
  ' ',
  'x'.repeat(10 * 1024),
  '1'.repeat(10 * 1024),
  '电子证照',
  '中华人民共和国居民身份证号码１１０１０５',
  "'; DROP TABLE licences; --",
  '1 OR 1=1',
  '\u0000\u0000',
  '\ud800',
  '😀'.repeat(9),
  '.'.repeat(60),
  `${LICENCE_ID_PREFIX}.`,
  `${LICENCE_ID_PREFIX}.${LICENCE_ID_PREFIX}`,
  null,
  undefined,
  42,
  {},
];

// ---------------------------------------------------------------------------

describe('ISO 7064 MOD 37,36', () => {
  it('reproduces the published GRid example check character (A12425GABC1234002 → M)', () => {
    expect(mod3736CheckChar('A12425GABC1234002')).toBe('M');
    expect(isValidMod3736('A12425GABC1234002M')).toBe(true);
  });

  it('agrees with a brute-force reference on random strings of many lengths', () => {
    const next = rng(7064);
    for (let n = 0; n < 300; n++) {
      const data = randomString(next, ALNUM, 1 + Math.floor(next() * 60));
      expect(mod3736CheckChar(data)).toBe(referenceMod3736(data));
    }
  });

  it('treats lower-case input like upper-case', () => {
    expect(mod3736CheckChar('a12425gabc1234002')).toBe('M');
    expect(isValidMod3736('a12425gabc1234002m')).toBe(true);
  });

  it('throws on characters outside 0-9A-Z, including ones that upper-case into the alphabet', () => {
    for (const bad of ['AB-12', 'AB 12', '中', 'straße', 'ı', '1.2']) {
      expect(() => mod3736CheckChar(bad)).toThrow(RangeError);
    }
  });

  it('detects every single-character substitution over a sample of strings', () => {
    const next = rng(3736);
    for (let n = 0; n < 40; n++) {
      const data = randomString(next, ALNUM, 5 + Math.floor(next() * 40));
      const valid = data + mod3736CheckChar(data);
      expect(isValidMod3736(valid)).toBe(true);
      for (let i = 0; i < valid.length; i++) {
        for (const c of ALNUM) {
          if (c === valid[i]) continue;
          const mutated = valid.slice(0, i) + c + valid.slice(i + 1);
          expect(isValidMod3736(mutated), mutated).toBe(false);
        }
      }
    }
  });

  it('reports invalid rather than throwing for empty, one-character and out-of-alphabet input', () => {
    for (const bad of ['', 'A', 'AB-C', 'ÄB', ...ABSURD_INPUTS]) {
      expect(() => isValidMod3736(bad as string)).not.toThrow();
    }
    expect(isValidMod3736('')).toBe(false);
    expect(isValidMod3736('A')).toBe(false);
    expect(isValidMod3736('A12425GABC1234002-')).toBe(false);
  });
});

describe('GB 11643 citizen ID number', () => {
  it('accepts the example from the standard, 11010519491231002X', () => {
    expect(parseCitizenId('11010519491231002X')).toEqual({
      ok: true,
      divisionCode: '110105',
      provinceCode: '11',
      birthDate: '1949-12-31',
      sex: 'female',
    });
    expect(citizenIdCheckChar('11010519491231002')).toBe('X');
  });

  it('accepts a lower-case x check character', () => {
    expect(isValidCitizenId('11010519491231002x')).toBe(true);
  });

  it('computes check characters that match the 2^(17-i) mod 11 formula', () => {
    const next = rng(11643);
    const seen = new Set<string>();
    for (let n = 0; n < 500; n++) {
      const first17 = randomString(next, '0123456789', 17);
      const c = citizenIdCheckChar(first17);
      seen.add(c);
      expect(c).toBe(referenceCitizenCheck(first17));
    }
    expect(seen.has('X')).toBe(true);
  });

  it('round-trips make → parse and encodes sex in the sequence parity', () => {
    const male = makeCitizenId('440305', '1988-07-14', 123);
    expect(male).toHaveLength(18);
    expect(male.slice(0, 17)).toBe('44030519880714123');
    expect(parseCitizenId(male)).toEqual({
      ok: true,
      divisionCode: '440305',
      provinceCode: '44',
      birthDate: '1988-07-14',
      sex: 'male',
    });
    const female = makeCitizenId('220102', '2000-02-29', 8);
    expect(female.slice(14, 17)).toBe('008');
    const parsed = parseCitizenId(female);
    expect(parsed.ok && parsed.sex).toBe('female');
    expect(parsed.ok && parsed.provinceCode).toBe('22');
  });

  it('rejects wrong lengths with a reason naming the length', () => {
    for (const id of ['', '1101051949123100', '11010519491231002', '11010519491231002X0']) {
      const r = parseCitizenId(id);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/18 characters/);
    }
  });

  it('rejects non-digit characters', () => {
    for (const id of ['1101051949123100XX', 'A1010519491231002X', '110105-9491231002X', '11010519491231002Y']) {
      const r = parseCitizenId(id);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/digit/);
    }
  });

  it('rejects impossible birth dates such as 1999-02-30 and 1900-02-29', () => {
    for (const date of ['19990230', '19000229', '19991301', '19990001', '19990100', '19990431', '17991231']) {
      const first17 = `110105${date}002`;
      const r = parseCitizenId(first17 + referenceCitizenCheck(first17));
      expect(r.ok, date).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/birth/);
    }
    expect(isValidCitizenId(makeCitizenId('110105', '2000-02-29', 2))).toBe(true);
  });

  it('rejects a wrong check character and says which one was expected', () => {
    const r = parseCitizenId('110105194912310021');
    expect(r).toEqual({ ok: false, reason: expect.stringContaining("expected 'X'") });
  });

  it('detects every single-digit substitution', () => {
    const valid = '11010519491231002X';
    for (let i = 0; i < 18; i++) {
      for (const c of '0123456789X') {
        if (c === valid[i] || (i < 17 && c === 'X')) continue;
        expect(isValidCitizenId(valid.slice(0, i) + c + valid.slice(i + 1))).toBe(false);
      }
    }
  });

  it('refuses to make an ID from invalid parts', () => {
    expect(() => makeCitizenId('11010', '1949-12-31', 2)).toThrow(RangeError);
    expect(() => makeCitizenId('110105', '19491231', 2)).toThrow(RangeError);
    expect(() => makeCitizenId('110105', '1999-02-30', 2)).toThrow(RangeError);
    expect(() => makeCitizenId('110105', '1949-12-31', 1000)).toThrow(RangeError);
    expect(() => makeCitizenId('110105', '1949-12-31', -1)).toThrow(RangeError);
    expect(() => makeCitizenId('110105', '1949-12-31', 1.5)).toThrow(RangeError);
  });

  it('rejects absurd input without throwing', () => {
    for (const input of ABSURD_INPUTS) {
      expect(() => parseCitizenId(input as string)).not.toThrow();
      expect(isValidCitizenId(input as string)).toBe(false);
    }
  });
});

describe('GB 11714 organisation code', () => {
  it('reproduces the published example D2143569-X', () => {
    expect(orgCodeCheckChar('D2143569')).toBe('X');
  });

  it('matches the weighted mod 11 formula, including the X and 0 cases', () => {
    const next = rng(11714);
    const seen = new Set<string>();
    for (let n = 0; n < 500; n++) {
      const body = randomString(next, ALNUM, 8);
      const c = orgCodeCheckChar(body);
      seen.add(c);
      expect(c).toBe(referenceOrgCheck(body));
    }
    expect(seen.has('X')).toBe(true);
    expect(seen.has('0')).toBe(true);
  });

  it('throws on a malformed body', () => {
    for (const bad of ['', 'D214356', 'D21435699', 'd2143569', 'D214356-']) {
      expect(() => orgCodeCheckChar(bad)).toThrow(RangeError);
    }
  });
});

describe('GB 32100 unified social credit code', () => {
  it('accepts published codes', () => {
    for (const code of ['91350100M000100Y43', '914403001922038216', '11100000000013338W', '11220000013544541J']) {
      expect(isValidUscc(code), code).toBe(true);
    }
  });

  it('computes check characters that match the 3^i mod 31 formula', () => {
    const next = rng(32100);
    for (let n = 0; n < 500; n++) {
      const first17 = randomString(next, USCC_ALPHABET, 17);
      expect(usccCheckChar(first17)).toBe(referenceUsccCheck(first17));
    }
  });

  it('round-trips make → parse and extracts the division and province codes', () => {
    const code = makeUscc('9', '1', '350100', 'M000100Y');
    expect(code).toBe('91350100M000100Y43');
    const next = rng(18);
    for (let n = 0; n < 200; n++) {
      const body = randomString(next, USCC_ALPHABET, 8);
      const division = randomString(next, '0123456789', 6);
      const made = makeUscc('Y', '1', division, body);
      expect(made.slice(16, 17)).toBe(referenceOrgCheck(body));
      expect(made.slice(17)).toBe(referenceUsccCheck(made.slice(0, 17)));
      expect(parseUscc(made)).toMatchObject({ ok: true, divisionCode: division, provinceCode: division.slice(0, 2) });
    }
  });

  it('rejects I, O, S, V, Z and lower-case letters', () => {
    const valid = '91350100M000100Y43';
    for (const c of ['I', 'O', 'S', 'V', 'Z', 'm']) {
      const r = parseUscc(valid.slice(0, 8) + c + valid.slice(9));
      expect(r.ok, c).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/not one of/);
    }
    expect(() => makeUscc('9', '1', '350100', 'M000100Z')).toThrow(RangeError);
  });

  it('rejects wrong lengths and a non-numeric division code', () => {
    for (const code of ['', '91350100M000100Y4', '91350100M000100Y433']) {
      const r = parseUscc(code);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/18 characters/);
    }
    const body = '91A50100M000100Y4';
    const r = parseUscc(body + referenceUsccCheck(body));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/division code/);
  });

  it('rejects a bad embedded organisation-code check character', () => {
    const first17 = '91350100M000100Y5';
    const r = parseUscc(first17 + referenceUsccCheck(first17));
    expect(r).toEqual({ ok: false, reason: expect.stringContaining("organisation code check character is '5' but expected '4'") });
  });

  it('rejects a bad final check character and says which one was expected', () => {
    const r = parseUscc('91350100M000100Y44');
    expect(r).toEqual({ ok: false, reason: expect.stringContaining("expected '3'") });
  });

  it('detects every single-character substitution', () => {
    const valid = '914403001922038216';
    for (let i = 0; i < 18; i++) {
      for (const c of USCC_ALPHABET) {
        if (c === valid[i]) continue;
        expect(isValidUscc(valid.slice(0, i) + c + valid.slice(i + 1))).toBe(false);
      }
    }
  });

  it('rejects absurd input without throwing', () => {
    for (const input of ABSURD_INPUTS) {
      expect(() => parseUscc(input as string)).not.toThrow();
      expect(isValidUscc(input as string)).toBe(false);
    }
  });
});

describe('GB/T 36904 licence identifier', () => {
  const typeCode = '11100000000013338W032';
  const issuerCode = '11220000013544541J';
  const example = `1.2.156.3005.2.${typeCode}.${issuerCode}.2430599.001.F`;

  it('uses the 1.2.156.3005.2 prefix', () => {
    expect(LICENCE_ID_PREFIX).toBe('1.2.156.3005.2');
  });

  it('accepts the provincial example, whose check character F matches an independent MOD 37,36', () => {
    expect(referenceMod3736(`${typeCode}${issuerCode}2430599001`)).toBe('F');
    expect(parseLicenceId(example)).toEqual({
      ok: true,
      parts: {
        typeCode,
        issuerCode,
        serial: '2430599',
        version: '001',
        check: 'F',
        divisionCode: '220000',
        provinceCode: '22',
      },
    });
  });

  it('round-trips build → parse for serials of every allowed length', () => {
    const next = rng(36904);
    for (let len = 1; len <= 32; len++) {
      const serial = randomString(next, ALNUM, len);
      const version = randomString(next, '0123456789', 3);
      const issuer = makeUscc('1', '1', '440000', randomString(next, USCC_ALPHABET, 8));
      const id = buildLicenceId({ typeCode, issuerCode: issuer, serial, version });
      expect(id.startsWith(`${LICENCE_ID_PREFIX}.`)).toBe(true);
      expect(id.slice(-1)).toBe(referenceMod3736(typeCode + issuer + serial + version));
      expect(parseLicenceId(id)).toEqual({
        ok: true,
        parts: {
          typeCode,
          issuerCode: issuer,
          serial,
          version,
          check: id.slice(-1),
          divisionCode: '440000',
          provinceCode: '44',
        },
      });
    }
  });

  it('reports a wrong check character with the one it should be', () => {
    expect(parseLicenceId(example.slice(0, -1) + 'Q')).toEqual({
      ok: false,
      code: 'BAD_CHECK_CHARACTER',
      reason: "identifier check character is 'Q' but should be 'F'",
    });
  });

  it('detects every single-character substitution in the serial, version and check character', () => {
    const serialStart = example.length - '2430599.001.F'.length;
    for (let i = serialStart; i < example.length; i++) {
      if (example[i] === '.') continue;
      for (const c of ALNUM) {
        if (c === example[i]) continue;
        const r = parseLicenceId(example.slice(0, i) + c + example.slice(i + 1));
        expect(r.ok).toBe(false);
      }
    }
  });

  it('reports a corrupted issuer code as BAD_ISSUER_CODE', () => {
    const badIssuer = example.replace(issuerCode, '11220000013544541K');
    const r = parseLicenceId(badIssuer);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe('BAD_ISSUER_CODE');
      expect(r.reason).toMatch(/issuing authority code '11220000013544541K' is not a valid unified social credit code/);
    }
    const shortIssuer = parseLicenceId(example.replace(issuerCode, '1122000001354454'));
    expect(shortIssuer.ok === false && shortIssuer.code).toBe('BAD_ISSUER_CODE');
  });

  it('reports a corrupted, short or non-numeric-sequence type code as BAD_TYPE_CODE', () => {
    for (const badType of ['11100000000013338X032', '11100000000013338W03', '11100000000013338W0A2']) {
      const r = parseLicenceId(example.replace(typeCode, badType));
      expect(r.ok === false && r.code, badType).toBe('BAD_TYPE_CODE');
    }
  });

  it('reports structural problems as MALFORMED', () => {
    const malformed = [
      example.replace('1.2.156.3005.2', '1.2.156.3005.3'),
      example.replace('.2430599.', '.'),
      `${example}.0`,
      example.replace('2430599', ''),
      example.replace('2430599', 'A'.repeat(33)),
      example.replace('.001.', '.01.'),
      example.replace('.001.', '.00A.'),
      `${example}F`,
      example.toLowerCase(),
      example.replace(/\./g, '-'),
      ` ${example}`,
    ];
    for (const id of malformed) {
      const r = parseLicenceId(id);
      expect(r.ok === false && r.code, id).toBe('MALFORMED');
    }
  });

  it('rejects absurd input without throwing, with short reasons that do not echo it', () => {
    for (const input of ABSURD_INPUTS) {
      let r: ReturnType<typeof parseLicenceId> | undefined;
      expect(() => {
        r = parseLicenceId(input as string);
      }).not.toThrow();
      expect(r?.ok).toBe(false);
      if (r && !r.ok) {
        expect(r.reason.length).toBeLessThan(200);
        expect(r.reason).not.toContain('DROP');
      }
    }
  });

  it('refuses to build an identifier from invalid parts', () => {
    const good = { typeCode, issuerCode, serial: '2430599', version: '001' };
    expect(buildLicenceId(good)).toBe(example);
    expect(() => buildLicenceId({ ...good, serial: '' })).toThrow(RangeError);
    expect(() => buildLicenceId({ ...good, serial: 'abc' })).toThrow(RangeError);
    expect(() => buildLicenceId({ ...good, version: '1' })).toThrow(RangeError);
    expect(() => buildLicenceId({ ...good, issuerCode: '11220000013544541K' })).toThrow(/issuing authority/);
    expect(() => buildLicenceId({ ...good, typeCode: '11100000000013338W' })).toThrow(/type code/);
  });
});
