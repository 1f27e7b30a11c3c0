/**
 * The gateway's limits on one operation, at their boundaries: the limit itself is allowed, one
 * more is refused with GRAPHQL_VALIDATION_FAILED (or the parser's GRAPHQL_PARSE_FAILED for
 * tokens), and the operation-shape refusals say exactly what was wrong.
 */
import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationLimits, operationShape, rateLimiter, requestIdOnErrors, type LimitsConfig } from '../../gateway/src/limits.js';

const typeDefs = `#graphql
  type Node { id: ID!, name: String, child: Node }
  type Query { node: Node, nodes: [Node!]! }
  type Subscription { tick: Int }
`;
const resolvers = {
  Query: { node: () => ({ id: '1' }), nodes: () => [] },
  Node: { child: () => null },
};

const limits: LimitsConfig = { maxDepth: 4, maxAliases: 3, maxDirectives: 3, maxTokens: 200, maxCost: 60, rateLimitPerMinute: 100 };

async function serverWith(config: LimitsConfig = limits) {
  const l = operationLimits(config);
  const server = new ApolloServer({ typeDefs, resolvers, plugins: [...l.plugins, operationShape], validationRules: l.validationRules, parseOptions: l.parseOptions });
  await server.start();
  return server;
}

async function run(query: string, operationName?: string, config?: LimitsConfig) {
  const server = await serverWith(config);
  try {
    const response = await server.executeOperation({ query, operationName });
    if (response.body.kind !== 'single') throw new Error('unexpected incremental response');
    const errors = response.body.singleResult.errors ?? [];
    return { code: errors[0]?.extensions?.code ?? 'ok', message: errors[0]?.message ?? '', status: response.http.status ?? 200 };
  } finally {
    await server.stop();
  }
}

/** `{ node { child { child { … id } } } }` with `depth` levels of selection. */
const nested = (depth: number) => `{ node { ${'child { '.repeat(depth - 2)}id${' }'.repeat(depth - 2)} } }`;

