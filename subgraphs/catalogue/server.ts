import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { leaderEnv, parseEnv, registryUrlsSchema, registryUrlVariable } from '../kit/config.js';
import { Leadership } from '../kit/leader.js';
import { catalogueSubgraph, regions } from '../kit/reference.js';
import { isMainModule, runSubgraph, type Env, type SubgraphModule } from '../kit/run.js';
import { loadTypeDefs } from '../kit/sdl.js';
import { createSubgraphApp } from '../kit/subgraph-server.js';
import { IndexStore } from './db/index-store.js';
import { catalogueInternalRoutes } from './internal.js';
import { createCatalogueLoaders } from './loaders.js';
import { CatalogueRelay, type RegionRelayStatus } from './relay.js';
import { createMetrics, type ServiceMetrics } from '../kit/metrics.js';
import client from 'prom-client';
import type { CatalogueContext } from './resolvers/context.js';
import { resolvers } from './resolvers/index.js';

const sdlPath = fileURLToPath(new URL('./schema.graphql', import.meta.url));

export { registryUrlVariable };

const catalogueEnvSchema = z.object({
  ...registryUrlsSchema,
  HUTONG_RELAY_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(1000),
  HUTONG_RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(2000),
  ...leaderEnv,
});

function relayConfig(env: Env) {
  const config = parseEnv(catalogueEnvSchema, env, 'subgraph catalogue') as Record<string, string | number>;
  return {
    sources: regions.map((r) => ({ regionCode: r.code, registryUrl: String(config[registryUrlVariable(r.code)]).replace(/\/+$/, '') })),
    options: { intervalInMs: Number(config.HUTONG_RELAY_INTERVAL_MS), batchSize: Number(config.HUTONG_RELAY_BATCH_SIZE) },
    leaderCheckMs: Number(config.HUTONG_LEADER_CHECK_MS),
  };
}

/** The relay's state per registry, read at each scrape. */
function relayMetrics(metrics: ServiceMetrics, status: () => Record<string, RegionRelayStatus>): void {
  const perRegion = (name: string, help: string, value: (s: RegionRelayStatus) => number | null) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['region'],
      registers: [metrics.registry],
      collect() {
        for (const [region, s] of Object.entries(status())) {
          const v = value(s);
          if (v !== null) this.set({ region }, v);
        }
      },
    });
  perRegion('hutong_catalogue_relay_lag_entries', 'Outbox entries a registry holds that the national index has not read yet', (s) => s.lagEntries);
  perRegion('hutong_catalogue_relay_failing', '1 while the last poll of a registry’s feed failed', (s) => (s.failing ? 1 : 0));
  perRegion('hutong_catalogue_relay_resyncing', '1 while the index of a registry is rebuilt after its database was replaced', (s) => (s.resyncing ? 1 : 0));
  perRegion('hutong_catalogue_relay_seconds_since_success', 'Seconds since a registry’s feed was last read successfully', (s) =>
    s.lastSuccessAt ? (Date.now() - Date.parse(s.lastSuccessAt)) / 1000 : null,
  );
}

/** The national catalogue and routing subgraph. */
export const catalogue: SubgraphModule = {
  name: catalogueSubgraph.name,
  defaultPort: catalogueSubgraph.defaultPort,
  sdlPath,
  migrations: [{ scope: 'catalogue', folder: fileURLToPath(new URL('./db/migrations', import.meta.url)) }],
  async create({ db, logger, env, auth }) {
    const { sources, options, leaderCheckMs } = relayConfig(env);
    if (!auth.signer) throw new Error('the catalogue needs its own signing key to read the registries\' feeds');
    const store = new IndexStore(db);
    // Replicas of the catalogue share its database; one of them relays.
    const leadership = new Leadership(db, 'catalogue-relay', logger, leaderCheckMs);
    const relay = new CatalogueRelay(store, sources, logger, { ...options, isLeader: () => leadership.isLeader() }, auth.signer);
    const metrics = createMetrics(catalogueSubgraph.name);
    relayMetrics(metrics, () => relay.status());
    const app = await createSubgraphApp<CatalogueContext>({
      metrics,
      // The catalogue serves whatever its index holds while a registry's feed fails: it stays ready,
      // and says how far behind each registry it is.
      readiness: async () => ({ ready: true, details: { relayLeader: leadership.isLeader(), relay: relay.status() } }),
      name: catalogueSubgraph.name,
      typeDefs: loadTypeDefs(sdlPath),
      resolvers,
      db,
      logger,
      envelopeKeys: auth.envelopeKeys,
      replays: auth.replays,
      context: (caller) => ({ caller, loaders: createCatalogueLoaders(store) }),
      // Recognition alone asks the national index for a holder's credentials (counter-assisted use).
      routes: (app) => catalogueInternalRoutes(app, store),
    });
    leadership.start();
    relay.start();
    return {
      app: app.app,
      metrics,
      settle: () => relay.syncAll(),
      leadership,
      async stop() {
        await relay.stop();
        await leadership.stop();
        await app.stop();
      },
    };
  },
};

if (isMainModule(import.meta.url)) await runSubgraph(catalogue);
