/**
 * `npm run bench [-- --db pglite|postgres] [--duration 15] [--connections 50] [--warmup 3]
 * [--only op,…] [--seed-count 200] [--gateway-workers 1] [--in-process] [--order abba] [--cpu-prof <dir>]`:
 * measures Hutong's throughput and latency per operation; with --cpu-prof, profiles this process
 * (the subgraphs, and the gateways with --in-process) during each timed run (scripts/bench/profile.ts),
 * and each gateway process over its whole life.
 *
 * Starts the subgraphs in this process (every one seeded on its own database — PGlite in memory,
 * or a throw-away PostgreSQL database each), the real gateway with its normal settings (the rate
 * limit raised out of the way) and a stock `@apollo/gateway` serving the same supergraph and
 * subgraphs, each gateway in a process of its own as deployed (in this process with --in-process),
 * four small fixture subgraphs for a generic federation workload behind both
 * gateways, and a bare one-hop HTTP server. Each operation is warmed up, then driven by
 * autocannon in a separate process (scripts/bench/drive.ts); the two gateways take turns in the
 * order of --order (scripts/bench/rounds.ts). Prints one table and whether each
 * target holds; exit code 0 whether or not they do (1 when the bench itself fails).
 *
 * `npm run bench -- --sizes [10k,100k,1m] [--db pglite|postgres]` measures something else: lookup
 * latency as one registry grows (scripts/bench/sizes.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGateway } from '../gateway/src/gateway.js';
import { loadGatewayConfig, subgraphUrlVariable } from '../gateway/src/config.js';
import { GATEWAY_NODE_FLAGS } from '../gateway/src/node-flags.js';
import { listen } from '../subgraphs/kit/http.js';
import { loadSigningKey } from '../subgraphs/kit/auth/keys.js';
import { createLogger } from '../subgraphs/kit/logger.js';
import { startStack, type Stack } from '../test/support/stack.js';
import { supergraphPath } from './composition.js';
import type { DriveJob, DriveResult } from './bench/drive.js';
import { startFixture } from './bench/fixture/subgraphs.js';
import { cpuBudgets, evaluateTargets, formatTable, formatTargets, type GatewayKind, type Measurement } from './bench/report.js';
import { formatSummary, profiled } from './bench/profile.js';
import { ownCpuMs, treeCpuMs } from './bench/cpu.js';
import { freePort, startServerProcess } from './bench/processes.js';
import { describeOrder, mergeRounds, ORDERS, roundsOf, type Order } from './bench/rounds.js';
import { runSizes } from './bench/sizes.js';
import { startStockGateway, type StockGatewayJob } from './bench/stock-gateway.js';
import { createCode, credentialById, generic, HOTEL_SCENARIO, holderAcrossRegions, jiangsuEids, verifications, type BenchRequest, type Mint } from './bench/workload.js';

export const OPERATIONS = ['credential-by-id', 'holder-regions', 'create-code', 'verification', 'generic-federation'] as const;
type Operation = (typeof OPERATIONS)[number];

interface Options {
  db: 'pglite' | 'postgres';
  duration: number;
  connections: number;
  warmup: number;
  only: Operation[];
  seedCount: number;
  /** Where to write a CPU profile of each timed run; none when unset. */
  cpuProfDir?: string;
  /** HUTONG_GATEWAY_WORKERS of the Hutong gateway's process. */
  gatewayWorkers: number;
  /** The gateways in this process with the subgraphs (always so when profiling: one profile holds all). */
  inProcess: boolean;
  /** In which order the gateways take their timed runs of each operation. */
  order: Order;
}

