/**
 * `npm run bench:access`: what the gateway's field-access check costs per operation, on the
 * committed supergraph, for operations of the README's size, per role. Prints microseconds per
 * check; the check runs once per request, before planning.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Supergraph } from '@apollo/federation-internals';
import { parse } from 'graphql';
import { readAccessPolicy, refusedFields } from '../gateway/src/authorization.js';
import { supergraphPath } from './composition.js';

const { policy, executableSdl } = readAccessPolicy(readFileSync(supergraphPath, 'utf8'));
const schema = Supergraph.build(executableSdl).apiSchema().toGraphQLJSSchema();
const operations: Record<string, string> = {
  'regions (public)': '{ regions { code name provinces { code app } } }',
  'holder list': '{ holder(code: "320100197202028039") { credentials { nodes { id name status issuingRegion { name } } } } }',
  'three credentials via a fragment': `{ a: credential(id: "x") { ...card } b: credential(id: "y") { ...card } c: credential(id: "z") { ...card } }
    fragment card on Credential { name number holderName status type { slug } issuingRegion { code } faceFields { key value } usageRecords { nodes { verdict } } }`,
};
const rounds = 20_000;
for (const [name, text] of Object.entries(operations)) {
  const document = parse(text);
  for (const role of ['anonymous', 'holder', 'verifier', 'admin'] as const) {
    for (let i = 0; i < 500; i++) refusedFields(schema as never, document, undefined, policy, role);
    const start = performance.now();
    let refused = 0;
    for (let i = 0; i < rounds; i++) refused = refusedFields(schema as never, document, undefined, policy, role).length;
    const micros = ((performance.now() - start) * 1000) / rounds;
    console.log(`${name.padEnd(34)} ${role.padEnd(10)} ${micros.toFixed(1).padStart(6)} µs/check  (${refused} fields refused)`);
  }
}
