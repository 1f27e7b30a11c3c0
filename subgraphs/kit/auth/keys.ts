import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServiceJwk } from './service-keys.js';
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';

export type SigningAlgorithm = 'ES256' | 'RS256';

export interface SigningKey {
  key: CryptoKey;
  kid: string;
  alg: SigningAlgorithm;
}

/** Generates a signing key pair; the private JWK keeps `kid` and `alg` so it can be loaded alone. */
export async function generateSigningKeyPair(kid: string, alg: SigningAlgorithm = 'ES256'): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { privateJwk, publicJwk };
}

export async function signingKeyFromJwk(jwk: JWK): Promise<SigningKey> {
  if (!jwk.kid || (jwk.alg !== 'ES256' && jwk.alg !== 'RS256') || !jwk.d) {
    throw new Error('a signing key must be a private JWK with kid and alg ES256 or RS256');
  }
  return { key: (await importJWK(jwk, jwk.alg)) as CryptoKey, kid: jwk.kid, alg: jwk.alg as SigningAlgorithm };
}

export async function loadSigningKey(file: string): Promise<SigningKey> {
  return signingKeyFromJwk(await readJson<JWK>(file, 'signing key'));
}

/** A key set that verifies tokens from a JWKS file; only public keys are kept. */
export async function loadJwks(file: string): Promise<JWTVerifyGetKey> {
  const jwks = await readJson<{ keys: JWK[] }>(file, 'JWKS');
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new Error(`${file}: a JWKS needs a non-empty "keys" array`);
  return createLocalJWKSet({ keys: jwks.keys.map(publicPart) });
}

export function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

async function readJson<T>(file: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`cannot read the ${what} at ${file} (npm start and npm run tokens create development keys under data/keys)`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`the ${what} at ${file} is not valid JSON`);
  }
}

/** Development key files, created under a folder (default `data/keys`). */
export interface DevKeyFiles {
  /** Signs client tokens in development (`npm run tokens`); production uses the identity provider's. */
  clientSigningKey: string;
  /** Public keys the gateway accepts client tokens from. */
  clientJwks: string;
  /** Public keys of every service, each bound to the one service it speaks for. */
  internalJwks: string;
  /** The private key file of one service (the gateway, a subgraph): only that service is given it. */
  serviceKey(service: string): string;
}

export function devKeyFiles(folder: string): DevKeyFiles {
  return {
    clientSigningKey: path.join(folder, 'client-signing-key.json'),
    clientJwks: path.join(folder, 'client-jwks.json'),
    internalJwks: path.join(folder, 'internal-jwks.json'),
    serviceKey: (service) => path.join(folder, 'services', `${service}.json`),
  };
}


/**
 * Development keys: the client-token key, and one key pair per service. A service without a key
 * gets one (a region added later too); keys from before keys were per service, which are bound
 * to no service, are dropped.
 */
export async function ensureDevKeys(folder: string, services: readonly string[]): Promise<DevKeyFiles> {
  const files = devKeyFiles(folder);
  await mkdir(path.join(folder, 'services'), { recursive: true, mode: 0o700 });
  if (!existsSync(files.clientSigningKey) || !existsSync(files.clientJwks)) {
    const { privateJwk, publicJwk } = await generateSigningKeyPair(`hutong-dev-client-${Date.now().toString(36)}`);
    await writeAtomically(files.clientSigningKey, privateJwk, 0o600);
    await writeAtomically(files.clientJwks, { keys: [publicJwk] });
  }
  const jwks = existsSync(files.internalJwks) ? (await readJson<{ keys: ServiceJwk[] }>(files.internalJwks, 'internal JWKS')).keys ?? [] : [];
  let keys = jwks.filter((k) => typeof k.service === 'string');
  let changed = keys.length !== jwks.length;
  for (const service of services) {
    const file = files.serviceKey(service);
    if (!existsSync(file)) {
      const { privateJwk } = await generateSigningKeyPair(newKid(service));
      await writeAtomically(file, privateJwk, 0o600);
    }
    const own = await readJson<JWK>(file, `signing key of ${service}`);
    if (!keys.some((k) => k.kid === own.kid)) {
      keys = [...keys.filter((k) => k.service !== service), { ...publicPart(own), service }];
      changed = true;
    }
  }
  if (changed || !existsSync(files.internalJwks)) await writeAtomically(files.internalJwks, { keys });
  // The single shared key of earlier versions would still let anyone holding it sign: gone.
  await rm(path.join(folder, 'internal-signing-key.json'), { force: true });
  return files;
}

const newKid = (service: string) => `${service}-${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;

/**
 * Rotation, first step: a new key pair for `service`. Its public key joins the JWKS next to the
 * old one (both are accepted), and the service's key file is replaced (it signs with the new key
 * from its next signature). Returns the new key id and the ones to retire once in-flight tokens
 * signed with them have expired.
 */
export async function rotateServiceKey(folder: string, service: string): Promise<{ kid: string; previous: string[] }> {
  const files = devKeyFiles(folder);
  const { keys } = await readJson<{ keys: ServiceJwk[] }>(files.internalJwks, 'internal JWKS');
  const { privateJwk, publicJwk } = await generateSigningKeyPair(newKid(service));
  // Verifiers must know the new key before anything is signed with it.
  await writeAtomically(files.internalJwks, { keys: [...keys, { ...publicJwk, service }] });
  await writeAtomically(files.serviceKey(service), privateJwk, 0o600);
  return { kid: privateJwk.kid!, previous: keys.filter((k) => k.service === service).map((k) => k.kid!) };
}

/** Rotation, last step: the key `kid` is removed from the JWKS and refused from then on. */
export async function retireKey(folder: string, kid: string): Promise<{ service: string }> {
  const files = devKeyFiles(folder);
  const { keys } = await readJson<{ keys: ServiceJwk[] }>(files.internalJwks, 'internal JWKS');
  const retired = keys.find((k) => k.kid === kid);
  if (!retired) throw new Error(`no key ${kid} in ${files.internalJwks}`);
  const own = await readJson<JWK>(files.serviceKey(retired.service!), `signing key of ${retired.service}`).catch(() => undefined);
  if (own?.kid === kid) throw new Error(`${kid} is the key ${retired.service} signs with now: rotate it first`);
  await writeAtomically(files.internalJwks, { keys: keys.filter((k) => k.kid !== kid) });
  return { service: retired.service! };
}

/** Writes a whole file at once (a temporary file renamed over it): a process reading it never sees half. */
async function writeAtomically(file: string, value: unknown, mode = 0o644): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode });
  await rename(temporary, file);
}
