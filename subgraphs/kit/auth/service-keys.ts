/**
 * Each Hutong service (the gateway, the catalogue, recognition, every registry) has its own key
 * pair. The internal JWKS lists their public keys, and binds each key id to the one service it
 * may speak as (the `service` member of the key). A token signed by a key proves only that its
 * service signed it: a registry's key cannot pass as the gateway, as recognition or as another
 * registry. Rotation: the new public key is added next to the old one, the service's private key
 * file is replaced, then the old public key is removed; every process picks each step up from the
 * files within a second, without a restart.
 */
import { importJWK, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';
import { publicPart, signingKeyFromJwk, type SigningKey } from './keys.js';
import { WatchedKeyFile, type WatchedFileOptions } from './key-files.js';

/** The gateway's identity: the only service whose envelopes carry client callers to `/graphql`. */
export const GATEWAY_SERVICE = 'gateway';

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

export interface BoundKey {
  kid: string;
  /** The one service this key may speak as. */
  service: string;
  alg: 'ES256' | 'RS256';
  key: CryptoKey;
}

/** A public key of the internal JWKS, with the service it speaks for. */
export type ServiceJwk = JWK & { service?: string };

export class KeyBindingError extends Error {
  override name = 'KeyBindingError';
}

/** Parses and checks an internal JWKS: public keys only, each with a kid, an algorithm and one service. */
export async function readServiceJwks(text: string, source = 'the internal JWKS'): Promise<Map<string, BoundKey>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not valid JSON`);
  }
  const keys = (parsed as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${source} needs a non-empty "keys" array`);
  const bound = new Map<string, BoundKey>();
  for (const [i, jwk] of (keys as ServiceJwk[]).entries()) {
    const where = `${source}, key ${i + 1}`;
    // A private part here would hand every service's key to every other service.
    if (jwk.d !== undefined) throw new Error(`${where} (${jwk.kid ?? 'no kid'}) holds a private key: the internal JWKS may hold public keys only`);
    if (typeof jwk.kid !== 'string' || jwk.kid.length === 0) throw new Error(`${where} has no "kid"`);
    if (jwk.alg !== 'ES256' && jwk.alg !== 'RS256') throw new Error(`${where} (${jwk.kid}) needs "alg" ES256 or RS256`);
    const service: unknown = jwk.service;
    if (typeof service !== 'string' || !SERVICE_NAME.test(service)) {
      throw new Error(`${where} (${jwk.kid}) needs "service": the one service the key speaks for (e.g. "gateway", "recognition", "shandong")`);
    }
    if (bound.has(jwk.kid)) throw new Error(`${where}: key id ${jwk.kid} appears twice`);
    let key: CryptoKey;
    try {
      key = (await importJWK(publicPart(jwk), jwk.alg)) as CryptoKey;
    } catch (error) {
      throw new Error(`${where} (${jwk.kid}) is not a usable ${jwk.alg} public key: ${(error as Error).message}`);
    }
    bound.set(jwk.kid, { kid: jwk.kid, service, alg: jwk.alg as BoundKey['alg'], key });
  }
  return bound;
}

/** The public keys of every service, each bound to its service; follows the JWKS file as it changes. */
export class ServiceKeySet {
  private constructor(private readonly source: { current(): Promise<Map<string, BoundKey>>; check(): Promise<Map<string, BoundKey>> }) {}

  static async open(file: string, options: WatchedFileOptions = {}): Promise<ServiceKeySet> {
    return new ServiceKeySet(await WatchedKeyFile.open(file, (text) => readServiceJwks(text, file), options));
  }

  /** A fixed set (tests, tools): `{ keys: [...] }` with each key's `service`. */
  static async of(jwks: { keys: ServiceJwk[] }): Promise<ServiceKeySet> {
    const bound = await readServiceJwks(JSON.stringify(jwks));
    return new ServiceKeySet({ current: async () => bound, check: async () => bound });
  }

  /** The key a token's header names, and the service it is bound to. Unknown ids get one fresh look at the file. */
  async resolve(header: { kid?: unknown; alg?: unknown }): Promise<BoundKey> {
    if (typeof header.kid !== 'string') throw new KeyBindingError('the token names no key id');
    const bound = (await this.source.current()).get(header.kid) ?? (await this.source.check()).get(header.kid);
    if (!bound) throw new KeyBindingError(`key ${header.kid} is not an internal key`);
    if (header.alg !== bound.alg) throw new KeyBindingError(`key ${header.kid} signs with ${bound.alg}, not ${header.alg}`);
    return bound;
  }

  /** The key a token's header names, refused unless it is bound to one of `services`. */
  async resolveFor(header: { kid?: unknown; alg?: unknown }, services: readonly string[] | 'any'): Promise<BoundKey> {
    const bound = await this.resolve(header);
    if (services !== 'any' && !services.includes(bound.service)) {
      throw new KeyBindingError(`key ${bound.kid} belongs to ${bound.service}, which may not sign this`);
    }
    return bound;
  }

  /**
   * A key lookup for `jwtVerify` that accepts only keys of the given services, and reports which
   * service signed through `onSigner`.
   */
  verifier(services: readonly string[] | 'any', onSigner?: (service: string) => void): JWTVerifyGetKey {
    return async (header) => {
      const bound = await this.resolveFor(header, services);
      onSigner?.(bound.service);
      return bound.key;
    };
  }
}

/** A service's own private key: what it signs with, as its own identity. */
export interface ServiceSigner {
  readonly service: string;
  current(): Promise<SigningKey>;
}

/** Opens a service's private key file; a replaced file is used from the next signature on. */
export async function openServiceSigner(service: string, file: string, options: WatchedFileOptions = {}): Promise<ServiceSigner> {
  const watched = await WatchedKeyFile.open(file, (text) => parseSigningKey(text, file), options);
  return { service, current: () => watched.current() };
}

/** A signer over a key held in memory (tests, tools). */
export function fixedSigner(service: string, key: SigningKey): ServiceSigner {
  return { service, current: async () => key };
}

async function parseSigningKey(text: string, file: string): Promise<SigningKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    throw new Error(`the signing key at ${file} is not valid JSON`);
  }
  try {
    return await signingKeyFromJwk(jwk);
  } catch (error) {
    throw new Error(`the signing key at ${file}: ${(error as Error).message}`);
  }
}
