import cluster from 'node:cluster';
import { drain, listen } from '../../subgraphs/kit/http.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { serveMetrics } from '../../subgraphs/kit/metrics.js';
import { initTracing } from '../../subgraphs/kit/tracing.js';
import { loadGatewayConfig, type GatewayConfig } from './config.js';
import { createGateway, GRAPHQL_PATH, type HutongGateway } from './gateway.js';
import { answerMetricsRequests, superviseWorkers } from './workers.js';

const logger = createLogger('gateway');
let config;
try {
  config = loadGatewayConfig();
} catch (error) {
  process.stderr.write(`The gateway cannot start: ${(error as Error).message}\n`);
  process.exit(2);
}
if (config.workers > 1 && cluster.isPrimary) {
  await superviseWorkers({ workers: config.workers, metrics: config.metrics, logger });
} else {
  await serve(config);
}

async function serve(config: GatewayConfig): Promise<void> {
  let gateway: HutongGateway;
  try {
    gateway = await createGateway(config, logger);
  } catch (error) {
    process.stderr.write(`The gateway cannot start: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const tracing = initTracing({ service: 'gateway', otlpTracesUrl: config.otlpTracesUrl });
  const listening = await listen(gateway.app, config.port, config.host);
  // A worker's figures go to the supervising process, which serves them all on the metrics port.
  const metricsListening = cluster.isWorker ? undefined : await serveMetrics(gateway.metrics, config.metrics.port, config.metrics.host);
  if (cluster.isWorker) answerMetricsRequests(gateway.metrics.registry);
  logger.info(
    {
      ...(cluster.isWorker ? { worker: Number(process.env.HUTONG_GATEWAY_WORKER) } : {}),
      graphql: `${listening.url}${GRAPHQL_PATH}`,
      graphiql: config.graphiql ? `${listening.url}/graphiql` : 'off',
      metrics: metricsListening ? `${metricsListening.url}/metrics` : 'served by the supervising process',
      supergraph: config.supergraphPath,
    },
    'gateway listening',
  );

  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'reloading the supergraph');
    void gateway.reload();
  });

  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, async () => {
      if (stopping) return;
      stopping = true;
      const startedAt = Date.now();
      logger.info({ signal }, 'stopping: no new connections, finishing requests in flight');
      gateway.markStopping();
      // Requests in flight finish on a running Apollo: HTTP is drained first, Apollo stopped after.
      await drain(listening, logger);
      await gateway.stop();
      await metricsListening?.close(0);
      await tracing.shutdown().catch(() => {});
      logger.info({ tookMs: Date.now() - startedAt }, 'stopped');
      process.exit(0);
    });
  }
}
