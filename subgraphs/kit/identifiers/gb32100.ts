// GB 32100 unified social credit code (USCC), 18 characters:
//   [0]     registration-authority code
//   [1]     organisation-category code
//   [2..7]  6-digit administrative division code (first two = province)
//   [8..16] GB 11714 organisation code (8 body characters + its own check character)
//   [17]    check character over the first 17 characters
// The whole code uses a 31-character alphabet that omits I, O, S, V and Z,
// which are easily confused with digits when handwritten.

export type UsccParseResult =
  | {
      ok: true;
      registrationAuthority: string;
      category: string;
      divisionCode: string;
      provinceCode: string;
      orgCode: string;
    }
  | { ok: false; reason: string };

const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
// Weight of position i is 3^i mod 31.
const USCC_WEIGHTS: readonly number[] = Array.from({ length: 17 }, (_, i) => {
  let w = 1;
  for (let k = 0; k < i; k++) w = (w * 3) % 31;
  return w;
});

// GB 11714 values 0-9 as themselves and A-Z as 10..35.
const ORG_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ORG_WEIGHTS: readonly number[] = [3, 7, 9, 10, 5, 8, 4, 2];

/** Computes the GB 11714 organisation-code check character ('0'-'9' or 'X') for 8 body characters of 0-9A-Z. Throws on malformed input. */
export function orgCodeCheckChar(body8: string): string {
  if (typeof body8 !== 'string' || !/^[0-9A-Z]{8}$/.test(body8)) {
    throw new RangeError('an organisation code body must be exactly 8 characters of 0-9 or A-Z');
  }
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += ORG_ALPHABET.indexOf(body8.charAt(i)) * (ORG_WEIGHTS[i] ?? 0);
  const c = 11 - (sum % 11);
  if (c === 10) return 'X';
  if (c === 11) return '0';
  return String(c);
}

function inUsccAlphabet(s: string): boolean {
  for (const ch of s) if (!USCC_ALPHABET.includes(ch)) return false;
  return true;
}

/** Computes the GB 32100 check character for the first 17 characters of a USCC. Throws on malformed input. */
export function usccCheckChar(first17: string): string {
  if (typeof first17 !== 'string' || first17.length !== 17 || !inUsccAlphabet(first17)) {
    throw new RangeError(`the first 17 characters of a unified social credit code must be 17 characters of ${USCC_ALPHABET}`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(first17.charAt(i)) * (USCC_WEIGHTS[i] ?? 0);
  return USCC_ALPHABET.charAt((31 - (sum % 31)) % 31);
}

/** Builds a USCC from its parts, computing both check characters. Throws RangeError on invalid parts. */
export function makeUscc(registrationAuthority: string, category: string, divisionCode: string, orgBody8: string): string {
  if (registrationAuthority.length !== 1 || !inUsccAlphabet(registrationAuthority)) {
    throw new RangeError(`registration authority must be one character of ${USCC_ALPHABET}`);
  }
  if (category.length !== 1 || !inUsccAlphabet(category)) {
    throw new RangeError(`organisation category must be one character of ${USCC_ALPHABET}`);
  }
  if (!/^[0-9]{6}$/.test(divisionCode)) throw new RangeError('division code must be exactly 6 digits');
  // The body sits inside the USCC, so it is bound by the narrower USCC alphabet.
  if (orgBody8.length !== 8 || !inUsccAlphabet(orgBody8)) {
    throw new RangeError(`organisation code body must be 8 characters of ${USCC_ALPHABET}`);
  }
  const first17 = `${registrationAuthority}${category}${divisionCode}${orgBody8}${orgCodeCheckChar(orgBody8)}`;
  return first17 + usccCheckChar(first17);
}

/** Parses and validates a USCC, including the embedded organisation-code check character. Never throws. */
export function parseUscc(code: string): UsccParseResult {
  if (typeof code !== 'string') return { ok: false, reason: 'A unified social credit code must be a string.' };
  if (code.length !== 18) {
    return { ok: false, reason: `A unified social credit code must be 18 characters long, but ${code.length} were given.` };
  }
  for (let i = 0; i < 18; i++) {
    const ch = code.charAt(i);
    if (!USCC_ALPHABET.includes(ch)) {
      return {
        ok: false,
        reason: `Character ${i + 1} of the unified social credit code is ${JSON.stringify(ch)}, which is not one of ${USCC_ALPHABET}.`,
      };
    }
  }
  const divisionCode = code.slice(2, 8);
  if (!/^[0-9]{6}$/.test(divisionCode)) {
    return { ok: false, reason: `The administrative division code '${divisionCode}' in a unified social credit code must be 6 digits.` };
  }
  const orgCode = code.slice(8, 17);
  const expectedOrg = orgCodeCheckChar(orgCode.slice(0, 8));
  if (orgCode.charAt(8) !== expectedOrg) {
    return {
      ok: false,
      reason: `The organisation code check character is '${orgCode.charAt(8)}' but expected '${expectedOrg}'.`,
    };
  }
  const expected = usccCheckChar(code.slice(0, 17));
  if (code.charAt(17) !== expected) {
    return { ok: false, reason: `The check character is '${code.charAt(17)}' but expected '${expected}'.` };
  }
  return {
    ok: true,
    registrationAuthority: code.charAt(0),
    category: code.charAt(1),
    divisionCode,
    provinceCode: divisionCode.slice(0, 2),
    orgCode,
  };
}

/** True when `code` is a well-formed USCC with correct check characters. Never throws. */
export function isValidUscc(code: string): boolean {
  return parseUscc(code).ok;
}
