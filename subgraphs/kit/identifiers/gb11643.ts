// GB 11643 citizen identity number: 6-digit administrative division code,
// 8-digit birth date YYYYMMDD, 3-digit sequence (odd = male, even = female)
// and a check character over the first 17 digits.
import { todayInChina } from '../days.js';

export type CitizenIdParseResult =
  | { ok: true; divisionCode: string; provinceCode: string; birthDate: string; sex: 'male' | 'female' }
  | { ok: false; reason: string };

// Weight of the i-th digit from the left (i = 0..16) is 2^(17-i) mod 11.
const WEIGHTS: readonly number[] = Array.from({ length: 17 }, (_, i) => 2 ** (17 - i) % 11);
// Check value is (12 - sum mod 11) mod 11, with 10 written as 'X'; indexed here by sum mod 11.
const CHECK_BY_REMAINDER = '10X98765432';

// The standard dates from 1999 but re-issued numbers of people born in the
// 19th century exist; earlier years cannot belong to a living holder.
const MIN_BIRTH_YEAR = 1800;

/** Computes the GB 11643 check character ('0'-'9' or 'X') for the first 17 digits. Throws on malformed input. */
export function citizenIdCheckChar(first17: string): string {
  if (typeof first17 !== 'string' || !/^[0-9]{17}$/.test(first17)) {
    throw new RangeError('the first 17 characters of a citizen ID number must be exactly 17 digits');
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17.charAt(i)) * (WEIGHTS[i] ?? 0);
  return CHECK_BY_REMAINDER.charAt(sum % 11);
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/**
 * Returns null when YYYYMMDD is a real calendar date in range, no later than `today` (China
 * dates: a child born today may be given its number today), otherwise an explanation.
 */
function birthDateProblem(yyyymmdd: string, today: string): string | null {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  const shown = `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
  if (y < MIN_BIRTH_YEAR) return `The birth year ${y} is before ${MIN_BIRTH_YEAR}, which is not plausible.`;
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return `The birth date ${shown} is not a real calendar date.`;
  if (shown > today) return `The birth date ${shown} is after today (${today}).`;
  return null;
}

/**
 * Builds a citizen ID number. `birthDate` is YYYY-MM-DD, no later than `today`, and `sequence`
 * is 0..999 (its parity encodes sex). Throws RangeError on invalid input.
 */
export function makeCitizenId(divisionCode: string, birthDate: string, sequence: number, today = todayInChina()): string {
  if (!/^[0-9]{6}$/.test(divisionCode)) throw new RangeError('division code must be exactly 6 digits');
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(birthDate);
  if (!m) throw new RangeError('birth date must be in YYYY-MM-DD form');
  const compact = `${m[1]}${m[2]}${m[3]}`;
  const problem = birthDateProblem(compact, today);
  if (problem) throw new RangeError(problem);
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 999) {
    throw new RangeError('sequence must be an integer from 0 to 999');
  }
  const first17 = `${divisionCode}${compact}${String(sequence).padStart(3, '0')}`;
  return first17 + citizenIdCheckChar(first17);
}

/**
 * Parses and validates a citizen ID number, whose holder was born by `today` (a China date).
 * Accepts a lower-case 'x', which is common in typed input. Never throws.
 */
export function parseCitizenId(id: string, today = todayInChina()): CitizenIdParseResult {
  if (typeof id !== 'string') return { ok: false, reason: 'A citizen ID number must be a string.' };
  if (id.length !== 18) {
    return { ok: false, reason: `A citizen ID number must be 18 characters long, but ${id.length} were given.` };
  }
  if (!/^[0-9]{17}[0-9Xx]$/.test(id)) {
    return {
      ok: false,
      reason: 'A citizen ID number must consist of 17 digits followed by a digit or X; it contains a non-digit character.',
    };
  }
  const problem = birthDateProblem(id.slice(6, 14), today);
  if (problem) return { ok: false, reason: problem };
  const expected = citizenIdCheckChar(id.slice(0, 17));
  const actual = id.charAt(17).toUpperCase();
  if (actual !== expected) {
    return { ok: false, reason: `The check character is '${actual}' but expected '${expected}'.` };
  }
  return {
    ok: true,
    divisionCode: id.slice(0, 6),
    provinceCode: id.slice(0, 2),
    birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
    sex: Number(id.charAt(16)) % 2 === 1 ? 'male' : 'female',
  };
}

/** True when `id` is a well-formed citizen ID number with a correct check character. Never throws. */
export function isValidCitizenId(id: string): boolean {
  return parseCitizenId(id).ok;
}
