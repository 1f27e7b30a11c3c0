/**
 * `npm run docker-compose`: writes `docker-compose.yml` from the regions file — a PostgreSQL per
 * subgraph, Redis, every subgraph and the gateway from the image the `Dockerfile` builds, with
 * health checks, restart policies and each service's own key as a secret. `-- --check` fails
 * when the committed file is not what the regions file gives (the tests run it); `-- --secrets`
 * makes the secret files it names under data/keys.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { subgraphUrlVariable } from '../gateway/src/config.js';
import { GATEWAY_NODE_FLAGS } from '../gateway/src/node-flags.js';
import { registryUrlVariable } from '../subgraphs/kit/config.js';
import { ensureDevKeys } from '../subgraphs/kit/auth/keys.js';
import { catalogueSubgraph, gatewayDefaultPort, recognitionSubgraph, regions, serviceNames } from '../subgraphs/kit/reference.js';

export const composeFilePath = path.resolve(import.meta.dirname, '..', 'docker-compose.yml');

type Yaml = string | number | boolean | Yaml[] | { [key: string]: Yaml };

/** YAML for plain data: maps and lists in block style, every string double-quoted (JSON's quoting is YAML's). */
export function toYaml(value: Yaml, indent = 0): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    return value.map((v) => (typeof v === 'object' ? `${pad}-\n${toYaml(v, indent + 2)}` : `${pad}- ${JSON.stringify(v)}`)).join('\n');
  }
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => {
        if (typeof v !== 'object') return `${pad}${k}: ${JSON.stringify(v)}`;
        if (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0) return `${pad}${k}: ${Array.isArray(v) ? '[]' : '{}'}`;
        return `${pad}${k}:\n${toYaml(v, indent + 2)}`;
      })
      .join('\n');
  }
  return `${pad}${JSON.stringify(value)}`;
}

interface Subgraph {
  name: string;
  port: number;
  /** Registries each service calls (the catalogue's feeds, recognition's service API). */
  callsRegistries: boolean;
}

const IMAGE = 'hutong:local';
const KEYS = './data/keys';

/** Healthy when `/ready` answers 200; node is in the image, curl is not. */
const readyCheck = (port: number) => ({
  test: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${port}/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
  interval: '10s',
  timeout: '3s',
  retries: 6,
  start_period: '60s',
});

