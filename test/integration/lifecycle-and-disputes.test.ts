import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialTypeBySlug } from '../../subgraphs/kit/reference.js';
import { authorityFor } from '../../subgraphs/kit/seed/credentials.js';
import { provinceByCode } from '../../subgraphs/kit/reference.js';
import { startStack, type Stack } from '../support/stack.js';
import { holderToken, issuerToken, present, presentAndVerify, seeded, verifierNamed, verifierToken, verify } from '../support/verification.js';

const SEED = 400;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ seedCount: SEED });
});
afterAll(async () => {
  await stack?.stop();
});

const jinanHall = verifierNamed('济南市政务服务中心');
const shandongPolice = verifierNamed('山东省公安厅交通警察总队');
const shandongIssuer = () => {
  const a = authorityFor(provinceByCode('37')!, credentialTypeBySlug('e-id'));
  return issuerToken(stack, 'shandong', a.code, a.name);
};
const yrdIssuer = () => {
  const a = authorityFor(provinceByCode('31')!, credentialTypeBySlug('e-id'));
  return issuerToken(stack, 'yangtze-delta', a.code, a.name);
};

const STATUS = (action: string) => `mutation($id: ID!) { shandong { ${action}(id: $id, reason: "test of the issuer's lifecycle") { id status statusCode } } }`;

describe('the issuer lifecycle', () => {
  it('suspends and restores its own region’s credential', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id' }, 3);
    const token = await shandongIssuer();
    const suspended = await stack.query(STATUS('suspendCredential'), { id: eid.id }, { token });
    expect(suspended.body.errors).toBeUndefined();
    expect(suspended.body.data.shandong.suspendCredential).toMatchObject({ status: 'SUSPENDED', statusCode: '02' });
    const restored = await stack.query(STATUS('restoreCredential'), { id: eid.id }, { token });
    expect(restored.body.data.shandong.restoreCredential.status).toBe('VALID');
  });

  it('rejects a revoked credential at the very next verification', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id' }, 4);
    expect((await presentAndVerify(stack, eid, jinanHall, 'service-hall-visit')).verdict).toBe('ACCEPTED');
    const code = await present(stack, eid, 'service-hall-visit');
    const revoked = await stack.query(STATUS('revokeCredential'), { id: eid.id }, { token: await shandongIssuer() });
    expect(revoked.body.data.shandong.revokeCredential.status).toBe('REVOKED');
    const { body } = await verify(stack, jinanHall, code, 'service-hall-visit');
    expect(body.data.verifyPresentation).toMatchObject({ verdict: 'REJECTED', reasons: ['REVOKED'], releasedFields: [] });
  });

  it('never lets an issuer write another region', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id' }, 5);
    const { body } = await stack.query(STATUS('revokeCredential'), { id: eid.id }, { token: await yrdIssuer() });
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    const check = await stack.query('query($id: ID!) { credential(id: $id) { status } }', { id: eid.id }, { token: await shandongIssuer() });
    expect(check.body.data.credential.status).toBe('VALID');
  });

  it('refuses holders, verifiers and anonymous callers as issuers', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id' }, 5);
    for (const token of [await holderToken(stack, eid.holderCode), await verifierToken(stack, jinanHall)]) {
      const { body } = await stack.query(STATUS('cancelCredential'), { id: eid.id }, { token });
      expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    }
    const anonymous = await stack.query(STATUS('cancelCredential'), { id: eid.id });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a transition the status does not allow', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id', status: 'REVOKED' });
    const { body } = await stack.query(STATUS('restoreCredential'), { id: eid.id }, { token: await shandongIssuer() });
    expect(body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TRANSITION' });
  });

  it('issues a new credential that its holder then finds in their list and can present', async () => {
    const holder = seeded('shandong', SEED, { type: 'e-id' }, 6);
    const licenceType = credentialTypeBySlug('e-driving-licence');
    const authority = authorityFor(provinceByCode('37')!, licenceType);
    const token = await issuerToken(stack, 'shandong', authority.code, authority.name);
    const { body } = await stack.query(
      `mutation($input: IssueCredentialInput!) { shandong { issueCredential(input: $input) { id name status holderCode faceFields { key value } } } }`,
      {
        input: {
          typeCode: licenceType.code, holderCode: holder.holderCode, holderName: holder.holderName,
          issueDate: '2026-01-15', expiryDate: '2032-01-15', areaCode: '370100',
          faceFields: [{ key: 'licenceClass', value: 'C1' }],
        },
      },
      { token },
    );
    expect(body.errors).toBeUndefined();
    const issued = body.data.shandong.issueCredential;
    expect(issued).toMatchObject({ name: licenceType.nameZh, status: 'VALID', holderCode: holder.holderCode });
    expect(issued.id).toContain(authority.code);

    await stack.subgraphs.get('catalogue')!.subgraph.settle!();
    const list = await stack.query('query($c: ID!) { holder(code: $c) { credentials { nodes { id } } } }', { c: holder.holderCode }, { token: await holderToken(stack, holder.holderCode) });
    expect(list.body.data.holder.credentials.nodes.map((c: { id: string }) => c.id)).toContain(issued.id);
    const v = await presentAndVerify(stack, { ...holder, id: issued.id }, shandongPolice, 'traffic-check');
    expect(v).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'national-traffic-driving-licence' });
  });

  it('refuses to issue with a bad holder code or an unknown type', async () => {
    const licenceType = credentialTypeBySlug('e-driving-licence');
    const token = await shandongIssuer();
    const input = { typeCode: licenceType.code, holderCode: '370100198806091280', holderName: '测试', issueDate: '2026-01-15', areaCode: '370100' };
    const bad = await stack.query(`mutation($input: IssueCredentialInput!) { shandong { issueCredential(input: $input) { id } } }`, { input }, { token });
    expect(bad.body.errors[0].extensions.reason).toBe('INVALID_HOLDER_CODE');
    const unknown = await stack.query(
      `mutation($input: IssueCredentialInput!) { shandong { issueCredential(input: $input) { id } } }`,
      { input: { ...input, typeCode: 'NOPE' } },
      { token },
    );
    expect(unknown.body.errors[0].extensions.reason).toBe('UNKNOWN_TYPE');
  });
});

