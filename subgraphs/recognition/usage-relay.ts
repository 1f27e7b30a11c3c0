import type { Logger } from '../kit/logger.js';
import type { UsageRecord } from '../kit/registry/records.js';
import type { RecognitionStore, UsageBacklog } from './db/store.js';
import type { RegistryClient } from './registry-client.js';

export interface UsageRelayOptions {
  /** Longest pause after consecutive failures of one registry. */
  maxBackoffInMs?: number;
  /** Records read from the queue at a time, per registry. */
  batchSize?: number;
  /** Source of the backoff's jitter, 0 ≤ x < 1 (tests fix it). */
  random?: () => number;
  /** Whether this replica delivers now (one per cluster); absent: always. */
  isLeader?: () => boolean;
}

/**
 * Pause after `failures` consecutive failed deliveries to one registry: doubling from the base,
 * at most the cap, of which the upper half is random so that registries that failed together
 * are not retried in step.
 */
export function backoffDelay(failures: number, baseInMs: number, capInMs: number, random: () => number): number {
  const full = Math.min(capInMs, baseInMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(full / 2 + (full / 2) * random());
}

/**
 * Delivers usage records that are not yet stored at their issuing registry: a crash, a hung or
 * down registry at verification time. One queue per registry, each delivered on its own, so a
 * slow or down registry never holds up another's records; within a registry, in creation order.
 * A registry that fails is left alone for a backoff that grows with each failure and resets on
 * success. A record leaves the queue only once its registry has stored it (the registry ignores
 * a redelivery).
 */
export class UsageRelay {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();
  /** Each registry's delivery under way: at most one per registry. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private round: Promise<void> | undefined;
  private readonly maxBackoffInMs: number;
  private readonly batchSize: number;
  private readonly random: () => number;
  private readonly isLeader: () => boolean;

  constructor(
    private readonly store: RecognitionStore,
    private readonly registries: RegistryClient,
    private readonly logger: Logger,
    private readonly intervalInMs: number,
    options: UsageRelayOptions = {},
  ) {
    this.maxBackoffInMs = options.maxBackoffInMs ?? 60_000;
    this.batchSize = options.batchSize ?? 100;
    this.random = options.random ?? Math.random;
    this.isLeader = options.isLeader ?? (() => true);
  }

  /** Every interval, starts a delivery for each registry with records due; never waits for a slow one. */
  start(): void {
    const tick = async () => {
      // Another replica leads: this one only waits, ready to take over.
      this.round = (this.isLeader() ? this.startRound() : Promise.resolve()).then(
        () => {},
        (error) => this.logger.warn({ reason: (error as Error).message }, 'usage relay failed'),
      );
      await this.round;
      if (!this.stopped) this.timer = setTimeout(tick, this.intervalInMs).unref();
    };
    this.timer = setTimeout(tick, this.intervalInMs).unref();
  }

  /** Stops the timer, abandons the calls under way (no registry is blamed for them) and waits for every delivery to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopping.abort(new Error('the usage relay is stopping'));
    await this.round;
    await Promise.all([...this.inFlight.values()]);
  }

  /**
   * One round: starts a delivery for every registry that has records due and is not backing
   * off, unless one is already under way for it. Resolves as soon as they are started, with each
   * registry's delivery (which never rejects).
   */
  async startRound(): Promise<Map<string, Promise<void>>> {
    const started = new Map<string, Promise<void>>();
    for (const region of await this.store.usageRegions(true)) {
      if (this.stopped || this.inFlight.has(region)) continue;
      started.set(region, this.deliver(region, false));
    }
    return started;
  }

  /**
   * Tries every pending record now, backoff or not, every registry at once, and waits for all of
   * them (settling at shutdown, tests). Returns how many records are still pending.
   */
  async deliverPending(): Promise<number> {
    await Promise.all((await this.store.usageRegions(false)).map((region) => this.deliver(region, true)));
    return this.store.pendingUsageCount();
  }

  /** Each registry's queue: pending records, the oldest one's time, the next attempt, the last error. */
  backlog(): Promise<Record<string, UsageBacklog>> {
    return this.store.usageBacklog();
  }

  /** Runs a registry's delivery after the one under way for it, if any: one at a time, in order. */
  private deliver(region: string, force: boolean): Promise<void> {
    const run = (this.inFlight.get(region) ?? Promise.resolve()).then(() => this.drain(region, force));
    this.inFlight.set(region, run);
    void run.then(() => {
      if (this.inFlight.get(region) === run) this.inFlight.delete(region);
    });
    return run;
  }

  /** Delivers a registry's records oldest first, until none is left or one fails (the later ones wait behind it). */
  private async drain(region: string, force: boolean): Promise<void> {
    try {
      for (;;) {
        const batch = this.stopped ? [] : await this.store.usageRecordsToDeliver(region, this.batchSize, force);
        if (batch.length === 0) return;
        for (const item of batch) {
          if (this.stopped) return;
          try {
            await this.registries.recordUsage(region, item.record as UsageRecord, { signal: this.stopping.signal });
          } catch (error) {
            if (this.stopped) return;
            const reason = (error as Error).message;
            await this.store.markUsageAttemptFailed(item.verificationId, reason);
            const { failures, delayInMs } = await this.store.usageRegionFailed(region, reason, (n) =>
              backoffDelay(n, this.intervalInMs, this.maxBackoffInMs, this.random),
            );
            this.logger.warn({ region, reason, failures, retryInMs: delayInMs }, 'usage records wait for their registry');
            return;
          }
          await this.store.markUsageDelivered(item.verificationId);
        }
      }
    } catch (error) {
      this.logger.warn({ region, reason: (error as Error).message }, 'usage relay failed');
    }
  }
}
