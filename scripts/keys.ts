/**
 * `npm run keys [-- list]`: the services' keys under data/keys (created when missing) and the
 * service each is bound to.
 * `npm run keys -- rotate <service>`: a new key pair for one service; its public key joins the
 * internal JWKS next to the old one and the service signs with the new key within a second.
 * `npm run keys -- retire <kid>`: removes a key from the JWKS once envelopes signed with it have
 * expired (35 s after the rotation); from then on it is refused. No process needs a restart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDevKeys, retireKey, rotateServiceKey } from '../subgraphs/kit/auth/keys.js';
import type { ServiceJwk } from '../subgraphs/kit/auth/service-keys.js';
import { serviceNames } from '../subgraphs/kit/reference.js';

const folder = path.join(path.resolve(import.meta.dirname, '..', process.env.HUTONG_DATA_ROOT ?? 'data'), 'keys');
const [command = 'list', argument] = process.argv.slice(2);
const usage = 'usage: npm run keys -- [list | rotate <service> | retire <kid>]';

const files = await ensureDevKeys(folder, serviceNames());
try {
  if (command === 'list') {
    const { keys } = JSON.parse(readFileSync(files.internalJwks, 'utf8')) as { keys: ServiceJwk[] };
    console.log(`${files.internalJwks}:`);
    for (const k of keys) console.log(`  ${k.kid}  ${k.alg}  speaks for ${k.service}`);
  } else if (command === 'rotate' && argument) {
    if (!serviceNames().includes(argument)) throw new Error(`no service ${argument}; known: ${serviceNames().join(', ')}`);
    const { kid, previous } = await rotateServiceKey(folder, argument);
    console.log(`${argument} now signs with ${kid}; both keys are accepted.`);
    if (previous.length > 0) console.log(`After 35 s (the longest an envelope lives, with tolerance): npm run keys -- retire ${previous.join(' ')}`);
  } else if (command === 'retire' && argument) {
    for (const kid of process.argv.slice(3)) {
      const { service } = await retireKey(folder, kid);
      console.log(`retired ${kid} (${service}): refused from now on`);
    }
  } else {
    console.error(usage);
    process.exit(2);
  }
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
