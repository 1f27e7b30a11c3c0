/** The deadline signal that bounds a subgraph call and a verification's registry calls. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deadlineSignal } from '../../subgraphs/kit/deadline.js';

describe('a deadline signal', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts at its deadline, not a millisecond before, with a TimeoutError as AbortSignal.timeout does', () => {
    const { signal } = deadlineSignal(1500);
    const heard: string[] = [];
    signal.addEventListener('abort', () => heard.push((signal.reason as DOMException).name));
    vi.advanceTimersByTime(1499);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(signal.aborted).toBe(true);
    expect(heard).toEqual(['TimeoutError']);
    expect(signal.reason).toBeInstanceOf(DOMException);
    // The words an error reports when it carries the reason on, the same as AbortSignal.timeout's.
    expect((signal.reason as DOMException).message).toBe('The operation was aborted due to timeout');
  });

  it('never aborts once the work is done, and leaves no timer behind', () => {
    const { signal, done } = deadlineSignal(1500);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1499);
    done();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(signal.aborted).toBe(false);
  });

  it('does not keep the process alive while it waits', () => {
    vi.useRealTimers();
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const { done } = deadlineSignal(60_000);
    const timer = spy.mock.results[0]!.value as NodeJS.Timeout;
    spy.mockRestore();
    expect(timer.hasRef()).toBe(false);
    done();
  });
});
