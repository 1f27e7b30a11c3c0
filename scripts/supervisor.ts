/**
 * How `npm start` keeps Hutong's services running and stops them: a restart policy (backoff with
 * jitter, a budget of restarts per time window, a clean slate after a stable run) and a supervisor
 * that applies it to child processes and stops them in stages. Processes and time are injected,
 * so every decision here is unit-tested without real processes or real waits.
 */

export interface RestartPolicyOptions {
  /** Wait before the first restart; each further restart in a row doubles it… */
  initialDelayMs: number;
  /** …up to this. */
  maxDelayMs: number;
  /** At most this many restarts within `windowMs`; one more death and the service is given up. */
  maxRestarts: number;
  windowMs: number;
  /** A service that ran at least this long before dying starts over with a clean record. */
  stableAfterMs: number;
  /** Fraction (0–1) of each wait that is random, so services that died together do not restart in lockstep. */
  jitter: number;
}

export const defaultRestartPolicy: RestartPolicyOptions = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  maxRestarts: 5,
  windowMs: 5 * 60_000,
  stableAfterMs: 60_000,
  jitter: 0.2,
};

export type RestartDecision =
  /** `attempt`: how many restarts within the window, this one included. */
  | { restart: true; delayMs: number; attempt: number }
  | { restart: false; restarts: number };

/** The restart record of one service. */
export class RestartPolicy {
  private restartTimes: number[] = [];
  private inARow = 0;
  private startedAt: number;

  constructor(
    private readonly options: RestartPolicyOptions,
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
  ) {
    this.startedAt = now();
  }

  /** The service was (re)launched now. */
  started(): void {
    this.startedAt = this.now();
  }

  /** The service died now: restart it, and after how long, or give it up. */
  exited(): RestartDecision {
    const now = this.now();
    if (now - this.startedAt >= this.options.stableAfterMs) {
      this.restartTimes = [];
      this.inARow = 0;
    }
    this.restartTimes = this.restartTimes.filter((t) => now - t < this.options.windowMs);
    if (this.restartTimes.length >= this.options.maxRestarts) return { restart: false, restarts: this.restartTimes.length };
    const base = Math.min(this.options.maxDelayMs, this.options.initialDelayMs * 2 ** this.inARow);
    // Jitter only shortens the wait: the first restart never waits longer than `initialDelayMs`, none longer than the cap.
    const delayMs = Math.round(base * (1 - this.options.jitter * this.random()));
    this.inARow++;
    this.restartTimes.push(now);
    return { restart: true, delayMs, attempt: this.restartTimes.length };
  }
}

/** What the supervisor needs from one running service process. */
export interface ServiceProcess {
  readonly pid: number | undefined;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
  /** `listener` runs once, when the process has exited (or could not be started). Several listeners may wait. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A service process exits 2 when it refuses to start (bad configuration, missing keys, its data
 * folder open in another process); it has said why, and starting it again meets the same refusal.
 */
export const REFUSED_TO_START_EXIT_CODE = 2;

export type ServiceState = 'running' | 'waiting-to-restart' | 'given-up' | 'stopped';

export interface SupervisorOptions {
  policy: RestartPolicyOptions;
  /** How long a service has after SIGTERM before it gets SIGKILL. */
  stopGraceMs: number;
  clock: Clock;
  random?: () => number;
  /** One line for the operator. */
  log: (line: string) => void;
  /** A service was launched again after dying (the launcher watches it become ready). */
  onRestarted?: (name: string, process: ServiceProcess) => void;
}

export interface StopReport {
  elapsedMs: number;
  /** Services that had to be sent SIGKILL. */
  killed: string[];
}

interface Supervised {
  launch: () => ServiceProcess;
  policy: RestartPolicy;
  state: ServiceState;
  process?: ServiceProcess;
  restartTimer?: unknown;
}

/** After SIGKILL the kernel ends a process at once; this bounds the wait should it not (a stuck disk). */
const AFTER_KILL_WAIT_MS = 2000;

export class Supervisor {
  private readonly services = new Map<string, Supervised>();
  private stopping = false;
  private stopped: Promise<StopReport> | undefined;

  constructor(private readonly options: SupervisorOptions) {}

  /** Launches a service and keeps it running. */
  add(name: string, launch: () => ServiceProcess): ServiceProcess {
    if (this.services.has(name)) throw new Error(`service ${name} is already supervised`);
    const service: Supervised = {
      launch,
      policy: new RestartPolicy(this.options.policy, () => this.options.clock.now(), this.options.random),
      state: 'running',
    };
    this.services.set(name, service);
    return this.launch(name, service);
  }

