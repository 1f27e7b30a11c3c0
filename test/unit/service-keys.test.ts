import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anonymous } from '../../subgraphs/kit/auth/caller.js';
import { EnvelopeError, signEnvelope, verifyEnvelope, type EnvelopeRequest } from '../../subgraphs/kit/auth/envelope.js';
import { ensureDevKeys, generateSigningKeyPair, loadSigningKey, retireKey, rotateServiceKey } from '../../subgraphs/kit/auth/keys.js';
import { openServiceSigner, readServiceJwks, ServiceKeySet, type ServiceJwk } from '../../subgraphs/kit/auth/service-keys.js';

const folders: string[] = [];
const folder = (name: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), `hutong-${name}-`));
  folders.push(dir);
  return dir;
};
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

const request: EnvelopeRequest = { audience: 'shandong', method: 'POST', path: '/graphql', body: '{}' };
const jwksOf = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { keys: ServiceJwk[] };
const refusalOf = (promise: Promise<unknown>) => promise.then(() => 'accepted', (e: Error) => `${e.name}: ${e.message}`);

describe('the internal JWKS', () => {
  const pair = () => generateSigningKeyPair('gateway-1');
  it.each([
    ['a private key', async () => ({ keys: [{ ...(await pair()).privateJwk, service: 'gateway' }] }), 'key 1 (gateway-1) holds a private key: the internal JWKS may hold public keys only'],
    ['a key bound to no service', async () => ({ keys: [(await pair()).publicJwk] }), 'key 1 (gateway-1) needs "service": the one service the key speaks for (e.g. "gateway", "recognition", "shandong")'],
    ['a key bound to a malformed service name', async () => ({ keys: [{ ...(await pair()).publicJwk, service: 'Gateway!' }] }), 'key 1 (gateway-1) needs "service"'],
    ['a key without kid', async () => ({ keys: [{ ...(await pair()).publicJwk, kid: undefined, service: 'gateway' }] }), 'key 1 has no "kid"'],
    ['a key for HS256', async () => ({ keys: [{ ...(await pair()).publicJwk, alg: 'HS256', service: 'gateway' }] }), 'key 1 (gateway-1) needs "alg" ES256 or RS256'],
    ['one key id twice', async () => {
      const { publicJwk } = await pair();
      return { keys: [{ ...publicJwk, service: 'gateway' }, { ...publicJwk, service: 'shandong' }] };
    }, 'key 2: key id gateway-1 appears twice'],
    ['no keys', async () => ({ keys: [] }), 'needs a non-empty "keys" array'],
  ])('is refused when it holds %s', async (_what, make, message) => {
    await expect(readServiceJwks(JSON.stringify(await make()), 'jwks.json')).rejects.toThrow(message);
  });

  it('is refused when it is not JSON', async () => {
    await expect(readServiceJwks('{"keys": [', 'jwks.json')).rejects.toThrow('jwks.json is not valid JSON');
  });

  it('binds each key id to its one service', async () => {
    const gateway = await generateSigningKeyPair('gateway-1');
    const registry = await generateSigningKeyPair('shandong-1', 'RS256');
    const bound = await readServiceJwks(JSON.stringify({ keys: [{ ...gateway.publicJwk, service: 'gateway' }, { ...registry.publicJwk, service: 'shandong' }] }));
    expect([...bound.values()].map((k) => [k.kid, k.service, k.alg])).toEqual([['gateway-1', 'gateway', 'ES256'], ['shandong-1', 'shandong', 'RS256']]);
  });
});

describe('development keys', () => {
  it('give every service its own key pair, private files readable by their owner only, and bind each public key to its service', async () => {
    const dir = folder('dev-keys');
    const files = await ensureDevKeys(dir, ['gateway', 'recognition', 'shandong']);
    const { keys } = jwksOf(files.internalJwks);
    expect(keys.map((k) => k.service)).toEqual(['gateway', 'recognition', 'shandong']);
    expect(keys.every((k) => k.d === undefined)).toBe(true);
    for (const service of ['gateway', 'recognition', 'shandong']) {
      const own = await loadSigningKey(files.serviceKey(service));
      expect(keys.find((k) => k.service === service)!.kid).toBe(own.kid);
      expect(own.kid).toMatch(new RegExp(`^${service}-\\d{4}-\\d{2}-\\d{2}-[0-9a-f]{6}$`));
      expect(statSync(files.serviceKey(service)).mode & 0o777).toBe(0o600);
    }
    expect(new Set(keys.map((k) => k.x)).size).toBe(3);
  });

  it('keep the keys they made, and give a service added later a key of its own', async () => {
    const dir = folder('dev-keys-again');
    const files = await ensureDevKeys(dir, ['gateway', 'shandong']);
    const before = jwksOf(files.internalJwks).keys.map((k) => k.kid);
    await ensureDevKeys(dir, ['gateway', 'shandong', 'hebei']);
    const after = jwksOf(files.internalJwks).keys;
    expect(after.map((k) => k.kid).slice(0, 2)).toEqual(before);
    expect(after.map((k) => k.service)).toEqual(['gateway', 'shandong', 'hebei']);
  });

  it('drop the one shared key of earlier versions, which was bound to no service', async () => {
    const dir = folder('dev-keys-legacy');
    const legacy = await generateSigningKeyPair('hutong-dev-internal-old');
    writeFileSync(path.join(dir, 'internal-jwks.json'), JSON.stringify({ keys: [legacy.publicJwk] }));
    writeFileSync(path.join(dir, 'internal-signing-key.json'), JSON.stringify(legacy.privateJwk));
    const files = await ensureDevKeys(dir, ['gateway']);
    expect(jwksOf(files.internalJwks).keys.map((k) => k.kid)).not.toContain('hutong-dev-internal-old');
    expect(existsSync(path.join(dir, 'internal-signing-key.json'))).toBe(false);
  });
});

