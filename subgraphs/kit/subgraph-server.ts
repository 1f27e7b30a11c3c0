import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { DocumentNode } from 'graphql';
import type { Caller } from './auth/caller.js';
import { ENVELOPE_HEADER, ReplayGuard, ReplayStoreUnavailable, verifyEnvelope, type ReplayStore } from './auth/envelope.js';
import { enforceDeclaredScopes } from './auth/scopes.js';
import { GATEWAY_SERVICE, type ServiceKeySet } from './auth/service-keys.js';
import type { Database } from './db.js';
import type { Leadership } from './leader.js';
import { maskErrors } from './errors.js';
import { graphqlHandler } from './graphql-handler.js';
import { jsonErrorHandler } from './http-errors.js';
import { assignRequestId, requestScope } from './request-context.js';
import type { Logger } from './logger.js';
import { traceRequests } from './tracing.js';
import { accessLog, createMetrics, databasePoolMetrics, type ServiceMetrics } from './metrics.js';

export interface SubgraphDefinition<TContext> {
  /** Subgraph name as used in composition (`catalogue`, `yangtze-delta`, …). */
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  db: Database;
  logger: Logger;
  /** Every service's public key, bound to its service: whose envelopes the subgraph can check. */
  envelopeKeys: ServiceKeySet;
  /** Where used envelope ids are kept: shared by replicas (Redis), or this process's own. */
  replays?: ReplayStore;
  /** Builds the per-request context: fresh DataLoaders every request, so no data leaks between callers. */
  context: (caller: Caller) => TContext;
  /** Extra HTTP routes next to `/graphql` (e.g. a registry's catalogue feed). */
  routes?: (app: Express) => void;
  /** The process's metrics; the subgraph's own series are added to the same registry. */
  metrics?: ServiceMetrics;
  /** More for `/ready` (e.g. the catalogue's relay lag per registry); `ready: false` answers 503. */
  readiness?: () => Promise<{ ready: boolean; details: Record<string, unknown> }>;
}

type RawRequest = Request & { rawBody?: Buffer };

/**
 * A route only the named services may call, each with its own key: a registry's feed is for the
 * catalogue, its service API for recognition, `/graphql` for the gateway.
 */
export function onlyFrom(...services: string[]) {
  const message = `This endpoint is for ${services.join(', ')} only.`;
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (services.includes(res.locals.envelopeService as string)) next();
    else res.status(403).json({ errors: [{ message, extensions: { code: 'FORBIDDEN', requestId: res.locals.requestId } }] });
  };
}

export interface SubgraphApp {
  app: Express;
  /** What `/metrics` serves (absent only for apps not built by createSubgraphApp). */
  metrics?: ServiceMetrics;
  /** Finishes pending background work (the catalogue relays every registry once). */
  settle?(): Promise<void>;
  /** Who runs the subgraph's once-per-cluster work (its relay), when it has any. */
  leadership?: Leadership;
  stop(): Promise<void>;
}

/** Builds (never listens) the HTTP app of one subgraph: `/graphql`, `/health`, `/ready` and its own routes. */
export async function createSubgraphApp<TContext>(
  def: SubgraphDefinition<TContext>,
): Promise<SubgraphApp> {
  const metrics = def.metrics ?? createMetrics(def.name);
  databasePoolMetrics(metrics, def.db);
  const graphql = graphqlHandler({
    // The SDL's access declarations are enforced here too, not only at the gateway.
    schema: enforceDeclaredScopes(buildSubgraphSchema([{ typeDefs: def.typeDefs, resolvers: def.resolvers }])),
    context: def.context,
    formatError: maskErrors(def.logger, `subgraph ${def.name}`),
    onError: (code) => metrics.errors.inc({ code }),
  });

  const app = express();
  app.disable('x-powered-by');
  // Every answer is no-store and never revalidated: no entity tag hashed for each (0.4 % of the process in a profile).
  app.set('etag', false);
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', subgraph: def.name });
  });
  app.use(assignRequestId);
  app.use(traceRequests(def.name));
  app.use(accessLog(def.logger, metrics));
  app.get('/ready', async (_req, res) => {
    try {
      await def.db.query('select 1');
    } catch {
      res.status(503).json({ status: 'unavailable', subgraph: def.name, reason: 'database unreachable' });
      return;
    }
    const extra = await def.readiness?.();
    res.status(extra && !extra.ready ? 503 : 200).json({ status: extra && !extra.ready ? 'unavailable' : 'ready', subgraph: def.name, database: def.db.kind, ...extra?.details });
  });
  // Keep the exact bytes: the envelope is bound to the body's hash.
  app.use(express.json({ limit: '1mb', verify: (req, _res, buf) => ((req as RawRequest).rawBody = buf) }));
  const replays = def.replays ?? new ReplayGuard();
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      const verified = await verifyEnvelope(def.envelopeKeys, req.header(ENVELOPE_HEADER), {
        audience: def.name,
        method: req.method,
        path: req.originalUrl,
        body: (req as RawRequest).rawBody ?? '',
      }, replays);
      res.locals.caller = verified.caller;
      res.setHeader('cache-control', 'no-store');
      res.locals.envelopeService = verified.service;
      requestScope(req, res, next);
    } catch (error) {
      if (error instanceof ReplayStoreUnavailable) {
        def.logger.error({ reason: error.message }, 'envelope refused: its id cannot be checked against replays');
        res.status(503).json({ errors: [{ message: 'The subgraph cannot check requests right now; try again shortly.', extensions: { code: 'SERVICE_UNAVAILABLE', requestId: res.locals.requestId } }] });
        return;
      }
      res.status(401).json({ errors: [{ message: (error as Error).message, extensions: { code: 'UNAUTHENTICATED', requestId: res.locals.requestId } }] });
    }
  });
  def.routes?.(app);
  app.use('/graphql', onlyFrom(GATEWAY_SERVICE), graphql);
  app.use(jsonErrorHandler(def.logger, `subgraph ${def.name}`));
  return {
    app,
    metrics,
    stop: async () => {},
  };
}
