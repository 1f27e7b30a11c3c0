/**
 * `npm run contract:schemas`: writes the JSON Schemas of the registry contract
 * (subgraphs/kit/registry/contract.ts) to schema/registry-contract/. With `-- --check` it writes
 * nothing and fails (exit 1) when a committed file is stale, missing or left over.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { contractJsonSchemas } from '../subgraphs/kit/registry/contract.js';
import { isMainModule } from '../subgraphs/kit/run.js';

export const contractSchemaFolder = path.resolve(import.meta.dirname, '..', 'schema', 'registry-contract');

/** Each file's expected text, by name. */
export function contractSchemaFiles(): Map<string, string> {
  return new Map(Object.entries(contractJsonSchemas()).map(([name, schema]) => [name, `${JSON.stringify(schema, null, 2)}\n`]));
}

/** Files that differ from what the contract gives: stale, missing, or no longer part of it. */
export function staleContractSchemas(folder = contractSchemaFolder): string[] {
  const expected = contractSchemaFiles();
  const present = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.schema.json')) : [];
  const stale = [...expected].filter(([name, text]) => !present.includes(name) || readFileSync(path.join(folder, name), 'utf8') !== text).map(([name]) => name);
  return [...stale, ...present.filter((f) => !expected.has(f))].sort();
}

if (isMainModule(import.meta.url)) {
  const relative = path.relative(process.cwd(), contractSchemaFolder) || '.';
  if (process.argv.includes('--check')) {
    const stale = staleContractSchemas();
    if (stale.length > 0) {
      console.error(`${relative}: stale or unexpected: ${stale.join(', ')} (run npm run contract:schemas)`);
      process.exit(1);
    }
    console.log(`${relative}: up to date`);
  } else {
    mkdirSync(contractSchemaFolder, { recursive: true });
    const files = contractSchemaFiles();
    for (const f of readdirSync(contractSchemaFolder)) if (f.endsWith('.schema.json') && !files.has(f)) rmSync(path.join(contractSchemaFolder, f));
    for (const [name, text] of files) writeFileSync(path.join(contractSchemaFolder, name), text);
    console.log(`${relative}: ${[...files.keys()].join(', ')}`);
  }
}
