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

describe('envelope replay guard boundaries', () => {
  it('keeps an id until more than 5 seconds after its expiry', () => {
    const guard = new ReplayGuard(1);
    expect(guard.claim('a', 1030, 1000)).toBe(true);
    expect(guard.claim('b', 1060, 1034)).toBe(false);
    expect(guard.claim('b', 1060, 1035)).toBe(false); // 1030 + 5 is not yet past
    expect(guard.claim('b', 1060, 1035.001)).toBe(true);
    expect(guard.claim('b', 1060, 1035.002)).toBe(false);
  });

  it('prunes only when full, so an expired id is still refused while there is room', () => {
    const guard = new ReplayGuard(3);
    expect(guard.claim('a', 1030, 1000)).toBe(true);
    expect(guard.claim('a', 1030, 2000)).toBe(false);
  });

  it('forgets only the expired ids when pruning', () => {
    const guard = new ReplayGuard(2);
    expect(guard.claim('old', 1030, 1000)).toBe(true);
    expect(guard.claim('live', 1090, 1060)).toBe(true);
    expect(guard.claim('new', 1100, 1070)).toBe(true); // prunes 'old'
    expect(guard.claim('live', 1090, 1071)).toBe(false);
    expect(guard.claim('old', 1030, 1071)).toBe(false); // full again of live ids
  });

  it('holds 200 000 live ids by default and refuses the next one', () => {
    const guard = new ReplayGuard();
    for (let i = 0; i < 200_000; i++) if (!guard.claim(`id-${i}`, 1030, 1000)) throw new Error(`id-${i} refused`);
    expect(guard.claim('one-more', 1030, 1000)).toBe(false);
    expect(guard.claim('one-more', 1100, 1036)).toBe(true);
  });
});
