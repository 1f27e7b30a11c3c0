import type { CatalogueLoaders } from '../loaders.js';

export interface CatalogueContext {
  loaders: CatalogueLoaders;
}
