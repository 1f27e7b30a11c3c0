import { fileURLToPath } from 'node:url';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { Region } from '../reference.js';
import { type SubgraphModule } from '../run.js';
import { loadTypeDefs } from '../sdl.js';
import { createSubgraphApp } from '../subgraph-server.js';
import { catalogueFeedRoute } from './feed.js';
import { createRegistryLoaders } from './loaders.js';
import type { RegistryContext } from './resolvers.js';
import { seedRegistry } from './seed.js';
import { CredentialStore } from './store.js';
import { RecordStore } from './records.js';
import { RegistryCommands } from './commands.js';
import { internalRoutes } from './internal.js';
import { registryRetention } from './retention.js';
import { figureResolvers, FigureStore } from './figures.js';
import { minCellFrom } from '../figures.js';
import { mergeResolverMaps } from '../resolver-maps.js';

export const registryMigrations = fileURLToPath(new URL('./migrations', import.meta.url));

export interface RegistryDefinition {
  region: Region;
  /** Absolute path of the region's SDL file. */
  sdlPath: string;
  resolvers: GraphQLResolverMap<RegistryContext>;
  /** The region's own migrations, applied after the shared registry ones. */
  migrationsFolder?: string;
}

/** Describes a regional registry subgraph for the launcher, the tests and composition. */
export function registryModule(def: RegistryDefinition): SubgraphModule {
  const { region } = def;
  return {
    name: region.code,
    defaultPort: region.defaultPort,
    sdlPath: def.sdlPath,
    migrations: [
      { scope: 'registry', folder: registryMigrations },
      ...(def.migrationsFolder ? [{ scope: region.code, folder: def.migrationsFolder }] : []),
    ],
    retention: (env) => registryRetention(env, region.code),
    seed: (db, count, onProgress) =>
      seedRegistry(db, region, count, (p) => onProgress(p.done, p.target)),
    async create({ db, logger, auth, env }) {
      const store = new CredentialStore(db);
      const records = new RecordStore(db);
      const commands = new RegistryCommands(db, region);
      const figures = new FigureStore(db);
      return createSubgraphApp<RegistryContext>({
        name: region.code,
        typeDefs: loadTypeDefs(def.sdlPath),
        resolvers: mergeResolverMaps(def.resolvers, figureResolvers(region, minCellFrom(env))),
        db,
        logger,
        envelopeKeys: auth.envelopeKeys,
        replays: auth.replays,
        context: (caller) => ({ caller, commands, loaders: createRegistryLoaders(store, records, figures) }),
        routes: (app) => {
          catalogueFeedRoute(app, store);
          internalRoutes(app, region, store, records);
        },
      });
    },
  };
}

