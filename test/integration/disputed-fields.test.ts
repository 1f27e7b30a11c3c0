/**
 * A rule says what happens to a released field an open dispute (异议) contests: released with a
 * flag (the default, and every shipped rule), or withheld — listed, flagged, without a value, and
 * not in the holder's usage record as released. Played through the gateway on a stack of its
 * own (a rule officer publishes a version): the Shanghai traffic police under the shipped
 * Yangtze Delta licence rule, the Jinan service hall under Shandong's own rule once its officer
 * publishes a withholding version, and the same check again after the issuer rejects the dispute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInChina } from '../../subgraphs/kit/days.js';
import { identityToken } from '../support/identities.js';
import { startStack, type Stack } from '../support/stack.js';
import { holderToken, presentAndVerify, seeded, verifierNamed } from '../support/verification.js';

const SEED = 300;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ seedCount: SEED });
});
afterAll(async () => {
  await stack?.stop();
});

const E_ID = '11100000HT00000183001';
const shanghaiPolice = verifierNamed('上海市公安局交通警察总队');
const jinanHall = verifierNamed('济南市政务服务中心');

const DISPUTE = `mutation($id: ID!, $field: String!, $claim: String!) { fileDispute(credentialId: $id, field: $field, claim: $claim) { id status } }`;
const REJECT = `mutation($id: ID!) { shandong { rejectDispute(id: $id, reason: "姓名与户籍登记一致") { status } } }`;
const RELEASED = `query($id: ID!) { verification(id: $id) { disputedFields releasedFields { field labelZh value retain masked disputed withheld } } }`;
const USAGE = `query($id: ID!) { credential(id: $id) { usageRecords { nodes { id releasedFields } } } }`;
const RULES = `{ recognitionRuleHistory(id: "sd-service-hall-e-id") { nodes { id version disputedFieldPolicy } } }`;

async function dispute(credential: { id: string; holderCode: string }, field: string, claim: string): Promise<string> {
  const { body } = await stack.query(DISPUTE, { id: credential.id, field, claim }, { token: await holderToken(stack, credential.holderCode) });
  expect(body.errors).toBeUndefined();
  expect(body.data.fileDispute.status).toBe('OPEN');
  return body.data.fileDispute.id;
}

async function released(verificationId: string, verifier = jinanHall) {
  const { body } = await stack.query(RELEASED, { id: verificationId }, { token: await identityToken(stack, verifier === jinanHall ? 'verifier-jinan-service-hall' : 'verifier-shanghai-traffic-police') });
  expect(body.errors).toBeUndefined();
  return body.data.verification;
}

/** The holder's usage record of one verification: which fields it says were released. */
async function usageReleased(credential: { id: string; holderCode: string }, verificationId: string): Promise<string[]> {
  const { body } = await stack.query(USAGE, { id: credential.id }, { token: await holderToken(stack, credential.holderCode) });
  expect(body.errors).toBeUndefined();
  const record = body.data.credential.usageRecords.nodes.find((r: { id: string }) => r.id === verificationId);
  expect(record, `usage record ${verificationId}`).toBeDefined();
  return record.releasedFields;
}

describe('a rule that releases disputed fields flagged (the default)', () => {
  it('gives the traffic police the disputed licence class with its flag, and the usage record lists it', async () => {
    const licence = seeded('yangtze-delta', SEED, { type: 'e-driving-licence', province: '31' });
    await dispute(licence, 'face.licenceClass', '准驾车型应为C2');

    const v = await presentAndVerify(stack, licence, shanghaiPolice, 'traffic-check');
    expect(v).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'yrd-traffic-driving-licence', disputed: true });
    const shown = await released(v.id, shanghaiPolice);
    expect(shown.disputedFields).toEqual(['face.licenceClass']);
    expect(shown.releasedFields.find((f: { field: string }) => f.field === 'face.licenceClass')).toEqual({
      field: 'face.licenceClass', labelZh: '准驾车型', value: licence.face.licenceClass, retain: false, masked: false, disputed: true, withheld: false,
    });
    expect(await usageReleased(licence, v.id)).toEqual(['holderName', 'face.licenceClass', 'expiryDate', 'number']);
  });

  it('says so on every shipped rule', async () => {
    const { body } = await stack.query(`{ recognitionRules { id disputedFieldPolicy } }`);
    expect(body.errors).toBeUndefined();
    expect(body.data.recognitionRules.length).toBeGreaterThan(5);
    expect(new Set(body.data.recognitionRules.map((r: { disputedFieldPolicy: string }) => r.disputedFieldPolicy))).toEqual(new Set(['RELEASE_FLAGGED']));
  });
});

