import DataLoader from 'dataloader';
import { pageCacheKey } from '../pages.js';
import type { StatusCode } from '../reference.js';
import type { Dispute, DisputePage, Keyed, PageOf, RecordStore, UsagePage, UsageRecord } from './records.js';
import type { CredentialStore, StoredCredential } from './store.js';
import type { CredentialCell, DisputeCell, FigureStore } from './figures.js';

export interface RegistryLoaders {
  /** Batches every `_entities` lookup of one request into a single query. */
  credential: DataLoader<string, StoredCredential | null>;
  /** A page of a credential's usage records; the page (size and cursor) is part of the key. */
  usageRecordPages: DataLoader<PageOf<UsagePage>, Keyed<UsageRecord>[], string>;
  usageRecordCounts: DataLoader<string, number>;
  /** A page of a credential's disputes; the page is part of the key. */
  disputePages: DataLoader<PageOf<DisputePage>, Keyed<Dispute>[], string>;
  disputeCounts: DataLoader<string, number>;
  statusCounts: DataLoader<'all', Map<StatusCode, number>>;
  credentialFigures: DataLoader<'all', CredentialCell[]>;
  disputeFigures: DataLoader<'all', DisputeCell[]>;
}

/** Fresh per request: a loader's cache must never outlive the request that filled it. */
export function createRegistryLoaders(store: CredentialStore, records: RecordStore, figures: FigureStore): RegistryLoaders {
  return {
    usageRecordPages: new DataLoader((requests) => records.usageRecordPagesFor(requests), { cacheKeyFn: pageKey }),
    usageRecordCounts: new DataLoader((ids) => records.usageRecordCounts(ids)),
    disputePages: new DataLoader((requests) => records.disputePagesFor(requests), { cacheKeyFn: pageKey }),
    disputeCounts: new DataLoader((ids) => records.disputeCounts(ids)),
    credential: new DataLoader(async (ids) => {
      const found = new Map((await store.findByIds(ids)).map((c) => [c.id, c]));
      return ids.map((id) => found.get(id) ?? null);
    }),
    // Figures come from the counters the registry keeps, never from counting its credentials.
    statusCounts: new DataLoader(async (keys) => {
      const counts = await figures.countByStatus();
      return keys.map(() => counts);
    }),
    credentialFigures: new DataLoader(async (keys) => {
      const cells = await figures.credentialCells();
      return keys.map(() => cells);
    }),
    disputeFigures: new DataLoader(async (keys) => {
      const cells = await figures.disputeCells();
      return keys.map(() => cells);
    }),
  };
}

const pageKey = (request: PageOf<UsagePage | DisputePage>) => pageCacheKey(request.credentialId, request.page);
