/**
 * `npm run bench:seed -- [--count N] [--db pglite|postgres]`: how fast a registry seeds and how
 * fast the catalogue's index applies that registry's outbox. Uses throw-away databases (PGlite in
 * memory, or a temporary PostgreSQL database on 127.0.0.1) and prints the numbers.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { IndexStore } from '../subgraphs/catalogue/db/index-store.js';
import { catalogue } from '../subgraphs/catalogue/server.js';
import { openDatabase, type Database } from '../subgraphs/kit/db.js';
import { regionByCode } from '../subgraphs/kit/reference.js';
import { seedRegistry } from '../subgraphs/kit/registry/seed.js';
import { CredentialStore } from '../subgraphs/kit/registry/store.js';
import { prepareDatabase, progressReporter } from '../subgraphs/kit/run.js';
import { shandong } from '../subgraphs/shandong/server.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const count = Number(arg('count', '100000'));
const kind = arg('db', 'pglite');
const adminUrl = process.env.HUTONG_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

const created: string[] = [];
async function open(name: string): Promise<Database> {
  if (kind === 'pglite') return openDatabase({ dataDir: 'memory://' });
  const db = `hutong_bench_${randomBytes(3).toString('hex')}_${name}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${db}"`);
  await admin.end();
  created.push(db);
  const url = new URL(adminUrl);
  url.pathname = `/${db}`;
  return openDatabase({ url: url.toString() });
}

const progress = progressReporter((line) => process.stderr.write(`${line}\n`));
const registryDb = await open('registry');
const indexDb = await open('catalogue');
try {
  await prepareDatabase(shandong, registryDb);
  await prepareDatabase(catalogue, indexDb);

  let t = performance.now();
  await seedRegistry(registryDb, regionByCode('shandong')!, count, (p) => progress(p.done, p.target));
  const seedSeconds = (performance.now() - t) / 1000;

  const store = new CredentialStore(registryDb);
  const index = new IndexStore(indexDb);
  t = performance.now();
  let after = 0;
  for (;;) {
    const entries = await store.feed(after, 2000);
    if (entries.length === 0) break;
    after = entries.at(-1)!.seq;
    await index.apply('shandong', entries, after);
  }
  const relaySeconds = (performance.now() - t) / 1000;

  console.log(`database: ${kind}, credentials: ${count.toLocaleString('en')}`);
  console.log(`seed:  ${seedSeconds.toFixed(1)} s, ${Math.round(count / seedSeconds).toLocaleString('en')} credentials/s (with outbox)`);
  console.log(`index: ${relaySeconds.toFixed(1)} s, ${Math.round(count / relaySeconds).toLocaleString('en')} entries/s (feed read + index upsert, no HTTP)`);
} finally {
  await registryDb.close();
  await indexDb.close();
  for (const db of created) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists "${db}" with (force)`);
    await admin.end();
  }
}
