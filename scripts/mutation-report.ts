/**
 * Mutation score per decision module, from Stryker's JSON report (`npm run test:mutation`).
 * A module is the set of files that make one kind of decision; each must reach the target.
 */
import { readFileSync } from 'node:fs';

const TARGET = 85;
const reportPaths = process.argv.length > 2 ? process.argv.slice(2) : ['reports/mutation/mutation.json'];

const modules: [name: string, files: RegExp][] = [
  ['recognition engine', /recognition\/engine\.ts$/],
  ['verification service', /recognition\/service\.ts$/],
  ['recognition store (codes single use, verifications)', /recognition\/db\/store\.ts$/],
  ['presentation codes', /recognition\/codes\.ts$/],
  ['status and validity', /registry\/status\.ts$|kit\/days\.ts$/],
  ['identifiers and check characters', /identifiers\/[\w-]+\.ts$|kit\/routing\.ts$|catalogue\/routing\.ts$/],
  ['masking and record access', /kit\/masking\.ts$|registry\/resolvers\.ts$/],
  ['field access (scopes)', /auth\/scopes\.ts$|gateway\/src\/authorization\.ts$/],
  ['envelopes and callers', /auth\/envelope\.ts$|auth\/caller\.ts$|auth\/client-tokens\.ts$|gateway\/src\/auth\.ts$/],
  ['registry commands and records', /registry\/commands\.ts$|registry\/records\.ts$|kit\/text\.ts$/],
  ['national index store', /catalogue\/db\/index-store\.ts$/],
  ['catalogue feed and usage relay (nothing lost)', /registry\/feed\.ts$|recognition\/usage-relay\.ts$/],
  ['operation limits and demand control', /gateway\/src\/limits\.ts$|gateway\/src\/cost\.ts$/],
  ['pages and cursors', /kit\/pages\.ts$/],
  ['row access in resolvers (listings, verifications)', /catalogue\/resolvers\/Holder\.ts$|recognition\/resolvers\/(Query|types)\.ts$/],
  ['subgraph guard (timeouts, retries, breaker)', /gateway\/src\/resilience\.ts$|kit\/deadline\.ts$/],
  ['restart policy and ordered stop', /scripts\/supervisor\.ts$/],
  ['supergraph reload (validation, policy per schema)', /gateway\/src\/supergraph\.ts$/],
  ['shared subgraph calls (never across callers)', /gateway\/src\/shared-calls\.ts$/],
];

interface Mutant { status: string }
// Several reports (e.g. a full run and a later run of a few modules) are read as one; a later
// report's file replaces an earlier one's.
const report: { files: Record<string, { mutants: Mutant[] }> } = { files: {} };
for (const reportPath of reportPaths) Object.assign(report.files, (JSON.parse(readFileSync(reportPath, 'utf8')) as typeof report).files);

const tally = (mutants: Mutant[]) => {
  const count = (...statuses: string[]) => mutants.filter((m) => statuses.includes(m.status)).length;
  const detected = count('Killed', 'Timeout');
  const valid = detected + count('Survived', 'NoCoverage');
  return { detected, survived: count('Survived'), noCoverage: count('NoCoverage'), valid, score: valid === 0 ? 100 : (100 * detected) / valid };
};

const rows: string[] = [];
let failing = 0;
const claimed = new Set<string>();
for (const [name, pattern] of modules) {
  const files = Object.keys(report.files).filter((f) => pattern.test(f));
  files.forEach((f) => claimed.add(f));
  const t = tally(files.flatMap((f) => report.files[f]!.mutants));
  const ok = t.score >= TARGET;
  if (!ok) failing++;
  rows.push(`${ok ? '  ' : '✗ '}${name.padEnd(52)} ${t.score.toFixed(1).padStart(6)} %  ${String(t.detected).padStart(5)} killed  ${String(t.survived).padStart(4)} survived  ${String(t.noCoverage).padStart(4)} no coverage`);
}
const unclaimed = Object.keys(report.files).filter((f) => !claimed.has(f));
const all = tally(Object.values(report.files).flatMap((f) => f.mutants));
console.log(`Mutation score per decision module (target ${TARGET} %):\n`);
console.log(rows.join('\n'));
console.log(`\n  ${'all decision modules'.padEnd(52)} ${all.score.toFixed(1).padStart(6)} %  ${String(all.detected).padStart(5)} killed  ${String(all.survived).padStart(4)} survived  ${String(all.noCoverage).padStart(4)} no coverage`);
if (unclaimed.length) console.log(`\nFiles mutated but in no module: ${unclaimed.join(', ')}`);
if (failing > 0) {
  console.error(`\n${failing} module(s) below ${TARGET} %.`);
  process.exit(1);
}
