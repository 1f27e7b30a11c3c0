import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { openServiceSigner, ServiceKeySet, type ServiceSigner } from './auth/service-keys.js';
import { RedisReplayGuard, type ReplayStore } from './auth/envelope.js';
import { connectRedis, type Redis } from './redis.js';
import { RetentionJob, type RetentionTask } from './retention.js';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { ConfigError, metricsPortFor, parseEnv, subgraphEnvSchema } from './config.js';
import { serveMetrics } from './metrics.js';
import { initTracing } from './tracing.js';
import { DataFolderInUseError, openDatabase, type Database } from './db.js';
import { drain, listen } from './http.js';
import { createLogger, type Logger } from './logger.js';
import { migrate } from './migrate.js';
import type { SubgraphApp } from './subgraph-server.js';

export type Env = Record<string, string | undefined>;

/** What the launcher, the tests and composition need to know about one subgraph. */
export interface SubgraphModule {
  name: string;
  defaultPort: number;
  /** The subgraph's SDL file (with the shared files it imports): the source of truth for composition. */
  sdlPath: string;
  /** Migration folders, applied in order; `scope` keeps their file names apart. */
  migrations: { scope: string; folder: string }[];
  /** Seeds the database up to `count` records; reports progress. */
  seed?: (db: Database, count: number, onProgress: (done: number, target: number) => void) => Promise<unknown>;
  /** Rows it deletes when they are old enough (run by a job in every process). */
  retention?: (env: Env) => RetentionTask[];
  /** Builds the subgraph's HTTP app (never listens). */
  create: (deps: SubgraphDeps) => Promise<SubgraphApp>;
}

export interface SubgraphAuth {
  /** Every service's public key, bound to its service: verifies the envelopes on incoming requests. */
  envelopeKeys: ServiceKeySet;
  /** This subgraph's own key: signs its calls to other subgraphs (absent when it has none). */
  signer?: ServiceSigner;
  /** Used envelope ids shared by the subgraph's replicas (Redis); absent: this process's own. */
  replays?: ReplayStore;
}

export interface SubgraphDeps {
  db: Database;
  logger: Logger;
  env: Env;
  auth: SubgraphAuth;
}

/**
 * Loads the internal JWKS and the subgraph's own key file (a registry, which calls no one, may
 * have none). Both are followed as they change: rotation needs no restart.
 */
export async function loadSubgraphAuth(service: string, files: { jwks: string; signingKey: string }, onRefused?: (file: string, error: Error) => void): Promise<SubgraphAuth> {
  return {
    envelopeKeys: await ServiceKeySet.open(files.jwks, { onRefused }),
    signer: existsSync(files.signingKey) ? await openServiceSigner(service, files.signingKey, { onRefused }) : undefined,
  };
}

export function isMainModule(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && pathToFileURL(path.resolve(process.argv[1])).href === moduleUrl;
}

export async function prepareDatabase(mod: SubgraphModule, db: Database): Promise<void> {
  for (const { scope, folder } of mod.migrations) await migrate(db, folder, scope);
}

/** A progress line at most every ~2 s, with rate and time left, for long seeds. */
export function progressReporter(logLine: (line: string) => void) {
  let startedAt: number | undefined;
  let lastAt = 0;
  let startedFrom = 0;
  return (done: number, target: number) => {
    const now = Date.now();
    // Rates count from the first report, so a resumed seed is not credited with earlier work.
    if (startedAt === undefined) {
      startedAt = now;
      startedFrom = done;
      lastAt = now;
      return;
    }
    if (done < target && now - lastAt < 2000) return;
    lastAt = now;
    const seconds = Math.max((now - startedAt) / 1000, 0.001);
    const rate = (done - startedFrom) / seconds;
    const eta = rate > 0 ? Math.round((target - done) / rate) : 0;
    const pct = ((done / target) * 100).toFixed(1);
    logLine(`seeded ${done.toLocaleString('en')}/${target.toLocaleString('en')} (${pct}%) ${Math.round(rate).toLocaleString('en')}/s${done < target ? `, about ${eta}s left` : ''}`);
  };
}

