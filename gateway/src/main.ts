import { listen } from '../../subgraphs/kit/http.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { loadGatewayConfig } from './config.js';
import { createGateway, GRAPHQL_PATH } from './gateway.js';

const logger = createLogger('gateway');
let config;
try {
  config = loadGatewayConfig();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
const gateway = await createGateway(config, logger);
const listening = await listen(gateway.app, config.port, config.host);
logger.info(
  { graphql: `${listening.url}${GRAPHQL_PATH}`, graphiql: config.graphiql ? `${listening.url}/graphiql` : 'off', supergraph: config.supergraphPath },
  'gateway listening',
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await listening.close();
    await gateway.stop();
    process.exit(0);
  });
}
