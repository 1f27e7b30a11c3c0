/**
 * The per-subgraph guard of the gateway: timeout, request deadline, retries within a budget, and
 * the circuit breaker. `send` is scripted here; a hanging call rejects when its signal aborts, as
 * undici's fetch does. Date is faked (cockatiel reads Date.now() for halfOpenAfter), timers are real.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SubgraphCallError, SubgraphGuard, type GuardEvents, type SubgraphPolicy } from '../../gateway/src/resilience.js';

const T0 = Date.parse('2025-03-01T08:00:00.000Z');
const SUBGRAPH = 'yangtze-delta';
const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);

type Answer = { status: number; body?: string };
/** One scripted answer: a status, a rejection, a hang until aborted, or a call of our own. */
type Step = number | Error | 'hang' | ((signal: AbortSignal) => Promise<Answer>);

/** A subgraph answering `steps` in order; the last step repeats. */
function scripted(...steps: Step[]) {
  let n = 0;
  return vi.fn((signal: AbortSignal): Promise<Answer> => {
    const step = steps[Math.min(n++, steps.length - 1)]!;
    if (typeof step === 'number') return Promise.resolve({ status: step });
    if (step instanceof Error) return Promise.reject(step);
    if (typeof step === 'function') return step(signal);
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  });
}

function guardWith(policy: Partial<SubgraphPolicy> = {}, events: GuardEvents = {}) {
  const full: SubgraphPolicy = { timeoutMs: 1000, breakerFailures: 1000, halfOpenAfterMs: 5000, retries: 2, ...policy };
  return new SubgraphGuard(SUBGRAPH, full, events, () => Date.now());
}
const query = (deadlineMs = 5000) => ({ deadlineAt: Date.now() + deadlineMs, idempotent: true });
const mutation = (deadlineMs = 5000) => ({ deadlineAt: Date.now() + deadlineMs, idempotent: false });

async function failure(p: Promise<unknown>): Promise<SubgraphCallError> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(SubgraphCallError);
  return outcome as SubgraphCallError;
}

/** 'pending' when `p` has not settled within `ms` real milliseconds. */
const settledWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => 'settled', () => 'settled'), new Promise((r) => setTimeout(() => r('pending'), ms))]);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  vi.spyOn(Math, 'random').mockReturnValue(0); // no retry delay unless a test sets one
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('one call', () => {
  it('returns a 200, a 404 and a 499 as they are, as successes', async () => {
    const guard = guardWith({ breakerFailures: 1, retries: 0 });
    const ok = { status: 200, body: '{"data":{}}' };
    expect(await guard.call(async () => ok, query())).toBe(ok);
    for (const status of [404, 499]) expect(await guard.call(scripted(status), mutation())).toEqual({ status });
    expect(guard.state()).toEqual({ breaker: 'closed', lastSuccessAt: '2025-03-01T08:00:00.000Z', lastFailureAt: null, lastFailure: null });
  });

  it('turns a 500 into HTTP_ERROR carrying the status, a rejection into UNREACHABLE', async () => {
    const guard = guardWith();
    const e500 = await failure(guard.call(scripted(500), mutation()));
    expect([e500.reason, e500.status, e500.message]).toEqual(['HTTP_ERROR', 500, 'yangtze-delta answered HTTP 500.']);
    expect((await failure(guard.call(scripted(503), mutation()))).status).toBe(503);
    const refused = await failure(guard.call(scripted(new Error('connect ECONNREFUSED 127.0.0.1:4101')), mutation()));
    expect([refused.reason, refused.status]).toEqual(['UNREACHABLE', undefined]);
    expect(refused.message).toBe('yangtze-delta could not be reached: connect ECONNREFUSED 127.0.0.1:4101');
  });

  it('ends a call that does not answer within timeoutMs with TIMEOUT, aborting its signal', async () => {
    const guard = guardWith({ timeoutMs: 30 });
    const send = scripted('hang', 200);
    const started = performance.now();
    const e = await failure(guard.call(send, query(30))); // deadline exactly the timeout: still TIMEOUT
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect([e.reason, e.message]).toEqual(['TIMEOUT', 'yangtze-delta did not answer within 30 ms.']);
    expect(send.mock.calls[0]![0].aborted).toBe(true);
    expect(send).toHaveBeenCalledTimes(1); // a timed-out query is not retried
  });

  it('ends a call at the request deadline with DEADLINE_EXCEEDED when it comes before the timeout', async () => {
    const guard = guardWith({ timeoutMs: 2000 });
    const started = performance.now();
    const e = await failure(guard.call(scripted('hang'), query(29)));
    expect(performance.now() - started).toBeLessThan(1000);
    expect([e.reason, e.message]).toEqual(['DEADLINE_EXCEEDED', "yangtze-delta did not answer within the request's deadline."]);
  });

  it('does not call a subgraph once the deadline has passed', async () => {
    const guard = guardWith();
    const send = scripted(200);
    for (const deadlineAt of [T0, T0 - 1]) {
      const e = await failure(guard.call(send, { deadlineAt, idempotent: true }));
      expect([e.reason, e.message]).toEqual(['DEADLINE_EXCEEDED', "The request's deadline passed before yangtze-delta was called."]);
    }
    expect(send).not.toHaveBeenCalled();
    expect(await guard.call(send, { deadlineAt: T0 + 1, idempotent: true })).toEqual({ status: 200 });
  });
});

