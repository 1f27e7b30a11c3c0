import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { fetch as undiciFetch } from 'undici';
import { anonymous, callerFromClaims, type Caller } from '../../subgraphs/kit/auth/caller.js';
import { loadJwks } from '../../subgraphs/kit/auth/keys.js';
import { BoundedMap } from '../../subgraphs/kit/bounded-map.js';

export interface ClientAuthConfig {
  /** JWKS file of the identity provider (used when no URL is given). */
  jwksFile: string;
  /** JWKS URL of the identity provider; fetched (and cached) through undici. */
  jwksUrl?: string;
  issuer: string;
  audience: string;
}

/** Only asymmetric algorithms: `none` and HMAC (which a public key could forge) are refused. */
const ACCEPTED_ALGORITHMS = ['RS256', 'ES256'];

export type Authenticate = (authorization: string | undefined) => Promise<Caller>;

/**
 * How long a verified token is taken again without checking its signature: the same caller sends
 * the same token with every request, and an ES256 check through jose costs about 280 µs. A key
 * removed from the identity provider's key set stops working within this time.
 */
export const VERIFIED_TOKEN_REUSE_MS = 60_000;
/** Bounded, so a flood of distinct valid tokens costs memory once and no more (entries are ~200 bytes). */
export const VERIFIED_TOKEN_CAPACITY = 10_000;

/** Callers of tokens whose signature, issuer and audience were checked, keyed by the token's hash. */
class VerifiedTokens {
  private readonly entries = new BoundedMap<string, { caller: Caller; expiresAtMs: number; reuseUntilMs: number }>(VERIFIED_TOKEN_CAPACITY);

  /** The key a token is kept under: hashed once per request, for the look-up and the keeping alike. */
  static key(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(key: string, nowMs: number): Caller | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Expiry is judged on every use, exactly as a fresh verification would.
    if (nowMs >= entry.expiresAtMs || nowMs >= entry.reuseUntilMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.caller;
  }

  set(key: string, caller: Caller, expiresAtMs: number, nowMs: number): void {
    this.entries.set(key, { caller, expiresAtMs, reuseUntilMs: nowMs + VERIFIED_TOKEN_REUSE_MS });
  }
}

const unauthenticated = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

/** Verifies the client's bearer token (signature, expiry, issuer, audience) and turns it into a caller. */
export async function createAuthenticator(config: ClientAuthConfig): Promise<Authenticate> {
  const keys: JWTVerifyGetKey = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl), {
        [customFetch]: (url, options) => undiciFetch(url, options as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>,
      })
    : await loadJwks(config.jwksFile);
  const verified = new VerifiedTokens();

  return async (authorization) => {
    if (authorization === undefined || authorization === '') return anonymous;
    const match = /^Bearer ([A-Za-z0-9_.-]{10,8192})$/.exec(authorization);
    if (!match) throw unauthenticated('Authorization header must be "Bearer <token>".');
    const token = match[1]!;
    const key = VerifiedTokens.key(token);
    const known = verified.get(key, Date.now());
    if (known) return known;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: ACCEPTED_ALGORITHMS,
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw unauthenticated(`Token refused: ${describe(error)}.`);
    }
    try {
      const caller = callerFromClaims(payload);
      verified.set(key, caller, payload.exp! * 1000, Date.now());
      return caller;
    } catch (error) {
      throw unauthenticated(`Token refused: ${(error as Error).message}.`);
    }
  };
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'it has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `its ${error.claim} claim is not accepted`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'its signing algorithm is not accepted (RS256 or ES256 only)';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'it is signed with an unknown key';
  return 'it is malformed';
}
