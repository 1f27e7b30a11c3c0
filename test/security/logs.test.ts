/**
 * Logs never contain personal data or tokens. Real traffic goes through the whole stack with its
 * logger at level debug writing into memory (bearer tokens, refused tokens, seeded holders' citizen
 * ID numbers in variables and in invalid values, holder queries, a verification, a registry
 * outage), and hostile calls are made straight to a logger; then the captured text is searched
 * for every holder name, ID number and token used. Assertions are about the log, not about the
 * answers (which depend on authorisation rules).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { SignJWT, base64url } from 'jose';
import { ENVELOPE_HEADER } from '../../subgraphs/kit/auth/envelope.js';
import { loadSigningKey } from '../../subgraphs/kit/auth/keys.js';
import { maskErrors } from '../../subgraphs/kit/errors.js';
import { createLogger } from '../../subgraphs/kit/logger.js';
import type { CredentialRecord } from '../../subgraphs/kit/seed/credentials.js';
import { seededCredentials } from '../support/fixtures.js';
import { startStack, type Stack } from '../support/stack.js';
import { contextFor, holderToken, seeded, VERIFY, verifierNamed, verifierToken } from '../support/verification.js';

const SEED = 50;
/** A citizen ID number with a valid check character (the GB 11643 example), not in the seed. */
const EXAMPLE_ID = '11010519491231002X';

class Sink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  get text(): string {
    return this.lines.join('');
  }
  parsed(): Record<string, any>[] {
    return this.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l));
  }
}

const stackSink = new Sink();
const directSink = new Sink();
let stack: Stack;

/** Everything that must never reach a log line. */
const secrets = new Set<string>([EXAMPLE_ID]);
const personal = (c: CredentialRecord) => {
  secrets.add(c.holderCode);
  secrets.add(c.holderName);
  return c;
};
const secretToken = (t: string) => {
  secrets.add(t);
  return t;
};

const people = () => seededCredentials('shandong', SEED).filter((c) => c.holderType === '111');

