import path from 'node:path';
import { z } from 'zod';
import { metricsEnv, metricsPortFor, parseEnv, port, redisUrl, tracingEnv } from '../../subgraphs/kit/config.js';
import { gatewayDefaultPort, recognitionSubgraph } from '../../subgraphs/kit/reference.js';
import type { SubgraphPolicy } from './resilience.js';
import type { LimitsConfig } from './limits.js';

const SUBGRAPH_URL_PREFIX = 'HUTONG_SUBGRAPH_URL_';

const milliseconds = (fallback: number) => z.coerce.number({ message: 'must be a number of milliseconds' }).int().min(100).max(300_000).default(fallback);

/** Settings that one subgraph may override with `<VARIABLE>_<SUBGRAPH>`, e.g. `HUTONG_SUBGRAPH_TIMEOUT_MS_SHANDONG`. */
const policyVariables = {
  timeoutMs: ['HUTONG_SUBGRAPH_TIMEOUT_MS', 100, 300_000],
  breakerFailures: ['HUTONG_BREAKER_FAILURES', 1, 1000],
  halfOpenAfterMs: ['HUTONG_BREAKER_HALF_OPEN_AFTER_MS', 100, 300_000],
  retries: ['HUTONG_SUBGRAPH_RETRIES', 0, 5],
} as const satisfies Record<keyof SubgraphPolicy, readonly [string, number, number]>;

/** Recognition waits for a registry itself (its own 2 s deadline) before it answers. */
const defaultPolicyOverrides: Record<string, Partial<SubgraphPolicy>> = { [recognitionSubgraph.name]: { timeoutMs: 4000 } };

/** Who may introspect the schema: everyone, analysts and admins only, or no one. */
export type IntrospectionMode = 'everyone' | 'analysts' | 'off';

