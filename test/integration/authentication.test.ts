import { readFileSync } from 'node:fs';
import { SignJWT, base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous } from '../../subgraphs/kit/auth/caller.js';
import { ENVELOPE_HEADER, signEnvelope } from '../../subgraphs/kit/auth/envelope.js';
import { KEY_FILE_CHECK_MS } from '../../subgraphs/kit/auth/key-files.js';
import { generateSigningKeyPair, loadSigningKey, retireKey, rotateServiceKey, signingKeyFromJwk } from '../../subgraphs/kit/auth/keys.js';
import { startStack, type Stack } from '../support/stack.js';

const QUERY = JSON.stringify({ query: '{ regions { code } }' });

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ seedCount: 10 });
});
afterAll(async () => {
  await stack?.stop();
});

async function callSubgraph(name: string, headers: Record<string, string>, body = QUERY, path = '/graphql') {
  const url = stack.subgraphs.get(name)!.url;
  const res = await fetch(`${url}${path}`, {
    method: path === '/graphql' ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json', ...headers },
    body: path === '/graphql' ? body : undefined,
  });
  return { status: res.status, body: (await res.json()) as { errors?: { extensions: { code: string } }[]; data?: unknown } };
}

const envelopeFor = async (audience: string, body: string, path = '/graphql', method = 'POST') =>
  signEnvelope(await stack.serviceKey('gateway'), 'gateway', anonymous, { audience, method, path, body });

