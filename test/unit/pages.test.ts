import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { Keyset, pageCacheKey, pageSize } from '../../subgraphs/kit/pages.js';

const usage = new Keyset('usage-records', ['timestamp', 'text'] as const);
const versions = new Keyset('rule-versions', ['int'] as const);
const CREDENTIAL = '1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.201500000001.001.C';
const OTHER_CREDENTIAL = '1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.201500000002.001.A';

/** The refusal `run` throws (a GraphQLError), or a failure when it throws nothing. */
function refusal(run: () => unknown): { message: string; extensions: Record<string, unknown> } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    const e = error as GraphQLError;
    return { message: e.message, extensions: e.extensions };
  }
  throw new Error('expected a refusal');
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('page size', () => {
  it('is 20 when first is left out or null', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(null)).toBe(20);
  });

  it.each([1, 2, 99, 100])('accepts first: %i', (first) => {
    expect(pageSize(first)).toBe(first);
  });

  it.each([
    [0, 'first must be between 1 and 100 (the maximum page size); it was 0.'],
    [101, 'first must be between 1 and 100 (the maximum page size); it was 101.'],
    [-1, 'first must be between 1 and 100 (the maximum page size); it was -1.'],
    [1000, 'first must be between 1 and 100 (the maximum page size); it was 1000.'],
  ])('refuses first: %i with BAD_USER_INPUT', (first, message) => {
    expect(refusal(() => pageSize(first))).toEqual({
      message,
      extensions: { code: 'BAD_USER_INPUT', argument: 'first', reason: 'PAGE_SIZE_OUT_OF_RANGE' },
    });
  });
});

describe('cursors', () => {
  it('carry the key they were made from, for the list that made them', () => {
    const key: [string, string] = ['2026-11-24T08:15:02.123456Z', '6f1f8d1e-1c3b-4a7e-9a55-0c6f0b7a2d11'];
    const cursor = usage.encode(CREDENTIAL, key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(usage.decode(CREDENTIAL, cursor)).toEqual(key);
    expect(versions.decode('yrd-hotel-e-id', versions.encode('yrd-hotel-e-id', [3]))).toEqual([3]);
  });

  it('name neither the owner nor anything but the key in clear', () => {
    const decoded = Buffer.from(usage.encode(CREDENTIAL, ['2026-11-24T08:15:02.123456Z', 'v-1']), 'base64url').toString('utf8');
    expect(decoded).not.toContain('201500000001');
    expect(JSON.parse(decoded)).toEqual(['usage-records', expect.stringMatching(/^[A-Za-z0-9_-]{12}$/), '2026-11-24T08:15:02.123456Z', 'v-1']);
  });

  it('of another owner’s list or another kind of list are refused as foreign', () => {
    const cursor = usage.encode(OTHER_CREDENTIAL, ['2026-11-24T08:15:02.123456Z', 'v-1']);
    const foreign = {
      message: 'after is a cursor of another list: pass the endCursor of the previous page of this same list.',
      extensions: { code: 'BAD_USER_INPUT', argument: 'after', reason: 'INVALID_CURSOR' },
    };
    expect(refusal(() => usage.decode(CREDENTIAL, cursor))).toEqual(foreign);
    expect(refusal(() => versions.decode(CREDENTIAL, usage.encode(CREDENTIAL, ['2026-11-24T08:15:02.123456Z', 'v-1'])))).toEqual(foreign);
  });

  const MALFORMED = 'after is not a cursor Hutong gave out: pass the endCursor of the previous page, or leave after out for the first page.';
  const valid = usage.encode(CREDENTIAL, ['2026-11-24T08:15:02.123456Z', 'v-1']);
  const tag = (JSON.parse(Buffer.from(valid, 'base64url').toString('utf8')) as string[])[1]!;
  const forged = (...key: unknown[]) => b64(JSON.stringify(['usage-records', tag, ...key]));

  it.each([
    ['empty', ''],
    ['garbage', 'not a cursor!'],
    ['base64url of plain text', b64('hello')],
    ['base64url of a JSON object', b64('{"at":"2026-11-24"}')],
    ['a number', b64('42')],
    ['a cursor with a character changed', valid.slice(0, -3) + (valid.endsWith('A') ? 'B' : 'A') + valid.slice(-2)],
    ['a cursor cut short', valid.slice(0, 20)],
    ['too long', 'A'.repeat(513)],
    ['a key too short', forged('2026-11-24T08:15:02.123456Z')],
    ['a key too long', forged('2026-11-24T08:15:02.123456Z', 'v-1', 'extra')],
    ['a time that is no time', forged('yesterday', 'v-1')],
    ['a day that does not exist', forged('2026-02-31T08:15:02.123456Z', 'v-1')],
    ['a time without microseconds', forged('2026-11-24T08:15:02.123Z', 'v-1')],
    ['an SQL fragment as id', forged('2026-11-24T08:15:02.123456Z', "x' or '1'='1")],
    ['a NUL character in the id', forged('2026-11-24T08:15:02.123456Z', 'v\u00001')],
    ['an empty id', forged('2026-11-24T08:15:02.123456Z', '')],
    ['a number as id', forged('2026-11-24T08:15:02.123456Z', 7)],
  ])('refuses %s as malformed', (_what, cursor) => {
    const e = refusal(() => usage.decode(CREDENTIAL, cursor));
    // A changed character may also land on another list's tag: either way it is refused clearly.
    expect(e.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'after', reason: 'INVALID_CURSOR' });
    if (_what !== 'a cursor with a character changed') expect(e.message).toBe(MALFORMED);
  });

  it.each([
    ['a negative version', -1],
    ['a fraction', 1.5],
    ['a version beyond a 32-bit integer', 2_147_483_648],
    ['a version as text', '3'],
  ])('refuses %s in a rule history cursor', (_what, version) => {
    const tagOf = (JSON.parse(Buffer.from(versions.encode('r', [1]), 'base64url').toString('utf8')) as string[])[1]!;
    expect(refusal(() => versions.decode('r', b64(JSON.stringify(['rule-versions', tagOf, version])))).message).toBe(MALFORMED);
  });
});

