import { describe, expect, it } from 'vitest';
import { SharedCalls, sharedCallKey, type SharedAnswer } from '../../gateway/src/shared-calls.js';

/** A call whose answer the test releases (or fails) when it chooses. */
function pending() {
  let resolve!: (a: SharedAnswer) => void;
  let reject!: (e: Error) => void;
  const answer = new Promise<SharedAnswer>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  let started = 0;
  return { start: () => (started++, answer), resolve, reject, started: () => started };
}
const ok: SharedAnswer = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"data":{"n":1}}' };

describe('identical calls in flight at once', () => {
  it('start once while one is in flight; later waiters are counted and get the same answer', async () => {
    const calls = new SharedCalls();
    const call = pending();
    let shared = 0;
    const answers = [1, 2, 3].map(() => calls.run('k', 1000, call.start, () => shared++));
    expect(call.started()).toBe(1);
    expect(shared).toBe(2);
    expect(calls.size).toBe(1);
    call.resolve(ok);
    expect(await Promise.all(answers)).toEqual([ok, ok, ok]);
  });

  it('start afresh once the call in flight has answered', async () => {
    const calls = new SharedCalls();
    const first = pending();
    const a = calls.run('k', 1000, first.start);
    first.resolve(ok);
    await a;
    expect(calls.size).toBe(0);
    const second = pending();
    const b = calls.run('k', 1000, second.start);
    expect(second.started()).toBe(1);
    second.resolve({ ...ok, body: '{"data":{"n":2}}' });
    expect((await b).body).toBe('{"data":{"n":2}}');
  });

  it('pass one failure to every waiter of that call, and the next call starts afresh', async () => {
    const calls = new SharedCalls();
    const call = pending();
    const answers = [1, 2].map(() => calls.run('k', 1000, call.start));
    call.reject(new Error('subgraph timed out'));
    for (const a of answers) await expect(a).rejects.toThrow('subgraph timed out');
    expect(calls.size).toBe(0);
    const next = pending();
    void calls.run('k', 1000, next.start);
    expect(next.started()).toBe(1);
  });

  it('do not make a caller wait past its own deadline: a sooner deadline starts its own call', () => {
    const calls = new SharedCalls();
    const first = pending();
    const sooner = pending();
    const same = pending();
    void calls.run('k', 2000, first.start);
    void calls.run('k', 1999, sooner.start);
    // The sooner call is now the one in flight under the key; a later deadline waits on it.
    void calls.run('k', 2000, same.start);
    expect([first.started(), sooner.started(), same.started()]).toEqual([1, 1, 0]);
  });

  it('keep the newer call in flight when the one it replaced answers first', async () => {
    const calls = new SharedCalls();
    const first = pending();
    const sooner = pending();
    const a = calls.run('k', 2000, first.start);
    void calls.run('k', 1999, sooner.start);
    first.resolve(ok);
    await a;
    // The sooner call is still in flight under the key: a caller who can wait for it does.
    const later = pending();
    void calls.run('k', 2000, later.start);
    expect([later.started(), calls.size]).toEqual([0, 1]);
  });

  it('keep different keys apart', () => {
    const calls = new SharedCalls();
    const a = pending();
    const b = pending();
    void calls.run(sharedCallKey('shandong', 'http://127.0.0.1:1/graphql', 'caller-a', '{}'), 1000, a.start);
    void calls.run(sharedCallKey('shandong', 'http://127.0.0.1:1/graphql', 'caller-b', '{}'), 1000, b.start);
    expect([a.started(), b.started()]).toEqual([1, 1]);
    expect(calls.size).toBe(2);
  });
});
