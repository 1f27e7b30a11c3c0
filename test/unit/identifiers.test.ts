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

  it('gives literal check characters for empty, one-character and two-character data', () => {
    expect(mod3736CheckChar('')).toBe('1');
    expect(mod3736CheckChar('0')).toBe('2');
    expect(mod3736CheckChar('A')).toBe('H');
    expect(mod3736CheckChar('HT')).toBe('K');
  });

  it('names the first character outside the alphabet in its refusal', () => {
    const refusal = (ch: string) => new RangeError(`character "${ch}" is outside the ISO 7064 MOD 37,36 alphabet 0-9A-Z`);
    expect(() => mod3736CheckChar('AB-12')).toThrow(refusal('-'));
    expect(() => mod3736CheckChar('-AB12')).toThrow(refusal('-'));
    expect(() => mod3736CheckChar('AB12-')).toThrow(refusal('-'));
    expect(() => mod3736CheckChar('straße')).toThrow(refusal('ß'));
    expect(() => mod3736CheckChar('ı')).toThrow(refusal('ı'));
  });

  it('accepts the shortest checkable string, one data character and its check character', () => {
    expect(isValidMod3736('AH')).toBe(true);
    expect(isValidMod3736('ah')).toBe(true);
    expect(isValidMod3736('AG')).toBe(false);
    // '1' alone would be the check character of empty data; a lone character is not checkable.
    expect(isValidMod3736('1')).toBe(false);
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

  it('rejects wrong lengths with a reason naming the length given', () => {
    expect(parseCitizenId('')).toEqual({
      ok: false,
      reason: 'A citizen ID number must be 18 characters long, but 0 were given.',
    });
    expect(parseCitizenId('11010519491231002')).toEqual({
      ok: false,
      reason: 'A citizen ID number must be 18 characters long, but 17 were given.',
    });
    expect(parseCitizenId('11010519491231002X0')).toEqual({
      ok: false,
      reason: 'A citizen ID number must be 18 characters long, but 19 were given.',
    });
  });

  it('rejects something that is not a string', () => {
    expect(parseCitizenId(42 as unknown as string)).toEqual({ ok: false, reason: 'A citizen ID number must be a string.' });
    expect(parseCitizenId(null as unknown as string)).toEqual({ ok: false, reason: 'A citizen ID number must be a string.' });
  });

  it('rejects non-digit characters, and an X anywhere but last', () => {
    const reason =
      'A citizen ID number must consist of 17 digits followed by a digit or X; it contains a non-digit character.';
    for (const id of ['1101051949123100XX', 'A1010519491231002X', '110105-9491231002X', '11010519491231002Y', 'X10105194912310021']) {
      expect(parseCitizenId(id), id).toEqual({ ok: false, reason });
    }
  });

  it('rejects a wrong check character and says which one was expected', () => {
    expect(parseCitizenId('110105194912310021')).toEqual({
      ok: false,
      reason: "The check character is '1' but expected 'X'.",
    });
    // A typed lower-case x is reported upper-cased.
    expect(parseCitizenId('31010419991231017x')).toEqual({
      ok: false,
      reason: "The check character is 'X' but expected '0'.",
    });
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

  it('makes IDs with the lowest and highest sequence numbers', () => {
    expect(makeCitizenId('310104', '1999-12-31', 0)).toBe('310104199912310007');
    expect(makeCitizenId('310104', '1999-12-31', 999)).toBe('310104199912319992');
    expect(makeCitizenId('310104', '1800-01-01', 1)).toBe('310104180001010011');
    expect(makeCitizenId('310104', '2000-02-29', 17)).toBe('31010420000229017X');
  });

  it('refuses to make an ID from invalid parts, saying which part', () => {
    const division = new RangeError('division code must be exactly 6 digits');
    expect(() => makeCitizenId('11010', '1949-12-31', 2)).toThrow(division);
    expect(() => makeCitizenId('1101051', '1949-12-31', 2)).toThrow(division);
    expect(() => makeCitizenId('11010A', '1949-12-31', 2)).toThrow(division);
    const form = new RangeError('birth date must be in YYYY-MM-DD form');
    expect(() => makeCitizenId('110105', '19491231', 2)).toThrow(form);
    expect(() => makeCitizenId('110105', '1949-12-31T00', 2)).toThrow(form);
    expect(() => makeCitizenId('110105', 'x1949-12-31', 2)).toThrow(form);
    expect(() => makeCitizenId('110105', '1999-02-30', 2)).toThrow(
      new RangeError('The birth date 1999-02-30 is not a real calendar date.'),
    );
    expect(() => makeCitizenId('110105', '1799-12-31', 2)).toThrow(
      new RangeError('The birth year 1799 is before 1800, which is not plausible.'),
    );
    for (const sequence of [1000, -1, 1.5, Number.NaN]) {
      expect(() => makeCitizenId('110105', '1949-12-31', sequence), String(sequence)).toThrow(
        new RangeError('sequence must be an integer from 0 to 999'),
      );
    }
  });

  it('refuses to compute a check character from anything but 17 digits', () => {
    const refusal = new RangeError('the first 17 characters of a citizen ID number must be exactly 17 digits');
    for (const bad of ['1101051949123100', '110105194912310021', '1101051949123100X', ' 11010519491231002']) {
      expect(() => citizenIdCheckChar(bad), bad).toThrow(refusal);
    }
    expect(() => citizenIdCheckChar(11010519491231002 as unknown as string)).toThrow(refusal);
  });

  it('rejects absurd input without throwing', () => {
    for (const input of ABSURD_INPUTS) {
      expect(() => parseCitizenId(input as string)).not.toThrow();
      expect(isValidCitizenId(input as string)).toBe(false);
    }
  });
});

describe('GB 11643 birth date validity', () => {
  /** A day after every date these calendar checks use. */
  const LATER = '2199-12-31';
  // Each ID is 310104 + date + sequence 017 + its correct check character, so only the date
  // can make it invalid.
  it.each([
    ['1999-01-01', '310104199901010172'],
    ['1999-01-31', '310104199901310175'],
    ['1999-02-28', '310104199902280174'],
    ['1999-03-31', '310104199903310179'],
    ['1999-04-30', '310104199904300175'],
    ['1999-05-31', '310104199905310172'],
    ['1999-06-30', '310104199906300179'],
    ['1999-07-31', '310104199907310176'],
    ['1999-08-31', '310104199908310178'],
    ['1999-09-30', '310104199909300174'],
    ['1999-10-31', '310104199910310177'],
    ['1999-11-30', '310104199911300173'],
    ['1999-12-01', '310104199912010178'],
    ['1999-12-31', '310104199912310170'],
    ['1800-01-01', '310104180001010177'],
    ['1900-02-28', '310104190002280178'],
    ['2100-02-28', '310104210002280173'],
  ])('accepts a holder born on %s', (date, id) => {
    expect(referenceCitizenCheck(id.slice(0, 17))).toBe(id.charAt(17));
    // The calendar's rules, checked as of a day after every date here.
    expect(parseCitizenId(id, LATER)).toEqual({ ok: true, divisionCode: '310104', provinceCode: '31', birthDate: date, sex: 'male' });
  });

  it('accepts a holder born today or before, and refuses one born tomorrow (China dates)', () => {
    const today = '2026-12-03';
    expect(parseCitizenId('310104202612020176', today)).toMatchObject({ ok: true, birthDate: '2026-12-02' });
    expect(parseCitizenId('310104202612030171', today)).toMatchObject({ ok: true, birthDate: '2026-12-03' });
    expect(parseCitizenId('310104202612040177', today)).toEqual({ ok: false, reason: 'The birth date 2026-12-04 is after today (2026-12-03).' });
    expect(parseCitizenId('310104202701010172', today)).toEqual({ ok: false, reason: 'The birth date 2027-01-01 is after today (2026-12-03).' });
    expect(makeCitizenId('310104', '2026-12-03', 17, today)).toBe('310104202612030171');
    expect(() => makeCitizenId('310104', '2026-12-04', 17, today)).toThrow(new RangeError('The birth date 2026-12-04 is after today (2026-12-03).'));
  });

  it('takes today in China by default: a birth date a year ahead is refused', () => {
    const nextYear = new Date(Date.now() + 8 * 3600_000 + 366 * 86_400_000).toISOString().slice(0, 10);
    const id = makeCitizenId('310104', nextYear, 17, LATER);
    expect(parseCitizenId(id)).toMatchObject({ ok: false, reason: expect.stringMatching(/^The birth date \d{4}-\d{2}-\d{2} is after today \(\d{4}-\d{2}-\d{2}\)\.$/) });
    expect(isValidCitizenId(id)).toBe(false);
  });

  it.each([
    ['2000 (divisible by 400)', '31010420000229017X', '2000-02-29'],
    ['2024 (divisible by 4)', '310104202402290178', '2024-02-29'],
    ['1996 (divisible by 4)', '310104199602290178', '1996-02-29'],
  ])('accepts 29 February in the leap year %s', (_year, id, date) => {
    expect(parseCitizenId(id)).toMatchObject({ ok: true, birthDate: date });
  });

  it.each([
    ['1900 (a century not divisible by 400)', '310104190002290173', '1900-02-29'],
    ['2100 (a century not divisible by 400)', '310104210002290179', '2100-02-29'],
    ['2023', '310104202302290170', '2023-02-29'],
    ['1999', '31010419990229017X', '1999-02-29'],
  ])('refuses 29 February in the common year %s', (_year, id, shown) => {
    expect(referenceCitizenCheck(id.slice(0, 17))).toBe(id.charAt(17));
    expect(parseCitizenId(id)).toEqual({ ok: false, reason: `The birth date ${shown} is not a real calendar date.` });
  });

  it.each([
    ['30 February in a leap year', '31010420240230017X', '2024-02-30'],
    ['31 April', '310104199904310170', '1999-04-31'],
    ['31 June', '310104199906310174', '1999-06-31'],
    ['31 September', '31010419990931017X', '1999-09-31'],
    ['31 November', '310104199911310179', '1999-11-31'],
    ['32 January', '310104199901320170', '1999-01-32'],
    ['32 March', '310104199903320174', '1999-03-32'],
    ['32 May', '310104199905320178', '1999-05-32'],
    ['32 July', '310104199907320171', '1999-07-32'],
    ['32 August', '310104199908320173', '1999-08-32'],
    ['32 October', '310104199910320172', '1999-10-32'],
    ['32 December', '310104199912320176', '1999-12-32'],
    ['day 00', '310104199901000177', '1999-01-00'],
    ['month 00', '310104199900010170', '1999-00-01'],
    ['month 13', '31010419991301017X', '1999-13-01'],
  ])('refuses %s as not a real calendar date', (_what, id, shown) => {
    expect(referenceCitizenCheck(id.slice(0, 17))).toBe(id.charAt(17));
    expect(parseCitizenId(id)).toEqual({ ok: false, reason: `The birth date ${shown} is not a real calendar date.` });
  });

  it('refuses birth years before 1800, the year before the earliest accepted one', () => {
    expect(parseCitizenId('310104179912310172')).toEqual({
      ok: false,
      reason: 'The birth year 1799 is before 1800, which is not plausible.',
    });
    expect(parseCitizenId('310104000001010176')).toEqual({
      ok: false,
      reason: 'The birth year 0 is before 1800, which is not plausible.',
    });
  });

  it('reads sex from the parity of the sequence number', () => {
    expect(parseCitizenId('310104200002290188')).toMatchObject({ ok: true, sex: 'female' });
    expect(parseCitizenId('31010420000229017X')).toMatchObject({ ok: true, sex: 'male' });
    expect(parseCitizenId('310104199912310007')).toMatchObject({ ok: true, sex: 'female' });
    expect(parseCitizenId('310104199912319992')).toMatchObject({ ok: true, sex: 'male' });
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

  it('gives every possible check character for literal bodies, including X (remainder 1) and 0 (remainder 0)', () => {
    expect(orgCodeCheckChar('HT000000')).toBe('X');
    expect(orgCodeCheckChar('HT000005')).toBe('0');
    expect(orgCodeCheckChar('HT000018')).toBe('1');
    expect(orgCodeCheckChar('HT000004')).toBe('2');
    expect(orgCodeCheckChar('HT000009')).toBe('3');
    expect(orgCodeCheckChar('HT000003')).toBe('4');
    expect(orgCodeCheckChar('HT000008')).toBe('5');
    expect(orgCodeCheckChar('HT000002')).toBe('6');
    expect(orgCodeCheckChar('HT000007')).toBe('7');
    expect(orgCodeCheckChar('HT000001')).toBe('8');
    expect(orgCodeCheckChar('HT000006')).toBe('9');
  });

  it('throws on a malformed body', () => {
    const refusal = new RangeError('an organisation code body must be exactly 8 characters of 0-9 or A-Z');
    for (const bad of ['', 'D214356', 'D21435699', 'd2143569', 'D214356-', ' D2143569', 'D2143569 ']) {
      expect(() => orgCodeCheckChar(bad), bad).toThrow(refusal);
    }
    expect(() => orgCodeCheckChar(12345678 as unknown as string)).toThrow(refusal);
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

  it('splits a valid code into its parts', () => {
    expect(parseUscc('91350100M000100Y43')).toEqual({
      ok: true,
      registrationAuthority: '9',
      category: '1',
      divisionCode: '350100',
      provinceCode: '35',
      orgCode: 'M000100Y4',
    });
    expect(parseUscc('11310100HT0000A11W')).toEqual({
      ok: true,
      registrationAuthority: '1',
      category: '1',
      divisionCode: '310100',
      provinceCode: '31',
      orgCode: 'HT0000A11',
    });
  });

  it('gives the check characters 0 and Y at the ends of the alphabet', () => {
    expect(usccCheckChar('00000000000000000')).toBe('0');
    expect(usccCheckChar('10000000000000000')).toBe('Y');
    expect(usccCheckChar('01000000000000000')).toBe('W');
    expect(isValidUscc('000000000000000000')).toBe(true);
  });

  it('refuses to compute a check character from anything but 17 alphabet characters', () => {
    const refusal = new RangeError(
      'the first 17 characters of a unified social credit code must be 17 characters of 0123456789ABCDEFGHJKLMNPQRTUWXY',
    );
    for (const bad of ['0000000000000000', '000000000000000000', '0000000000000000I', '0000000000000000a']) {
      expect(() => usccCheckChar(bad), bad).toThrow(refusal);
    }
    expect(() => usccCheckChar(Array.from({ length: 17 }, () => '0') as unknown as string)).toThrow(refusal);
  });

  it('rejects I, O, S, V, Z and lower-case letters, naming the position', () => {
    const valid = '91350100M000100Y43';
    for (const c of ['I', 'O', 'S', 'V', 'Z', 'm']) {
      expect(parseUscc(valid.slice(0, 8) + c + valid.slice(9)), c).toEqual({
        ok: false,
        reason: `Character 9 of the unified social credit code is "${c}", which is not one of 0123456789ABCDEFGHJKLMNPQRTUWXY.`,
      });
    }
    expect(parseUscc('Z1350100M000100Y43')).toEqual({
      ok: false,
      reason: 'Character 1 of the unified social credit code is "Z", which is not one of 0123456789ABCDEFGHJKLMNPQRTUWXY.',
    });
    expect(parseUscc('91350100M000100Y4-')).toEqual({
      ok: false,
      reason: 'Character 18 of the unified social credit code is "-", which is not one of 0123456789ABCDEFGHJKLMNPQRTUWXY.',
    });
  });

  it('rejects wrong lengths with a reason naming the length given', () => {
    expect(parseUscc('')).toEqual({
      ok: false,
      reason: 'A unified social credit code must be 18 characters long, but 0 were given.',
    });
    expect(parseUscc('91350100M000100Y4')).toEqual({
      ok: false,
      reason: 'A unified social credit code must be 18 characters long, but 17 were given.',
    });
    expect(parseUscc('91350100M000100Y433')).toEqual({
      ok: false,
      reason: 'A unified social credit code must be 18 characters long, but 19 were given.',
    });
  });

  it('rejects something that is not a string', () => {
    expect(parseUscc(42 as unknown as string)).toEqual({ ok: false, reason: 'A unified social credit code must be a string.' });
  });

  it('rejects a division code with a letter in it', () => {
    expect(referenceUsccCheck('91A50100M000100Y4')).toBe('2');
    expect(parseUscc('91A50100M000100Y42')).toEqual({
      ok: false,
      reason: "The administrative division code 'A50100' in a unified social credit code must be 6 digits.",
    });
    const lastDigitLetter = `9135010AM000100Y4${referenceUsccCheck('9135010AM000100Y4')}`;
    expect(parseUscc(lastDigitLetter)).toEqual({
      ok: false,
      reason: "The administrative division code '35010A' in a unified social credit code must be 6 digits.",
    });
  });

  it('rejects a bad embedded organisation-code check character', () => {
    expect(referenceUsccCheck('91350100M000100Y5')).toBe('6');
    expect(parseUscc('91350100M000100Y56')).toEqual({
      ok: false,
      reason: "The organisation code check character is '5' but expected '4'.",
    });
  });

  it('rejects a bad final check character and says which one was expected', () => {
    expect(parseUscc('91350100M000100Y44')).toEqual({ ok: false, reason: "The check character is '4' but expected '3'." });
  });

  it('makes a code whose organisation check character is X', () => {
    const made = makeUscc('1', '1', '310100', 'HT000000');
    expect(made.slice(0, 17)).toBe('11310100HT000000X');
    expect(made.charAt(17)).toBe(referenceUsccCheck('11310100HT000000X'));
    expect(parseUscc(made)).toMatchObject({ ok: true, orgCode: 'HT000000X' });
  });

  it('refuses to make a code from invalid parts, saying which part', () => {
    const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    const authority = new RangeError(`registration authority must be one character of ${alphabet}`);
    expect(() => makeUscc('', '1', '350100', 'M000100Y')).toThrow(authority);
    expect(() => makeUscc('91', '1', '350100', 'M000100Y')).toThrow(authority);
    expect(() => makeUscc('I', '1', '350100', 'M000100Y')).toThrow(authority);
    const category = new RangeError(`organisation category must be one character of ${alphabet}`);
    expect(() => makeUscc('9', '', '350100', 'M000100Y')).toThrow(category);
    expect(() => makeUscc('9', '11', '350100', 'M000100Y')).toThrow(category);
    expect(() => makeUscc('9', 'O', '350100', 'M000100Y')).toThrow(category);
    const division = new RangeError('division code must be exactly 6 digits');
    expect(() => makeUscc('9', '1', '35010', 'M000100Y')).toThrow(division);
    expect(() => makeUscc('9', '1', '3501000', 'M000100Y')).toThrow(division);
    expect(() => makeUscc('9', '1', '35010A', 'M000100Y')).toThrow(division);
    const body = new RangeError(`organisation code body must be 8 characters of ${alphabet}`);
    expect(() => makeUscc('9', '1', '350100', 'M000100')).toThrow(body);
    expect(() => makeUscc('9', '1', '350100', 'M000100Y4')).toThrow(body);
    // Z is a valid GB 11714 character but outside the USCC alphabet.
    expect(() => makeUscc('9', '1', '350100', 'M000100Z')).toThrow(body);
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

  it('refuses a wrong issuer check character as BAD_ISSUER_CODE, quoting the nested reason as a clause', () => {
    expect(parseLicenceId(example.replace(issuerCode, '11220000013544541K'))).toEqual({
      ok: false,
      code: 'BAD_ISSUER_CODE',
      reason:
        "issuing authority code '11220000013544541K' is not a valid unified social credit code: the check character is 'K' but expected 'J'",
    });
    expect(parseLicenceId(example.replace(issuerCode, '1122000001354454IJ'))).toEqual({
      ok: false,
      code: 'BAD_ISSUER_CODE',
      reason:
        "issuing authority code '1122000001354454IJ' is not a valid unified social credit code: character 17 of the unified social credit code is \"I\", which is not one of 0123456789ABCDEFGHJKLMNPQRTUWXY",
    });
  });

  it('refuses an issuer code of the wrong length as BAD_ISSUER_CODE', () => {
    const reason = 'issuing authority code must be an 18-character unified social credit code';
    expect(parseLicenceId(example.replace(issuerCode, '1122000001354454'))).toEqual({
      ok: false,
      code: 'BAD_ISSUER_CODE',
      reason,
    });
    expect(parseLicenceId(example.replace(issuerCode, '11220000013544541J0'))).toEqual({
      ok: false,
      code: 'BAD_ISSUER_CODE',
      reason,
    });
  });

  it('refuses a type code with a corrupted authority as BAD_TYPE_CODE', () => {
    expect(parseLicenceId(example.replace(typeCode, '11100000000013338X032'))).toEqual({
      ok: false,
      code: 'BAD_TYPE_CODE',
      reason:
        "licence type code '11100000000013338X032' does not start with a valid unified social credit code: the check character is 'X' but expected 'W'",
    });
  });

  it('refuses a type code of the wrong length as BAD_TYPE_CODE', () => {
    const reason =
      'licence type code must be 21 characters (an 18-character unified social credit code and a 3-digit sequence)';
    for (const badType of ['11100000000013338W03', '11100000000013338W0321']) {
      expect(parseLicenceId(example.replace(typeCode, badType)), badType).toEqual({
        ok: false,
        code: 'BAD_TYPE_CODE',
        reason,
      });
    }
  });

  it('refuses a type code whose sequence is not 3 digits as BAD_TYPE_CODE', () => {
    for (const badType of ['11100000000013338W0A2', '11100000000013338WA32', '11100000000013338W03A']) {
      expect(parseLicenceId(example.replace(typeCode, badType)), badType).toEqual({
        ok: false,
        code: 'BAD_TYPE_CODE',
        reason: `licence type code '${badType}' must end with a 3-digit sequence number`,
      });
    }
  });

  it.each([
    ['the wrong prefix', example.replace('1.2.156.3005.2', '1.2.156.3005.3'), "identifier must start with '1.2.156.3005.2.'"],
    ['the prefix run into the type code', example.replace('1.2.156.3005.2.', '1.2.156.3005.2'), "identifier must start with '1.2.156.3005.2.'"],
    [
      'a missing field',
      example.replace('.2430599.', '.'),
      "identifier must have 5 dot-separated fields after '1.2.156.3005.2' (type, issuer, serial, version, check) but has 4",
    ],
    [
      'an extra field',
      `${example}.0`,
      "identifier must have 5 dot-separated fields after '1.2.156.3005.2' (type, issuer, serial, version, check) but has 6",
    ],
    ['an empty serial', example.replace('2430599', ''), 'identifier serial number must be 1 to 32 characters of 0-9 or A-Z'],
    ['a 2-digit version', example.replace('.001.', '.01.'), 'identifier version must be exactly 3 digits'],
    ['a 4-digit version', example.replace('.001.', '.0001.'), 'identifier version must be exactly 3 digits'],
    ['a letter in the version', example.replace('.001.', '.00A.'), 'identifier version must be exactly 3 digits'],
    ['a two-character check', `${example}F`, 'identifier check character must be a single character of 0-9 or A-Z'],
    ['an empty check', example.slice(0, -1), 'identifier check character must be a single character of 0-9 or A-Z'],
    ['lower-case letters', example.toLowerCase(), 'identifier must use upper-case letters only'],
    ['dashes for dots', example.replace(/\./g, '-'), 'identifier may contain only digits, upper-case letters A-Z and dots'],
    ['a leading space', ` ${example}`, 'identifier may contain only digits, upper-case letters A-Z and dots'],
    ['nothing at all', '', 'identifier is empty'],
  ])('refuses %s as MALFORMED', (_what, id, reason) => {
    expect(parseLicenceId(id)).toEqual({ ok: false, code: 'MALFORMED', reason });
  });

  it('refuses something that is not a string as MALFORMED', () => {
    expect(parseLicenceId(42 as unknown as string)).toEqual({
      ok: false,
      code: 'MALFORMED',
      reason: 'identifier must be a string',
    });
  });

  it('checks the serial before the type code and the format of the check character before both', () => {
    const badSerialAndType = example.replace('2430599', '').replace(typeCode, '11100000000013338X032');
    expect(parseLicenceId(badSerialAndType)).toMatchObject({ code: 'MALFORMED' });
    expect(parseLicenceId(`${example.replace(typeCode, '11100000000013338X032')}F`)).toEqual({
      ok: false,
      code: 'MALFORMED',
      reason: 'identifier check character must be a single character of 0-9 or A-Z',
    });
  });

  it('accepts the longest identifier, 94 characters with a 32-character serial, and refuses one character more', () => {
    const longest = '1.2.156.3005.2.11100000000013338W032.11310100HT0000A11W.0123456789ABCDEFGHIJKLMNOPQRSTUV.999.N';
    expect(longest).toHaveLength(94);
    expect(parseLicenceId(longest)).toMatchObject({
      ok: true,
      parts: { serial: '0123456789ABCDEFGHIJKLMNOPQRSTUV', version: '999', check: 'N', provinceCode: '31' },
    });
    const tooLong = longest.replace('.999.', '.9999.');
    expect(parseLicenceId(tooLong)).toEqual({
      ok: false,
      code: 'MALFORMED',
      reason: 'identifier is 95 characters long but at most 94 are allowed',
    });
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

  it('builds the provincial example and the longest identifier literally', () => {
    expect(buildLicenceId({ typeCode, issuerCode, serial: '2430599', version: '001' })).toBe(example);
    expect(
      buildLicenceId({
        typeCode,
        issuerCode: '11310100HT0000A11W',
        serial: '0123456789ABCDEFGHIJKLMNOPQRSTUV',
        version: '999',
      }),
    ).toBe('1.2.156.3005.2.11100000000013338W032.11310100HT0000A11W.0123456789ABCDEFGHIJKLMNOPQRSTUV.999.N');
  });

  it('refuses to build an identifier from invalid parts, saying which part', () => {
    const good = { typeCode, issuerCode, serial: '2430599', version: '001' };
    const serial = new RangeError('identifier serial number must be 1 to 32 characters of 0-9 or A-Z');
    expect(() => buildLicenceId({ ...good, serial: '' })).toThrow(serial);
    expect(() => buildLicenceId({ ...good, serial: 'abc' })).toThrow(serial);
    expect(() => buildLicenceId({ ...good, serial: 'A'.repeat(33) })).toThrow(serial);
    expect(() => buildLicenceId({ ...good, serial: 2430599 as unknown as string })).toThrow(serial);
    const version = new RangeError('identifier version must be exactly 3 digits');
    expect(() => buildLicenceId({ ...good, version: '1' })).toThrow(version);
    expect(() => buildLicenceId({ ...good, version: 123 as unknown as string })).toThrow(version);
    expect(() => buildLicenceId({ ...good, issuerCode: '11220000013544541K' })).toThrow(
      new RangeError(
        "issuing authority code '11220000013544541K' is not a valid unified social credit code: the check character is 'K' but expected 'J'",
      ),
    );
    // Only the final full stop of the nested reason is dropped, not the quoted dot.
    expect(() => buildLicenceId({ ...good, issuerCode: '1122000001354454.J' })).toThrow(
      new RangeError(
        'issuing authority code \'1122000001354454.J\' is not a valid unified social credit code: character 17 of the unified social credit code is ".", which is not one of 0123456789ABCDEFGHJKLMNPQRTUWXY',
      ),
    );
    const issuerLength = new RangeError('issuing authority code must be an 18-character unified social credit code');
    expect(() => buildLicenceId({ ...good, issuerCode: [...issuerCode] as unknown as string })).toThrow(issuerLength);
    const typeLength = new RangeError(
      'licence type code must be 21 characters (an 18-character unified social credit code and a 3-digit sequence)',
    );
    expect(() => buildLicenceId({ ...good, typeCode: '11100000000013338W' })).toThrow(typeLength);
    expect(() => buildLicenceId({ ...good, typeCode: [...typeCode] as unknown as string })).toThrow(typeLength);
  });
});
