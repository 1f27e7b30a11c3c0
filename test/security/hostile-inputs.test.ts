/**
 * Bad and hostile input through the gateway and straight at the subgraphs. Every case must get a
 * clear refusal (a 4xx, or a GraphQL error with a stable code), leak no personal data, SQL, stack
 * trace or file path, and leave the service answering normal traffic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, base64url } from 'jose';
import { readFileSync } from 'node:fs';
import { getIntrospectionQuery } from 'graphql';
import { anonymous } from '../../subgraphs/kit/auth/caller.js';
import { ENVELOPE_HEADER, signEnvelope } from '../../subgraphs/kit/auth/envelope.js';
import { generateSigningKeyPair, loadSigningKey, signingKeyFromJwk } from '../../subgraphs/kit/auth/keys.js';
import { seededCredentials } from '../support/fixtures.js';
import { startStack, type Stack } from '../support/stack.js';
import { adminToken, analystToken, regionIssuerToken } from '../support/identities.js';
import { holderToken, issuerToken, present, seeded, verifierNamed, verifierToken, verify } from '../support/verification.js';

const SEED = 200;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ seedCount: SEED });
});
afterAll(async () => {
  await stack?.stop();
});

const knownCodes = new Set([
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'RATE_LIMITED',
]);

/** Personal data of the seed: none of it may appear in a refusal. */
const personalData = () =>
  ['yangtze-delta', 'chengdu-chongqing', 'shandong'].flatMap((r) => seededCredentials(r, SEED).flatMap((c) => [c.holderCode, c.holderName])).filter((v) => v.length >= 2);

interface Raw {
  status: number;
  text: string;
}

async function post(body: string, headers: Record<string, string> = {}, url = `${stack.gatewayUrl}/graphql`): Promise<Raw> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, text: await res.text() };
}

const gql = (query: string, variables?: unknown, token?: string) =>
  post(JSON.stringify({ query, variables }), token ? { authorization: `Bearer ${token}` } : {});

/** The refusal checks every hostile case shares. */
function expectRefusal(r: Raw, pii: string[]): void {
  expect(r.status, r.text.slice(0, 300)).toBeLessThan(500);
  expect(r.text).not.toMatch(/\bat .+\.(ts|js):\d+/); // stack trace
  expect(r.text).not.toMatch(/\/work\/|node_modules|\.ts\b/); // file paths
  expect(r.text).not.toMatch(/syntax error at or near|relation ".*" does not exist|violates .* constraint/i); // SQL
  let body: { errors?: { message: string; extensions?: { code?: string } }[]; data?: unknown } = {};
  try {
    body = JSON.parse(r.text);
  } catch {
    throw new Error(`not JSON: ${r.text.slice(0, 200)}`);
  }
  expect(body.errors?.length, r.text.slice(0, 300)).toBeGreaterThan(0);
  for (const e of body.errors!) expect(knownCodes, `${e.extensions?.code}: ${e.message}`).toContain(e.extensions?.code);
  for (const value of pii) expect(r.text.includes(value), `leaks ${value}`).toBe(false);
}

const injections = [
  "' OR '1'='1",
  "'; DROP TABLE credential; --",
  '" OR ""="',
  "1; SELECT pg_sleep(5)--",
  "') UNION SELECT holder_code, holder_name FROM credential--",
  '%27%20OR%201=1',
  '\\x00\\x27',
  "admin'--",
];

