import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuthenticator, VERIFIED_TOKEN_CAPACITY, VERIFIED_TOKEN_REUSE_MS, type Authenticate } from '../../gateway/src/auth.js';
import { mintClientToken } from '../../subgraphs/kit/auth/client-tokens.js';
import { signJws } from '../../subgraphs/kit/auth/jws.js';
import type { SigningKey } from '../../subgraphs/kit/auth/keys.js';
import { makeCitizenId } from '../../subgraphs/kit/identifiers/index.js';
import { frozenClockAt, keyRing } from '../support/key-ring.js';

// Every signature check the gateway makes goes through this spy, which calls the real jose.
const checks = vi.hoisted(() => ({ count: 0 }));
vi.mock('jose', async (importOriginal) => {
  const jose = await importOriginal<typeof import('jose')>();
  return {
    ...jose,
    jwtVerify: (...args: Parameters<typeof jose.jwtVerify>) => {
      checks.count++;
      return jose.jwtVerify(...args);
    },
  };
});

// 2025-03-01T08:00:00Z
const NOW = 1_740_816_000;
const holderCode = makeCitizenId('320100', '1972-02-02', 8);

let folder: string;
let key: SigningKey;
let authenticate: Authenticate;

beforeAll(async () => {
  const ring = await keyRing({ es: 'identity-es', rs: 'identity-rs' });
  key = ring.es;
  folder = await mkdtemp(path.join(tmpdir(), 'hutong-verified-tokens-'));
  await writeFile(path.join(folder, 'jwks.json'), JSON.stringify(ring.jwks));
});
beforeEach(async () => {
  authenticate = await createAuthenticator({ jwksFile: path.join(folder, 'jwks.json'), issuer: 'hutong-dev-identity', audience: 'hutong' });
  checks.count = 0;
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

frozenClockAt(NOW);

const bearer = (token: string) => `Bearer ${token}`;
const holder = (sub = 'holder-1', expiresIn = '1h') => mintClientToken(key, { sub, role: 'holder', holder_code: holderCode }, { expiresIn });
const at = (msAfterNow: number) => vi.setSystemTime(NOW * 1000 + msAfterNow);

async function refusal(authorization: string): Promise<string> {
  const error = await authenticate(authorization).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GraphQLError);
  return (error as GraphQLError).message;
}

describe('a verified client token', () => {
  it('is taken again for a minute without its signature being checked again', async () => {
    expect(VERIFIED_TOKEN_REUSE_MS).toBe(60_000);
    const token = await holder();
    const caller = { role: 'holder', subject: 'holder-1', holderCode };
    await expect(authenticate(bearer(token))).resolves.toEqual(caller);
    at(59_999);
    await expect(authenticate(bearer(token))).resolves.toEqual(caller);
    expect(checks.count).toBe(1);
    // After the minute, checked again: a key the identity provider withdrew stops working.
    at(60_000);
    await expect(authenticate(bearer(token))).resolves.toEqual(caller);
    expect(checks.count).toBe(2);
  });

  it('is refused from the second it expires, though its signature was checked a moment before', async () => {
    const token = await holder('holder-1', '30s');
    await authenticate(bearer(token));
    at(29_999);
    await expect(authenticate(bearer(token))).resolves.toMatchObject({ subject: 'holder-1' });
    at(30_000);
    expect(await refusal(bearer(token))).toBe('Token refused: it has expired.');
    expect(checks.count).toBe(2);
  });

  it('does not vouch for another token: one changed by a character is checked, and refused', async () => {
    const token = await holder();
    await authenticate(bearer(token));
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const other = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(await refusal(bearer(other))).toBe('Token refused: its signature does not verify.');
    expect(checks.count).toBe(2);
  });

  it('is not remembered when it was refused: a refused token is checked, and refused, every time', async () => {
    const token = await mintClientToken(key, { sub: 'holder-1', role: 'holder', holder_code: holderCode }, { audience: 'elsewhere' });
    expect(await refusal(bearer(token))).toBe('Token refused: its aud claim is not accepted.');
    expect(await refusal(bearer(token))).toBe('Token refused: its aud claim is not accepted.');
    expect(checks.count).toBe(2);
  });

  it('is remembered among at most 10,000, the oldest forgotten first', async () => {
    expect(VERIFIED_TOKEN_CAPACITY).toBe(10_000);
    // Signed through node:crypto: ten thousand tokens through jose would take seconds.
    const tokens = Array.from({ length: VERIFIED_TOKEN_CAPACITY + 1 }, (_, i) =>
      signJws(key, { kid: key.kid, typ: 'JWT' }, { sub: `holder-${i}`, role: 'holder', holder_code: holderCode, iss: 'hutong-dev-identity', aud: 'hutong', iat: NOW, exp: NOW + 3600 }),
    );
    for (const token of tokens.slice(0, VERIFIED_TOKEN_CAPACITY)) await authenticate(bearer(token));
    expect(checks.count).toBe(10_000);
    await authenticate(bearer(tokens[1]!));
    expect(checks.count).toBe(10_000);
    await authenticate(bearer(tokens[VERIFIED_TOKEN_CAPACITY]!)); // the 10,001st: the first is forgotten
    expect(checks.count).toBe(10_001);
    await authenticate(bearer(tokens[1]!));
    expect(checks.count).toBe(10_001);
    await expect(authenticate(bearer(tokens[0]!))).resolves.toMatchObject({ subject: 'holder-0' });
    expect(checks.count).toBe(10_002);
  });
});
