import { z } from 'zod';
import { regions } from './reference.js';
import { retentionEnv } from './retention.js';
import { figuresEnv } from './figures.js';

/**
 * Parses environment variables once at start-up. On failure the message names every bad
 * variable and what it expects, so an operator can fix them all in one go.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>, service: string): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  - ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration for ${service}:\n${lines.join('\n')}`);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const port = (fallback: number) =>
  z.coerce.number({ message: 'must be a port number' }).int().min(0, 'must be 0–65535').max(65535, 'must be 0–65535').default(fallback);

/** A Redis URL, for what replicas share. */
export const redisUrl = z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL');

export const httpUrl = z
  .string()
  .url('must be an http(s) URL')
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');

/** `HUTONG_REGISTRY_URL_YANGTZE_DELTA` etc.: where services reach each registry's internal API. */
export const registryUrlVariable = (regionCode: string) => `HUTONG_REGISTRY_URL_${regionCode.toUpperCase().replaceAll('-', '_')}`;

export const registryUrlsSchema = Object.fromEntries(
  regions.map((r) => [registryUrlVariable(r.code), httpUrl.default(r.url)]),
);

/** Registry base URLs by region code, from a parsed configuration. */
export function registryUrls(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(regions.map((r) => [r.code, String(config[registryUrlVariable(r.code)]).replace(/\/+$/, '')]));
}

/**
 * Where a process serves `/metrics`: its own port (default: the service's port + 100, or any free
 * port when the service's is 0), on an address clients do not reach.
 */
export const metricsEnv = {
  HUTONG_METRICS_PORT: z.coerce.number({ message: 'must be a port number' }).int().min(0, 'must be a port number').max(65535, 'must be a port number').optional(),
  HUTONG_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
};

/** Where spans are sent (OTLP over HTTP, e.g. `http://collector:4318/v1/traces`); unset: nowhere. */
export const tracingEnv = {
  HUTONG_OTLP_TRACES_URL: z.string().url('must be a URL').optional(),
};

/** The metrics port of a service listening on `servicePort`, unless one is configured. */
export const metricsPortFor = (servicePort: number, configured?: number) => configured ?? (servicePort === 0 ? 0 : servicePort + 100);

/** How often a replica tries to take the lead of a once-per-cluster task, or checks it still holds it. */
export const leaderEnv = {
  HUTONG_LEADER_CHECK_MS: z.coerce.number({ message: 'must be a number of milliseconds' }).int().min(50).max(60_000).default(2000),
};

/** Settings every subgraph process reads. */
export const subgraphEnvSchema = (defaultPort: number, name: string) =>
  z.object({
    HUTONG_PORT: port(defaultPort),
    HUTONG_HOST: z.string().min(1).default('127.0.0.1'),
    ...metricsEnv,
    ...tracingEnv,
    /** PostgreSQL URL; when set the subgraph uses PostgreSQL instead of its embedded PGlite. */
    HUTONG_DATABASE_URL: z
      .string()
      .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must be a postgres:// or postgresql:// URL')
      .optional(),
    /** A file holding the PostgreSQL URL (a secret, e.g. `/run/secrets/…`): the password stays out of the environment. */
    HUTONG_DATABASE_URL_FILE: z.string().min(1).optional(),
    ...retentionEnv,
    ...figuresEnv,
    /** Redis shared by the subgraph's replicas (used envelope ids); unset: each process keeps its own. */
    HUTONG_REDIS_URL: redisUrl.optional(),
    /** Folder of the embedded PGlite database. */
    HUTONG_DATA_DIR: z.string().min(1).default(`data/${name}`),
    /** Every service's public key, each bound to its service: whose envelopes this subgraph can check. */
    HUTONG_INTERNAL_JWKS_FILE: z.string().min(1).default('data/keys/internal-jwks.json'),
    /** This subgraph's own private key (its calls to other subgraphs, presentation codes); no one else's. */
    HUTONG_INTERNAL_SIGNING_KEY_FILE: z.string().min(1).default(`data/keys/services/${name}.json`),
    /** How many seed credentials a registry should hold (0 = seed nothing). */
    HUTONG_SEED_COUNT: z.coerce.number({ message: 'must be a whole number' }).int().min(0).max(10_000_000).default(200),
  });
export type SubgraphEnv = z.infer<ReturnType<typeof subgraphEnvSchema>>;
