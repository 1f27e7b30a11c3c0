import { Agent } from 'undici';
import { callService } from '../kit/auth/service-client.js';
import type { SigningKey } from '../kit/auth/keys.js';
import type { Logger } from '../kit/logger.js';
import type { FeedEntry } from '../kit/registry/store.js';
import type { IndexStore } from './db/index-store.js';

export interface RelaySource {
  regionCode: string;
  /** Base URL of the region's registry subgraph (its `/catalogue-feed` is read). */
  registryUrl: string;
}

export interface RelayOptions {
  /** Pause between polls once a registry is caught up. */
  intervalInMs: number;
  batchSize: number;
}

/**
 * Relays every registry's transactional outbox into the national index. Each registry is polled
 * on its own loop, so one registry being down delays only its own entries; nothing is lost
 * because the outbox stays in the registry until the cursor has moved past it.
 */
export class CatalogueRelay {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 4, headersTimeout: 10_000, bodyTimeout: 30_000 });
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, string>();
  private stopped = false;

  constructor(
    private readonly store: IndexStore,
    private readonly sources: readonly RelaySource[],
    private readonly logger: Logger,
    private readonly options: RelayOptions,
    private readonly signingKey: SigningKey,
  ) {}

  start(): void {
    for (const source of this.sources) this.schedule(source, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    await this.agent.close();
  }

  /** Reads every registry until it is caught up (tests, start-up). Throws if a registry fails. */
  async syncAll(): Promise<void> {
    await Promise.all(this.sources.map(async (s) => {
      while ((await this.pull(s)) === this.options.batchSize);
    }));
  }

  /** Registries whose last poll failed, with the reason. */
  lagging(): Record<string, string> {
    return Object.fromEntries(this.failures);
  }

  private schedule(source: RelaySource, delay: number): void {
    if (this.stopped) return;
    const timer = setTimeout(async () => {
      let next = this.options.intervalInMs;
      try {
        const n = await this.pull(source);
        if (n === this.options.batchSize) next = 0; // more waiting: keep going
        if (this.failures.delete(source.regionCode)) this.logger.info({ region: source.regionCode }, 'registry feed reachable again');
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (!this.failures.has(source.regionCode)) this.logger.warn({ region: source.regionCode, reason }, 'registry feed unreachable; will retry');
        this.failures.set(source.regionCode, reason);
        next = Math.min(this.options.intervalInMs * 5, 30_000);
      }
      this.schedule(source, next);
    }, delay);
    timer.unref();
    this.timers.set(source.regionCode, timer);
  }

  private async pull(source: RelaySource): Promise<number> {
    const after = await this.store.cursor(source.regionCode);
    const body = await callService<{ entries: FeedEntry[]; lastSeq: number }>(this.agent, this.signingKey, {
      audience: source.regionCode,
      baseUrl: source.registryUrl,
      method: 'GET',
      path: `/catalogue-feed?after=${after}&limit=${this.options.batchSize}`,
    });
    if (body.entries.length > 0) await this.store.apply(source.regionCode, body.entries, body.lastSeq);
    return body.entries.length;
  }
}