async function raw(body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${stack.gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  await res.text();
  return res.status;
}

/** Never fails on a refusal: the log is what is under test here. */
async function attempt(query: string, variables: Record<string, unknown>, token?: string): Promise<void> {
  await stack.query(query, variables, token ? { token } : {}).catch(() => undefined);
}

/** The secrets (holder names, ID numbers, tokens, presentation codes) that occur in a log text. */
function leaks(text: string): string[] {
  return [...secrets].filter((s) => s.length >= 2 && text.includes(s));
}

beforeAll(async () => {
  stack = await startStack({ seedCount: SEED, logSink: stackSink });
});

afterAll(async () => {
  await stack?.stop();
});

describe('logs of real traffic', () => {
  beforeAll(async () => {
    const admin = secretToken(await stack.token({ sub: 'a', role: 'admin' }));
    const [a, b, c] = people().map(personal);
    const holderA = secretToken(await holderToken(stack, a!.holderCode));

    // Public and authenticated queries with a bearer token.
    await attempt('{ regions { code credentialCount } }', {}, admin);
    await attempt('{ regions { code } }', {}, holderA);

    // Holder queries with real citizen ID numbers in variables, by an admin and by the holder.
    const HOLDER = 'query($code: ID!) { holder(code: $code) { code credentials { nodes { id holderName holderCode } } } }';
    for (const p of [a!, b!, c!]) await attempt(HOLDER, { code: p.holderCode }, admin);
    await attempt(HOLDER, { code: a!.holderCode }, holderA);
    await attempt(HOLDER, { code: b!.holderCode }, holderA);
    await attempt('query($id: ID!) { credential(id: $id) { id holderName holderCode number faceFields { key value } } }', { id: a!.id }, admin);
    await attempt('query($id: ID!) { credential(id: $id) { id holderName holderCode } }', { id: b!.id }, holderA);

    // Invalid variable values that contain ID numbers (they end up in error messages).
    await attempt('query($n: Int) { regions { code } }', { n: a!.holderCode }, admin);
    await attempt('query($code: ID!) { holder(code: $code) { code } }', { code: { nested: b!.holderCode, name: b!.holderName } }, admin);
    await attempt(`query { holder(code: "${c!.holderCode}") { code credentials { nodes { holderName } } } }`, {}, admin);
    await attempt(`{ credential(id: "${EXAMPLE_ID}") { id } }`, {}, admin);
    await attempt(`{ holder(code: ${JSON.stringify(c!.holderName)}) { code } }`, {}, admin);
    await attempt('mutation($id: ID!) { createPresentationCode(credentialId: $id, scenario: "nope") { code } }', { id: `${a!.holderCode}-${a!.holderName}` }, holderA);

    // Refused tokens (expired, forged, alg none, wrong audience) carrying a citizen ID in their claims,
    // and an ID number as the credential itself.
    const claims = { sub: 'h', role: 'holder', holder_code: a!.holderCode } as const;
    const expired = secretToken(await stack.token(claims, { expiresIn: '-5m' }));
    const forged = secretToken(holderA.slice(0, -4) + (holderA.endsWith('AAAA') ? 'BBBB' : 'AAAA'));
    const none = secretToken(`${base64url.encode('{"alg":"none"}')}.${base64url.encode(JSON.stringify({ ...claims, iss: 'hutong-dev-identity', aud: 'hutong', exp: 9e9 }))}.`);
    const key = await loadSigningKey(stack.keyFiles.clientSigningKey);
    const wrongAudience = secretToken(await new SignJWT({ ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid }).setIssuer('hutong-dev-identity').setAudience('elsewhere').setExpirationTime('5m').sign(key.key));
    for (const t of [expired, forged, none, wrongAudience]) await raw({ query: '{ regions { code } }' }, { authorization: `Bearer ${t}` });
    await raw({ query: '{ regions { code } }' }, { authorization: `Bearer ${a!.holderCode}` });
    await raw({ query: '{ regions { code } }' }, { authorization: `Token ${a!.holderCode}` });

    // An envelope sent to a subgraph directly, and malformed bodies carrying an ID number.
    await fetch(`${stack.subgraphs.get('shandong')!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [ENVELOPE_HEADER]: holderA },
      body: JSON.stringify({ query: 'query($c: ID!) { _entities(representations: [{ __typename: "Credential", id: $c }]) { __typename } }', variables: { c: b!.holderCode } }),
    }).then((r) => r.text()).catch(() => undefined);
    await raw(`{"query": "{ holder(code: \\"${a!.holderCode}\\") { code } }", `);

    // A verification: the holder presents, a verifier checks; a second presentation is checked
    // while the issuing registry is down (the recognition subgraph logs that).
    const e = personal(seeded('shandong', SEED, { type: 'e-id' }, 5));
    const eToken = secretToken(await holderToken(stack, e.holderCode));
    const presentCode = async () => {
      const { body } = await stack
        .query<any>(
          'mutation($id: ID!, $scenario: ID) { createPresentationCode(credentialId: $id, scenario: $scenario) { code } }',
          { id: e.id, scenario: 'service-hall-visit' },
          { token: eToken },
        )
        .catch(() => ({ body: {} as any }));
      const code: string | undefined = body.data?.createPresentationCode?.code;
      return code ? secretToken(code) : `${e.holderCode}.${e.holderName}`;
    };
    const hall = verifierNamed('济南市政务服务中心');
    const vToken = secretToken(await verifierToken(stack, hall));
    const check = (code: string, operator?: string) =>
      attempt(VERIFY, { input: { code, scenario: 'service-hall-visit', context: { ...contextFor(hall, 'service-hall-visit'), ...(operator ? { operator } : {}) } } }, vToken);
    await check(await presentCode());
    await check(`${e.holderCode}.${e.holderName}`, e.holderName);
    const duringOutage = await presentCode();

    // A registry outage while holders are asked for and a credential is verified.
    await stack.stopSubgraph('shandong');
    try {
      for (const p of [a!, c!, e]) await attempt(HOLDER, { code: p.holderCode }, admin);
      await attempt('query($id: ID!) { credential(id: $id) { id holderName } }', { id: e.id }, admin);
      await check(duringOutage);
    } finally {
      await stack.restartSubgraph('shandong');
    }
  });

  it('writes log lines at level debug (the check is not vacuous)', () => {
    expect(stackSink.lines.length).toBeGreaterThan(0);
  });

  it('writes every line as valid JSON', () => {
    expect(() => stackSink.parsed()).not.toThrow();
  });

  it('holds no holder name, citizen ID number, token or presentation code of the traffic', () => {
    expect(leaks(stackSink.text)).toEqual([]);
  });

  it('holds no JWT-shaped string and no bearer credential', () => {
    expect(stackSink.text).not.toMatch(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/);
    expect(stackSink.text).not.toMatch(/Bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]+/i);
  });

  it('holds no citizen-ID-shaped number', () => {
    expect(stackSink.text).not.toMatch(/(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])/);
  });
});

describe('logs written directly', () => {
  let lines: Record<string, any>[];
  let person: CredentialRecord;
  let jwt: string;

  beforeAll(async () => {
    person = personal(people()[3]!);
    jwt = secretToken(await stack.token({ sub: 'x', role: 'holder', holder_code: person.holderCode }));
    const root = createLogger('direct', 'debug', directSink);
    const logger = root.child({ subgraph: 'shandong' });

    logger.info({ credential: { id: person.id, holderName: person.holderName, holderCode: person.holderCode } }, 'nested one level');
    logger.info({ a: { b: { c: { d: { holderName: person.holderName, holder_code: person.holderCode } } } } }, 'nested four levels');
    logger.info({ list: [{ holder: { name: person.holderName, code: person.holderCode } }] }, 'holder in a list');
    logger.info({ req: { headers: { authorization: `Bearer ${jwt}`, [ENVELOPE_HEADER]: jwt, 'content-type': 'application/json' } } }, 'headers');
    logger.info({ variables: { code: person.holderCode, name: person.holderName } }, 'variables');
    logger.info({ caller: { role: 'holder', holderCode: person.holderCode }, token: jwt }, 'caller');
    logger.info({ note: `holder ${person.holderCode} sent ${jwt}`, org: '91370000HT71218912' }, 'free text');

    const err = new Error(`Variable "$code" got invalid value "${person.holderCode}"; token ${jwt}`);
    logger.error({ err, errorId: 'e1' }, 'internal error');
    logger.error(err);
    logger.error({ err });
    logger.warn({ reason: err.message, cause: new Error('wrapped', { cause: err }) }, 'wrapped error');
    logger.info(`msg with ${person.holderCode} and Bearer ${jwt}`);
    logger.info('interpolated %s and %o', person.holderCode, { holderName: person.holderName });
    logger.info({ msg: `object msg ${person.holderCode}` });
    // What a subgraph's error masking logs for an unexpected error about a variable.
    maskErrors(logger, 'subgraph shandong')(
      { message: 'x', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      new GraphQLError(
        `Variable "$input" got invalid value { holderName: ${JSON.stringify(person.holderName)}, holderCode: "${person.holderCode}", nmae: "x" }; Field "nmae" is not defined by type "IssueInput".`,
        { extensions: { holderName: person.holderName, token: jwt } },
      ),
    );

    const cyclic: Record<string, unknown> = { holderName: person.holderName, code: person.holderCode };
    cyclic.self = cyclic;
    logger.info({ cyclic }, 'cyclic');
    let deep: Record<string, unknown> = { holderCode: person.holderCode, note: person.holderCode };
    for (let i = 0; i < 50; i++) deep = { deeper: deep };
    logger.info({ deep }, 'very deep');

    root.child({ holderCode: person.holderCode, note: person.holderCode }).child({ token: jwt }).info('child bindings');
    root.child({ region: 'shandong' }).info({ holderName: person.holderName }, 'grandchild inherits');
    lines = directSink.parsed();
  });

  it('writes one JSON line per call', () => {
    expect(lines.length).toBe(19);
  });

  it('holds none of the personal data or tokens logged', () => {
    expect(leaks(directSink.text)).toEqual([]);
    expect(directSink.text).not.toContain(person.holderName);
  });

  it('redacts sensitive keys at any depth', () => {
    const byMsg = (m: string) => lines.find((l) => l.msg === m)!;
    expect(byMsg('nested one level').credential.holderName).toBe('[redacted]');
    expect(byMsg('nested four levels').a.b.c.d).toEqual({ holderName: '[redacted]', holder_code: '[redacted]' });
    expect(byMsg('holder in a list').list[0].holder).toEqual({ name: '[redacted]', code: '[redacted]' });
    expect(byMsg('headers').req.headers).toEqual({ authorization: '[redacted]', [ENVELOPE_HEADER]: '[redacted]', 'content-type': 'application/json' });
    expect(byMsg('grandchild inherits').holderName).toBe('[redacted]');
  });

  it('masks ID numbers and tokens inside strings, messages and stacks, keeping organisation codes', () => {
    const free = lines.find((l) => l.msg === 'free text')!;
    expect(free.note).toBe('holder [id-number] sent [token]');
    expect(free.org).toBe('91370000HT71218912');
    const internal = lines.find((l) => l.msg === 'internal error')!;
    expect(internal.err.message).toContain('[id-number]');
    expect(internal.err.stack).toContain('[id-number]');
    expect(internal.err.type).toBe('Error');
    expect(lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('msg with [id-number] and Bearer [redacted]'))).toBe(true);
  });

  it('survives cycles and very deep objects', () => {
    expect(lines.find((l) => l.msg === 'cyclic')!.cyclic.self).toBe('[circular]');
    expect(JSON.stringify(lines.find((l) => l.msg === 'very deep'))).toContain('[too deep]');
  });
});

describe('an internal error', () => {
  it('reaches the client masked with a request id, and the detail reaches every service’s log under that id', async () => {
    const shandong = stack.subgraphs.get('shandong')!;
    const c = seeded('shandong', SEED, { type: 'e-id' }, 2);
    await shandong.db.query('alter table credential rename to credential_elsewhere');
    let res: Response;
    try {
      res = await fetch(`${stack.gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.token({ sub: 'a', role: 'admin' })}` },
        body: JSON.stringify({ query: 'query($id: ID!) { credential(id: $id) { name } }', variables: { id: c.id } }),
      });
    } finally {
      await shandong.db.query('alter table credential_elsewhere rename to credential');
    }
    const body = (await res.json()) as { errors: { message: string; extensions: Record<string, string> }[] };
    const requestId = res.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const error = body.errors[0]!;
    expect(error.extensions).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', requestId });
    expect(JSON.stringify(body)).not.toMatch(/relation|credential_elsewhere|select|\.ts:/);

    const lines = stackSink.parsed().filter((l) => l.requestId === requestId && l.level >= 50);
    const gatewayLine = lines.find((l) => l.service === 'gateway');
    const registryLine = lines.find((l) => l.subgraph === 'shandong');
    expect(gatewayLine?.errorId).toBe(error.extensions.errorId);
    expect(registryLine?.err?.message).toMatch(/relation "credential" does not exist/);
  });
});
