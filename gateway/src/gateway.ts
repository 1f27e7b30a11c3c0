import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import { maskErrors } from '../../subgraphs/kit/errors.js';
import type { Logger } from '../../subgraphs/kit/logger.js';
import type { GatewayConfig } from './config.js';
import { graphiqlRouter, GRAPHIQL_PATH } from './graphiql.js';
import { healthRoutes } from './health.js';
import { supergraphFromFile } from './supergraph.js';
import { createSubgraphTransport, type GatewayContext } from './transport.js';
import { createAuthenticator } from './auth.js';
import { loadSigningKey } from '../../subgraphs/kit/auth/keys.js';

export const GRAPHQL_PATH = '/graphql';

export interface HutongGateway {
  app: Express;
  stop(): Promise<void>;
}

/** Wires the gateway's modules into one HTTP app (never listens: `main.ts` does). */
export async function createGateway(config: GatewayConfig, logger: Logger): Promise<HutongGateway> {
  const authenticate = await createAuthenticator(config.clientAuth);
  const transport = createSubgraphTransport({
    subgraphUrls: config.subgraphUrls,
    timeoutInMs: config.subgraphTimeoutInMs,
    connections: config.subgraphConnections,
    signingKey: await loadSigningKey(config.internalSigningKeyFile),
  });
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFromFile(config.supergraphPath),
    buildService: (def) => transport.buildService(def),
    logger: {
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    formatError: maskErrors(logger, 'the gateway'),
    plugins: [ApolloServerPluginLandingPageDisabled()],
  });
  let ready = false;
  await apollo.start();
  ready = true;

  const app = express();
  app.disable('x-powered-by');
  healthRoutes(app, () => ready);
  if (config.graphiql) {
    app.use(graphiqlRouter({ graphqlPath: GRAPHQL_PATH }));
    app.get('/', (_req, res) => res.redirect(GRAPHIQL_PATH));
  }
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: config.maxBodyBytes }),
    expressMiddleware(apollo, { context: async ({ req }) => ({ caller: await authenticate(req.headers.authorization) }) }),
  );
  return {
    app,
    async stop() {
      ready = false;
      await apollo.stop();
      await transport.close();
    },
  };
}
