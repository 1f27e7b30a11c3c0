import { compactVerify, CompactSign, importJWK, type CryptoKey } from 'jose';
import { sign as derSign, KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { JwsError, signJws, verifyJws, type JwsKey } from '../../subgraphs/kit/auth/jws.js';
import type { SigningKey } from '../../subgraphs/kit/auth/keys.js';
import { keyRing } from '../support/key-ring.js';

let es: SigningKey;
let rs: SigningKey;
let esPublic: JwsKey;
let rsPublic: JwsKey;

beforeAll(async () => {
  const ring = await keyRing({ es: 'jws-es', rs: 'jws-rs' });
  ({ es, rs } = ring);
  esPublic = { alg: 'ES256', key: (await importJWK(ring.jwks.keys[0]!, 'ES256')) as CryptoKey };
  rsPublic = { alg: 'RS256', key: (await importJWK(ring.jwks.keys[1]!, 'RS256')) as CryptoKey };
});

const payload = { iss: 'gateway', aud: 'shandong', n: 7, name: '济南' };
const text = new TextEncoder();
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JwsError);
  return (error as Error).message;
}

describe('a compact JWS signed through node:crypto', () => {
  it.each(['ES256', 'RS256'] as const)('is verified by jose when signed %s, with the header and payload as given', async (alg) => {
    const key = alg === 'ES256' ? es : rs;
    const token = signJws(key, { kid: key.kid, typ: 'test+jwt' }, payload);
    const { payload: bytes, protectedHeader } = await compactVerify(token, alg === 'ES256' ? esPublic.key : rsPublic.key);
    expect(protectedHeader).toEqual({ alg, kid: key.kid, typ: 'test+jwt' });
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual(payload);
  });

  it.each(['ES256', 'RS256'] as const)('verifies a %s token jose signed, and returns its header and payload', async (alg) => {
    const key = alg === 'ES256' ? es : rs;
    const token = await new CompactSign(text.encode(JSON.stringify(payload))).setProtectedHeader({ alg, kid: key.kid }).sign(key.key);
    const verified = await verifyJws(token, ['ES256', 'RS256'], async () => (alg === 'ES256' ? esPublic : rsPublic));
    expect(verified).toEqual({ header: { alg, kid: key.kid }, payload });
  });

  it('hands the key lookup the decoded header, and passes on its refusal', async () => {
    const token = signJws(es, { kid: 'jws-es' }, payload);
    const seen: unknown[] = [];
    await expect(
      verifyJws(token, ['ES256'], async (header) => {
        seen.push(header);
        throw new Error('key jws-es is retired');
      }),
    ).rejects.toThrow('key jws-es is retired');
    expect(seen).toEqual([{ alg: 'ES256', kid: 'jws-es' }]);
  });
});

describe('verifyJws refuses', () => {
  it('an altered payload', async () => {
    const [header, , signature] = signJws(es, {}, payload).split('.');
    expect(await refusal(verifyJws(`${header}.${b64({ ...payload, n: 8 })}.${signature}`, ['ES256'], async () => esPublic))).toBe('the signature does not verify');
  });

  it('a token signed by another key', async () => {
    expect(await refusal(verifyJws(signJws(rs, {}, payload), ['RS256'], async () => ({ ...rsPublic, key: esPublic.key })))).toBe('the signature does not verify');
    const other = await keyRing({ es: 'x', rs: 'y' });
    expect(await refusal(verifyJws(signJws(other.es, {}, payload), ['ES256'], async () => esPublic))).toBe('the signature does not verify');
  });

  it('an algorithm outside the accepted ones, before any key is looked up', async () => {
    let looked = false;
    const lookup = async () => {
      looked = true;
      return rsPublic;
    };
    expect(await refusal(verifyJws(signJws(rs, {}, payload), ['ES256'], lookup))).toBe('the algorithm is not accepted');
    expect(await refusal(verifyJws(`${b64({ alg: 'none' })}.${b64(payload)}.`, ['ES256', 'RS256'], lookup))).toBe('the algorithm is not accepted');
    expect(await refusal(verifyJws(`${b64({ kid: 'jws-es' })}.${b64(payload)}.AA`, ['ES256', 'RS256'], lookup))).toBe('the algorithm is not accepted');
    expect(looked).toBe(false);
  });

  it('a header naming another algorithm than its key’s', async () => {
    // An RS256 token whose key lookup answers with the ES256 key: never tried as ES256.
    expect(await refusal(verifyJws(signJws(rs, {}, payload), ['ES256', 'RS256'], async () => esPublic))).toBe('the key signs with another algorithm');
  });

  it('a header asking for an extension it does not understand', async () => {
    const token = signJws(es, { crit: ['exp'], exp: 1 }, payload);
    expect(await refusal(verifyJws(token, ['ES256'], async () => esPublic))).toBe('the header asks for an extension');
    expect(await refusal(verifyJws(signJws(es, { b64: false }, payload), ['ES256'], async () => esPublic))).toBe('the header asks for an extension');
  });

  it('an ES256 signature in DER form rather than r‖s', async () => {
    const [header, body] = signJws(es, {}, payload).split('.');
    const der = derSign('sha256', Buffer.from(`${header}.${body}`), KeyObject.from(es.key)).toString('base64url');
    expect(await refusal(verifyJws(`${header}.${body}.${der}`, ['ES256'], async () => esPublic))).toBe('the signature does not verify');
  });

  it.each([
    ['two parts', () => `${b64({ alg: 'ES256' })}.${b64(payload)}`, 'a compact JWS has three parts'],
    ['four parts', () => `${b64({ alg: 'ES256' })}.${b64(payload)}.AA.AA`, 'a compact JWS has three parts'],
    ['a header that is not base64url', () => `ey+J.${b64(payload)}.AA`, 'a token part is not base64url'],
    ['a header that is not JSON', () => `${Buffer.from('{alg').toString('base64url')}.${b64(payload)}.AA`, 'a token part is not JSON'],
    ['a header that is a JSON array', () => `${b64(['ES256'])}.${b64(payload)}.AA`, 'a token part is not a JSON object'],
    ['a signature that is not base64url', () => `${b64({ alg: 'ES256' })}.${b64(payload)}.A=A`, 'the signature is not base64url'],
  ])('%s', async (_what, token, message) => {
    expect(await refusal(verifyJws(token(), ['ES256'], async () => esPublic))).toBe(message);
  });
});
