/**
 * `npm run bench -- --sizes [10k,100k,1m] [--db pglite|postgres] [--lookups 2000]`: whether lookup
 * latency stays flat as one region's registry grows.
 *
 * One Shandong registry database, seeded with the product's seed code and grown through the sizes
 * (the seed resumes where it stopped), with the catalogue's index relayed from its feed by the
 * catalogue's own relay. At each size, the registry and the catalogue answer, on ephemeral ports,
 * the requests the gateway sends them (signed envelopes with the gateway's key): a credential by
 * identifier, a holder's first page of credentials (the index's page, then the registry's
 * entities), and the region's credential count. Identifiers and holders are drawn at random over
 * the whole seeded range (credential k of a region is always the same), a few in flight. EXPLAIN of
 * the statements the stores run says whether each lookup reads an index or scans a table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { catalogue } from '../../subgraphs/catalogue/server.js';
import { holderCredentialPages, IndexStore } from '../../subgraphs/catalogue/db/index-store.js';
import { registryUrlVariable } from '../../subgraphs/kit/config.js';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import { ENVELOPE_HEADER, signEnvelope } from '../../subgraphs/kit/auth/envelope.js';
import { ensureDevKeys, loadSigningKey, type SigningKey } from '../../subgraphs/kit/auth/keys.js';
import { GATEWAY_SERVICE } from '../../subgraphs/kit/auth/service-keys.js';
import { openDatabase, type Database, type Queryable } from '../../subgraphs/kit/db.js';
import { listen, type Listening } from '../../subgraphs/kit/http.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { regionByCode, regions, serviceNames } from '../../subgraphs/kit/reference.js';
import { FigureStore } from '../../subgraphs/kit/registry/figures.js';
import { seedRegistry } from '../../subgraphs/kit/registry/seed.js';
import { CredentialStore } from '../../subgraphs/kit/registry/store.js';
import { loadSubgraphAuth, prepareDatabase, progressReporter, type SubgraphModule } from '../../subgraphs/kit/run.js';
import { holderAt, seedCredential } from '../../subgraphs/kit/seed/credentials.js';
import type { SubgraphApp } from '../../subgraphs/kit/subgraph-server.js';
import { shandong } from '../../subgraphs/shandong/server.js';
import { createPostgresDatabase } from '../../test/support/stack.js';

export type SizesDb = 'pglite' | 'postgres';

export const DEFAULT_SIZES: Record<SizesDb, number[]> = {
  pglite: [10_000, 100_000, 1_000_000],
  postgres: [10_000, 100_000, 1_000_000, 10_000_000],
};
/** An in-memory PGlite holding more than this would not fit the machines Hutong runs on. */
export const PGLITE_MAX = 1_000_000;
export const SIZES_MAX = 10_000_000;
export const LOOKUP_KINDS = ['credential-by-id', 'holder-credentials', 'credential-count'] as const;
export type LookupKind = (typeof LOOKUP_KINDS)[number];
/** FLAT when the p50 at the largest size is at most this many times the p50 at the smallest. */
export const FLAT_FACTOR = 2;
const IN_FLIGHT = 4;

export class SizesUsageError extends Error {
  override name = 'SizesUsageError';
}

/** `10k` → 10000, `1m` → 1000000, `2500` → 2500; anything else is a usage error. */
export function parseSize(text: string): number {
  const match = /^(\d+)([km]?)$/i.exec(text.trim());
  if (!match) throw new SizesUsageError(`--sizes: "${text}" is not a size; write a whole number with an optional k or m, e.g. 10k or 1m`);
  const n = Number(match[1]) * ({ '': 1, k: 1_000, m: 1_000_000 } as const)[match[2]!.toLowerCase() as '' | 'k' | 'm'];
  if (n < 1) throw new SizesUsageError(`--sizes: "${text}" is not a size; a size is at least 1`);
  if (n > SIZES_MAX) throw new SizesUsageError(`--sizes: "${text}" is more than ${formatSize(SIZES_MAX)}, the largest size measured`);
  return n;
}

/** The comma list of `--sizes`, smallest first, each once; the database's defaults when absent. */
export function parseSizes(list: string | undefined, db: SizesDb): number[] {
  if (list === undefined) return [...DEFAULT_SIZES[db]];
  if (list.trim() === '') throw new SizesUsageError('--sizes: the list is empty; write sizes like 10k,100k,1m');
  const sizes = [...new Set(list.split(',').map(parseSize))].sort((a, b) => a - b);
  const tooBig = sizes.filter((n) => n > PGLITE_MAX);
  if (db === 'pglite' && tooBig.length > 0) {
    throw new SizesUsageError(
      `--sizes: ${tooBig.map(formatSize).join(', ')} is too big for PGlite, an in-memory database (at most ${formatSize(PGLITE_MAX)}); use --db postgres`,
    );
  }
  return sizes;
}

