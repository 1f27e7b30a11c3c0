import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraphQLError } from 'graphql';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthenticator, type Authenticate } from '../../gateway/src/auth.js';
import { loadGatewayConfig } from '../../gateway/src/config.js';
import { DEV_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER, mintClientToken, type ClientTokenClaims } from '../../subgraphs/kit/auth/client-tokens.js';
import { generateSigningKeyPair, signingKeyFromJwk, type SigningKey } from '../../subgraphs/kit/auth/keys.js';
import { makeCitizenId, makeUscc } from '../../subgraphs/kit/identifiers/index.js';
import { frozenClockAt, keyRing } from '../support/key-ring.js';

// 2025-03-01T08:00:00Z
const NOW = 1_740_816_000;
const BAD_HEADER = 'Authorization header must be "Bearer <token>".';

const citizenId = makeCitizenId('500103', '1988-11-02', 42);
const uscc = makeUscc('1', '1', '500000', 'MB0K7J3P');
const holder: ClientTokenClaims = { sub: 'holder-chongqing-1', role: 'holder', holder_code: citizenId };
const verifier: ClientTokenClaims = {
  sub: 'operator-of-library',
  role: 'verifier',
  region: 'chengdu-chongqing',
  org: uscc,
  org_name: '重庆图书馆',
  scenarios: ['library-card'],
};

let folder: string;
let jwksFile: string;
let jwks: { keys: JWK[] };
let identityKey: SigningKey; // ES256, in the identity provider's key set
let identityRsaKey: SigningKey; // RS256, in the key set
let impostorKey: SigningKey; // same kid as identityKey, not in the key set
let unknownKey: SigningKey; // a kid the key set does not have
let identityPublicJwk: JWK;
let authenticate: Authenticate;