describe('a page', () => {
  const rows = ['a', 'b', 'c', 'd', 'e'].map((id, i) => ({ id, at: `2026-11-2${9 - i}T00:00:00.000000Z` }));
  const keyOf = (r: { id: string; at: string }): [string, string] => [r.at, r.id];

  it('reads first + 1 rows after the cursor’s key', () => {
    expect(usage.request(CREDENTIAL, { first: 2 })).toEqual({ size: 2, limit: 3, after: null });
    expect(usage.request(CREDENTIAL, {})).toEqual({ size: 20, limit: 21, after: null });
    const after = usage.encode(CREDENTIAL, keyOf(rows[1]!));
    expect(usage.request(CREDENTIAL, { first: 100, after })).toEqual({ size: 100, limit: 101, after: ['2026-11-28T00:00:00.000000Z', 'b'] });
  });

  it('refuses first or after before anything is read', () => {
    expect(refusal(() => usage.request(CREDENTIAL, { first: 101 })).extensions.argument).toBe('first');
    expect(refusal(() => usage.request(CREDENTIAL, { first: 0 })).extensions.argument).toBe('first');
    expect(refusal(() => usage.request(CREDENTIAL, { first: 2, after: 'garbage' })).extensions.argument).toBe('after');
  });

  it('shows first rows and says another follows when the extra row was read', () => {
    const page = usage.request(CREDENTIAL, { first: 2 });
    const c = usage.connection(CREDENTIAL, page, rows.slice(0, 3), keyOf, 5, (r) => r.id);
    expect(c.nodes).toEqual(['a', 'b']);
    expect(c.totalCount).toBe(5);
    expect(c.pageInfo.hasNextPage).toBe(true);
    expect(usage.decode(CREDENTIAL, c.pageInfo.endCursor!)).toEqual(['2026-11-28T00:00:00.000000Z', 'b']);
  });

  it('says no page follows when fewer than first + 1 rows were read, and keeps the last cursor', () => {
    const page = usage.request(CREDENTIAL, { first: 2 });
    const exactly = usage.connection(CREDENTIAL, page, rows.slice(3, 5), keyOf, 5);
    expect(exactly.nodes.map((r) => r.id)).toEqual(['d', 'e']);
    expect(exactly.pageInfo.hasNextPage).toBe(false);
    expect(usage.decode(CREDENTIAL, exactly.pageInfo.endCursor!)).toEqual(['2026-11-25T00:00:00.000000Z', 'e']);
    const one = usage.connection(CREDENTIAL, page, rows.slice(4), keyOf, 5);
    expect(one.nodes).toHaveLength(1);
    expect(one.pageInfo.hasNextPage).toBe(false);
  });

  it('is empty with a null endCursor when nothing is left', () => {
    const c = usage.connection(CREDENTIAL, usage.request(CREDENTIAL, { first: 1 }), [], keyOf, 0);
    expect(c).toEqual({ nodes: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 });
  });

  it('has a loader key that tells owners, sizes and cursors apart', () => {
    const first = usage.request(CREDENTIAL, { first: 2 });
    const keys = new Set([
      pageCacheKey(CREDENTIAL, first),
      pageCacheKey(OTHER_CREDENTIAL, first),
      pageCacheKey(CREDENTIAL, usage.request(CREDENTIAL, { first: 3 })),
      pageCacheKey(CREDENTIAL, usage.request(CREDENTIAL, { first: 2, after: usage.encode(CREDENTIAL, keyOf(rows[0]!)) })),
    ]);
    expect(keys.size).toBe(4);
    expect(pageCacheKey(CREDENTIAL, usage.request(CREDENTIAL, { first: 2 }))).toBe(pageCacheKey(CREDENTIAL, first));
  });
});
