/** Helpers to present and verify credentials through the gateway, as holders' and verifiers' apps do. */
import { expect } from 'vitest';
import { parseLicenceId } from '../../subgraphs/kit/identifiers/index.js';
import { credentialTypeBySlug, regionOfProvince } from '../../subgraphs/kit/reference.js';
import type { CredentialRecord } from '../../subgraphs/kit/seed/credentials.js';
import { scenarios, verifierNamed, type Verifier } from '../../subgraphs/recognition/seed.js';
import { expectedStatus, seededCredentials } from './fixtures.js';
import type { Stack } from './stack.js';

export { verifierNamed };

/** A seeded credential matching a description; fails the test clearly if the seed has none. */
export function seeded(
  regionCode: string,
  count: number,
  want: { type: string; province?: string; status?: string; holderType?: '111' | '001' },
  skip = 0,
): CredentialRecord {
  const typeCode = credentialTypeBySlug(want.type).code;
  const found = seededCredentials(regionCode, count).filter((c) => {
    const parsed = parseLicenceId(c.id);
    return (
      c.typeCode === typeCode &&
      (!want.province || (parsed.ok && parsed.parts.provinceCode === want.province)) &&
      expectedStatus(c) === (want.status ?? 'VALID')
    );
  });
  const c = found[skip];
  expect(c, `seed of ${regionCode} has a ${want.status ?? 'VALID'} ${want.type} from ${want.province ?? 'anywhere'}`).toBeDefined();
  return c!;
}

export const provinceOf = (c: CredentialRecord) => {
  const parsed = parseLicenceId(c.id);
  if (!parsed.ok) throw new Error('bad id');
  return { province: parsed.parts.provinceCode, region: regionOfProvince(parsed.parts.provinceCode)!.code };
};

export function holderToken(stack: Stack, holderCode: string): Promise<string> {
  return stack.token({ sub: `holder-${holderCode.slice(-4)}`, role: 'holder', holder_code: holderCode });
}

export function verifierToken(stack: Stack, v: Verifier): Promise<string> {
  return stack.token({ sub: `operator-of-${v.organisation}`, role: 'verifier', region: v.region, org: v.organisation, org_name: v.name, scenarios: v.scenarios });
}

export function issuerToken(stack: Stack, region: string, org: string, orgName = 'issuing authority'): Promise<string> {
  return stack.token({ sub: `issuer-${org}`, role: 'issuer', region, org, org_name: orgName });
}

export async function present(stack: Stack, credential: { id: string; holderCode: string }, scenario?: string): Promise<string> {
  const { body } = await stack.query(
    `mutation($id: ID!, $scenario: ID) { createPresentationCode(credentialId: $id, scenario: $scenario) { code qrSvg expiresAt } }`,
    { id: credential.id, scenario },
    { token: await holderToken(stack, credential.holderCode) },
  );
  expect(body.errors).toBeUndefined();
  return body.data.createPresentationCode.code;
}

export const VERIFY = `mutation($input: VerifyPresentationInput!) {
  verifyPresentation(input: $input) {
    id verdict reasons disputed ruleId ruleVersion issuingRegion { code } usageRecorded
    scenario { code }
    verifier { organisation }
    releasedFields { field label value retain }
    trace { ruleId version kind applied detail }
  }
}`;

export function contextFor(v: Verifier, scenario: string) {
  const s = scenarios.find((x) => x.code === scenario)!;
  return {
    organisation: v.organisation,
    operator: '窗口工作人员 0420',
    serviceItemName: s.nameZh,
    serviceItemCode: s.serviceItemCode,
    businessCaseNumber: `CASE-${Date.now()}`,
  };
}

export async function verify(stack: Stack, v: Verifier, code: string, scenario: string) {
  return stack.query(VERIFY, { input: { code, scenario, context: contextFor(v, scenario) } }, { token: await verifierToken(stack, v) });
}

/** Presents a credential and has a verifier check it; returns the verification. */
export async function presentAndVerify(stack: Stack, credential: CredentialRecord, v: Verifier, scenario: string) {
  const code = await present(stack, credential, scenario);
  const { body } = await verify(stack, v, code, scenario);
  expect(body.errors).toBeUndefined();
  return body.data.verifyPresentation;
}
