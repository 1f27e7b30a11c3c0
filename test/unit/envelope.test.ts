import { decodeJwt, decodeProtectedHeader, SignJWT, type JWK } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import {
  bodyHash,
  ENVELOPE_HEADER,
  EnvelopeError,
  ReplayGuard,
  signEnvelope,
  verifyEnvelope,
  type EnvelopeRequest,
} from '../../subgraphs/kit/auth/envelope.js';
import type { SigningKey } from '../../subgraphs/kit/auth/keys.js';
import { ServiceKeySet } from '../../subgraphs/kit/auth/service-keys.js';
import { makeUscc } from '../../subgraphs/kit/identifiers/index.js';
import { frozenClockAt, keyRing } from '../support/key-ring.js';

// 2025-03-01T08:00:00Z: every envelope below is judged at this instant unless a test moves the clock.
const NOW = 1_740_816_000;
// SHA-256 test vectors (FIPS 180-2), base64url without padding.
const EMPTY_HASH = '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU';
const ABC_HASH = 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0';

const verifierOrg = makeUscc('1', '1', '370100', 'MB123456');
const verifier: Caller = {
  role: 'verifier',
  subject: 'operator-of-jinan-hall',
  region: 'shandong',
  organisation: verifierOrg,
  organisationName: '济南市政务服务中心',
  scenarios: ['hotel-check-in'],
};

const graphqlRequest: EnvelopeRequest = { audience: 'shandong', method: 'POST', path: '/graphql', body: 'abc' };

let gatewayKey: SigningKey; // ES256, in the key set, bound to the gateway
let serviceKey: SigningKey; // RS256, in the key set, bound to recognition
let strangerKey: SigningKey; // ES256, same kid as the gateway's but not in the key set
let keys: ServiceKeySet;
let gatewayPublicJwk: JWK;

beforeAll(async () => {
  const ring = await keyRing({ es: 'internal-es', rs: 'internal-rs' });
  ({ es: gatewayKey, rs: serviceKey, impostor: strangerKey, esPublicJwk: gatewayPublicJwk } = ring);
  // The ES256 key is the gateway's, the RS256 key recognition's.
  keys = await ServiceKeySet.of({ keys: [{ ...ring.jwks.keys[0]!, service: 'gateway' }, { ...ring.jwks.keys[1]!, service: 'recognition' }] });
});

frozenClockAt(NOW);

/** An envelope with literal claims; a claim set to undefined is left out. */
async function craft(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key: SigningKey = gatewayKey): Promise<string> {
  return new SignJWT({
    caller: { role: 'verifier', subject: 'operator-of-jinan-hall', region: 'shandong', organisation: verifierOrg },
    htm: 'POST',
    htu: '/graphql',
    bh: ABC_HASH,
    iss: 'gateway',
    aud: 'shandong',
    iat: NOW,
    exp: NOW + 30,
    jti: 'a6f1c2d4-0b1e-4c55-9d0e-2f7a3b8c9d10',
    ...claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'hutong-envelope+jwt', ...header })
    .sign(key.key);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EnvelopeError);
  expect((error as Error).name).toBe('EnvelopeError');
  return (error as Error).message;
}

describe('the body hash an envelope is bound to', () => {
  it('is the base64url SHA-256 of the body, for text and bytes alike', () => {
    expect(bodyHash('')).toBe(EMPTY_HASH);
    expect(bodyHash('abc')).toBe(ABC_HASH);
    expect(bodyHash(new Uint8Array([0x61, 0x62, 0x63]))).toBe(ABC_HASH);
  });

  it('travels in the x-hutong-envelope header', () => {
    expect(ENVELOPE_HEADER).toBe('x-hutong-envelope');
  });
});