describe('operation depth', () => {
  it('allows the maximum depth and refuses one level more', async () => {
    expect(nested(4)).toBe('{ node { child { child { id } } } }');
    expect((await run(nested(4))).code).toBe('ok');
    const refused = await run(nested(5));
    expect(refused.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(refused.message).toMatch(/depth/i);
  });
});

describe('aliases', () => {
  const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: node { id }`).join(' ')} }`;
  it('allows the maximum number of aliases and refuses one more', async () => {
    expect((await run(aliased(3))).code).toBe('ok');
    const refused = await run(aliased(4));
    expect(refused.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(refused.message).toMatch(/aliases/i);
  });
});

describe('directives', () => {
  // A directive may appear once per location, so they are spread over fields.
  const three = '{ node @include(if: true) { id @include(if: true) name @skip(if: false) } }';
  const four = '{ node @include(if: true) { id @include(if: true) name @skip(if: false) child @skip(if: false) { id } } }';
  it('allows the maximum number of directives and refuses one more', async () => {
    expect((await run(three)).code).toBe('ok');
    const refused = await run(four);
    expect(refused.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(refused.message).toBe('Syntax Error: Directives limit of 3 exceeded, found 4.');
  });
});

describe('tokens', () => {
  it('are counted by the parser: an operation over the limit is a parse failure, not a server error', async () => {
    const ids = (n: number) => `{ node { ${'id '.repeat(n)}} }`; // 6 tokens around the ids: { node { … } } and <EOF>
    expect((await run(ids(100), undefined, { ...limits, maxCost: 1_000_000 })).code).toBe('ok');
    const refused = await run(ids(300), undefined, { ...limits, maxCost: 1_000_000 });
    expect(refused.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(refused.message).toBe('Syntax Error: Document contains more that 200 tokens. Parsing aborted.');
    expect(refused.status).toBe(400);
  });
});

describe('field-name suggestions', () => {
  it('are not given: an unknown field does not reveal its near namesakes', async () => {
    const refused = await run('{ nod { id } }');
    expect(refused.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(refused.message).not.toMatch(/Did you mean/);
  });
});

describe('operation shape', () => {
  it('refuses an operation name the document does not define with 400 OPERATION_RESOLUTION_FAILURE, quoting at most 64 characters of it', async () => {
    const name = 'N'.repeat(100);
    const refused = await run('query A { node { id } }', name);
    expect(refused).toEqual({ code: 'OPERATION_RESOLUTION_FAILURE', message: `The document has no operation named "${'N'.repeat(64)}".`, status: 400 });
  });

  it('asks which operation to run when the document has several and none is named', async () => {
    const refused = await run('query A { node { id } } query B { nodes { id } }');
    expect(refused).toEqual({ code: 'OPERATION_RESOLUTION_FAILURE', message: 'The document has several operations; say which one to run with operationName.', status: 400 });
  });

  it('runs the named one of several operations', async () => {
    expect((await run('query A { node { id } } query B { nodes { id } }', 'B')).code).toBe('ok');
  });

  it('refuses subscriptions with 400 BAD_REQUEST', async () => {
    const refused = await run('subscription { tick }');
    expect(refused).toEqual({ code: 'BAD_REQUEST', message: 'Subscriptions are not supported; use a query or a mutation.', status: 400 });
  });
});

describe('the per-client rate limit', () => {
  const perMinute = 2;
  let server: import('../../subgraphs/kit/http.js').Listening;

  beforeAll(async () => {
    const express = (await import('express')).default;
    const { listen } = await import('../../subgraphs/kit/http.js');
    const app = express();
    // Stands in for the gateway's token check: the caller a token verified as, or a refused token.
    app.use((req, res, next) => {
      const who = req.header('x-test-caller');
      res.locals.requestId = 'req-1';
      res.locals.caller =
        who === 'invalid' ? Promise.reject(new Error('bad token')) : Promise.resolve(who ? JSON.parse(who) : { role: 'anonymous' });
      res.locals.caller.catch(() => {});
      next();
    });
    app.use(rateLimiter({ ...limits, rateLimitPerMinute: perMinute }));
    app.get('/', (_req, res) => {
      res.json({ ok: true });
    });
    server = await listen(app, 0);
  });
  afterAll(async () => {
    await server?.close();
  });

  const call = (caller?: object | 'invalid') =>
    fetch(server.url, { headers: caller ? { 'x-test-caller': caller === 'invalid' ? 'invalid' : JSON.stringify(caller) } : {} });

  it('lets a caller make its allowance, then answers 429 RATE_LIMITED with Retry-After and the request id', async () => {
    const hasty = { role: 'analyst', subject: 'hasty' };
    expect([(await call(hasty)).status, (await call(hasty)).status]).toEqual([200, 200]);
    const refused = await call(hasty);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    // The standard RateLimit headers tell clients their allowance; the legacy X-RateLimit ones are not sent.
    expect(refused.headers.get('ratelimit-policy')).toBe('2;w=60');
    expect(refused.headers.get('x-ratelimit-limit')).toBeNull();
    expect(await refused.json()).toEqual({
      errors: [{ message: 'Too many requests from this client; try again in a minute.', extensions: { code: 'RATE_LIMITED', requestId: 'req-1' } }],
    });
  });

  it('counts each verified caller on its own: another subject, or another role of the same subject, has its own allowance', async () => {
    expect((await call({ role: 'analyst', subject: 'calm' })).status).toBe(200);
    expect((await call({ role: 'admin', subject: 'hasty' })).status).toBe(200);
  });

  it('counts callers without a valid token, and anonymous ones, against their address: made-up tokens buy nothing', async () => {
    expect((await call('invalid')).status).toBe(200);
    expect((await call({ role: 'anonymous' })).status).toBe(200);
    expect((await call()).status).toBe(429);
  });
});

describe('request ids on errors', () => {
  it('are added to every error a client receives', async () => {
    const server = new ApolloServer<{ requestId?: string }>({ typeDefs, resolvers, plugins: [requestIdOnErrors] });
    await server.start();
    try {
      const response = await server.executeOperation({ query: '{ nod { id } }' }, { contextValue: { requestId: 'req-42' } });
      if (response.body.kind !== 'single') throw new Error('unexpected incremental response');
      expect(response.body.singleResult.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', requestId: 'req-42' });
      const ok = await server.executeOperation({ query: '{ node { id } }' }, { contextValue: { requestId: 'req-43' } });
      if (ok.body.kind !== 'single') throw new Error('unexpected incremental response');
      expect(ok.body.singleResult.errors).toBeUndefined();
    } finally {
      await server.stop();
    }
  });
});
