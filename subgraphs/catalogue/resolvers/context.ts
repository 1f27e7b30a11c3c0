import type { Caller } from '../../kit/auth/caller.js';
import type { CatalogueLoaders } from '../loaders.js';

export interface CatalogueContext {
  caller: Caller;
  loaders: CatalogueLoaders;
}