export function composeDocument(): Yaml {
  const subgraphs: Subgraph[] = [
    ...regions.map((r) => ({ name: r.code, port: r.defaultPort, callsRegistries: false })),
    { name: catalogueSubgraph.name, port: catalogueSubgraph.defaultPort, callsRegistries: true },
    { name: recognitionSubgraph.name, port: recognitionSubgraph.defaultPort, callsRegistries: true },
  ];
  const services: Record<string, Yaml> = {
    redis: {
      image: 'redis:7.4-alpine',
      command: ['redis-server', '--appendonly', 'yes'],
      volumes: ['redis:/data'],
      networks: ['internal'],
      healthcheck: { test: ['CMD', 'redis-cli', 'ping'], interval: '10s', timeout: '3s', retries: 5 },
      restart: 'unless-stopped',
    },
  };
  for (const s of subgraphs) {
    services[`postgres-${s.name}`] = {
      image: 'postgres:16-alpine',
      environment: {
        POSTGRES_DB: 'hutong',
        POSTGRES_USER: 'hutong',
        POSTGRES_PASSWORD_FILE: `/run/secrets/db-${s.name}-password`,
      },
      secrets: [`db-${s.name}-password`],
      volumes: [`postgres-${s.name}:/var/lib/postgresql/data`],
      networks: ['internal'],
      healthcheck: { test: ['CMD', 'pg_isready', '-U', 'hutong', '-d', 'hutong'], interval: '10s', timeout: '3s', retries: 5 },
      restart: 'unless-stopped',
    };
  }
  for (const s of subgraphs) {
    services[s.name] = {
      image: IMAGE,
      command: ['node', `dist/subgraphs/${s.name}/server.js`],
      environment: {
        HUTONG_HOST: '0.0.0.0',
        HUTONG_PORT: String(s.port),
        HUTONG_METRICS_HOST: '0.0.0.0',
        // The URL, password included, is a secret file: never in the environment or this file.
        HUTONG_DATABASE_URL_FILE: `/run/secrets/db-${s.name}-url`,
        HUTONG_INTERNAL_JWKS_FILE: '/run/secrets/internal-jwks',
        HUTONG_INTERNAL_SIGNING_KEY_FILE: `/run/secrets/key-${s.name}`,
        // Generated development data; 0 for a deployment that holds real records.
        HUTONG_SEED_COUNT: '200',
        // Replicas share used envelope ids here.
        HUTONG_REDIS_URL: 'redis://redis:6379',
        ...(s.callsRegistries ? Object.fromEntries(regions.map((r) => [registryUrlVariable(r.code), `http://${r.code}:${r.defaultPort}`])) : {}),
        // Counter-assisted use finds a holder's credential in the catalogue's national index.
        ...(s.name === recognitionSubgraph.name ? { HUTONG_CATALOGUE_URL: `http://${catalogueSubgraph.name}:${catalogueSubgraph.defaultPort}` } : {}),
      },
      secrets: ['internal-jwks', `key-${s.name}`, `db-${s.name}-url`],
      networks: ['internal'],
      depends_on: {
        [`postgres-${s.name}`]: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        ...(s.callsRegistries ? Object.fromEntries(regions.map((r) => [r.code, { condition: 'service_healthy' }])) : {}),
        ...(s.name === recognitionSubgraph.name ? { [catalogueSubgraph.name]: { condition: 'service_healthy' } } : {}),
      },
      healthcheck: readyCheck(s.port),
      restart: 'unless-stopped',
    };
  }
  services.gateway = {
    image: IMAGE,
    build: { context: '.' },
    command: ['node', ...GATEWAY_NODE_FLAGS, 'dist/gateway/src/main.js'],
    ports: [`${gatewayDefaultPort}:${gatewayDefaultPort}`],
    environment: {
      HUTONG_ENVIRONMENT: 'production',
      HUTONG_GATEWAY_HOST: '0.0.0.0',
      HUTONG_GATEWAY_PORT: String(gatewayDefaultPort),
      HUTONG_METRICS_HOST: '0.0.0.0',
      HUTONG_SUPERGRAPH_PATH: 'dist/schema/supergraph.graphql',
      HUTONG_CLIENT_JWKS_FILE: '/run/secrets/client-jwks',
      HUTONG_INTERNAL_SIGNING_KEY_FILE: '/run/secrets/key-gateway',
      // Gateway replicas share their rate-limit counters here.
      HUTONG_REDIS_URL: 'redis://redis:6379',
      ...Object.fromEntries(subgraphs.map((s) => [subgraphUrlVariable(s.name), `http://${s.name}:${s.port}/graphql`])),
    },
    secrets: ['client-jwks', 'key-gateway'],
    networks: ['internal', 'public'],
    depends_on: Object.fromEntries([...subgraphs.map((s) => [s.name, { condition: 'service_healthy' }]), ['redis', { condition: 'service_healthy' }]]),
    healthcheck: readyCheck(gatewayDefaultPort),
    restart: 'unless-stopped',
  };
  return {
    services,
    networks: { internal: { internal: true }, public: {} },
    volumes: Object.fromEntries([...subgraphs.map((s) => [`postgres-${s.name}`, {}]), ['redis', {}]]),
    secrets: {
      'internal-jwks': { file: `${KEYS}/internal-jwks.json` },
      'client-jwks': { file: `${KEYS}/client-jwks.json` },
      ...Object.fromEntries(['gateway', ...subgraphs.map((s) => s.name)].map((name) => [`key-${name}`, { file: `${KEYS}/services/${name}.json` }])),
      ...Object.fromEntries(
        subgraphs.flatMap((s) => [
          [`db-${s.name}-password`, { file: `${KEYS}/postgres/${s.name}.password` }],
          [`db-${s.name}-url`, { file: `${KEYS}/postgres/${s.name}.url` }],
        ]),
      ),
    },
  };
}

/** The subgraphs that get a database, in the compose file's order. */
export const composeSubgraphNames = () => [...regions.map((r) => r.code), catalogueSubgraph.name, recognitionSubgraph.name];

/**
 * The files the compose file's secrets name: every service's key (as `npm start` makes them) and,
 * per database, a random password and the URL that holds it. Existing files are kept.
 */
export async function ensureComposeSecrets(keysFolder: string): Promise<void> {
  await ensureDevKeys(keysFolder, serviceNames());
  mkdirSync(path.join(keysFolder, 'postgres'), { recursive: true, mode: 0o700 });
  for (const name of composeSubgraphNames()) {
    const passwordFile = path.join(keysFolder, 'postgres', `${name}.password`);
    if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
    const password = readFileSync(passwordFile, 'utf8').trim();
    writeFileSync(path.join(keysFolder, 'postgres', `${name}.url`), `postgresql://hutong:${encodeURIComponent(password)}@postgres-${name}:5432/hutong`, { mode: 0o600 });
  }
}

export function composeFileText(): string {
  return `# Written by \`npm run docker-compose\` from subgraphs/regions.json: edit the regions file and run it again.\n${toYaml(composeDocument())}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const text = composeFileText();
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(composeFilePath, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (committed !== text) {
      console.error('docker-compose.yml is stale: run `npm run docker-compose` and commit the result.');
      process.exit(1);
    }
    console.log('docker-compose.yml is up to date.');
  } else if (process.argv.includes('--secrets')) {
    const folder = path.resolve(import.meta.dirname, '..', 'data', 'keys');
    await ensureComposeSecrets(folder);
    console.log(`Secrets for docker-compose are in ${path.relative(process.cwd(), folder)} (keys, database passwords and URLs; existing ones kept).`);
  } else {
    writeFileSync(composeFilePath, text);
    console.log('Wrote docker-compose.yml.');
  }
}
