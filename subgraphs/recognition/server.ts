import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseEnv, registryUrls, registryUrlsSchema } from '../kit/config.js';
import { recognitionSubgraph } from '../kit/reference.js';
import { isMainModule, runSubgraph, type SubgraphModule } from '../kit/run.js';
import { loadTypeDefs } from '../kit/sdl.js';
import { createSubgraphApp } from '../kit/subgraph-server.js';
import { RecognitionStore } from './db/store.js';
import { createRecognitionLoaders } from './loaders.js';
import { RegistryClient } from './registry-client.js';
import type { RecognitionContext } from './resolvers/context.js';
import { resolvers } from './resolvers/index.js';
import { RecognitionService } from './service.js';
import { UsageRelay } from './usage-relay.js';

const sdlPath = fileURLToPath(new URL('./schema.graphql', import.meta.url));

const recognitionEnvSchema = z.object({
  ...registryUrlsSchema,
  /** Presentation code lifetime when the holder does not choose one. */
  HUTONG_PRESENTATION_MINUTES: z.coerce.number().int().min(1).max(60).default(5),
  /** Longest lifetime a holder may choose. */
  HUTONG_PRESENTATION_MAX_MINUTES: z.coerce.number().int().min(1).max(60).default(15),
  /** Timeout of calls to a registry during a verification. */
  HUTONG_REGISTRY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
  /** Pause between delivery attempts of queued usage records. */
  HUTONG_USAGE_RELAY_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(5000),
});

/** Cross-region recognition: rules, presentation codes, verification, disputes. */
export const recognition: SubgraphModule = {
  name: recognitionSubgraph.name,
  defaultPort: recognitionSubgraph.defaultPort,
  sdlPath,
  migrations: [{ scope: 'recognition', folder: fileURLToPath(new URL('./db/migrations', import.meta.url)) }],
  async seed(db) {
    await new RecognitionStore(db).seedReferenceData();
  },
  async create({ db, logger, env, auth }) {
    const config = parseEnv(recognitionEnvSchema, env, 'subgraph recognition');
    if (!auth.signingKey) throw new Error('the recognition subgraph needs an internal signing key (codes and registry calls)');
    const store = new RecognitionStore(db);
    const registries = new RegistryClient(registryUrls(config), auth.signingKey, config.HUTONG_REGISTRY_TIMEOUT_MS);
    const service = new RecognitionService(
      store,
      registries,
      auth.signingKey,
      auth.envelopeKeys,
      { defaultMinutes: config.HUTONG_PRESENTATION_MINUTES, maxMinutes: config.HUTONG_PRESENTATION_MAX_MINUTES },
      logger,
    );
    const relay = new UsageRelay(store, registries, logger, config.HUTONG_USAGE_RELAY_INTERVAL_MS);
    const app = await createSubgraphApp<RecognitionContext>({
      name: recognitionSubgraph.name,
      typeDefs: loadTypeDefs(sdlPath),
      resolvers,
      db,
      logger,
      envelopeKeys: auth.envelopeKeys,
      context: (caller) => ({ caller, store, service, loaders: createRecognitionLoaders(store) }),
    });
    relay.start();
    return {
      app: app.app,
      async settle() {
        const pending = await relay.deliverPending();
        if (pending > 0) throw new Error(`${pending} usage record(s) still waiting for their registry`);
      },
      async stop() {
        relay.stop();
        await registries.close();
        await app.stop();
      },
    };
  },
};

if (isMainModule(import.meta.url)) await runSubgraph(recognition);
