/**
 * `npm run bench -- --sizes` at two tiny sizes on PGlite: it must seed one registry through both,
 * time every lookup kind at each through the subgraphs' HTTP endpoints, find an index under every
 * lookup, print the table and a verdict per kind, and stop everything (the process exits on its own).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const KINDS = ['credential-by-id', 'holder-credentials', 'credential-count'];

function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', ...args], { cwd: root, env: { ...process.env, HUTONG_LOG_LEVEL: 'silent' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

it('times a credential by id, a holder’s first page and the region’s count at each size, each over an index, with a verdict per kind', async () => {
  const { code, stdout, stderr } = await bench(['--sizes', '1k,3k', '--lookups', '40']);
  const context = `${stdout.slice(-3000)}\n${stderr.slice(-3000)}`;
  expect(code, context).toBe(0);
  expect(stdout).toContain('npm run bench -- --sizes 1k,3k --db pglite --lookups 40');
  // Seeding reports its progress, growing the one database from 1k to 3k.
  expect(stderr).toContain('Seeding Shandong from 1,000 to 3,000 credentials (pglite)');

  // Columns: size, db, seed rate, lookup, p50, p99, mean, errors, plan.
  const rows = stdout
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| size'))
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  expect(rows.map(([size, db, , kind]) => `${size}/${db}/${kind}`), context).toEqual(['1k', '3k'].flatMap((s) => KINDS.map((k) => `${s}/pglite/${k}`)));
  for (const [size, , seedRate, kind, p50, p99, mean, errors, plan] of rows) {
    const what = `${kind} at ${size}`;
    expect(Number(seedRate!.replaceAll(',', '')), what).toBeGreaterThan(0);
    expect(Number(p50), what).toBeGreaterThan(0);
    expect(Number(p99), what).toBeGreaterThanOrEqual(Number(p50));
    expect(Number(mean), what).toBeGreaterThan(0);
    expect(errors, what).toBe('0');
    expect(plan, what).toBe('index');
  }
  expect(stdout).toContain('Rule: FLAT when p50 at the largest size ≤ 2× p50 at the smallest and every plan reads an index; otherwise GROWS.');
  for (const kind of KINDS) expect(stdout).toMatch(new RegExp(`^(FLAT |GROWS)  ${kind}: p50 \\d+\\.\\d\\d ms at 3k vs \\d+\\.\\d\\d ms at 1k \\(\\d+\\.\\d\\d×\\)$`, 'm'));
}, 60_000);

it('refuses a size it cannot read, and 10m on PGlite, with exit code 2 and the reason', async () => {
  const [garbage, tooBig] = await Promise.all([bench(['--sizes', '12x']), bench(['--sizes', '10k,10m', '--db', 'pglite'])]);
  expect(garbage.code).toBe(2);
  expect(garbage.stderr).toContain('--sizes: "12x" is not a size; write a whole number with an optional k or m, e.g. 10k or 1m');
  expect(tooBig.code).toBe(2);
  expect(tooBig.stderr).toContain('--sizes: 10m is too big for PGlite, an in-memory database (at most 1m); use --db postgres');
}, 30_000);
