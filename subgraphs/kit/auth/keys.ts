import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
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

/** Development key files, created once under a folder (default `data/keys`). */
export interface DevKeyFiles {
  /** Signs client tokens in development (`npm run tokens`); production uses the identity provider's. */
  clientSigningKey: string;
  /** Public keys the gateway accepts client tokens from. */
  clientJwks: string;
  /** Signs the gateway's envelopes and service calls between subgraphs. */
  internalSigningKey: string;
  /** Public keys subgraphs accept envelopes from. */
  internalJwks: string;
}

export function devKeyFiles(folder: string): DevKeyFiles {
  return {
    clientSigningKey: path.join(folder, 'client-signing-key.json'),
    clientJwks: path.join(folder, 'client-jwks.json'),
    internalSigningKey: path.join(folder, 'internal-signing-key.json'),
    internalJwks: path.join(folder, 'internal-jwks.json'),
  };
}

export async function ensureDevKeys(folder: string): Promise<DevKeyFiles> {
  const files = devKeyFiles(folder);
  if (Object.values(files).every((f) => existsSync(f))) return files;
  await mkdir(folder, { recursive: true, mode: 0o700 });
  for (const [name, privateFile, jwksFile] of [
    ['client', files.clientSigningKey, files.clientJwks],
    ['internal', files.internalSigningKey, files.internalJwks],
  ] as const) {
    const { privateJwk, publicJwk } = await generateSigningKeyPair(`hutong-dev-${name}-${Date.now().toString(36)}`);
    await writeFile(privateFile, JSON.stringify(privateJwk, null, 2), { mode: 0o600 });
    await writeFile(jwksFile, JSON.stringify({ keys: [publicJwk] }, null, 2));
  }
  return files;
}
