/**
 * Presentation codes (扫码亮证): a short-lived, single-use code a holder shows as a QR image. The
 * code is a signed token carrying only a random id, an expiry and an optional scenario — no
 * personal data, since anyone can read a QR code. What it stands for is kept server-side, and
 * using it marks it consumed.
 */
import { randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import { GraphQLError } from 'graphql';
import { signJws, verifyJws } from '../kit/auth/jws.js';
import type { ServiceKeySet, ServiceSigner } from '../kit/auth/service-keys.js';
import { recognitionSubgraph } from '../kit/reference.js';

const TYP = 'hutong-presentation+jwt';
const ISSUER = 'hutong-recognition';

export const codeError = (reason: 'PRESENTATION_CODE_INVALID' | 'PRESENTATION_CODE_EXPIRED' | 'PRESENTATION_CODE_USED' | 'PRESENTATION_CODE_SCENARIO_MISMATCH', message: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', reason } });

/**
 * Signed with recognition's own key: no other service's key can make a code recognition accepts.
 * Signed and checked through node:crypto (`kit/auth/jws.ts`, as envelopes are), not WebCrypto:
 * one code made and one checked per verification.
 */
export async function signPresentationCode(signer: ServiceSigner, scenario: string | null, validForMinutes: number): Promise<{ code: string; jti: string; expiresAt: Date }> {
  const key = await signer.current();
  const jti = randomUUID();
  const now = Date.now();
  const expiresAt = new Date(now + validForMinutes * 60_000);
  const code = signJws(key, { kid: key.kid, typ: TYP }, {
    ...(scenario ? { scn: scenario } : {}),
    iss: ISSUER,
    jti,
    iat: Math.floor(now / 1000),
    exp: Math.floor(expiresAt.getTime() / 1000),
  });
  return { code, jti, expiresAt };
}

/** The code's id, or a clear error for an altered, forged, expired or malformed code. */
export async function readPresentationCode(keys: ServiceKeySet, code: string): Promise<{ jti: string; scenario: string | null }> {
  const invalid = () => codeError('PRESENTATION_CODE_INVALID', 'The presentation code is invalid: it was altered or not issued by Hutong.');
  if (code.length > 2048 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(code)) {
    throw codeError('PRESENTATION_CODE_INVALID', 'The presentation code is not a Hutong presentation code.');
  }
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    ({ header, payload } = await verifyJws(code, ['ES256', 'RS256'], (h) => keys.resolveFor(h, [recognitionSubgraph.name])));
  } catch {
    throw invalid();
  }
  const now = Math.floor(Date.now() / 1000);
  const { jti, exp, iat, nbf, iss, scn } = payload;
  if (header.typ !== TYP || iss !== ISSUER || typeof jti !== 'string' || typeof exp !== 'number') throw invalid();
  if ((iat !== undefined && typeof iat !== 'number') || (nbf !== undefined && (typeof nbf !== 'number' || nbf > now))) throw invalid();
  // Good until the second of its expiry, not in it.
  if (exp <= now) throw codeError('PRESENTATION_CODE_EXPIRED', 'The presentation code has expired; ask the holder for a new one.');
  return { jti, scenario: typeof scn === 'string' ? scn : null };
}

export function qrSvg(code: string): Promise<string> {
  return QRCode.toString(code, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

export { randomUUID };
