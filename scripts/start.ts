/**
 * `npm start`: runs the whole of Hutong on the embedded default — every subgraph as its own
 * process with its own PGlite database under `data/`, seeded on first start, then the gateway
 * with GraphiQL. A service that dies is restarted (with backoff, within a limit) while the others
 * keep running; Ctrl-C stops the gateway first, then everything else, cleanly.
 *
 * Options: `--large` seeds 1,000,000 credentials per region (with progress), `--seed-count N`
 * any other size, `--production` the production profile: every subgraph on its own PostgreSQL
 * database (created when missing, migrated by the subgraph) and Redis shared by replicas, as
 * `npm run start:production` runs it from the compiled build. Environment: HUTONG_PORT_BASE (default 4000: gateway 4000, catalogue 4001,
 * registries 4002…, recognition 4005), HUTONG_DATA_ROOT (default `data`), and the restart and
 * stop settings in `launcherEnvSchema` below.
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { subgraphUrlVariable } from '../gateway/src/config.js';
import { GATEWAY_NODE_FLAGS } from '../gateway/src/node-flags.js';
import { registryUrlVariable } from '../subgraphs/catalogue/server.js';
import { ensureDevKeys } from '../subgraphs/kit/auth/keys.js';
import { ConfigError, parseEnv, redisUrl } from '../subgraphs/kit/config.js';
import { redactUrl } from '../subgraphs/kit/db.js';
import { catalogueSubgraph, gatewayDefaultPort, recognitionSubgraph, regions, serviceNames } from '../subgraphs/kit/reference.js';
import { exampleOperations } from './examples.js';
import { defaultRestartPolicy, duration, Supervisor, systemClock, type ServiceProcess } from './supervisor.js';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
// Compiled (`npm run build`, then `node dist/scripts/start.js`): every service runs its compiled
// JavaScript on node alone. From source: through tsx, which compiles as it loads.
const compiled = fileURLToPath(import.meta.url).endsWith('.js');
const entry = (source: string) => (compiled ? source.replace(/\.ts$/, '.js') : source);
const runtimeArgs = compiled ? [] : ['--import', 'tsx'];
const args = process.argv.slice(2);
const seedCountArg = args.includes('--large')
  ? '1000000'
  : args.includes('--seed-count')
    ? args[args.indexOf('--seed-count') + 1]
    : undefined;
if (seedCountArg !== undefined && !/^\d+$/.test(seedCountArg)) {
  console.error('--seed-count needs a whole number, e.g. --seed-count 50000');
  process.exit(2);
}

const milliseconds = (fallback: number, min: number) =>
  z.coerce.number({ message: 'must be a number of milliseconds' }).int().min(min).max(3_600_000).default(fallback);
const launcherEnvSchema = z
  .object({
    HUTONG_PORT_BASE: z.coerce
      .number({ message: 'must be a port number between 1024 and 65000' })
      .int('must be a port number between 1024 and 65000')
      .min(1024, 'must be a port number between 1024 and 65000')
      .max(65000, 'must be a port number between 1024 and 65000')
      .default(gatewayDefaultPort),
    HUTONG_DATA_ROOT: z.string().min(1).default('data'),
    HUTONG_RESTART_INITIAL_DELAY_MS: milliseconds(defaultRestartPolicy.initialDelayMs, 0),
    HUTONG_RESTART_MAX_DELAY_MS: milliseconds(defaultRestartPolicy.maxDelayMs, 0),
    HUTONG_RESTART_LIMIT: z.coerce.number({ message: 'must be a whole number' }).int().min(0).max(1000).default(defaultRestartPolicy.maxRestarts),
    HUTONG_RESTART_WINDOW_MS: milliseconds(defaultRestartPolicy.windowMs, 1000),
    HUTONG_RESTART_STABLE_AFTER_MS: milliseconds(defaultRestartPolicy.stableAfterMs, 1000),
    HUTONG_STOP_GRACE_MS: milliseconds(10_000, 100),
    // How long the catalogue, recognition and gateway may take to answer their first readiness check:
    // a busy 2-core machine has taken more than a minute just to load their code.
    HUTONG_START_TIMEOUT_MS: milliseconds(180_000, 1000),
    // The production profile: a PostgreSQL server where each subgraph gets a database, and Redis.
    HUTONG_POSTGRES_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').default('postgresql://postgres@127.0.0.1:5432/postgres'),
    HUTONG_DATABASE_PREFIX: z.string().regex(/^[a-z][a-z0-9_]{0,30}$/, 'must be lower-case letters, digits and _').default('hutong_'),
    HUTONG_REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  })
  .refine((c) => c.HUTONG_RESTART_MAX_DELAY_MS >= c.HUTONG_RESTART_INITIAL_DELAY_MS, {
    path: ['HUTONG_RESTART_MAX_DELAY_MS'],
    message: 'must be at least HUTONG_RESTART_INITIAL_DELAY_MS',
  });
let config: z.infer<typeof launcherEnvSchema>;
try {
  config = parseEnv(launcherEnvSchema, process.env, 'npm start');
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}
const base = config.HUTONG_PORT_BASE;
// Compiled, the data folder is the working directory's, never inside the build (a rebuild empties it).
const dataRoot = path.resolve(compiled ? process.cwd() : root, config.HUTONG_DATA_ROOT);
const portOf = (defaultPort: number) => base + (defaultPort - gatewayDefaultPort);
// Development keys: client tokens (`npm run tokens`) and the internal envelopes between services.
// Each service is given the JWKS and its own private key file, never another service's.
const keys = await ensureDevKeys(path.join(dataRoot, 'keys'), serviceNames());
const production = args.includes('--production');
/** The production profile's database of a subgraph, on the configured PostgreSQL server. */
const databaseUrlOf = (service: string) => {
  const url = new URL(config.HUTONG_POSTGRES_URL);
  url.pathname = `/${config.HUTONG_DATABASE_PREFIX}${service.replaceAll('-', '_')}`;
  return url.toString();
};
// Embedded: a data folder per subgraph. Production: a PostgreSQL database per subgraph, and Redis.
const storageEnv = (service: string): Record<string, string> =>
  production
    ? { HUTONG_DATABASE_URL: databaseUrlOf(service), HUTONG_REDIS_URL: config.HUTONG_REDIS_URL }
    : { HUTONG_DATA_DIR: path.join(dataRoot, service) };
