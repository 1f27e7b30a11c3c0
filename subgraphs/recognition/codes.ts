/**
 * Presentation codes (扫码亮证): a short-lived, single-use code a holder shows as a QR image. The
 * code is a signed token carrying only a random id, an expiry and an optional scenario — no
 * personal data, since anyone can read a QR code. What it stands for is kept server-side, and
 * using it marks it consumed.
 */
import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import QRCode from 'qrcode';
import { GraphQLError } from 'graphql';
import type { ServiceKeySet, ServiceSigner } from '../kit/auth/service-keys.js';
import { recognitionSubgraph } from '../kit/reference.js';

const TYP = 'hutong-presentation+jwt';
const ISSUER = 'hutong-recognition';

export const codeError = (reason: 'PRESENTATION_CODE_INVALID' | 'PRESENTATION_CODE_EXPIRED' | 'PRESENTATION_CODE_USED' | 'PRESENTATION_CODE_SCENARIO_MISMATCH', message: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', reason } });

/** Signed with recognition's own key: no other service's key can make a code recognition accepts. */
export async function signPresentationCode(signer: ServiceSigner, scenario: string | null, validForMinutes: number): Promise<{ code: string; jti: string; expiresAt: Date }> {
  const key = await signer.current();
  const jti = randomUUID();
  const expiresAt = new Date(Date.now() + validForMinutes * 60_000);
  const code = await new SignJWT(scenario ? { scn: scenario } : {})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: TYP })
    .setIssuer(ISSUER)
    .setJti(jti)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(key.key);
  return { code, jti, expiresAt };
}

/** The code's id, or a clear error for an altered, forged, expired or malformed code. */
export async function readPresentationCode(keys: ServiceKeySet, code: string): Promise<{ jti: string; scenario: string | null }> {
  if (code.length > 2048 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(code)) {
    throw codeError('PRESENTATION_CODE_INVALID', 'The presentation code is not a Hutong presentation code.');
  }
  try {
    const { payload } = await jwtVerify(code, keys.verifier([recognitionSubgraph.name]), { algorithms: ['ES256', 'RS256'], issuer: ISSUER, typ: TYP, requiredClaims: ['jti', 'exp'] });
    return { jti: payload.jti!, scenario: typeof payload.scn === 'string' ? payload.scn : null };
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw codeError('PRESENTATION_CODE_EXPIRED', 'The presentation code has expired; ask the holder for a new one.');
    throw codeError('PRESENTATION_CODE_INVALID', 'The presentation code is invalid: it was altered or not issued by Hutong.');
  }
}

export function qrSvg(code: string): Promise<string> {
  return QRCode.toString(code, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

export { randomUUID };