describe('disputes (异议)', () => {
  const DISPUTE = `mutation($id: ID!, $field: String!, $claim: String!) { fileDispute(credentialId: $id, field: $field, claim: $claim) { id status field } }`;

  it('flag verdicts while open, then a correction issues a new version and closes the dispute', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id' }, 7);
    const filed = await stack.query(DISPUTE, { id: eid.id, field: 'face.address', claim: '住址应为济南市历下区' }, { token: await holderToken(stack, eid.holderCode) });
    expect(filed.body.errors).toBeUndefined();
    const dispute = filed.body.data.fileDispute;
    expect(dispute).toMatchObject({ status: 'OPEN', field: 'face.address' });

    const flagged = await presentAndVerify(stack, eid, jinanHall, 'service-hall-visit');
    expect(flagged).toMatchObject({ verdict: 'ACCEPTED', disputed: true });

    const corrected = await stack.query(
      `mutation($id: ID!, $dispute: ID!) { shandong { correctCredential(id: $id, disputeId: $dispute, reason: "address corrected after dispute",
         changes: [{ field: "face.address", value: "山东省济南市历下区泉城路1号" }]) { id version status faceFields { key value } } } }`,
      { id: eid.id, dispute: dispute.id },
      { token: await shandongIssuer() },
    );
    expect(corrected.body.errors).toBeUndefined();
    const next = corrected.body.data.shandong.correctCredential;
    expect(next.version).toBe(2);
    expect(next.id).toMatch(/\.002\.[0-9A-Z]$/);
    expect(next.faceFields).toContainEqual({ key: 'address', value: '山东省济南市历下区泉城路1号' });

    const old = await stack.query(
      'query($id: ID!) { credential(id: $id) { status supersededBy disputes { nodes { id status correctedId } } } }',
      { id: eid.id },
      { token: await holderToken(stack, eid.holderCode) },
    );
    expect(old.body.data.credential).toMatchObject({ status: 'OTHER', supersededBy: next.id });
    expect(old.body.data.credential.disputes.nodes).toContainEqual({ id: dispute.id, status: 'CORRECTED', correctedId: next.id });

    // The old version is no longer accepted; the new one is, without the disputed flag.
    const oldCode = await present(stack, eid, 'service-hall-visit');
    expect((await verify(stack, jinanHall, oldCode, 'service-hall-visit')).body.data.verifyPresentation.reasons).toContain('SUPERSEDED');
    const fresh = await presentAndVerify(stack, { ...eid, id: next.id }, jinanHall, 'service-hall-visit');
    expect(fresh).toMatchObject({ verdict: 'ACCEPTED', disputed: false });
  });

  it('can be rejected by the issuer with a reason', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id' }, 8);
    const filed = await stack.query(DISPUTE, { id: eid.id, field: 'holderName', claim: '姓名有误' }, { token: await holderToken(stack, eid.holderCode) });
    const { body } = await stack.query(
      `mutation($id: ID!) { shandong { rejectDispute(id: $id, reason: "name matches the household register") { status resolution } } }`,
      { id: filed.body.data.fileDispute.id },
      { token: await shandongIssuer() },
    );
    expect(body.data.shandong.rejectDispute).toEqual({ status: 'REJECTED', resolution: 'name matches the household register' });
    expect((await presentAndVerify(stack, eid, jinanHall, 'service-hall-visit')).disputed).toBe(false);
  });

  it('can be filed by a verifier that checked the credential, and by no other', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id' }, 9);
    await presentAndVerify(stack, eid, jinanHall, 'service-hall-visit');
    const ok = await stack.query(DISPUTE, { id: eid.id, field: 'holderName', claim: '与本人陈述不符' }, { token: await verifierToken(stack, jinanHall) });
    expect(ok.body.data.fileDispute.status).toBe('OPEN');
    const stranger = await stack.query(DISPUTE, { id: eid.id, field: 'holderName', claim: 'x' }, { token: await verifierToken(stack, shandongPolice) });
    expect(stranger.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('refuses a field that does not exist', async () => {
    const eid = seeded('shandong', SEED, { type: 'e-id' }, 9);
    const { body } = await stack.query(DISPUTE, { id: eid.id, field: 'password', claim: 'x' }, { token: await holderToken(stack, eid.holderCode) });
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});

