import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, TEST_SEED_COUNT, type Stack } from '../support/stack.js';
import { expectedStatus, moverAt, regions, seedCredential, seededCredentials, unissuedIdentifier } from '../support/fixtures.js';
import { credentialTypes } from '../../subgraphs/kit/reference.js';
import { adminToken, analystToken, regionIssuerToken } from '../support/identities.js';
import { holderToken } from '../support/verification.js';

const CREDENTIAL = `query Credential($id: ID!) {
  credential(id: $id) {
    __typename id name typeCode number issuerName issuerCode issueDate effectiveDate expiryDate
    areaCode holderName holderCode holderType status statusCode version
    type { code slug nameZh }
    issuingRegion { code }
    faceFields { key label labelZh value }
  }
}`;

// The same behaviour on the embedded default and on PostgreSQL (a fresh database per run).
describe.each(['pglite', 'postgres'] as const)('on %s', (db) => {
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ db });
});
afterAll(async () => {
  await stack?.stop();
});

describe('credential(id) through the gateway', () => {
  it.each(regions.map((r) => [r.code, r] as const))('fetches a %s credential from its own registry', async (_code, region) => {
    const seeded = seedCredential(region, 1);
    // The issuing region's issuer sees the record in full.
    const { status, body } = await stack.query(CREDENTIAL, { id: seeded.id }, { token: await regionIssuerToken(stack, region.code) });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.credential).toMatchObject({
      __typename: `${region.typePrefix}Credential`,
      id: seeded.id,
      name: seeded.name,
      number: seeded.number,
      issuerCode: seeded.issuerCode,
      holderName: seeded.holderName,
      holderCode: seeded.holderCode,
      expiryDate: seeded.expiryDate,
      status: expectedStatus(seeded),
      statusCode: seeded.status,
      issuingRegion: { code: region.code },
      type: { code: seeded.typeCode },
    });
    expect(Object.fromEntries(body.data.credential.faceFields.map((f: { key: string; value: string }) => [f.key, f.value]))).toEqual(seeded.face);
  });

  it('names a credential’s type as the catalogue does, the names from its registry and the rest from the catalogue', async () => {
    const seeded = seedCredential(regions.find((r) => r.code === 'shandong')!, 1);
    const query = 'query($id: ID!) { credential(id: $id) { type { code slug name nameZh holderType } } }';
    const { body } = await stack.query(query, { id: seeded.id }, { token: await adminToken(stack) });
    expect(body.errors).toBeUndefined();
    expect(body.data.credential.type).toEqual({
      code: '11100000HT00000183001',
      slug: 'e-id',
      name: 'Electronic resident identity card',
      nameZh: '电子居民身份证',
      holderType: 'CITIZEN',
    });
  });

  it('reports the live status: suspended, revoked and expired credentials come back as such', async () => {
    const records = seededCredentials('yangtze-delta', TEST_SEED_COUNT);
    const token = await adminToken(stack);
    for (const wanted of ['SUSPENDED', 'REVOKED', 'EXPIRED', 'VALID'] as const) {
      const record = records.find((r) => expectedStatus(r) === wanted);
      expect(record, `seed has a ${wanted} credential`).toBeDefined();
      const { body } = await stack.query('query($id: ID!) { credential(id: $id) { status } }', { id: record!.id }, { token });
      expect(body.data.credential.status).toBe(wanted);
    }
  });

  it('answers null with a NOT_FOUND error for a well-formed identifier no registry holds', async () => {
    const { status, body } = await stack.query(CREDENTIAL, { id: unissuedIdentifier('shandong') }, { token: await adminToken(stack) });
    expect(status).toBe(200);
    expect(body.data.credential).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0].extensions.code).toBe('NOT_FOUND');
    expect(body.errors![0].message).toMatch(/No credential with identifier .* in the Shandong registry/);
  });

  it('rejects an identifier with a wrong check character with a clear validation error', async () => {
    const id = seedCredential(regions[0]!, 1).id;
    const last = id.at(-1)!;
    const tampered = id.slice(0, -1) + (last === 'A' ? 'B' : 'A');
    const { body } = await stack.query(CREDENTIAL, { id: tampered }, { token: await adminToken(stack) });
    expect(body.data.credential).toBeNull();
    expect(body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', reason: 'BAD_CHECK_CHARACTER' } });
    expect(body.errors![0].message).toMatch(/check character/);
  });

  it('rejects an identifier issued in a province without a registry, naming the province', async () => {
    // A Jilin (22) issuer: well-formed, valid check characters, but no Jilin registry in Hutong.
    const id = '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F';
    const { body } = await stack.query(CREDENTIAL, { id }, { token: await adminToken(stack) });
    expect(body.data.credential).toBeNull();
    expect(body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_REGION' });
    expect(body.errors![0].message).toContain('province 22 (Jilin)');
  });

  it.each([
    ['empty', ''],
    ['garbage', 'not-an-identifier'],
    ['SQL text', "1.2.156.3005.2'; drop table credential; --"],
    ['oversized', '1.2.156.3005.2.' + 'A'.repeat(10_000)],
  ])('rejects a malformed identifier (%s) without crashing', async (_label, id) => {
    const { status, body } = await stack.query(CREDENTIAL, { id }, { token: await adminToken(stack) });
    expect(status).toBe(200);
    expect(body.data.credential).toBeNull();
    expect(body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors![0].message).toMatch(/^Invalid credential identifier/);
  });
});