describe('hostile input', () => {
  let pii: string[];
  beforeAll(() => {
    pii = personalData();
  });

  describe('malformed HTTP and JSON', () => {
    it.each([
      ['invalid JSON', '{"query": '],
      ['a JSON string', '"{ regions { code } }"'],
      ['a number', '42'],
      ['null', 'null'],
      ['an empty object', '{}'],
      ['a query that is not a string', '{"query": {"a": 1}}'],
      ['variables that are not an object', '{"query": "{ regions { code } }", "variables": [1,2]}'],
      ['a batch of operations', '[{"query":"{ regions { code } }"},{"query":"{ regions { code } }"}]'],
      ['an unknown operation name', '{"query": "query A { regions { code } }", "operationName": "B"}'],
      ['extensions that are not an object', '{"query": "{ regions { code } }", "extensions": "x"}'],
      ['a persisted-query hash only', '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}'],
      ['a body with a NUL byte', '{"query": "{ regions\\u0000 { code } }"}'],
    ])('refuses %s', async (_l, body) => {
      expectRefusal(await post(body), pii);
    });

    it('refuses an oversized body', async () => {
      const r = await post(JSON.stringify({ query: `{ regions { code } } # ${'x'.repeat(1_100_000)}` }));
      expect(r.status).toBe(413);
      expectRefusal(r, pii);
    });

    it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['multipart/form-data; boundary=x']])(
      'refuses content type %s (no CSRF-able requests)',
      async (type) => {
        const r = await post('query={regions{code}}', { 'content-type': type });
        expectRefusal(r, pii);
      },
    );

    it('refuses a mutation sent with GET', async () => {
      const url = `${stack.gatewayUrl}/graphql?query=${encodeURIComponent('mutation { fileDispute(credentialId: "x", field: "y", claim: "z") { id } }')}`;
      const res = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
      expectRefusal({ status: res.status, text: await res.text() }, pii);
    });
  });

  describe('malformed GraphQL', () => {
    it.each([
      ['an unclosed brace', '{ regions { code }'],
      ['a bare word', 'hello'],
      ['an unknown field', '{ passwords }'],
      ['an unknown argument', '{ regions(first: 1) { code } }'],
      ['a missing required argument', '{ credential { id } }'],
      ['a wrong argument type', '{ credential(id: 42) { id } }'],
      ['a selection on a scalar', '{ scenarios { code { x } } }'],
      ['no selection on an object', '{ regions }'],
      ['an undefined variable', 'query { credential(id: $id) { id } }'],
      ['an undefined fragment', '{ regions { ...Missing } }'],
      ['a circular fragment', 'query { regions { ...A } } fragment A on Region { code ...B } fragment B on Region { name ...A }'],
      ['a self-referencing fragment', 'query { regions { ...A } } fragment A on Region { ...A }'],
      ['two anonymous operations', '{ regions { code } } { scenarios { code } }'],
      ['an unknown directive', '{ regions @hack { code } }'],
      ['a subscription', 'subscription { regions { code } }'],
      ['an empty document', ' '],
      ['only a comment', '# nothing'],
      ['unicode garbage', '{ 区域 { 代码 } }'],
    ])('refuses %s', async (_l, query) => {
      expectRefusal(await gql(query), pii);
    });
  });

  describe('abusive operations', () => {
    it('still accepts the full introspection query GraphiQL sends', async () => {
      const query = getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, schemaDescription: true, directiveIsRepeatable: true, specifiedByUrl: true });
      const { status, body } = await stack.query(query);
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
    });

    it('refuses deep nesting', async () => {
      let inner = 'name';
      for (let i = 0; i < 30; i++) inner = `ofType { ${inner} }`;
      expectRefusal(await gql(`{ __schema { types { fields { type { ${inner} } } } } }`), pii);
    });

    it.each([[50], [500]])('refuses an alias bomb of %i aliases', async (n) => {
      const q = `{ ${Array.from({ length: n }, (_, i) => `a${i}: regions { code credentialCount }`).join(' ')} }`;
      expectRefusal(await gql(q), pii);
    });

    it('refuses a fragment bomb', async () => {
      const frags = Array.from({ length: 12 }, (_, i) => `fragment F${i} on Query { ${i === 11 ? 'regions { code }' : `...F${i + 1} ...F${i + 1}`} }`).join(' ');
      expectRefusal(await gql(`query { ...F0 } ${frags}`), pii);
    });

    it.each([[30], [300]])('refuses %i directives on one field', async (n) => {
      expectRefusal(await gql(`{ regions ${'@include(if: true) '.repeat(n)} { code } }`), pii);
    });

    it('refuses an operation with too many tokens', async () => {
      expectRefusal(await gql(`{ regions { ${'code '.repeat(3000)} } }`), pii);
    });

    it('refuses an operation that costs too much', async () => {
      const q = `{ ${Array.from({ length: 15 }, (_, i) => `h${i}: holder(code: "11010519491231002X") { credentials { holderName issuingRegion { provinces { code name app } } faceFields { key value } } }`).join(' ')} }`;
      expectRefusal(await gql(q), pii);
    });

    it.each([
      ['a 900 kB string', { id: 'x'.repeat(900_000) }],
      ['a deeply nested object', { id: JSON.parse('['.repeat(500) + ']'.repeat(500)) }],
      ['a 50,000-item list', { id: Array.from({ length: 50_000 }, () => 'x') }],
      ['an object instead of a string', { id: { $gt: '' } }],
    ])('refuses a variable that is %s', async (_l, variables) => {
      expectRefusal(await gql('query($id: ID!) { credential(id: $id) { id } }', variables), pii);
    });
  });

  describe('injection strings in every argument', () => {
    const cases: [string, string, (v: string) => Record<string, unknown>, string?][] = [
      ['credential(id)', 'query($v: ID!) { credential(id: $v) { id holderName } }', (v) => ({ v })],
      ['holder(code)', 'query($v: ID!) { holder(code: $v) { credentials { id } } }', (v) => ({ v })],
      ['credentialType(code)', 'query($v: ID!) { credentialType(code: $v) { code } }', (v) => ({ v })],
      ['verification(id)', 'query($v: ID!) { verification(id: $v) { id } }', (v) => ({ v }), 'verifier'],
      ['createPresentationCode(credentialId)', 'mutation($v: ID!) { createPresentationCode(credentialId: $v) { code } }', (v) => ({ v }), 'holder'],
      ['verifyPresentation(code)', 'mutation($v: String!) { verifyPresentation(input: { code: $v, scenario: "traffic-check", context: { organisation: "x", operator: "x", serviceItemName: "x", serviceItemCode: "x", businessCaseNumber: "x" } }) { id } }', (v) => ({ v }), 'verifier'],
      ['fileDispute(credentialId)', 'mutation($v: ID!) { fileDispute(credentialId: $v, field: "holderName", claim: "x") { id } }', (v) => ({ v }), 'holder'],
      ['suspendCredential(id)', 'mutation($v: ID!) { shandong { suspendCredential(id: $v, reason: "x") { id } } }', (v) => ({ v }), 'issuer'],
    ];
    const all = cases.flatMap(([name, query, vars, as]) => injections.map((inj) => [`${name} = ${inj}`, query, vars(inj), as] as const));

    it.each(all)('refuses %s', async (_l, query, variables, as) => {
      const token =
        as === 'holder'
          ? await holderToken(stack, seeded('shandong', SEED, { type: 'e-id' }).holderCode)
          : as === 'verifier'
            ? await verifierToken(stack, verifierNamed('上海市公安局交通警察总队'))
            : as === 'issuer'
              ? await issuerToken(stack, 'shandong', '11370000HT71218912')
              : undefined;
      expectRefusal(await gql(query, variables, token), pii);
    });

    it('keeps the database intact afterwards', async () => {
      const { body } = await stack.query('{ regions { credentialCount } }', {}, { token: await analystToken(stack) });
      for (const r of body.data.regions) expect(r.credentialCount).toBeGreaterThanOrEqual(SEED);
    });
  });

  describe('tokens', () => {
    const claims = { sub: 'h', role: 'holder', holder_code: '11010519491231002X' };
    it.each([
      ['expired', async () => stack.token(claims as never, { expiresIn: '-5m' })],
      ['forged signature', async () => { const t = await stack.token(claims as never); return t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA'); }],
      ['alg none', async () => `${base64url.encode('{"alg":"none"}')}.${base64url.encode(JSON.stringify({ ...claims, iss: 'hutong-dev-identity', aud: 'hutong', exp: 9e9 }))}.`],
      ['HS256 keyed with the public JWKS', async () => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('hutong-dev-identity').setAudience('hutong').setExpirationTime('5m').sign(new TextEncoder().encode(readFileSync(stack.keyFiles.clientJwks, 'utf8')))],
      ['wrong audience', async () => { const k = await loadSigningKey(stack.keyFiles.clientSigningKey); return new SignJWT(claims).setProtectedHeader({ alg: k.alg, kid: k.kid }).setIssuer('hutong-dev-identity').setAudience('elsewhere').setExpirationTime('5m').sign(k.key); }],
      ['wrong issuer', async () => { const k = await loadSigningKey(stack.keyFiles.clientSigningKey); return new SignJWT(claims).setProtectedHeader({ alg: k.alg, kid: k.kid }).setIssuer('someone').setAudience('hutong').setExpirationTime('5m').sign(k.key); }],
      ['wrong key', async () => { const k = await signingKeyFromJwk((await generateSigningKeyPair('x')).privateJwk); return new SignJWT(claims).setProtectedHeader({ alg: k.alg, kid: k.kid }).setIssuer('hutong-dev-identity').setAudience('hutong').setExpirationTime('5m').sign(k.key); }],
      ['an unknown role', async () => stack.token({ ...claims, role: 'root' } as never)],
      ['garbage', async () => 'x.y.z'],
    ])('refuses a %s token', async (_l, make) => {
      const r = await post(JSON.stringify({ query: '{ regions { code } }' }), { authorization: `Bearer ${await make()}` });
      expect(r.status).toBe(401);
      expectRefusal(r, pii);
    });

    it.each([['Basic', 'Basic dXNlcjpwYXNz'], ['an empty Bearer', 'Bearer'], ['Token', 'Token abc'], ['a 12 kB Bearer', 'Bearer ' + 'a'.repeat(12_000)]])('refuses a %s authorization header', async (_l, header) => {
      const r = await post(JSON.stringify({ query: '{ regions { code } }' }), { authorization: header });
      expect(r.status).toBe(401);
      expectRefusal(r, pii);
    });

    it('refuses headers larger than the server accepts at the HTTP layer', async () => {
      const r = await post(JSON.stringify({ query: '{ regions { code } }' }), { authorization: 'Bearer ' + 'a'.repeat(20_000) });
      expect(r.status).toBe(431);
    });
  });

  describe('authorisation', () => {
    it('refuses a holder reading another holder’s usage records', async () => {
      const a = seeded('shandong', SEED, { type: 'e-id' });
      const b = seeded('shandong', SEED, { type: 'e-id' }, 1);
      expectRefusal(await gql('query($id: ID!) { credential(id: $id) { usageRecords { id } } }', { id: a.id }, await holderToken(stack, b.holderCode)), pii.filter((p) => p !== a.holderName && p !== a.holderCode));
    });

    it('refuses a holder presenting another holder’s credential', async () => {
      const a = seeded('shandong', SEED, { type: 'e-id' });
      const b = seeded('shandong', SEED, { type: 'e-id' }, 1);
      expectRefusal(await gql('mutation($id: ID!) { createPresentationCode(credentialId: $id) { code } }', { id: a.id }, await holderToken(stack, b.holderCode)), pii);
    });

    it.each(['yangtze-delta', 'chengdu-chongqing'])('refuses an issuer of %s writing Shandong', async (region) => {
      const c = seeded('shandong', SEED, { type: 'e-id' }, 2);
      expectRefusal(await gql('mutation($id: ID!) { shandong { revokeCredential(id: $id, reason: "x") { id } } }', { id: c.id }, await issuerToken(stack, region, '11310000HT00000000')), pii);
    });

    it('refuses a replayed presentation code', async () => {
      const c = seeded('shandong', SEED, { type: 'e-id' }, 3);
      const hall = verifierNamed('济南市政务服务中心');
      const code = await present(stack, c, 'service-hall-visit');
      await verify(stack, hall, code, 'service-hall-visit');
      const { body } = await verify(stack, hall, code, 'service-hall-visit');
      expect(body.errors[0].extensions.reason).toBe('PRESENTATION_CODE_USED');
    });

    it('refuses a verifier outside its scenarios', async () => {
      const c = seeded('shandong', SEED, { type: 'e-id' }, 4);
      const code = await present(stack, c);
      const { body } = await verify(stack, verifierNamed('重庆图书馆'), code, 'service-hall-visit');
      expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    });
  });

  describe('who may read what', () => {
    const credentialQuery = (fields: string) => `query($id: ID!) { credential(id: $id) { ${fields} } }`;
    const shandongId = () => seeded('shandong', SEED, { type: 'e-id' }, 7);

    it.each([
      ['a credential', () => credentialQuery('id name'), () => ({ id: shandongId().id })],
      ['a holder’s list', () => 'query($c: ID!) { holder(code: $c) { credentials { id } } }', () => ({ c: shandongId().holderCode })],
      ['region counts', () => '{ regions { code credentialCount } }', () => ({})],
      ['counts by status', () => '{ region(code: "shandong") { credentialCountByStatus { count } } }', () => ({})],
      ['a verification', () => 'query { verification(id: "00000000-0000-4000-8000-000000000000") { verdict } }', () => ({})],
      ['a presentation code', () => 'mutation($id: ID!) { createPresentationCode(credentialId: $id) { code } }', () => ({ id: shandongId().id })],
      ['a dispute', () => 'mutation($id: ID!) { fileDispute(credentialId: $id, field: "holderName", claim: "x") { id } }', () => ({ id: shandongId().id })],
      ['an issuer command', () => 'mutation($id: ID!) { shandong { suspendCredential(id: $id, reason: "x") { id } } }', () => ({ id: shandongId().id })],
    ])('refuses an anonymous caller %s with 401, naming the fields', async (_l, query, variables) => {
      const r = await gql(query(), variables());
      expect(r.status).toBe(401);
      expectRefusal(r, pii);
      expect(JSON.parse(r.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it('lets an anonymous caller read the public parts', async () => {
      const { status, body } = await stack.query('{ regions { code name provinces { app } } credentialTypes { slug } scenarios { code } recognitionRules { id } verifiers { name } }');
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
    });

    it.each([
      ['a credential with personal fields', credentialQuery('holderName holderCode')],
      ['a credential’s face fields', credentialQuery('faceFields { value }')],
      ['a credential’s usage records', credentialQuery('usageRecords { operator }')],
      ['a holder’s list', 'query($id: ID!) { holder(code: $id) { credentials { id } } }'],
    ])('refuses a verifier reading %s: it gets only what a verification releases', async (_l, query) => {
      const c = shandongId();
      const variables = query.includes('holder(') ? { id: c.holderCode } : { id: c.id };
      const r = await gql(query, variables, await verifierToken(stack, verifierNamed('济南市政务服务中心')));
      expect(r.status).toBe(403);
      expectRefusal(r, pii);
    });

    it.each([
      ['personal fields', credentialQuery('holderName')],
      ['a record', credentialQuery('id status')],
      ['a holder’s list', 'query($id: ID!) { holder(code: $id) { credentials { id } } }'],
      ['a usage record', credentialQuery('usageRecords { id }')],
    ])('refuses an analyst reading %s: aggregates only', async (_l, query) => {
      const c = shandongId();
      const r = await gql(query, query.includes('holder(') ? { id: c.holderCode } : { id: c.id }, await analystToken(stack));
      expect(r.status).toBe(403);
      expectRefusal(r, pii);
    });

    it('refuses a holder reading another holder’s credential or list', async () => {
      const mine = seeded('shandong', SEED, { type: 'e-id' }, 8);
      const theirs = shandongId();
      const token = await holderToken(stack, mine.holderCode);
      const others = pii.filter((p) => p !== mine.holderName && p !== mine.holderCode);
      const one = await gql(credentialQuery('holderName'), { id: theirs.id }, token);
      expectRefusal(one, others);
      expect(JSON.parse(one.text).errors[0].extensions.code).toBe('FORBIDDEN');
      const list = await gql('query($c: ID!) { holder(code: $c) { credentials { id } } }', { c: theirs.holderCode }, token);
      expectRefusal(list, others);
    });

    it('refuses an issuer reading another region’s records', async () => {
      const r = await gql(credentialQuery('holderName'), { id: shandongId().id }, await regionIssuerToken(stack, 'yangtze-delta'));
      expectRefusal(r, pii);
    });

    it('shows a holder their own record in full, and an auditor the same record masked', async () => {
      const c = shandongId();
      const own = await stack.query(credentialQuery('holderName holderCode'), { id: c.id }, { token: await holderToken(stack, c.holderCode) });
      expect(own.body.data.credential).toEqual({ holderName: c.holderName, holderCode: c.holderCode });
      const audit = await stack.query(credentialQuery('holderName holderCode faceFields { value }'), { id: c.id }, { token: await adminToken(stack) });
      expect(audit.body.errors).toBeUndefined();
      expect(audit.body.data.credential.holderCode).toMatch(/^\d{4}\*{10}[\dX]{4}$/);
      expect(audit.body.data.credential.holderName).toContain('*');
      expect(JSON.stringify(audit.body)).not.toContain(c.holderCode);
      expect(JSON.stringify(audit.body)).not.toContain(c.holderName);
    });

    it('refuses a verifier reading another verifier’s verification', async () => {
      const c = seeded('shandong', SEED, { type: 'e-id' }, 9);
      const hall = verifierNamed('济南市政务服务中心');
      const code = await present(stack, c, 'service-hall-visit');
      const { body } = await verify(stack, hall, code, 'service-hall-visit');
      const r = await gql('query($id: ID!) { verification(id: $id) { verdict releasedFields { value } } }', { id: body.data.verifyPresentation.id }, await verifierToken(stack, verifierNamed('山东省公安厅交通警察总队')));
      expectRefusal(r, pii);
      expect(JSON.parse(r.text).errors[0].extensions.code).toBe('FORBIDDEN');
    });
  });

  describe('subgraphs check access again', () => {
    it.each([['an anonymous caller', { role: 'anonymous' }, 'UNAUTHENTICATED'], ['a holder', { role: 'holder', holderCode: '11010519491231002X' }, 'FORBIDDEN']])(
      'the registry refuses %s an aggregate its SDL reserves, even with a valid gateway envelope',
      async (_l, caller, code) => {
        const key = await loadSigningKey(stack.keyFiles.internalSigningKey);
        const body = JSON.stringify({ query: '{ _entities(representations: [{ __typename: "ShandongRegion", code: "shandong" }]) { ... on ShandongRegion { credentialCount } } }' });
        const envelope = await signEnvelope(key, 'hutong-gateway', caller as never, { audience: 'shandong', method: 'POST', path: '/graphql', body });
        const r = await post(body, { [ENVELOPE_HEADER]: envelope }, `${stack.subgraphs.get('shandong')!.url}/graphql`);
        expect(r.status).toBe(200);
        expectRefusal(r, pii);
        expect(JSON.parse(r.text).errors[0].extensions).toMatchObject({ code, fields: ['ShandongRegion.credentialCount'] });
      },
    );

    const entityQuery = (typename: string, fields: string) =>
      JSON.stringify({ query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${typename} { ${fields} } } }`, variables: { r: [{ __typename: typename, id: seeded('shandong', SEED, { type: 'e-id' }, 7).id }] } });

    it.each([
      ['an anonymous caller', { role: 'anonymous' }],
      ['a verifier', { role: 'verifier', region: 'shandong', organisation: '12370100MB0000000X' }],
      ['an analyst', { role: 'analyst' }],
      ['another holder', { role: 'holder', holderCode: '11010519491231002X' }],
      ['another region’s issuer', { role: 'issuer', region: 'yangtze-delta', organisation: '11310000HT00000000' }],
    ])('the registry refuses %s a record even with a valid gateway envelope', async (_l, caller) => {
      const key = await loadSigningKey(stack.keyFiles.internalSigningKey);
      const body = entityQuery('ShandongCredential', 'holderName holderCode');
      const envelope = await signEnvelope(key, 'hutong-gateway', caller as never, { audience: 'shandong', method: 'POST', path: '/graphql', body });
      const r = await post(body, { [ENVELOPE_HEADER]: envelope }, `${stack.subgraphs.get('shandong')!.url}/graphql`);
      expect(r.status, 'the envelope itself is accepted').toBe(200);
      expectRefusal(r, pii);
      expect(['FORBIDDEN', 'UNAUTHENTICATED']).toContain(JSON.parse(r.text).errors[0].extensions.code);
    });

    it('the catalogue refuses a verifier a holder’s list even with a valid gateway envelope', async () => {
      const key = await loadSigningKey(stack.keyFiles.internalSigningKey);
      const body = JSON.stringify({ query: `{ holder(code: "${seeded('shandong', SEED, { type: 'e-id' }, 7).holderCode}") { credentials { id } } }` });
      const envelope = await signEnvelope(key, 'hutong-gateway', { role: 'verifier', region: 'shandong', organisation: '12370100MB0000000X' }, { audience: 'catalogue', method: 'POST', path: '/graphql', body });
      const r = await post(body, { [ENVELOPE_HEADER]: envelope }, `${stack.subgraphs.get('catalogue')!.url}/graphql`);
      expect(r.status).toBe(200);
      expectRefusal(r, pii);
    });
  });

  describe('direct subgraph calls', () => {
    const names = ['catalogue', 'recognition', 'yangtze-delta', 'chengdu-chongqing', 'shandong'];
    const body = JSON.stringify({ query: '{ _service { sdl } }' });

    it.each(names)('refuses %s without an envelope', async (name) => {
      const r = await post(body, {}, `${stack.subgraphs.get(name)!.url}/graphql`);
      expect(r.status).toBe(401);
      expectRefusal(r, pii);
    });

    it.each(names)('refuses %s with a stale envelope', async (name) => {
      const key = await loadSigningKey(stack.keyFiles.internalSigningKey);
      const stale = await new SignJWT({ caller: { role: 'admin' }, htm: 'POST', htu: '/graphql', bh: 'x' })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'hutong-envelope+jwt' })
        .setIssuer('hutong-gateway').setAudience(name).setIssuedAt(1_700_000_000).setExpirationTime(1_700_000_030).sign(key.key);
      const r = await post(body, { [ENVELOPE_HEADER]: stale }, `${stack.subgraphs.get(name)!.url}/graphql`);
      expect(r.status).toBe(401);
      expectRefusal(r, pii);
    });

    it.each(names)('refuses %s with an envelope made for another subgraph', async (name) => {
      const key = await loadSigningKey(stack.keyFiles.internalSigningKey);
      const other = await signEnvelope(key, 'hutong-gateway', anonymous, { audience: name === 'catalogue' ? 'shandong' : 'catalogue', method: 'POST', path: '/graphql', body });
      const r = await post(body, { [ENVELOPE_HEADER]: other }, `${stack.subgraphs.get(name)!.url}/graphql`);
      expect(r.status).toBe(401);
      expectRefusal(r, pii);
    });

    it.each(names)('refuses %s a replayed envelope: each is good for one request', async (name) => {
      const key = await loadSigningKey(stack.keyFiles.internalSigningKey);
      const envelope = await signEnvelope(key, 'hutong-gateway', { role: 'admin' }, { audience: name, method: 'POST', path: '/graphql', body });
      const first = await post(body, { [ENVELOPE_HEADER]: envelope }, `${stack.subgraphs.get(name)!.url}/graphql`);
      expect(first.status).toBe(200);
      const again = await post(body, { [ENVELOPE_HEADER]: envelope }, `${stack.subgraphs.get(name)!.url}/graphql`);
      expect(again.status).toBe(401);
      expectRefusal(again, pii);
      expect(again.text).toContain('already used');
    });

    it.each(['yangtze-delta', 'chengdu-chongqing', 'shandong'])('refuses the %s service API to anything but a signed service', async (name) => {
      const res = await fetch(`${stack.subgraphs.get(name)!.url}/internal/credentials/x`);
      expect(res.status).toBe(401);
    });
  });

  it('still answers normal traffic after all of this', async () => {
    const { status, body } = await stack.query('{ regions { code credentialCount } }', {}, { token: await analystToken(stack) });
    expect(status).toBe(200);
    expect(body.data.regions).toHaveLength(3);
  });
});
