import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { maskErrors } from '../../subgraphs/kit/errors.js';
import type { Logger } from '../../subgraphs/kit/logger.js';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import type { GatewayConfig } from './config.js';
import { dashboardRouter, DASHBOARD_PATH } from './dashboard.js';
import { DEV_IDENTITIES_PATH, devIdentitiesRouter } from './dev-identities.js';
import { graphiqlRouter, GRAPHIQL_PATH } from './graphiql.js';
import { healthRoutes, type GatewayPhase } from './health.js';
import { operationLimits, operationShape, rateLimiter, requestIdOnErrors } from './limits.js';
import { assignRequestId, requestScope } from '../../subgraphs/kit/request-context.js';
import { jsonErrorHandler } from '../../subgraphs/kit/http-errors.js';
import { SupergraphSource } from './supergraph.js';
import { createGatewayMetrics } from './metrics.js';
import { traceRequests } from '../../subgraphs/kit/tracing.js';
import type { SubgraphHealth } from './resilience.js';
import { accessLog, errorMetricsPlugin, type ServiceMetrics } from '../../subgraphs/kit/metrics.js';
import { costLimitPlugin } from './cost.js';
import { authorizationPlugin } from './authorization.js';
import { createSubgraphTransport, type GatewayContext } from './transport.js';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { connectRedis } from '../../subgraphs/kit/redis.js';
import { createAuthenticator } from './auth.js';
import { GATEWAY_SERVICE, openServiceSigner } from '../../subgraphs/kit/auth/service-keys.js';
import { httpStatusPlugin, responseMediaOf, type ResponseMedia } from './http-status.js';
import { invalidUtf8BodyHandler, refuseInvalidUtf8Url, verifyUtf8Body } from './request-encoding.js';

export const GRAPHQL_PATH = '/graphql';

export interface HutongGateway {
  app: Express;
  /** Served by `main.ts` on the metrics port, never on the client port. */
  metrics: ServiceMetrics;
  /** Reads the supergraph file again (SIGHUP); true when a new supergraph is served. */
  reload(): Promise<boolean>;
  /** `/ready` answers 503 from now on, so load balancers stop sending while requests drain. */
  markStopping(): void;
  stop(): Promise<void>;
}

