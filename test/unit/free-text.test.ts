import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkFreeText, freeTextProblem } from '../../subgraphs/kit/text.js';

/** The refusal checkFreeText throws, or undefined when it accepts the text. */
function refusal(field: string, value: string, max: number): GraphQLError | undefined {
  try {
    checkFreeText(field, value, max);
    return undefined;
  } catch (error) {
    return error as GraphQLError;
  }
}

describe('free text a caller writes', () => {
  describe('is refused when empty', () => {
    it.each([
      ['nothing at all', ''],
      ['a single space', ' '],
      ['only spaces, tabs and line breaks', ' \t\r\n '],
      ['an ideographic space', '\u3000'],
    ])('%s', (_what, value) => {
      expect(freeTextProblem(value, 500)).toBe('must not be empty');
    });

    it('even when the limit is zero, emptiness is what is reported', () => {
      expect(freeTextProblem('', 0)).toBe('must not be empty');
    });

    it('but one visible character is enough', () => {
      expect(freeTextProblem('x', 500)).toBeNull();
      expect(freeTextProblem(' x ', 500)).toBeNull();
    });
  });

  describe('is limited in length, counted in UTF-16 code units', () => {
    it('accepts text exactly at the limit', () => {
      expect(freeTextProblem('abcde', 5)).toBeNull();
    });

    it('refuses text one over the limit', () => {
      expect(freeTextProblem('abcdef', 5)).toBe('must be at most 5 characters');
    });

    it('accepts text one under the limit', () => {
      expect(freeTextProblem('abcd', 5)).toBeNull();
    });

    it('counts an emoji outside the BMP as two units', () => {
      expect(freeTextProblem('😀', 2)).toBeNull();
      expect(freeTextProblem('😀', 1)).toBe('must be at most 1 characters');
    });

    it('reports the length before any control character', () => {
      expect(freeTextProblem('ab\u0000cd', 3)).toBe('must be at most 3 characters');
    });
  });

  describe('is refused when it holds a control character', () => {
    it.each([
      ['NUL', '\u0000'],
      ['U+0001', '\u0001'],
      ['backspace U+0008', '\u0008'],
      ['vertical tab U+000B', '\u000B'],
      ['form feed U+000C', '\u000C'],
      ['U+000E', '\u000E'],
      ['unit separator U+001F', '\u001F'],
      ['delete U+007F', '\u007F'],
      ['escape U+001B', '\u001B'],
    ])('%s', (_what, control) => {
      expect(freeTextProblem(`before${control}after`, 500)).toBe('must not contain control characters');
    });

    it('reports a control character before a lone surrogate', () => {
      expect(freeTextProblem('a\u0001\uD800', 500)).toBe('must not contain control characters');
    });
  });

  describe('keeps ordinary whitespace and printable neighbours of the control ranges', () => {
    it.each([
      ['a tab', 'a\tb'],
      ['a line feed', 'a\nb'],
      ['a carriage return', 'a\r\nb'],
      ['a space and a tilde (U+0020, U+007E)', 'a ~b'],
      ['an exclamation mark (U+0021)', 'a!b'],
    ])('%s', (_what, value) => {
      expect(freeTextProblem(value, 500)).toBeNull();
    });
  });

  describe('is refused when it is not valid Unicode', () => {
    it.each([
      ['a lone high surrogate at the end', 'abc\uD800'],
      ['a lone high surrogate U+DBFF before a letter', '\uDBFFx'],
      ['a lone low surrogate at the start', '\uDC00abc'],
      ['a lone low surrogate U+DFFF after a letter', 'x\uDFFF'],
      ['a low surrogate before a high one (reversed pair)', 'a\uDC00\uD800b'],
      ['two high surrogates', '\uD83D\uD83D'],
    ])('%s', (_what, value) => {
      expect(freeTextProblem(value, 500)).toBe('must be valid Unicode text');
    });
  });

  describe('accepts what people really write', () => {
    it.each([
      ['an emoji', '地址无误 👍'],
      ['a family emoji joined with ZWJ', '👨‍👩‍👧'],
      ['the first and last astral characters', '\uD800\uDC00 \uDBFF\uDFFF'],
      ['right-to-left marks and overrides', 'שלום\u200F مرحبا \u202Eabc\u202C'],
      ['Chinese text', '山东省济南市历下区泉城路1号'],
      ['a rare CJK extension B character', '𠀋姓名'],
      ['full-width punctuation', '住址应为：济南市（历下区）。'],
    ])('%s', (_what, value) => {
      expect(freeTextProblem(value, 500)).toBeNull();
      expect(refusal('claim', value, 500)).toBeUndefined();
    });
  });

  describe('refusal', () => {
    it('names the field, the problem and the limit, as bad input with reason INVALID_TEXT', () => {
      const error = refusal('reason', '   ', 500);
      expect(error).toBeInstanceOf(GraphQLError);
      expect(error!.message).toBe('reason must not be empty (1–500 characters of text).');
      expect(error!.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'reason' });
    });

    it('reports a too long value with its limit', () => {
      const error = refusal('holderName', 'x'.repeat(101), 100);
      expect(error!.message).toBe('holderName must be at most 100 characters (1–100 characters of text).');
      expect(error!.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'holderName' });
    });

    it('reports a NUL as a control character', () => {
      expect(refusal('claim', 'a\u0000b', 1000)!.message).toBe('claim must not contain control characters (1–1000 characters of text).');
    });

    it('refuses a leading byte-order mark, which the embedded database would drop, and keeps one inside the text', () => {
      expect(freeTextProblem('\ufeff暂扣', 500)).toBe('must not start with a byte-order mark');
      expect(freeTextProblem('暂\ufeff扣', 500)).toBeNull();
      expect(freeTextProblem(' \ufeff暂扣', 500)).toBeNull();
    });

        it('reports a lone surrogate as invalid Unicode', () => {
      expect(refusal('claim', '\uD800', 1000)!.message).toBe('claim must be valid Unicode text (1–1000 characters of text).');
    });

    it('accepts text at the limit without throwing', () => {
      expect(refusal('reason', 'x'.repeat(500), 500)).toBeUndefined();
    });
  });
});
