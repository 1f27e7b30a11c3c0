import { PGlite } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PreparedStatements, StatementNames } from './pglite-statements.js';

/** A json or jsonb column's value as an object, whether the driver parsed it or handed over its text. */
// Stryker disable next-line ConditionalExpression,StringLiteral: PGlite and pg both return json and jsonb parsed, so the string branch is not taken by either driver today.
export const parseJsonColumn = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/** What data-access code needs from a database: the same on PGlite and PostgreSQL. */
export interface Queryable {
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Where the data lives, without credentials: safe to log. */
  readonly location: string;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Connection pool figures (PostgreSQL only). */
  poolStats?(): { total: number; idle: number; waiting: number };
  /**
   * SQL statements run through this database so far (`query` and `exec` calls, in and out of
   * transactions; the transactions' own begin and commit are not counted).
   */
  statementCount?(): number;
  /**
   * A connection of its own, outside the pool's rotation, for session state such as an advisory
   * lock (PostgreSQL only: PGlite has one process per data folder).
   */
  dedicated?(): Promise<DedicatedConnection>;
}

export interface DedicatedConnection extends Queryable {
  /** Gives the connection back; `lost` closes it instead (its session state goes with it). */
  release(lost?: boolean): void;
}

export type DatabaseOptions =
  /** PostgreSQL connection URL (production). */
  | { url: string; poolSize?: number }
  /** PGlite data folder, or `memory://` for a throw-away database (tests). */
  | { dataDir: string };

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return 'url' in options ? openPostgres(options.url, options.poolSize ?? 10) : openPglite(options.dataDir);
}

/**
 * A fresh, empty PGlite cluster as a tarball. Creating a cluster runs initdb, which takes seconds;
 * throw-away databases (tests open hundreds) start from a copy of this one instead, kept in the
 * system's temporary folder so that every test process shares it.
 */
let freshCluster: Promise<Blob> | undefined;
function freshClusterImage(): Promise<Blob> {
  freshCluster ??= (async () => {
    const file = path.join(tmpdir(), `hutong-pglite-cluster-${await pgliteVersion()}.tar`);
    try {
      return new Blob([await readFile(file)]);
    } catch {
      const template = await PGlite.create();
      const image = await template.dumpDataDir('none');
      await template.close();
      // Written under another name first: a reader never sees half a file.
      const partial = `${file}.${randomUUID()}`;
      await writeFile(partial, Buffer.from(await image.arrayBuffer()));
      await rename(partial, file);
      return image;
    }
  })();
  return freshCluster;
}

/** The installed PGlite's version and install time: a cached cluster never outlives its PGlite. */
async function pgliteVersion(): Promise<string> {
  const manifest = path.join(path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json');
  const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
  return `${version}-${Math.round((await stat(manifest)).mtimeMs)}`;
}

/** Another running process already has this PGlite data folder open. */
export class DataFolderInUseError extends Error {
  override name = 'DataFolderInUseError';
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * PGlite is a single-process database: two processes writing one folder corrupt it. A lock file
 * beside the folder names the process that has it open; one left by a process that died is
 * taken over. Returns the release.
 */
async function lockDataFolder(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = `${path.resolve(dataDir)}.lock`;
  await mkdir(path.dirname(lockFile), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(lockFile, String(process.pid), { flag: 'wx' });
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new DataFolderInUseError(
          `The database folder ${dataDir} is already open in process ${holder}; stop that process first (two processes on one embedded database would corrupt it).`,
        );
      }
      await rm(lockFile, { force: true }); // left by a process that died
    }
  }
  throw new DataFolderInUseError(`Could not lock the database folder ${dataDir}: another process keeps taking it.`);
}

async function openPglite(dataDir: string): Promise<Database> {
  const inMemory = dataDir === 'memory://';
  const release = inMemory ? async () => {} : await lockDataFolder(dataDir);
  let db: PGlite;
  try {
    db = inMemory ? await PGlite.create({ loadDataDir: await freshClusterImage() }) : await PGlite.create(dataDir);
  } catch (error) {
    await release();
    throw error;
  }
  let statements = 0;
  const prepared = new PreparedStatements(db);
  const wrap = (q: Pick<PGlite, 'exec'>, inTransaction: boolean): Queryable => ({
    async query<T extends object>(sql: string, params?: unknown[]) {
      statements++;
      return prepared.run<T>(sql, params ?? [], inTransaction);
    },
    async exec(sql: string) {
      statements++;
      await q.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    location: dataDir,
    ...wrap(db, false),
    statementCount: () => statements,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx, true))),
    async close() {
      await db.close();
      await release();
    },
  };
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  let statements = 0;
  // Each text is a named statement, parsed and planned once per connection (node-postgres keeps
  // which it has prepared); past the limit, SQL built at run time goes unnamed as before.
  const names = new StatementNames();
  const wrap = (q: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T extends object>(sql: string, params?: unknown[]) {
      statements++;
      return (await q.query({ name: names.of(sql), text: sql, values: params })).rows as T[];
    },
    async exec(sql: string) {
      statements++;
      await q.query(sql);
    },
  });
  await pool.query('select 1');
  return {
    kind: 'postgres',
    location: redactUrl(url),
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn(wrap(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    statementCount: () => statements,
    async dedicated() {
      const client = await pool.connect();
      // A lost server connection must not crash the process: the holder finds out at its next query.
      client.on('error', () => {});
      let released = false;
      return {
        ...wrap(client),
        release(lost = false) {
          if (released) return;
          released = true;
          client.release(lost ? new Error('connection given up') : undefined);
        },
      };
    },
  };
}

/** Drops the password from a connection URL so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
