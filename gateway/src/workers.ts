/**
 * Gateway workers (HUTONG_GATEWAY_WORKERS > 1): this process forks that many copies of the gateway,
 * which share its port through node:cluster, and does nothing else but look after them. One
 * gateway process is one core; the query planning, token checks and envelope signing of each
 * request are CPU work that a second core can share.
 *
 * - A worker that dies is replaced (one second later); one that dies before it ever listened
 *   (a supergraph it cannot load) stops the whole gateway with its exit code.
 * - SIGTERM/SIGINT: every worker drains and stops as a single gateway does; this process exits 0
 *   once they have, within STOP_LIMIT_MS.
 * - SIGHUP is passed on: every worker reloads the supergraph.
 * - `/metrics` on the metrics port is served here: each worker's figures, summed (prom-client's
 *   cluster aggregation), so one scrape sees the whole gateway.
 */
import cluster, { type Worker } from 'node:cluster';
import client from 'prom-client';
import type { Logger } from '../../subgraphs/kit/logger.js';
import { serveMetrics } from '../../subgraphs/kit/metrics.js';

/** A worker's own drain is 8 s and its stop a moment more: past this, what is left is killed. */
const STOP_LIMIT_MS = 10_000;
const RESTART_DELAY_MS = 1000;
const METRICS_TIMEOUT_MS = 2000;

const METRICS_REQUEST = 'hutong:metrics-request';
const METRICS_REPLY = 'hutong:metrics-reply';

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}
interface MetricsReply {
  type: typeof METRICS_REPLY;
  id: number;
  metrics: client.MetricObjectWithValues<client.MetricValue<string>>[];
}

/** In a worker: answers the supervisor's requests for this worker's metrics. */
export function answerMetricsRequests(registry: client.Registry): void {
  process.on('message', (message: unknown) => {
    const m = message as Partial<MetricsRequest>;
    if (m?.type !== METRICS_REQUEST || typeof m.id !== 'number') return;
    const id = m.id;
    void registry.getMetricsAsJSON().then((metrics) => process.send?.({ type: METRICS_REPLY, id, metrics } satisfies MetricsReply));
  });
}

export interface WorkerOptions {
  workers: number;
  metrics: { port: number; host: string };
  logger: Logger;
}

/** In the supervising process: forks the workers and looks after them until told to stop. */
export async function superviseWorkers(options: WorkerOptions): Promise<void> {
  const { logger } = options;
  let stopping = false;
  const listened = new WeakSet<Worker>();

  const fork = (slot: number) => {
    const worker = cluster.fork({ HUTONG_GATEWAY_WORKER: String(slot) });
    worker.on('listening', () => listened.add(worker));
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      if (!listened.has(worker)) {
        // It could not start (the supergraph, a key file): another copy would fail the same way.
        logger.error({ worker: slot, code, signal }, 'gateway worker could not start; stopping the gateway');
        void stop(code || 1);
        return;
      }
      logger.error({ worker: slot, pid: worker.process.pid, code, signal }, `gateway worker exited unexpectedly; starting another in ${RESTART_DELAY_MS / 1000} s`);
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, RESTART_DELAY_MS);
    });
  };
  for (let slot = 1; slot <= options.workers; slot++) fork(slot);

  let nextRequest = 0;
  const workerMetrics = (worker: Worker) =>
    new Promise<MetricsReply['metrics'] | undefined>((resolve) => {
      const id = ++nextRequest;
      const timer = setTimeout(() => done(undefined), METRICS_TIMEOUT_MS);
      const onMessage = (m: Partial<MetricsReply>) => {
        if (m?.type === METRICS_REPLY && m.id === id) done(m.metrics);
      };
      const done = (metrics: MetricsReply['metrics'] | undefined) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        resolve(metrics);
      };
      worker.on('message', onMessage);
      worker.send({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
    });
  const metricsListening = await serveMetrics(
    {
      registry: {
        contentType: client.register.contentType,
        async metrics() {
          const live = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && listened.has(w) && w.isConnected());
          const replies = (await Promise.all(live.map(workerMetrics))).filter((m) => m !== undefined);
          return client.AggregatorRegistry.aggregate(replies).metrics();
        },
      },
    },
    options.metrics.port,
    options.metrics.host,
  );
  logger.info({ workers: options.workers, metrics: `${metricsListening.url}/metrics` }, 'gateway workers starting');

  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'reloading the supergraph in every worker');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
  });

  async function stop(exitCode: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    const startedAt = Date.now();
    const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    const exited = Promise.all(running.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve())))));
    for (const worker of running) worker.process.kill('SIGTERM');
    const allExited = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), STOP_LIMIT_MS).unref())]);
    if (!allExited) {
      logger.warn({ afterMs: STOP_LIMIT_MS }, 'gateway workers still running after the stop limit; killing them');
      for (const worker of running) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }
    await metricsListening.close(0);
    logger.info({ tookMs: Date.now() - startedAt }, 'stopped');
    process.exit(exitCode);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      logger.info({ signal }, 'stopping: every worker finishes the requests it has, then exits');
      void stop(0);
    });
  }
}
