/** Signing keys for tests of signed tokens (envelopes, presentation codes, client tokens). */
import { beforeEach, afterEach, vi } from 'vitest';
import type { JWK } from 'jose';
import { generateSigningKeyPair, publicPart, signingKeyFromJwk, type SigningKey } from '../../subgraphs/kit/auth/keys.js';

export interface KeyRing {
  /** ES256, in the key set. */
  es: SigningKey;
  /** RS256, in the key set. */
  rs: SigningKey;
  /** ES256 with the same key id as `es`, not in the key set: a forger who knows the kid. */
  impostor: SigningKey;
  esPublicJwk: JWK;
  /** The public key set a verifier trusts: `es` and `rs`. */
  jwks: { keys: JWK[] };
}

export async function keyRing(kids: { es: string; rs: string }): Promise<KeyRing> {
  const es = await generateSigningKeyPair(kids.es, 'ES256');
  const rs = await generateSigningKeyPair(kids.rs, 'RS256');
  const impostor = await generateSigningKeyPair(kids.es, 'ES256');
  return {
    es: await signingKeyFromJwk(es.privateJwk),
    rs: await signingKeyFromJwk(rs.privateJwk),
    impostor: await signingKeyFromJwk(impostor.privateJwk),
    esPublicJwk: es.publicJwk,
    jwks: { keys: [publicPart(es.publicJwk), publicPart(rs.publicJwk)] },
  };
}

/** Freezes `Date` (only) at `seconds` since the epoch for every test of the file. */
export function frozenClockAt(seconds: number): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(seconds * 1000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