describe('retries', () => {
  it('retries a query once after UNREACHABLE or HTTP_ERROR and returns the second answer', async () => {
    for (const first of [new Error('socket hang up'), 502]) {
      const onRetry = vi.fn();
      const send = scripted(first, 200);
      expect(await guardWith({}, { onRetry }).call(send, query())).toEqual({ status: 200 });
      expect(send).toHaveBeenCalledTimes(2);
      expect(onRetry.mock.calls).toEqual([[SUBGRAPH]]);
    }
  });

  it('makes at most `retries` extra attempts', async () => {
    for (const [retries, calls] of [[0, 1], [1, 2], [2, 3]] as const) {
      const send = scripted(500);
      expect((await failure(guardWith({ retries }).call(send, query()))).reason).toBe('HTTP_ERROR');
      expect(send).toHaveBeenCalledTimes(calls);
    }
  });

  it('never retries a mutation or a TIMEOUT', async () => {
    const send = scripted(500, 200);
    expect((await failure(guardWith().call(send, mutation()))).reason).toBe('HTTP_ERROR');
    expect(send).toHaveBeenCalledTimes(1);
    const slow = scripted('hang', 200);
    expect((await failure(guardWith({ timeoutMs: 20 }).call(slow, query()))).reason).toBe('TIMEOUT');
    expect(slow).toHaveBeenCalledTimes(1);
  });

  it('retries only when at least 100 ms of the deadline remain after the retry delay', async () => {
    vi.mocked(Math.random).mockReturnValue(0.5); // first retry waits 0.5 × 50 ms = 25 ms
    const short = scripted(500, 200);
    expect((await failure(guardWith().call(short, query(124)))).reason).toBe('HTTP_ERROR');
    expect(short).toHaveBeenCalledTimes(1);
    const enough = scripted(500, 200);
    expect(await guardWith().call(enough, query(125))).toEqual({ status: 200 });
    expect(enough).toHaveBeenCalledTimes(2);
  });
});

