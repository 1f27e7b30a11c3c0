import type { Logger } from '../kit/logger.js';
import type { UsageRecord } from '../kit/registry/records.js';
import type { RecognitionStore } from './db/store.js';
import type { RegistryClient } from './registry-client.js';

/**
 * Delivers usage records whose issuing registry was unreachable at verification time. A record
 * leaves the queue only once the registry has stored it (the registry ignores a redelivery).
 */
export class UsageRelay {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: RecognitionStore,
    private readonly registries: RegistryClient,
    private readonly logger: Logger,
    private readonly intervalInMs: number,
  ) {}

  start(): void {
    const tick = async () => {
      await this.deliverPending().catch((error) => this.logger.warn({ reason: (error as Error).message }, 'usage relay failed'));
      if (!this.stopped) this.timer = setTimeout(tick, this.intervalInMs).unref();
    };
    this.timer = setTimeout(tick, this.intervalInMs).unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Tries every pending record once; returns how many are still pending. */
  async deliverPending(): Promise<number> {
    let pending = 0;
    for (const item of await this.store.pendingUsageRecords(500)) {
      try {
        await this.registries.recordUsage(item.regionCode, item.record as UsageRecord);
        await this.store.markUsageDelivered(item.verificationId);
      } catch (error) {
        pending++;
        await this.store.markUsageAttemptFailed(item.verificationId, (error as Error).message);
      }
    }
    return pending;
  }
}