const keyEnv = (service: string) => ({ HUTONG_INTERNAL_JWKS_FILE: keys.internalJwks, HUTONG_INTERNAL_SIGNING_KEY_FILE: keys.serviceKey(service), ...storageEnv(service) });

interface Service {
  name: string;
  entry: string;
  port: number;
  env: Record<string, string>;
  /** Node's own flags for it. */
  nodeFlags?: readonly string[];
}

// A restarted registry gets the same folder (its lock, left by a dead process, is taken over) and the same port.
const registries: Service[] = regions.map((r) => ({
  name: r.code,
  entry: entry(`subgraphs/${r.code}/server.ts`),
  port: portOf(r.defaultPort),
  env: {
    ...keyEnv(r.code),
    ...(seedCountArg ? { HUTONG_SEED_COUNT: seedCountArg } : {}),
  },
}));
const catalogue: Service = {
  name: catalogueSubgraph.name,
  entry: entry('subgraphs/catalogue/server.ts'),
  port: portOf(catalogueSubgraph.defaultPort),
  env: {
    ...keyEnv(catalogueSubgraph.name),
    ...Object.fromEntries(registries.map((r) => [registryUrlVariable(r.name), `http://127.0.0.1:${r.port}`])),
  },
};
const recognition: Service = {
  name: recognitionSubgraph.name,
  entry: entry('subgraphs/recognition/server.ts'),
  port: portOf(recognitionSubgraph.defaultPort),
  env: {
    ...keyEnv(recognitionSubgraph.name),
    ...Object.fromEntries(registries.map((r) => [registryUrlVariable(r.name), `http://127.0.0.1:${r.port}`])),
    // Counter-assisted use finds a holder's credential in the catalogue's national index.
    HUTONG_CATALOGUE_URL: `http://127.0.0.1:${catalogue.port}`,
  },
};
const gateway: Service = {
  name: 'gateway',
  entry: entry('gateway/src/main.ts'),
  port: base,
  nodeFlags: GATEWAY_NODE_FLAGS,
  env: {
    HUTONG_GATEWAY_PORT: String(base),
    HUTONG_CLIENT_JWKS_FILE: keys.clientJwks,
    HUTONG_INTERNAL_SIGNING_KEY_FILE: keys.serviceKey('gateway'),
    // The embedded default is for trying Hutong: GraphiQL and the dashboard offer the development identities.
    ...(production ? { HUTONG_REDIS_URL: config.HUTONG_REDIS_URL } : { HUTONG_DEV_CLIENT_SIGNING_KEY_FILE: keys.clientSigningKey }),
    ...Object.fromEntries([catalogue, recognition, ...registries].map((s) => [subgraphUrlVariable(s.name), `http://127.0.0.1:${s.port}/graphql`])),
  },
};

