/**
 * Starts the whole of Hutong in-process for tests: every subgraph on an ephemeral port with its
 * own real database (PGlite in memory, or a fresh PostgreSQL database per subgraph), seeded by
 * the product's seed code, the catalogue's index relayed, and the real gateway in front.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { createGateway } from '../../gateway/src/gateway.js';
import { loadGatewayConfig, subgraphUrlVariable } from '../../gateway/src/config.js';
import { registryUrlVariable } from '../../subgraphs/catalogue/server.js';
import { subgraphs } from '../../subgraphs/index.js';
import { openDatabase, type Database } from '../../subgraphs/kit/db.js';
import { listen, type Listening } from '../../subgraphs/kit/http.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { prepareDatabase, loadSubgraphAuth, type Env, type SubgraphAuth } from '../../subgraphs/kit/run.js';
import { RedisReplayGuard } from '../../subgraphs/kit/auth/envelope.js';
import { connectRedis } from '../../subgraphs/kit/redis.js';
import { ensureDevKeys, loadSigningKey, type DevKeyFiles, type SigningKey } from '../../subgraphs/kit/auth/keys.js';
import { serviceNames } from '../../subgraphs/kit/reference.js';
import { mintClientToken, type ClientTokenClaims } from '../../subgraphs/kit/auth/client-tokens.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { SubgraphApp } from '../../subgraphs/kit/subgraph-server.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';

export const TEST_SEED_COUNT = 120;
const TEST_HALF_OPEN_AFTER_MS = 100;

/** Admin connection used to create and drop per-run PostgreSQL databases. */
export const postgresAdminUrl = process.env.HUTONG_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface RunningSubgraph {
  name: string;
  url: string;
  db: Database;
  /** PostgreSQL only: where its database is (a replica opens its own pool to it). */
  databaseUrl?: string;
  subgraph: SubgraphApp;
  listening: Listening;
}

export interface Stack {
  gatewayUrl: string;
  subgraphs: Map<string, RunningSubgraph>;
  /** Runs a GraphQL operation through the gateway, with a bearer token when given. */
  query<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string },
  ): Promise<{ status: number; body: { data?: T; errors?: any } }>;
  /** A client token signed by the stack's development identity key. */
  token(claims: ClientTokenClaims, options?: { expiresIn?: string }): Promise<string>;
  /** Files of the stack's keys (to forge or sign envelopes in tests). */
  keyFiles: DevKeyFiles;
  /** The folder of those files (to rotate keys with `rotateServiceKey`). */
  keyDir: string;
  /** The private key one service (`gateway`, a subgraph) signs with now. */
  serviceKey(service: string): Promise<SigningKey>;
  /** The environment the stack's gateway was configured from (to start a replica of it). */
  gatewayEnv: Env;
  /** What a subgraph process of this stack is given: its keys, and the shared replay store with Redis. */
  authFor(name: string): Promise<SubgraphAuth>;
  /** Stops one subgraph's HTTP server (to simulate a registry outage). */
  stopSubgraph(name: string): Promise<void>;
  /** Listens again on the port a stopped subgraph had. */
  restartSubgraph(name: string): Promise<void>;
  /**
   * Makes a subgraph slow or hung while it stays reachable: every request it receives (from the
   * gateway, the catalogue relay or recognition) waits `delayMs` before being served, or with
   * `'hang'` is accepted and never answered. `null` makes it healthy again.
   */
  setFault(name: string, fault: SubgraphFault | null): void;
  /** The Prometheus text a process would serve on its metrics port (`gateway` or a subgraph's name). */
  metrics(name: string): Promise<string>;
  /** How many `/graphql` requests (the gateway's calls) a subgraph has received so far. */
  graphqlRequests(name: string): number;
  stop(): Promise<void>;
}

/** Late, never, or the next `times` requests answered with an HTTP error `status`. */
export type SubgraphFault = { delayMs: number } | 'hang' | { status: number; times: number };

