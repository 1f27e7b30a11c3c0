/**
 * The deployment files: docker-compose.yml (written from the regions file), the Dockerfile, the
 * secrets they name, and a subgraph reading its database URL from a secret file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { GATEWAY_NODE_FLAGS } from '../../gateway/src/node-flags.js';
import { loadSupergraphFile } from '../../gateway/src/supergraph.js';
import { composeFilePath, composeFileText, ensureComposeSecrets } from '../../scripts/docker-compose.js';
import { supergraphPath } from '../../scripts/composition.js';
import { createPostgresDatabase } from '../support/stack.js';
import { spawnEntry } from '../support/processes.js';

const repo = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'hutong-deploy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = promisify(execFile);
const dockerCompose = async (...args: string[]) => run('docker-compose', ['-f', composeFilePath, ...args], { cwd: repo });
const haveDockerCompose = await run('docker-compose', ['version']).then(() => true, () => false);
if (!haveDockerCompose && process.env.HUTONG_REQUIRE_DOCKER_COMPOSE === '1') throw new Error('docker-compose is required (HUTONG_REQUIRE_DOCKER_COMPOSE=1): apt-get install -y docker-compose');

describe('docker-compose.yml', () => {
  it('is what the regions file gives (npm run docker-compose wrote the committed file)', () => {
    expect(readFileSync(composeFilePath, 'utf8')).toBe(composeFileText());
  });

  it.skipIf(!haveDockerCompose)('is a valid compose file whose services are the supergraph’s subgraphs, a database for each, Redis and the gateway', async () => {
    await dockerCompose('config', '-q');
    const { stdout } = await dockerCompose('config', '--services');
    const subgraphs = (await loadSupergraphFile(supergraphPath)).subgraphs;
    expect(stdout.trim().split('\n').sort()).toEqual(['gateway', 'redis', ...subgraphs, ...subgraphs.map((s) => `postgres-${s}`)].sort());
  });

  it('gives every service a health check and a restart policy, every subgraph its own key and database, and publishes only the gateway', () => {
    const text = readFileSync(composeFilePath, 'utf8');
    const blocks = text.split(/\n(?= {2}[a-z-]+:\n)/).filter((b) => /^ {2}[a-z-]+:\n {4}image:/.test(b));
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      const name = /^ {2}([a-z-]+):/.exec(block)![1]!;
      expect(block, name).toContain('    healthcheck:\n');
      expect(block, name).toContain('    restart: "unless-stopped"');
      expect(/ {4}ports:/.test(block), name).toBe(name === 'gateway');
      if (/dist\/subgraphs\//.test(block)) {
        expect(block, name).toContain(`      HUTONG_INTERNAL_SIGNING_KEY_FILE: "/run/secrets/key-${name}"`);
        expect(block, name).toContain(`      HUTONG_DATABASE_URL_FILE: "/run/secrets/db-${name}-url"`);
        expect(block, name).toContain(`      postgres-${name}:\n        condition: "service_healthy"`);
        // A subgraph is given its own key only, never another service's.
        expect(block.match(/- "key-[a-z-]+"/g), name).toEqual([`- "key-${name}"`]);
      }
    }
  });
});

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
  it('builds in one stage and runs the compiled build in another, as an unprivileged user, with node alone', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^RUN npm run build && npm prune --omit=dev/m);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).not.toMatch(/tsx/);
    expect(runtime).toMatch(/^CMD \["node", "--max-semi-space-size=32", "dist\/gateway\/src\/main\.js"\]$/m);
    // The same flags as the gateway's everywhere else (docker-compose, npm start, the bench).
    expect(runtime).toContain(`CMD ${JSON.stringify(['node', ...GATEWAY_NODE_FLAGS, 'dist/gateway/src/main.js']).replaceAll(',', ', ')}`);
  });
});

describe('the secrets docker-compose.yml names', () => {
  it('are made once: a key per service, a database password and a URL holding it, readable by their owner only', async () => {
    const keys = path.join(work, 'keys');
    await ensureComposeSecrets(keys);
    const password = readFileSync(path.join(keys, 'postgres', 'hebei.password'), 'utf8');
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(readFileSync(path.join(keys, 'postgres', 'hebei.url'), 'utf8')).toBe(`postgresql://hutong:${password}@postgres-hebei:5432/hutong`);
    expect(statSync(path.join(keys, 'postgres', 'hebei.password')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(keys, 'services', 'gateway.json')).mode & 0o777).toBe(0o600);
    await ensureComposeSecrets(keys);
    expect(readFileSync(path.join(keys, 'postgres', 'hebei.password'), 'utf8')).toBe(password);
  });
});

describe('a subgraph given its database URL in a secret file', () => {
  it('opens that PostgreSQL database, and refuses to start when the file holds no PostgreSQL URL', async () => {
    const database = await createPostgresDatabase(`hutong_test_urlfile_${process.pid}`);
    try {
      const urlFile = path.join(work, 'shandong.url');
      // With a password, as a deployment's secret has it (the local server trusts and ignores it).
      const withPassword = new URL(database.url);
      withPassword.password = 'not-for-logs-7Qx';
      writeFileSync(urlFile, `${withPassword}\n`, { mode: 0o600 });
      const keys = path.join(work, 'keys');
      const env = {
        ...process.env,
        HUTONG_PORT: '0',
        HUTONG_METRICS_PORT: '0',
        HUTONG_SEED_COUNT: '3',
        HUTONG_DATABASE_URL_FILE: urlFile,
        HUTONG_INTERNAL_JWKS_FILE: path.join(keys, 'internal-jwks.json'),
        HUTONG_INTERNAL_SIGNING_KEY_FILE: path.join(keys, 'services', 'shandong.json'),
        HUTONG_LOG_LEVEL: 'info',
      };
      const registry = spawnEntry('subgraphs/shandong/server.ts', env);
      try {
        for (let waited = 0; !registry.output().includes('subgraph shandong listening') && waited < 60_000; waited += 200) await new Promise((r) => setTimeout(r, 200));
        expect(registry.output()).toMatch(/database open database=postgres|"database":"postgres"/);
        expect(registry.output()).not.toContain('not-for-logs-7Qx');
      } finally {
        registry.child.kill('SIGTERM');
        expect(await registry.exited).toBe(0);
      }
      writeFileSync(urlFile, 'mysql://nowhere/x');
      const refused = spawnEntry('subgraphs/shandong/server.ts', env);
      expect(await refused.exited).toBe(2);
      expect(refused.output()).toContain(`Subgraph shandong cannot start: ${urlFile} must hold a postgres:// or postgresql:// URL`);
    } finally {
      await database.drop();
    }
  });
});
