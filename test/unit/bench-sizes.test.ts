import { describe, expect, it } from 'vitest';
import { formatSize, formatVerdicts, parseSize, parseSizes, parseSizesOptions, SizesUsageError, type SizeRow } from '../../scripts/bench/sizes.js';

describe('the sizes of npm run bench -- --sizes', () => {
  it('reads whole numbers with an optional k or m, in either case', () => {
    expect(parseSize('1')).toBe(1);
    expect(parseSize('1k')).toBe(1_000);
    expect(parseSize('250K')).toBe(250_000);
    expect(parseSize('1m')).toBe(1_000_000);
    expect(parseSize('10m')).toBe(10_000_000);
    expect(parseSize('2500')).toBe(2_500);
  });

  it('refuses zero, negative numbers, fractions, other suffixes, garbage and more than 10m', () => {
    for (const bad of ['0', '0k', '-1k', '1.5m', '12x', '1g', 'k', 'ten', '', '10m1', '10000001', '11m']) {
      expect(() => parseSize(bad), bad).toThrow(SizesUsageError);
    }
    expect(() => parseSize('12x')).toThrow('--sizes: "12x" is not a size; write a whole number with an optional k or m, e.g. 10k or 1m');
    expect(() => parseSize('0')).toThrow('--sizes: "0" is not a size; a size is at least 1');
    expect(() => parseSize('11m')).toThrow('--sizes: "11m" is more than 10m, the largest size measured');
  });

  it('takes a comma list smallest first, each size once', () => {
    expect(parseSizes('10k,100k,1m', 'pglite')).toEqual([10_000, 100_000, 1_000_000]);
    expect(parseSizes('1m,10k,10000', 'postgres')).toEqual([10_000, 1_000_000]);
    expect(parseSizes('10m', 'postgres')).toEqual([10_000_000]);
  });

  it('refuses an empty list and an empty entry', () => {
    expect(() => parseSizes('', 'pglite')).toThrow('--sizes: the list is empty; write sizes like 10k,100k,1m');
    expect(() => parseSizes('10k,,1m', 'pglite')).toThrow(SizesUsageError);
  });

  it('defaults to 10k, 100k and 1m on PGlite, and adds 10m on PostgreSQL', () => {
    expect(parseSizes(undefined, 'pglite')).toEqual([10_000, 100_000, 1_000_000]);
    expect(parseSizes(undefined, 'postgres')).toEqual([10_000, 100_000, 1_000_000, 10_000_000]);
  });

  it('refuses more than 1m on PGlite, an in-memory database, and allows 1m', () => {
    expect(parseSizes('1m', 'pglite')).toEqual([1_000_000]);
    expect(() => parseSizes('10k,1000001', 'pglite')).toThrow('--sizes: 1000001 is too big for PGlite, an in-memory database (at most 1m); use --db postgres');
    expect(() => parseSizes('10m', 'pglite')).toThrow('--sizes: 10m is too big for PGlite, an in-memory database (at most 1m); use --db postgres');
  });

  it('reads the list after --sizes, or the defaults when --sizes has none', () => {
    expect(parseSizesOptions(['--sizes', '1k,3k'])).toEqual({ db: 'pglite', sizes: [1_000, 3_000], lookups: 2000 });
    expect(parseSizesOptions(['--sizes', '--db', 'postgres'])).toEqual({ db: 'postgres', sizes: [10_000, 100_000, 1_000_000, 10_000_000], lookups: 2000 });
    expect(parseSizesOptions(['--db', 'pglite', '--sizes', '--lookups', '10'])).toEqual({ db: 'pglite', sizes: [10_000, 100_000, 1_000_000], lookups: 10 });
    expect(() => parseSizesOptions(['--sizes', '1k', '--lookups', '9'])).toThrow('--lookups needs a whole number of at least 10, e.g. --lookups 2000');
    expect(() => parseSizesOptions(['--sizes', '1k', '--db', 'mysql'])).toThrow('--db is pglite or postgres');
  });

  it('writes sizes back as typed', () => {
    expect([1, 1_000, 2_500, 10_000, 1_000_000, 10_000_000].map(formatSize)).toEqual(['1', '1k', '2500', '10k', '1m', '10m']);
  });
});

describe('the verdict per lookup kind', () => {
  const row = (size: number, p50: number, plan: SizeRow['plan'] = 'index'): SizeRow => ({
    size, db: 'pglite', seedRate: 1, kind: 'credential-by-id', p50, p99: p50, mean: p50, errors: 0, plan,
  });

  it('is FLAT at exactly twice the p50 of the smallest size, and GROWS just over', () => {
    expect(formatVerdicts([row(10_000, 1), row(1_000_000, 2)])).toBe('FLAT   credential-by-id: p50 2.00 ms at 1m vs 1.00 ms at 10k (2.00×)');
    expect(formatVerdicts([row(10_000, 1), row(1_000_000, 2.01)])).toBe('GROWS  credential-by-id: p50 2.01 ms at 1m vs 1.00 ms at 10k (2.01×)');
  });

  it('GROWS when any size scans a table, however quick', () => {
    expect(formatVerdicts([row(10_000, 1), row(100_000, 1, 'SEQ SCAN'), row(1_000_000, 1)])).toMatch(/^GROWS /);
  });

  it('says nothing for a kind measured at one size only', () => {
    expect(formatVerdicts([row(10_000, 1)])).toBe('');
  });
});
