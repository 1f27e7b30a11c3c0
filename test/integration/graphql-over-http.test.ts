/**
 * GraphQL over HTTP at the real gateway: the graphql-http package's server audits, the HTTP
 * status of each kind of error for both media types (gateway/src/http-status.ts), bytes that
 * are not UTF-8 in the URL or the body, and the cap on copies of the introspection result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { getIntrospectionQuery } from 'graphql';
import { serverAudits } from 'graphql-http';
import { startStack, type Stack } from '../support/stack.js';
import { contextFor, holderToken, present, seeded, VERIFY, verifierNamed, verifierToken } from '../support/verification.js';
import { httpStatusFor } from '../../gateway/src/http-status.js';

const SEED = 200;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ seedCount: SEED });
});
afterAll(async () => {
  await stack?.stop();
});

const JSON_MEDIA = 'application/json';
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] };
}

async function send(body: string | Uint8Array, options: { accept?: string; token?: string; url?: string; method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await fetch(options.url ?? `${stack.gatewayUrl}/graphql`, {
    method: options.method ?? 'POST',
    headers: {
      ...(options.method === 'GET' ? { 'apollo-require-preflight': 'true' } : { 'content-type': 'application/json' }),
      ...(options.accept ? { accept: options.accept } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    ...(options.method === 'GET' ? {} : { body }),
  });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), text, body: text ? JSON.parse(text) : {} };
}

const operation = (query: string, variables?: unknown, options: { accept?: string; token?: string } = {}) => send(JSON.stringify({ query, variables }), options);

/** Status, first error's code and reason, whether a data entry is there and what it is: compared whole. */
const outcome = (a: Answer) => ({
  status: a.status,
  code: a.body.errors?.[0]?.extensions?.code,
  reason: a.body.errors?.[0]?.extensions?.reason,
  data: 'data' in a.body ? a.body.data : 'absent',
});

describe('graphql-http server audits', () => {
  // GET requests without a header that forces a CORS preflight are refused by Apollo Server's CSRF
  // prevention (the gateway keeps it on): these MAY audits send such GETs. With
  // `apollo-require-preflight: true` or `content-type: application/json` GET works (tested below).
  const knownMayFailures: Record<string, string> = {
    '5A70': 'GET without a preflight header is refused as a possible cross-site request forgery',
    D6D5: 'GET without a preflight header is refused as a possible cross-site request forgery',
    '6A70': 'GET without a preflight header is refused as a possible cross-site request forgery',
  };
  const audits = serverAudits({ url: () => `${stack.gatewayUrl}/graphql`, fetchFn: fetch });

  it('are all run: 13 MUST, 23 SHOULD', () => {
    expect(audits.filter((a) => a.name.startsWith('MUST')).length).toBe(13);
    expect(audits.filter((a) => a.name.startsWith('SHOULD')).length).toBe(23);
  });

  it.each(audits.map((a) => [`${a.id} ${a.name}`, a] as const))('%s', async (_name, audit) => {
    const result = await audit.fn();
    if (knownMayFailures[audit.id]) {
      expect(audit.name.startsWith('MAY')).toBe(true);
      expect(result.status).toBe('notice');
    } else {
      expect({ status: result.status, reason: 'reason' in result ? result.reason : undefined }).toEqual({ status: 'ok', reason: undefined });
    }
  });
});

