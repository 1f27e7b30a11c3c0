import { SignJWT } from 'jose';
import type { Role } from './caller.js';
import type { SigningKey } from './keys.js';

/** Claims of a client token, as an identity provider would issue them. */
export interface ClientTokenClaims {
  sub: string;
  role: Role;
  holder_code?: string;
  region?: string;
  org?: string;
  org_name?: string;
  scenarios?: string[];
}

export const DEV_TOKEN_ISSUER = 'hutong-dev-identity';
export const DEV_TOKEN_AUDIENCE = 'hutong';

/**
 * Signs a client token with a development identity key. Production tokens come from the
 * identity provider; the gateway verifies both the same way.
 */
export async function mintClientToken(
  key: SigningKey,
  claims: ClientTokenClaims,
  options: { issuer?: string; audience?: string; expiresIn?: string } = {},
): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? DEV_TOKEN_ISSUER)
    .setAudience(options.audience ?? DEV_TOKEN_AUDIENCE)
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '8h')
    .sign(key.key);
}