export interface SizesOptions {
  sizes: number[];
  db: SizesDb;
  /** Lookups timed per kind and size. */
  lookups: number;
}

export function parseSizesOptions(args: string[]): SizesOptions {
  const value = (name: string) => {
    const i = args.indexOf(`--${name}`);
    const v = i >= 0 ? args[i + 1] : undefined;
    return v === undefined || v.startsWith('--') ? undefined : v;
  };
  const db = value('db') ?? 'pglite';
  if (db !== 'pglite' && db !== 'postgres') throw new SizesUsageError('--db is pglite or postgres');
  const lookups = value('lookups') ?? '2000';
  if (!/^\d+$/.test(lookups) || Number(lookups) < 10) throw new SizesUsageError('--lookups needs a whole number of at least 10, e.g. --lookups 2000');
  return { db, sizes: parseSizes(value('sizes'), db), lookups: Number(lookups) };
}

export function formatSize(n: number): string {
  if (n % 1_000_000 === 0) return `${n / 1_000_000}m`;
  if (n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

export interface SizeRow {
  size: number;
  db: SizesDb;
  /** Credentials seeded per second to reach this size from the previous one. */
  seedRate: number;
  kind: LookupKind;
  p50: number;
  p99: number;
  mean: number;
  errors: number;
  plan: 'index' | 'SEQ SCAN';
}

export function formatSizesTable(rows: SizeRow[]): string {
  const header = ['size', 'db', 'seed rate /s', 'lookup', 'p50 ms', 'p99 ms', 'mean ms', 'errors', 'plan'];
  const cells = rows.map((r) => [
    formatSize(r.size),
    r.db,
    Math.round(r.seedRate).toLocaleString('en'),
    r.kind,
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.mean.toFixed(2),
    String(r.errors),
    r.plan,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

/** Per lookup kind: FLAT or GROWS, by the rule FLAT_FACTOR states. */
export function formatVerdicts(rows: SizeRow[]): string {
  return LOOKUP_KINDS.flatMap((kind) => {
    const of = rows.filter((r) => r.kind === kind).sort((a, b) => a.size - b.size);
    if (of.length < 2) return [];
    const [first, last] = [of[0]!, of.at(-1)!];
    const flat = last.p50 <= FLAT_FACTOR * first.p50 && of.every((r) => r.plan === 'index');
    return [
      `${flat ? 'FLAT ' : 'GROWS'}  ${kind}: p50 ${last.p50.toFixed(2)} ms at ${formatSize(last.size)} vs ${first.p50.toFixed(2)} ms at ${formatSize(first.size)} (${(last.p50 / first.p50).toFixed(2)}×)`,
    ];
  }).join('\n');
}

/** A Queryable that runs EXPLAIN of each statement a store sends it, and records the plan. */
function explaining(db: Queryable, plans: string[]): Queryable {
  return {
    async query<T extends object>(sql: string, params?: unknown[]): Promise<T[]> {
      const rows = await db.query<{ 'QUERY PLAN': string }>(`explain ${sql}`, params);
      plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
      return [];
    },
    exec: () => Promise.reject(new Error('only statements with a plan are explained')),
  };
}

/** A scan of a table that grows with the credentials is what must not happen. */
const scansGrowingTable = (plan: string) => /Seq Scan on (credential|holder_index|catalogue_outbox)\b/.test(plan);

const ENTITY_QUERY = `query($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on ShandongCredential { id name typeCode number status expiryDate holderName issuerName }
  ... on ShandongRegion { credentialCount } } }`;
const HOLDER_QUERY = 'query($code: ID!) { holder(code: $code) { credentials(first: 20) { nodes { __typename id } } } }';

interface Served {
  url: string;
  app: SubgraphApp;
  listening: Listening;
}

/** Times `count` lookups, `IN_FLIGHT` at a time; each returns false when it was answered with an error. */
async function timeLookups(count: number, lookup: (i: number) => Promise<{ ms: number; ok: boolean }>) {
  const times: number[] = [];
  let errors = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) {
        const { ms, ok } = await lookup(next++);
        times.push(ms);
        if (!ok) errors++;
      }
    }),
  );
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((a, b) => a + b, 0) / times.length, errors };
}

