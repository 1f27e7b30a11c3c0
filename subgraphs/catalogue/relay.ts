import { Agent } from 'undici';
import { z } from 'zod';
import { callService } from '../kit/auth/service-client.js';
import type { ServiceSigner } from '../kit/auth/service-keys.js';
import type { Logger } from '../kit/logger.js';
import { CATALOGUE_FEED_PATH, type FeedPage } from '../kit/registry/feed.js';
import type { FeedEntry } from '../kit/registry/store.js';
import type { IndexStore, RelayCursor } from './db/index-store.js';

export interface RelaySource {
  regionCode: string;
  /** Base URL of the region's registry subgraph (its `/catalogue-feed` is read). */
  registryUrl: string;
}

export interface RelayOptions {
  /** Pause between polls once a registry is caught up. */
  intervalInMs: number;
  batchSize: number;
  /** Whether this replica runs the relay now (one per cluster); absent: always. */
  isLeader?: () => boolean;
}

/** Where the relay stands with one registry: for readiness and metrics. */
export interface RegionRelayStatus {
  /** Sequence number read up to in the registry's current feed (during a resync: the pass's position). Null before the first answer. */
  cursor: number | null;
  /** The registry's highest sequence number at its last answer. */
  headSeq: number | null;
  /** Entries the registry holds that the index has not read yet, as of the last answer. */
  lagEntries: number | null;
  /** Epoch of the feed `cursor` counts in. */
  epoch: string | null;
  /** When a poll last succeeded (ISO 8601). */
  lastSuccessAt: string | null;
  /** Why the last poll failed; null when it succeeded. */
  failing: string | null;
  /** The registry's database was replaced and its region's index is being rebuilt. */
  resyncing: boolean;
}

/** What one poll of a registry did. */
export interface PollOutcome {
  /** Entries read and applied. */
  entries: number;
  /** The registry has more to read right away. */
  more: boolean;
}

/** A registry's feed answered something that is not a feed page continuing from the cursor. */
export class FeedAnswerError extends Error {
  override name = 'FeedAnswerError';
}

const feedPageSchema = z.object({
  entries: z.array(
    z.object({
      seq: z.number().int().positive(),
      credentialId: z.string().min(1),
      holderCode: z.string().min(1),
      holderType: z.string().min(1),
      typeCode: z.string().min(1),
      status: z.string().min(1),
    }),
  ),
  lastSeq: z.number().int().nonnegative(),
  epoch: z.string().min(1).max(200),
  headSeq: z.number().int().nonnegative(),
});

