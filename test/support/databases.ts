/** Throw-away databases for in-process tests: a subgraph's own schema on an in-memory PGlite. */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { subgraphs } from '../../subgraphs/index.js';
import { openDatabase, type Database } from '../../subgraphs/kit/db.js';
import { prepareDatabase } from '../../subgraphs/kit/run.js';
import { RecognitionStore } from '../../subgraphs/recognition/db/store.js';

/** An empty database with the named subgraph's migrations applied (`shandong`, `catalogue`, `recognition` …). */
export async function subgraphDatabase(name: string): Promise<Database> {
  const mod = subgraphs.find((m) => m.name === name);
  if (!mod) throw new Error(`no subgraph ${name}`);
  const db = await openDatabase({ dataDir: 'memory://' });
  await prepareDatabase(mod, db);
  return db;
}

/** Recognition's database with the reference data it ships with: scenarios, verifiers, rules. */
export async function recognitionDatabase(): Promise<Database> {
  const db = await subgraphDatabase('recognition');
  await new RecognitionStore(db).seedReferenceData();
  return db;
}

/**
 * Recognition's database and store for one test file: opened once by `open`, the given tables
 * emptied before each test. Every test awaits the opening, so a failure fails each test, where a
 * throwing beforeAll would only skip them (and mutation testing would count a broken setup as
 * surviving). Read `db` and `store` inside tests or hooks, not at module load.
 */
export function recognitionStoreForEachTest(open: () => Promise<Database>, tablesToEmpty: string[]): { db: Database; store: RecognitionStore } {
  const current = {} as { db: Database; store: RecognitionStore };
  let setup: Promise<void>;
  beforeAll(() => {
    setup = (async () => {
      current.db = await open();
      current.store = new RecognitionStore(current.db);
    })();
    setup.catch(() => {});
  });
  afterAll(async () => {
    await current.db?.close();
  });
  beforeEach(async () => {
    await setup;
    await current.db.exec(tablesToEmpty.map((t) => `delete from ${t};`).join(' '));
  });
  return current;
}
