/**
 * Compact JWS signatures through node:crypto, for the envelope on every subgraph call.
 *
 * jose signs and verifies through WebCrypto, where each call is a job handed to the thread pool
 * and awaited: 218 µs to sign an ES256 token and 278 µs to verify one on the development machine,
 * against 48 µs and 93 µs for the same work through node:crypto's synchronous `sign`/`verify`
 * (`npm run bench` profiles: WebCrypto held 10 % of the servers' time for credential by id, with
 * three envelopes signed and three verified per request). Keys are still read, imported and
 * exported by jose; the tokens are ordinary compact JWS that jose reads and writes too.
 */
import { KeyObject, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import type { CryptoKey } from 'jose';

export type JwsAlgorithm = 'ES256' | 'RS256';

export interface JwsKey {
  alg: JwsAlgorithm;
  key: CryptoKey;
}

/** Thrown for a token that is malformed or whose signature does not verify; says nothing more. */
export class JwsError extends Error {
  override name = 'JwsError';
}

// A CryptoKey imported by jose wraps a KeyObject: take it out once per key.
const keyObjects = new WeakMap<CryptoKey, KeyObject>();
function keyObjectOf(key: CryptoKey): KeyObject {
  let keyObject = keyObjects.get(key);
  if (!keyObject) {
    keyObject = KeyObject.from(key);
    keyObjects.set(key, keyObject);
  }
  return keyObject;
}

// ES256 signatures in a JWS are r‖s (IEEE P1363), not DER; RS256 is PKCS #1 v1.5, node's default for RSA.
const signatureOptions = (alg: JwsAlgorithm, key: KeyObject) => (alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key);

const encodePart = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs `payload` with `key`; the header starts with the key's `alg`. */
export function signJws(key: JwsKey, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const signingInput = `${encodePart({ alg: key.alg, ...header })}.${encodePart(payload)}`;
  const signature = cryptoSign('sha256', Buffer.from(signingInput), signatureOptions(key.alg, keyObjectOf(key.key)));
  return `${signingInput}.${signature.toString('base64url')}`;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodePart(part: string): Record<string, unknown> {
  if (!BASE64URL.test(part)) throw new JwsError('a token part is not base64url');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwsError('a token part is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwsError('a token part is not a JSON object');
  return value as Record<string, unknown>;
}

/**
 * Verifies a compact JWS: `keyFor` chooses the key from the header (and may refuse it); only the
 * given algorithms are accepted, and the header's `alg` must be the key's. Returns the header and
 * the payload; claims are the caller's to check.
 */
export async function verifyJws(
  token: string,
  algorithms: readonly JwsAlgorithm[],
  keyFor: (header: Record<string, unknown>) => Promise<JwsKey>,
): Promise<{ header: Record<string, unknown>; payload: Record<string, unknown> }> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwsError('a compact JWS has three parts');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodePart(headerPart);
  // Extensions this code does not understand must not be ignored (RFC 7515, 4.1.11).
  if (header.crit !== undefined || header.b64 !== undefined) throw new JwsError('the header asks for an extension');
  if (typeof header.alg !== 'string' || !(algorithms as readonly string[]).includes(header.alg)) throw new JwsError('the algorithm is not accepted');
  const key = await keyFor(header);
  if (key.alg !== header.alg) throw new JwsError('the key signs with another algorithm');
  if (!BASE64URL.test(signaturePart)) throw new JwsError('the signature is not base64url');
  let valid: boolean;
  try {
    valid = cryptoVerify('sha256', Buffer.from(`${headerPart}.${payloadPart}`), signatureOptions(key.alg, keyObjectOf(key.key)), Buffer.from(signaturePart, 'base64url'));
  } catch {
    // A key of another type than its alg says (an EC key handed over as RS256): no valid signature either.
    valid = false;
  }
  if (!valid) throw new JwsError('the signature does not verify');
  return { header, payload: decodePart(payloadPart) };
}
