/**
 * Bad and hostile input through the gateway and straight at the subgraphs. Every case must get
 * the one refusal the product defines for it — HTTP status, extensions.code and, where the
 * product sets one, extensions.reason — leak no personal data, SQL, stack trace or file path, and
 * leave the service answering normal traffic.
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
import { contextFor, holderToken, issuerToken, present, seeded, VERIFY, verifierNamed, verifierToken, verify } from '../support/verification.js';

const SEED = 200;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ seedCount: SEED });
});
afterAll(async () => {
  await stack?.stop();
});

/** Personal data of the seed: none of it may appear in a refusal. */
const personalData = () =>
  ['yangtze-delta', 'chengdu-chongqing', 'shandong'].flatMap((r) => seededCredentials(r, SEED).flatMap((c) => [c.holderCode, c.holderName])).filter((v) => v.length >= 2);

interface Raw {
  status: number;
  text: string;
}

/** The one refusal a case must get. */
interface Refusal {
  status: number;
  code: string;
  /** extensions.reason; left out, the refusal must carry none. */
  reason?: string;
  /** Further extensions the first error must carry, e.g. the refused fields. */
  extensions?: Record<string, unknown>;
  /** Key part of the message of at least one error. */
  message?: RegExp;
}

/** "400 GRAPHQL_PARSE_FAILED", "200 BAD_USER_INPUT (MALFORMED)": for test names. */
const outcome = (w: Refusal) => `${w.status} ${w.code}${w.reason ? ` (${w.reason})` : ''}`;

/** Table rows with their full test name (vitest's $-interpolation quotes and truncates values). */
const titled = <T>(rows: T[], title: (row: T) => string): [string, T][] => rows.map((row) => [title(row), row]);

/**
 * Sent accepting application/graphql-response+json, as clients following GraphQL over HTTP do:
 * a request refused before execution is then a 400 (with application/json it would be a 200;
 * test/integration/graphql-over-http.test.ts checks both).
 */
async function post(body: string, headers: Record<string, string> = {}, url = `${stack.gatewayUrl}/graphql`): Promise<Raw> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers }, body });
  return { status: res.status, text: await res.text() };
}

const gql = (query: string, variables?: unknown, token?: string) =>
  post(JSON.stringify({ query, variables }), token ? { authorization: `Bearer ${token}` } : {});

