import DataLoader from 'dataloader';
import type { CredentialRecord } from '../seed/credentials.js';
import type { StatusCode } from '../reference.js';
import type { CredentialStore } from './store.js';

export interface RegistryLoaders {
  /** Batches every `_entities` lookup of one request into a single query. */
  credential: DataLoader<string, CredentialRecord | null>;
  statusCounts: DataLoader<'all', Map<StatusCode, number>>;
}

/** Fresh per request: a loader's cache must never outlive the request that filled it. */
export function createRegistryLoaders(store: CredentialStore): RegistryLoaders {
  return {
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
