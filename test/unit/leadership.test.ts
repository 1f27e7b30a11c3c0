import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../subgraphs/kit/db.js';
import { Leadership } from '../../subgraphs/kit/leader.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import { createPostgresDatabase, postgresAdminUrl } from '../support/stack.js';

const silent = createLogger('test', 'silent');
let drop: () => Promise<void>;
let url: string;
const pools: Database[] = [];
const replica = async () => {
  const db = await openDatabase({ url, poolSize: 3 });
  pools.push(db);
  return db;
};

beforeAll(async () => {
  ({ url, drop } = await createPostgresDatabase(`hutong_test_leader_${randomBytes(4).toString('hex')}`));
});
afterAll(async () => {
  for (const db of pools) await db.close().catch(() => {});
  await drop?.();
});

/** Ends, from outside, the session that holds the task's lock: what PostgreSQL sees when the leader's process dies. */
async function killLockHolder(): Promise<number> {
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `select pg_terminate_backend(pid) as killed from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = $1)`,
      [new URL(url).pathname.slice(1)],
    );
    return rows.length;
  } finally {
    await admin.end();
  }
}

describe('one leader per cluster (PostgreSQL advisory lock)', () => {
  it('lets one replica of several lead, hands the lead over within an attempt when the leader’s session dies, and gives it up on stop', async () => {
    const a = new Leadership(await replica(), 'catalogue-relay', silent, 60_000);
    const b = new Leadership(await replica(), 'catalogue-relay', silent, 60_000);
    const other = new Leadership(await replica(), 'usage-relay', silent, 60_000);
    await a.check();
    await b.check();
    await other.check();
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    // Another task has a lock of its own.
    expect(other.isLeader()).toBe(true);

    // Checking again changes nothing: the leader keeps the lead, the other keeps waiting.
    await a.check();
    await b.check();
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);

    expect(await killLockHolder()).toBe(2);
    await a.check(); // the leader notices its session is gone
    expect(a.isLeader()).toBe(false);
    await a.stop(); // a dead process does not come back
    await b.check();
    expect(b.isLeader()).toBe(true);

    const c = new Leadership(await replica(), 'catalogue-relay', silent, 60_000);
    await c.check();
    expect(c.isLeader()).toBe(false);
    await b.stop();
    expect(b.isLeader()).toBe(false);
    await c.check();
    expect(c.isLeader()).toBe(true);
    await c.stop();
    await other.stop();
  });

  it('always leads on PGlite, where one process owns the data folder', async () => {
    const db = await openDatabase({ dataDir: 'memory://' });
    try {
      const lead = new Leadership(db, 'catalogue-relay', silent);
      expect(lead.isLeader()).toBe(true);
      lead.start();
      await lead.check();
      expect(lead.isLeader()).toBe(true);
      await lead.stop();
    } finally {
      await db.close();
    }
  });

  it('tries again on its own every interval once started', async () => {
    const a = new Leadership(await replica(), 'relay-timing', silent, 100);
    const b = new Leadership(await replica(), 'relay-timing', silent, 100);
    a.start();
    await expect.poll(() => a.isLeader(), { timeout: 2000, interval: 20 }).toBe(true);
    b.start();
    await a.stop();
    const released = Date.now();
    await expect.poll(() => b.isLeader(), { timeout: 2000, interval: 20 }).toBe(true);
    expect(Date.now() - released).toBeLessThan(1000);
    await b.stop();
  });
});
