import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityToken } from '../support/identities.js';
import { startStack, type Stack } from '../support/stack.js';

const INTROSPECT = '{ __schema { queryType { name } } }';
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ seedCount: 5, gatewayEnv: { HUTONG_ENVIRONMENT: 'production', HUTONG_INTROSPECTION: 'analysts' } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('a production gateway with introspection for analysts', () => {
  it('serves no GraphiQL', async () => {
    const res = await fetch(`${stack.gatewayUrl}/graphiql`);
    expect(res.status).toBe(404);
  });

  it('lets analysts and auditors introspect the schema', async () => {
    for (const who of ['analyst', 'admin']) {
      const { status, body } = await stack.query(INTROSPECT, {}, { token: await identityToken(stack, who) });
      expect(status).toBe(200);
      expect(body.data.__schema.queryType.name).toBe('Query');
    }
  });

  it('refuses introspection to everyone else, fragments and __type included', async () => {
    const anonymous = await stack.query(INTROSPECT);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', fields: ['Query.__schema'] });
    const holder = await stack.query('query { ...F } fragment F on Query { __type(name: "Credential") { name } }', {}, { token: await identityToken(stack, 'holder') });
    expect(holder.status).toBe(403);
    expect(holder.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', fields: ['Query.__type'] });
  });

  it('still answers ordinary public operations and __typename', async () => {
    const { status, body } = await stack.query('{ __typename regions { code } }');
    expect(status).toBe(200);
    expect(body.data.regions).toHaveLength(4);
  });
});

describe('a gateway with introspection off', () => {
  let off: Stack;
  beforeAll(async () => {
    off = await startStack({ seedCount: 0, gatewayEnv: { HUTONG_INTROSPECTION: 'off' } });
  });
  afterAll(async () => {
    await off?.stop();
  });

  it('refuses introspection even to an admin, with a clear error', async () => {
    const token = await identityToken(off, 'admin');
    // A validation error: 200 with application/json (what stack.query asks for), 400 with graphql-response+json.
    const { status, body } = await off.query(INTROSPECT, {}, { token });
    expect(status).toBe(200);
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors[0].message).toMatch(/introspection/i);
    const strict = await fetch(`${off.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: INTROSPECT }),
    });
    expect(strict.status).toBe(400);
    expect(((await strict.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
