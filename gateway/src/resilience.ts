/**
 * What the gateway does when a subgraph is slow or down: one deadline per client request, a
 * timeout per subgraph call (which also covers the wait for a pooled connection), retries for
 * queries only, within the deadline and a retry budget, and a circuit breaker per subgraph that
 * fails fast once the subgraph keeps failing, so one region's bad day costs only that region.
 */
import { deadlineSignal } from '../../subgraphs/kit/deadline.js';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';

export interface SubgraphPolicy {
  /** Longest wait for one call, pooled-connection wait included. */
  timeoutMs: number;
  /** Consecutive failures (errors, timeouts, HTTP 5xx) that open the breaker. */
  breakerFailures: number;
  /** How long an open breaker fails fast before one probe call is let through. */
  halfOpenAfterMs: number;
  /** Extra attempts of a failed query (never a mutation). */
  retries: number;
}

/** Why a subgraph call failed, as clients and operators see it. */
export type FailureReason = 'CIRCUIT_OPEN' | 'TIMEOUT' | 'DEADLINE_EXCEEDED' | 'UNREACHABLE' | 'HTTP_ERROR';

export class SubgraphCallError extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface SubgraphHealth {
  breaker: BreakerState;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastFailure: FailureReason | null;
}

export interface GuardEvents {
  onAttempt?(subgraph: string, outcome: 'ok' | FailureReason, seconds: number): void;
  onRetry?(subgraph: string): void;
  onStateChange?(subgraph: string, state: BreakerState): void;
}

const RETRY_BASE_DELAY_MS = 50;
/** A retry is only worth starting with at least this much of the deadline left. */
const MIN_ATTEMPT_MS = 100;

/**
 * Retries may add at most a tenth of a subgraph's traffic: each call earns a tenth of a retry
 * (counted in whole tenths, so ten calls earn exactly one), up to ten retries in hand, so a
 * failing subgraph is not hit by a retry storm.
 */
class RetryBudget {
  private tenths = 100;
  earn(): void {
    this.tenths = Math.min(100, this.tenths + 1);
  }
  trySpend(): boolean {
    if (this.tenths < 10) return false;
    this.tenths -= 10;
    return true;
  }
}

const stateName = (s: CircuitState): BreakerState =>
  s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half-open' : 'open';

/** The calls to one subgraph, behind its own breaker, timeout and retry budget. */
export class SubgraphGuard {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly budget = new RetryBudget();
  private readonly health: SubgraphHealth = { breaker: 'closed', lastSuccessAt: null, lastFailureAt: null, lastFailure: null };

  constructor(
    readonly subgraph: string,
    readonly policy: SubgraphPolicy,
    private readonly events: GuardEvents = {},
    private readonly now: () => number = Date.now,
  ) {
    // A refused connection, a timeout and an HTTP 5xx count alike. A call cut short by the client's
    // deadline says little about a closed subgraph (an earlier call may have used the time up), but
    // a probe that did not answer in time must not close the breaker.
    this.breaker = circuitBreaker(handleWhen((e) => e instanceof SubgraphCallError && (e.reason !== 'DEADLINE_EXCEEDED' || this.breaker.state === CircuitState.HalfOpen)), {
      halfOpenAfter: policy.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(policy.breakerFailures),
    });
    this.breaker.onStateChange((s) => {
      this.health.breaker = stateName(s);
      events.onStateChange?.(subgraph, this.health.breaker);
    });
  }

  state(): SubgraphHealth {
    return { ...this.health };
  }

  /**
   * Runs `send` (one HTTP call, given the signal that ends it; it reads the whole answer before it
   * resolves, since the signal's timer stops then) under the deadline, retrying a
   * query on a failure when the budget and the deadline allow. A response with status ≥ 500 is
   * a failure; any other response is returned as it is.
   */
  async call<T extends { status: number }>(send: (signal: AbortSignal) => Promise<T>, options: { deadlineAt: number; idempotent: boolean }): Promise<T> {
    this.budget.earn();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(send, options.deadlineAt);
      } catch (error) {
        if (!(error instanceof SubgraphCallError)) throw error;
        const delay = Math.random() * RETRY_BASE_DELAY_MS * 2 ** attempt;
        // A timed-out call is not retried: the subgraph is slow, and a second wait would double the answer's.
        const retryable = error.reason === 'UNREACHABLE' || error.reason === 'HTTP_ERROR';
        const timeLeft = options.deadlineAt - this.now() - delay;
        // No retry once the failure has opened the breaker: it would fail fast and spend the budget.
        const closed = this.breaker.state === CircuitState.Closed;
        if (!options.idempotent || !retryable || !closed || attempt >= this.policy.retries || timeLeft < MIN_ATTEMPT_MS || !this.budget.trySpend()) throw error;
        this.events.onRetry?.(this.subgraph);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async attempt<T extends { status: number }>(send: (signal: AbortSignal) => Promise<T>, deadlineAt: number): Promise<T> {
    // Half-open: one probe is in flight; cockatiel would queue the others behind it, which is a
    // wait. Everyone else fails fast until the probe has answered.
    if (this.breaker.state === CircuitState.HalfOpen) throw this.fail('CIRCUIT_OPEN', this.openMessage());
    const remaining = deadlineAt - this.now();
    if (remaining <= 0) throw this.fail('DEADLINE_EXCEEDED', `The request's deadline passed before ${this.subgraph} was called.`);
    const limit = Math.min(this.policy.timeoutMs, remaining);
    const startedAt = this.now();
    try {
      const response = await this.breaker.execute(async () => {
        const { signal, done } = deadlineSignal(limit);
        let res: T;
        try {
          res = await send(signal);
        } catch (error) {
          if (signal.aborted) {
            throw limit < this.policy.timeoutMs
              ? new SubgraphCallError('DEADLINE_EXCEEDED', `${this.subgraph} did not answer within the request's deadline.`)
              : new SubgraphCallError('TIMEOUT', `${this.subgraph} did not answer within ${this.policy.timeoutMs} ms.`);
          }
          throw new SubgraphCallError('UNREACHABLE', `${this.subgraph} could not be reached: ${(error as Error).message}`);
        } finally {
          done();
        }
        if (res.status >= 500) throw new SubgraphCallError('HTTP_ERROR', `${this.subgraph} answered HTTP ${res.status}.`, res.status);
        return res;
      });
      this.health.lastSuccessAt = new Date(this.now()).toISOString();
      this.events.onAttempt?.(this.subgraph, 'ok', (this.now() - startedAt) / 1000);
      return response;
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw this.fail('CIRCUIT_OPEN', this.openMessage());
      if (error instanceof SubgraphCallError) {
        this.events.onAttempt?.(this.subgraph, error.reason, (this.now() - startedAt) / 1000);
        throw this.fail(error.reason, error.message, error.status);
      }
      throw error;
    }
  }

  private openMessage(): string {
    return `${this.subgraph} is failing; calls to it are paused for up to ${this.policy.halfOpenAfterMs} ms after repeated failures.`;
  }

  private fail(reason: FailureReason, message: string, status?: number): SubgraphCallError {
    this.health.lastFailureAt = new Date(this.now()).toISOString();
    this.health.lastFailure = reason;
    if (reason === 'CIRCUIT_OPEN') this.events.onAttempt?.(this.subgraph, reason, 0);
    return new SubgraphCallError(reason, message, status);
  }
}
