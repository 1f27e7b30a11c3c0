/**
 * Statements prepared once per text. On PGlite, run as bind + execute: the same rows and errors
 * as PGlite's own `query`, and never inside a transaction that is not theirs. On PostgreSQL,
 * named statements that each connection parses once.
 */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../subgraphs/kit/db.js';
import { MAX_PREPARED_STATEMENTS, PreparedStatements } from '../../subgraphs/kit/pglite-statements.js';
import { createPostgresDatabase } from '../support/stack.js';

let pglite: PGlite;
let statements: PreparedStatements;
// One database (creating one takes seconds), made new for each test: no table, no prepared statement.
beforeAll(async () => {
  pglite = await PGlite.create();
});
afterAll(async () => {
  await pglite?.close();
});
beforeEach(async () => {
  statements = new PreparedStatements(pglite);
  await pglite.exec(`
    deallocate all;
    drop table if exists credential;
    create table credential (id text primary key, version int not null, serial bigint, fee numeric(8,2), issued date, valid boolean, face jsonb, tags text[], note text);
    insert into credential values ('c1', 3, 9007199254740993, 12.50, '2026-02-28', true, '{"licenceClass":"C1","points":12}', '{"驾驶证","C1"}', null);
    insert into credential values ('c2', 1, 7, 0, '2026-03-01', false, '{}', '{}', '备注');`);
});

describe('prepared PGlite statements', () => {
  // PGlite's own readings: numeric as its text, int8 as a number while it is exact, then a BigInt.
  it('read every column type as PGlite’s own query does', async () => {
    const sql = `select id, version, serial, fee, issued::text as "issued", valid, face, tags, note from credential where id = any($1::text[]) order by id`;
    const rows = await statements.run(sql, [['c1', 'c2']], false);
    expect(rows).toEqual([
      { id: 'c1', version: 3, serial: 9007199254740993n, fee: '12.50', issued: '2026-02-28', valid: true, face: { licenceClass: 'C1', points: 12 }, tags: ['驾驶证', 'C1'], note: null },
      { id: 'c2', version: 1, serial: 7, fee: '0.00', issued: '2026-03-01', valid: false, face: {}, tags: [], note: '备注' },
    ]);
    expect(rows).toEqual((await pglite.query(sql, [['c1', 'c2']])).rows);
  });

  it('prepare each text once, however often it runs, and bind each run’s own parameters', async () => {
    const byId = 'select version from credential where id = $1';
    expect(await statements.run(byId, ['c1'], false)).toEqual([{ version: 3 }]);
    expect(await statements.run(byId, ['c2'], false)).toEqual([{ version: 1 }]);
    expect(await statements.run(byId, ['none'], false)).toEqual([]);
    expect(statements.size).toBe(1);
    expect(await statements.run('update credential set version = version + $2 where id = $1', ['c2', 4], false)).toEqual([]);
    expect(await statements.run(byId, ['c2'], false)).toEqual([{ version: 5 }]);
    expect(statements.size).toBe(2);
  });

  it('pass null and undefined parameters as SQL null', async () => {
    expect(await statements.run('select $1::text is null as "isNull", $2::int is null as "alsoNull"', [null, undefined], false)).toEqual([{ isNull: true, alsoNull: true }]);
  });

  it('throw PostgreSQL’s error for bad SQL or a bad value, keep nothing, and go on working', async () => {
    await expect(statements.run('select nope from credential', [], false)).rejects.toThrow('column "nope" does not exist');
    expect(statements.size).toBe(0);
    await expect(statements.run('select id from credential where version = $1', ['three'], false)).rejects.toThrow('invalid input syntax for type integer: "three"');
    await expect(statements.run('insert into credential (id, version) values ($1, $2)', ['c1', 1], false)).rejects.toThrow('duplicate key value violates unique constraint "credential_pkey"');
    expect(await statements.run('select id from credential where version = $1', [3], false)).toEqual([{ id: 'c1' }]);
  });

  it(`run texts past the first ${MAX_PREPARED_STATEMENTS} unprepared, with the right answers`, async () => {
    for (let i = 0; i < MAX_PREPARED_STATEMENTS + 3; i++) {
      expect(await statements.run(`select $1::int + ${i} as n`, [1], false)).toEqual([{ n: 1 + i }]);
    }
    expect(statements.size).toBe(MAX_PREPARED_STATEMENTS);
    expect(await statements.run(`select $1::int + 0 as n`, [2], false)).toEqual([{ n: 2 }]);
  });
});

describe('a PGlite database’s statements and its transactions', () => {
  let db: Database;
  beforeEach(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
    await db.exec('create table usage_record (id int primary key)');
  });
  afterEach(async () => {
    await db.close();
  });

  it('a statement outside a transaction waits for it and sees only what it committed', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const committed = db.transaction(async (tx) => {
      await tx.query('insert into usage_record values ($1)', [1]);
      await held;
      await tx.query('insert into usage_record values ($1)', [2]);
      order.push('commit');
    });
    await new Promise((r) => setTimeout(r, 20));
    const counted = db.query<{ n: number }>('select count(*)::int as n from usage_record').then((rows) => {
      order.push('count');
      return rows[0]!.n;
    });
    await new Promise((r) => setTimeout(r, 20));
    release();
    await committed;
    expect(await counted).toBe(2);
    expect(order).toEqual(['commit', 'count']);
  });

  it('a statement outside a rolled-back transaction sees none of it', async () => {
    const rolledBack = db.transaction(async (tx) => {
      await tx.query('insert into usage_record values ($1)', [1]);
      await new Promise((r) => setTimeout(r, 30));
      throw new Error('refused');
    });
    const counted = db.query<{ n: number }>('select count(*)::int as n from usage_record');
    await expect(rolledBack).rejects.toThrow('refused');
    expect(await counted).toEqual([{ n: 0 }]);
  });
});

describe('PostgreSQL statements', () => {
  it('are named once per text, parsed once per connection, and an error leaves the connection working', async () => {
    const { url, drop } = await createPostgresDatabase(`hutong_test_prepared_${randomBytes(4).toString('hex')}`);
    const db = await openDatabase({ url, poolSize: 2 });
    const connection = await db.dedicated!();
    try {
      expect(await connection.query('select $1::int + 1 as n', [1])).toEqual([{ n: 2 }]);
      expect(await connection.query('select $1::int + 1 as n', [2])).toEqual([{ n: 3 }]);
      await expect(connection.query('select nope', [])).rejects.toThrow('column "nope" does not exist');
      expect(await connection.query('select name, statement from pg_prepared_statements order by name')).toEqual([
        { name: 'hutong_1', statement: 'select $1::int + 1 as n' },
        { name: 'hutong_3', statement: 'select name, statement from pg_prepared_statements order by name' },
      ]);
    } finally {
      connection.release();
      await db.close();
      await drop();
    }
  });
});