describe('the HTTP status of errors, one rule for both media types', () => {
  describe('a request that fails before execution: 400 with graphql-response+json, 200 with json', () => {
    it.each([
      [GRAPHQL_RESPONSE, 400],
      [JSON_MEDIA, 200],
      ['', 200], // no Accept header: application/json
      [`${GRAPHQL_RESPONSE}, ${JSON_MEDIA};q=0.9`, 400], // what Apollo Client sends
      [`${JSON_MEDIA}, ${GRAPHQL_RESPONSE};q=0.9`, 200],
    ])('a parse error accepting "%s" is %i GRAPHQL_PARSE_FAILED, without a data entry', async (accept, status) => {
      const a = await operation('{ regions { code }', undefined, { accept });
      expect(outcome(a)).toEqual({ status, code: 'GRAPHQL_PARSE_FAILED', reason: undefined, data: 'absent' });
      expect(a.contentType).toBe(`${status === 400 ? GRAPHQL_RESPONSE : JSON_MEDIA}; charset=utf-8`);
    });

    it.each([
      [GRAPHQL_RESPONSE, 400],
      [JSON_MEDIA, 200],
    ])('a validation error accepting %s is %i GRAPHQL_VALIDATION_FAILED', async (accept, status) => {
      const a = await operation('{ passwords }', undefined, { accept });
      expect(outcome(a)).toEqual({ status, code: 'GRAPHQL_VALIDATION_FAILED', reason: undefined, data: 'absent' });
    });

    it.each([
      [GRAPHQL_RESPONSE, 400],
      [JSON_MEDIA, 200],
    ])('a variable coercion error accepting %s is %i BAD_USER_INPUT', async (accept, status) => {
      const a = await operation('query($code: ID!) { region(code: $code) { name } }', { code: null }, { accept });
      expect(outcome(a)).toEqual({ status, code: 'BAD_USER_INPUT', reason: undefined, data: 'absent' });
      expect(a.body.errors![0]!.message).toMatch(/Variable "\$code" of non-null type "ID!" must not be null/);
    });

    it.each([
      [GRAPHQL_RESPONSE, 400],
      [JSON_MEDIA, 200],
    ])('an operation name the document does not define accepting %s is %i OPERATION_RESOLUTION_FAILURE', async (accept, status) => {
      const a = await send(JSON.stringify({ query: 'query A { regions { code } }', operationName: 'B' }), { accept });
      expect(outcome(a)).toEqual({ status, code: 'OPERATION_RESOLUTION_FAILURE', reason: undefined, data: 'absent' });
    });
  });

  describe('a refusal of the caller with nothing answered: its own status, for both media types', () => {
    it.each([GRAPHQL_RESPONSE, JSON_MEDIA])('an anonymous caller asking for a holder’s field gets 401 UNAUTHENTICATED (%s)', async (accept) => {
      const holder = seeded('shandong', SEED, { type: 'e-id' });
      const a = await operation('query($c: ID!) { holder(code: $c) { credentials { nodes { id } } } }', { c: holder.holderCode }, { accept });
      expect(outcome(a)).toEqual({ status: 401, code: 'UNAUTHENTICATED', reason: undefined, data: 'absent' });
      expect(a.body.errors![0]!.extensions!.fields).toEqual(['Query.holder', 'Holder.credentials', 'CredentialConnection.nodes', 'Credential.id']);
    });

    it.each([GRAPHQL_RESPONSE, JSON_MEDIA])('a verifier refused by recognition for a scenario it is not registered for gets 403 FORBIDDEN SCENARIO_NOT_REGISTERED (%s)', async (accept) => {
      const credential = seeded('shandong', SEED, { type: 'e-id' }, accept === JSON_MEDIA ? 1 : 2);
      const code = await present(stack, credential);
      const library = verifierNamed('重庆图书馆');
      const input = { code, scenario: 'service-hall-visit', context: contextFor(library, 'service-hall-visit') };
      const a = await operation(VERIFY, { input }, { accept, token: await verifierToken(stack, library) });
      expect(outcome(a)).toEqual({ status: 403, code: 'FORBIDDEN', reason: 'SCENARIO_NOT_REGISTERED', data: null });
    });

    it.each([GRAPHQL_RESPONSE, JSON_MEDIA])('a holder presenting another holder’s credential gets 403 FORBIDDEN (%s)', async (accept) => {
      const theirs = seeded('shandong', SEED, { type: 'e-id' }, 3);
      const mine = seeded('shandong', SEED, { type: 'e-id' }, 4);
      const a = await operation('mutation($id: ID!) { createPresentationCode(credentialId: $id) { code } }', { id: theirs.id }, { accept, token: await holderToken(stack, mine.holderCode) });
      expect(outcome(a)).toEqual({ status: 403, code: 'FORBIDDEN', reason: undefined, data: null });
      expect(a.body.errors![0]!.message).toBe('You can only present your own credentials.');
    });

    it('a refused token gets 401 UNAUTHENTICATED with graphql-response+json too', async () => {
      const a = await send(JSON.stringify({ query: '{ regions { code } }' }), { accept: GRAPHQL_RESPONSE, headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(outcome(a)).toEqual({ status: 401, code: 'UNAUTHENTICATED', reason: undefined, data: 'absent' });
    });
  });

  describe('anything executed that answered something, or failed for another reason: 200', () => {
    it.each([GRAPHQL_RESPONSE, JSON_MEDIA])('a holder reading another holder’s credential gets 200 with data { credential: null } and FORBIDDEN (%s): a partial answer', async (accept) => {
      const theirs = seeded('shandong', SEED, { type: 'e-id' }, 5);
      const mine = seeded('shandong', SEED, { type: 'e-id' }, 6);
      const a = await operation('query($id: ID!) { credential(id: $id) { holderName } }', { id: theirs.id }, { accept, token: await holderToken(stack, mine.holderCode) });
      expect(outcome(a)).toEqual({ status: 200, code: 'FORBIDDEN', reason: undefined, data: { credential: null } });
    });

    it.each([GRAPHQL_RESPONSE, JSON_MEDIA])('a garbage presentation code gets 200 with data null and BAD_USER_INPUT PRESENTATION_CODE_INVALID (%s)', async (accept) => {
      const police = verifierNamed('上海市公安局交通警察总队');
      const input = { code: 'a.b.c', scenario: 'traffic-check', context: contextFor(police, 'traffic-check') };
      const a = await operation(VERIFY, { input }, { accept, token: await verifierToken(stack, police) });
      expect(outcome(a)).toEqual({ status: 200, code: 'BAD_USER_INPUT', reason: 'PRESENTATION_CODE_INVALID', data: null });
    });
  });

  it.each([GRAPHQL_RESPONSE, JSON_MEDIA])('a mutation sent with GET stays 405, as the spec requires (%s)', async (accept) => {
    const query = encodeURIComponent('mutation { createPresentationCode(credentialId: "x") { code } }');
    const a = await send('', { method: 'GET', url: `${stack.gatewayUrl}/graphql?query=${query}`, accept });
    expect(outcome(a).status).toBe(405);
  });

  describe('httpStatusFor, case by case', () => {
    const e = (code: string) => ({ extensions: { code } });
    const cases: { name: string; media: typeof GRAPHQL_RESPONSE | typeof JSON_MEDIA; result: { data?: unknown; errors?: { extensions: { code: string } }[] }; preset?: number; status: number }[] = [
      { name: 'no error', media: GRAPHQL_RESPONSE, result: { data: { a: 1 } }, status: 200 },
      { name: 'partial data with a refusal', media: GRAPHQL_RESPONSE, result: { data: { a: null }, errors: [e('FORBIDDEN')] }, status: 200 },
      { name: 'data null, UNAUTHENTICATED and FORBIDDEN: 401 first', media: JSON_MEDIA, result: { data: null, errors: [e('FORBIDDEN'), e('UNAUTHENTICATED')] }, status: 401 },
      { name: 'data null, FORBIDDEN and SUBGRAPH_UNAVAILABLE', media: GRAPHQL_RESPONSE, result: { data: null, errors: [e('SUBGRAPH_UNAVAILABLE'), e('FORBIDDEN')] }, status: 403 },
      { name: 'data null, RATE_LIMITED', media: JSON_MEDIA, result: { data: null, errors: [e('RATE_LIMITED')] }, status: 429 },
      { name: 'data null, SUBGRAPH_UNAVAILABLE', media: GRAPHQL_RESPONSE, result: { data: null, errors: [e('SUBGRAPH_UNAVAILABLE')] }, status: 200 },
      { name: 'no data, validation failed', media: GRAPHQL_RESPONSE, result: { errors: [e('GRAPHQL_VALIDATION_FAILED')] }, preset: 400, status: 400 },
      { name: 'no data, validation failed', media: JSON_MEDIA, result: { errors: [e('GRAPHQL_VALIDATION_FAILED')] }, preset: 400, status: 200 },
      { name: 'no data, persisted query not found', media: GRAPHQL_RESPONSE, result: { errors: [e('PERSISTED_QUERY_NOT_FOUND')] }, preset: 200, status: 400 },
      { name: 'no data, persisted query not found', media: JSON_MEDIA, result: { errors: [e('PERSISTED_QUERY_NOT_FOUND')] }, preset: 200, status: 200 },
      { name: 'no data, no query or a subscription (BAD_REQUEST)', media: JSON_MEDIA, result: { errors: [e('BAD_REQUEST')] }, preset: 400, status: 400 },
      { name: 'no data, an internal error before execution', media: JSON_MEDIA, result: { errors: [e('INTERNAL_SERVER_ERROR')] }, preset: 500, status: 500 },
      { name: 'no data, a validation error and an internal error', media: GRAPHQL_RESPONSE, result: { errors: [e('GRAPHQL_VALIDATION_FAILED'), e('INTERNAL_SERVER_ERROR')] }, status: 500 },
      { name: 'a mutation sent with GET', media: JSON_MEDIA, result: { errors: [e('BAD_REQUEST')] }, preset: 405, status: 405 },
    ];
    it.each(cases.map((c) => [`${c.name} (${c.media}) → ${c.status}`, c] as const))('%s', (_name, c) => {
      expect(httpStatusFor(c.media, c.result, c.preset)).toBe(c.status);
    });
  });
});

describe('bytes that are not UTF-8 are refused, never run', () => {
  const invalidUtf8 = outcomeOf(400, 'BAD_REQUEST', 'INVALID_UTF8');
  function outcomeOf(status: number, code: string, reason?: string) {
    return { status, code, reason, data: 'absent' };
  }
  /** `{"query":"{ regions { code } } # <bytes>"}` as raw bytes. */
  const bodyWith = (bytes: number[]) =>
    Buffer.concat([Buffer.from('{"query":"{ regions { code } } # '), Buffer.from(bytes), Buffer.from('"}')]);

  it.each([
    ['0xC3 0x28 (a lead byte without its continuation)', [0xc3, 0x28]],
    ['0xFF', [0xff]],
    ['0xED 0xA0 0x80 (an encoded surrogate)', [0xed, 0xa0, 0x80]],
    ['0xC0 0xAF (an overlong "/")', [0xc0, 0xaf]],
  ])('in the body: %s is 400 BAD_REQUEST INVALID_UTF8 and no subgraph is called', async (_name, bytes) => {
    for (const accept of [GRAPHQL_RESPONSE, JSON_MEDIA]) {
      const before = stack.graphqlRequests('catalogue');
      const a = await send(bodyWith(bytes), { accept });
      expect(outcome(a)).toEqual(invalidUtf8);
      expect(a.body.errors![0]!.message).toBe('The request body is not valid UTF-8; GraphQL requests are UTF-8 encoded JSON.');
      expect(stack.graphqlRequests('catalogue')).toBe(before);
    }
  });

  it('in the body: valid UTF-8 (互通互认) runs', async () => {
    const a = await send(bodyWith([...Buffer.from('互通互认')]));
    expect(a.status).toBe(200);
    expect(a.body.data.regions).toHaveLength(4);
  });

  it('in the URL: %C3%28 in a GET’s query is 400 BAD_REQUEST INVALID_UTF8 and no subgraph is called', async () => {
    const before = stack.graphqlRequests('catalogue');
    for (const accept of [GRAPHQL_RESPONSE, JSON_MEDIA]) {
      const a = await send('', { method: 'GET', url: `${stack.gatewayUrl}/graphql?query=%7B%20regions%20%7B%20code%20%7D%20%7D%20%23%C3%28`, accept });
      expect(outcome(a)).toEqual(invalidUtf8);
      expect(a.body.errors![0]!.message).toBe('The URL is not valid UTF-8 once its %-escapes are decoded; GraphQL requests are UTF-8.');
    }
    const inVariables = await send('', { method: 'GET', url: `${stack.gatewayUrl}/graphql?query=${encodeURIComponent('query($c: ID!) { region(code: $c) { name } }')}&variables=%7B%22c%22%3A%22%C3%28%22%7D` });
    expect(outcome(inVariables)).toEqual(invalidUtf8);
    expect(stack.graphqlRequests('catalogue')).toBe(before);
  });

  it('in the URL: %E4%BA%92 (互, valid UTF-8) in a GET’s query runs', async () => {
    const a = await send('', { method: 'GET', url: `${stack.gatewayUrl}/graphql?query=%7B%20regions%20%7B%20code%20%7D%20%7D%20%23%E4%BA%92` });
    expect(a.status).toBe(200);
    expect(a.body.data.regions).toHaveLength(4);
  });

  it('in the URL: raw bytes 0xC3 0x28 are refused with 400 by Node’s HTTP parser, before the gateway', async () => {
    const url = new URL(stack.gatewayUrl);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      // Node's client writes the path as latin1: '\u00c3(' goes out as the bytes 0xC3 0x28.
      const req = httpRequest({ host: url.hostname, port: url.port, method: 'GET', path: '/graphql?query=%7B__typename%7D&x=\u00c3(', headers: { 'apollo-require-preflight': 'true' } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer).toEqual({ status: 400, body: '' });
  });
});

describe('copies of the introspection result', () => {
  const full = getIntrospectionQuery({ descriptions: true });
  // The introspection query's own fragments, and its __schema selection as one more fragment.
  const schemaBody = full.slice(full.indexOf('__schema {') + '__schema '.length, full.indexOf('fragment FullType'));
  const fragments = full.slice(full.indexOf('fragment FullType'));
  const schemaFragment = `fragment SchemaParts on __Schema ${schemaBody.trim().replace(/\}$/, '')}`;
  const copies = (n: number) => `query Copies { ${Array.from({ length: n }, (_, i) => `s${i}: __schema { ...SchemaParts }`).join(' ')} } ${schemaFragment} ${fragments}`;

  it('one copy is answered, and is large: the reason for the cap', async () => {
    const a = await operation(copies(1), undefined, { accept: GRAPHQL_RESPONSE });
    expect(a.status).toBe(200);
    expect(a.body.errors).toBeUndefined();
    expect(a.text.length).toBeGreaterThan(100_000);
  });

  it.each([
    [GRAPHQL_RESPONSE, 400],
    [JSON_MEDIA, 200],
  ])('ten aliased copies accepting %s are refused before execution with %i GRAPHQL_VALIDATION_FAILED INTROSPECTION_REPEATED, in a small body', async (accept, status) => {
    const a = await operation(copies(10), undefined, { accept });
    expect(outcome(a)).toEqual({ status, code: 'GRAPHQL_VALIDATION_FAILED', reason: 'INTROSPECTION_REPEATED', data: 'absent' });
    expect(a.body.errors![0]!.message).toBe('An operation may select __schema once; this one selects it 10 times (s0, s1, s2, s3, s4). Ask once and reuse the answer.');
    expect(a.text.length).toBeLessThan(1000);
  });

  it.each([
    ['two aliased __schema', '{ a: __schema { queryType { name } } b: __schema { queryType { name } } }', '__schema', 2],
    ['two aliased __type', '{ a: __type(name: "Region") { name } b: __type(name: "Holder") { name } }', '__type', 2],
    ['__schema and an aliased __schema', '{ __schema { queryType { name } } s: __schema { queryType { name } } }', '__schema', 2],
    ['two copies from two fragments', '{ ...A ...B } fragment A on Query { a: __schema { queryType { name } } } fragment B on Query { ... on Query { b: __schema { queryType { name } } } }', '__schema', 2],
  ])('%s: refused', async (_name, query, field, n) => {
    const a = await operation(query, undefined, { accept: GRAPHQL_RESPONSE });
    expect(outcome(a)).toEqual({ status: 400, code: 'GRAPHQL_VALIDATION_FAILED', reason: 'INTROSPECTION_REPEATED', data: 'absent' });
    expect(a.body.errors![0]!.message).toMatch(new RegExp(`^An operation may select ${field} once; this one selects it ${n} times`));
  });

  it.each([
    ['one __schema and one __type', '{ __schema { queryType { name } } __type(name: "Region") { name } }'],
    ['the same __schema twice under one key (merged into one answer)', '{ __schema { queryType { name } } __schema { mutationType { name } } }'],
    ['one __schema through a fragment spread twice', '{ ...A ...A } fragment A on Query { __schema { queryType { name } } }'],
  ])('%s: answered', async (_name, query) => {
    const a = await operation(query, undefined, { accept: GRAPHQL_RESPONSE });
    expect(a.body.errors).toBeUndefined();
    expect(a.status).toBe(200);
  });
});
