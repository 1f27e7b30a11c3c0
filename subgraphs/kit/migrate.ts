import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from './db.js';

/**
 * Applies `NNN_name.sql` files from a folder in order, each once, each in its own transaction.
 * The same files run on PGlite and PostgreSQL; an advisory lock keeps two processes starting
 * against one PostgreSQL database from applying a migration twice.
 */
export async function migrate(db: Database, folder: string, scope: string): Promise<string[]> {
  const files = (await readdir(folder)).filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f)).sort();
  await db.exec(`create table if not exists hutong_migration (
    name text primary key,
    applied_at timestamptz not null default now()
  )`);
  const applied: string[] = [];
  for (const file of files) {
    const name = `${scope}/${file}`;
    const sql = await readFile(path.join(folder, file), 'utf8');
    const done = await db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock(7405)');
      const seen = await tx.query('select 1 from hutong_migration where name = $1', [name]);
      if (seen.length > 0) return false;
      await tx.exec(sql);
      await tx.query('insert into hutong_migration (name) values ($1)', [name]);
      return true;
    });
    if (done) applied.push(name);
  }
  return applied;
}
