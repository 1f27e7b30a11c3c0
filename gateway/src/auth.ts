import { GraphQLError } from 'graphql';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { fetch as undiciFetch } from 'undici';
import { anonymous, callerFromClaims, type Caller } from '../../subgraphs/kit/auth/caller.js';
import { loadJwks } from '../../subgraphs/kit/auth/keys.js';

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

const unauthenticated = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

/** Verifies the client's bearer token (signature, expiry, issuer, audience) and turns it into a caller. */
export async function createAuthenticator(config: ClientAuthConfig): Promise<Authenticate> {
  const keys: JWTVerifyGetKey = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl), {
        [customFetch]: (url, options) => undiciFetch(url, options as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>,
      })
    : await loadJwks(config.jwksFile);

  return async (authorization) => {
    if (authorization === undefined || authorization === '') return anonymous;
    const match = /^Bearer ([A-Za-z0-9_.-]{10,8192})$/.exec(authorization);
    if (!match) throw unauthenticated('Authorization header must be "Bearer <token>".');
    let payload;
    try {
      ({ payload } = await jwtVerify(match[1]!, keys, {
        algorithms: ACCEPTED_ALGORITHMS,
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw unauthenticated(`Token refused: ${describe(error)}.`);
    }
    try {
      return callerFromClaims(payload);
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