describe('rotation, picked up without a restart', () => {
  it('accepts the old and the new key side by side, then refuses the retired one', async () => {
    const dir = folder('rotation');
    const files = await ensureDevKeys(dir, ['gateway', 'shandong']);
    const keys = await ServiceKeySet.open(files.internalJwks, { checkEveryMs: 0 });
    const signer = await openServiceSigner('gateway', files.serviceKey('gateway'), { checkEveryMs: 0 });
    const old = await signer.current();
    const envelope = async (key = old) => signEnvelope(key, 'gateway', anonymous, request);

    const { kid, previous } = await rotateServiceKey(dir, 'gateway');
    expect(previous).toEqual([old.kid]);
    const fresh = await signer.current();
    expect(fresh.kid).toBe(kid);
    // Both valid side by side: envelopes signed just before the rotation are still good.
    await expect(verifyEnvelope(keys, await envelope(old), request)).resolves.toMatchObject({ service: 'gateway' });
    await expect(verifyEnvelope(keys, await envelope(fresh), request)).resolves.toMatchObject({ service: 'gateway' });

    await expect(retireKey(dir, kid)).rejects.toThrow(`${kid} is the key gateway signs with now: rotate it first`);
    await retireKey(dir, old.kid);
    expect(await refusalOf(verifyEnvelope(keys, await envelope(old), request))).toBe('EnvelopeError: request signature is invalid or expired');
    await expect(verifyEnvelope(keys, await envelope(fresh), request)).resolves.toMatchObject({ service: 'gateway' });
  });

  it('learns a key id it does not know yet at once, without waiting for its next look at the file', async () => {
    const dir = folder('rotation-unknown-kid');
    const files = await ensureDevKeys(dir, ['gateway']);
    const keys = await ServiceKeySet.open(files.internalJwks, { checkEveryMs: 3_600_000 });
    await rotateServiceKey(dir, 'gateway');
    const fresh = await loadSigningKey(files.serviceKey('gateway'));
    await expect(verifyEnvelope(keys, await signEnvelope(fresh, 'gateway', anonymous, request), request)).resolves.toMatchObject({ service: 'gateway' });
  });

  it('keeps the keys in force when the file is replaced by a broken one, says so once, and takes the file once it is fixed', async () => {
    const dir = folder('rotation-broken');
    const files = await ensureDevKeys(dir, ['gateway']);
    const refused: string[] = [];
    const keys = await ServiceKeySet.open(files.internalJwks, { checkEveryMs: 0, onRefused: (file, error) => refused.push(`${path.basename(file)}: ${error.message}`) });
    const key = await loadSigningKey(files.serviceKey('gateway'));
    const good = readFileSync(files.internalJwks, 'utf8');
    writeFileSync(files.internalJwks, '{"keys": [');
    await expect(verifyEnvelope(keys, await signEnvelope(key, 'gateway', anonymous, request), request)).resolves.toMatchObject({ service: 'gateway' });
    await expect(verifyEnvelope(keys, await signEnvelope(key, 'gateway', anonymous, request), request)).resolves.toMatchObject({ service: 'gateway' });
    expect(refused).toEqual([`internal-jwks.json: ${files.internalJwks} is not valid JSON`]);

    const other = await generateSigningKeyPair('shandong-2');
    writeFileSync(files.internalJwks, JSON.stringify({ keys: [{ ...other.publicJwk, service: 'shandong' }] }));
    const error = await verifyEnvelope(keys, await signEnvelope(key, 'gateway', anonymous, request), request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvelopeError);
    writeFileSync(files.internalJwks, good);
    await expect(verifyEnvelope(keys, await signEnvelope(key, 'gateway', anonymous, request), request)).resolves.toMatchObject({ service: 'gateway' });
  });
});
