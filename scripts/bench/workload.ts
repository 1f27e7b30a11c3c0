/**
 * What `npm run bench` asks, built from the product's own seed code (the same (region, index)
 * gives the credential the registries were seeded with) and its development identities.
 */
import { devIdentity } from '../dev-identities.js';
import type { ClientTokenClaims } from '../../subgraphs/kit/auth/client-tokens.js';
import { parseLicenceId } from '../../subgraphs/kit/identifiers/index.js';
import { credentialTypeBySlug, regions } from '../../subgraphs/kit/reference.js';
import { effectiveStatus } from '../../subgraphs/kit/registry/status.js';
import { moverAt, seedCredential, type CredentialRecord } from '../../subgraphs/kit/seed/credentials.js';
import { scenarios, verifierNamed } from '../../subgraphs/recognition/seed.js';
import { GENERIC_OPERATION } from './fixture/subgraphs.js';

export interface BenchRequest {
  headers: Record<string, string>;
  body: string;
}

export type Mint = (claims: ClientTokenClaims) => Promise<string>;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const graphql = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });

export const CREDENTIAL_BY_ID = `query CredentialById($id: ID!) {
  credential(id: $id) {
    __typename id name number holderName holderType issuerName status issueDate expiryDate
    type { slug nameZh }
    issuingRegion { code name }
    faceFields { key labelZh value }
  }
}`;

export const HOLDER_CREDENTIALS = `query HolderCredentials($code: ID!) {
  holder(code: $code) {
    code holderType
    credentials { nodes { id name status issuerName issuingRegion { code name } } }
  }
}`;

export const CREATE_CODE = `mutation CreatePresentationCode($id: ID!, $scenario: ID) {
  createPresentationCode(credentialId: $id, scenario: $scenario) { code expiresAt }
}`;

export const VERIFY = `mutation VerifyPresentation($input: VerifyPresentationInput!) {
  verifyPresentation(input: $input) {
    id verdict reasons ruleId issuingRegion { code } usageRecorded
    releasedFields { field value retain }
  }
}`;

export const HOTEL_SCENARIO = 'hotel-check-in';
const SHANGHAI_HOTEL = '上海外滩江景酒店有限公司';
const JIANGSU = '32';

const seeded = (seedCount: number) => regions.flatMap((region) => Array.from({ length: seedCount }, (_, k) => seedCredential(region, k)));
const isValid = (c: CredentialRecord) => effectiveStatus(c.status, c.expiryDate) === 'VALID';

/** Valid Jiangsu e-IDs of the Yangtze River Delta's seed: what the Shanghai hotel is shown. */
export function jiangsuEids(seedCount: number): CredentialRecord[] {
  const eid = credentialTypeBySlug('e-id').code;
  const delta = regions.find((r) => r.code === 'yangtze-delta');
  if (!delta) throw new Error('the regions file has no yangtze-delta');
  const found = Array.from({ length: seedCount }, (_, k) => seedCredential(delta, k)).filter((c) => {
    const parsed = parseLicenceId(c.id);
    return c.typeCode === eid && parsed.ok && parsed.parts.provinceCode === JIANGSU && isValid(c);
  });
  if (found.length === 0) throw new Error(`a seed of ${seedCount} credentials per region holds no valid Jiangsu e-ID: use a larger --seed-count`);
  return found;
}

/** (a) Any valid seeded credential of any region by its identifier, as an auditor (admin). */
export async function credentialById(mint: Mint, seedCount: number, max = 200): Promise<BenchRequest[]> {
  const headers = bearer(await mint(devIdentity('admin').claims));
  return seeded(seedCount)
    .filter(isValid)
    .slice(0, max)
    .map((c) => ({ headers, body: graphql(CREDENTIAL_BY_ID, { id: c.id }) }));
}

/** (b) A holder who holds a credential in every region (index 5m of each), as that holder. */
export async function holderAcrossRegions(mint: Mint, seedCount: number, max = 40): Promise<BenchRequest[]> {
  const movers = Math.min(max, Math.max(1, Math.ceil(seedCount / 5)));
  return Promise.all(
    Array.from({ length: movers }, async (_, m) => {
      const code = moverAt(m).code;
      return { headers: bearer(await mint({ sub: `holder-${code.slice(-4)}`, role: 'holder', holder_code: code })), body: graphql(HOLDER_CREDENTIALS, { code }) };
    }),
  );
}

/** (c) A presentation code for the hotel, asked by the e-ID's holder. */
export async function createCode(mint: Mint, seedCount: number): Promise<BenchRequest[]> {
  return Promise.all(
    jiangsuEids(seedCount).map(async (c) => ({
      headers: bearer(await mint({ sub: `holder-${c.holderCode.slice(-4)}`, role: 'holder', holder_code: c.holderCode })),
      body: graphql(CREATE_CODE, { id: c.id, scenario: HOTEL_SCENARIO }),
    })),
  );
}

/** (d) The Shanghai hotel's verification of one presentation code each (single use). */
export async function verifications(mint: Mint, codes: string[]): Promise<BenchRequest[]> {
  const v = verifierNamed(SHANGHAI_HOTEL);
  const headers = bearer(await mint({ sub: `operator-of-${v.organisation}`, role: 'verifier', region: v.region, org: v.organisation, org_name: v.name, scenarios: v.scenarios }));
  const s = scenarios.find((x) => x.code === HOTEL_SCENARIO)!;
  return codes.map((code, i) => ({
    headers,
    body: graphql(VERIFY, {
      input: {
        code,
        scenario: HOTEL_SCENARIO,
        context: { organisation: v.organisation, operator: '前台 01', serviceItemName: s.nameZh, serviceItemCode: s.serviceItemCode, businessCaseNumber: `BENCH-${i}` },
      },
    }),
  }));
}

/** The generic federation workload, with a verified (auditor's) token as every request has. */
export async function generic(mint: Mint): Promise<BenchRequest[]> {
  const headers = bearer(await mint(devIdentity('admin').claims));
  return [3, 4, 5].map((first) => ({ headers, body: graphql(GENERIC_OPERATION, { first }) }));
}