describe('holder(code) across regions', () => {
  it('lists a holder’s credentials from every region, each resolved live from its registry', async () => {
    const mover = moverAt(0);
    const expected = regions.map((r) => seedCredential(r, 0));
    expect(expected.every((c) => c.holderCode === mover.code)).toBe(true);

    const { body } = await stack.query(
      `query($code: ID!) { holder(code: $code) { code holderType credentials { nodes { __typename id holderName status issuingRegion { code } } } } }`,
      { code: mover.code },
      { token: await holderToken(stack, mover.code) },
    );
    expect(body.errors).toBeUndefined();
    const holder = body.data.holder;
    expect(holder).toMatchObject({ code: mover.code, holderType: 'CITIZEN' });
    expect(holder.credentials.nodes.map((c: { id: string }) => c.id).sort()).toEqual(expected.map((c) => c.id).sort());
    expect(new Set(holder.credentials.nodes.map((c: { issuingRegion: { code: string } }) => c.issuingRegion.code))).toEqual(
      new Set(regions.map((r) => r.code)),
    );
    for (const c of holder.credentials.nodes) expect(c.holderName).toBe(mover.name);
  });

  it('lists an organisation’s credentials by its unified social credit code', async () => {
    const records = seededCredentials('shandong', TEST_SEED_COUNT).filter((r) => r.holderType === '001');
    const org = records[0]!;
    const { body } = await stack.query(
      'query($code: ID!) { holder(code: $code) { holderType credentials { nodes { id type { slug } } } } }',
      { code: org.holderCode },
      { token: await holderToken(stack, org.holderCode) },
    );
    expect(body.data.holder.holderType).toBe('ORGANISATION');
    expect(body.data.holder.credentials.nodes.map((c: { id: string }) => c.id).sort()).toEqual(
      records.filter((r) => r.holderCode === org.holderCode).map((r) => r.id).sort(),
    );
  });

  it('gives a holder with no credentials an empty list', async () => {
    const { body } = await stack.query('query { holder(code: "11010519491231002X") { credentials { nodes { id } } } }', {}, { token: await holderToken(stack, '11010519491231002X') });
    expect(body.errors).toBeUndefined();
    expect(body.data.holder.credentials.nodes).toEqual([]);
  });

  it('rejects an invalid holder code with a clear validation error', async () => {
    const { body } = await stack.query('query { holder(code: "110105194912310021") { code } }', {}, { token: await adminToken(stack) });
    expect(body.data.holder).toBeNull();
    expect(body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_HOLDER_CODE' });
  });
});

describe('regions and the type catalogue', () => {
  it('counts each region’s credentials live in its own registry', async () => {
    const { body } = await stack.query('{ regions { code name credentialCount credentialCountByStatus { status statusCode count } } }', {}, {
      token: await analystToken(stack),
    });
    expect(body.errors).toBeUndefined();
    expect(body.data.regions.map((r: { code: string }) => r.code)).toEqual(regions.map((r) => r.code));
    for (const r of body.data.regions) {
      expect(r.credentialCount).toBe(TEST_SEED_COUNT);
      const byStatus = new Map<string, number>();
      for (const c of seededCredentials(r.code, TEST_SEED_COUNT)) byStatus.set(c.status, (byStatus.get(c.status) ?? 0) + 1);
      expect(Object.fromEntries(r.credentialCountByStatus.map((s: { statusCode: string; count: number }) => [s.statusCode, s.count]))).toEqual(
        Object.fromEntries(byStatus),
      );
    }
  });

  it('serves the national type catalogue', async () => {
    const { body } = await stack.query('{ credentialTypes { code slug nameZh holderType faceFields { key } } }');
    expect(body.data.credentialTypes).toHaveLength(credentialTypes.length);
    expect(body.data.credentialTypes.map((t: { slug: string }) => t.slug)).toEqual(
      expect.arrayContaining(['e-id', 'e-driving-licence', 'e-vehicle-licence', 'e-social-security-card', 'e-real-estate-certificate', 'e-business-licence', 'e-seal']),
    );
  });

  it('answers null for an unknown region code', async () => {
    const { body } = await stack.query('{ region(code: "guangdong") { code } }');
    expect(body.errors).toBeUndefined();
    expect(body.data.region).toBeNull();
  });
});
});