describe('signing an envelope', () => {
  it('binds it to the subgraph, the upper-cased method, the path and the body, for 30 seconds', async () => {
    const token = await signEnvelope(gatewayKey, 'gateway', verifier, { audience: 'shandong', method: 'post', path: '/catalogue-feed?after=10', body: '' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'internal-es', typ: 'hutong-envelope+jwt' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'gateway',
      aud: 'shandong',
      htm: 'POST',
      htu: '/catalogue-feed?after=10',
      bh: EMPTY_HASH,
      iat: NOW,
      exp: NOW + 30,
    });
    expect(claims.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('carries only the caller fields that are set', async () => {
    const token = await signEnvelope(gatewayKey, 'gateway', { role: 'holder', subject: 'holder-1', holderCode: undefined }, graphqlRequest);
    expect(decodeJwt(token).caller).toEqual({ role: 'holder', subject: 'holder-1' });
  });

  it('gives every envelope its own id', async () => {
    const a = decodeJwt(await signEnvelope(gatewayKey, 'gateway', verifier, graphqlRequest)).jti;
    const b = decodeJwt(await signEnvelope(gatewayKey, 'gateway', verifier, graphqlRequest)).jti;
    expect(a).not.toBe(b);
  });
});

describe('verifying an envelope', () => {
  it('accepts the gateway’s envelope for the very request and returns its caller and the service that signed it', async () => {
    const token = await signEnvelope(gatewayKey, 'gateway', verifier, graphqlRequest);
    await expect(verifyEnvelope(keys, token, graphqlRequest)).resolves.toEqual({ caller: verifier, service: 'gateway' });
  });

  it('accepts recognition’s envelope signed with its own RS256 key', async () => {
    const token = await signEnvelope(serviceKey, 'recognition', { role: 'anonymous' }, graphqlRequest);
    await expect(verifyEnvelope(keys, token, graphqlRequest)).resolves.toEqual({ caller: { role: 'anonymous' }, service: 'recognition' });
  });

  it('compares the method case-insensitively', async () => {
    const token = await signEnvelope(gatewayKey, 'gateway', verifier, { ...graphqlRequest, method: 'post' });
    await expect(verifyEnvelope(keys, token, { ...graphqlRequest, method: 'post' })).resolves.toMatchObject({ service: 'gateway' });
    await expect(verifyEnvelope(keys, token, { ...graphqlRequest, method: 'Post' })).resolves.toMatchObject({ service: 'gateway' });
  });

  it('refuses a request without an envelope', async () => {
    expect(await refusal(verifyEnvelope(keys, undefined, graphqlRequest))).toBe('request is not signed by the Hutong gateway');
    expect(await refusal(verifyEnvelope(keys, '', graphqlRequest))).toBe('request is not signed by the Hutong gateway');
  });

  describe('refuses an envelope made for another request', () => {
    const madeForAnother = 'request signature was made for another request';
    it.each([
      ['another method', { method: 'GET' }],
      ['another path', { path: '/graphql?x=1' }],
      ['another body', { body: 'abd' }],
    ])('with %s', async (_what, change) => {
      const token = await signEnvelope(gatewayKey, 'gateway', verifier, graphqlRequest);
      expect(await refusal(verifyEnvelope(keys, token, { ...graphqlRequest, ...change }))).toBe(madeForAnother);
    });

    it('with another subgraph as audience', async () => {
      const token = await signEnvelope(gatewayKey, 'gateway', verifier, graphqlRequest);
      expect(await refusal(verifyEnvelope(keys, token, { ...graphqlRequest, audience: 'yangtze-delta' }))).toBe('request signature is invalid or expired');
    });

    it('when its claims are altered after signing', async () => {
      const [header, , signature] = (await craft()).split('.');
      const forged = `${header}.${b64({ ...decodeJwt(await craft()), htu: '/admin' })}.${signature}`;
      expect(await refusal(verifyEnvelope(keys, forged, { ...graphqlRequest, path: '/admin' }))).toBe('request signature is invalid or expired');
    });

    it('and does not use up its id, so the genuine request still goes through', async () => {
      const guard = new ReplayGuard();
      const token = await signEnvelope(gatewayKey, 'gateway', verifier, graphqlRequest);
      expect(await refusal(verifyEnvelope(keys, token, { ...graphqlRequest, path: '/other' }, guard))).toBe(madeForAnother);
      await expect(verifyEnvelope(keys, token, graphqlRequest, guard)).resolves.toMatchObject({ service: 'gateway' });
    });
  });

  describe('accepts an envelope only from the service its key is bound to', () => {
    const notItsService = 'request signature was made with a key that may not speak for the service it names';
    it('accepts the gateway’s key naming the gateway, and recognition’s naming recognition', async () => {
      await expect(verifyEnvelope(keys, await craft({ iss: 'gateway' }), graphqlRequest)).resolves.toMatchObject({ service: 'gateway' });
      await expect(verifyEnvelope(keys, await craft({ iss: 'recognition' }, {}, serviceKey), graphqlRequest)).resolves.toMatchObject({ service: 'recognition' });
    });
    it('refuses recognition’s key naming the gateway: a service cannot pass as another', async () => {
      expect(await refusal(verifyEnvelope(keys, await craft({ iss: 'gateway' }, {}, serviceKey), graphqlRequest))).toBe(notItsService);
    });
    it.each([['recognition'], ['shandong'], ['hutong-gateway'], ['']])('refuses the gateway’s key naming %j', async (iss) => {
      expect(await refusal(verifyEnvelope(keys, await craft({ iss }), graphqlRequest))).toBe(notItsService);
    });
    it('refuses an envelope without issuer', async () => {
      expect(await refusal(verifyEnvelope(keys, await craft({ iss: undefined }), graphqlRequest))).toBe(notItsService);
    });
    it('refuses a key id the key set does not know', async () => {
      expect(await refusal(verifyEnvelope(keys, await craft({}, { kid: 'retired-2025' }), graphqlRequest))).toBe('request signature is invalid or expired');
    });
  });

  describe('honours the 30-second lifetime with 5 seconds of clock tolerance', () => {
    const invalid = 'request signature is invalid or expired';
    it('accepts an envelope that expired 4 seconds ago and refuses one that expired 5 seconds ago', async () => {
      await expect(verifyEnvelope(keys, await craft({ iat: NOW - 34, exp: NOW - 4 }), graphqlRequest)).resolves.toMatchObject({ service: 'gateway' });
      expect(await refusal(verifyEnvelope(keys, await craft({ iat: NOW - 35, exp: NOW - 5 }), graphqlRequest))).toBe(invalid);
    });

    it('accepts an envelope issued 40 seconds ago and refuses one issued 41 seconds ago, whatever its expiry', async () => {
      await expect(verifyEnvelope(keys, await craft({ iat: NOW - 40, exp: NOW + 600 }), graphqlRequest)).resolves.toMatchObject({ service: 'gateway' });
      expect(await refusal(verifyEnvelope(keys, await craft({ iat: NOW - 41, exp: NOW + 600 }), graphqlRequest))).toBe(invalid);
    });

    it('accepts an envelope issued 5 seconds in the future and refuses one issued 6 seconds ahead', async () => {
      await expect(verifyEnvelope(keys, await craft({ iat: NOW + 5, exp: NOW + 35 }), graphqlRequest)).resolves.toMatchObject({ service: 'gateway' });
      expect(await refusal(verifyEnvelope(keys, await craft({ iat: NOW + 6, exp: NOW + 36 }), graphqlRequest))).toBe(invalid);
    });

    it('refuses an envelope without issue time', async () => {
      expect(await refusal(verifyEnvelope(keys, await craft({ iat: undefined }), graphqlRequest))).toBe(invalid);
    });

    it('accepts its own envelope 34 seconds later and refuses it 35 seconds later', async () => {
      const token = await signEnvelope(gatewayKey, 'gateway', verifier, graphqlRequest);
      vi.setSystemTime((NOW + 34) * 1000);
      await expect(verifyEnvelope(keys, token, graphqlRequest)).resolves.toMatchObject({ service: 'gateway' });
      vi.setSystemTime((NOW + 35) * 1000);
      expect(await refusal(verifyEnvelope(keys, token, graphqlRequest))).toBe(invalid);
    });
  });

  describe('refuses an envelope not signed by a Hutong internal key', () => {
    const invalid = 'request signature is invalid or expired';
    it('signed with another key under a known key id', async () => {
      expect(await refusal(verifyEnvelope(keys, await craft({}, {}, strangerKey), graphqlRequest))).toBe(invalid);
    });

    it('with alg none', async () => {
      const unsigned = `${b64({ alg: 'none', typ: 'hutong-envelope+jwt' })}.${b64(decodeJwt(await craft()))}.`;
      expect(await refusal(verifyEnvelope(keys, unsigned, graphqlRequest))).toBe(invalid);
    });

    it('with HS256 keyed by the public key', async () => {
      const secret = new TextEncoder().encode(JSON.stringify(gatewayPublicJwk));
      const token = await new SignJWT(decodeJwt(await craft())).setProtectedHeader({ alg: 'HS256', kid: 'internal-es', typ: 'hutong-envelope+jwt' }).sign(secret);
      expect(await refusal(verifyEnvelope(keys, token, graphqlRequest))).toBe(invalid);
    });

    it('with another token type', async () => {
      expect(await refusal(verifyEnvelope(keys, await craft({}, { typ: 'JWT' }), graphqlRequest))).toBe(invalid);
      expect(await refusal(verifyEnvelope(keys, await craft({}, { typ: 'hutong-presentation+jwt' }), graphqlRequest))).toBe(invalid);
      expect(await refusal(verifyEnvelope(keys, await craft({}, { typ: undefined }), graphqlRequest))).toBe(invalid);
    });

    it('that is not a token at all', async () => {
      expect(await refusal(verifyEnvelope(keys, 'not-a-token', graphqlRequest))).toBe(invalid);
    });
  });

  describe('with a replay guard', () => {
    it('accepts an envelope once and refuses it the second time', async () => {
      const guard = new ReplayGuard();
      const token = await signEnvelope(gatewayKey, 'gateway', verifier, graphqlRequest);
      await expect(verifyEnvelope(keys, token, graphqlRequest, guard)).resolves.toMatchObject({ caller: verifier });
      expect(await refusal(verifyEnvelope(keys, token, graphqlRequest, guard))).toBe('request signature was already used');
    });

    it('refuses an envelope without id', async () => {
      const token = await craft({ jti: undefined });
      expect(await refusal(verifyEnvelope(keys, token, graphqlRequest, new ReplayGuard()))).toBe('request signature was already used');
      expect(await refusal(verifyEnvelope(keys, await craft({ jti: 42 }), graphqlRequest, new ReplayGuard()))).toBe('request signature was already used');
    });

    it('keeps a used id until 5 seconds after its expiry, judged by the current time', async () => {
      const guard = new ReplayGuard(1);
      await verifyEnvelope(keys, await craft({ jti: 'first' }), graphqlRequest, guard); // expires at NOW + 30
      vi.setSystemTime((NOW + 20) * 1000);
      const second = await craft({ jti: 'second', iat: NOW + 20, exp: NOW + 50 });
      expect(await refusal(verifyEnvelope(keys, second, graphqlRequest, guard))).toBe('request signature was already used');
      vi.setSystemTime((NOW + 36) * 1000);
      await expect(verifyEnvelope(keys, second, graphqlRequest, guard)).resolves.toMatchObject({ service: 'gateway' });
    });

    it('is optional: without one the same envelope is accepted again', async () => {
      const token = await craft({ jti: undefined });
      await expect(verifyEnvelope(keys, token, graphqlRequest)).resolves.toMatchObject({ service: 'gateway' });
      await expect(verifyEnvelope(keys, token, graphqlRequest)).resolves.toMatchObject({ service: 'gateway' });
    });
  });

  describe('refuses an envelope without a valid caller', () => {
    it.each([
      ['no caller', undefined],
      ['an unknown role', { role: 'superuser' }],
      ['a caller without role', { subject: 'someone' }],
      ['scenarios that are not a list', { role: 'verifier', scenarios: 'hotel-check-in' }],
    ])('with %s', async (_what, caller) => {
      expect(await refusal(verifyEnvelope(keys, await craft({ caller }), graphqlRequest))).toBe('request signature carries no valid caller');
    });
  });
});