describe('subgraphs trust only signed requests', () => {
  it('refuses a direct call without the gateway’s envelope', async () => {
    const { status, body } = await callSubgraph('catalogue', {});
    expect(status).toBe(401);
    expect(body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect(body.data).toBeUndefined();
  });

  it('accepts a correctly signed envelope (the control case)', async () => {
    const { status, body } = await callSubgraph('catalogue', { [ENVELOPE_HEADER]: await envelopeFor('catalogue', QUERY) });
    expect(status).toBe(200);
    expect(body.data).toBeDefined();
  });

  it('marks its answers and the gateway’s as never to be stored by a cache (cache-control: no-store)', async () => {
    const subgraph = await fetch(`${stack.subgraphs.get('catalogue')!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [ENVELOPE_HEADER]: await envelopeFor('catalogue', QUERY) },
      body: QUERY,
    });
    expect([subgraph.status, subgraph.headers.get('cache-control')]).toEqual([200, 'no-store']);
    // Never revalidated either, so no entity tag is hashed for it.
    expect(subgraph.headers.get('etag')).toBeNull();
    const gateway = await fetch(`${stack.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.token({ sub: 'holder-1', role: 'holder', holder_code: '11010519491231002X' })}` },
      body: QUERY,
    });
    expect([gateway.status, gateway.headers.get('cache-control')]).toEqual([200, 'no-store']);
  });

  it('refuses an envelope made for another subgraph', async () => {
    const { status } = await callSubgraph('catalogue', { [ENVELOPE_HEADER]: await envelopeFor('shandong', QUERY) });
    expect(status).toBe(401);
  });

  it('refuses an envelope replayed with a different body', async () => {
    const envelope = await envelopeFor('catalogue', QUERY);
    const { status } = await callSubgraph('catalogue', { [ENVELOPE_HEADER]: envelope }, JSON.stringify({ query: '{ credentialTypes { code } }' }));
    expect(status).toBe(401);
  });

  it('refuses a stale envelope', async () => {
    const key = await stack.serviceKey('gateway');
    const stale = await new SignJWT({ caller: { role: 'anonymous' }, htm: 'POST', htu: '/graphql', bh: base64url.encode(new Uint8Array(32)) })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'hutong-envelope+jwt' })
      .setIssuer('gateway')
      .setAudience('catalogue')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3500)
      .sign(key.key);
    const { status } = await callSubgraph('catalogue', { [ENVELOPE_HEADER]: stale });
    expect(status).toBe(401);
  });

  it('refuses an envelope signed with a key it does not know', async () => {
    const { privateJwk } = await generateSigningKeyPair(JSON.parse(readFileSync(stack.keyFiles.internalJwks, 'utf8')).keys[0].kid);
    const forged = await signEnvelope(await signingKeyFromJwk(privateJwk), 'gateway', { role: 'admin' }, {
      audience: 'catalogue', method: 'POST', path: '/graphql', body: QUERY,
    });
    const { status } = await callSubgraph('catalogue', { [ENVELOPE_HEADER]: forged });
    expect(status).toBe(401);
  });

  it('keeps a registry’s catalogue feed for Hutong services, not gateway traffic', async () => {
    const path = '/catalogue-feed?after=0&limit=5';
    const { status } = await callSubgraph('shandong', { [ENVELOPE_HEADER]: await envelopeFor('shandong', '', path, 'GET') }, '', path);
    expect(status).toBe(403);
  });
});

describe('a subgraph’s /graphql answers the gateway as GraphQL over HTTP', () => {
  const signed = async (payload: unknown, name = 'catalogue') => {
    const body = JSON.stringify(payload);
    return callSubgraph(name, { [ENVELOPE_HEADER]: await envelopeFor(name, body) }, body);
  };
  const errorCount = async (code: string) => {
    const line = (await stack.metrics('catalogue')).split('\n').find((l) => l.startsWith(`hutong_graphql_errors_total{`) && l.includes(`code="${code}"`));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };

  it('runs the named operation of a document with its variables, the same again from its cache', async () => {
    const payload = {
      query: 'query Other { regions { name } } query Codes($named: Boolean!) { regions { code name @include(if: $named) } }',
      operationName: 'Codes',
      variables: { named: false },
    };
    const first = await signed(payload);
    const again = await signed(payload);
    expect(first.status).toBe(200);
    expect((first.body.data as { regions: unknown[] }).regions).toEqual([{ code: 'yangtze-delta' }, { code: 'chengdu-chongqing' }, { code: 'shandong' }, { code: 'hebei' }]);
    expect(first.body.errors).toBeUndefined();
    expect(again).toEqual(first);
  });

  it.each([
    ['a document that does not parse', 'GRAPHQL_PARSE_FAILED', { query: '{ regions { code }' }, /Syntax Error/],
    ['a field the schema does not have', 'GRAPHQL_VALIDATION_FAILED', { query: '{ regions { shoeSize } }' }, /Cannot query field "shoeSize"/],
    ['an operation name the document does not have', 'OPERATION_RESOLUTION_FAILURE', { query: 'query A { regions { code } }', operationName: 'B' }, /Unknown operation named "B"/],
    ['two operations and no name', 'OPERATION_RESOLUTION_FAILURE', { query: 'query A { regions { code } } query B { regions { name } }' }, /must name the operation/],
    ['a variable of the wrong type', 'BAD_USER_INPUT', { query: 'query($code: ID!) { holder(code: $code) { code } }', variables: { code: { not: 'an id' } } }, /\$code/],
    ['a missing variable', 'BAD_USER_INPUT', { query: 'query($code: ID!) { holder(code: $code) { code } }' }, /\$code/],
    ['variables that are not an object', 'BAD_REQUEST', { query: '{ regions { code } }', variables: [1] }, /`variables` must be an object/],
    ['an operation name that is not a string', 'BAD_REQUEST', { query: '{ regions { code } }', operationName: 7 }, /`operationName` must be a string/],
    ['no query', 'BAD_REQUEST', { variables: {} }, /operation in `query`/],
    ['a JSON array', 'BAD_REQUEST', [{ query: '{ regions { code } }' }], /operation in `query`/],
  ])('refuses %s with 400 %s, and counts it', async (_what, code, payload, message) => {
    const before = await errorCount(code);
    const { status, body } = await signed(payload);
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions.code).toBe(code);
    expect((body.errors![0] as unknown as { message: string }).message).toMatch(message);
    expect(await errorCount(code)).toBe(before + 1);
  });

  it('answers any other method than POST with 405 and Allow: POST', async () => {
    const res = await fetch(`${stack.subgraphs.get('catalogue')!.url}/graphql?query=%7B__typename%7D`, {
      headers: { [ENVELOPE_HEADER]: await envelopeFor('catalogue', '', '/graphql?query=%7B__typename%7D', 'GET') },
    });
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    expect([res.status, res.headers.get('allow'), body.errors[0]!.extensions.code]).toEqual([405, 'POST', 'BAD_REQUEST']);
  });
});

describe('each service speaks only for itself, with its own key', () => {
  const signedBy = async (service: string, as: string, audience: string, path: string, method: 'GET' | 'POST', body = '') =>
    signEnvelope(await stack.serviceKey(service), as, { role: 'admin' }, { audience, method, path, body });
  const liveRecordPath = '/internal/credentials/1.2.156.3005.2.0';
  const feedPath = '/catalogue-feed?after=0&limit=5';

  it('refuses a registry’s key passing as the gateway with 401 UNAUTHENTICATED', async () => {
    const { status, body } = await callSubgraph('catalogue', { [ENVELOPE_HEADER]: await signedBy('shandong', 'gateway', 'catalogue', '/graphql', 'POST', QUERY) });
    expect(status).toBe(401);
    expect(body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect(body.data).toBeUndefined();
  });

  it('refuses a registry speaking as itself on another subgraph’s /graphql with 403 FORBIDDEN: client callers come from the gateway only', async () => {
    const { status, body } = await callSubgraph('yangtze-delta', { [ENVELOPE_HEADER]: await signedBy('shandong', 'shandong', 'yangtze-delta', '/graphql', 'POST', QUERY) });
    expect(status).toBe(403);
    expect(body).toMatchObject({ errors: [{ message: 'This endpoint is for gateway only.', extensions: { code: 'FORBIDDEN' } }] });
  });

  it('refuses a registry’s key passing as recognition on another registry’s service API with 401 UNAUTHENTICATED', async () => {
    const { status } = await callSubgraph('yangtze-delta', { [ENVELOPE_HEADER]: await signedBy('shandong', 'recognition', 'yangtze-delta', liveRecordPath, 'GET') }, '', liveRecordPath);
    expect(status).toBe(401);
  });

  it.each([['shandong'], ['catalogue'], ['gateway']])('keeps a registry’s service API for recognition: %s, speaking as itself, gets 403 FORBIDDEN', async (service) => {
    const { status, body } = await callSubgraph('yangtze-delta', { [ENVELOPE_HEADER]: await signedBy(service, service, 'yangtze-delta', liveRecordPath, 'GET') }, '', liveRecordPath);
    expect(status).toBe(403);
    expect(body).toMatchObject({ errors: [{ message: 'This endpoint is for recognition only.' }] });
  });

  it('lets recognition read a live record (the control case: 404 for an unknown identifier, not a refusal)', async () => {
    const { status } = await callSubgraph('yangtze-delta', { [ENVELOPE_HEADER]: await signedBy('recognition', 'recognition', 'yangtze-delta', liveRecordPath, 'GET') }, '', liveRecordPath);
    expect(status).toBe(404);
  });

  it.each([['recognition'], ['yangtze-delta']])('keeps a registry’s feed for the catalogue: %s gets 403 FORBIDDEN, the catalogue 200', async (service) => {
    const refused = await callSubgraph('shandong', { [ENVELOPE_HEADER]: await signedBy(service, service, 'shandong', feedPath, 'GET') }, '', feedPath);
    expect(refused.status).toBe(403);
    const served = await callSubgraph('shandong', { [ENVELOPE_HEADER]: await signedBy('catalogue', 'catalogue', 'shandong', feedPath, 'GET') }, '', feedPath);
    expect(served.status).toBe(200);
  });

  it('rotates the gateway’s key without a restart: old and new side by side, then the retired key is refused', async () => {
    const old = await stack.serviceKey('gateway');
    const { kid } = await rotateServiceKey(stack.keyDir, 'gateway');
    const signedWith = (key: typeof old) => signEnvelope(key, 'gateway', anonymous, { audience: 'catalogue', method: 'POST', path: '/graphql', body: QUERY });
    // Every process looks at its key files at most once a second, when it uses them: a second
    // after the rotation, the gateway's next request is signed with the new key.
    await new Promise((resolve) => setTimeout(resolve, KEY_FILE_CHECK_MS + 100));
    expect((await stack.query('{ regions { code } }')).status).toBe(200);
    expect((await callSubgraph('catalogue', { [ENVELOPE_HEADER]: await signedWith(old) })).status).toBe(200);
    expect((await stack.serviceKey('gateway')).kid).toBe(kid);
    await retireKey(stack.keyDir, old.kid);
    await expect.poll(async () => (await callSubgraph('catalogue', { [ENVELOPE_HEADER]: await signedWith(old) })).status, { timeout: 5000, interval: 200 }).toBe(401);
    const { status, body } = await stack.query('{ regions { code } }');
    expect(status).toBe(200);
    expect(body.data.regions).toHaveLength(4);
  });
});

describe('the gateway authenticates client tokens', () => {
  const holderClaims = { sub: 'holder-1', role: 'holder' as const, holder_code: '11010519491231002X' };

  it('accepts a valid token', async () => {
    const { status, body } = await stack.query('{ regions { code } }', undefined, { token: await stack.token(holderClaims) });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  it.each([
    ['an expired token', async () => stack.token(holderClaims, { expiresIn: '-1m' }), /expired/],
    ['garbage', async () => 'not.a.token.at.all', /malformed/],
    ['an unsigned (alg: none) token', async () => {
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const payload = base64url.encode(JSON.stringify({ ...holderClaims, iss: 'hutong-dev-identity', aud: 'hutong', exp: Math.floor(Date.now() / 1000) + 600 }));
      return `${header}.${payload}.`;
    }, /algorithm|malformed/],
    ['an HMAC token keyed with the public key', async () => {
      const publicJwk = readFileSync(stack.keyFiles.clientJwks, 'utf8');
      return new SignJWT({ ...holderClaims })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('hutong-dev-identity').setAudience('hutong').setExpirationTime('10m')
        .sign(new TextEncoder().encode(publicJwk));
    }, /algorithm/],
    ['a token for another audience', async () => {
      const key = await loadSigningKey(stack.keyFiles.clientSigningKey);
      return new SignJWT({ ...holderClaims }).setProtectedHeader({ alg: key.alg, kid: key.kid })
        .setIssuer('hutong-dev-identity').setAudience('another-system').setExpirationTime('10m').sign(key.key);
    }, /aud claim/],
    ['a token from an unknown key', async () => {
      const { privateJwk } = await generateSigningKeyPair('stranger');
      const key = await signingKeyFromJwk(privateJwk);
      return new SignJWT({ ...holderClaims }).setProtectedHeader({ alg: key.alg, kid: key.kid })
        .setIssuer('hutong-dev-identity').setAudience('hutong').setExpirationTime('10m').sign(key.key);
    }, /unknown key/],
    ['a holder token without a holder code', async () => stack.token({ sub: 'x', role: 'holder' }), /holder_code/],
  ])('refuses %s with UNAUTHENTICATED', async (_label, makeToken, reason) => {
    const { status, body } = await stack.query('{ regions { code } }', undefined, { token: await makeToken() });
    expect(status).toBe(401);
    expect(body.errors![0].extensions.code).toBe('UNAUTHENTICATED');
    expect(body.errors![0].message).toMatch(reason);
    expect(body.data).toBeUndefined();
  });

  it('keeps answering normal traffic after refusals', async () => {
    const { status, body } = await stack.query('{ regions { code } }');
    expect(status).toBe(200);
    expect(body.data.regions).toHaveLength(4);
  });
});
