import DataLoader from 'dataloader';
import type { IndexEntry, IndexStore } from './db/index-store.js';

export interface CatalogueLoaders {
  /** A holder's index entries; every holder asked for in one request is read in one query. */
  holderCredentials: DataLoader<string, IndexEntry[]>;
}

export function createCatalogueLoaders(store: IndexStore): CatalogueLoaders {
  return {
    holderCredentials: new DataLoader(async (codes) => {
      const byHolder = new Map<string, IndexEntry[]>();
      for (const entry of await store.byHolders(codes)) {
        const list = byHolder.get(entry.holderCode) ?? [];
        list.push(entry);
        byHolder.set(entry.holderCode, list);
      }
      return codes.map((c) => byHolder.get(c) ?? []);
    }),
  };
}
