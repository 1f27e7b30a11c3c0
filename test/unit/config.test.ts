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
