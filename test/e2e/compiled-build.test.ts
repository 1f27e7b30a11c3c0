/**
 * `npm run build` gives a folder that runs on node alone: the launcher, every subgraph and the
 * gateway from compiled JavaScript, no TypeScript loader anywhere.
 */
import { execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { devIdentity } from '../../scripts/dev-identities.js';
import { GATEWAY_NODE_FLAGS } from '../../gateway/src/node-flags.js';
import { mintClientToken } from '../../subgraphs/kit/auth/client-tokens.js';
import { devKeyFiles, loadSigningKey } from '../../subgraphs/kit/auth/keys.js';
import { serviceNames } from '../../subgraphs/kit/reference.js';
import { regions, seedCredential } from '../support/fixtures.js';
import { freePortBase, startLauncher, type SpawnedEntry } from '../support/processes.js';
import { postgresAdminUrl } from '../support/stack.js';
import pg from 'pg';

const repo = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'hutong-compiled-'));
const dist = path.join(work, 'dist');
let launcher: ChildProcessWithoutNullStreams | undefined;

afterAll(() => {
  if (launcher && launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** The command lines of the launcher's children, read from /proc. */
function childCommandLines(parent: number): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parent) continue;
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '));
    } catch {
      // gone meanwhile
    }
  }
  return lines;
}

describe('the compiled build', () => {
  // A build (about 15 s) and a start of every service from it: a test's default minute is too
  // short on a busy 2-core machine, and the start has its own 90 s deadline below.
  it('compiles to JavaScript with its SDL, migrations and data files, and runs every service on node alone', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--out', dist], { cwd: repo });
    expect(stdout).toMatch(/^Built .* in \d+\.\d s \(\d+ files copied beside the JavaScript\)\.$/m);
    for (const file of ['gateway/src/main.js', 'scripts/start.js', 'subgraphs/regions.json', 'subgraphs/kit/provinces.json', 'subgraphs/catalogue/schema.graphql', 'subgraphs/kit/registry/migrations', 'subgraphs/hebei/recognition.json', 'schema/supergraph.graphql']) {
      expect(existsSync(path.join(dist, file)), file).toBe(true);
    }
    expect(readdirSync(dist, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'))).toEqual([]);
    // As a deployment would have it: the build next to the installed packages.
    symlinkSync(path.join(repo, 'node_modules'), path.join(work, 'node_modules'), 'dir');

    const base = await freePortBase(serviceNames().length);
    const started = await startLauncher([path.join(dist, 'scripts', 'start.js'), '--seed-count', '20'], {
      cwd: work,
      env: { ...process.env, HUTONG_PORT_BASE: String(base), HUTONG_DATA_ROOT: 'data' },
      onSpawn: (child) => (launcher = child),
    });
    try {
      const commands = childCommandLines(started.child.pid!);
      expect(commands).toHaveLength(serviceNames().length);
      // Subgraphs on node alone; the gateway with its own Node flags (gateway/src/node-flags.ts).
      const gatewayCommand = [process.execPath, ...GATEWAY_NODE_FLAGS, `${dist}/gateway/src/main.js`].join(' ');
      expect(commands.filter((c) => c === gatewayCommand)).toHaveLength(1);
      for (const command of commands.filter((c) => c !== gatewayCommand)) {
        expect(command).toMatch(new RegExp(`^${process.execPath} ${dist}/subgraphs/[a-z-]+/server\\.js$`));
      }
      // The data folder is the working directory's, not inside the build.
      expect(existsSync(path.join(work, 'data', 'keys', 'internal-jwks.json'))).toBe(true);
      const token = await mintClientToken(await loadSigningKey(devKeyFiles(path.join(work, 'data', 'keys')).clientSigningKey), devIdentity('admin').claims);
      const wanted = seedCredential(regions[3]!, 2);
      const res = await fetch(`http://127.0.0.1:${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'query($id: ID!) { credential(id: $id) { id issuingRegion { code } } regions { code } }', variables: { id: wanted.id } }),
      });
      const body = (await res.json()) as { data: { credential: { id: string; issuingRegion: { code: string } }; regions: { code: string }[] } };
      expect(body.data.credential).toEqual({ id: wanted.id, issuingRegion: { code: regions[3]!.code } });
      expect(body.data.regions.map((r) => r.code)).toEqual(regions.map((r) => r.code));
    } finally {
      started.child.kill('SIGINT');
      expect(await started.exited).toBe(0);
    }
  }, 360_000);

  it('runs the production profile from it: a PostgreSQL database per subgraph, created when missing, and Redis', async () => {
    expect(existsSync(path.join(dist, 'scripts', 'start.js')), 'the build of the test before').toBe(true);
    const prefix = `hutong_t${Math.floor(Math.random() * 1e9).toString(36)}_`;
    const names = [...regions.map((r) => r.code), 'catalogue', 'recognition'].map((n) => `${prefix}${n.replaceAll('-', '_')}`);
    const base = await freePortBase(serviceNames().length);
    let started: SpawnedEntry | undefined;
    try {
      started = await startLauncher([path.join(dist, 'scripts', 'start.js'), '--production', '--seed-count', '20'], {
        cwd: work,
        env: { ...process.env, HUTONG_PORT_BASE: String(base), HUTONG_DATA_ROOT: 'data-production', HUTONG_DATABASE_PREFIX: prefix, HUTONG_POSTGRES_URL: postgresAdminUrl },
        onSpawn: (child) => (launcher = child),
      });
      const output = started.output();
      expect(output).toContain(`Starting Hutong, production profile: a PostgreSQL database per subgraph (${prefix}*; created ${names.join(', ')}), Redis at redis://127.0.0.1:6379`);
      for (const name of [...regions.map((r) => r.code), 'catalogue', 'recognition']) {
        expect(output).toMatch(new RegExp(`^\\[${name}\\] info database open database=postgres location=postgresql://postgres@127\\.0\\.0\\.1:5432/${prefix}${name.replaceAll('-', '_')}$`, 'm'));
      }
      // Nothing embedded: no data folder of a subgraph's own.
      expect(readdirSync(path.join(work, 'data-production')).sort()).toEqual(['keys']);
      for (const command of childCommandLines(started.child.pid!)) expect(command).not.toMatch(/tsx/);
      const token = await mintClientToken(await loadSigningKey(devKeyFiles(path.join(work, 'data-production', 'keys')).clientSigningKey), devIdentity('admin').claims);
      const wanted = seedCredential(regions[0]!, 4);
      const res = await fetch(`http://127.0.0.1:${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'query($id: ID!) { credential(id: $id) { id number } scenarios { code } }', variables: { id: wanted.id } }),
      });
      const body = (await res.json()) as { data: { credential: { id: string; number: string }; scenarios: { code: string }[] } };
      expect(body.data.credential).toEqual({ id: wanted.id, number: wanted.number });
      expect(body.data.scenarios.map((s) => s.code)).toContain('online-filing');
    } finally {
      // A start that failed has stopped what it started; the databases it created go either way.
      started?.child.kill('SIGINT');
      if (started) expect(await started.exited).toBe(0);
      const admin = new pg.Client({ connectionString: postgresAdminUrl });
      await admin.connect();
      for (const name of names) await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
  }, 360_000);
});
