/**
 * `npm run compose`: composes the subgraphs' SDL files into schema/supergraph.graphql.
 * `npm run compose -- --check`: fails if the committed supergraph is not what composition gives.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compose, repoRoot, supergraphPath } from './composition.js';

const check = process.argv.includes('--check');
const result = compose();
if (!result.ok) {
  process.stderr.write(`Composition failed with ${result.errors.length} error(s):\n`);
  for (const e of result.errors) process.stderr.write(`  - ${e}\n`);
  process.exit(1);
}
const relative = path.relative(repoRoot, supergraphPath);
if (check) {
  let committed = '';
  try {
    committed = readFileSync(supergraphPath, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (committed !== result.supergraphSdl) {
    process.stderr.write(`${relative} is stale: run \`npm run compose\` and commit the result.\n`);
    process.exit(1);
  }
  process.stdout.write(`${relative} is up to date.\n`);
} else {
  writeFileSync(supergraphPath, result.supergraphSdl);
  process.stdout.write(`Wrote ${relative}.\n`);
}
