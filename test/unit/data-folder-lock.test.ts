/**
 * An embedded database folder is opened by one process at a time: a second opener is refused
 * with a clear message, the folder is free again once closed, and a lock left by a process that
 * died is taken over.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { DataFolderInUseError, openDatabase } from '../../subgraphs/kit/db.js';

const root = mkdtempSync(path.join(tmpdir(), 'hutong-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('refuses a second opener of one folder, frees it on close, and takes over a lock a dead process left', async () => {
  const folder = path.join(root, 'shandong');
  const first = await openDatabase({ dataDir: folder });
  expect(readFileSync(`${folder}.lock`, 'utf8')).toBe(String(process.pid));

  const second = openDatabase({ dataDir: folder });
  await expect(second).rejects.toBeInstanceOf(DataFolderInUseError);
  await expect(second).rejects.toThrow(
    `The database folder ${folder} is already open in process ${process.pid}; stop that process first (two processes on one embedded database would corrupt it).`,
  );

  await first.query('create table kept (v text)');
  await first.query(`insert into kept values ('still here')`);
  await first.close();
  expect(existsSync(`${folder}.lock`)).toBe(false);

  // A process id far above any the kernel hands out: the process that wrote it is gone.
  writeFileSync(`${folder}.lock`, '4194999');
  const again = await openDatabase({ dataDir: folder });
  expect(await again.query('select v from kept')).toEqual([{ v: 'still here' }]);
  expect(readFileSync(`${folder}.lock`, 'utf8')).toBe(String(process.pid));
  await again.close();
});