  state(name: string): ServiceState | undefined {
    return this.services.get(name)?.state;
  }

  /** The process currently running the service, if any. */
  process(name: string): ServiceProcess | undefined {
    return this.services.get(name)?.process;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  private launch(name: string, service: Supervised): ServiceProcess {
    const child = service.launch();
    service.process = child;
    service.state = 'running';
    service.policy.started();
    child.onExit((code, signal) => this.exited(name, service, code, signal));
    return child;
  }

  private exited(name: string, service: Supervised, code: number | null, signal: string | null): void {
    service.process = undefined;
    if (this.stopping) {
      service.state = 'stopped';
      return;
    }
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (code === REFUSED_TO_START_EXIT_CODE) {
      service.state = 'given-up';
      this.options.log(`[${name}] exited (${how}): it refused to start, see its message above; not restarting it. The other services keep running.`);
      return;
    }
    const decision = service.policy.exited();
    const { maxRestarts, windowMs } = this.options.policy;
    if (!decision.restart) {
      service.state = 'given-up';
      this.options.log(
        `[${name}] exited unexpectedly (${how}); giving up on it after ${decision.restarts} restarts within ${duration(windowMs)}. The other services keep running.`,
      );
      return;
    }
    service.state = 'waiting-to-restart';
    this.options.log(
      `[${name}] exited unexpectedly (${how}); restarting it in ${duration(decision.delayMs)} (restart ${decision.attempt} of at most ${maxRestarts} within ${duration(windowMs)}).`,
    );
    service.restartTimer = this.options.clock.setTimeout(() => {
      service.restartTimer = undefined;
      let restarted;
      try {
        restarted = this.launch(name, service);
      } catch (error) {
        service.state = 'given-up';
        this.options.log(`[${name}] could not be launched again (${(error as Error).message}); giving up on it. The other services keep running.`);
        return;
      }
      this.options.onRestarted?.(name, restarted);
    }, decision.delayMs);
  }

  /**
   * Stops every service, stage by stage (each stage in parallel, the next once it has exited):
   * SIGTERM, then SIGKILL for any that has not exited within the grace period. No service is
   * restarted from the moment this is called. Services named in no stage stop in a last stage.
   */
  stop(stages: string[][]): Promise<StopReport> {
    // Set before any signal is sent: an exit from here on is part of the stop, never a death.
    this.stopping = true;
    this.stopped ??= this.stopInStages(stages);
    return this.stopped;
  }

  private async stopInStages(stages: string[][]): Promise<StopReport> {
    const { clock } = this.options;
    const startedAt = clock.now();
    // No restart from here on: a restart still waiting is called off.
    for (const service of this.services.values()) {
      if (service.restartTimer !== undefined) clock.clearTimeout(service.restartTimer);
      service.restartTimer = undefined;
      if (service.state === 'waiting-to-restart') service.state = 'stopped';
    }
    const named = new Set(stages.flat());
    const rest = [...this.services.keys()].filter((name) => !named.has(name));
    const killed: string[] = [];
    for (const stage of [...stages, rest]) await Promise.all(stage.map((name) => this.stopOne(name, killed)));
    return { elapsedMs: clock.now() - startedAt, killed };
  }

  private stopOne(name: string, killed: string[]): Promise<void> {
    const service = this.services.get(name);
    const child = service?.process;
    if (!service || !child) return Promise.resolve();
    const { clock, stopGraceMs, log } = this.options;
    return new Promise((resolve) => {
      let giveUpWaiting: unknown;
      const killTimer = clock.setTimeout(() => {
        killed.push(name);
        log(
          `!!! [${name}] did not stop within ${duration(stopGraceMs)} of SIGTERM: sending SIGKILL (pid ${child.pid}). Its work in flight is lost; an embedded database recovers on the next start.`,
        );
        child.kill('SIGKILL');
        giveUpWaiting = clock.setTimeout(() => {
          log(`!!! [${name}] has not exited even after SIGKILL (pid ${child.pid}); not waiting for it any longer.`);
          resolve();
        }, AFTER_KILL_WAIT_MS);
      }, stopGraceMs);
      child.onExit(() => {
        clock.clearTimeout(killTimer);
        if (giveUpWaiting !== undefined) clock.clearTimeout(giveUpWaiting);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

/** `0.46 s`, `12 s`, `5 min`. */
export function duration(ms: number): string {
  if (ms < 10_000) return `${Number((ms / 1000).toFixed(2))} s`;
  if (ms < 120_000 || ms % 60_000 !== 0) return `${Math.round(ms / 1000)} s`;
  return `${ms / 60_000} min`;
}
