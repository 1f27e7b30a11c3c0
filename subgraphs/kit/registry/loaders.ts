import DataLoader from 'dataloader';
import type { StatusCode } from '../reference.js';
import type { Dispute, RecordStore, UsageRecord } from './records.js';
import type { CredentialStore, StoredCredential } from './store.js';

export interface RegistryLoaders {
  /** Batches every `_entities` lookup of one request into a single query. */
  credential: DataLoader<string, StoredCredential | null>;
  usageRecords: DataLoader<string, UsageRecord[]>;
  disputes: DataLoader<string, Dispute[]>;
  statusCounts: DataLoader<'all', Map<StatusCode, number>>;
}

/** Fresh per request: a loader's cache must never outlive the request that filled it. */
export function createRegistryLoaders(store: CredentialStore, records: RecordStore): RegistryLoaders {
  return {
    usageRecords: new DataLoader(async (ids) => groupBy(await records.usageRecordsFor(ids), ids)),
    disputes: new DataLoader(async (ids) => groupBy(await records.disputesFor(ids), ids)),
    credential: new DataLoader(async (ids) => {
      const found = new Map((await store.findByIds(ids)).map((c) => [c.id, c]));
      return ids.map((id) => found.get(id) ?? null);
    }),
    statusCounts: new DataLoader(async (keys) => {
      const counts = await store.countByStatus();
      return keys.map(() => counts);
    }),
  };
}

function groupBy<T extends { credentialId: string }>(rows: T[], ids: readonly string[]): T[][] {
  const by = new Map<string, T[]>();
  for (const r of rows) by.set(r.credentialId, [...(by.get(r.credentialId) ?? []), r]);
  return ids.map((id) => by.get(id) ?? []);
}
