import { afterEach, describe, expect, it, vi } from 'vitest';
import { effectiveStatus } from '../../subgraphs/kit/registry/status.js';
import { todayInChina } from '../../subgraphs/kit/days.js';

describe("today's date in China (UTC+8)", () => {
  it.each([
    ['2026-03-31T00:00:00.000Z', '2026-03-31'],
    ['2026-03-31T15:59:59.999Z', '2026-03-31'],
    ['2026-03-31T16:00:00.000Z', '2026-04-01'],
    ['2026-03-31T23:59:59.999Z', '2026-04-01'],
    ['2026-12-31T15:59:59.999Z', '2026-12-31'],
    ['2026-12-31T16:00:00.000Z', '2027-01-01'],
    ['2028-02-28T16:00:00.000Z', '2028-02-29'],
    ['2026-03-30T16:00:00.000Z', '2026-03-31'],
  ])('at %s it is %s in China', (instant, date) => {
    expect(todayInChina(new Date(instant))).toBe(date);
  });

  describe('without an explicit instant', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('uses the current time', () => {
      vi.useFakeTimers({ now: new Date('2026-03-31T16:30:00.000Z') });
      expect(todayInChina()).toBe('2026-04-01');
    });
  });
});

describe('the status a verifier sees', () => {
  const today = '2026-03-31';

  it.each([
    ['2026-03-30', 'EXPIRED', 'has expired the day after its expiry date'],
    ['2026-03-31', 'VALID', 'is still valid on its expiry date'],
    ['2026-04-01', 'VALID', 'is valid the day before its expiry date'],
  ])('a valid (01) credential expiring %s is %s on 2026-03-31: it %s', (expiry, status) => {
    expect(effectiveStatus('01', expiry, today)).toBe(status);
  });

  it('keeps a valid credential with no expiry date valid', () => {
    expect(effectiveStatus('01', null, '2099-12-31')).toBe('VALID');
  });

  it.each([
    ['02', 'SUSPENDED'],
    ['03', 'REVOKED'],
    ['04', 'CANCELLED'],
    ['05', 'EXPIRED'],
    ['06', 'TRANSFERRED_OUT'],
    ['07', 'REVOKED_AS_PENALTY'],
    ['99', 'OTHER'],
  ] as const)('reports stored status %s as %s, even after the expiry date', (code, status) => {
    expect(effectiveStatus(code, '2026-03-01', today)).toBe(status);
    expect(effectiveStatus(code, '2026-12-31', today)).toBe(status);
    expect(effectiveStatus(code, null, today)).toBe(status);
  });

  describe('on the current day in China', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('expires a credential once its expiry date has passed in China, though not yet in UTC', () => {
      // 2026-03-31T16:30Z is already 2026-04-01 in China.
      vi.useFakeTimers({ now: new Date('2026-03-31T16:30:00.000Z') });
      expect(effectiveStatus('01', '2026-03-31')).toBe('EXPIRED');
      expect(effectiveStatus('01', '2026-04-01')).toBe('VALID');
    });
  });
});
