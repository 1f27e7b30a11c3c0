import DataLoader from 'dataloader';
import { pageCacheKey } from '../kit/pages.js';
import type { HolderCredentialPage, IndexEntry, IndexStore } from './db/index-store.js';

export interface HolderPage {
  holderCode: string;
  page: HolderCredentialPage;
}

export interface CatalogueLoaders {
  /** A page of a holder's index entries; every page asked for in one request is read in one query, the page being part of the key. */
  holderCredentialPages: DataLoader<HolderPage, IndexEntry[], string>;
  /** How many credentials each holder has, counted only when asked for. */
  holderCredentialCounts: DataLoader<string, number>;
}

export function createCatalogueLoaders(store: IndexStore): CatalogueLoaders {
  return {
    holderCredentialPages: new DataLoader((requests) => store.pagesByHolders(requests), {
      cacheKeyFn: (r) => pageCacheKey(r.holderCode, r.page),
    }),
    holderCredentialCounts: new DataLoader((codes) => store.countByHolders(codes)),
  };
}
