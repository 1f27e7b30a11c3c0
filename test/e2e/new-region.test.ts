/**
 * `npm run new-region` as a regional team would meet it, in a throw-away copy of the repository:
 * the command makes a region for Hainan (46), composes, and the real start command then runs it
 * with the others; one of its seeded credentials is fetched through the gateway and the new
 * registry passes the registry contract's conformance suite.
 */
import { execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePortBase, startLauncher } from '../support/processes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devIdentity } from '../../scripts/dev-identities.js';
import { runConformance } from '../../scripts/conformance-checks.js';
import { serviceNames } from '../../subgraphs/kit/reference.js';
import { mintClientToken, type ClientTokenClaims } from '../../subgraphs/kit/auth/client-tokens.js';
import { devKeyFiles, loadSigningKey } from '../../subgraphs/kit/auth/keys.js';
import { openDatabase } from '../../subgraphs/kit/db.js';
import type { CredentialRecord } from '../../subgraphs/kit/seed/credentials.js';

const repo = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
let copy: string;
let launcher: ChildProcessWithoutNullStreams | undefined;

beforeAll(() => {
  // What the system needs to compose and start; no data, no .git.
  copy = mkdtempSync(path.join(tmpdir(), 'hutong-new-region-'));
  for (const entry of ['gateway', 'subgraphs', 'schema', 'scripts', 'package.json', 'tsconfig.json', 'docker-compose.yml']) {
    cpSync(path.join(repo, entry), path.join(copy, entry), { recursive: true });
  }
  symlinkSync(path.join(repo, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
});

afterAll(() => {
  // A failed test must not leave a stack running.
  if (launcher && launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGTERM');
  rmSync(copy, { recursive: true, force: true });
});

/** The copy's environment: its own regions file and data, whatever this process was given. */
function copyEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { HUTONG_REGIONS_FILE: _r, HUTONG_DATA_ROOT: _d, ...env } = process.env;
  return { ...env, HUTONG_DATA_ROOT: path.join(copy, 'data'), ...extra };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('npm run new-region', () => {
  it('makes a region that composes, starts with the others, serves its credentials through the gateway and conforms', async () => {
    // 1. The command, in the copy.
    const made = await run(process.execPath, ['--import', 'tsx', 'scripts/new-region.ts', '--name', 'hainan-test', '--provinces', '46', '--with-migrations'], {
      cwd: copy,
      env: copyEnv(),
    });
    expect(made.stdout).toContain('  added hainan-test to subgraphs/regions.json\n  composed schema/supergraph.graphql\n  wrote docker-compose.yml\n');
    // The deployment gains the region: its registry and its database.
    const compose = readFileSync(path.join(copy, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain('\n  hainan-test:\n    image: "hutong:local"\n    command:\n      - "node"\n      - "dist/subgraphs/hainan-test/server.js"\n');
    expect(compose).toContain('\n  postgres-hainan-test:\n');

    const folder = path.join(copy, 'subgraphs', 'hainan-test');
    expect(readdirSync(folder, { recursive: true }).map(String).sort()).toEqual([
      'README.md',
      'migrations',
      path.join('migrations', '001_first.sql'),
      'recognition.json',
      'region.ts',
      'resolvers.ts',
      'schema.graphql',
      'server.ts',
    ]);
    const server = readFileSync(path.join(folder, 'server.ts'), 'utf8');
    expect(server).toContain('export default hainanTest;');
    expect(server).toContain("migrationsFolder: fileURLToPath(new URL('./migrations', import.meta.url)),");
    expect(readFileSync(path.join(folder, 'region.ts'), 'utf8')).toContain("regionByCode('hainan-test')!");

    const regionsFile = JSON.parse(readFileSync(path.join(copy, 'subgraphs', 'regions.json'), 'utf8'));
    expect(regionsFile.regions.map((r: { code: string }) => r.code)).toEqual(['yangtze-delta', 'chengdu-chongqing', 'shandong', 'hebei', 'hainan-test']);
    expect(regionsFile.regions[4]).toEqual({
      code: 'hainan-test',
      name: 'Hainan Test',
      nameZh: '海南',
      typePrefix: 'HainanTest',
      url: 'http://127.0.0.1:4007',
      provinces: [
        {
          code: '46',
          name: 'Hainan',
          nameZh: '海南省',
          short: '琼',
          app: '海易办',
          cities: [
            { code: '460100', nameZh: '海口市' },
            { code: '460200', nameZh: '三亚市' },
          ],
        },
      ],
    });

    const supergraph = readFileSync(path.join(copy, 'schema', 'supergraph.graphql'), 'utf8');
    expect(supergraph).toContain('HAINAN_TEST @join__graph(name: "hainan-test", url: "http://127.0.0.1:4007/graphql")');
    expect(supergraph).toMatch(/^type HainanTestCredential implements Credential\b/m);
    expect(supergraph).toMatch(/^ {2}hainanTest: HainanTestRegistryMutations! @join__field\(graph: HAINAN_TEST\)/m);
    // The repository itself is untouched.
    expect(readFileSync(path.join(repo, 'schema', 'supergraph.graphql'), 'utf8')).not.toContain('HainanTest');

    // 2. Credential 1 of the new region, from the copy's own seed code (this process's region list
    // has no province 46, so it cannot compute it).
    writeFileSync(
      path.join(copy, 'seed-probe.ts'),
      [
        "import { regionByCode } from './subgraphs/kit/reference.js';",
        "import { seedCredential } from './subgraphs/kit/seed/credentials.js';",
        "process.stdout.write(JSON.stringify(seedCredential(regionByCode('hainan-test')!, 1)));",
      ].join('\n'),
    );
    const probe = await run(process.execPath, ['--import', 'tsx', 'seed-probe.ts'], { cwd: copy, env: copyEnv() });
    const seeded = JSON.parse(probe.stdout) as CredentialRecord;
    expect(seeded.areaCode.slice(0, 2)).toBe('46');
    expect(seeded.holderType).toBe('111');

    // 3. The real start command, in the copy.
    const base = await freePortBase(serviceNames().length + 1);
    // The launcher runs each service at the base plus its default port's offset from 4000.
    const regionPort = base + Number(new URL(regionsFile.regions.at(-1).url).port) - 4000;
    const started = await startLauncher(['--import', 'tsx', 'scripts/start.ts', '--seed-count', '20'], {
      cwd: copy,
      env: copyEnv({ HUTONG_PORT_BASE: String(base) }),
      onSpawn: (child) => (launcher = child),
    });
    const exited = started.exited;
    expect(started.output()).toMatch(new RegExp(`^\\[hainan-test\\] info subgraph hainan-test listening url=http://127\\.0\\.0\\.1:${regionPort}/graphql`, 'm'));

    try {
      const clientKey = await loadSigningKey(devKeyFiles(path.join(copy, 'data', 'keys')).clientSigningKey);
      const query = async (q: string, variables: object, claims: ClientTokenClaims) => {
        const res = await fetch(`http://127.0.0.1:${base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${await mintClientToken(clientKey, claims)}` },
          body: JSON.stringify({ query: q, variables }),
        });
        return (await res.json()) as { data?: any; errors?: any[] };
      };

      // 4. Its holder finds it in the national index (the catalogue's relay reads the new registry's
      // outbox) and reads it, resolved live from the new registry.
      const holder: ClientTokenClaims = { sub: 'holder-hainan-test-1', role: 'holder', holder_code: seeded.holderCode };
      let mine: { data?: any; errors?: any[] } | undefined;
      for (let i = 0; i < 75; i++) {
        mine = await query('query($c: ID!) { holder(code: $c) { credentials { nodes { __typename id holderName issuingRegion { code } } } } }', { c: seeded.holderCode }, holder);
        if (mine.data?.holder?.credentials?.nodes?.some((c: { id: string }) => c.id === seeded.id)) break;
        await sleep(200);
      }
      expect(mine!.errors).toBeUndefined();
      expect(mine!.data.holder.credentials.nodes).toContainEqual({
        __typename: 'HainanTestCredential',
        id: seeded.id,
        holderName: seeded.holderName,
        issuingRegion: { code: 'hainan-test' },
      });

      // An auditor reads it by identifier: routed by the issuer's division (46) to the new registry.
      const byId = await query(
        'query($id: ID!) { credential(id: $id) { __typename id typeCode issuerCode issuerName issueDate areaCode issuingRegion { code name } } }',
        { id: seeded.id },
        devIdentity('admin').claims,
      );
      expect(byId).toEqual({
        data: {
          credential: {
            __typename: 'HainanTestCredential',
            id: seeded.id,
            typeCode: seeded.typeCode,
            issuerCode: seeded.issuerCode,
            issuerName: seeded.issuerName,
            issueDate: seeded.issueDate,
            areaCode: seeded.areaCode,
            issuingRegion: { code: 'hainan-test', name: 'Hainan Test' },
          },
        },
      });

      // 5. The registry contract, checked over HTTP against the new registry with the copy's service keys.
      const report = await runConformance({
        url: `http://127.0.0.1:${regionPort}`,
        subgraph: 'hainan-test',
        keysFolder: path.join(copy, 'data', 'keys'),
        writes: true,
      });
      expect(report.checks.length).toBeGreaterThan(10);
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    } finally {
      started.child.kill('SIGINT');
      const code = await Promise.race([exited, sleep(30_000).then(() => 'still running' as const)]);
      if (code === 'still running') started.child.kill('SIGKILL');
      expect(code, started.output().slice(-3000)).toBe(0);
    }

    // 6. The region's own migration ran once, after the shared ones, under its own scope.
    const db = await openDatabase({ dataDir: path.join(copy, 'data', 'hainan-test') });
    try {
      const applied = await db.query<{ name: string }>("select name from hutong_migration where name like 'hainan-test/%' order by name");
      expect(applied.map((r) => r.name)).toEqual(['hainan-test/001_first.sql']);
    } finally {
      await db.close();
    }
  }, 420_000);
});
