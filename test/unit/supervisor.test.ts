/**
 * The launcher's supervision decisions: when a dead service is restarted and after how long,
 * when it is given up, and how everything is stopped. Time is a fake clock and processes are
 * fakes that exit when the test says so: no real waits, no real processes.
 */
import { describe, expect, it } from 'vitest';
import {
  defaultRestartPolicy,
  duration,
  RestartPolicy,
  Supervisor,
  type Clock,
  type RestartPolicyOptions,
  type ServiceProcess,
} from '../../scripts/supervisor.js';

class FakeClock implements Clock {
  time = 1_000_000;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.timers.delete(handle as number);
  };
  /** Moves time forward, running each timer that falls due at its own moment. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
      await flush();
    }
    this.time = end;
    await flush();
  }
  get pending(): number {
    return this.timers.size;
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

let nextPid = 100;
class FakeProcess implements ServiceProcess {
  readonly pid = nextPid++;
  readonly signals: string[] = [];
  private listeners: ((code: number | null, signal: string | null) => void)[] = [];
  exited = false;
  constructor(private readonly onSignal: 'exit' | 'ignore' = 'ignore') {}
  kill(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.signals.push(signal);
    if (this.onSignal === 'exit') this.exit(signal === 'SIGTERM' ? 0 : null, signal === 'SIGKILL' ? 'SIGKILL' : null);
  }
  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.listeners.push(listener);
  }
  exit(code: number | null, signal: string | null = null): void {
    if (this.exited) return;
    this.exited = true;
    for (const l of this.listeners.splice(0)) l(code, signal);
  }
}

const policy: RestartPolicyOptions = { initialDelayMs: 500, maxDelayMs: 30_000, maxRestarts: 5, windowMs: 300_000, stableAfterMs: 60_000, jitter: 0.2 };

describe('restart policy', () => {
  it('is by default 0.5 s doubling to 30 s, 20 % jitter, at most 5 restarts within 5 minutes, clean after a minute of running', () => {
    expect(defaultRestartPolicy).toEqual(policy);
  });

  it('waits 0.5 s, then doubles each time, and gives up on the sixth death within the window', () => {
    const clock = new FakeClock();
    const p = new RestartPolicy(policy, clock.now, () => 0);
    const decisions = [];
    for (let i = 0; i < 6; i++) {
      clock.time += 1000; // dies one second after each start
      decisions.push(p.exited());
      p.started();
    }
    expect(decisions).toEqual([
      { restart: true, delayMs: 500, attempt: 1 },
      { restart: true, delayMs: 1000, attempt: 2 },
      { restart: true, delayMs: 2000, attempt: 3 },
      { restart: true, delayMs: 4000, attempt: 4 },
      { restart: true, delayMs: 8000, attempt: 5 },
      { restart: false, restarts: 5 },
    ]);
  });

  it('never waits longer than the cap', () => {
    const clock = new FakeClock();
    const p = new RestartPolicy({ ...policy, maxRestarts: 100 }, clock.now, () => 0);
    const delays = [];
    for (let i = 0; i < 9; i++) {
      const d = p.exited();
      if (d.restart) delays.push(d.delayMs);
      p.started();
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('takes up to the jitter fraction off each wait, never adds to it', () => {
    const clock = new FakeClock();
    const at = (random: number, deaths: number) => {
      const p = new RestartPolicy({ ...policy, maxRestarts: 100 }, clock.now, () => random);
      let d;
      for (let i = 0; i < deaths; i++) d = p.exited();
      return d;
    };
    expect(at(1, 1)).toEqual({ restart: true, delayMs: 400, attempt: 1 });
    expect(at(0.5, 1)).toEqual({ restart: true, delayMs: 450, attempt: 1 });
    expect(at(0.5, 2)).toEqual({ restart: true, delayMs: 900, attempt: 2 });
    expect(at(1, 10)).toEqual({ restart: true, delayMs: 24_000, attempt: 10 });
  });

  it('counts only the restarts within the window: one exactly a window old no longer counts', () => {
    const clock = new FakeClock();
    const p = new RestartPolicy({ ...policy, stableAfterMs: 3_600_000 }, clock.now, () => 0);
    const first = clock.time;
    for (let i = 0; i < 5; i++) {
      expect(p.exited()).toMatchObject({ restart: true, attempt: i + 1 });
      clock.time += 10_000;
    }
    clock.time = first + 300_000 - 1;
    expect(p.exited()).toEqual({ restart: false, restarts: 5 });
    clock.time = first + 300_000;
    // The first restart has left the window; the wait keeps doubling, as the deaths came in a row.
    expect(p.exited()).toEqual({ restart: true, delayMs: 16_000, attempt: 5 });
  });

  it('starts over after a run of at least stableAfterMs, not after a shorter one', () => {
    const clock = new FakeClock();
    const p = new RestartPolicy(policy, clock.now, () => 0);
    for (let i = 0; i < 3; i++) p.exited();
    p.started();
    clock.time += 60_000 - 1;
    expect(p.exited()).toEqual({ restart: true, delayMs: 4000, attempt: 4 });
    p.started();
    clock.time += 60_000;
    expect(p.exited()).toEqual({ restart: true, delayMs: 500, attempt: 1 });
  });

  it('counts the first run from construction', () => {
    const clock = new FakeClock();
    const p = new RestartPolicy({ ...policy, maxRestarts: 0 }, clock.now, () => 0);
    clock.time += 59_999;
    expect(p.exited()).toEqual({ restart: false, restarts: 0 });
    const q = new RestartPolicy({ ...policy, maxRestarts: 0 }, clock.now, () => 0);
    clock.time += 60_000;
    expect(q.exited()).toEqual({ restart: false, restarts: 0 });
  });
});

function supervised(opts: { stopGraceMs?: number; policy?: RestartPolicyOptions } = {}) {
  const clock = new FakeClock();
  const log: string[] = [];
  const restarted: [string, number | undefined][] = [];
  const supervisor = new Supervisor({
    policy: opts.policy ?? policy,
    stopGraceMs: opts.stopGraceMs ?? 10_000,
    clock,
    random: () => 0,
    log: (line) => log.push(line),
    onRestarted: (name, p) => restarted.push([name, p.pid]),
  });
  const launched = new Map<string, FakeProcess[]>();
  const add = (name: string, onSignal: 'exit' | 'ignore' = 'ignore') => {
    launched.set(name, []);
    supervisor.add(name, () => {
      const p = new FakeProcess(onSignal);
      launched.get(name)!.push(p);
      return p;
    });
  };
  const current = (name: string) => launched.get(name)!.at(-1)!;
  return { clock, log, restarted, supervisor, launched, add, current };
}

describe('supervisor: a service that dies', () => {
  it('is restarted after the backoff, keeps the others running, and says which, how and when', async () => {
    const s = supervised();
    for (const name of ['shandong', 'yangtze-delta', 'gateway']) s.add(name);
    const killed = s.current('shandong');
    killed.exit(null, 'SIGKILL');
    expect(s.log).toEqual(['[shandong] exited unexpectedly (signal SIGKILL); restarting it in 0.5 s (restart 1 of at most 5 within 5 min).']);
    expect(s.supervisor.state('shandong')).toBe('waiting-to-restart');
    expect(s.supervisor.process('shandong')).toBeUndefined();
    await s.clock.advance(499);
    expect(s.launched.get('shandong')).toHaveLength(1);
    await s.clock.advance(1);
    expect(s.launched.get('shandong')).toHaveLength(2);
    expect(s.supervisor.state('shandong')).toBe('running');
    expect(s.supervisor.process('shandong')).toBe(s.current('shandong'));
    expect(s.restarted).toEqual([['shandong', s.current('shandong').pid]]);
    for (const other of ['yangtze-delta', 'gateway']) {
      expect(s.launched.get(other)).toHaveLength(1);
      expect(s.current(other).signals).toEqual([]);
    }
  });

  it('is restarted also when it exits 0 or 1 on its own', async () => {
    const s = supervised();
    s.add('catalogue');
    s.current('catalogue').exit(0);
    await s.clock.advance(500);
    s.current('catalogue').exit(1);
    expect(s.log).toEqual([
      '[catalogue] exited unexpectedly (exit code 0); restarting it in 0.5 s (restart 1 of at most 5 within 5 min).',
      '[catalogue] exited unexpectedly (exit code 1); restarting it in 1 s (restart 2 of at most 5 within 5 min).',
    ]);
    await s.clock.advance(1000);
    expect(s.launched.get('catalogue')).toHaveLength(3);
  });

  it('counts each run from its own launch: a quick death after a long first run is the second in a row', async () => {
    const s = supervised();
    s.add('shandong');
    await s.clock.advance(120_000);
    s.current('shandong').exit(null, 'SIGKILL');
    await s.clock.advance(500);
    await s.clock.advance(1000);
    s.current('shandong').exit(null, 'SIGKILL');
    expect(s.log.at(-1)).toBe('[shandong] exited unexpectedly (signal SIGKILL); restarting it in 1 s (restart 2 of at most 5 within 5 min).');
    await s.clock.advance(1000);
    await s.clock.advance(60_000);
    s.current('shandong').exit(null, 'SIGKILL');
    // That run lasted a minute: a clean slate.
    expect(s.log.at(-1)).toBe('[shandong] exited unexpectedly (signal SIGKILL); restarting it in 0.5 s (restart 1 of at most 5 within 5 min).');
  });

  it('is given up past the limit while the others keep running', async () => {
    const s = supervised();
    s.add('shandong');
    s.add('gateway');
    for (const delay of [500, 1000, 2000, 4000, 8000]) {
      s.current('shandong').exit(1);
      await s.clock.advance(delay);
    }
    expect(s.launched.get('shandong')).toHaveLength(6);
    s.current('shandong').exit(1);
    expect(s.log.at(-1)).toBe('[shandong] exited unexpectedly (exit code 1); giving up on it after 5 restarts within 5 min. The other services keep running.');
    expect(s.supervisor.state('shandong')).toBe('given-up');
    await s.clock.advance(3_600_000);
    expect(s.launched.get('shandong')).toHaveLength(6);
    expect(s.clock.pending).toBe(0);
    expect(s.supervisor.state('gateway')).toBe('running');
    expect(s.current('gateway').signals).toEqual([]);
  });

  it('is not restarted when it refused to start (exit code 2): the same refusal would follow', async () => {
    const s = supervised();
    s.add('recognition');
    s.current('recognition').exit(2);
    expect(s.log).toEqual(['[recognition] exited (exit code 2): it refused to start, see its message above; not restarting it. The other services keep running.']);
    expect(s.supervisor.state('recognition')).toBe('given-up');
    await s.clock.advance(60_000);
    expect(s.launched.get('recognition')).toHaveLength(1);
  });

  it('is given up with a message when it cannot be launched again', async () => {
    const s = supervised();
    let launches = 0;
    s.supervisor.add('shandong', () => {
      if (++launches > 1) throw new Error('spawn EAGAIN');
      return new FakeProcess();
    });
    (s.supervisor.process('shandong') as FakeProcess).exit(null, 'SIGKILL');
    await s.clock.advance(500);
    expect(s.supervisor.state('shandong')).toBe('given-up');
    expect(s.log.at(-1)).toBe('[shandong] could not be launched again (spawn EAGAIN); giving up on it. The other services keep running.');
  });

  it('refuses to supervise one name twice', () => {
    const s = supervised();
    s.add('gateway');
    expect(() => s.supervisor.add('gateway', () => new FakeProcess())).toThrow('service gateway is already supervised');
  });
});

describe('supervisor: stopping', () => {
  it('stops the gateway first, then every other service at once, each with SIGTERM, and reports the time taken', async () => {
    const s = supervised();
    const names = ['yangtze-delta', 'chengdu-chongqing', 'shandong', 'catalogue', 'recognition', 'gateway'];
    for (const name of names) s.add(name);
    let report;
    void s.supervisor.stop([['gateway']]).then((r) => (report = r));
    await flush();
    expect(s.current('gateway').signals).toEqual(['SIGTERM']);
    for (const name of names.slice(0, 5)) expect(s.current(name).signals).toEqual([]);
    await s.clock.advance(300);
    s.current('gateway').exit(0);
    await flush();
    // All the others got SIGTERM before any of them has exited: in parallel.
    for (const name of names.slice(0, 5)) expect(s.current(name).signals).toEqual(['SIGTERM']);
    await s.clock.advance(200);
    for (const name of names.slice(0, 4)) s.current(name).exit(0);
    await flush();
    expect(report).toBeUndefined();
    s.current('recognition').exit(0);
    await flush();
    expect(report).toEqual({ elapsedMs: 500, killed: [] });
    expect(s.log).toEqual([]);
    for (const name of names) expect(s.supervisor.state(name)).toBe('stopped');
    expect(s.clock.pending).toBe(0);
  });

  it('sends SIGKILL only when a service has not exited within the grace period, and says so loudly', async () => {
    const s = supervised();
    s.add('gateway', 'exit');
    s.add('shandong');
    s.add('catalogue', 'exit');
    let report;
    void s.supervisor.stop([['gateway']]).then((r) => (report = r));
    await flush(); // the gateway has exited; the second stage has begun
    expect(s.current('shandong').signals).toEqual(['SIGTERM']);
    await s.clock.advance(9999);
    expect(s.current('shandong').signals).toEqual(['SIGTERM']);
    expect(s.log).toEqual([]);
    await s.clock.advance(1);
    expect(s.current('shandong').signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(s.log).toEqual([
      `!!! [shandong] did not stop within 10 s of SIGTERM: sending SIGKILL (pid ${s.current('shandong').pid}). Its work in flight is lost; an embedded database recovers on the next start.`,
    ]);
    s.current('shandong').exit(null, 'SIGKILL');
    await flush();
    expect(report).toEqual({ elapsedMs: 10_000, killed: ['shandong'] });
    expect(s.current('catalogue').signals).toEqual(['SIGTERM']);
    expect(s.clock.pending).toBe(0);
  });

  it('does not wait forever for a process that survives SIGKILL', async () => {
    const s = supervised({ stopGraceMs: 3000 });
    s.add('shandong');
    let report;
    void s.supervisor.stop([]).then((r) => (report = r));
    await s.clock.advance(3000 + 1999);
    expect(report).toBeUndefined();
    await s.clock.advance(1);
    expect(report).toEqual({ elapsedMs: 5000, killed: ['shandong'] });
    expect(s.log.at(-1)).toBe(`!!! [shandong] has not exited even after SIGKILL (pid ${s.current('shandong').pid}); not waiting for it any longer.`);
  });

  it('restarts nothing once stopping began: neither a service that exits during the stop nor one waiting to restart', async () => {
    const s = supervised();
    s.add('gateway');
    s.add('shandong', 'exit');
    s.add('catalogue', 'exit');
    s.current('shandong').exit(null, 'SIGKILL');
    expect(s.supervisor.state('shandong')).toBe('waiting-to-restart');
    const stopped = s.supervisor.stop([['gateway']]);
    expect(s.supervisor.isStopping).toBe(true);
    expect(s.supervisor.state('shandong')).toBe('stopped');
    // The gateway dies on its own during the stop: not an unexpected death.
    s.current('gateway').exit(1);
    expect(await stopped).toEqual({ elapsedMs: 0, killed: [] });
    expect(s.clock.pending).toBe(0);
    await s.clock.advance(3_600_000);
    expect(s.launched.get('shandong')).toHaveLength(1);
    expect(s.launched.get('gateway')).toHaveLength(1);
    expect(s.launched.get('catalogue')).toHaveLength(1);
    expect(s.current('catalogue').signals).toEqual(['SIGTERM']);
    expect(s.log).toEqual(['[shandong] exited unexpectedly (signal SIGKILL); restarting it in 0.5 s (restart 1 of at most 5 within 5 min).']);
  });

  it('stops once, however often it is asked', async () => {
    const s = supervised();
    s.add('gateway', 'exit');
    const first = s.supervisor.stop([['gateway']]);
    const second = s.supervisor.stop([['gateway']]);
    expect(second).toBe(first);
    await first;
    expect(s.current('gateway').signals).toEqual(['SIGTERM']);
  });
});

describe('durations in the launcher lines', () => {
  it.each([
    [0, '0 s'],
    [440, '0.44 s'],
    [500, '0.5 s'],
    [9999, '10 s'],
    [10_000, '10 s'],
    [90_000, '90 s'],
    [119_999, '120 s'],
    [120_000, '2 min'],
    [150_000, '150 s'],
    [300_000, '5 min'],
  ])('%d ms is %s', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });
});
