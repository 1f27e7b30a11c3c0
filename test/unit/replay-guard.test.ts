import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../subgraphs/kit/auth/envelope.js';

describe('envelope replay guard', () => {
  it('accepts an envelope id once', () => {
    const guard = new ReplayGuard();
    expect(guard.claim('a', 1030, 1000)).toBe(true);
    expect(guard.claim('a', 1030, 1001)).toBe(false);
    expect(guard.claim('b', 1030, 1001)).toBe(true);
  });

  it('forgets expired ids when full, and refuses rather than forgets live ones', () => {
    const guard = new ReplayGuard(2);
    expect(guard.claim('a', 1030, 1000)).toBe(true);
    expect(guard.claim('b', 1030, 1000)).toBe(true);
    expect(guard.claim('c', 1060, 1010)).toBe(false); // full of live ids
    expect(guard.claim('c', 1060, 1100)).toBe(true); // a and b expired and were pruned
    expect(guard.claim('a', 1130, 1100)).toBe(true);
  });
});
