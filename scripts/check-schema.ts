/**
 * `npm run check:schema`: compares each subgraph's current SDL with the committed supergraph and
 * fails (exit 1) on changes that break clients or composition; dangerous and safe changes are
 * printed for information only.
 *
 *   --supergraph <file>  compare with another supergraph than schema/supergraph.graphql
 *   --allow-breaking     a deliberate break (agreed with the clients): print it, exit 0
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, subgraphSources, supergraphPath } from './composition.js';
import { checkSchema, type Finding } from './schema-check.js';

let values: { supergraph: string; 'allow-breaking': boolean };
try {
  ({ values } = parseArgs({
    options: {
      supergraph: { type: 'string', default: supergraphPath },
      'allow-breaking': { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\nUsage: npm run check:schema [-- --supergraph <file>] [--allow-breaking]\n`);
  process.exit(1);
}
const file = path.resolve(values.supergraph);
const relative = file.startsWith(repoRoot + path.sep) ? path.relative(repoRoot, file) : file;

let committedSdl: string;
try {
  committedSdl = readFileSync(file, 'utf8');
} catch (error) {
  process.stderr.write(`Cannot read ${relative}: ${(error as Error).message}\n`);
  process.exit(1);
}

let report: Awaited<ReturnType<typeof checkSchema>>;
try {
  report = await checkSchema(committedSdl, subgraphSources());
} catch (error) {
  process.stderr.write(`${relative} is not a readable supergraph: ${(error as Error).message}\n`);
  process.exit(1);
}

const where: Record<Finding['kind'], string> = { composition: 'composition', subgraph: 'subgraph SDL', api: 'client API' };
const line = (f: Finding) => {
  const subgraphs = f.subgraphs.length > 0 ? f.subgraphs.join(', ') : 'no subgraph defines it';
  return `  - [${subgraphs}] ${where[f.kind]}${f.path ? ` ${f.path}` : ''}: ${f.message}${f.change ? ` (${f.change})` : ''}\n`;
};

// A type added is one line: its fields, values and descriptions come with it.
const added = new Set(report.findings.filter((f) => f.change === 'TYPE_ADDED').map((f) => `${f.kind} ${f.subgraphs.join()} ${f.path}`));
const underAddedType = (f: Finding) => f.path?.includes('.') === true && added.has(`${f.kind} ${f.subgraphs.join()} ${f.path.split('.')[0]}`);
const info = report.findings.filter((f) => f.severity !== 'breaking' && !underAddedType(f));
for (const severity of ['dangerous', 'safe'] as const) {
  const some = info.filter((f) => f.severity === severity);
  if (some.length === 0) continue;
  process.stdout.write(`${some.length} ${severity} change(s), for information:\n`);
  for (const f of some) process.stdout.write(line(f));
}

if (report.breaking.length === 0) {
  process.stdout.write(`No breaking changes in ${report.subgraphCount} subgraphs against ${relative}.\n`);
  process.exit(0);
}
const allowed = values['allow-breaking'];
const out = allowed ? process.stdout : process.stderr;
out.write(`${report.breaking.length} breaking change(s) against ${relative}:\n`);
for (const f of report.breaking) out.write(line(f));
if (allowed) {
  out.write('Allowed with --allow-breaking: make sure the clients affected know before this is deployed.\n');
  process.exit(0);
}
out.write('Restore compatibility (add rather than change or remove; deprecate first), or, for an agreed break, run with --allow-breaking.\n');
process.exit(1);