/** The exact refusal, plus the leak checks every hostile case shares. */
function expectRefusal(r: Raw, want: Refusal, pii: string[]): void {
  expect(r.text).not.toMatch(/\bat .+\.(ts|js):\d+/); // stack trace
  expect(r.text).not.toMatch(/\/work\/|node_modules|\.ts\b/); // file paths
  expect(r.text).not.toMatch(/syntax error at or near|relation ".*" does not exist|violates .* constraint/i); // SQL
  for (const value of pii) expect(r.text.includes(value), `leaks ${value}`).toBe(false);
  let body: { errors?: { message: string; extensions?: Record<string, unknown> }[]; data?: unknown } = {};
  try {
    body = JSON.parse(r.text);
  } catch {
    throw new Error(`not JSON (HTTP ${r.status}): ${r.text.slice(0, 200)}`);
  }
  const errors = body.errors ?? [];
  expect(errors.length, r.text.slice(0, 300)).toBeGreaterThan(0);
  const first = errors[0]!.extensions ?? {};
  expect({ status: r.status, code: first.code, reason: first.reason }, r.text.slice(0, 400)).toEqual({ status: want.status, code: want.code, reason: want.reason });
  for (const e of errors) expect(e.extensions?.code, e.message).toBe(want.code);
  if (want.extensions) expect(first).toMatchObject(want.extensions);
  if (want.message) expect(errors.map((e) => e.message).join('\n')).toMatch(want.message);
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
    // Bodies that are not a JSON object fail in the JSON body parser (kit/http-errors.ts);
    // well-formed JSON that is no GraphQL request is refused by Apollo Server's HTTP layer.
    it.each(titled([
      { sends: 'invalid JSON', body: '{"query": ', want: { status: 400, code: 'BAD_REQUEST', message: /not valid JSON/ } },
      { sends: 'a JSON string instead of an object', body: '"{ regions { code } }"', want: { status: 400, code: 'BAD_REQUEST', message: /not valid JSON/ } },
      { sends: 'a bare number', body: '42', want: { status: 400, code: 'BAD_REQUEST', message: /not valid JSON/ } },
      { sends: 'null', body: 'null', want: { status: 400, code: 'BAD_REQUEST', message: /not valid JSON/ } },
      { sends: 'an empty object', body: '{}', want: { status: 400, code: 'BAD_REQUEST', message: /no keys/ } },
      { sends: 'a query that is an object', body: '{"query": {"a": 1}}', want: { status: 400, code: 'BAD_REQUEST', message: /queries must be strings/ } },
      { sends: 'variables that are a list', body: '{"query": "{ regions { code } }", "variables": [1,2]}', want: { status: 400, code: 'BAD_REQUEST', message: /`variables` in a POST body must be an object/ } },
      { sends: 'a batch of two operations', body: '[{"query":"{ regions { code } }"},{"query":"{ regions { code } }"}]', want: { status: 400, code: 'BAD_REQUEST', message: /batching/i } },
      { sends: 'an operation name the document does not define', body: '{"query": "query A { regions { code } }", "operationName": "B"}', want: { status: 400, code: 'OPERATION_RESOLUTION_FAILURE', message: /no operation named "B"/ } },
      { sends: 'extensions that are a string', body: '{"query": "{ regions { code } }", "extensions": "x"}', want: { status: 400, code: 'BAD_REQUEST', message: /`extensions` in a POST body/ } },
      // A request error like any other (no data): 400 with graphql-response+json; the client resends the text.
      { sends: 'only a persisted-query hash the server does not know', body: '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}', want: { status: 400, code: 'PERSISTED_QUERY_NOT_FOUND' } },
      { sends: 'a query with a NUL character', body: '{"query": "{ regions\\u0000 { code } }"}', want: { status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /U\+0000/ } },
    ] satisfies { sends: string; body: string; want: Refusal }[], (r) => `refuses ${r.sends} with ${outcome(r.want)}`))('%s', async (_name, { body, want }) => {
      expectRefusal(await post(body), want, pii);
    });

    it('refuses a body over the 1 MB limit with 413 BAD_REQUEST', async () => {
      const r = await post(JSON.stringify({ query: `{ regions { code } } # ${'x'.repeat(1_100_000)}` }));
      expectRefusal(r, { status: 413, code: 'BAD_REQUEST', message: /too large/ }, pii);
    });

    it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['multipart/form-data; boundary=x']])(
      'refuses content type %s with 400 BAD_REQUEST: no CSRF-able requests',
      async (type) => {
        const r = await post('query={regions{code}}', { 'content-type': type });
        expectRefusal(r, { status: 400, code: 'BAD_REQUEST', message: /Cross-Site Request Forgery/ }, pii);
      },
    );

    it('refuses a mutation sent with GET with 405 BAD_REQUEST', async () => {
      const url = `${stack.gatewayUrl}/graphql?query=${encodeURIComponent('mutation { fileDispute(credentialId: "x", field: "y", claim: "z") { id } }')}`;
      const res = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
      expectRefusal({ status: res.status, text: await res.text() }, { status: 405, code: 'BAD_REQUEST', message: /only support query operations/ }, pii);
    });
  });

  describe('malformed GraphQL', () => {
    const parseFailed: Refusal = { status: 400, code: 'GRAPHQL_PARSE_FAILED' };
    const invalid: Refusal = { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' };
    it.each(titled([
      { sends: 'an unclosed brace', query: '{ regions { code }', want: parseFailed },
      { sends: 'a bare word', query: 'hello', want: parseFailed },
      { sends: 'an unknown field', query: '{ passwords }', want: { ...invalid, message: /Cannot query field "passwords"/ } },
      { sends: 'an unknown argument', query: '{ regions(first: 1) { code } }', want: invalid },
      { sends: 'a missing required argument', query: '{ credential { id } }', want: invalid },
      // A Boolean for an ID (an Int literal would be a valid ID).
      { sends: 'an argument of the wrong type', query: '{ credential(id: true) { id } }', want: invalid },
      { sends: 'a selection on a scalar', query: '{ scenarios { code { x } } }', want: invalid },
      { sends: 'no selection on an object', query: '{ regions }', want: invalid },
      { sends: 'an undefined variable', query: 'query { credential(id: $id) { id } }', want: invalid },
      { sends: 'an undefined fragment', query: '{ regions { ...Missing } }', want: invalid },
      { sends: 'a circular fragment', query: 'query { regions { ...A } } fragment A on Region { code ...B } fragment B on Region { name ...A }', want: invalid },
      { sends: 'a self-referencing fragment', query: 'query { regions { ...A } } fragment A on Region { ...A }', want: invalid },
      { sends: 'two anonymous operations', query: '{ regions { code } } { scenarios { code } }', want: invalid },
      { sends: 'an unknown directive', query: '{ regions @hack { code } }', want: invalid },
      // The schema has no subscription root; the gateway's operationShape plugin refuses it as a bad request.
      { sends: 'a subscription', query: 'subscription { regions { code } }', want: { status: 400, code: 'BAD_REQUEST', message: /Subscriptions are not supported/ } },
      { sends: 'an empty document', query: ' ', want: parseFailed },
      { sends: 'only a comment', query: '# nothing', want: parseFailed },
      { sends: 'field names in Chinese', query: '{ 区域 { 代码 } }', want: parseFailed },
    ] satisfies { sends: string; query: string; want: Refusal }[], (r) => `refuses ${r.sends} with ${outcome(r.want)}`))('%s', async (_name, { query, want }) => {
      expectRefusal(await gql(query), want, pii);
    });
  });

  describe('abusive operations', () => {
    it('still accepts the full introspection query GraphiQL sends', async () => {
      const query = getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, schemaDescription: true, directiveIsRepeatable: true, specifiedByUrl: true });
      const { status, body } = await stack.query(query);
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
    });

    it('refuses nesting deeper than 16 with 400 GRAPHQL_VALIDATION_FAILED', async () => {
      let inner = 'name';
      for (let i = 0; i < 30; i++) inner = `ofType { ${inner} }`;
      expectRefusal(await gql(`{ __schema { types { fields { type { ${inner} } } } } }`), { status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /depth limit of 16 exceeded/ }, pii);
    });

    it.each(titled([
      { n: 50, want: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Aliases limit of 15 exceeded/ } },
      // Over 2000 tokens: the parser stops before the alias limit is checked.
      { n: 500, want: { status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /2000 tokens/ } },
    ] satisfies { n: number; want: Refusal }[], (r) => `refuses an alias bomb of ${r.n} aliases (limit 15) with ${outcome(r.want)}`))('%s', async (_name, { n, want }) => {
      const q = `{ ${Array.from({ length: n }, (_, i) => `a${i}: regions { code credentialCount }`).join(' ')} }`;
      expectRefusal(await gql(q), want, pii);
    });

    it('refuses a fragment bomb with 400 GRAPHQL_VALIDATION_FAILED: its cost counts every spread', async () => {
      // 2^11 spreads of the regions (34 each, as declared): 69,632 objects.
      const frags = Array.from({ length: 12 }, (_, i) => `fragment F${i} on Query { ${i === 11 ? 'regions { code }' : `...F${i + 1} ...F${i + 1}`} }`).join(' ');
      expectRefusal(await gql(`query { ...F0 } ${frags}`), { status: 400, code: 'GRAPHQL_VALIDATION_FAILED', reason: 'COST_LIMIT', message: /^Cost limit of 50000 exceeded, found 69632:/ }, pii);
    });

    it.each(titled([
      { n: 30, want: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Directives limit of 20 exceeded/ } },
      // Over 2000 tokens: the parser stops before the directive limit is checked.
      { n: 300, want: { status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /2000 tokens/ } },
    ] satisfies { n: number; want: Refusal }[], (r) => `refuses ${r.n} directives on one field (limit 20) with ${outcome(r.want)}`))('%s', async (_name, { n, want }) => {
      expectRefusal(await gql(`{ regions ${'@include(if: true) '.repeat(n)} { code } }`), want, pii);
    });

    it('refuses an operation of more than 2000 tokens with 400 GRAPHQL_PARSE_FAILED', async () => {
      expectRefusal(await gql(`{ regions { ${'code '.repeat(3000)} } }`), { status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /2000 tokens/ }, pii);
    });

    it('refuses an operation that could return more than 50000 objects with 400 GRAPHQL_VALIDATION_FAILED', async () => {
      // Public lists, as declared: 6 × 500 verifiers × (1 + 20 scenarios) = 63,000.
      const q = `{ ${Array.from({ length: 6 }, (_, i) => `v${i}: verifiers { name scenarios { code nameZh } }`).join(' ')} }`;
      expectRefusal(await gql(q), { status: 400, code: 'GRAPHQL_VALIDATION_FAILED', reason: 'COST_LIMIT', message: /^Cost limit of 50000 exceeded, found 63000:/ }, pii);
    });

    // Sent by a holder, who may ask for a credential: the variable itself must be what is refused.
    const variableNotAnId: Refusal = { status: 400, code: 'BAD_USER_INPUT', message: /Variable "\$id" got invalid value/ };
    it.each(titled([
      // A valid ID that is no licence identifier: the catalogue refuses it as malformed.
      { sends: 'a 900 kB string', variables: { id: 'x'.repeat(900_000) }, want: { status: 200, code: 'BAD_USER_INPUT', reason: 'MALFORMED', message: /Invalid credential identifier/ } },
      { sends: 'a list nested 500 deep', variables: { id: JSON.parse('['.repeat(500) + ']'.repeat(500)) }, want: variableNotAnId },
      { sends: 'a 50,000-item list', variables: { id: Array.from({ length: 50_000 }, () => 'x') }, want: variableNotAnId },
      { sends: 'an object instead of a string', variables: { id: { $gt: '' } }, want: variableNotAnId },
    ] satisfies { sends: string; variables: unknown; want: Refusal }[], (r) => `refuses a credential id variable that is ${r.sends} with ${outcome(r.want)}`))('%s', async (_name, { variables, want }) => {
      const token = await holderToken(stack, seeded('shandong', SEED, { type: 'e-id' }).holderCode);
      expectRefusal(await gql('query($id: ID!) { credential(id: $id) { id } }', variables, token), want, pii);
    });
  });

  describe('injection strings in every argument', () => {
    // Each argument is sent by a caller allowed to use the field, so the string reaches the
    // code that reads it. Identifiers are parsed, never interpolated: a malformed one is refused.
    type Caller = 'anonymous' | 'holder' | 'verifier' | 'issuer';
    const trafficPolice = () => verifierNamed('上海市公安局交通警察总队');
    const malformedId: Refusal = { status: 200, code: 'BAD_USER_INPUT', reason: 'MALFORMED', message: /Invalid credential identifier/ };
    const targets: { argument: string; as: Caller; query: string; variables: (v: string) => Record<string, unknown>; want: Refusal }[] = [
      { argument: 'credential(id)', as: 'holder', query: 'query($v: ID!) { credential(id: $v) { id holderName } }', variables: (v) => ({ v }), want: malformedId },
      { argument: 'holder(code)', as: 'holder', query: 'query($v: ID!) { holder(code: $v) { credentials { nodes { id } } } }', variables: (v) => ({ v }), want: { status: 200, code: 'BAD_USER_INPUT', reason: 'INVALID_HOLDER_CODE' } },
      { argument: 'credentialType(code)', as: 'anonymous', query: 'query($v: ID!) { credentialType(code: $v) { code } }', variables: (v) => ({ v }), want: { status: 200, code: 'BAD_USER_INPUT', extensions: { argument: 'code' } } },
      { argument: 'verification(id)', as: 'verifier', query: 'query($v: ID!) { verification(id: $v) { id } }', variables: (v) => ({ v }), want: { status: 200, code: 'BAD_USER_INPUT', extensions: { argument: 'id' }, message: /is a UUID/ } },
      { argument: 'createPresentationCode(credentialId)', as: 'holder', query: 'mutation($v: ID!) { createPresentationCode(credentialId: $v) { code } }', variables: (v) => ({ v }), want: malformedId },
      {
        argument: 'verifyPresentation(code)',
        as: 'verifier',
        query: 'mutation($input: VerifyPresentationInput!) { verifyPresentation(input: $input) { id } }',
        // A scenario the verifier is registered for and its own context: only the code is wrong.
        variables: (v) => ({ input: { code: v, scenario: 'traffic-check', context: contextFor(trafficPolice(), 'traffic-check') } }),
        want: { status: 200, code: 'BAD_USER_INPUT', reason: 'PRESENTATION_CODE_INVALID' },
      },
      { argument: 'fileDispute(credentialId)', as: 'holder', query: 'mutation($v: ID!) { fileDispute(credentialId: $v, field: "holderName", claim: "x") { id } }', variables: (v) => ({ v }), want: malformedId },
      // The registry's commands parse the id first, as the catalogue does, and never echo it back.
      { argument: 'suspendCredential(id)', as: 'issuer', query: 'mutation($v: ID!) { shandong { suspendCredential(id: $v, reason: "x") { id } } }', variables: (v) => ({ v }), want: { status: 200, code: 'BAD_USER_INPUT', reason: 'MALFORMED' } },
    ];
    const by: Record<Caller, string> = { anonymous: 'an anonymous caller', holder: 'a holder', verifier: 'a verifier', issuer: 'a Shandong issuer' };
    const all = targets.flatMap((t) => injections.map((injection) => ({ ...t, injection })));

    it.each(titled(all, (r) => `answers ${r.argument} = ${r.injection}, sent by ${by[r.as]}, with ${outcome(r.want)}`))('%s', async (_name, { query, variables, injection, as, want }) => {
      const token =
        as === 'holder'
          ? await holderToken(stack, seeded('shandong', SEED, { type: 'e-id' }).holderCode)
          : as === 'verifier'
            ? await verifierToken(stack, trafficPolice())
            : as === 'issuer'
              ? await issuerToken(stack, 'shandong', '11370000HT71218912')
              : undefined;
      expectRefusal(await gql(query, variables(injection), token), want, pii);
    });

    it('keeps the database intact afterwards', async () => {
      const { body } = await stack.query('{ regions { credentialCount } }', {}, { token: await analystToken(stack) });
      for (const r of body.data.regions) expect(r.credentialCount).toBeGreaterThanOrEqual(SEED);
    });
  });

  describe('tokens', () => {
    const claims = { sub: 'h', role: 'holder', holder_code: '11010519491231002X' };
    it.each(titled([
      { token: 'an expired', make: async () => stack.token(claims as never, { expiresIn: '-5m' }), message: /it has expired/ },
      { token: 'a forged-signature', make: async () => { const t = await stack.token(claims as never); return t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA'); }, message: /signature does not verify/ },
      { token: 'an alg-none', make: async () => `${base64url.encode('{"alg":"none"}')}.${base64url.encode(JSON.stringify({ ...claims, iss: 'hutong-dev-identity', aud: 'hutong', exp: 9e9 }))}.`, message: /signing algorithm is not accepted/ },
      { token: 'an HS256 (keyed with the public JWKS)', make: async () => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('hutong-dev-identity').setAudience('hutong').setExpirationTime('5m').sign(new TextEncoder().encode(readFileSync(stack.keyFiles.clientJwks, 'utf8'))), message: /signing algorithm is not accepted/ },
      { token: 'a wrong-audience', make: async () => { const k = await loadSigningKey(stack.keyFiles.clientSigningKey); return new SignJWT(claims).setProtectedHeader({ alg: k.alg, kid: k.kid }).setIssuer('hutong-dev-identity').setAudience('elsewhere').setExpirationTime('5m').sign(k.key); }, message: /aud claim is not accepted/ },
      { token: 'a wrong-issuer', make: async () => { const k = await loadSigningKey(stack.keyFiles.clientSigningKey); return new SignJWT(claims).setProtectedHeader({ alg: k.alg, kid: k.kid }).setIssuer('someone').setAudience('hutong').setExpirationTime('5m').sign(k.key); }, message: /iss claim is not accepted/ },
      { token: 'an unknown-key', make: async () => { const k = await signingKeyFromJwk((await generateSigningKeyPair('x')).privateJwk); return new SignJWT(claims).setProtectedHeader({ alg: k.alg, kid: k.kid }).setIssuer('hutong-dev-identity').setAudience('hutong').setExpirationTime('5m').sign(k.key); }, message: /unknown key/ },
      { token: 'an unknown-role', make: async () => stack.token({ ...claims, role: 'root' } as never), message: /claims are not acceptable/ },
      // Shorter than any JWT: refused for its shape before any verification.
      { token: 'a garbage', make: async () => 'x.y.z', message: /must be "Bearer <token>"/ },
    ], (r) => `refuses ${r.token} token with 401 UNAUTHENTICATED`))('%s', async (_name, { make, message }) => {
      const r = await post(JSON.stringify({ query: '{ regions { code } }' }), { authorization: `Bearer ${await make()}` });
      expectRefusal(r, { status: 401, code: 'UNAUTHENTICATED', message }, pii);
    });

    it.each([['a Basic', 'Basic dXNlcjpwYXNz'], ['an empty Bearer', 'Bearer'], ['a Token', 'Token abc'], ['a 12 kB Bearer', 'Bearer ' + 'a'.repeat(12_000)]])(
      'refuses %s authorization header with 401 UNAUTHENTICATED',
      async (_l, header) => {
        const r = await post(JSON.stringify({ query: '{ regions { code } }' }), { authorization: header });
        expectRefusal(r, { status: 401, code: 'UNAUTHENTICATED', message: /must be "Bearer <token>"/ }, pii);
      },
    );

    it('refuses headers larger than the server accepts with 431 at the HTTP layer', async () => {
      const r = await post(JSON.stringify({ query: '{ regions { code } }' }), { authorization: 'Bearer ' + 'a'.repeat(20_000) });
      expect(r.status).toBe(431);
    });
  });

  describe('authorisation', () => {
    it('refuses a holder reading another holder’s usage records with 200 FORBIDDEN from the registry', async () => {
      const a = seeded('shandong', SEED, { type: 'e-id' });
      const b = seeded('shandong', SEED, { type: 'e-id' }, 1);
      const r = await gql('query($id: ID!) { credential(id: $id) { usageRecords { nodes { id } } } }', { id: a.id }, await holderToken(stack, b.holderCode));
      expectRefusal(r, { status: 200, code: 'FORBIDDEN', message: /belongs to another holder/ }, pii.filter((p) => p !== a.holderName && p !== a.holderCode));
    });

    // Nothing answered (the mutation's field is non-null, so data is null): the refusal's status.
    it('refuses a holder presenting another holder’s credential with 403 FORBIDDEN', async () => {
      const a = seeded('shandong', SEED, { type: 'e-id' });
      const b = seeded('shandong', SEED, { type: 'e-id' }, 1);
      const r = await gql('mutation($id: ID!) { createPresentationCode(credentialId: $id) { code } }', { id: a.id }, await holderToken(stack, b.holderCode));
      expectRefusal(r, { status: 403, code: 'FORBIDDEN', message: /only present your own/ }, pii);
    });

    it.each(['yangtze-delta', 'chengdu-chongqing'])('refuses an issuer of %s writing Shandong with 403 FORBIDDEN', async (region) => {
      const c = seeded('shandong', SEED, { type: 'e-id' }, 2);
      const r = await gql('mutation($id: ID!) { shandong { revokeCredential(id: $id, reason: "x") { id } } }', { id: c.id }, await issuerToken(stack, region, '11310000HT00000000'));
      expectRefusal(r, { status: 403, code: 'FORBIDDEN', message: new RegExp(`Issuers of ${region} may not write`) }, pii);
    });

    it('refuses a replayed presentation code with 200 BAD_USER_INPUT (PRESENTATION_CODE_USED)', async () => {
      const c = seeded('shandong', SEED, { type: 'e-id' }, 3);
      const hall = verifierNamed('济南市政务服务中心');
      const code = await present(stack, c, 'service-hall-visit');
      await verify(stack, hall, code, 'service-hall-visit');
      const again = await gql(VERIFY, { input: { code, scenario: 'service-hall-visit', context: contextFor(hall, 'service-hall-visit') } }, await verifierToken(stack, hall));
      expectRefusal(again, { status: 200, code: 'BAD_USER_INPUT', reason: 'PRESENTATION_CODE_USED' }, pii);
    });

    it('refuses a verifier a scenario it is not registered for with 403 FORBIDDEN (SCENARIO_NOT_REGISTERED)', async () => {
      const c = seeded('shandong', SEED, { type: 'e-id' }, 4);
      const code = await present(stack, c);
      const library = verifierNamed('重庆图书馆');
      const r = await gql(VERIFY, { input: { code, scenario: 'service-hall-visit', context: contextFor(library, 'service-hall-visit') } }, await verifierToken(stack, library));
      expectRefusal(r, { status: 403, code: 'FORBIDDEN', reason: 'SCENARIO_NOT_REGISTERED' }, pii);
    });
  });

  describe('who may read what', () => {
    const credentialQuery = (fields: string) => `query($id: ID!) { credential(id: $id) { ${fields} } }`;
    const shandongId = () => seeded('shandong', SEED, { type: 'e-id' }, 7);

    // The gateway refuses the whole operation before planning and names every refused field.
    it.each(titled([
      { reading: 'a credential', query: () => credentialQuery('id name'), variables: () => ({ id: shandongId().id }), fields: ['Query.credential', 'Credential.id', 'Credential.name'] },
      { reading: 'a holder’s list', query: () => 'query($c: ID!) { holder(code: $c) { credentials { nodes { id } } } }', variables: () => ({ c: shandongId().holderCode }), fields: ['Query.holder', 'Holder.credentials', 'CredentialConnection.nodes', 'Credential.id'] },
      { reading: 'region counts', query: () => '{ regions { code credentialCount } }', variables: () => ({}), fields: ['Region.credentialCount'] },
      { reading: 'counts by status', query: () => '{ region(code: "shandong") { credentialCountByStatus { count } } }', variables: () => ({}), fields: ['Region.credentialCountByStatus', 'StatusCount.count'] },
      { reading: 'a verification', query: () => 'query { verification(id: "00000000-0000-4000-8000-000000000000") { verdict } }', variables: () => ({}), fields: ['Query.verification', 'Verification.verdict'] },
      { reading: 'a presentation code', query: () => 'mutation($id: ID!) { createPresentationCode(credentialId: $id) { code } }', variables: () => ({ id: shandongId().id }), fields: ['Mutation.createPresentationCode', 'PresentationCode.code'] },
      { reading: 'a dispute', query: () => 'mutation($id: ID!) { fileDispute(credentialId: $id, field: "holderName", claim: "x") { id } }', variables: () => ({ id: shandongId().id }), fields: ['Mutation.fileDispute', 'Dispute.id'] },
      { reading: 'an issuer command', query: () => 'mutation($id: ID!) { shandong { suspendCredential(id: $id, reason: "x") { id } } }', variables: () => ({ id: shandongId().id }), fields: ['Mutation.shandong', 'ShandongRegistryMutations.suspendCredential', 'ShandongCredential.id'] },
    ], (r) => `refuses an anonymous caller asking for ${r.reading} with 401 UNAUTHENTICATED, naming ${r.fields.join(', ')}`))('%s', async (_name, { query, variables, fields }) => {
      expectRefusal(await gql(query(), variables()), { status: 401, code: 'UNAUTHENTICATED', extensions: { fields } }, pii);
    });

    it('lets an anonymous caller read the public parts', async () => {
      const { status, body } = await stack.query('{ regions { code name provinces { app } } credentialTypes { slug } scenarios { code } recognitionRules { id } verifiers { name } }');
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
    });

    it.each(titled([
      { reading: 'a credential with personal fields', query: credentialQuery('holderName holderCode'), fields: ['Query.credential', 'Credential.holderName', 'Credential.holderCode'] },
      { reading: 'a credential’s face fields', query: credentialQuery('faceFields { value }'), fields: ['Query.credential', 'Credential.faceFields', 'FaceField.value'] },
      { reading: 'a credential’s usage records', query: credentialQuery('usageRecords { nodes { operator } }'), fields: ['Query.credential', 'Credential.usageRecords', 'UsageRecordConnection.nodes', 'UsageRecord.operator'] },
      { reading: 'a holder’s list', query: 'query($id: ID!) { holder(code: $id) { credentials { nodes { id } } } }', fields: ['Query.holder', 'Holder.credentials', 'CredentialConnection.nodes', 'Credential.id'] },
    ], (r) => `refuses a verifier reading ${r.reading} with 403 FORBIDDEN naming ${r.fields.join(', ')}: it gets only what a verification releases`))('%s', async (_name, { query, fields }) => {
      const c = shandongId();
      const variables = query.includes('holder(') ? { id: c.holderCode } : { id: c.id };
      const r = await gql(query, variables, await verifierToken(stack, verifierNamed('济南市政务服务中心')));
      expectRefusal(r, { status: 403, code: 'FORBIDDEN', extensions: { fields } }, pii);
    });

    it.each(titled([
      { reading: 'personal fields', query: credentialQuery('holderName'), fields: ['Query.credential', 'Credential.holderName'] },
      { reading: 'a record', query: credentialQuery('id status'), fields: ['Query.credential', 'Credential.id', 'Credential.status'] },
      { reading: 'a holder’s list', query: 'query($id: ID!) { holder(code: $id) { credentials { nodes { id } } } }', fields: ['Query.holder', 'Holder.credentials', 'CredentialConnection.nodes', 'Credential.id'] },
      { reading: 'a usage record', query: credentialQuery('usageRecords { nodes { id } totalCount }'), fields: ['Query.credential', 'Credential.usageRecords', 'UsageRecordConnection.nodes', 'UsageRecord.id', 'UsageRecordConnection.totalCount'] },
    ], (r) => `refuses an analyst reading ${r.reading} with 403 FORBIDDEN naming ${r.fields.join(', ')}: aggregates only`))('%s', async (_name, { query, fields }) => {
      const c = shandongId();
      const r = await gql(query, query.includes('holder(') ? { id: c.holderCode } : { id: c.id }, await analystToken(stack));
      expectRefusal(r, { status: 403, code: 'FORBIDDEN', extensions: { fields } }, pii);
    });

    it('refuses a holder reading another holder’s credential or list with 200 FORBIDDEN', async () => {
      const mine = seeded('shandong', SEED, { type: 'e-id' }, 8);
      const theirs = shandongId();
      const token = await holderToken(stack, mine.holderCode);
      const others = pii.filter((p) => p !== mine.holderName && p !== mine.holderCode);
      const one = await gql(credentialQuery('holderName'), { id: theirs.id }, token);
      expectRefusal(one, { status: 200, code: 'FORBIDDEN', message: /belongs to another holder/ }, others);
      const list = await gql('query($c: ID!) { holder(code: $c) { credentials { nodes { id } } } }', { c: theirs.holderCode }, token);
      expectRefusal(list, { status: 200, code: 'FORBIDDEN', message: /listed for that holder only/ }, others);
    });

    it('refuses an issuer reading another region’s records with 200 FORBIDDEN', async () => {
      const r = await gql(credentialQuery('holderName'), { id: shandongId().id }, await regionIssuerToken(stack, 'yangtze-delta'));
      expectRefusal(r, { status: 200, code: 'FORBIDDEN', message: /visible to its holder/ }, pii);
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

    it('refuses a verifier reading another verifier’s verification with 200 FORBIDDEN', async () => {
      const c = seeded('shandong', SEED, { type: 'e-id' }, 9);
      const hall = verifierNamed('济南市政务服务中心');
      const code = await present(stack, c, 'service-hall-visit');
      const { body } = await verify(stack, hall, code, 'service-hall-visit');
      const r = await gql('query($id: ID!) { verification(id: $id) { verdict releasedFields { value } } }', { id: body.data.verifyPresentation.id }, await verifierToken(stack, verifierNamed('山东省公安厅交通警察总队')));
      expectRefusal(r, { status: 200, code: 'FORBIDDEN', message: /visible to the verifier that made it/ }, pii);
    });
  });

  describe('subgraphs check access again', () => {
    // Straight at a subgraph its own check answers as a field error (HTTP 200): the gateway must
    // not take it for a failing subgraph.
    it.each(titled([
      { caller: 'an anonymous caller', envelope: { role: 'anonymous' }, want: { status: 200, code: 'UNAUTHENTICATED', extensions: { fields: ['ShandongRegion.credentialCount'] } } },
      { caller: 'a holder', envelope: { role: 'holder', holderCode: '11010519491231002X' }, want: { status: 200, code: 'FORBIDDEN', extensions: { fields: ['ShandongRegion.credentialCount'] } } },
    ], (r) => `the registry refuses ${r.caller} an aggregate its SDL reserves with ${outcome(r.want)}, even with a valid gateway envelope`))('%s', async (_name, { envelope: caller, want }) => {
      const key = await stack.serviceKey('gateway');
      const body = JSON.stringify({ query: '{ _entities(representations: [{ __typename: "ShandongRegion", code: "shandong" }]) { ... on ShandongRegion { credentialCount } } }' });
      const envelope = await signEnvelope(key, 'gateway', caller as never, { audience: 'shandong', method: 'POST', path: '/graphql', body });
      const r = await post(body, { [ENVELOPE_HEADER]: envelope }, `${stack.subgraphs.get('shandong')!.url}/graphql`);
      expectRefusal(r, want, pii);
    });

    const entityQuery = (typename: string, fields: string) =>
      JSON.stringify({ query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${typename} { ${fields} } } }`, variables: { r: [{ __typename: typename, id: seeded('shandong', SEED, { type: 'e-id' }, 7).id }] } });

    it('the registry tells an anonymous caller asking for a record to sign in, with 200 UNAUTHENTICATED, even with a valid gateway envelope', async () => {
      const key = await stack.serviceKey('gateway');
      const body = entityQuery('ShandongCredential', 'holderName holderCode');
      const envelope = await signEnvelope(key, 'gateway', anonymous, { audience: 'shandong', method: 'POST', path: '/graphql', body });
      const r = await post(body, { [ENVELOPE_HEADER]: envelope }, `${stack.subgraphs.get('shandong')!.url}/graphql`);
      expectRefusal(r, { status: 200, code: 'UNAUTHENTICATED', message: /Sign in to read a credential/ }, pii);
    });

    // The record check runs when the entity is resolved, before any field's scope check.
    it.each(titled([
      { caller: 'a verifier', envelope: { role: 'verifier', region: 'shandong', organisation: '12370100MB0000000X' }, message: /visible to its holder/ },
      { caller: 'an analyst', envelope: { role: 'analyst' }, message: /visible to its holder/ },
      { caller: 'another holder', envelope: { role: 'holder', holderCode: '11010519491231002X' }, message: /belongs to another holder/ },
      { caller: 'another region’s issuer', envelope: { role: 'issuer', region: 'yangtze-delta', organisation: '11310000HT00000000' }, message: /visible to its holder/ },
    ], (r) => `the registry refuses ${r.caller} a record with 200 FORBIDDEN, even with a valid gateway envelope`))('%s', async (_name, { envelope: caller, message }) => {
      const key = await stack.serviceKey('gateway');
      const body = entityQuery('ShandongCredential', 'holderName holderCode');
      const envelope = await signEnvelope(key, 'gateway', caller as never, { audience: 'shandong', method: 'POST', path: '/graphql', body });
      const r = await post(body, { [ENVELOPE_HEADER]: envelope }, `${stack.subgraphs.get('shandong')!.url}/graphql`);
      expectRefusal(r, { status: 200, code: 'FORBIDDEN', message }, pii);
    });

    it('the catalogue refuses a verifier a holder’s list with 200 FORBIDDEN, even with a valid gateway envelope', async () => {
      const key = await stack.serviceKey('gateway');
      const body = JSON.stringify({ query: `{ holder(code: "${seeded('shandong', SEED, { type: 'e-id' }, 7).holderCode}") { credentials { nodes { id } } } }` });
      const envelope = await signEnvelope(key, 'gateway', { role: 'verifier', region: 'shandong', organisation: '12370100MB0000000X' }, { audience: 'catalogue', method: 'POST', path: '/graphql', body });
      const r = await post(body, { [ENVELOPE_HEADER]: envelope }, `${stack.subgraphs.get('catalogue')!.url}/graphql`);
      expectRefusal(r, { status: 200, code: 'FORBIDDEN', extensions: { fields: ['Query.holder'] } }, pii);
    });
  });

  describe('direct subgraph calls', () => {
    const names = ['catalogue', 'recognition', 'yangtze-delta', 'chengdu-chongqing', 'shandong'];
    const body = JSON.stringify({ query: '{ _service { sdl } }' });

    it.each(names)('refuses %s without an envelope with 401 UNAUTHENTICATED', async (name) => {
      const r = await post(body, {}, `${stack.subgraphs.get(name)!.url}/graphql`);
      expectRefusal(r, { status: 401, code: 'UNAUTHENTICATED', message: /not signed by the Hutong gateway/ }, pii);
    });

    it.each(names)('refuses %s a stale envelope with 401 UNAUTHENTICATED', async (name) => {
      const key = await stack.serviceKey('gateway');
      const stale = await new SignJWT({ caller: { role: 'admin' }, htm: 'POST', htu: '/graphql', bh: 'x' })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'hutong-envelope+jwt' })
        .setIssuer('gateway').setAudience(name).setIssuedAt(1_700_000_000).setExpirationTime(1_700_000_030).sign(key.key);
      const r = await post(body, { [ENVELOPE_HEADER]: stale }, `${stack.subgraphs.get(name)!.url}/graphql`);
      expectRefusal(r, { status: 401, code: 'UNAUTHENTICATED', message: /invalid or expired/ }, pii);
    });

    it.each(names)('refuses %s an envelope made for another subgraph with 401 UNAUTHENTICATED', async (name) => {
      const key = await stack.serviceKey('gateway');
      const other = await signEnvelope(key, 'gateway', anonymous, { audience: name === 'catalogue' ? 'shandong' : 'catalogue', method: 'POST', path: '/graphql', body });
      const r = await post(body, { [ENVELOPE_HEADER]: other }, `${stack.subgraphs.get(name)!.url}/graphql`);
      expectRefusal(r, { status: 401, code: 'UNAUTHENTICATED', message: /invalid or expired/ }, pii);
    });

    it.each(names)('refuses %s a replayed envelope with 401 UNAUTHENTICATED: each is good for one request', async (name) => {
      const key = await stack.serviceKey('gateway');
      const envelope = await signEnvelope(key, 'gateway', { role: 'admin' }, { audience: name, method: 'POST', path: '/graphql', body });
      const first = await post(body, { [ENVELOPE_HEADER]: envelope }, `${stack.subgraphs.get(name)!.url}/graphql`);
      expect(first.status).toBe(200);
      const again = await post(body, { [ENVELOPE_HEADER]: envelope }, `${stack.subgraphs.get(name)!.url}/graphql`);
      expectRefusal(again, { status: 401, code: 'UNAUTHENTICATED', message: /already used/ }, pii);
    });

    it.each(['yangtze-delta', 'chengdu-chongqing', 'shandong'])('refuses the %s service API an unsigned request with 401 UNAUTHENTICATED', async (name) => {
      const res = await fetch(`${stack.subgraphs.get(name)!.url}/internal/credentials/x`);
      expectRefusal({ status: res.status, text: await res.text() }, { status: 401, code: 'UNAUTHENTICATED', message: /not signed/ }, pii);
    });
  });

  it('still answers normal traffic after all of this', async () => {
    const { status, body } = await stack.query('{ regions { code credentialCount } }', {}, { token: await analystToken(stack) });
    expect(status).toBe(200);
    expect(body.data.regions).toHaveLength(4);
  });
});