const schema = z.object({
  HUTONG_GATEWAY_PORT: port(gatewayDefaultPort),
  HUTONG_GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  /** Processes serving the gateway's port (node:cluster); 1: this process alone. */
  HUTONG_GATEWAY_WORKERS: z.coerce.number({ message: 'must be a whole number' }).int().min(1).max(64).default(1),
  ...metricsEnv,
  ...tracingEnv,
  HUTONG_SUPERGRAPH_PATH: z.string().min(1).default('schema/supergraph.graphql'),
  HUTONG_ENVIRONMENT: z.enum(['development', 'production'], { message: 'must be development or production' }).default('development'),
  HUTONG_GRAPHIQL: z
    .enum(['true', 'false', '1', '0', 'on', 'off'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'on')
    .optional(),
  HUTONG_DASHBOARD: z
    .enum(['true', 'false', '1', '0', 'on', 'off'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'on')
    .default(true),
  /** Development only: the local development client key, to sign the development identities GraphiQL and the dashboard offer. */
  HUTONG_DEV_CLIENT_SIGNING_KEY_FILE: z.string().min(1).optional(),
  HUTONG_INTROSPECTION: z
    .enum(['everyone', 'analysts', 'off', 'true', 'false'], { message: 'must be everyone, analysts or off' })
    .transform((v): IntrospectionMode => (v === 'true' ? 'everyone' : v === 'false' ? 'off' : v))
    .optional(),
  HUTONG_SUBGRAPH_TIMEOUT_MS: milliseconds(1500),
  HUTONG_REQUEST_DEADLINE_MS: milliseconds(5000),
  HUTONG_BREAKER_FAILURES: z.coerce.number({ message: 'must be a whole number' }).int().min(1).max(1000).default(5),
  HUTONG_BREAKER_HALF_OPEN_AFTER_MS: milliseconds(2000),
  HUTONG_SUBGRAPH_RETRIES: z.coerce.number({ message: 'must be a whole number' }).int().min(0).max(5).default(1),
  HUTONG_SUBGRAPH_CONNECTIONS: z.coerce.number({ message: 'must be a whole number' }).int().min(1).max(1024).default(32),
  /** Identical queries of one caller in flight at once go to the subgraph once (`shared-calls.ts`). */
  HUTONG_SHARE_IDENTICAL_QUERIES: z
    .enum(['true', 'false', '1', '0', 'on', 'off'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'on')
    .default(true),
  HUTONG_CLIENT_JWKS_FILE: z.string().min(1).default('data/keys/client-jwks.json'),
  HUTONG_CLIENT_JWKS_URL: z.string().url('must be a URL').optional(),
  HUTONG_CLIENT_TOKEN_ISSUER: z.string().min(1).default('hutong-dev-identity'),
  HUTONG_CLIENT_TOKEN_AUDIENCE: z.string().min(1).default('hutong'),
  HUTONG_INTERNAL_SIGNING_KEY_FILE: z.string().min(1).default('data/keys/services/gateway.json'),
  HUTONG_MAX_DEPTH: z.coerce.number().int().min(2).max(100).default(16),
  HUTONG_MAX_ALIASES: z.coerce.number().int().min(0).max(1000).default(15),
  HUTONG_MAX_DIRECTIVES: z.coerce.number().int().min(0).max(1000).default(20),
  HUTONG_MAX_TOKENS: z.coerce.number().int().min(50).max(100_000).default(2000),
  HUTONG_MAX_COST: z.coerce.number().int().min(10).max(10_000_000).default(50_000),
  HUTONG_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  HUTONG_MAX_BODY_BYTES: z.coerce.number({ message: 'must be a whole number' }).int().min(1024).max(50_000_000).default(1_000_000),
  /** Redis shared by gateway replicas (the rate limit's counters); unset: each process counts alone. */
  HUTONG_REDIS_URL: redisUrl.optional(),
  /**
   * Which proxies in front of the gateway to believe about the client's address
   * (X-Forwarded-For): `false` (none, the default), a number of hops, or addresses/CIDRs
   * separated by commas (e.g. `10.0.0.0/8`). Without it every client behind a load balancer
   * would share one address's rate limit.
   */
  HUTONG_TRUST_PROXY: z
    .string()
    .regex(/^(false|true|\d{1,2}|[0-9a-fA-F.:/]+(,\s*[0-9a-fA-F.:/]+)*|loopback|uniquelocal|linklocal)$/, 'must be false, a number of hops, or addresses/CIDRs separated by commas')
    .default('false'),
});

export interface GatewayConfig {
  port: number;
  /** Worker processes sharing the port; more than 1: this process supervises them (`workers.ts`). */
  workers: number;
  host: string;
  /** `/metrics` listener: not the client port. */
  metrics: { port: number; host: string };
  /** OTLP/HTTP endpoint for spans; unset: spans are not exported. */
  otlpTracesUrl?: string;
  /** Absolute path of the composed supergraph the gateway serves. */
  supergraphPath: string;
  /** Per-subgraph URL overrides by subgraph name (`HUTONG_SUBGRAPH_URL_YANGTZE_DELTA` → `yangtze-delta`). */
  subgraphUrls: Record<string, string>;
  environment: 'development' | 'production';
  graphiql: boolean;
  /** The analysts' dashboard at /dashboard (it holds no data; the figures need an analyst's token). */
  dashboard: boolean;
  /** Development only: signs the development identities offered at /dev-identities. */
  devClientSigningKeyFile?: string;
  introspection: IntrospectionMode;
  /** Timeout, breaker and retries of one subgraph: the defaults with its own overrides. */
  policyOf: (subgraph: string) => SubgraphPolicy;
  /** How long one client request may take, all its subgraph calls included. */
  requestDeadlineMs: number;
  /** Keep-alive connections per subgraph origin. */
  subgraphConnections: number;
  /** Identical queries of one caller in flight at once are sent to the subgraph once. */
  shareIdenticalQueries: boolean;
  maxBodyBytes: number;
  limits: LimitsConfig;
  clientAuth: { jwksFile: string; jwksUrl?: string; issuer: string; audience: string };
  /** Redis for what replicas share (rate-limit counters); absent: per process. */
  redisUrl?: string;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For names the client. */
  trustProxy: boolean | number | string;
  /** The gateway's own private key: signs the envelope every subgraph request carries. */
  internalSigningKeyFile: string;
}

/** Reads and validates the gateway's environment once; the error names every bad variable. */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): GatewayConfig {
  const c = parseEnv(schema, env, 'the gateway');
  const subgraphUrls: Record<string, string> = {};
  const overrides: Record<string, Partial<SubgraphPolicy>> = {};
  const bad: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (key.startsWith(SUBGRAPH_URL_PREFIX)) {
      if (!/^https?:\/\/[^\s]+$/.test(value)) bad.push(`  - ${key}: must be an http(s) URL`);
      else subgraphUrls[subgraphNameOf(key.slice(SUBGRAPH_URL_PREFIX.length))] = value;
      continue;
    }
    for (const [field, [variable, min, max]] of Object.entries(policyVariables)) {
      if (!key.startsWith(`${variable}_`)) continue;
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) bad.push(`  - ${key}: must be a whole number from ${min} to ${max}`);
      else (overrides[subgraphNameOf(key.slice(variable.length + 1))] ??= {})[field as keyof SubgraphPolicy] = n;
    }
  }
  // Handing out signed tokens for every role is a development convenience, never a production one.
  if (c.HUTONG_DEV_CLIENT_SIGNING_KEY_FILE && c.HUTONG_ENVIRONMENT === 'production') {
    bad.push('  - HUTONG_DEV_CLIENT_SIGNING_KEY_FILE: development identities are refused when HUTONG_ENVIRONMENT is production');
  }
  if (bad.length > 0) throw new Error(`Invalid configuration for the gateway:\n${bad.join('\n')}`);
  return {
    port: c.HUTONG_GATEWAY_PORT,
    workers: c.HUTONG_GATEWAY_WORKERS,
    host: c.HUTONG_GATEWAY_HOST,
    metrics: { port: metricsPortFor(c.HUTONG_GATEWAY_PORT, c.HUTONG_METRICS_PORT), host: c.HUTONG_METRICS_HOST },
    otlpTracesUrl: c.HUTONG_OTLP_TRACES_URL,
    supergraphPath: path.resolve(cwd, c.HUTONG_SUPERGRAPH_PATH),
    subgraphUrls,
    environment: c.HUTONG_ENVIRONMENT,
    // Development: GraphiQL and introspection for everyone. Production: neither, unless asked.
    graphiql: c.HUTONG_GRAPHIQL ?? c.HUTONG_ENVIRONMENT === 'development',
    dashboard: c.HUTONG_DASHBOARD,
    devClientSigningKeyFile: c.HUTONG_DEV_CLIENT_SIGNING_KEY_FILE ? path.resolve(cwd, c.HUTONG_DEV_CLIENT_SIGNING_KEY_FILE) : undefined,
    introspection: c.HUTONG_INTROSPECTION ?? (c.HUTONG_ENVIRONMENT === 'development' ? 'everyone' : 'off'),
    policyOf: (subgraph) => ({
      timeoutMs: c.HUTONG_SUBGRAPH_TIMEOUT_MS,
      breakerFailures: c.HUTONG_BREAKER_FAILURES,
      halfOpenAfterMs: c.HUTONG_BREAKER_HALF_OPEN_AFTER_MS,
      retries: c.HUTONG_SUBGRAPH_RETRIES,
      ...defaultPolicyOverrides[subgraph],
      ...overrides[subgraph],
    }),
    requestDeadlineMs: c.HUTONG_REQUEST_DEADLINE_MS,
    subgraphConnections: c.HUTONG_SUBGRAPH_CONNECTIONS,
    shareIdenticalQueries: c.HUTONG_SHARE_IDENTICAL_QUERIES,
    maxBodyBytes: c.HUTONG_MAX_BODY_BYTES,
    limits: {
      maxDepth: c.HUTONG_MAX_DEPTH,
      maxAliases: c.HUTONG_MAX_ALIASES,
      maxDirectives: c.HUTONG_MAX_DIRECTIVES,
      maxTokens: c.HUTONG_MAX_TOKENS,
      maxCost: c.HUTONG_MAX_COST,
      // Workers without Redis count alone, each seeing about its share of a client's requests.
      rateLimitPerMinute: c.HUTONG_REDIS_URL ? c.HUTONG_RATE_LIMIT_PER_MINUTE : Math.ceil(c.HUTONG_RATE_LIMIT_PER_MINUTE / c.HUTONG_GATEWAY_WORKERS),
    },
    clientAuth: {
      jwksFile: path.resolve(cwd, c.HUTONG_CLIENT_JWKS_FILE),
      jwksUrl: c.HUTONG_CLIENT_JWKS_URL,
      issuer: c.HUTONG_CLIENT_TOKEN_ISSUER,
      audience: c.HUTONG_CLIENT_TOKEN_AUDIENCE,
    },
    internalSigningKeyFile: path.resolve(cwd, c.HUTONG_INTERNAL_SIGNING_KEY_FILE),
    redisUrl: c.HUTONG_REDIS_URL,
    trustProxy: c.HUTONG_TRUST_PROXY === 'false' ? false : c.HUTONG_TRUST_PROXY === 'true' ? true : /^\d+$/.test(c.HUTONG_TRUST_PROXY) ? Number(c.HUTONG_TRUST_PROXY) : c.HUTONG_TRUST_PROXY,
  };
}

const subgraphNameOf = (suffix: string) => suffix.toLowerCase().replaceAll('_', '-');

/** The env variable that overrides one subgraph's URL. */
export const subgraphUrlVariable = (name: string) => `${SUBGRAPH_URL_PREFIX}${name.toUpperCase().replaceAll('-', '_')}`;
