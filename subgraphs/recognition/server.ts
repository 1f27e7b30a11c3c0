import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { httpUrl, leaderEnv, parseEnv, registryUrls, registryUrlsSchema } from '../kit/config.js';
import { Leadership } from '../kit/leader.js';
import { recognitionRetention } from './retention.js';
import { catalogueSubgraph, recognitionSubgraph } from '../kit/reference.js';
import { CatalogueClient } from './catalogue-client.js';
import { isMainModule, runSubgraph, type SubgraphModule } from '../kit/run.js';
import { loadTypeDefs } from '../kit/sdl.js';
import { createSubgraphApp } from '../kit/subgraph-server.js';
import { RecognitionStore } from './db/store.js';
import { createRecognitionLoaders } from './loaders.js';
import { RegistryClient } from './registry-client.js';
import type { RecognitionContext } from './resolvers/context.js';
import { resolvers } from './resolvers/index.js';
import { RulePublisher } from './rules.js';
import { RecognitionService } from './service.js';
import { UsageRelay } from './usage-relay.js';
import { recognitionMetrics } from './metrics.js';
import { createMetrics } from '../kit/metrics.js';
import { analyticsResolvers } from './analytics.js';
import { mergeResolverMaps } from '../kit/resolver-maps.js';
import { acceptanceResolvers } from './acceptance.js';
import { copyResolvers } from './copies.js';
import { DEFAULT_COPY_FONT } from './annotated-copy.js';
import { minCellFrom } from '../kit/figures.js';

const sdlPath = fileURLToPath(new URL('./schema.graphql', import.meta.url));

const recognitionEnvSchema = z.object({
  ...registryUrlsSchema,
  /** Presentation code lifetime when the holder does not choose one. */
  HUTONG_PRESENTATION_MINUTES: z.coerce.number().int().min(1).max(60).default(5),
  /** Longest lifetime a holder may choose. */
  HUTONG_PRESENTATION_MAX_MINUTES: z.coerce.number().int().min(1).max(60).default(15),
  /**
   * Deadline of a verification's calls to the issuing registry, the live read and the usage write
   * together (and the timeout of any one registry call).
   */
  HUTONG_REGISTRY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  /** Where the catalogue's service API is: counter-assisted use finds a holder's credential in the national index. */
  /** The CJK font annotated copies are set in (a TrueType/OpenType file or collection) and its face. */
  HUTONG_COPY_FONT_FILE: z.string().min(1).default(DEFAULT_COPY_FONT.file),
  HUTONG_COPY_FONT_FACE: z.string().min(1).default(DEFAULT_COPY_FONT.family),
  HUTONG_CATALOGUE_URL: httpUrl.default(`http://127.0.0.1:${catalogueSubgraph.defaultPort}`),
  /** Pause between rounds of the usage relay, and its first backoff after a registry failed. */
  HUTONG_USAGE_RELAY_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(5000),
  /** Longest backoff of the usage relay for a registry that keeps failing. */
  HUTONG_USAGE_RELAY_MAX_BACKOFF_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  ...leaderEnv,
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
  retention: recognitionRetention,
  async create({ db, logger, env, auth }) {
    const config = parseEnv(recognitionEnvSchema, env, 'subgraph recognition');
    if (!auth.signer) throw new Error('the recognition subgraph needs its own signing key (codes and registry calls)');
    const store = new RecognitionStore(db);
    const registries = new RegistryClient(registryUrls(config), auth.signer, config.HUTONG_REGISTRY_TIMEOUT_MS);
    const catalogueClient = new CatalogueClient(config.HUTONG_CATALOGUE_URL, auth.signer, config.HUTONG_REGISTRY_TIMEOUT_MS);
    const service = new RecognitionService(
      store,
      registries,
      auth.signer,
      auth.envelopeKeys,
      { defaultMinutes: config.HUTONG_PRESENTATION_MINUTES, maxMinutes: config.HUTONG_PRESENTATION_MAX_MINUTES },
      logger,
      config.HUTONG_REGISTRY_TIMEOUT_MS,
      catalogueClient,
    );
    // Replicas of recognition share its database; one of them delivers usage records.
    const leadership = new Leadership(db, 'usage-relay', logger, config.HUTONG_LEADER_CHECK_MS);
    const relay = new UsageRelay(store, registries, logger, config.HUTONG_USAGE_RELAY_INTERVAL_MS, {
      maxBackoffInMs: config.HUTONG_USAGE_RELAY_MAX_BACKOFF_MS,
      isLeader: () => leadership.isLeader(),
    });
    const metrics = createMetrics(recognitionSubgraph.name);
    const { verified, ruleChanged } = recognitionMetrics(metrics, () => relay.backlog());
    const rules = new RulePublisher(store, logger, ruleChanged);
    const app = await createSubgraphApp<RecognitionContext>({
      metrics,
      // Waiting usage records do not make recognition unready: they are kept and delivered later.
      readiness: async () => ({ ready: true, details: { usageRelayLeader: leadership.isLeader(), usageRelay: await relay.backlog() } }),
      name: recognitionSubgraph.name,
      typeDefs: loadTypeDefs(sdlPath),
      resolvers: mergeResolverMaps<RecognitionContext>(resolvers, analyticsResolvers(db, minCellFrom(env)), acceptanceResolvers(), copyResolvers({ db, signer: auth.signer, registries, logger, font: { file: config.HUTONG_COPY_FONT_FILE, family: config.HUTONG_COPY_FONT_FACE }, deliveryTimeoutMs: config.HUTONG_REGISTRY_TIMEOUT_MS })),
      db,
      logger,
      envelopeKeys: auth.envelopeKeys,
      replays: auth.replays,
      context: (caller) => ({ caller, store, service, rules, verified, loaders: createRecognitionLoaders(store) }),
    });
    leadership.start();
    relay.start();
    return {
      app: app.app,
      metrics,
      leadership,
      async settle() {
        const pending = await relay.deliverPending();
        if (pending > 0) throw new Error(`${pending} usage record(s) still waiting for their registry`);
      },
      async stop() {
        // The relay's deliveries end before the connections and the database they use.
        await relay.stop();
        await leadership.stop();
        await registries.close();
        await catalogueClient.close();
        await app.stop();
      },
    };
  },
};

if (isMainModule(import.meta.url)) await runSubgraph(recognition);