function parseOptions(args: string[]): Options {
  const value = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const whole = (name: string, fallback: number, min: number) => {
    const v = value(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new Error(`--${name} needs a whole number of at least ${min}, e.g. --${name} ${fallback}`);
    return Number(v);
  };
  const db = value('db') ?? 'pglite';
  if (db !== 'pglite' && db !== 'postgres') throw new Error('--db is pglite or postgres');
  const only = (value('only')?.split(',').map((s) => s.trim()).filter(Boolean) ?? [...OPERATIONS]) as Operation[];
  const unknown = only.filter((o) => !OPERATIONS.includes(o));
  if (unknown.length > 0) throw new Error(`--only: unknown operation ${unknown.join(', ')}; known: ${OPERATIONS.join(', ')}`);
  const order = (value('order') ?? 'abba') as Order;
  if (!ORDERS.includes(order)) throw new Error(`--order is one of ${ORDERS.join(', ')}`);
  return {
    db,
    duration: whole('duration', 15, 1),
    connections: whole('connections', 50, 1),
    warmup: whole('warmup', 3, 0),
    only,
    seedCount: whole('seed-count', 200, 20),
    cpuProfDir: value('cpu-prof') ? path.resolve(value('cpu-prof')!) : undefined,
    gatewayWorkers: whole('gateway-workers', 1, 1),
    inProcess: args.includes('--in-process'),
    order,
  };
}

// `--sizes`: lookup latency as one registry grows (scripts/bench/sizes.ts), instead of the stack bench.
if (process.argv.includes('--sizes')) process.exit(await runSizes(process.argv.slice(2)));

let options: Options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const here = fileURLToPath(import.meta.url);
const compiled = here.endsWith('.js');
const driverPath = path.join(path.dirname(here), 'bench', `drive${path.extname(here)}`);
const workDir = mkdtempSync(path.join(tmpdir(), 'hutong-bench-'));
const log = (line: string) => process.stderr.write(`${line}\n`);
const extension = path.extname(here);
const root = path.resolve(path.dirname(here), '..');

/** A gateway serving `supergraphPath` (or its SDL) on `subgraphUrls`: Hutong's and the stock one, here or each as a process. */
async function startGateways(g: { env: Record<string, string>; supergraphPath: string; subgraphUrls: Record<string, string>; keyFile: string; clientJwksFile: string; inProcess?: { hutongUrl: string }; profileAs: string }) {
  // With --cpu-prof, each gateway process writes its whole life's profile into a folder of its own when it stops.
  const profile = (name: string) => (options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(options.cpuProfDir, `${g.profileAs}-${name}`)}`] : []);
  if (g.inProcess) {
    const stock = await startStockGateway({ supergraphSdl: readFileSync(g.supergraphPath, 'utf8'), subgraphUrls: g.subgraphUrls, key: await loadSigningKey(g.keyFile), clientJwksFile: g.clientJwksFile });
    return { hutongUrl: g.inProcess.hutongUrl, stockUrl: stock.url, pids: undefined, stop: () => stock.stop() };
  }
  const hutongPort = await freePort();
  const hutong = await startServerProcess({
    what: 'the Hutong gateway',
    entry: path.join(root, 'gateway', 'src', `main${extension}`),
    compiled,
    cwd: root,
    env: { ...process.env, ...g.env, HUTONG_SUPERGRAPH_PATH: g.supergraphPath, HUTONG_GATEWAY_PORT: String(hutongPort), HUTONG_METRICS_PORT: '0', HUTONG_GATEWAY_WORKERS: String(options.gatewayWorkers), HUTONG_LOG_LEVEL: process.env.HUTONG_LOG_LEVEL ?? 'warn' },
    url: `http://127.0.0.1:${hutongPort}/graphql`,
    probe: { url: `http://127.0.0.1:${hutongPort}/ready`, method: 'GET' },
    // As deployed (the stock gateway runs untuned, with Node's defaults).
    nodeArgs: [...GATEWAY_NODE_FLAGS, ...profile('hutong-gateway')],
    answers: 2 * options.gatewayWorkers,
  });
  const stockPort = await freePort();
  const jobFile = path.join(workDir, `stock-${stockPort}.json`);
  writeFileSync(jobFile, JSON.stringify({ supergraphPath: g.supergraphPath, subgraphUrls: g.subgraphUrls, keyFile: g.keyFile, clientJwksFile: g.clientJwksFile, port: stockPort } satisfies StockGatewayJob));
  const stock = await startServerProcess({
    what: 'the stock gateway',
    entry: path.join(path.dirname(here), 'bench', `stock-gateway${extension}`),
    args: [jobFile],
    compiled,
    cwd: root,
    env: process.env,
    url: `http://127.0.0.1:${stockPort}/`,
    probe: { url: `http://127.0.0.1:${stockPort}/`, method: 'POST', body: '{"query":"{ __typename }"}' },
    nodeArgs: profile('stock-gateway'),
    answers: 1,
  }).catch(async (error) => {
    await hutong.stop();
    throw error;
  });
  return { hutongUrl: hutong.url, stockUrl: stock.url, pids: { hutong: hutong.pid, stock: stock.pid }, stop: async () => void (await Promise.all([hutong.stop(), stock.stop()])) };
}