/**
 * Entry point of one subgraph process: validate configuration, open and migrate its database,
 * seed it, listen, and stop cleanly on SIGINT/SIGTERM.
 */
export async function runSubgraph(mod: SubgraphModule, env: Env = process.env): Promise<void> {
  const logger = createLogger(mod.name);
  let config;
  try {
    config = parseEnv(subgraphEnvSchema(mod.defaultPort, mod.name), env, `subgraph ${mod.name}`);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const tracing = initTracing({ service: mod.name, otlpTracesUrl: config.HUTONG_OTLP_TRACES_URL });
  let auth: SubgraphAuth;
  try {
    auth = await loadSubgraphAuth(mod.name, { jwks: config.HUTONG_INTERNAL_JWKS_FILE, signingKey: config.HUTONG_INTERNAL_SIGNING_KEY_FILE }, (file, error) =>
      logger.error({ file, detail: error.message }, 'changed key file refused: the keys read before stay in force'),
    );
  } catch (error) {
    process.stderr.write(`Subgraph ${mod.name} cannot start: ${(error as Error).message}\n`);
    process.exit(2);
  }
  let databaseUrl = config.HUTONG_DATABASE_URL;
  if (config.HUTONG_DATABASE_URL_FILE) {
    try {
      databaseUrl = readFileSync(config.HUTONG_DATABASE_URL_FILE, 'utf8').trim();
    } catch (error) {
      process.stderr.write(`Subgraph ${mod.name} cannot start: HUTONG_DATABASE_URL_FILE cannot be read: ${(error as Error).message}\n`);
      process.exit(2);
    }
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      process.stderr.write(`Subgraph ${mod.name} cannot start: ${config.HUTONG_DATABASE_URL_FILE} must hold a postgres:// or postgresql:// URL\n`);
      process.exit(2);
    }
  }
  if (!databaseUrl) await mkdir(config.HUTONG_DATA_DIR, { recursive: true });
  let db: Database;
  try {
    db = await openDatabase(databaseUrl ? { url: databaseUrl } : { dataDir: config.HUTONG_DATA_DIR });
  } catch (error) {
    if (!(error instanceof DataFolderInUseError)) throw error;
    process.stderr.write(`Subgraph ${mod.name} cannot start: ${error.message}\n`);
    process.exit(2);
  }
  logger.info({ database: db.kind, location: db.location }, 'database open');
  await prepareDatabase(mod, db);
  if (mod.seed) {
    const report = progressReporter((line) => logger.info(line));
    await mod.seed(db, config.HUTONG_SEED_COUNT, report);
  }
  let redis: Redis | undefined;
  if (config.HUTONG_REDIS_URL) {
    try {
      redis = await connectRedis(config.HUTONG_REDIS_URL, logger);
    } catch (error) {
      process.stderr.write(`Subgraph ${mod.name} cannot start: Redis at HUTONG_REDIS_URL cannot be reached: ${(error as Error).message}\n`);
      process.exit(2);
    }
    auth.replays = new RedisReplayGuard(redis, mod.name);
  }
  const subgraph = await mod.create({ db, logger, env, auth });
  const retention = mod.retention ? new RetentionJob(db, mod.retention(env), logger, config.HUTONG_RETENTION_INTERVAL_MS) : undefined;
  retention?.start();
  const listening = await listen(subgraph.app, config.HUTONG_PORT, config.HUTONG_HOST);
  const metricsListening = subgraph.metrics
    ? await serveMetrics(subgraph.metrics, metricsPortFor(config.HUTONG_PORT, config.HUTONG_METRICS_PORT), config.HUTONG_METRICS_HOST)
    : undefined;
  logger.info({ url: `${listening.url}/graphql`, metrics: metricsListening && `${metricsListening.url}/metrics` }, `subgraph ${mod.name} listening`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await drain(listening, logger);
    await metricsListening?.close(0);
    await subgraph.stop();
    await retention?.stop();
    await redis?.quit().catch(() => {});
    await db.close();
    await tracing.shutdown().catch(() => {});
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