export interface StackOptions {
  db?: 'pglite' | 'postgres';
  seedCount?: number;
  /** PGlite only: keep each subgraph's database in `<dataRoot>/<name>` instead of memory. */
  dataRoot?: string;
  /** Extra gateway environment, e.g. a lower rate limit. */
  gatewayEnv?: Env;
  /** The gateway offers the development identities at /dev-identities, signed with the stack's client key (as `npm start` does). */
  devIdentities?: boolean;
  /** Extra environment for every subgraph, e.g. shorter relay intervals or registry timeouts. */
  subgraphEnv?: Env;
  /** Receives every log line (JSON) at level debug instead of the default silent logger. */
  logSink?: { write(line: string): void };
  /** Redis for what replicas share: used envelope ids (subgraphs) and rate-limit counters (gateway). */
  redisUrl?: string;
}

export async function createPostgresDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: postgresAdminUrl });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const kind = options.db ?? 'pglite';
  const seedCount = options.seedCount ?? TEST_SEED_COUNT;
  const logger = options.logSink
    ? createLogger('test', 'debug', options.logSink)
    : createLogger('test', process.env.HUTONG_LOG_LEVEL ?? 'silent');
  const runId = randomBytes(4).toString('hex');
  const running = new Map<string, RunningSubgraph>();
  const cleanups: (() => Promise<void>)[] = [];
  const env: Env = { ...options.subgraphEnv };
  const faults = new Map<string, SubgraphFault>();
  // Requests held by a hung subgraph; their sockets are destroyed when the fault is lifted or the stack stops.
  const held = new Set<IncomingMessage>();
  const releaseHeld = () => {
    for (const req of held) req.socket.destroy();
    held.clear();
  };
  const graphqlRequests = new Map<string, number>();
  const faulty = (name: string, app: Express): Express =>
    ((req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/graphql')) graphqlRequests.set(name, (graphqlRequests.get(name) ?? 0) + 1);
      const fault = faults.get(name);
      if (!fault) return app(req, res);
      if (fault === 'hang') {
        held.add(req);
        req.socket.once('close', () => held.delete(req));
        return;
      }
      if ('status' in fault) {
        if (--fault.times <= 0) faults.delete(name);
        res.writeHead(fault.status, { 'content-type': 'application/json' }).end('{"errors":[{"message":"injected failure"}]}');
        return;
      }
      setTimeout(() => app(req, res), fault.delayMs);
    }) as unknown as Express;
  const keyDir = mkdtempSync(path.join(tmpdir(), 'hutong-keys-'));
  cleanups.push(async () => rmSync(keyDir, { recursive: true, force: true }));
  const keyFiles = await ensureDevKeys(keyDir, serviceNames());
  const redis = options.redisUrl ? await connectRedis(options.redisUrl, logger) : undefined;
  if (redis) cleanups.push(async () => void (await redis.quit()));
  const authFor = async (name: string): Promise<SubgraphAuth> => ({
    ...(await loadSubgraphAuth(name, { jwks: keyFiles.internalJwks, signingKey: keyFiles.serviceKey(name) })),
    ...(redis ? { replays: new RedisReplayGuard(redis, name) } : {}),
  });
  const clientKey = await loadSigningKey(keyFiles.clientSigningKey);

  try {
    for (const mod of subgraphs) {
      let db: Database;
      let databaseUrl: string | undefined;
      if (kind === 'postgres') {
        const created = await createPostgresDatabase(`hutong_test_${runId}_${mod.name.replaceAll('-', '_')}`);
        cleanups.push(created.drop);
        databaseUrl = created.url;
        db = await openDatabase({ url: created.url, poolSize: 4 });
      } else {
        db = await openDatabase({ dataDir: options.dataRoot ? path.join(options.dataRoot, mod.name) : 'memory://' });
      }
      cleanups.push(() => db.close());
      await prepareDatabase(mod, db);
      if (mod.seed) await mod.seed(db, seedCount, () => {});
      // Each subgraph holds its own key, as its process would.
      const auth = await authFor(mod.name);
      const subgraph = await mod.create({ db, logger: logger.child({ subgraph: mod.name }), env: { ...env }, auth });
      cleanups.push(() => subgraph.stop());
      const listening = await listen(faulty(mod.name, subgraph.app), 0);
      cleanups.push(() => listening.close());
      running.set(mod.name, { name: mod.name, url: listening.url, db, databaseUrl, subgraph, listening });
      // Later subgraphs (the catalogue) find the earlier ones (the registries) here.
      env[registryUrlVariable(mod.name)] = listening.url;
      if (mod.name === 'catalogue') env.HUTONG_CATALOGUE_URL = listening.url;
    }
    await running.get('catalogue')?.subgraph.settle?.();

    const gatewayEnv: Env = {
      HUTONG_GATEWAY_PORT: '0',
      HUTONG_CLIENT_JWKS_FILE: keyFiles.clientJwks,
      HUTONG_INTERNAL_SIGNING_KEY_FILE: keyFiles.serviceKey('gateway'),
      // Test files run side by side on two cores: the production timeouts would time out healthy
      // calls here. The tests of timeouts and breakers pass their own (or the production) values.
      HUTONG_SUBGRAPH_TIMEOUT_MS: '10000',
      HUTONG_REQUEST_DEADLINE_MS: '20000',
      // An outage in one test must not leave the next one facing an open breaker for long.
      HUTONG_BREAKER_HALF_OPEN_AFTER_MS: String(TEST_HALF_OPEN_AFTER_MS),
      ...(options.redisUrl ? { HUTONG_REDIS_URL: options.redisUrl } : {}),
      ...(options.devIdentities ? { HUTONG_DEV_CLIENT_SIGNING_KEY_FILE: keyFiles.clientSigningKey } : {}),
      ...options.gatewayEnv,
    };
    for (const s of running.values()) gatewayEnv[subgraphUrlVariable(s.name)] = `${s.url}/graphql`;
    const gateway = await createGateway(loadGatewayConfig(gatewayEnv), logger.child({ service: 'gateway' }));
    cleanups.push(() => gateway.stop());
    const gatewayListening = await listen(gateway.app, 0);
    cleanups.push(() => gatewayListening.close());
    const gatewayUrl = gatewayListening.url;

    return {
      gatewayUrl,
      subgraphs: running,
      keyFiles,
      keyDir,
      serviceKey: (service) => loadSigningKey(keyFiles.serviceKey(service)),
      gatewayEnv,
      authFor,
      token: (claims, options) => mintClientToken(clientKey, claims, options),
      async query(query, variables, options) {
        const res = await fetch(`${gatewayUrl}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(options?.token ? { authorization: `Bearer ${options.token}` } : {}),
          },
          body: JSON.stringify({ query, variables }),
        });
        return { status: res.status, body: (await res.json()) as any };
      },
      async stopSubgraph(name) {
        await running.get(name)?.listening.close();
      },
      async restartSubgraph(name) {
        const s = running.get(name)!;
        s.listening = await listen(faulty(name, s.subgraph.app), s.listening.port);
        cleanups.push(() => s.listening.close());
        // Past the breaker's pause: the next call is the probe that closes it again.
        await new Promise((r) => setTimeout(r, TEST_HALF_OPEN_AFTER_MS + 50));
      },
      graphqlRequests: (name) => graphqlRequests.get(name) ?? 0,
      async metrics(name) {
        const registry = name === 'gateway' ? gateway.metrics.registry : running.get(name)?.subgraph.metrics?.registry;
        if (!registry) throw new Error(`no metrics for ${name}`);
        return registry.metrics();
      },
      setFault(name, fault) {
        if (!running.has(name)) throw new Error(`no subgraph ${name}`);
        if (fault) faults.set(name, fault);
        else {
          faults.delete(name);
          releaseHeld();
        }
      },
      async stop() {
        faults.clear();
        releaseHeld();
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
      },
    };
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    throw error;
  }
}
