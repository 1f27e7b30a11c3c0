import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseEnv, registryUrlsSchema, registryUrlVariable } from '../kit/config.js';
import { catalogueSubgraph, regions } from '../kit/reference.js';
import { isMainModule, runSubgraph, type Env, type SubgraphModule } from '../kit/run.js';
import { loadTypeDefs } from '../kit/sdl.js';
import { createSubgraphApp } from '../kit/subgraph-server.js';
import { IndexStore } from './db/index-store.js';
import { createCatalogueLoaders } from './loaders.js';
import { CatalogueRelay } from './relay.js';
import type { CatalogueContext } from './resolvers/context.js';
import { resolvers } from './resolvers/index.js';

const sdlPath = fileURLToPath(new URL('./schema.graphql', import.meta.url));

export { registryUrlVariable };

const catalogueEnvSchema = z.object({
  ...registryUrlsSchema,
  HUTONG_RELAY_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(1000),
  HUTONG_RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(2000),
});

function relayConfig(env: Env) {
  const config = parseEnv(catalogueEnvSchema, env, 'subgraph catalogue') as Record<string, string | number>;
  return {
    sources: regions.map((r) => ({ regionCode: r.code, registryUrl: String(config[registryUrlVariable(r.code)]).replace(/\/+$/, '') })),
    options: { intervalInMs: Number(config.HUTONG_RELAY_INTERVAL_MS), batchSize: Number(config.HUTONG_RELAY_BATCH_SIZE) },
  };
}

/** The national catalogue and routing subgraph. */
export const catalogue: SubgraphModule = {
  name: catalogueSubgraph.name,
  defaultPort: catalogueSubgraph.defaultPort,
  sdlPath,
  migrations: [{ scope: 'catalogue', folder: fileURLToPath(new URL('./db/migrations', import.meta.url)) }],
  async create({ db, logger, env, auth }) {
    const { sources, options } = relayConfig(env);
    if (!auth.signingKey) throw new Error('the catalogue needs an internal signing key to read the registries\' feeds');
    const store = new IndexStore(db);
    const relay = new CatalogueRelay(store, sources, logger, options, auth.signingKey);
    const app = await createSubgraphApp<CatalogueContext>({
      name: catalogueSubgraph.name,
      typeDefs: loadTypeDefs(sdlPath),
      resolvers,
      db,
      logger,
      envelopeKeys: auth.envelopeKeys,
      context: (caller) => ({ caller, loaders: createCatalogueLoaders(store) }),
    });
    relay.start();
    return {
      app: app.app,
      settle: () => relay.syncAll(),
      async stop() {
        await relay.stop();
        await app.stop();
      },
    };
  },
};

if (isMainModule(import.meta.url)) await runSubgraph(catalogue);
