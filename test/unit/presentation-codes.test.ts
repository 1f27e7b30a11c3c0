import { GraphQLError } from 'graphql';
import { decodeJwt, decodeProtectedHeader, SignJWT, type JWK } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { generateSigningKeyPair, signingKeyFromJwk, type SigningKey } from '../../subgraphs/kit/auth/keys.js';
import { fixedSigner, ServiceKeySet } from '../../subgraphs/kit/auth/service-keys.js';
import { codeError, qrSvg, readPresentationCode, signPresentationCode } from '../../subgraphs/recognition/codes.js';
import { frozenClockAt, keyRing } from '../support/key-ring.js';

// 2025-03-01T08:00:00Z
const NOW = 1_740_816_000;
const NOT_A_CODE = 'The presentation code is not a Hutong presentation code.';
const ALTERED = 'The presentation code is invalid: it was altered or not issued by Hutong.';
const EXPIRED = 'The presentation code has expired; ask the holder for a new one.';

let recognitionKey: SigningKey; // ES256, in the key set
let rsaKey: SigningKey; // RS256, in the key set
let otherKey: SigningKey; // same kid, not in the key set
let registryKey: SigningKey; // ES256, in the key set, bound to a registry
let keys: ServiceKeySet;
let recognitionPublicJwk: JWK;

beforeAll(async () => {
  const ring = await keyRing({ es: 'recognition-1', rs: 'recognition-rsa' });
  ({ es: recognitionKey, rs: rsaKey, impostor: otherKey, esPublicJwk: recognitionPublicJwk } = ring);
  const registry = await generateSigningKeyPair('shandong-1', 'ES256');
  registryKey = await signingKeyFromJwk(registry.privateJwk);
  keys = await ServiceKeySet.of({
    keys: [{ ...ring.jwks.keys[0]!, service: 'recognition' }, { ...ring.jwks.keys[1]!, service: 'recognition' }, { ...registry.publicJwk, service: 'shandong' }],
  });
});

frozenClockAt(NOW);

/** A code with literal claims; a claim set to undefined is left out. */
function craft(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key: SigningKey = recognitionKey): Promise<string> {
  return new SignJWT({ iss: 'hutong-recognition', jti: '5d0c7f3e-9a41-4b2e-8c6d-1f2a3b4c5d6e', iat: NOW, exp: NOW + 300, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'hutong-presentation+jwt', ...header })
    .sign(key.key);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refusal(code: string): Promise<{ message: string; code: unknown; reason: unknown }> {
  const error = await readPresentationCode(keys, code).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GraphQLError);
  const e = error as GraphQLError;
  return { message: e.message, code: e.extensions.code, reason: e.extensions.reason };
}
const invalid = (message: string) => ({ message, code: 'BAD_USER_INPUT', reason: 'PRESENTATION_CODE_INVALID' });

