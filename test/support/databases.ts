/** Throw-away databases for in-process tests: a subgraph's own schema on an in-memory PGlite. */
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
