import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../gateway/src/config.js';
import { parseEnv, subgraphEnvSchema } from '../../subgraphs/kit/config.js';

describe('gateway configuration', () => {
  it('has working defaults', () => {
    const c = loadGatewayConfig({}, '/srv/hutong');
    expect(c).toMatchObject({ port: 4000, host: '127.0.0.1', graphiql: true, subgraphUrls: {} });
    expect(c.supergraphPath).toBe(path.resolve('/srv/hutong', 'schema/supergraph.graphql'));
  });

  it('gives every registry a 1.5 s timeout, 5 failures to open its breaker, a 2 s pause and one retry; recognition 4 s', () => {
    const c = loadGatewayConfig({});
    expect(c.requestDeadlineMs).toBe(5000);
    expect(c.policyOf('shandong')).toEqual({ timeoutMs: 1500, breakerFailures: 5, halfOpenAfterMs: 2000, retries: 1 });
    expect(c.policyOf('catalogue')).toEqual({ timeoutMs: 1500, breakerFailures: 5, halfOpenAfterMs: 2000, retries: 1 });
    expect(c.policyOf('recognition')).toEqual({ timeoutMs: 4000, breakerFailures: 5, halfOpenAfterMs: 2000, retries: 1 });
  });

  it('takes a per-subgraph timeout, breaker and retries, and names a bad one', () => {
    const c = loadGatewayConfig({
      HUTONG_SUBGRAPH_TIMEOUT_MS: '3000',
      HUTONG_SUBGRAPH_TIMEOUT_MS_YANGTZE_DELTA: '800',
      HUTONG_BREAKER_FAILURES_YANGTZE_DELTA: '3',
      HUTONG_SUBGRAPH_RETRIES_RECOGNITION: '0',
      HUTONG_BREAKER_HALF_OPEN_AFTER_MS_SHANDONG: '10000',
    });
    expect(c.policyOf('yangtze-delta')).toEqual({ timeoutMs: 800, breakerFailures: 3, halfOpenAfterMs: 2000, retries: 1 });
    expect(c.policyOf('shandong')).toEqual({ timeoutMs: 3000, breakerFailures: 5, halfOpenAfterMs: 10000, retries: 1 });
    expect(c.policyOf('recognition')).toEqual({ timeoutMs: 4000, breakerFailures: 5, halfOpenAfterMs: 2000, retries: 0 });
    expect(() => loadGatewayConfig({ HUTONG_SUBGRAPH_TIMEOUT_MS_SHANDONG: '50', HUTONG_SUBGRAPH_RETRIES_CATALOGUE: 'two' })).toThrow(
      'Invalid configuration for the gateway:\n  - HUTONG_SUBGRAPH_TIMEOUT_MS_SHANDONG: must be a whole number from 100 to 300000\n  - HUTONG_SUBGRAPH_RETRIES_CATALOGUE: must be a whole number from 0 to 5',
    );
  });

  it('takes per-subgraph URL overrides by subgraph name', () => {
    const c = loadGatewayConfig({
      HUTONG_SUBGRAPH_URL_YANGTZE_DELTA: 'http://10.1.2.3:4002/graphql',
      HUTONG_SUBGRAPH_URL_CATALOGUE: 'https://catalogue.internal/graphql',
    });
    expect(c.subgraphUrls).toEqual({
      'yangtze-delta': 'http://10.1.2.3:4002/graphql',
      catalogue: 'https://catalogue.internal/graphql',
    });
  });

  it('names every bad variable in one clear message', () => {
    expect(() =>
      loadGatewayConfig({ HUTONG_GATEWAY_PORT: 'eighty', HUTONG_GRAPHIQL: 'maybe', HUTONG_SUBGRAPH_TIMEOUT_MS: '-5' }),
    ).toThrow(/HUTONG_GATEWAY_PORT: must be a port number[\s\S]*HUTONG_GRAPHIQL: must be true or false[\s\S]*HUTONG_SUBGRAPH_TIMEOUT_MS/);
  });

  it('runs one gateway process unless asked for workers, from 1 to 64, sharing the rate limit among them without Redis', () => {
    expect(loadGatewayConfig({})).toMatchObject({ workers: 1, limits: { rateLimitPerMinute: 600 } });
    expect(loadGatewayConfig({ HUTONG_GATEWAY_WORKERS: '64' }).workers).toBe(64);
    // Without Redis each worker counts alone and sees about its share of a client's requests.
    expect(loadGatewayConfig({ HUTONG_GATEWAY_WORKERS: '4', HUTONG_RATE_LIMIT_PER_MINUTE: '600' }).limits.rateLimitPerMinute).toBe(150);
    expect(loadGatewayConfig({ HUTONG_GATEWAY_WORKERS: '4', HUTONG_RATE_LIMIT_PER_MINUTE: '601' }).limits.rateLimitPerMinute).toBe(151);
    expect(loadGatewayConfig({ HUTONG_GATEWAY_WORKERS: '4', HUTONG_REDIS_URL: 'redis://127.0.0.1:6379' }).limits.rateLimitPerMinute).toBe(600);
    for (const bad of ['0', '65', 'two', '1.5']) {
      expect(() => loadGatewayConfig({ HUTONG_GATEWAY_WORKERS: bad }), bad).toThrow(/HUTONG_GATEWAY_WORKERS/);
    }
  });

  it('shares identical queries of one caller in flight at once unless told not to', () => {
    expect(loadGatewayConfig({}).shareIdenticalQueries).toBe(true);
    expect(loadGatewayConfig({ HUTONG_SHARE_IDENTICAL_QUERIES: 'off' }).shareIdenticalQueries).toBe(false);
    expect(loadGatewayConfig({ HUTONG_SHARE_IDENTICAL_QUERIES: 'false' }).shareIdenticalQueries).toBe(false);
    expect(() => loadGatewayConfig({ HUTONG_SHARE_IDENTICAL_QUERIES: 'sometimes' })).toThrow('HUTONG_SHARE_IDENTICAL_QUERIES: must be true or false');
  });

  it('opens GraphiQL and introspection in development and closes both in production unless asked', () => {
    expect(loadGatewayConfig({})).toMatchObject({ environment: 'development', graphiql: true, introspection: 'everyone' });
    expect(loadGatewayConfig({ HUTONG_ENVIRONMENT: 'production' })).toMatchObject({ graphiql: false, introspection: 'off' });
    expect(loadGatewayConfig({ HUTONG_ENVIRONMENT: 'production', HUTONG_INTROSPECTION: 'analysts', HUTONG_GRAPHIQL: 'true' })).toMatchObject({
      graphiql: true,
      introspection: 'analysts',
    });
    expect(() => loadGatewayConfig({ HUTONG_ENVIRONMENT: 'staging', HUTONG_INTROSPECTION: 'some' })).toThrow(
      /HUTONG_ENVIRONMENT: must be development or production[\s\S]*HUTONG_INTROSPECTION: must be everyone, analysts or off/,
    );
  });

  it('refuses a subgraph URL override that is not an http(s) URL', () => {
    expect(() => loadGatewayConfig({ HUTONG_SUBGRAPH_URL_SHANDONG: 'file:///etc/passwd' })).toThrow(
      /HUTONG_SUBGRAPH_URL_SHANDONG: must be an http\(s\) URL/,
    );
  });
});

describe('subgraph configuration', () => {
  it('refuses a database URL that is not PostgreSQL and a negative seed count', () => {
    expect(() =>
      parseEnv(subgraphEnvSchema(4004, 'shandong'), { HUTONG_DATABASE_URL: 'mysql://x', HUTONG_SEED_COUNT: '-1' }, 'subgraph shandong'),
    ).toThrow(/subgraph shandong:[\s\S]*HUTONG_DATABASE_URL: must be a postgres[\s\S]*HUTONG_SEED_COUNT/);
  });

  it('defaults to an embedded database under data/<subgraph>', () => {
    const c = parseEnv(subgraphEnvSchema(4004, 'shandong'), {}, 'subgraph shandong');
    expect(c).toMatchObject({ HUTONG_PORT: 4004, HUTONG_DATA_DIR: 'data/shandong', HUTONG_SEED_COUNT: 200 });
  });
});