/** Runs the size bench; returns the process's exit code. */
export async function runSizes(args: string[]): Promise<number> {
  let options: SizesOptions;
  try {
    options = parseSizesOptions(args);
  } catch (error) {
    if (!(error instanceof SizesUsageError)) throw error;
    console.error(error.message);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const logger = createLogger('bench', 'silent');
  const region = regionByCode('shandong')!;
  const cleanups: (() => Promise<unknown>)[] = [];
  const rows: SizeRow[] = [];
  const counterCells: string[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    })());
  // An interrupted run (a 10m seed takes a while) still drops its PostgreSQL databases.
  const interrupted = () => void cleanUp().then(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const keyDir = mkdtempSync(path.join(tmpdir(), 'hutong-sizes-keys-'));
    cleanups.push(async () => rmSync(keyDir, { recursive: true, force: true }));
    const keyFiles = await ensureDevKeys(keyDir, serviceNames());
    const gatewayKey: SigningKey = await loadSigningKey(keyFiles.serviceKey(GATEWAY_SERVICE));
    const open = async (name: string): Promise<Database> => {
      if (options.db === 'pglite') return openDatabase({ dataDir: 'memory://' });
      const created = await createPostgresDatabase(`hutong_sizes_${Date.now().toString(36)}_${name}`);
      cleanups.push(created.drop);
      return openDatabase({ url: created.url });
    };
    const serve = async (mod: SubgraphModule, db: Database, env: Record<string, string>): Promise<Served> => {
      cleanups.push(() => db.close());
      await prepareDatabase(mod, db);
      const auth = await loadSubgraphAuth(mod.name, { jwks: keyFiles.internalJwks, signingKey: keyFiles.serviceKey(mod.name) });
      const app = await mod.create({ db, logger, env, auth });
      cleanups.push(() => app.stop());
      const listening = await listen(app.app, 0);
      cleanups.push(() => listening.close());
      return { url: listening.url, app, listening };
    };
    const registryDb = await open('registry');
    const indexDb = await open('catalogue');
    const registry = await serve(shandong, registryDb, {});
    // The catalogue relays Shandong's feed only when asked (settle); the other registries are not
    // running, and point nowhere rather than at whatever listens on their default ports.
    const catalogueEnv: Record<string, string> = { HUTONG_RELAY_INTERVAL_MS: '600000', HUTONG_RELAY_BATCH_SIZE: '5000' };
    for (const r of regions) catalogueEnv[registryUrlVariable(r.code)] = r.code === region.code ? registry.url : 'http://127.0.0.1:9';
    const index = await serve(catalogue, indexDb, catalogueEnv);

    /** POSTs a GraphQL request to a subgraph as the gateway does, signed for that exact body. */
    const ask = async (target: Served, audience: string, caller: Caller, query: string, variables: Record<string, unknown>) => {
      const body = JSON.stringify({ query, variables });
      const envelope = await signEnvelope(gatewayKey, GATEWAY_SERVICE, caller, { audience, method: 'POST', path: '/graphql', body });
      const t = performance.now();
      const res = await fetch(`${target.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', [ENVELOPE_HEADER]: envelope }, body });
      const json = (await res.json()) as { data?: any; errors?: unknown[] };
      return { ms: performance.now() - t, ok: res.status === 200 && !json.errors && !!json.data, data: json.data, json };
    };
    const admin: Caller = { role: 'admin', subject: 'bench-auditor' };
    const analyst: Caller = { role: 'analyst', subject: 'bench-analyst' };
    const entities = (representations: object[], caller: Caller) => ask(registry, region.code, caller, ENTITY_QUERY, { representations });
    const credentialAt = (n: number) => seedCredential(region, Math.floor(Math.random() * n));

    const lookups: Record<LookupKind, (n: number) => Promise<{ ms: number; ok: boolean }>> = {
      'credential-by-id': async (n) => entities([{ __typename: 'ShandongCredential', id: credentialAt(n).id }], admin),
      // The index's page from the catalogue, then the page's credentials from the registry: the two hops the gateway makes.
      'holder-credentials': async (n) => {
        const code = holderAt(region, Math.floor(Math.random() * n)).code;
        const caller: Caller = { role: 'holder', subject: `holder-${code.slice(-4)}`, holderCode: code };
        const page = await ask(index, catalogue.name, caller, HOLDER_QUERY, { code });
        const nodes: { __typename: string; id: string }[] = page.data?.holder?.credentials?.nodes ?? [];
        if (!page.ok || nodes.length === 0) return { ms: page.ms, ok: false };
        const found = await entities(nodes, caller);
        return { ms: page.ms + found.ms, ok: found.ok };
      },
      'credential-count': async () => entities([{ __typename: 'ShandongRegion', code: region.code }], analyst),
    };
    const plans: Record<LookupKind, (n: number) => Promise<string[]>> = {
      'credential-by-id': async (n) => {
        const found: string[] = [];
        await new CredentialStore(explaining(registryDb, found)).findByIds([credentialAt(n).id]);
        return found;
      },
      'holder-credentials': async (n) => {
        const found: string[] = [];
        const code = holderAt(region, Math.floor(Math.random() * n)).code;
        const request = [{ holderCode: code, page: holderCredentialPages.request(code, {}) }];
        await new IndexStore(explaining(indexDb, found) as Database).pagesByHolders(request);
        const [page] = await new IndexStore(indexDb).pagesByHolders(request);
        await new CredentialStore(explaining(registryDb, found)).findByIds(page!.map((e) => e.credentialId));
        return found;
      },
      'credential-count': async () => {
        const found: string[] = [];
        await new FigureStore(explaining(registryDb, found)).countByStatus();
        return found;
      },
    };

    for (const size of options.sizes) {
      // A reporter per size: its rate counts from where this size's seed starts.
      const progress = progressReporter(log);
      const from = await new CredentialStore(registryDb).seededUpto();
      log(`Seeding Shandong from ${from.toLocaleString('en')} to ${size.toLocaleString('en')} credentials (${options.db})…`);
      let t = performance.now();
      await seedRegistry(registryDb, region, size, (p) => progress(p.done, p.target));
      const seedRate = (size - from) / Math.max((performance.now() - t) / 1000, 0.001);
      log(`  seeded at ${Math.round(seedRate).toLocaleString('en')}/s; the catalogue relays the new feed entries into its index…`);
      t = performance.now();
      // The other regions' polls fail (nothing serves them); Shandong's must have reached its head.
      await index.app.settle?.().catch(() => {});
      const [relayed, head] = [await new IndexStore(indexDb).cursor(region.code), await new CredentialStore(registryDb).feedHead()];
      if (relayed !== head.headSeq) throw new Error(`the catalogue relayed Shandong's feed to ${relayed} of ${head.headSeq}`);
      log(`  relayed in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      for (const kind of LOOKUP_KINDS) {
        const first = await lookups[kind](size);
        if (!first.ok) throw new Error(`${kind} at ${formatSize(size)}: the first lookup failed`);
        // An untimed tenth first: connections open, statements prepared, caches warm as in service.
        await timeLookups(Math.ceil(options.lookups / 10), () => lookups[kind](size));
        const timed = await timeLookups(options.lookups, () => lookups[kind](size));
        const plan = (await plans[kind](size)).some(scansGrowingTable) ? 'SEQ SCAN' : 'index';
        rows.push({ size, db: options.db, seedRate, kind, plan, ...timed });
        log(`  ${kind}: p50 ${timed.p50.toFixed(2)} ms, p99 ${timed.p99.toFixed(2)} ms, ${timed.errors} errors, ${plan}`);
      }
      const [{ n }] = (await registryDb.query<{ n: number }>('select count(*)::int as n from credential_status_figure')) as [{ n: number }];
      counterCells.push(`${formatSize(size)}: ${n}`);
    }

    console.log(`Hutong lookups by data size: one Shandong registry (${options.db}), ${options.lookups} timed lookups per kind and size, ${IN_FLIGHT} in flight`);
    console.log(`npm run bench -- --sizes ${options.sizes.map(formatSize).join(',')} --db ${options.db} --lookups ${options.lookups}`);
    console.log('Requests as the gateway sends them (signed envelopes) to the registry and the catalogue on ephemeral ports; identifiers and holders drawn over the whole seeded range.');
    console.log('credential-by-id: the registry\'s _entities; holder-credentials: the catalogue\'s first page (20) then the registry\'s _entities for it, both hops summed; credential-count: the registry\'s credentialCount.');
    console.log('');
    console.log(formatSizesTable(rows));
    console.log('');
    console.log(`plan: EXPLAIN of the statements the stores run; SEQ SCAN when one scans credential, holder_index or catalogue_outbox. The count reads the status counters credential_status_figure (rows at ${counterCells.join(', ')}), never credential.`);
    console.log(`Rule: FLAT when p50 at the largest size ≤ ${FLAT_FACTOR}× p50 at the smallest and every plan reads an index; otherwise GROWS.`);
    console.log(formatVerdicts(rows));
    return 0;
  } catch (error) {
    // Interrupted: the statements in flight fail as the databases close, which says nothing.
    if (cleaning) return 130;
    console.error(`The size bench failed: ${(error as Error).stack ?? error}`);
    return 1;
  } finally {
    await cleanUp();
  }
}
