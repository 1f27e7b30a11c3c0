import DataLoader from 'dataloader';
import type { StatusCode } from '../reference.js';
import type { Dispute, RecordStore, UsageRecord } from './records.js';
import type { CredentialStore, StoredCredential } from './store.js';
import type { CredentialCell, DisputeCell, FigureStore } from './figures.js';

export interface RegistryLoaders {
  /** Batches every `_entities` lookup of one request into a single query. */
  credential: DataLoader<string, StoredCredential | null>;
  usageRecords: DataLoader<string, UsageRecord[]>;
  disputes: DataLoader<string, Dispute[]>;
  statusCounts: DataLoader<'all', Map<StatusCode, number>>;
  credentialFigures: DataLoader<'all', CredentialCell[]>;
  disputeFigures: DataLoader<'all', DisputeCell[]>;
}

/** Fresh per request: a loader's cache must never outlive the request that filled it. */
export function createRegistryLoaders(store: CredentialStore, records: RecordStore, figures: FigureStore): RegistryLoaders {
  return {
    usageRecords: new DataLoader(async (ids) => groupBy(await records.usageRecordsFor(ids), ids)),
    disputes: new DataLoader(async (ids) => groupBy(await records.disputesFor(ids), ids)),
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

function groupBy<T extends { credentialId: string }>(rows: T[], ids: readonly string[]): T[][] {
  const by = new Map<string, T[]>();
  for (const r of rows) by.set(r.credentialId, [...(by.get(r.credentialId) ?? []), r]);
  return ids.map((id) => by.get(id) ?? []);
}
