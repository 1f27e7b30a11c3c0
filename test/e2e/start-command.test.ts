/**
 * The README's start command, run as a newcomer would: every subgraph and the gateway as
 * separate processes on the embedded default, stopped with Ctrl-C (SIGINT), started again on
 * the same data.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devIdentity } from '../../scripts/dev-identities.js';
import { mintClientToken } from '../../subgraphs/kit/auth/client-tokens.js';
import { devKeyFiles, loadSigningKey } from '../../subgraphs/kit/auth/keys.js';
import { moverAt, regions, seedCredential } from '../support/fixtures.js';

const root = path.resolve(import.meta.dirname, '../..');
const dataRoot = mkdtempSync(path.join(tmpdir(), 'hutong-start-'));
afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

/** A base port whose next few ports are free (the launcher uses base … base+4). */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(
      [0, 1, 2, 3, 4].map(
        (i) =>
          new Promise<boolean>((resolve) => {
            const s = createServer();
            s.once('error', () => resolve(false));
            s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

interface Started {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

async function start(base: number): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: { ...process.env, HUTONG_PORT_BASE: String(base), HUTONG_DATA_ROOT: dataRoot },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 120_000;
  while (!output.includes('Hutong is running.')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`start failed:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => output, exited };
}

/** Signs a token for a development identity with the keys the launcher created, as `npm run tokens` does. */
async function tokenFor(name: string): Promise<string> {
  return mintClientToken(await loadSigningKey(devKeyFiles(path.join(dataRoot, 'keys')).clientSigningKey), devIdentity(name).claims);
}

async function query(base: number, q: string, variables: object | undefined, as: string) {
  const res = await fetch(`http://127.0.0.1:${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(as)}` },
    body: JSON.stringify({ query: q, variables }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

describe('npm start', () => {
  it('starts every subgraph and the gateway, prints GraphiQL and examples, stops on Ctrl-C, and keeps data', async () => {
    const base = await freePortBase();
    const first = await start(base);
    try {
      expect(first.output()).toContain(`http://127.0.0.1:${base}/graphiql`);
      expect(first.output()).toContain(seedCredential(regions[0]!, 1).id);
      const graphiql = await fetch(`http://127.0.0.1:${base}/graphiql`);
      expect(graphiql.status).toBe(200);

      // The catalogue's relay fills the index within its poll interval.
      let holder;
      for (let i = 0; i < 50; i++) {
        holder = await query(base, 'query($c: ID!) { holder(code: $c) { credentials { id status } } }', { c: moverAt(0).code }, 'holder');
        if (holder.data?.holder?.credentials.length === regions.length) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(holder!.data.holder.credentials).toHaveLength(regions.length);
    } finally {
      first.child.kill('SIGINT');
    }
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Hutong stopped.');

    const second = await start(base);
    try {
      const counts = await query(base, '{ regions { credentialCount } }', undefined, 'analyst');
      // Default seed size, not doubled: the data on disk was kept and not seeded again.
      for (const r of counts.data.regions) expect(r.credentialCount).toBe(200);
      const c = seedCredential(regions[2]!, 3);
      const found = await query(base, 'query($id: ID!) { credential(id: $id) { holderName } }', { id: c.id }, `issuer-${regions[2]!.code}`);
      expect(found.data.credential.holderName).toBe(c.holderName);
    } finally {
      second.child.kill('SIGINT');
    }
    expect(await second.exited).toBe(0);
  }, 300_000);
});
