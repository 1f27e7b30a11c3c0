/**
 * `npm run conformance -- --url <registry>`: checks a running registry against the registry
 * contract (schema/registry-contract.md) and prints one line per check; exits 1 when any fails.
 *
 *   --url <url>        the registry's base URL, e.g. http://127.0.0.1:4004
 *   --subgraph <name>  its subgraph name (default: what its /health says)
 *   --keys <folder>    service keys to sign with: services/<name>.json of gateway, catalogue,
 *                      recognition and the registry (default: data/keys)
 *   --type-prefix <P>  its GraphQL type prefix (default: the region list's, else read from its SDL)
 *   --read-only        no usage record and no dispute are written
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { devKeyFiles } from '../subgraphs/kit/auth/keys.js';
import { healthSchema } from '../subgraphs/kit/registry/contract.js';
import { runConformance } from './conformance-checks.js';

const usage = 'Usage: npm run conformance -- --url <registry URL> [--subgraph <name>] [--keys <folder>] [--type-prefix <prefix>] [--read-only]';
let values: { url?: string; subgraph?: string; keys?: string; 'type-prefix'?: string; 'read-only': boolean };
try {
  ({ values } = parseArgs({
    options: {
      url: { type: 'string' },
      subgraph: { type: 'string' },
      keys: { type: 'string' },
      'type-prefix': { type: 'string' },
      'read-only': { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${usage}\n`);
  process.exit(2);
}
if (!values.url) {
  process.stderr.write(`--url is required.\n${usage}\n`);
  process.exit(2);
}
const url = values.url.replace(/\/+$/, '');
const keysFolder = values.keys
  ? path.resolve(values.keys)
  : path.join(path.resolve(import.meta.dirname, '..', process.env.HUTONG_DATA_ROOT ?? 'data'), 'keys');

/** The registry names itself in /health (the contract asks it to). */
async function subgraphName(): Promise<string> {
  if (values.subgraph) return values.subgraph;
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
    const health = healthSchema.safeParse(await res.json());
    if (health.success) return health.data.subgraph;
  } catch {
    // Reported below.
  }
  process.stderr.write(`${url}/health does not name the registry's subgraph: give it with --subgraph.\n${usage}\n`);
  process.exit(2);
}

// The suite signs as each of the registry's three callers; without their keys it checks nothing useful.
const missing = ['gateway', 'catalogue', 'recognition'].filter((service) => !existsSync(devKeyFiles(keysFolder).serviceKey(service)));
if (missing.length > 0) {
  process.stderr.write(`No signing key of ${missing.join(', ')} in ${path.join(keysFolder, 'services')} (npm run keys creates development keys; another folder: --keys).\n`);
  process.exit(2);
}

const subgraph = await subgraphName();
const writes = !values['read-only'];
console.log(`Registry contract conformance of ${subgraph} at ${url} (keys: ${keysFolder}${writes ? '; writes one usage record and one dispute' : '; read-only'})`);
const report = await runConformance({ url, subgraph, keysFolder, typePrefix: values['type-prefix'], writes });
for (const c of report.checks) console.log(`${c.ok ? '✓' : '✗'} ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
const failed = report.checks.filter((c) => !c.ok).length;
console.log(failed === 0 ? `All ${report.checks.length} checks pass.` : `${failed} of ${report.checks.length} checks fail.`);
process.exit(failed === 0 ? 0 : 1);
