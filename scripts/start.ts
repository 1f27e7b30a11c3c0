/**
 * `npm start`: runs the whole of Hutong on the embedded default — every subgraph as its own
 * process with its own PGlite database under `data/`, seeded on first start, then the gateway
 * with GraphiQL. Ctrl-C stops everything cleanly.
 *
 * Options: `--large` seeds 1,000,000 credentials per region (with progress), `--seed-count N`
 * any other size. Environment: HUTONG_PORT_BASE (default 4000: gateway 4000, catalogue 4001,
 * registries 4002…, recognition 4005), HUTONG_DATA_ROOT (default `data`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { subgraphUrlVariable } from '../gateway/src/config.js';
import { registryUrlVariable } from '../subgraphs/catalogue/server.js';
import { ensureDevKeys } from '../subgraphs/kit/auth/keys.js';
import { catalogueSubgraph, gatewayDefaultPort, recognitionSubgraph, regions } from '../subgraphs/kit/reference.js';
import { exampleOperations } from './examples.js';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
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
const base = Number(process.env.HUTONG_PORT_BASE ?? gatewayDefaultPort);
if (!Number.isInteger(base) || base < 1024 || base > 65000) {
  console.error('HUTONG_PORT_BASE must be a port number between 1024 and 65000');
  process.exit(2);
}
const dataRoot = path.resolve(root, process.env.HUTONG_DATA_ROOT ?? 'data');
const portOf = (defaultPort: number) => base + (defaultPort - gatewayDefaultPort);
// Development keys: client tokens (`npm run tokens`) and the internal envelopes between services.
const keys = await ensureDevKeys(path.join(dataRoot, 'keys'));
const keyEnv = { HUTONG_INTERNAL_JWKS_FILE: keys.internalJwks, HUTONG_INTERNAL_SIGNING_KEY_FILE: keys.internalSigningKey };

interface Service {
  name: string;
  entry: string;
  port: number;
  env: Record<string, string>;
}

const registries: Service[] = regions.map((r) => ({
  name: r.code,
  entry: `subgraphs/${r.code}/server.ts`,
  port: portOf(r.defaultPort),
  env: {
    ...keyEnv,
    HUTONG_DATA_DIR: path.join(dataRoot, r.code),
    ...(seedCountArg ? { HUTONG_SEED_COUNT: seedCountArg } : {}),
  },
}));
const catalogue: Service = {
  name: catalogueSubgraph.name,
  entry: 'subgraphs/catalogue/server.ts',
  port: portOf(catalogueSubgraph.defaultPort),
  env: {
    ...keyEnv,
    HUTONG_DATA_DIR: path.join(dataRoot, catalogueSubgraph.name),
    ...Object.fromEntries(registries.map((r) => [registryUrlVariable(r.name), `http://127.0.0.1:${r.port}`])),
  },
};
const recognition: Service = {
  name: recognitionSubgraph.name,
  entry: 'subgraphs/recognition/server.ts',
  port: portOf(recognitionSubgraph.defaultPort),
  env: {
    ...keyEnv,
    HUTONG_DATA_DIR: path.join(dataRoot, recognitionSubgraph.name),
    ...Object.fromEntries(registries.map((r) => [registryUrlVariable(r.name), `http://127.0.0.1:${r.port}`])),
  },
};
const gateway: Service = {
  name: 'gateway',
  entry: 'gateway/src/main.ts',
  port: base,
  env: {
    HUTONG_GATEWAY_PORT: String(base),
    HUTONG_CLIENT_JWKS_FILE: keys.clientJwks,
    HUTONG_INTERNAL_SIGNING_KEY_FILE: keys.internalSigningKey,
    ...Object.fromEntries([catalogue, recognition, ...registries].map((s) => [subgraphUrlVariable(s.name), `http://127.0.0.1:${s.port}/graphql`])),
  },
};

const children = new Map<string, ChildProcess>();
let shuttingDown = false;

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

function startService(s: Service): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, s.entry)], {
    cwd: root,
    env: { ...process.env, HUTONG_PORT: String(s.port), ...s.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  relay(s.name, child.stdout);
  relay(s.name, child.stderr);
  children.set(s.name, child);
  child.on('exit', (code, signal) => {
    children.delete(s.name);
    if (!shuttingDown) {
      console.error(`[${s.name}] exited unexpectedly (${signal ?? `code ${code}`}); stopping Hutong.`);
      void shutdown(1);
    }
  });
  return child;
}

async function waitReady(s: Service, timeoutInMs: number): Promise<void> {
  const deadline = Date.now() + timeoutInMs;
  while (Date.now() < deadline) {
    if (shuttingDown) throw new Error('stopped');
    try {
      const res = await fetch(`http://127.0.0.1:${s.port}/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${s.name} was not ready on port ${s.port} within ${Math.round(timeoutInMs / 1000)}s`);
}

async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log('\nStopping Hutong…');
  // Gateway first so no request reaches a stopped subgraph, then the catalogue, then registries.
  for (const name of ['gateway', recognition.name, catalogue.name, ...registries.map((r) => r.name)]) {
    const child = children.get(name);
    if (!child) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  console.log('Hutong stopped.');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  console.log(`Starting Hutong (data in ${path.relative(root, dataRoot) || '.'}/)…`);
  // A large seed can take minutes per registry; the progress lines show how far it is.
  const seedTimeout = seedCountArg && Number(seedCountArg) > 10_000 ? 6 * 3600_000 : 120_000;
  for (const r of registries) startService(r);
  await Promise.all(registries.map((r) => waitReady(r, seedTimeout)));
  startService(catalogue);
  startService(recognition);
  await Promise.all([waitReady(catalogue, 60_000), waitReady(recognition, 60_000)]);
  startService(gateway);
  await waitReady(gateway, 60_000);
} catch (error) {
  if (!shuttingDown) {
    console.error(`Hutong did not start: ${(error as Error).message}`);
    await shutdown(1);
  }
}

const url = `http://127.0.0.1:${base}`;
console.log(`
Hutong is running.
  GraphiQL:  ${url}/graphiql
  GraphQL:   ${url}/graphql   (POST application/json)

Try these in GraphiQL (identifiers come from the default seed). Most need a token: run
\`npm run tokens -- <identity>\` and put {"Authorization": "Bearer <token>"} under Headers.
${exampleOperations().map((e) => `\n  # ${e.title}${e.as ? ` (as ${e.as})` : ' (no token needed)'}\n  ${e.query}`).join('\n')}

Press Ctrl-C to stop.
`);
