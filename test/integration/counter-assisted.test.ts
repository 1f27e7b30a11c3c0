/**
 * Counter-assisted use (窗口), end to end through the gateway on a stack of its own: a holder
 * without a phone shows an identity document at the Jinan service hall, a registered counter; its
 * staff verify the holder's e-ID with the holder's consent recorded. The national index finds the
 * credential (recognition asks the catalogue, which answers recognition only), the same rules
 * decide, and the holder later sees the use as COUNTER_ASSISTED, with who checked which document.
 * Refusals: a verifier that is not a registered counter, a holder code with a bad check digit, a
 * holder the index lists nothing for, two credentials of the type without the number printed on one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous } from '../../subgraphs/kit/auth/caller.js';
import { ENVELOPE_HEADER, signEnvelope } from '../../subgraphs/kit/auth/envelope.js';
import { makeCitizenId } from '../../subgraphs/kit/identifiers/index.js';
import { identityToken } from '../support/identities.js';
import { startStack, type Stack } from '../support/stack.js';
import { contextFor, holderToken, presentAndVerify, seeded, verifierNamed, verifierToken } from '../support/verification.js';

const SEED = 300;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ seedCount: SEED });
});
afterAll(async () => {
  await stack?.stop();
});

const E_ID = '11100000HT00000183001';
const jinanHall = verifierNamed('济南市政务服务中心');
const shanghaiHotel = verifierNamed('上海外滩江景酒店有限公司');
const consent = { identityDocument: 'RESIDENT_ID_CARD', staffName: '王丽', staffNumber: 'JN-0317' };

const AT_COUNTER = `mutation($input: CounterVerificationInput!) {
  verifyAtCounter(input: $input) {
    id verdict reasons ruleId ruleVersion channel usageRecorded
    counterAssistance { identityDocument staffName staffNumber }
    issuingRegion { code nameZh }
    releasedFields { field value masked }
  }
}`;
const USAGE = `query($id: ID!) {
  credential(id: $id) {
    usageRecords { nodes { id channel counterAssistance { identityDocument staffName staffNumber } verifierName operator scenario { code nameZh } verdict reasons releasedFields } }
  }
}`;

const input = (holderCode: string, over: Record<string, unknown> = {}) => ({
  holderCode,
  credentialType: E_ID,
  scenario: 'service-hall-visit',
  context: { ...contextFor(jinanHall, 'service-hall-visit'), operator: '综合窗口 王丽' },
  consent,
  ...over,
});
const atCounter = async (verifier: typeof jinanHall, value: ReturnType<typeof input>) =>
  stack.query(AT_COUNTER, { input: value }, { token: await verifierToken(stack, verifier) });
const usageOf = async (credential: { id: string; holderCode: string }) => {
  const { body } = await stack.query(USAGE, { id: credential.id }, { token: await holderToken(stack, credential.holderCode) });
  expect(body.errors).toBeUndefined();
  return body.data.credential.usageRecords.nodes as { id: string; channel: string }[];
};
const maskedCode = (code: string) => `${code.slice(0, 4)}**********${code.slice(-4)}`;

describe('a registered counter verifies for a holder without a phone', () => {
  const eid = seeded('shandong', SEED, { type: 'e-id', province: '37' });

  it('finds the holder’s e-ID through the national index, the Shandong rule accepts it, and the verification names the counter’s part', async () => {
    const { status, body } = await atCounter(jinanHall, input(eid.holderCode));
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    expect(body.data.verifyAtCounter).toMatchObject({
      verdict: 'ACCEPTED',
      reasons: [],
      ruleId: 'sd-service-hall-e-id',
      ruleVersion: 1,
      channel: 'COUNTER_ASSISTED',
      usageRecorded: true,
      counterAssistance: { identityDocument: 'RESIDENT_ID_CARD', staffName: '王丽', staffNumber: 'JN-0317' },
      issuingRegion: { code: 'shandong', nameZh: '山东' },
      releasedFields: [
        { field: 'holderName', value: eid.holderName, masked: false },
        { field: 'holderCode', value: maskedCode(eid.holderCode), masked: true },
      ],
    });
  });

  it('shows the holder, later, both uses: one with a code from their phone, one at the counter with who checked which document', async () => {
    const withCode = await presentAndVerify(stack, eid, jinanHall, 'service-hall-visit');
    const records = await usageOf(eid);
    const byId = new Map(records.map((r) => [r.id, r]));
    expect(byId.get(withCode.id)).toEqual({
      id: withCode.id, channel: 'PRESENTATION_CODE', counterAssistance: null, verifierName: '济南市政务服务中心', operator: '窗口工作人员 0420',
      scenario: { code: 'service-hall-visit', nameZh: '政务服务大厅办事' }, verdict: 'ACCEPTED', reasons: [], releasedFields: ['holderName', 'holderCode'],
    });
    const atCounterRecords = records.filter((r) => r.channel === 'COUNTER_ASSISTED');
    expect(atCounterRecords).toHaveLength(1);
    expect(atCounterRecords[0]).toMatchObject({
      channel: 'COUNTER_ASSISTED',
      counterAssistance: { identityDocument: 'RESIDENT_ID_CARD', staffName: '王丽', staffNumber: 'JN-0317' },
      verifierName: '济南市政务服务中心',
      operator: '综合窗口 王丽',
      scenario: { code: 'service-hall-visit', nameZh: '政务服务大厅办事' },
      verdict: 'ACCEPTED',
      reasons: [],
      releasedFields: ['holderName', 'holderCode'],
    });
  });

  it('lets the same rules refuse: a suspended e-ID is REJECTED, releases nothing, and is still recorded for the holder', async () => {
    const other = seeded('shandong', SEED, { type: 'e-id', province: '37' }, 1);
    const suspended = await stack.query(`mutation($id: ID!) { shandong { suspendCredential(id: $id, reason: "证件暂扣") { status } } }`, { id: other.id }, {
      token: await identityToken(stack, 'issuer-shandong'),
    });
    expect(suspended.body.data.shandong.suspendCredential.status).toBe('SUSPENDED');
    await stack.subgraphs.get('catalogue')!.subgraph.settle!();

    const { body } = await atCounter(jinanHall, input(other.holderCode, { consent: { ...consent, identityDocument: 'HOUSEHOLD_REGISTER' } }));
    expect(body.errors).toBeUndefined();
    expect(body.data.verifyAtCounter).toMatchObject({ verdict: 'REJECTED', reasons: ['SUSPENDED'], releasedFields: [], channel: 'COUNTER_ASSISTED' });
    const [record] = (await usageOf(other)).filter((r) => r.id === body.data.verifyAtCounter.id);
    expect(record).toMatchObject({ channel: 'COUNTER_ASSISTED', counterAssistance: { identityDocument: 'HOUSEHOLD_REGISTER' }, verdict: 'REJECTED', reasons: ['SUSPENDED'], releasedFields: [] });
  });

  it('lists the registered counters among the verifiers', async () => {
    const { body } = await stack.query(`{ verifiers { name registeredCounter } }`);
    expect(body.data.verifiers.filter((v: { registeredCounter: boolean }) => v.registeredCounter).map((v: { name: string }) => v.name).sort()).toEqual(
      ['四川省图书馆', '济南市政务服务中心', '重庆图书馆'].sort(),
    );
  });
});

describe('refusals', () => {
  const eid = seeded('shandong', SEED, { type: 'e-id', province: '37' }, 2);

  it('refuses a verifier that is not a registered counter, FORBIDDEN with a reason, and records nothing', async () => {
    const before = (await usageOf(eid)).length;
    const hotelInput = { ...input(eid.holderCode), scenario: 'hotel-check-in', context: contextFor(shanghaiHotel, 'hotel-check-in') };
    const { status, body } = await atCounter(shanghaiHotel, hotelInput);
    expect(status).toBe(403);
    expect(body.data).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_A_REGISTERED_COUNTER' });
    expect(body.errors[0].message).toBe('Your organisation is not a registered counter: only a registered counter’s staff verify for a holder in person, without a presentation code.');
    expect((await usageOf(eid)).length).toBe(before);
  });

  it('refuses a holder code with a bad check digit as BAD_USER_INPUT', async () => {
    const last = eid.holderCode.at(-1)!;
    const wrong = eid.holderCode.slice(0, 17) + (last === '0' ? '1' : '0');
    const { status, body } = await atCounter(jinanHall, input(wrong));
    expect(status).toBe(200);
    expect(body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_HOLDER_CODE' });
    expect(body.errors[0].message).toMatch(/^holderCode is not a citizen ID number as an identity document shows it: The check character is '.' but expected '.'\.$/);
  });

  it('refuses a holder the national index lists no e-ID for as NOT_FOUND', async () => {
    const nobody = makeCitizenId('370102', '1931-02-03', 7);
    const { status, body } = await atCounter(jinanHall, input(nobody));
    expect(status).toBe(200);
    expect(body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(body.errors[0].message).toBe("Hutong's national index lists no 电子居民身份证 for this holder.");
  });

  it('refuses the mutation to other roles before it runs', async () => {
    const { status, body } = await stack.query(AT_COUNTER, { input: input(eid.holderCode) }, { token: await holderToken(stack, eid.holderCode) });
    expect(status).toBe(403);
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(body.errors[0].message).toBe('The holder role may not read Mutation.verifyAtCounter, Verification.id, Verification.verdict, Verification.reasons, Verification.ruleId, Verification.ruleVersion, Verification.channel, Verification.usageRecorded, Verification.counterAssistance, Verification.issuingRegion, Verification.releasedFields, ReleasedField.field, ReleasedField.value, ReleasedField.masked.');
  });
});

describe('two e-IDs of one holder', () => {
  const eid = seeded('shandong', SEED, { type: 'e-id', province: '37' }, 3);
  let second: { id: string; number: string };

  it('is refused without the number printed on one: the holder chooses, not the software', async () => {
    const issued = await stack.query(
      `mutation($input: IssueCredentialInput!) { shandong { issueCredential(input: $input) { id number } } }`,
      { input: { typeCode: E_ID, holderCode: eid.holderCode, holderName: eid.holderName, number: 'LU-2026-000777', issueDate: '2026-11-20', expiryDate: '2036-11-20', areaCode: '370100' } },
      { token: await identityToken(stack, 'issuer-shandong') },
    );
    expect(issued.body.errors).toBeUndefined();
    second = issued.body.data.shandong.issueCredential;
    await stack.subgraphs.get('catalogue')!.subgraph.settle!();

    const { status, body } = await atCounter(jinanHall, input(eid.holderCode));
    expect(status).toBe(200);
    expect(body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CREDENTIAL_AMBIGUOUS' });
    expect(body.errors[0].message).toBe('The holder holds 2 电子居民身份证: ask which one, and give the number printed on it (credentialNumber).');
  });

  it('verifies the one whose number the staff give, and its usage record is that credential’s', async () => {
    const { body } = await atCounter(jinanHall, input(eid.holderCode, { credentialNumber: 'LU-2026-000777' }));
    expect(body.errors).toBeUndefined();
    expect(body.data.verifyAtCounter).toMatchObject({ verdict: 'ACCEPTED', channel: 'COUNTER_ASSISTED' });
    expect((await usageOf({ id: second.id, holderCode: eid.holderCode })).map((r) => r.id)).toEqual([body.data.verifyAtCounter.id]);
    expect((await usageOf(eid)).map((r) => r.id)).not.toContain(body.data.verifyAtCounter.id);
  });

  it('answers NOT_FOUND for a number none of them has', async () => {
    const { body } = await atCounter(jinanHall, input(eid.holderCode, { credentialNumber: 'LU-0000-000000' }));
    expect(body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(body.errors[0].message).toBe("None of the holder's 电子居民身份证 has the number LU-0000-000000.");
  });
});

describe('the catalogue’s index of a holder’s credentials', () => {
  const eid = seeded('shandong', SEED, { type: 'e-id', province: '37' });
  const path = `/internal/holders/${eid.holderCode}/credentials?type=${E_ID}`;
  const call = async (service: string | null) => {
    const headers: Record<string, string> = service
      ? { [ENVELOPE_HEADER]: await signEnvelope(await stack.serviceKey(service), service, anonymous, { audience: 'catalogue', method: 'GET', path, body: '' }) }
      : {};
    const res = await fetch(`${stack.subgraphs.get('catalogue')!.url}${path}`, { headers });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('answers recognition with that type of the holder’s credentials only', async () => {
    const { status, body } = await call('recognition');
    expect(status).toBe(200);
    expect(body).toEqual({ credentials: [{ credentialId: eid.id, typeCode: E_ID, regionCode: 'shandong', status: '01' }] });
  });

  it.each([['gateway'], ['shandong']])('refuses %s with 403', async (service) => {
    const { status, body } = await call(service);
    expect(status).toBe(403);
    expect(body.errors[0]).toMatchObject({ message: 'This endpoint is for recognition only.', extensions: { code: 'FORBIDDEN' } });
  });

  it('refuses an unsigned call with 401', async () => {
    expect((await call(null)).status).toBe(401);
  });
});