describe('signing a presentation code', () => {
  it('makes a code for the minutes asked, bound to the scenario, with no personal data', async () => {
    vi.setSystemTime(NOW * 1000 + 500);
    const { code, jti, expiresAt } = await signPresentationCode(fixedSigner('recognition', recognitionKey), 'hotel-check-in', 5);
    expect(expiresAt).toEqual(new Date('2025-03-01T08:05:00.500Z'));
    expect(jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(decodeProtectedHeader(code)).toEqual({ alg: 'ES256', kid: 'recognition-1', typ: 'hutong-presentation+jwt' });
    expect(decodeJwt(code)).toEqual({ scn: 'hotel-check-in', iss: 'hutong-recognition', jti, iat: NOW, exp: NOW + 300 });
  });

  it('leaves the scenario out when the code is for any scenario', async () => {
    const { code, jti } = await signPresentationCode(fixedSigner('recognition', recognitionKey), null, 10);
    expect(decodeJwt(code)).toEqual({ iss: 'hutong-recognition', jti, iat: NOW, exp: NOW + 600 });
  });

  it('gives every code its own id', async () => {
    const a = await signPresentationCode(fixedSigner('recognition', recognitionKey), null, 1);
    const b = await signPresentationCode(fixedSigner('recognition', recognitionKey), null, 1);
    expect(a.jti).not.toBe(b.jti);
  });
});

describe('reading a presentation code', () => {
  it('returns the id and the bound scenario of a code it signed', async () => {
    const { code, jti } = await signPresentationCode(fixedSigner('recognition', recognitionKey), 'hotel-check-in', 5);
    await expect(readPresentationCode(keys, code)).resolves.toEqual({ jti, scenario: 'hotel-check-in' });
  });

  it('returns no scenario for a code not bound to one', async () => {
    const { code, jti } = await signPresentationCode(fixedSigner('recognition', recognitionKey), null, 5);
    await expect(readPresentationCode(keys, code)).resolves.toEqual({ jti, scenario: null });
  });

  it('ignores a scenario claim that is not text', async () => {
    await expect(readPresentationCode(keys, await craft({ scn: 42 }))).resolves.toEqual({ jti: '5d0c7f3e-9a41-4b2e-8c6d-1f2a3b4c5d6e', scenario: null });
  });

  it('accepts a code signed with RS256', async () => {
    const { code, jti } = await signPresentationCode(fixedSigner('recognition', rsaKey), 'library-card', 5);
    await expect(readPresentationCode(keys, code)).resolves.toEqual({ jti, scenario: 'library-card' });
  });

  describe('expiry', () => {
    it('accepts a code in its last second and refuses it from its expiry on', async () => {
      const { code } = await signPresentationCode(fixedSigner('recognition', recognitionKey), null, 5);
      vi.setSystemTime((NOW + 299) * 1000);
      await expect(readPresentationCode(keys, code)).resolves.toMatchObject({ scenario: null });
      vi.setSystemTime((NOW + 300) * 1000);
      expect(await refusal(code)).toEqual({ message: EXPIRED, code: 'BAD_USER_INPUT', reason: 'PRESENTATION_CODE_EXPIRED' });
      vi.setSystemTime((NOW + 301) * 1000);
      expect(await refusal(code)).toEqual({ message: EXPIRED, code: 'BAD_USER_INPUT', reason: 'PRESENTATION_CODE_EXPIRED' });
    });

    it('refuses a code without expiry as invalid', async () => {
      expect(await refusal(await craft({ exp: undefined }))).toEqual(invalid(ALTERED));
    });
  });

  describe('refuses as invalid', () => {
    it('a code without id', async () => {
      expect(await refusal(await craft({ jti: undefined }))).toEqual(invalid(ALTERED));
    });

    it('a code whose scenario was altered after signing', async () => {
      const { code } = await signPresentationCode(fixedSigner('recognition', recognitionKey), 'hotel-check-in', 5);
      const [header, payload, signature] = code.split('.');
      const altered = `${header}.${b64({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), scn: 'rental' })}.${signature}`;
      expect(await refusal(altered)).toEqual(invalid(ALTERED));
    });

    it('a code with a damaged signature', async () => {
      const code = await craft();
      const last = code.at(-2) === 'A' ? 'B' : 'A';
      expect(await refusal(`${code.slice(0, -2)}${last}${code.at(-1)}`)).toEqual(invalid(ALTERED));
    });

    it('a code forged with another key under the same key id', async () => {
      expect(await refusal(await craft({}, {}, otherKey))).toEqual(invalid(ALTERED));
    });

    it('a code signed with a registry’s key, which is in the key set but not recognition’s', async () => {
      expect(await refusal(await craft({}, {}, registryKey))).toEqual(invalid(ALTERED));
      expect(await refusal((await signPresentationCode(fixedSigner('shandong', registryKey), null, 5)).code)).toEqual(invalid(ALTERED));
    });

    it('a token of another type', async () => {
      expect(await refusal(await craft({}, { typ: 'hutong-envelope+jwt' }))).toEqual(invalid(ALTERED));
      expect(await refusal(await craft({}, { typ: 'JWT' }))).toEqual(invalid(ALTERED));
      expect(await refusal(await craft({}, { typ: undefined }))).toEqual(invalid(ALTERED));
    });

    it('a token from another issuer', async () => {
      expect(await refusal(await craft({ iss: 'hutong-gateway' }))).toEqual(invalid(ALTERED));
      expect(await refusal(await craft({ iss: undefined }))).toEqual(invalid(ALTERED));
    });

    it('an unsigned code and one signed with HS256', async () => {
      const unsigned = `${b64({ alg: 'none', typ: 'hutong-presentation+jwt' })}.${b64({ iss: 'hutong-recognition', jti: 'x', exp: NOW + 300 })}.`;
      expect(await refusal(unsigned)).toEqual(invalid(NOT_A_CODE)); // an empty signature is not even the right shape
      const unsignedWithSignature = `${unsigned}AAAA`;
      expect(await refusal(unsignedWithSignature)).toEqual(invalid(ALTERED));
      const secret = new TextEncoder().encode(JSON.stringify(recognitionPublicJwk));
      const hmac = await new SignJWT({ iss: 'hutong-recognition', jti: 'x', iat: NOW, exp: NOW + 300 })
        .setProtectedHeader({ alg: 'HS256', kid: 'recognition-1', typ: 'hutong-presentation+jwt' })
        .sign(secret);
      expect(await refusal(hmac)).toEqual(invalid(ALTERED));
    });

    it('an expired code that was also forged', async () => {
      expect(await refusal(await craft({ exp: NOW - 60 }, {}, otherKey))).toEqual(invalid(ALTERED));
    });
  });

  describe('refuses without looking further', () => {
    it('a code longer than 2048 characters', async () => {
      const longest = `${'a'.repeat(1000)}.${'b'.repeat(1000)}.${'c'.repeat(46)}`;
      expect(longest).toHaveLength(2048);
      expect(await refusal(longest)).toEqual(invalid(ALTERED)); // within the limit: read, then refused
      expect(await refusal(`${longest}c`)).toEqual(invalid(NOT_A_CODE));
    });

    it.each([
      ['empty', ''],
      ['one part', 'abc'],
      ['two parts', 'abc.def'],
      ['four parts', 'abc.def.ghi.jkl'],
      ['an empty middle part', 'abc..ghi'],
      ['base64 padding', 'abc.def.ghi='],
      ['a plus sign', 'ab+c.def.ghi'],
      ['a slash', 'abc.de/f.ghi'],
      ['a leading space', ' abc.def.ghi'],
      ['a trailing line break', 'abc.def.ghi\n'],
      ['a leading dot', '.abc.def.ghi'],
      ['a URL around it', 'https://hutong.example/c/abc.def.ghi'],
    ])('a code that is %s', async (_what, code) => {
      expect(await refusal(code)).toEqual(invalid(NOT_A_CODE));
    });

    it('a real code with anything before or after it', async () => {
      const { code } = await signPresentationCode(fixedSigner('recognition', recognitionKey), null, 5);
      expect(await refusal(`x ${code}`)).toEqual(invalid(NOT_A_CODE));
      expect(await refusal(`${code} x`)).toEqual(invalid(NOT_A_CODE));
    });
  });
});

describe('presentation code errors', () => {
  it('are user-input errors with the reason given', () => {
    const error = codeError('PRESENTATION_CODE_USED', 'The presentation code was already used.');
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.message).toBe('The presentation code was already used.');
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'PRESENTATION_CODE_USED' });
  });
});

describe('the QR image of a code', () => {
  it('is an SVG with a two-module quiet zone', async () => {
    // 40 bytes fit QR version 3 (29 modules) at level M; a margin of 2 on each side makes 33.
    const svg = await qrSvg('a'.repeat(40));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 33 33"')).toBe(true);
    expect(svg).toContain('d="M2 2.5h7');
  });
});
