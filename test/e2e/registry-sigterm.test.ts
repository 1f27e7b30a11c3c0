/**
 * A registry run as its own process stops cleanly on SIGTERM, also while a client holds a
 * keep-alive connection: it closes its listener, Apollo and its database, and exits 0 promptly.
 * While it runs, a second process on the same embedded database folder is refused at start.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, expect, it } from 'vitest';
import { ensureDevKeys } from '../../subgraphs/kit/auth/keys.js';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'hutong-sigterm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('refuses a second process on its database folder, and exits 0 within five seconds of SIGTERM with a keep-alive client connected', async () => {
  const keys = await ensureDevKeys(path.join(dir, 'keys'), ['shandong']);
  const env = {
      ...process.env,
      HUTONG_PORT: '0',
      HUTONG_DATA_DIR: path.join(dir, 'shandong'),
      HUTONG_SEED_COUNT: '5',
      HUTONG_INTERNAL_JWKS_FILE: keys.internalJwks,
      HUTONG_INTERNAL_SIGNING_KEY_FILE: keys.serviceKey('shandong'),
      HUTONG_LOG_LEVEL: 'info',
      // As in production: libraries that act differently under tests (Apollo's own signal handlers) must not.
      NODE_ENV: 'production',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/shandong/server.ts'], { cwd: root, env });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`registry did not start:\n${output}`);
    url = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(output)?.[1];
    await new Promise((r) => setTimeout(r, 100));
  }
  // A keep-alive connection that stays open, as the gateway's pool keeps one.
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  const health = await request(`${url}/health`, { dispatcher: agent });
  expect(health.statusCode).toBe(200);
  await health.body.text();

  // A second registry process on the same embedded database folder is refused, clearly, at start.
  const second = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/shandong/server.ts'], { cwd: root, env: { ...env } });
  let secondOutput = '';
  second.stderr.on('data', (d) => (secondOutput += d));
  const secondCode = await new Promise<number | null>((resolve) => second.on('exit', (c) => resolve(c)));
  expect(secondCode).toBe(2);
  expect(secondOutput).toContain(`Subgraph shandong cannot start: The database folder ${path.join(dir, 'shandong')} is already open in process ${child.pid}`);

  const signalledAt = Date.now();
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000))]);
  if (code === 'still running') child.kill('SIGKILL');
  expect(code, output.slice(-2000)).toBe(0);
  expect(Date.now() - signalledAt).toBeLessThan(5000);
  expect(output).toContain('"msg":"stopping"');
  await agent.close();
});