/** Checks a feed answer read after `after` before anything of it reaches the index. */
export function parseFeedPage(body: unknown, after: number, regionCode: string): FeedPage {
  const parsed = feedPageSchema.safeParse(body);
  const refuse = (why: string) => new FeedAnswerError(`the ${regionCode} catalogue feed answered an unusable page: ${why}`);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw refuse(`${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const page = parsed.data;
  let previous = after;
  for (const e of page.entries) {
    if (e.seq <= previous) throw refuse(`entry ${e.seq} is not after ${previous}`);
    previous = e.seq;
  }
  if (page.lastSeq !== previous) throw refuse(`lastSeq ${page.lastSeq} is not the last entry served (${previous})`);
  if (page.entries.length > 0 && page.headSeq < page.lastSeq) throw refuse(`headSeq ${page.headSeq} is below its own entries`);
  return { ...page, entries: page.entries as FeedEntry[] };
}

interface RegionState {
  cursor: number | null;
  headSeq: number | null;
  epoch: string | null;
  lastSuccessAt: string | null;
  failing: string | null;
  resyncing: boolean;
}

/**
 * Relays every registry's transactional outbox into the national index. Each registry is polled
 * on its own loop, so one registry being down delays only its own entries; nothing is lost
 * because the outbox stays in the registry until the cursor has moved past it.
 *
 * A cursor counts in one registry database's feed (its epoch). When a registry answers with
 * another epoch, or with a head below the cursor (a database restored from an older backup), its
 * region is resynchronised: its whole feed is read again under a new generation while the
 * region's old rows keep routing, and only then are the rows the new database does not hold
 * removed. Polls of one region never overlap; other regions go on as usual.
 */
export class CatalogueRelay {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 4, headersTimeout: 10_000, bodyTimeout: 30_000 });
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Per region, the end of the queue of its polls (never rejects). */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly states = new Map<string, RegionState>();
  private stopped = false;

  constructor(
    private readonly store: IndexStore,
    private readonly sources: readonly RelaySource[],
    private readonly logger: Logger,
    private readonly options: RelayOptions,
    private readonly signer: ServiceSigner,
  ) {
    for (const s of sources) {
      this.states.set(s.regionCode, { cursor: null, headSeq: null, epoch: null, lastSuccessAt: null, failing: null, resyncing: false });
    }
  }

  start(): void {
    for (const source of this.sources) this.schedule(source, 0);
  }

  /**
   * Stops polling. Feed reads in flight are cut off (a hung registry must not hold the shutdown;
   * nothing of an unanswered read was written); a poll already writing to the index is waited
   * for, so the database can be closed once this returns.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.agent.destroy();
    await Promise.all(this.queues.values());
  }

  /** Reads every registry until it is caught up (tests, start-up). Throws if a registry fails. */
  async syncAll(): Promise<void> {
    const results = await Promise.allSettled(this.sources.map(async (s) => {
      while ((await this.poll(s.regionCode)).more);
    }));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Reads one batch of a region's feed into the index (after any poll of that region in flight). */
  poll(regionCode: string): Promise<PollOutcome> {
    const source = this.sources.find((s) => s.regionCode === regionCode);
    if (!source) return Promise.reject(new Error(`the catalogue relays no registry for region ${regionCode}`));
    const run = (this.queues.get(regionCode) ?? Promise.resolve()).then(() => this.pollNow(source));
    this.queues.set(regionCode, run.catch(() => {}));
    return run;
  }

  /** Per region: cursor, head, lag, epoch, last success, failure and resync. */
  status(): Record<string, RegionRelayStatus> {
    return Object.fromEntries(
      this.sources.map(({ regionCode }) => {
        const s = this.states.get(regionCode)!;
        const lagEntries = s.cursor === null || s.headSeq === null ? null : Math.max(0, s.headSeq - s.cursor);
        return [regionCode, { ...s, lagEntries }];
      }),
    );
  }

  /** Registries whose last poll failed, with the reason. */
  lagging(): Record<string, string> {
    return Object.fromEntries(
      [...this.states].flatMap(([region, s]) => (s.failing === null ? [] : [[region, s.failing] as const])),
    );
  }

  private schedule(source: RelaySource, delay: number): void {
    if (this.stopped) return;
    const timer = setTimeout(async () => {
      let next = this.options.intervalInMs;
      // Another replica leads: this one only waits, ready to take over.
      if (this.options.isLeader && !this.options.isLeader()) return this.schedule(source, next);
      try {
        if ((await this.poll(source.regionCode)).more) next = 0; // more waiting: keep going
      } catch {
        next = Math.min(this.options.intervalInMs * 5, 30_000);
      }
      this.schedule(source, next);
    }, delay);
    timer.unref();
    this.timers.set(source.regionCode, timer);
  }

  private async pollNow(source: RelaySource): Promise<PollOutcome> {
    if (this.stopped) throw new Error('the catalogue relay is stopped');
    const region = source.regionCode;
    const state = this.states.get(region)!;
    try {
      const cursor = await this.store.relayCursor(region);
      const after = cursor.resync?.seq ?? cursor.lastSeq;
      const body = await callService<unknown>(this.agent, this.signer, {
        audience: region,
        baseUrl: source.registryUrl,
        method: 'GET',
        path: `${CATALOGUE_FEED_PATH}?after=${after}&limit=${this.options.batchSize}`,
      });
      const page = parseFeedPage(body, after, region);
      state.headSeq = page.headSeq;
      const outcome = cursor.resync ? await this.continueResync(region, cursor, page) : await this.advance(region, cursor, page);
      state.lastSuccessAt = new Date().toISOString();
      if (state.failing !== null) this.logger.info({ region }, 'registry feed relayed again');
      state.failing = null;
      return outcome;
    } catch (error) {
      if (!this.stopped) {
        const reason = error instanceof Error ? error.message : String(error);
        if (state.failing === null) this.logger.warn({ region, reason }, 'registry feed could not be relayed; will retry');
        state.failing = reason;
      }
      throw error;
    }
  }

  /** A poll outside a resync: applies the page, unless the page shows the registry's database was replaced. */
  private async advance(region: string, cursor: RelayCursor, page: FeedPage): Promise<PollOutcome> {
    const state = this.states.get(region)!;
    // A region never read takes the feed's epoch as it is; a cursor kept before epochs existed
    // cannot tell which database it counts in, so it is rebuilt once.
    const firstRead = cursor.epoch === null && cursor.lastSeq === 0;
    if (!firstRead && cursor.epoch !== page.epoch) return this.beginResync(region, cursor, page, 'the registry feed has another epoch');
    if (page.headSeq < cursor.lastSeq) return this.beginResync(region, cursor, page, 'the registry feed head is below the cursor');
    // Nothing new from a feed already known: no write.
    if (page.entries.length > 0 || firstRead) await this.store.apply(region, page.entries, page.lastSeq, page.epoch);
    Object.assign(state, { cursor: page.lastSeq, epoch: page.epoch, resyncing: false });
    return { entries: page.entries.length, more: page.entries.length > 0 && page.lastSeq < page.headSeq };
  }

  private async beginResync(region: string, cursor: RelayCursor, page: FeedPage, reason: string): Promise<PollOutcome> {
    const progress = await this.store.beginResync(region, page.epoch);
    this.logger.info(
      {
        region,
        reason,
        oldEpoch: cursor.epoch,
        newEpoch: page.epoch,
        oldCursor: cursor.lastSeq,
        headSeq: page.headSeq,
        ...(cursor.resync ? { abandonedEpoch: cursor.resync.epoch } : {}),
      },
      `catalogue resync of ${region} started: reading its ${page.headSeq} feed entries from the start (${reason})`,
    );
    Object.assign(this.states.get(region)!, { cursor: progress.seq, epoch: progress.epoch, resyncing: true });
    return { entries: 0, more: true };
  }

  /** A poll during a resync: applies the page under the new generation; once the pass reaches the head, swaps generations. */
  private async continueResync(region: string, cursor: RelayCursor, page: FeedPage): Promise<PollOutcome> {
    const resync = cursor.resync!;
    const state = this.states.get(region)!;
    // Replaced again while being read: start over on the newest database.
    if (page.epoch !== resync.epoch) return this.beginResync(region, cursor, page, 'the registry feed changed epoch again during the resync');
    if (page.headSeq < resync.seq) return this.beginResync(region, cursor, page, 'the registry feed head went below the resync position');
    const progress = await this.store.applyResync(region, resync.generation, page.entries, page.lastSeq);
    Object.assign(state, { cursor: progress.seq, epoch: progress.epoch, resyncing: true });
    if (page.lastSeq < page.headSeq) return { entries: page.entries.length, more: page.entries.length > 0 };
    const outcome = await this.store.finishResync(region, resync.generation);
    this.logger.info(
      {
        region,
        oldEpoch: cursor.epoch,
        newEpoch: outcome.epoch,
        entries: outcome.entries,
        removed: outcome.removed,
        durationMs: Math.max(0, Date.now() - Date.parse(resync.startedAt)),
      },
      `catalogue resync of ${region} finished: ${outcome.entries} feed entries read, ${outcome.removed} credentials the new database does not hold removed from the index`,
    );
    Object.assign(state, { cursor: outcome.lastSeq, epoch: outcome.epoch, resyncing: false });
    return { entries: page.entries.length, more: false };
  }
}