beforeAll(async () => {
  const ring = await keyRing({ es: 'identity-es', rs: 'identity-rs' });
  ({ es: identityKey, rs: identityRsaKey, impostor: impostorKey, esPublicJwk: identityPublicJwk, jwks } = ring);
  unknownKey = await signingKeyFromJwk((await generateSigningKeyPair('identity-retired', 'ES256')).privateJwk);
  folder = await mkdtemp(path.join(tmpdir(), 'hutong-client-tokens-'));
  jwksFile = path.join(folder, 'client-jwks.json');
  await writeFile(jwksFile, JSON.stringify(jwks));
  // The gateway's own defaults decide which issuer and audience it accepts.
  authenticate = await createAuthenticator(loadGatewayConfig({ HUTONG_CLIENT_JWKS_FILE: jwksFile }).clientAuth);
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

frozenClockAt(NOW);

/** A client token with literal claims; a claim set to undefined is left out. */
function craft(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key: SigningKey = identityKey): Promise<string> {
  return new SignJWT({ ...holder, iss: 'hutong-dev-identity', aud: 'hutong', iat: NOW, exp: NOW + 3600, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.key);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refusal(authorization: string | undefined, auth: Authenticate = authenticate): Promise<string> {
  const error = await auth(authorization).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GraphQLError);
  expect((error as GraphQLError).extensions).toEqual({ code: 'UNAUTHENTICATED', http: { status: 401 } });
  return (error as GraphQLError).message;
}

describe('minting a development client token', () => {
  it('uses the development identity provider’s issuer and the hutong audience for 8 hours', async () => {
    expect(DEV_TOKEN_ISSUER).toBe('hutong-dev-identity');
    expect(DEV_TOKEN_AUDIENCE).toBe('hutong');
    const token = await mintClientToken(identityKey, verifier);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'identity-es', typ: 'JWT' });
    expect(decodeJwt(token)).toEqual({
      sub: 'operator-of-library',
      role: 'verifier',
      region: 'chengdu-chongqing',
      org: uscc,
      org_name: '重庆图书馆',
      scenarios: ['library-card'],
      iss: 'hutong-dev-identity',
      aud: 'hutong',
      iat: NOW,
      exp: NOW + 8 * 3600,
    });
  });

  it('takes another issuer, audience and lifetime when asked', async () => {
    const token = await mintClientToken(identityRsaKey, holder, { issuer: 'https://idp.example.cn', audience: 'hutong-staging', expiresIn: '15m' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: 'identity-rs', typ: 'JWT' });
    expect(decodeJwt(token)).toEqual({
      sub: 'holder-chongqing-1',
      role: 'holder',
      holder_code: citizenId,
      iss: 'https://idp.example.cn',
      aud: 'hutong-staging',
      iat: NOW,
      exp: NOW + 900,
    });
  });
});

describe('the gateway authenticating a client', () => {
  it('treats a request without Authorization header as anonymous', async () => {
    await expect(authenticate(undefined)).resolves.toEqual({ role: 'anonymous' });
    await expect(authenticate('')).resolves.toEqual({ role: 'anonymous' });
  });

  it('turns a minted holder token into the holder', async () => {
    const token = await mintClientToken(identityKey, holder);
    await expect(authenticate(`Bearer ${token}`)).resolves.toEqual({
      role: 'holder',
      subject: 'holder-chongqing-1',
      holderCode: citizenId,
      region: undefined,
      organisation: undefined,
      organisationName: undefined,
      scenarios: undefined,
    });
  });

  it('accepts tokens signed with ES256 and RS256', async () => {
    await expect(authenticate(`Bearer ${await mintClientToken(identityKey, verifier)}`)).resolves.toMatchObject({ role: 'verifier', organisation: uscc });
    await expect(authenticate(`Bearer ${await mintClientToken(identityRsaKey, verifier)}`)).resolves.toMatchObject({ role: 'verifier', organisation: uscc });
  });

  describe('the Authorization header', () => {
    it('must be the Bearer scheme followed by a single space and the token', async () => {
      const token = await mintClientToken(identityKey, holder);
      for (const header of [token, `bearer ${token}`, `Basic ${token}`, `Bearer  ${token}`, `Bearer ${token} `, ` Bearer ${token}`, `xBearer ${token}`, `Bearer ${token}\n`, 'Bearer ']) {
        expect(await refusal(header), JSON.stringify(header)).toBe(BAD_HEADER);
      }
    });

    it('carries a token of 10 to 8192 base64url characters and dots', async () => {
      expect(await refusal('Bearer abcdefghi')).toBe(BAD_HEADER);
      expect(await refusal('Bearer abcdefghij')).toBe('Token refused: it is malformed.');
      expect(await refusal(`Bearer ${'a'.repeat(8192)}`)).toBe('Token refused: it is malformed.');
      expect(await refusal(`Bearer ${'a'.repeat(8193)}`)).toBe(BAD_HEADER);
      expect(await refusal('Bearer a-b_c.d-e_f.g-h')).toBe('Token refused: it is malformed.');
      for (const token of ['abcdefghi+j', 'abcdefghi/j', 'abcdefghij=', 'abcde fghij']) {
        expect(await refusal(`Bearer ${token}`), token).toBe(BAD_HEADER);
      }
    });
  });

  describe('expiry', () => {
    it('accepts a token in its last second and refuses it from its expiry on, with no tolerance', async () => {
      const token = await craft({ exp: NOW + 60 });
      vi.setSystemTime((NOW + 59) * 1000);
      await expect(authenticate(`Bearer ${token}`)).resolves.toMatchObject({ role: 'holder' });
      vi.setSystemTime((NOW + 60) * 1000);
      expect(await refusal(`Bearer ${token}`)).toBe('Token refused: it has expired.');
    });

    it('refuses a minted token after its 8 hours', async () => {
      const token = await mintClientToken(identityKey, holder);
      vi.setSystemTime((NOW + 8 * 3600 - 1) * 1000);
      await expect(authenticate(`Bearer ${token}`)).resolves.toMatchObject({ role: 'holder' });
      vi.setSystemTime((NOW + 8 * 3600) * 1000);
      expect(await refusal(`Bearer ${token}`)).toBe('Token refused: it has expired.');
    });

    it('refuses a token without expiry', async () => {
      expect(await refusal(`Bearer ${await craft({ exp: undefined })}`)).toBe('Token refused: its exp claim is not accepted.');
    });
  });

  describe('issuer and audience', () => {
    it('refuses a token from another issuer or without one', async () => {
      expect(await refusal(`Bearer ${await craft({ iss: 'https://idp.example.cn' })}`)).toBe('Token refused: its iss claim is not accepted.');
      expect(await refusal(`Bearer ${await craft({ iss: undefined })}`)).toBe('Token refused: its iss claim is not accepted.');
    });

    it('refuses a token for another audience or without one', async () => {
      expect(await refusal(`Bearer ${await craft({ aud: 'hutong-staging' })}`)).toBe('Token refused: its aud claim is not accepted.');
      expect(await refusal(`Bearer ${await craft({ aud: undefined })}`)).toBe('Token refused: its aud claim is not accepted.');
      await expect(authenticate(`Bearer ${await craft({ aud: ['other', 'hutong'] })}`)).resolves.toMatchObject({ role: 'holder' });
    });

    it('accepts the issuer and audience it is configured with', async () => {
      const auth = await createAuthenticator({ jwksFile, issuer: 'https://idp.example.cn', audience: 'hutong-staging' });
      const token = await mintClientToken(identityKey, holder, { issuer: 'https://idp.example.cn', audience: 'hutong-staging' });
      await expect(auth(`Bearer ${token}`)).resolves.toMatchObject({ role: 'holder' });
      expect(await refusal(`Bearer ${await mintClientToken(identityKey, holder)}`, auth)).toBe('Token refused: its iss claim is not accepted.');
    });
  });

  describe('signature', () => {
    it('refuses a token signed by another key under a known key id', async () => {
      expect(await refusal(`Bearer ${await craft({}, {}, impostorKey)}`)).toBe('Token refused: its signature does not verify.');
    });

    it('refuses a token whose claims were altered after signing', async () => {
      const [header, , signature] = (await craft()).split('.');
      const altered = `${header}.${b64({ ...holder, role: 'admin', iss: 'hutong-dev-identity', aud: 'hutong', iat: NOW, exp: NOW + 3600 })}.${signature}`;
      expect(await refusal(`Bearer ${altered}`)).toBe('Token refused: its signature does not verify.');
    });

    it('refuses a token signed by a key it does not know', async () => {
      expect(await refusal(`Bearer ${await craft({}, {}, unknownKey)}`)).toBe('Token refused: it is signed with an unknown key.');
    });

    it('refuses alg none and HS256 keyed by the public key', async () => {
      const claims = { ...holder, iss: 'hutong-dev-identity', aud: 'hutong', iat: NOW, exp: NOW + 3600 };
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
      expect(await refusal(`Bearer ${unsigned}`)).toBe('Token refused: its signing algorithm is not accepted (RS256 or ES256 only).');
      const hmac = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: 'identity-es', typ: 'JWT' })
        .sign(new TextEncoder().encode(JSON.stringify(identityPublicJwk)));
      expect(await refusal(`Bearer ${hmac}`)).toBe('Token refused: its signing algorithm is not accepted (RS256 or ES256 only).');
    });

    it('refuses a token with an asymmetric algorithm it does not accept', async () => {
      const { privateKey } = await generateKeyPair('ES384');
      const es384 = await new SignJWT({ ...holder, iss: 'hutong-dev-identity', aud: 'hutong', iat: NOW, exp: NOW + 3600 })
        .setProtectedHeader({ alg: 'ES384', kid: 'identity-es' })
        .sign(privateKey);
      expect(await refusal(`Bearer ${es384}`)).toBe('Token refused: its signing algorithm is not accepted (RS256 or ES256 only).');
    });
  });

  describe('claims', () => {
    it('refuses a token without subject', async () => {
      expect(await refusal(`Bearer ${await craft({ sub: undefined })}`)).toBe('Token refused: its sub claim is not accepted.');
    });

    it('refuses claims that do not describe a caller, saying why', async () => {
      expect(await refusal(`Bearer ${await craft({ holder_code: undefined })}`)).toBe(
        'Token refused: token claims are not acceptable: a holder token needs holder_code.',
      );
      expect(await refusal(`Bearer ${await mintClientToken(identityKey, { sub: 'operator-1', role: 'issuer', region: 'shandong' })}`)).toBe(
        'Token refused: token claims are not acceptable: an issuer token needs region and org.',
      );
    });
  });
});

