import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../subgraphs/kit/db.js';
import { createMetrics, databasePoolMetrics } from '../../subgraphs/kit/metrics.js';

/** The value of one unlabelled series in Prometheus text. */
const seriesValue = (text: string, name: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  if (!line) throw new Error(`no series ${name}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('SQL statements counted per database (hutong_database_statements_total)', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
  });
  afterAll(async () => {
    await db.close();
  });

  it('counts each query and exec, inside transactions too, but not their begin and commit', async () => {
    const metrics = createMetrics('statement-test');
    databasePoolMetrics(metrics, db);
    const before = seriesValue(await metrics.registry.metrics(), 'hutong_database_statements_total');
    expect(before).toBe(0);

    await db.exec('create table t (n int)');
    await db.query('insert into t values ($1)', [1]);
    await db.transaction(async (tx) => {
      await tx.query('insert into t values ($1)', [2]);
      await tx.query('select count(*) from t');
    });
    expect(seriesValue(await metrics.registry.metrics(), 'hutong_database_statements_total')).toBe(4);

    // Read twice with nothing run in between: the counter stays where it was.
    expect(seriesValue(await metrics.registry.metrics(), 'hutong_database_statements_total')).toBe(4);
    await db.query('select 1');
    expect(seriesValue(await metrics.registry.metrics(), 'hutong_database_statements_total')).toBe(5);
  });
});
