import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../subgraphs/kit/bounded-map.js';

// The subgraphs' prepared documents and the gateway's verified tokens are kept in one.
describe('a bounded map', () => {
  it('keeps at most its size, letting the oldest entry go first', () => {
    const cache = new BoundedMap<string, number>(2);
    cache.set('{ a }', 1);
    cache.set('{ b }', 2);
    cache.set('{ c }', 3);
    expect(cache.size).toBe(2);
    expect([cache.get('{ a }'), cache.get('{ b }'), cache.get('{ c }')]).toEqual([undefined, 2, 3]);
  });

  it('keeps everything up to its size', () => {
    const cache = new BoundedMap<string, number>(3);
    for (const [i, q] of ['{ a }', '{ b }', '{ c }'].entries()) cache.set(q, i);
    expect([cache.size, cache.get('{ a }'), cache.get('{ c }')]).toEqual([3, 0, 2]);
  });
});
