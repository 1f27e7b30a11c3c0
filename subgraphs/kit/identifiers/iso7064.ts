// ISO 7064 MOD 37,36: the "hybrid" pure-system variant with M = 36 over the
// 36-character alphabet 0-9 (values 0..9) then A-Z (values 10..35). Hybrid
// systems catch every single-character substitution and most adjacent
// transpositions, which is why GB/T 36904 licence identifiers use it.

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const M = 36;

function valueOf(ch: string): number {
  const v = ALPHABET.indexOf(ch);
  // indexOf('') is 0, so guard single characters explicitly.
  // Stryker disable next-line ConditionalExpression,LogicalOperator,BlockStatement: unreachable today, mod3736CheckChar filters first
  if (ch.length !== 1 || v < 0) {
    // Stryker disable next-line StringLiteral: unreachable today, mod3736CheckChar filters first
    throw new RangeError(`character ${JSON.stringify(ch)} is outside the ISO 7064 MOD 37,36 alphabet 0-9A-Z`);
  }
  return v;
}

/** Runs the hybrid recurrence and returns the product carried after the last character. */
function carry(data: string): number {
  let p = M;
  for (const ch of data) {
    const s = (p + valueOf(ch)) % M;
    // A zero remainder is replaced by M so the product never collapses to 0.
    p = ((s === 0 ? M : s) * 2) % (M + 1);
  }
  return p;
}

/** Computes the MOD 37,36 check character for `data` (case-insensitive). Throws on characters outside 0-9A-Z. */
export function mod3736CheckChar(data: string): string {
  // Reject before upper-casing: toUpperCase maps e.g. 'ß' to 'SS' and 'ı' to 'I'.
  const bad = /[^0-9A-Za-z]/u.exec(data);
  if (bad) throw new RangeError(`character ${JSON.stringify(bad[0])} is outside the ISO 7064 MOD 37,36 alphabet 0-9A-Z`);
  const p = carry(data.toUpperCase());
  // The check character is the value that makes the final sum ≡ 1 (mod M).
  const check = (M + 1 - p) % M;
  return ALPHABET.charAt(check);
}

/** True when the last character is the correct MOD 37,36 check character for the rest. Never throws. */
export function isValidMod3736(dataWithCheck: string): boolean {
  if (typeof dataWithCheck !== 'string' || dataWithCheck.length < 2) return false;
  if (!/^[0-9A-Za-z]+$/.test(dataWithCheck)) return false;
  const upper = dataWithCheck.toUpperCase();
  return mod3736CheckChar(upper.slice(0, -1)) === upper.slice(-1);
}