/** Prints a child's JSON log lines as `[name] message key=value`, other lines as they are. */
function relay(name: string, stream: NodeJS.ReadableStream | null): void {
  let buffer = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      process.stdout.write(`${format(name, line)}\n`);
    }
  });
  // A process that dies mid-line still has its last words shown.
  stream?.on('end', () => {
    if (buffer) process.stdout.write(`${format(name, buffer)}\n`);
    buffer = '';
  });
}

function format(name: string, line: string): string {
  try {
    const { level, msg, time: _t, pid: _p, hostname: _h, name: _n, ...rest } = JSON.parse(line);
    const levels: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
    const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
    return `[${name}] ${levels[level] ?? level} ${msg}${extra ? ` ${extra}` : ''}`;
  } catch {
    return `[${name}] ${line}`;
  }
}

/** Every child process still alive, so that a launcher that crashes does not leave them behind. */
const alive = new Set<ReturnType<typeof spawn>>();

function launch(s: Service): ServiceProcess {
  const child = spawn(process.execPath, [...(s.nodeFlags ?? []), ...runtimeArgs, path.join(root, s.entry)], {
    cwd: root,
    env: { ...process.env, HUTONG_PORT: String(s.port), ...s.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C in a terminal signals only the launcher, which then stops the
    // gateway before the subgraphs; otherwise every process would get SIGINT at the same moment.
    detached: true,
  });
  alive.add(child);
  relay(s.name, child.stdout);
  relay(s.name, child.stderr);
  let exited: { code: number | null; signal: string | null } | undefined;
  const listeners: ((code: number | null, signal: string | null) => void)[] = [];
  const settle = (code: number | null, signal: string | null) => {
    if (exited) return;
    exited = { code, signal };
    alive.delete(child);
    for (const listener of listeners.splice(0)) listener(code, signal);
  };
  // 'close', not 'exit': by then everything it wrote has been relayed, so its last words come
  // before the launcher's line about its death, and a stopped gateway's before the subgraphs'.
  child.on('close', settle);
  // A process that could not be spawned at all emits only 'error'.
  child.on('error', (error) => {
    console.error(`[${s.name}] ${error.message}`);
    if (child.pid === undefined) settle(null, null);
  });
  return {
    pid: child.pid,
    kill: (signal) => void child.kill(signal),
    onExit(listener) {
      if (exited) listener(exited.code, exited.signal);
      else listeners.push(listener);
    },
  };
}

async function isReady(s: Service): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${s.port}/ready`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false; // not listening yet
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const services = new Map([...registries, catalogue, recognition, gateway].map((s) => [s.name, s]));
const supervisor = new Supervisor({
  policy: {
    ...defaultRestartPolicy,
    initialDelayMs: config.HUTONG_RESTART_INITIAL_DELAY_MS,
    maxDelayMs: config.HUTONG_RESTART_MAX_DELAY_MS,
    maxRestarts: config.HUTONG_RESTART_LIMIT,
    windowMs: config.HUTONG_RESTART_WINDOW_MS,
    stableAfterMs: config.HUTONG_RESTART_STABLE_AFTER_MS,
  },
  stopGraceMs: config.HUTONG_STOP_GRACE_MS,
  clock: systemClock,
  log: (line) => console.error(line),
  // Says when a restarted service takes requests again, as long as that process is the one running.
  onRestarted(name, restarted) {
    const s = services.get(name)!;
    void (async () => {
      while (supervisor.process(name) === restarted && !supervisor.isStopping) {
        if (await isReady(s)) {
          console.error(`[${name}] restarted (pid ${restarted.pid}) and ready again on port ${s.port}.`);
          return;
        }
        await sleep(250);
      }
    })();
  },
});

async function waitReady(s: Service, timeoutInMs: number): Promise<void> {
  const deadline = Date.now() + timeoutInMs;
  while (Date.now() < deadline) {
    if (supervisor.isStopping) throw new Error('stopped');
    if (supervisor.state(s.name) === 'given-up') throw new Error(`${s.name} stopped and will not be restarted`);
    if (await isReady(s)) return;
    await sleep(250);
  }
  throw new Error(`${s.name} was not ready on port ${s.port} within ${Math.round(timeoutInMs / 1000)}s`);
}

async function shutdown(code: number): Promise<void> {
  if (supervisor.isStopping) return;
  console.log('\nStopping Hutong…');
  // The gateway first, so that no request reaches a stopped subgraph; then all the others at once.
  const report = await supervisor.stop([[gateway.name]]);
  console.log(`Hutong stopped in ${duration(report.elapsedMs)}.`);
  if (report.killed.length > 0) {
    console.error(`!!! ${report.killed.join(', ')} had to be killed (SIGKILL): the stop was not clean.`);
    process.exit(code || 1);
  }
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
// The terminal went away: the children, in their own process groups, were not told.
process.on('SIGHUP', () => void shutdown(0));
process.on('exit', () => {
  for (const child of alive) child.kill('SIGTERM');
});

/** The production profile's databases, created on the PostgreSQL server when missing (each subgraph migrates its own). */
async function ensureDatabases(): Promise<string[]> {
  const admin = new pg.Client({ connectionString: config.HUTONG_POSTGRES_URL });
  await admin.connect();
  const created: string[] = [];
  try {
    for (const service of [...registries, catalogue, recognition].map((s) => s.name)) {
      const name = new URL(databaseUrlOf(service)).pathname.slice(1);
      const { rows } = await admin.query('select 1 from pg_database where datname = $1', [name]);
      if (rows.length === 0) {
        // The name is checked above (prefix pattern and subgraph names), so it can be quoted as is.
        await admin.query(`create database "${name}"`);
        created.push(name);
      }
    }
  } finally {
    await admin.end();
  }
  return created;
}

try {
  if (production) {
    const created = await ensureDatabases().catch((error: Error) => {
      console.error(`The production profile needs PostgreSQL at HUTONG_POSTGRES_URL (${redactUrl(config.HUTONG_POSTGRES_URL)}): ${error.message}`);
      process.exit(2);
    });
    console.log(`Starting Hutong, production profile: a PostgreSQL database per subgraph (${config.HUTONG_DATABASE_PREFIX}*${created.length > 0 ? `; created ${created.join(', ')}` : ''}), Redis at ${config.HUTONG_REDIS_URL}, keys in ${path.relative(process.cwd(), path.join(dataRoot, 'keys')) || '.'}/…`);
  } else {
    console.log(`Starting Hutong (data in ${path.relative(root, dataRoot) || '.'}/)…`);
  }
  // A large seed can take minutes per registry; the progress lines show how far it is.
  const seedTimeout = seedCountArg && Number(seedCountArg) > 10_000 ? 6 * 3600_000 : Math.max(120_000, config.HUTONG_START_TIMEOUT_MS);
  for (const r of registries) supervisor.add(r.name, () => launch(r));
  await Promise.all(registries.map((r) => waitReady(r, seedTimeout)));
  for (const s of [catalogue, recognition]) supervisor.add(s.name, () => launch(s));
  await Promise.all([waitReady(catalogue, config.HUTONG_START_TIMEOUT_MS), waitReady(recognition, config.HUTONG_START_TIMEOUT_MS)]);
  supervisor.add(gateway.name, () => launch(gateway));
  await waitReady(gateway, config.HUTONG_START_TIMEOUT_MS);
} catch (error) {
  if (!supervisor.isStopping) {
    console.error(`Hutong did not start: ${(error as Error).message}`);
    await shutdown(1);
  }
  // Stopping by Ctrl-C during the start: shutdown() exits when everything has stopped.
  await new Promise(() => {});
}

const url = `http://127.0.0.1:${base}`;
console.log(`
Hutong is running.
  GraphiQL:  ${url}/graphiql
  Dashboard: ${url}/dashboard   (analysts' charts)
  GraphQL:   ${url}/graphql   (POST application/json)

Try these in GraphiQL (identifiers come from the default seed). Most need a token: pick a
development identity above the editor, or run \`npm run tokens -- <identity>\` and put
{"Authorization": "Bearer <token>"} under Headers.
${exampleOperations().map((e) => `\n  # ${e.title}${e.as ? ` (as ${e.as})` : ' (no token needed)'}\n  ${e.query}`).join('\n')}

Press Ctrl-C to stop.
`);
