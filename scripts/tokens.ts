/**
 * `npm run tokens [-- [--raw] name…]`: prints development tokens (valid 8 hours) for the identities in
 * scripts/dev-identities.ts, signed with the local development key under data/keys (created on
 * first use, and by `npm start`). Paste one into GraphiQL's Headers tab as
 * {"Authorization": "Bearer <token>"}. `--raw` prints the bare tokens only, for scripts:
 * TOKEN=$(npm run -s tokens -- --raw analyst).
 */
import path from 'node:path';
import { mintClientToken } from '../subgraphs/kit/auth/client-tokens.js';
import { ensureDevKeys, loadSigningKey } from '../subgraphs/kit/auth/keys.js';
import { devIdentities } from './dev-identities.js';
import { serviceNames } from '../subgraphs/kit/reference.js';

const dataRoot = path.resolve(import.meta.dirname, '..', process.env.HUTONG_DATA_ROOT ?? 'data');
const keys = await ensureDevKeys(path.join(dataRoot, 'keys'), serviceNames());
const key = await loadSigningKey(keys.clientSigningKey);
const raw = process.argv.includes('--raw');
const wanted = process.argv.slice(2).filter((a) => a !== '--raw');
const identities = devIdentities().filter((i) => wanted.length === 0 || wanted.includes(i.name));
if (identities.length === 0) {
  console.error(`No such identity. Known: ${devIdentities().map((i) => i.name).join(', ')}`);
  process.exit(2);
}
if (raw) {
  for (const identity of identities) console.log(await mintClientToken(key, identity.claims));
  process.exit(0);
}
for (const identity of identities) {
  console.log(`# ${identity.name}: ${identity.description}`);
  console.log(await mintClientToken(key, identity.claims));
  console.log();
}
console.log('Use one in GraphiQL (Headers tab): {"Authorization": "Bearer <token>"}');
