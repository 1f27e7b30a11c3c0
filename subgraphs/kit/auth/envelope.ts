/**
 * The signed envelope on every request a subgraph accepts: a short-lived JWT, signed with the
 * sending service's own key and naming that service as issuer, naming the subgraph it is for,
 * bound to the request's method, path and body hash, and carrying the caller. A subgraph reached
 * without it, with a stale or altered one, with one made for another request, or with one whose
 * key is not bound to the service it names, refuses the request.
 */
import { createHash, randomUUID } from 'node:crypto';
import { callerClaims, callerFromEnvelope, type Caller } from './caller.js';
import type { SigningKey } from './keys.js';
import type { ServiceKeySet } from './service-keys.js';
import { signJws, verifyJws } from './jws.js';

export const ENVELOPE_HEADER = 'x-hutong-envelope';
const ENVELOPE_TYPE = 'hutong-envelope+jwt';
const LIFETIME_SECONDS = 30;
/** Clock skew allowed between services, either way. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** However far its expiry is set, an envelope is not taken once it is older than this. */
const MAX_AGE_SECONDS = LIFETIME_SECONDS + 5;

export const bodyHash = (body: string | Uint8Array) => createHash('sha256').update(body).digest('base64url');

export interface EnvelopeRequest {
  /** Subgraph name the request is for. */
  audience: string;
  method: string;
  /** Path and query string, e.g. `/graphql` or `/catalogue-feed?after=10`. */
  path: string;
  body: string | Uint8Array;
}

export async function signEnvelope(
  key: SigningKey,
  /** The signing service's own name; its key must be bound to it in the internal JWKS. */
  service: string,
  caller: Caller,
  req: EnvelopeRequest,
): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return signJws(
    key,
    { kid: key.kid, typ: ENVELOPE_TYPE },
    {
      caller: callerClaims(caller),
      htm: req.method.toUpperCase(),
      htu: req.path,
      bh: bodyHash(req.body),
      iss: service,
      aud: req.audience,
      iat,
      exp: iat + LIFETIME_SECONDS,
      jti: randomUUID(),
    },
  );
}

export class EnvelopeError extends Error {
  override name = 'EnvelopeError';
}

/** Where used envelope ids are kept: an envelope is good for one request. */
export interface ReplayStore {
  /** True the first time an id is seen before its expiry (seconds since the epoch). */
  claim(jti: string, expiresAt: number): boolean | Promise<boolean>;
}

/** The replay store could not be asked (Redis down): the envelope can be neither accepted nor refused. */
export class ReplayStoreUnavailable extends Error {
  override name = 'ReplayStoreUnavailable';
}

/**
 * Envelope ids one process has accepted and that are not yet expired, so a captured request
 * cannot be sent again within its 30 seconds. Bounded: when full, new envelopes are refused
 * rather than old ids forgotten. For one process; replicas share a RedisReplayGuard.
 */
export class ReplayGuard implements ReplayStore {
  private readonly seen = new Map<string, number>();
  constructor(private readonly capacity = 200_000) {}

  claim(jti: string, expiresAt: number, now = Date.now() / 1000): boolean {
    if (this.seen.size >= this.capacity) this.prune(now);
    if (this.seen.has(jti) || this.seen.size >= this.capacity) return false;
    this.seen.set(jti, expiresAt);
    return true;
  }

  private prune(now: number): void {
    for (const [jti, expiresAt] of this.seen) if (expiresAt + 5 < now) this.seen.delete(jti);
  }
}

/**
 * Used envelope ids in Redis, shared by every replica of a subgraph: `SET … NX EX` keeps an id
 * until 5 s after its envelope expires, so a request replayed to another replica is refused too.
 */
export class RedisReplayGuard implements ReplayStore {
  constructor(
    private readonly redis: { set(key: string, value: string, ex: 'EX', seconds: number, nx: 'NX'): Promise<string | null> },
    /** The subgraph's name: replicas of one subgraph share their ids. */
    private readonly scope: string,
  ) {}

  async claim(jti: string, expiresAt: number, now = Date.now() / 1000): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(expiresAt + 5 - now));
    try {
      return (await this.redis.set(`hutong:envelope:${this.scope}:${jti}`, '1', 'EX', ttl, 'NX')) === 'OK';
    } catch (error) {
      throw new ReplayStoreUnavailable(`used envelope ids cannot be checked: ${(error as Error).message}`);
    }
  }
}

export async function verifyEnvelope(
  keys: ServiceKeySet,
  token: string | undefined,
  req: EnvelopeRequest,
  replays?: ReplayStore,
): Promise<{ caller: Caller; service: string }> {
  if (!token) throw new EnvelopeError('request is not signed by the Hutong gateway');
  let signer: string | undefined;
  let payload: Record<string, unknown>;
  try {
    let header;
    ({ header, payload } = await verifyJws(token, ['ES256', 'RS256'], async (h) => {
      const bound = await keys.resolve(h);
      signer = bound.service;
      return bound;
    }));
    if (header.typ !== ENVELOPE_TYPE || !isFresh(payload, Math.floor(Date.now() / 1000)) || !isFor(payload.aud, req.audience)) throw new Error('claims');
  } catch {
    throw new EnvelopeError('request signature is invalid or expired');
  }
  // A key speaks for the one service it is bound to: a registry's key naming the gateway is a forgery.
  if (signer === undefined || payload.iss !== signer) throw new EnvelopeError('request signature was made with a key that may not speak for the service it names');
  if (payload.htm !== req.method.toUpperCase() || payload.htu !== req.path || payload.bh !== bodyHash(req.body)) {
    throw new EnvelopeError('request signature was made for another request');
  }
  if (replays && (typeof payload.jti !== 'string' || !(await replays.claim(payload.jti, payload.exp as number)))) {
    throw new EnvelopeError('request signature was already used');
  }
  try {
    return { caller: callerFromEnvelope(payload.caller), service: signer };
  } catch {
    throw new EnvelopeError('request signature carries no valid caller');
  }
}

/**
 * Issued at most MAX_AGE_SECONDS ago and not yet expired, each give or take the clock tolerance; an envelope
 * without an issue or expiry time is never fresh.
 */
function isFresh(payload: Record<string, unknown>, now: number): boolean {
  const { iat, exp, nbf } = payload;
  if (typeof iat !== 'number' || typeof exp !== 'number') return false;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + CLOCK_TOLERANCE_SECONDS)) return false;
  const age = now - iat;
  return exp > now - CLOCK_TOLERANCE_SECONDS && age >= -CLOCK_TOLERANCE_SECONDS && age - CLOCK_TOLERANCE_SECONDS <= MAX_AGE_SECONDS;
}

const isFor = (aud: unknown, audience: string) => aud === audience || (Array.isArray(aud) && aud.includes(audience));
