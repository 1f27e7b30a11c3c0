import { describe, expect, it } from 'vitest';
import { DocumentCache } from '../../subgraphs/kit/graphql-handler.js';

describe('the subgraph’s cache of prepared documents', () => {
  it('keeps at most its size, letting the oldest entry go first', () => {
    const cache = new DocumentCache<number>(2);
    cache.set('{ a }', 1);
    cache.set('{ b }', 2);
    cache.set('{ c }', 3);
    expect(cache.size).toBe(2);
    expect([cache.get('{ a }'), cache.get('{ b }'), cache.get('{ c }')]).toEqual([undefined, 2, 3]);
  });

  it('keeps everything up to its size', () => {
    const cache = new DocumentCache<number>(3);
    for (const [i, q] of ['{ a }', '{ b }', '{ c }'].entries()) cache.set(q, i);
    expect([cache.size, cache.get('{ a }'), cache.get('{ c }')]).toEqual([3, 0, 2]);
  });
});