describe('retry budget', () => {
  it('holds at most ten retries', async () => {
    const onRetry = vi.fn();
    const guard = guardWith({ retries: 20 }, { onRetry });
    for (let i = 0; i < 20; i++) await guard.call(scripted(200), query()); // earning cannot exceed the bucket
    const send = scripted(500);
    await failure(guard.call(send, query()));
    expect(send).toHaveBeenCalledTimes(11);
    expect(onRetry).toHaveBeenCalledTimes(10);
    const next = scripted(500, 200);
    expect((await failure(guard.call(next, query()))).reason).toBe('HTTP_ERROR');
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('earns a retry back from calls, a tenth of a token each', async () => {
    const guard = guardWith({ retries: 20 });
    await failure(guard.call(scripted(500), query())); // spends all ten tokens
    for (let i = 0; i < 8; i++) await guard.call(scripted(200), query());
    const ninth = scripted(500, 200); // nine calls since: 0.9 of a token
    await failure(guard.call(ninth, query()));
    expect(ninth).toHaveBeenCalledTimes(1);
    await guard.call(scripted(200), query());
    const eleventh = scripted(500, 200);
    expect(await guard.call(eleventh, query())).toEqual({ status: 200 });
    expect(eleventh).toHaveBeenCalledTimes(2);
  });

  // BUG (reported, not fixed): 0.1 added ten times is 0.9999999999999999 < 1, so ten calls do not
  // earn a retry back; it takes eleven. `it.fails` passes while the bug is there.
  it('earns one retry back from exactly ten calls', async () => {
    const guard = guardWith({ retries: 20 });
    await failure(guard.call(scripted(500), query()));
    for (let i = 0; i < 9; i++) await guard.call(scripted(200), query());
    const tenth = scripted(500, 200);
    expect(await guard.call(tenth, query())).toEqual({ status: 200 });
  });
});

describe('circuit breaker', () => {
  const opened = async (events: GuardEvents = {}) => {
    const guard = guardWith({ breakerFailures: 2, retries: 0 }, events);
    await failure(guard.call(scripted(500), query()));
    await failure(guard.call(scripted(500), query()));
    expect(guard.state().breaker).toBe('open');
    return guard;
  };

  it('opens after exactly breakerFailures consecutive failures of any kind, then fails fast', async () => {
    const onStateChange = vi.fn();
    const guard = guardWith({ breakerFailures: 3, timeoutMs: 20, retries: 0 }, { onStateChange });
    await failure(guard.call(scripted(new Error('ECONNRESET')), query()));
    await failure(guard.call(scripted('hang'), query()));
    expect(guard.state().breaker).toBe('closed');
    const third = scripted(500);
    await failure(guard.call(third, query()));
    expect(third).toHaveBeenCalledTimes(1);
    expect(onStateChange.mock.calls).toEqual([[SUBGRAPH, 'open']]);
    const send = scripted(200);
    const e = await failure(guard.call(send, query()));
    expect([e.reason, e.message]).toEqual(['CIRCUIT_OPEN', 'yangtze-delta is failing; calls to it are paused for up to 5000 ms after repeated failures.']);
    expect(send).not.toHaveBeenCalled();
  });

  it('starts counting again after a success (a 404 included)', async () => {
    const guard = guardWith({ breakerFailures: 3, retries: 0 });
    for (const step of [500, 500, 404, 500, 500]) await guard.call(scripted(step), query()).catch(() => undefined);
    const send = scripted(200);
    expect(await guard.call(send, query())).toEqual({ status: 200 });
    expect(guard.state().breaker).toBe('closed');
  });

  it('does not count DEADLINE_EXCEEDED towards opening', async () => {
    const guard = guardWith({ breakerFailures: 2, retries: 0 });
    for (let i = 0; i < 2; i++) expect((await failure(guard.call(scripted('hang'), query(15)))).reason).toBe('DEADLINE_EXCEEDED');
    await failure(guard.call(scripted(200), { deadlineAt: T0 - 1, idempotent: true }));
    expect(guard.state().breaker).toBe('closed');
    const send = scripted(200);
    expect(await guard.call(send, query())).toEqual({ status: 200 });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('lets one probe through after halfOpenAfterMs, fails others fast meanwhile, and closes on its success', async () => {
    const onStateChange = vi.fn();
    const guard = await opened({ onStateChange });
    advance(4999);
    expect((await failure(guard.call(scripted(200), query()))).reason).toBe('CIRCUIT_OPEN');
    advance(1);
    let answer!: (a: Answer) => void;
    const probeSend = scripted(() => new Promise<Answer>((r) => (answer = r)));
    const probe = guard.call(probeSend, query());
    expect(probeSend).toHaveBeenCalledTimes(1);
    expect(guard.state().breaker).toBe('half-open');
    const other = scripted(200);
    const meanwhile = guard.call(other, query());
    expect(await settledWithin(meanwhile, 50)).toBe('settled');
    expect((await failure(meanwhile)).reason).toBe('CIRCUIT_OPEN');
    expect(other).not.toHaveBeenCalled();
    answer({ status: 200 });
    expect(await probe).toEqual({ status: 200 });
    expect(guard.state().breaker).toBe('closed');
    expect(onStateChange.mock.calls).toEqual([[SUBGRAPH, 'open'], [SUBGRAPH, 'half-open'], [SUBGRAPH, 'closed']]);
    expect(await guard.call(other, query())).toEqual({ status: 200 });
  });

  it('opens again when the probe fails', async () => {
    const onStateChange = vi.fn();
    const guard = await opened({ onStateChange });
    advance(5000);
    expect((await failure(guard.call(scripted(new Error('ECONNREFUSED')), query()))).reason).toBe('UNREACHABLE');
    expect(guard.state().breaker).toBe('open');
    const send = scripted(200);
    advance(4999);
    expect((await failure(guard.call(send, query()))).reason).toBe('CIRCUIT_OPEN');
    expect(send).not.toHaveBeenCalled();
    advance(1);
    expect(await guard.call(send, query())).toEqual({ status: 200 });
    expect(onStateChange.mock.calls.map((c) => c[1])).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });

  // BUG (reported, not fixed): cockatiel treats an error its filter ignores as a successful probe,
  // so a probe cut short by the client's deadline closes the breaker of a subgraph that never answered.
  it('stays open when the probe is cut short by the request deadline', async () => {
    const guard = await opened();
    advance(5000);
    expect((await failure(guard.call(scripted('hang'), query(15)))).reason).toBe('DEADLINE_EXCEEDED');
    expect(guard.state().breaker).not.toBe('closed');
  });
});

describe('health and events', () => {
  it('reports breaker state and the last success and failure, timed by the injected clock', async () => {
    const guard = guardWith({ breakerFailures: 2, retries: 0 });
    expect(guard.state()).toEqual({ breaker: 'closed', lastSuccessAt: null, lastFailureAt: null, lastFailure: null });
    await guard.call(scripted(200), query());
    advance(1500);
    await failure(guard.call(scripted(new Error('EHOSTUNREACH')), query()));
    expect(guard.state()).toEqual({ breaker: 'closed', lastSuccessAt: '2025-03-01T08:00:00.000Z', lastFailureAt: '2025-03-01T08:00:01.500Z', lastFailure: 'UNREACHABLE' });
    await failure(guard.call(scripted(500), query()));
    advance(250);
    await failure(guard.call(scripted(200), query()));
    const health = guard.state();
    expect(health).toEqual({ breaker: 'open', lastSuccessAt: '2025-03-01T08:00:00.000Z', lastFailureAt: '2025-03-01T08:00:01.750Z', lastFailure: 'CIRCUIT_OPEN' });
    health.breaker = 'closed'; // a copy: the caller cannot change the guard's view
    expect(guard.state().breaker).toBe('open');
  });

  it('reports every attempt with its outcome and duration in seconds, and every retry', async () => {
    const events = { onAttempt: vi.fn(), onRetry: vi.fn(), onStateChange: vi.fn() };
    const guard = guardWith({ breakerFailures: 2, retries: 1 }, events);
    const slowOk = scripted(async () => (advance(250), { status: 200 }));
    await guard.call(slowOk, query());
    const slowFail = scripted(async () => (advance(1200), { status: 500 }), 200);
    await guard.call(slowFail, query());
    await failure(guard.call(scripted(200), { deadlineAt: T0, idempotent: true })); // not an attempt
    await failure(guard.call(scripted(new Error('ECONNREFUSED')), mutation()));
    await failure(guard.call(scripted(500), mutation()));
    await failure(guard.call(scripted(200), mutation()));
    expect(events.onAttempt.mock.calls).toEqual([
      [SUBGRAPH, 'ok', 0.25],
      [SUBGRAPH, 'HTTP_ERROR', 1.2],
      [SUBGRAPH, 'ok', 0],
      [SUBGRAPH, 'UNREACHABLE', 0],
      [SUBGRAPH, 'HTTP_ERROR', 0],
      [SUBGRAPH, 'CIRCUIT_OPEN', 0],
    ]);
    expect(events.onRetry.mock.calls).toEqual([[SUBGRAPH]]);
    expect(events.onStateChange.mock.calls).toEqual([[SUBGRAPH, 'open']]);
  });
});