/** Wires the gateway's modules into one HTTP app (never listens: `main.ts` does). */
export async function createGateway(config: GatewayConfig, logger: Logger): Promise<HutongGateway> {
  const authenticate = await createAuthenticator(config.clientAuth);
  // The breaker gauge reads the transport, which reports to the metrics: tied after both exist.
  let subgraphHealth: () => Record<string, SubgraphHealth> = () => ({});
  const metrics = createGatewayMetrics(() => subgraphHealth());
  const transport = createSubgraphTransport({
    subgraphUrls: config.subgraphUrls,
    policyOf: config.policyOf,
    defaultDeadlineMs: config.requestDeadlineMs,
    events: {
      ...metrics.guardEvents,
      onStateChange: (subgraph, state) => logger.warn({ subgraph, breaker: state }, state === 'open' ? 'subgraph breaker opened: failing fast' : `subgraph breaker ${state}`),
    },
    onFailure: (subgraph, reason, message, requestId) => logger.warn({ subgraph, reason, requestId, detail: message }, 'subgraph call failed'),
    connections: config.subgraphConnections,
    shareIdenticalQueries: config.shareIdenticalQueries,
    onShared: metrics.onSharedCall,
    signer: await openServiceSigner(GATEWAY_SERVICE, config.internalSigningKeyFile, {
      onRefused: (file, error) => logger.error({ file, detail: error.message }, 'changed key file refused: the key read before stays in force'),
    }),
  });
  subgraphHealth = () => transport.health();
  const supergraph = new SupergraphSource(config.supergraphPath, logger);
  // Otherwise @apollo/gateway starts a metrics exporter to Apollo, probing AWS, GCP, Azure and
  // Alibaba metadata addresses on the way: Hutong calls out to its configured services only.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.hook,
    buildService: (def) => transport.buildService(def),
    logger: {
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
  });
  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => supergraph.schemaLoaded(apiSchema));
  const limits = operationLimits(config.limits);
  const apollo = new ApolloServer<GatewayContext & { requestId?: string; responseMedia?: ResponseMedia }>({
    gateway,
    introspection: config.introspection !== 'off',
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    formatError: maskErrors(logger, 'the gateway'),
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    // The process's own SIGTERM handler stops HTTP first and Apollo once; Apollo's handler would stop
    // it a second time, under requests still draining.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      errorMetricsPlugin(metrics),
      requestIdOnErrors,
      operationShape,
      ...limits.plugins,
      authorizationPlugin((schema) => supergraph.policyFor(schema), config.introspection),
      costLimitPlugin((schema) => supergraph.demandFor(schema), config.limits.maxCost),
      httpStatusPlugin,
    ],
  });
  let phase: GatewayPhase = 'starting';
  await apollo.start();
  phase = 'serving';

  // Replicas share their rate-limit counters in Redis.
  const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : undefined;
  const rateLimitStore = redis
    ? new RedisStore({ prefix: 'hutong:rate-limit:', sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply> })
    : undefined;

  const app = express();
  app.disable('x-powered-by');
  // Behind a load balancer the client is the address the trusted proxies name, not the proxy's.
  app.set('trust proxy', config.trustProxy);
  app.use(assignRequestId);
  app.use(traceRequests('gateway'));
  app.use(accessLog(logger, metrics));
  const health = healthRoutes(app, { phase: () => phase, subgraphs: () => transport.health(), baseUrlOf: (name) => transport.baseUrlOf(name) });
  const devIdentitiesPath = config.devClientSigningKeyFile ? DEV_IDENTITIES_PATH : undefined;
  if (config.devClientSigningKeyFile) app.use(devIdentitiesRouter(config.devClientSigningKeyFile));
  if (config.graphiql) {
    app.use(graphiqlRouter({ graphqlPath: GRAPHQL_PATH, devIdentitiesPath, dashboardPath: config.dashboard ? DASHBOARD_PATH : undefined }));
    app.get('/', (_req, res) => res.redirect(GRAPHIQL_PATH));
  }
  if (config.dashboard) app.use(dashboardRouter({ graphqlPath: GRAPHQL_PATH, devIdentitiesPath, graphiqlPath: config.graphiql ? GRAPHIQL_PATH : undefined }));
  app.use(
    GRAPHQL_PATH,
    // The token is checked once, first: the rate limit counts a verified caller, and the
    // GraphQL context gets the same answer (a refused token becomes a 401 there).
    (req: Request, res: Response, next: NextFunction) => {
      res.locals.receivedAt = Date.now();
      const caller = authenticate(req.headers.authorization);
      caller.catch(() => {}); // a refused token is answered in the context, not here
      res.locals.caller = caller;
      next();
    },
    rateLimiter(config.limits, rateLimitStore),
    // Bytes that are not UTF-8, in the URL or the body, are refused before anything is parsed.
    refuseInvalidUtf8Url,
    express.json({ limit: config.maxBodyBytes, verify: verifyUtf8Body }),
    invalidUtf8BodyHandler,
    requestScope,
    expressMiddleware(apollo, {
      context: async ({ req, res }) => ({
        requestId: res.locals.requestId as string,
        deadlineAt: res.locals.receivedAt + config.requestDeadlineMs,
        caller: await (res.locals.caller as Promise<Caller>),
        // The HTTP status of the answer depends on it (http-status.ts).
        responseMedia: responseMediaOf(req),
      }),
    }),
  );
  app.use(jsonErrorHandler(logger, 'the gateway'));
  return {
    app,
    metrics,
    reload: () => supergraph.reload('signal'),
    markStopping: () => {
      phase = 'stopping';
    },
    async stop() {
      phase = 'stopping';
      supergraph.close();
      await apollo.stop();
      await redis?.quit().catch(() => {});
      await transport.close();
      await health.close();
    },
  };
}