describe('the gateway fetching the identity provider’s keys from a URL', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('verifies tokens against the fetched keys, not the key file', async () => {
    const auth = await createAuthenticator({ jwksFile: path.join(folder, 'missing.json'), jwksUrl: url, issuer: 'hutong-dev-identity', audience: 'hutong' });
    await expect(auth(`Bearer ${await mintClientToken(identityRsaKey, holder)}`)).resolves.toMatchObject({ role: 'holder', holderCode: citizenId });
    expect(await refusal(`Bearer ${await craft({}, {}, unknownKey)}`, auth)).toBe('Token refused: it is signed with an unknown key.');
  });

  it('fetches them through its own HTTP client, whatever the global fetch does', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('the global fetch is not the gateway’s HTTP client')));
    try {
      const auth = await createAuthenticator({ jwksFile, jwksUrl: url, issuer: 'hutong-dev-identity', audience: 'hutong' });
      await expect(auth(`Bearer ${await mintClientToken(identityKey, holder)}`)).resolves.toMatchObject({ role: 'holder' });
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('the gateway without its key file', () => {
  it('does not start', async () => {
    await expect(createAuthenticator({ jwksFile: path.join(tmpdir(), 'no-such-hutong-jwks.json'), issuer: 'hutong-dev-identity', audience: 'hutong' })).rejects.toThrow(
      /cannot read the JWKS/,
    );
  });
});
