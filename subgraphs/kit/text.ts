import { badInput } from './errors.js';

/**
 * Free text a caller writes that Hutong stores (reasons, claims, names, face values, usage
 * context): stored and returned exactly as sent, or refused here with a clear error. PostgreSQL
 * cannot store NUL in text, a lone UTF-16 surrogate has no UTF-8 form, and a leading byte-order
 * mark is dropped on the way back, so each would be altered or fail deep in SQL; other control characters have no place in a licence or a log line.
 */
const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a text cannot be stored, or null when it can. `max` counts UTF-16 code units. */
export function freeTextProblem(value: string, max: number): string | null {
  if (value.trim().length === 0) return 'must not be empty';
  if (value.length > max) return `must be at most ${max} characters`;
  if (controlCharacter.test(value)) return 'must not contain control characters';
  if (loneSurrogate.test(value)) return 'must be valid Unicode text';
  // A leading U+FEFF reads as a byte-order mark and is dropped by the embedded database's decoder.
  if (value.startsWith('\uFEFF')) return 'must not start with a byte-order mark';
  return null;
}

export function checkFreeText(field: string, value: string, max: number): void {
  const problem = freeTextProblem(value, max);
  if (problem) throw badInput(`${field} ${problem} (1–${max} characters of text).`, { reason: 'INVALID_TEXT', field });
}
