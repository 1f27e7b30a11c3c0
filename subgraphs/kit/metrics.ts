/**
 * Prometheus metrics of one Hutong process (gateway or subgraph), served on their own listener
 * (`HUTONG_METRICS_PORT`), never on the port clients reach. Every process has the same request,
 * latency and error series; each service adds its own (breakers, verifications, relay lag).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import express, { type NextFunction, type Request, type Response } from 'express';
import client from 'prom-client';
import type { Database } from './db.js';
import { listen, type Listening } from './http.js';
import type { Logger } from './logger.js';
import { telemetryPath } from './tracing.js';

/** Client-chosen operation names are bounded: at most this many distinct ones get their own series. */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;
const QUIET_PATHS = new Set(['/health', '/ready', '/catalogue-feed']);

export interface ServiceMetrics {
  registry: client.Registry;
  requests: client.Counter<'operation' | 'status'>;
  duration: client.Histogram<'operation'>;
  errors: client.Counter<'code'>;
  /** The label a request's operation gets: its name, `anonymous`, or `other` past the bound. */
  operationLabel(name: unknown): string;
}

export function createMetrics(service: string): ServiceMetrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry });
  const seen = new Set<string>();
  return {
    registry,
    requests: new client.Counter({
      name: 'hutong_requests_total',
      help: 'HTTP requests answered, by GraphQL operation name and HTTP status',
      labelNames: ['operation', 'status'],
      registers: [registry],
    }),
    duration: new client.Histogram({
      name: 'hutong_request_duration_seconds',
      help: 'Time from a request arriving to its response finishing, by GraphQL operation name',
      labelNames: ['operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10],
      registers: [registry],
    }),
    errors: new client.Counter({
      name: 'hutong_graphql_errors_total',
      help: 'GraphQL errors in responses, by extensions.code',
      labelNames: ['code'],
      registers: [registry],
    }),
    operationLabel(name) {
      if (typeof name !== 'string' || name === '') return 'anonymous';
      if (!OPERATION_NAME.test(name)) return 'invalid';
      if (seen.has(name)) return name;
      if (seen.size >= MAX_OPERATION_NAMES) return 'other';
      seen.add(name);
      return name;
    },
  };
}

/** Counts the errors of every GraphQL response by code. */
export function errorMetricsPlugin(metrics: ServiceMetrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            const code = error.extensions?.code;
            metrics.errors.inc({ code: typeof code === 'string' ? code : 'UNKNOWN' });
          }
        },
      };
    },
  };
}

/**
 * One access-log line and one request sample per request: operation name, status, duration and
 * request id. The path is logged without its query string (it could carry variables) and
 * without identifiers.
 * Probes (`/health`, `/ready`) and the catalogue's feed polls (every second per registry) are
 * counted but logged at debug level only.
 */
export function accessLog(logger: Logger, metrics: ServiceMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const startedAt = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      const operation = metrics.operationLabel((req.body as { operationName?: unknown } | undefined)?.operationName);
      metrics.requests.inc({ operation, status: String(res.statusCode) });
      metrics.duration.observe({ operation }, seconds);
      const path = telemetryPath(req.originalUrl);
      const line = { requestId: res.locals.requestId, method: req.method, path, operation, status: res.statusCode, durationMs: Math.round(seconds * 1000) };
      if (QUIET_PATHS.has(path)) logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}

/** SQL statements run on the process's database, and pool figures of a PostgreSQL one (the embedded one has no pool). */
export function databasePoolMetrics(metrics: ServiceMetrics, db: Database): void {
  const statementCount = db.statementCount?.bind(db);
  if (statementCount) {
    let reported = 0;
    new client.Counter({
      name: 'hutong_database_statements_total',
      help: 'SQL statements run on the database (transaction begin and commit not counted)',
      registers: [metrics.registry],
      collect() {
        const now = statementCount();
        this.inc(now - reported);
        reported = now;
      },
    });
  }
  if (!db.poolStats) return;
  const stats = db.poolStats;
  new client.Gauge({
    name: 'hutong_database_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle, waiting clients)',
    labelNames: ['state'],
    registers: [metrics.registry],
    collect() {
      const s = stats();
      this.set({ state: 'total' }, s.total);
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'waiting' }, s.waiting);
    },
  });
}

/** Serves `/metrics` on its own listener; port 0 picks a free port. */
/** What `/metrics` serves: a process's own registry, or the gateway workers' figures summed. */
export interface MetricsSource {
  registry: { contentType: string; metrics(): Promise<string> };
}

export async function serveMetrics(metrics: MetricsSource, port: number, host: string): Promise<Listening> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return listen(app, port, host);
}
