/**
 * `npm run verify-copy -- <copy.pdf | token>`: checks an annotated copy (加注件) offline. The copy's
 * QR code and its PDF document information carry the same token, signed with recognition's key;
 * this checks it against recognition's public keys and prints what the copy states.
 *
 *   --jwks <file>   public keys to check with (default: data/keys/internal-jwks.json, as
 *                   HUTONG_INTERNAL_JWKS_FILE); only keys bound to recognition are accepted
 *   --at <time>     check as of this ISO time instead of now
 *
 * Exit code 0: valid; 1: expired, altered or not issued by Hutong; 2: the command was misused.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ServiceKeySet } from '../subgraphs/kit/auth/service-keys.js';
import { recognitionSubgraph } from '../subgraphs/kit/reference.js';
import { checkCopyToken, copyTokenOfPdf, type CopyStatement } from '../subgraphs/recognition/annotated-copy.js';

const usage = 'Usage: npm run verify-copy -- <copy.pdf | token> [--jwks <file>] [--at <ISO time>]';
const fail = (message: string, code: 1 | 2): never => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};

let parsed: { values: { jwks?: string; at?: string }; positionals: string[] };
try {
  parsed = parseArgs({ options: { jwks: { type: 'string' }, at: { type: 'string' } }, allowPositionals: true });
} catch (error) {
  fail(`${(error as Error).message}\n${usage}`, 2);
}
const { values, positionals } = parsed!;
if (positionals.length !== 1) fail(usage, 2);
const input = positionals[0]!;
const at = values.at ? new Date(values.at) : new Date();
if (Number.isNaN(at.getTime())) fail(`--at must be an ISO time (got "${values.at}").\n${usage}`, 2);
const jwksFile = values.jwks ?? process.env.HUTONG_INTERNAL_JWKS_FILE ?? 'data/keys/internal-jwks.json';
if (!existsSync(jwksFile)) fail(`No public keys at ${jwksFile}: give --jwks <file>.`, 2);

let token: string | null = input;
if (existsSync(input)) {
  const file = readFileSync(input);
  token = file.subarray(0, 5).toString() === '%PDF-' ? copyTokenOfPdf(file) : file.toString('utf8').trim();
  if (!token) fail(`${input} is a PDF without a Hutong annotated-copy token.`, 1);
}

const keys = await ServiceKeySet.open(jwksFile);
const result = await checkCopyToken(token!, keys.verifier([recognitionSubgraph.name]), at);
if (result.status === 'INVALID') fail(`NOT VALID: ${result.reason}.`, 1);
const s: CopyStatement = (result as { statement: CopyStatement }).statement;
const lines = [
  result.status === 'VALID' ? `VALID: an annotated copy issued by Hutong, valid through ${s.validUntil} (China date).` : `EXPIRED: the copy was valid through ${s.validUntil} (China date).`,
  `  copy              ${s.copyId}`,
  `  credential        ${s.credentialType.nameZh} ${s.credentialId}`,
  ...s.fields.map((f) => `  ${f.labelZh} (${f.field})`.padEnd(20) + `${f.value}${f.masked ? ' (masked)' : ''}`),
  `  verifier          ${s.verifier.name} (${s.verifier.organisation}), operator ${s.operator}`,
  `  service item      ${s.serviceItem.name} (${s.serviceItem.code}), business case ${s.businessCaseNumber}`,
  `  issued            ${s.issuedAt}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(result.status === 'VALID' ? 0 : 1);