/** Runs autocannon in a process of its own and returns its result. */
function drive(job: DriveJob): Promise<DriveResult> {
  const jobFile = path.join(workDir, `job-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(compiled ? [] : ['--import', 'tsx']), driverPath, jobFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      rmSync(jobFile, { force: true });
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) reject(new Error(`the load generator exited with ${code}`));
      else resolve(JSON.parse(line) as DriveResult);
    });
  });
}

/** Posts one GraphQL request (outside the timed runs: pre-flight checks and code pools). */
async function post(url: string, request: BenchRequest): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...request.headers }, body: request.body });
  return { status: res.status, body: await res.json() };
}

async function preflight(url: string, request: BenchRequest, what: string): Promise<void> {
  const { status, body } = await post(url, request);
  if (status !== 200 || body.errors || !body.data) {
    throw new Error(`${what}: the first request was answered ${status} ${JSON.stringify(body).slice(0, 400)}`);
  }
}

/** Presentation codes for the hotel, created through the Hutong gateway, 8 at a time. */
async function createCodes(url: string, requests: BenchRequest[], count: number): Promise<string[]> {
  const codes: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const { body } = await post(url, requests[i % requests.length]!);
      const code = body.data?.createPresentationCode?.code;
      if (typeof code !== 'string') throw new Error(`creating a presentation code failed: ${JSON.stringify(body).slice(0, 400)}`);
      codes.push(code);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return codes;
}

const started = new Date();
const cleanups: (() => Promise<void>)[] = [];
let exitCode = 0;
try {
  log(`Starting the stack (${options.db}, ${options.seedCount} credentials per region)…`);
  const stack: Stack = await startStack({
    db: options.db,
    seedCount: options.seedCount,
    gatewayEnv: {
      HUTONG_SUPERGRAPH_PATH: supergraphPath,
      // The gateway's own defaults (the test stack shortens or lengthens some), and the rate
      // limit out of the way: the bench's few callers would otherwise be refused within a second.
      HUTONG_SUBGRAPH_TIMEOUT_MS: '1500',
      HUTONG_REQUEST_DEADLINE_MS: '5000',
      HUTONG_BREAKER_HALF_OPEN_AFTER_MS: '2000',
      HUTONG_RATE_LIMIT_PER_MINUTE: '1000000',
    },
  });
  cleanups.push(() => stack.stop());
  const mint: Mint = (claims) => stack.token(claims);

  const subgraphUrls = Object.fromEntries([...stack.subgraphs.values()].map((s) => [s.name, `${s.url}/graphql`]));
  const gatewayKeyFile = stack.keyFiles.serviceKey('gateway');
  log(options.inProcess ? 'Gateways in this process.' : `Gateways in processes of their own (Hutong with ${options.gatewayWorkers} worker${options.gatewayWorkers > 1 ? 's' : ''})…`);
  const main = await startGateways({
    env: stack.gatewayEnv as Record<string, string>,
    supergraphPath,
    subgraphUrls,
    keyFile: gatewayKeyFile,
    clientJwksFile: stack.keyFiles.clientJwks,
    ...(options.inProcess ? { inProcess: { hutongUrl: `${stack.gatewayUrl}/graphql` } } : {}),
    profileAs: 'credentials',
  });
  cleanups.push(() => main.stop());
  const hutongUrl = main.hutongUrl;

  // The yardstick: one hop to a Node HTTP server answering a small JSON body.
  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ok":true}}'));
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => bare.close(() => resolve())));
  const bareUrl = `http://127.0.0.1:${(bare.address() as { port: number }).port}/`;

  const hutongSubgraphs = [...stack.subgraphs.keys()];
  const subgraphRequests = () => hutongSubgraphs.reduce((n, name) => n + stack.graphqlRequests(name), 0);
  const sqlStatements = async () => {
    let n = 0;
    for (const name of hutongSubgraphs) {
      const line = (await stack.metrics(name)).split('\n').find((l) => l.startsWith('hutong_database_statements_total'));
      n += line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    }
    return n;
  };

  /**
   * Waits (at most 15 s) until the Hutong gateway's `/ready` shows every breaker closed, sending
   * one request at a time meanwhile so that a half-open breaker gets its probe. The warm-up's
   * first burst opens the gateway's connections to the subgraphs all at once, and a few of them
   * can wait over a second to be accepted by the busy subgraphs' process: those calls time out,
   * a breaker opens, and without this wait the timed run would begin by failing fast.
   */
  const breakersClosed = async (graphqlUrl: string, probe: BenchRequest) => {
    const readyUrl = new URL('/ready', graphqlUrl).href;
    for (const until = Date.now() + 15_000; Date.now() < until; ) {
      const ready = (await (await fetch(readyUrl)).json()) as { status?: string };
      if (ready.status === 'ready') return;
      await post(graphqlUrl, probe).catch(() => {});
      await new Promise((r) => setTimeout(r, 250));
    }
    log('  the gateway still has a breaker open after the warm-up: the timed run starts anyway');
  };

  /** Waits until a counter has not moved for 200 ms (at most 10 s): the servers have finished what was sent. */
  const settle = async (count: () => number) => {
    for (let last = -1, i = 0; i < 50 && count() !== last; i++) {
      last = count();
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const rows: Measurement[] = [];
  const profiles: string[] = [];
  const { connections, duration, warmup } = options;

  /** Warm-up (untimed, when asked), then one timed run, with the subgraph requests and SQL counted around it. */
  const measure = async (
    operation: string,
    gateway: GatewayKind,
    url: string,
    requests: () => Promise<{ warm: BenchRequest[]; timed: BenchRequest[]; amount?: boolean }>,
    counters: { requests: () => number; sql?: () => Promise<number> },
    pids = main.pids,
    run: { seconds: number; warm: boolean; label: string } = { seconds: duration, warm: true, label: '' },
  ): Promise<Measurement> => {
    log(`${operation} through ${gateway}${run.label}…`);
    const { warm, timed, amount } = await requests();
    if (run.warm && warm.length > 0 && warmup > 0) {
      await drive({ url, connections, duration: warmup, requests: warm, ...(amount ? { amount: warm.length } : {}) });
    }
    await settle(counters.requests);
    if (gateway === 'hutong' && warm.length > 0 && !amount) await breakersClosed(url, warm[0]!);
    const beforeRequests = counters.requests();
    const beforeSql = await counters.sql?.();
    // With the gateways in processes of their own, this process runs only the subgraphs and the
    // bare server: its CPU is the subgraphs', or during the bare hop the bare server's, which
    // stands in the gateway's column.
    const gatewayPid = gateway === 'bare' ? undefined : pids?.[gateway];
    const cpu = () => {
      const own = pids ? ownCpuMs() : undefined;
      return { gateway: gatewayPid !== undefined ? treeCpuMs(gatewayPid) : gateway === 'bare' ? own : undefined, subgraphs: own };
    };
    const beforeCpu = cpu();
    const job: DriveJob = { url, connections, duration: run.seconds, requests: timed, ...(amount ? { amount: timed.length } : {}) };
    let result: DriveResult;
    if (options.cpuProfDir && gateway !== 'bare') {
      const file = path.join(options.cpuProfDir, `${operation}-${gateway}${run.label.replace(/\D+/g, '-').replace(/-$/, '')}.cpuprofile`);
      const profile = await profiled(file, () => drive(job));
      result = profile.result;
      profiles.push(`${operation} through ${gateway}${run.label} (${file}), self time:\n${formatSummary(profile.summary)}`);
    } else {
      result = await drive(job);
    }
    // Requests still in flight when the run ended are served after it: count their subgraph
    // requests and statements too, once the counters stop moving, and divide by requests sent.
    await settle(counters.requests);
    const afterCpu = cpu();
    const answered = Math.max(result.sent, 1);
    const perOp = (after: number | undefined, before: number | undefined) => (after === undefined || before === undefined ? undefined : (after - before) / answered);
    const row: Measurement = {
      operation,
      gateway,
      result,
      ...(gateway === 'bare' ? {} : { subgraphRequestsPerOp: (counters.requests() - beforeRequests) / answered }),
      ...(beforeSql === undefined ? {} : { sqlPerOp: ((await counters.sql!()) - beforeSql) / answered }),
      gatewayCpuMsPerOp: perOp(afterCpu.gateway, beforeCpu.gateway),
      ...(gateway === 'bare' ? {} : { subgraphsCpuMsPerOp: perOp(afterCpu.subgraphs, beforeCpu.subgraphs) }),
    };
    if (result.firstError) log(`  first error: ${result.firstError}`);
    log(`  ${result.rps.toFixed(1)} rps, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.errors} errors`);
    return row;
  };

  /**
   * One operation through both gateways, in rounds in the order of --order, each gateway warmed
   * up and checked before its first round; one row per gateway, its rounds merged.
   */
  const compare = async (
    operation: string,
    urls: Record<'hutong' | 'stock', string>,
    requests: (gateway: 'hutong' | 'stock', seconds: number, first: boolean) => Promise<{ warm: BenchRequest[]; timed: BenchRequest[]; amount?: boolean }>,
    counters: { requests: () => number; sql?: () => Promise<number> },
    pids = main.pids,
  ) => {
    const rounds = roundsOf(options.order);
    const done: Record<'hutong' | 'stock', Measurement[]> = { hutong: [], stock: [] };
    for (const [i, { gateway, share }] of rounds.entries()) {
      const first = done[gateway].length === 0;
      const seconds = duration * share;
      const label = rounds.length > 2 ? `, round ${i + 1} of ${rounds.length}` : '';
      done[gateway].push(await measure(operation, gateway, urls[gateway], () => requests(gateway, seconds, first), counters, pids, { seconds, warm: first, label }));
    }
    rows.push(mergeRounds(done.hutong), mergeRounds(done.stock));
  };
  const hutongCounters = { requests: subgraphRequests, sql: sqlStatements };
  const gatewayUrls = { hutong: hutongUrl, stock: main.stockUrl };
  const fixed = (list: BenchRequest[]) => async () => ({ warm: list, timed: list });
  /** A fixed list of requests, checked once against each gateway before its first round. */
  const checked = (operation: string, urls: Record<'hutong' | 'stock', string>, list: BenchRequest[]) => async (gateway: 'hutong' | 'stock', _seconds: number, first: boolean) => {
    if (first) await preflight(urls[gateway], list[0]!, `${operation} through ${gateway}`);
    return { warm: list, timed: list };
  };

  const bareRequest = [{ headers: {}, body: '{"query":"{ ok }"}' }];
  rows.push(await measure('bare-hop', 'bare', bareUrl, fixed(bareRequest), { requests: () => 0 }));

  const wanted = new Set(options.only);
  const plain: [Operation, () => Promise<BenchRequest[]>][] = [
    ['credential-by-id', () => credentialById(mint, options.seedCount)],
    ['holder-regions', () => holderAcrossRegions(mint, options.seedCount)],
    ['create-code', () => createCode(mint, options.seedCount)],
  ];
  for (const [operation, build] of plain) {
    if (!wanted.has(operation)) continue;
    await compare(operation, gatewayUrls, checked(operation, gatewayUrls, await build()), hutongCounters);
  }

  if (wanted.has('verification')) {
    // A code is good for one verification: each run gets a pool made beforehand, sized from the
    // warm-up's pace to last about --duration, and the run ends when the pool is used up.
    const codeRequests = await createCode(mint, options.seedCount);
    log(`verification: codes for ${HOTEL_SCENARIO} on ${jiangsuEids(options.seedCount).length} Jiangsu e-IDs, created before each run`);
    // Before a gateway's first round, its warm-up (a pool of its own) sets the pace for its rounds' pools.
    const pace = { hutong: 0, stock: 0 };
    await compare('verification', gatewayUrls, async (kind, seconds, first) => {
      const url = gatewayUrls[kind];
      if (first) {
        const warmCodes = await createCodes(hutongUrl, codeRequests, warmup > 0 ? Math.max(4 * connections, 20) : 1);
        const warm = await verifications(mint, warmCodes);
        await preflight(url, warm.shift()!, `verification through ${kind}`);
        if (warmup > 0) pace[kind] = (await drive({ url, connections, duration: 0, amount: warm.length, requests: warm })).rps;
      }
      const size = Math.max(4 * connections, Math.ceil((pace[kind] || 50) * seconds * 1.1));
      log(`  pool of ${size} presentation codes…`);
      const timed = await verifications(mint, await createCodes(hutongUrl, codeRequests, size));
      return { warm: [], timed, amount: true };
    }, hutongCounters);
  }

  if (wanted.has('generic-federation')) {
    // The generic workload: its own subgraphs, served by a second Hutong gateway and a second stock one.
    const fixture = await startFixture();
    cleanups.push(() => fixture.stop());
    const fixtureSupergraph = path.join(workDir, 'fixture-supergraph.graphql');
    writeFileSync(fixtureSupergraph, fixture.supergraphSdl);
    const fixtureEnv: Record<string, string> = {
      ...stack.gatewayEnv,
      HUTONG_SUPERGRAPH_PATH: fixtureSupergraph,
    };
    for (const key of Object.keys(fixtureEnv)) if (key.startsWith('HUTONG_SUBGRAPH_URL_')) delete fixtureEnv[key];
    for (const [name, url] of Object.entries(fixture.urls)) fixtureEnv[subgraphUrlVariable(name)] = url;
    const fixtureGateways = await startGateways({
      env: fixtureEnv,
      supergraphPath: fixtureSupergraph,
      subgraphUrls: fixture.urls,
      keyFile: gatewayKeyFile,
      clientJwksFile: stack.keyFiles.clientJwks,
      ...(options.inProcess ? { inProcess: { hutongUrl: await inProcessGateway(fixtureEnv) } } : {}),
      profileAs: 'generic',
    });
    cleanups.push(() => fixtureGateways.stop());
    const urls = { hutong: fixtureGateways.hutongUrl, stock: fixtureGateways.stockUrl };
    await compare('generic-federation', urls, checked('generic-federation', urls, await generic(mint)), { requests: fixture.requests }, fixtureGateways.pids);
  }

  async function inProcessGateway(env: Record<string, string>): Promise<string> {
    const gateway = await createGateway(loadGatewayConfig(env), createLogger('bench', 'silent'));
    cleanups.push(() => gateway.stop());
    const listening = await listen(gateway.app, 0);
    cleanups.push(() => listening.close());
    return `${listening.url}/graphql`;
  }

  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Hutong bench, ${started.toISOString()}: Node ${process.version}, ${availableParallelism()} CPUs (${cpuModel}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(
    `npm run bench -- --db ${options.db} --duration ${duration} --connections ${connections} --warmup ${warmup} --seed-count ${options.seedCount} --gateway-workers ${options.gatewayWorkers} --order ${options.order}${options.inProcess ? ' --in-process' : ''}${options.only.length < OPERATIONS.length ? ` --only ${options.only.join(',')}` : ''}`,
  );
  console.log(
    options.inProcess
      ? 'Subgraphs and gateways in one process, autocannon in another.'
      : `Subgraphs in one process, each gateway in its own (Hutong: ${options.gatewayWorkers} worker${options.gatewayWorkers > 1 ? 's' : ''}, node ${GATEWAY_NODE_FLAGS.join(' ')} as deployed; stock: Node's defaults), autocannon in another.`,
  );
  console.log(`Order of the timed runs of each operation: ${describeOrder(options.order)}.`);
  console.log('Verification: a pool of codes created before the timed run (the run ends when it is used up), verify only is timed.');
  if (!options.inProcess) {
    console.log("CPU ms/op: user + system time of the gateway's process (with its workers; for the bare hop, the bare server's), of the subgraphs' process and of the load generator during the timed run, per request sent.");
  }
  console.log('');
  console.log(formatTable(rows));
  console.log('');
  console.log('Targets (ratios within this run):');
  console.log(formatTargets(evaluateTargets(rows)) || '(none measured)');
  const budgets = cpuBudgets(rows, availableParallelism());
  if (budgets.length > 0) console.log(`\nWhat the shares of the bare hop leave in CPU (every process shares the machine's CPUs):\n${budgets.join('\n')}`);
  if (profiles.length > 0) {
    const what = options.inProcess ? "the servers' process" : `the subgraphs' process; each gateway process's whole life is in ${options.cpuProfDir}/<workload>-<gateway>/`;
    console.log(`\nCPU profiles of the timed runs (${what}):\n\n${profiles.join('\n\n')}`);
  }
} catch (error) {
  console.error(`The bench failed: ${(error as Error).stack ?? error}`);
  exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(exitCode);
