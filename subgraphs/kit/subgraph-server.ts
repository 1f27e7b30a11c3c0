import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import express, { type Express } from 'express';
import type { DocumentNode } from 'graphql';
import type { Database } from './db.js';
import { maskErrors } from './errors.js';
import type { Logger } from './logger.js';

export interface SubgraphDefinition<TContext extends BaseContext> {
  /** Subgraph name as used in composition (`catalogue`, `yangtze-delta`, …). */
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  db: Database;
  logger: Logger;
  /** Builds the per-request context: fresh DataLoaders every request, so no data leaks between callers. */
  context: () => TContext;
  /** Extra HTTP routes next to `/graphql` (e.g. a registry's catalogue feed). */
  routes?: (app: Express) => void;
}

export interface SubgraphApp {
  app: Express;
  /** Finishes pending background work (the catalogue relays every registry once). */
  settle?(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds (never listens) the HTTP app of one subgraph: `/graphql`, `/health`, `/ready` and its own routes. */
export async function createSubgraphApp<TContext extends BaseContext>(
  def: SubgraphDefinition<TContext>,
): Promise<SubgraphApp> {
  const apollo = new ApolloServer<TContext>({
    schema: buildSubgraphSchema([{ typeDefs: def.typeDefs, resolvers: def.resolvers }]),
    formatError: maskErrors(def.logger, `subgraph ${def.name}`),
    includeStacktraceInErrorResponses: false,
    // Traces would expose subgraph timings and paths to any caller; metrics come later.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', subgraph: def.name });
  });
  app.get('/ready', async (_req, res) => {
    try {
      await def.db.query('select 1');
      res.json({ status: 'ready', subgraph: def.name, database: def.db.kind });
    } catch {
      res.status(503).json({ status: 'unavailable', subgraph: def.name, reason: 'database unreachable' });
    }
  });
  def.routes?.(app);
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: async () => def.context() }),
  );
  return {
    app,
    stop: () => apollo.stop(),
  };
}