describe('a rule that withholds disputed fields', () => {
  const eid = seeded('shandong', SEED, { type: 'e-id', province: '37' }, 2);
  let disputeId: string;

  it('is published by Shandong’s rule officer as version 2 of the service-hall rule, from today', async () => {
    const { body } = await stack.query(
      `mutation($input: RecognitionRuleInput!) { publishRecognitionRule(input: $input, reason: "有异议的字段暂不释放") { id version disputedFieldPolicy inForce } }`,
      {
        input: {
          id: 'sd-service-hall-e-id', scenario: 'service-hall-visit', credentialType: E_ID, issuingProvinces: ['37'], acceptedStatuses: ['VALID'],
          releasedFields: [{ field: 'holderName' }, { field: 'holderCode', masked: true }], disputedFieldPolicy: 'WITHHOLD',
          validFrom: todayInChina(), legalBasis: '山东省政务服务大厅：有异议的信息待核实后再使用。',
        },
      },
      { token: await identityToken(stack, 'rule-officer-shandong') },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.publishRecognitionRule).toEqual({ id: 'sd-service-hall-e-id', version: 2, disputedFieldPolicy: 'WITHHOLD', inForce: true });
    const history = await stack.query(RULES);
    expect(history.body.data.recognitionRuleHistory.nodes).toEqual([
      { id: 'sd-service-hall-e-id', version: 2, disputedFieldPolicy: 'WITHHOLD' },
      { id: 'sd-service-hall-e-id', version: 1, disputedFieldPolicy: 'RELEASE_FLAGGED' },
    ]);
  });

  it('names the disputed name without its value, releases the undisputed ID number, and the usage record lists only that', async () => {
    disputeId = await dispute(eid, 'holderName', '姓名登记有误');
    const v = await presentAndVerify(stack, eid, jinanHall, 'service-hall-visit');
    expect(v).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'sd-service-hall-e-id', ruleVersion: 2, disputed: true });
    const shown = await released(v.id);
    expect(shown).toEqual({
      disputedFields: ['holderName'],
      releasedFields: [
        { field: 'holderName', labelZh: '持证主体', value: null, retain: false, masked: false, disputed: true, withheld: true },
        { field: 'holderCode', labelZh: '持证主体代码', value: `${eid.holderCode.slice(0, 4)}**********${eid.holderCode.slice(-4)}`, retain: false, masked: true, disputed: false, withheld: false },
      ],
    });
    expect(await usageReleased(eid, v.id)).toEqual(['holderCode']);
  });

  it('releases the name as usual once the issuer has rejected the dispute', async () => {
    const { body } = await stack.query(REJECT, { id: disputeId }, { token: await identityToken(stack, 'issuer-shandong') });
    expect(body.errors).toBeUndefined();
    expect(body.data.shandong.rejectDispute.status).toBe('REJECTED');

    const v = await presentAndVerify(stack, eid, jinanHall, 'service-hall-visit');
    expect(v).toMatchObject({ verdict: 'ACCEPTED', ruleVersion: 2, disputed: false });
    const shown = await released(v.id);
    expect(shown.disputedFields).toEqual([]);
    expect(shown.releasedFields[0]).toEqual({ field: 'holderName', labelZh: '持证主体', value: eid.holderName, retain: false, masked: false, disputed: false, withheld: false });
    expect(await usageReleased(eid, v.id)).toEqual(['holderName', 'holderCode']);
  });
});
