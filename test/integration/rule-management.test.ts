/**
 * Rules managed by their owners, through the gateway on a fresh stack of its own (it changes
 * rules): Shandong's rule officer publishes a new version of the service-hall e-ID rule, the
 * Jinan service hall's next check follows it, an earlier check still names the version it was
 * decided under, a version from tomorrow leaves today's checks alone, a retirement ends
 * recognition at once; other regions, the national office and other roles cannot write
 * Shandong's rules. Dates are computed from today's China date, as the officers would write them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devIdentity } from '../../scripts/dev-identities.js';
import { todayInChina } from '../../subgraphs/kit/days.js';
import { dayBefore } from '../../subgraphs/recognition/rules.js';
import { identityToken } from '../support/identities.js';
import { startStack, TEST_SEED_COUNT, type Stack } from '../support/stack.js';
import { presentAndVerify, seeded, verifierNamed } from '../support/verification.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const E_ID = '11100000HT00000183001';
const SHANDONG_OFFICE = '11370100HW2447201K';
const jinanHall = verifierNamed('济南市政务服务中心');
const eid = () => seeded('shandong', TEST_SEED_COUNT, { type: 'e-id', province: '37' });
const today = todayInChina();
const yesterday = dayBefore(today);
const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

const PUBLISH = `mutation Publish($input: RecognitionRuleInput!, $reason: String!) {
  publishRecognitionRule(input: $input, reason: $reason) {
    id version acceptingRegion validFrom validUntil inForce
    releasedFields { field retain masked }
    publication { source publishedAt subject organisation region reason }
  }
}`;
const RETIRE = `mutation Retire($id: ID!, $from: String!, $reason: String!) {
  retireRecognitionRule(id: $id, effectiveFrom: $from, reason: $reason) {
    id version validFrom validUntil inForce
    retirement { effectiveFrom subject organisation region reason retiredAt }
  }
}`;
const HISTORY = `query History { recognitionRuleHistory(id: "sd-service-hall-e-id") {
  totalCount
  pageInfo { hasNextPage }
  nodes {
    id version validFrom validUntil inForce releasedFields { field }
    publication { source subject organisation region reason }
    retirement { effectiveFrom region reason }
  }
} }`;

/** Shandong's service-hall rule as its officer writes a new version: the holder's name only. */
const hallRule = (over: Record<string, unknown> = {}) => ({
  id: 'sd-service-hall-e-id',
  scenario: 'service-hall-visit',
  credentialType: E_ID,
  issuingProvinces: ['37'],
  acceptedStatuses: ['VALID'],
  releasedFields: [{ field: 'holderName' }],
  validFrom: today,
  legalBasis: '山东省政务服务大厅“免证办”：核验电子身份证时只需姓名。',
  ...over,
});

const as = async (identity: string) => ({ token: await identityToken(stack, identity) });
const publish = async (identity: string, input: Record<string, unknown>, reason = '依据最小必要原则调整') => stack.query(PUBLISH, { input, reason }, await as(identity));
const retire = async (identity: string, id: string, from: string, reason = '停止互认') => stack.query(RETIRE, { id, from, reason }, await as(identity));
const firstError = (body: { errors?: { message: string; extensions: Record<string, unknown> }[] }) => {
  const e = body.errors?.[0];
  return e && { code: e.extensions.code, reason: e.extensions.reason, field: e.extensions.field, message: e.message };
};
const checkAtJinan = () => presentAndVerify(stack, eid(), jinanHall, 'service-hall-visit');

describe('the Shandong rule officer manages the service-hall e-ID rule', () => {
  let before: string;

  it('publishes version 2 releasing fewer fields from today; the next check at the Jinan hall follows it', async () => {
    const first = await checkAtJinan();
    expect(first).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'sd-service-hall-e-id', ruleVersion: 1 });
    expect(first.releasedFields.map((f: { field: string }) => f.field)).toEqual(['holderName', 'holderCode']);
    before = first.id;

    const { status, body } = await publish('rule-officer-shandong', hallRule());
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.publishRecognitionRule).toEqual({
      id: 'sd-service-hall-e-id', version: 2, acceptingRegion: 'shandong', validFrom: today, validUntil: null, inForce: true,
      releasedFields: [{ field: 'holderName', retain: false, masked: false }],
      publication: {
        source: 'OFFICER', publishedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), subject: `rule-officer-${SHANDONG_OFFICE}`,
        organisation: SHANDONG_OFFICE, region: 'shandong', reason: '依据最小必要原则调整',
      },
    });

    const next = await checkAtJinan();
    expect(next).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'sd-service-hall-e-id', ruleVersion: 2 });
    expect(next.releasedFields).toEqual([{ field: 'holderName', label: 'Holder name', value: eid().holderName, retain: false }]);
    expect(next.trace).toContainEqual({ ruleId: 'sd-service-hall-e-id', version: 2, kind: 'ACCEPTANCE', applied: true, detail: 'regional rule covers this credential' });
  });

  it('shows the history: version 1 from reference data ending yesterday, version 2 with its publisher and reason', async () => {
    const { body } = await stack.query(HISTORY, {}, await as('rule-officer-shandong'));
    expect(body.errors).toBeUndefined();
    expect(body.data.recognitionRuleHistory.totalCount).toBe(2);
    expect(body.data.recognitionRuleHistory.pageInfo).toEqual({ hasNextPage: false });
    // Newest first.
    expect(body.data.recognitionRuleHistory.nodes).toEqual([
      {
        id: 'sd-service-hall-e-id', version: 2, validFrom: today, validUntil: null, inForce: true, releasedFields: [{ field: 'holderName' }],
        publication: { source: 'OFFICER', subject: `rule-officer-${SHANDONG_OFFICE}`, organisation: SHANDONG_OFFICE, region: 'shandong', reason: '依据最小必要原则调整' },
        retirement: null,
      },
      {
        id: 'sd-service-hall-e-id', version: 1, validFrom: '2021-01-01', validUntil: yesterday, inForce: false,
        releasedFields: [{ field: 'holderName' }, { field: 'holderCode' }],
        publication: { source: 'REFERENCE_DATA', subject: null, organisation: null, region: null, reason: null },
        retirement: null,
      },
    ]);
    // Rules stay public; only the officer's account is for rule officers and auditors.
    const publicView = await stack.query(`{ recognitionRules(acceptingRegion: "shandong", scenario: "service-hall-visit") { id version publication { source organisation region } } }`);
    expect(publicView.body.data.recognitionRules).toEqual([{ id: 'sd-service-hall-e-id', version: 2, publication: { source: 'OFFICER', organisation: SHANDONG_OFFICE, region: 'shandong' } }]);
    const account = await stack.query(HISTORY);
    expect(account.status).toBe(401);
    expect(account.body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', fields: ['RulePublication.subject'] });
  });

  it('leaves a verification made before the change on version 1', async () => {
    const { body } = await stack.query(
      `query($id: ID!) { verification(id: $id) { ruleId ruleVersion releasedFields { field } trace { ruleId version applied } } }`,
      { id: before },
      { token: await stack.token(devIdentity('verifier-jinan-service-hall').claims) },
    );
    expect(body.data.verification).toEqual({
      ruleId: 'sd-service-hall-e-id', ruleVersion: 1, releasedFields: [{ field: 'holderName' }, { field: 'holderCode' }],
      trace: [{ ruleId: 'sd-service-hall-e-id', version: 1, applied: true }, { ruleId: 'yrd-suspended-driving-licence', version: 1, applied: false }],
    });
  });

  it('keeps today’s checks on version 2 when version 3 starts tomorrow', async () => {
    const { body } = await publish('rule-officer-shandong', hallRule({ validFrom: tomorrow, releasedFields: [{ field: 'holderName' }, { field: 'face.sex' }] }), '明日起增加性别');
    expect(body.data.publishRecognitionRule).toMatchObject({ version: 3, validFrom: tomorrow, inForce: false });
    expect(await checkAtJinan()).toMatchObject({ verdict: 'ACCEPTED', ruleVersion: 2 });
    const { body: rules } = await stack.query(`{ recognitionRuleHistory(id: "sd-service-hall-e-id") { nodes { id version validFrom validUntil inForce } } }`);
    expect(rules.data.recognitionRuleHistory.nodes).toEqual([
      { id: 'sd-service-hall-e-id', version: 3, validFrom: tomorrow, validUntil: null, inForce: false },
      { id: 'sd-service-hall-e-id', version: 2, validFrom: today, validUntil: today, inForce: true },
      { id: 'sd-service-hall-e-id', version: 1, validFrom: '2021-01-01', validUntil: yesterday, inForce: false },
    ]);
  });

  it('refuses to start a version in the past or on the day the previous one starts, with the reason', async () => {
    expect(firstError((await publish('rule-officer-shandong', hallRule({ validFrom: yesterday }))).body)).toMatchObject({
      code: 'BAD_USER_INPUT', reason: 'RULE_STARTS_IN_THE_PAST', field: 'validFrom',
    });
    expect(firstError((await publish('rule-officer-shandong', hallRule({ validFrom: tomorrow }))).body)).toEqual({
      code: 'BAD_USER_INPUT', reason: 'RULE_STARTS_BEFORE_PREVIOUS_VERSION', field: 'validFrom',
      message: `Version 3 of sd-service-hall-e-id starts on ${tomorrow}: a new version starts after it.`,
    });
  });

  it('keeps other regions and the national office away from Shandong’s rules', async () => {
    const yrdVersion = await publish('rule-officer-yangtze-delta', hallRule({ validFrom: '2099-01-01' }));
    expect(firstError(yrdVersion.body)).toEqual({
      code: 'FORBIDDEN', reason: 'RULE_OWNED_ELSEWHERE', field: undefined,
      message: "Rule sd-service-hall-e-id belongs to shandong's rule officers: only they publish versions of it or retire it.",
    });
    expect(firstError((await retire('rule-officer-yangtze-delta', 'sd-service-hall-e-id', today)).body)).toMatchObject({ code: 'FORBIDDEN', reason: 'RULE_OWNED_ELSEWHERE' });
    expect(firstError((await retire('rule-officer-national', 'sd-service-hall-e-id', today)).body)).toMatchObject({ code: 'FORBIDDEN', reason: 'RULE_OWNED_ELSEWHERE' });
    expect(firstError((await publish('rule-officer-shandong', hallRule({ id: 'sd-hall-shanghai', acceptingProvinces: ['31'] }))).body)).toEqual({
      code: 'FORBIDDEN', reason: undefined, field: undefined,
      message: 'acceptingProvinces: 31 is not in shandong (37): a region publishes acceptance rules for itself only.',
    });
    expect(firstError((await publish('rule-officer-shandong', hallRule({ id: 'national-hall-e-id', acceptingRegion: null, issuingProvinces: null }))).body)).toEqual({
      code: 'FORBIDDEN', reason: undefined, field: undefined, message: 'National rules (acceptingRegion null) are published by the national rule office.',
    });
    // Still versions 1 to 3, and today's checks on version 2.
    expect(await checkAtJinan()).toMatchObject({ verdict: 'ACCEPTED', ruleVersion: 2 });
  });

  it('retires the rule from today: the next check is NOT_RECOGNISED, and the retirement is recorded', async () => {
    const { body } = await retire('rule-officer-shandong', 'sd-service-hall-e-id', today, '服务大厅改用全国规则');
    expect(body.errors).toBeUndefined();
    expect(body.data.retireRecognitionRule).toEqual({
      id: 'sd-service-hall-e-id', version: 3, validFrom: tomorrow, validUntil: yesterday, inForce: false,
      retirement: {
        effectiveFrom: today, subject: `rule-officer-${SHANDONG_OFFICE}`, organisation: SHANDONG_OFFICE, region: 'shandong',
        reason: '服务大厅改用全国规则', retiredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      },
    });
    expect(await checkAtJinan()).toMatchObject({ verdict: 'NOT_RECOGNISED', reasons: ['NO_RULE'], ruleId: null, ruleVersion: null, releasedFields: [], trace: [] });
    expect(firstError((await retire('rule-officer-shandong', 'sd-service-hall-e-id', tomorrow)).body)).toEqual({
      code: 'BAD_USER_INPUT', reason: 'RULE_ALREADY_RETIRED', field: 'id', message: `Rule sd-service-hall-e-id is already retired from ${today}.`,
    });
    expect(firstError((await retire('rule-officer-shandong', 'sd-no-such-rule', today)).body)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'RULE_NOT_FOUND' });
    expect(firstError((await retire('rule-officer-shandong', 'sd-service-hall-e-id', yesterday)).body)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'RETIREMENT_IN_THE_PAST' });
  });

  it('lets the national rule office publish a national rule, which then decides at the Jinan hall', async () => {
    const { body } = await publish('rule-officer-national', hallRule({ id: 'national-service-hall-e-id', issuingProvinces: null }), '全国政务服务大厅认可电子身份证');
    expect(body.errors).toBeUndefined();
    expect(body.data.publishRecognitionRule).toMatchObject({
      id: 'national-service-hall-e-id', version: 1, acceptingRegion: null, inForce: true,
      publication: { source: 'OFFICER', region: 'national', organisation: '11100000HW6168162F' },
    });
    expect(await checkAtJinan()).toMatchObject({ verdict: 'ACCEPTED', ruleId: 'national-service-hall-e-id', ruleVersion: 1 });
  });

  it('counts the publications and retirements by region', async () => {
    const text = await stack.metrics('recognition');
    expect(text).toContain('hutong_rule_changes_total{kind="ACCEPTANCE",action="published",region="shandong",service="recognition"} 2');
    expect(text).toContain('hutong_rule_changes_total{kind="ACCEPTANCE",action="retired",region="shandong",service="recognition"} 1');
    expect(text).toContain('hutong_rule_changes_total{kind="ACCEPTANCE",action="published",region="national",service="recognition"} 1');
  });
});

describe('invalidation rules through the graph', () => {
  const PUBLISH_INVALIDATION = `mutation($input: InvalidationRuleInput!) {
    publishInvalidationRule(input: $input, reason: "暂扣印章不得签章") { id version issuingProvinces statuses scenarios { code } publication { region } }
  }`;
  const input = { id: 'sd-suspended-e-seal', credentialType: '11100000HT00000183004', issuingProvinces: ['37'], statuses: ['SUSPENDED'], scenarios: ['online-filing'], validFrom: today, legalBasis: '暂扣的电子印章不得用于网上办事签章。' };

  it('are published and retired by the issuing region only', async () => {
    const refused = await stack.query(PUBLISH_INVALIDATION, { input: { ...input, id: 'yrd-suspended-sd-seal' } }, await as('rule-officer-yangtze-delta'));
    expect(firstError(refused.body)).toEqual({
      code: 'FORBIDDEN', reason: undefined, field: undefined,
      message: 'issuingProvinces: 37 is not in yangtze-delta (31, 32, 33, 34): a region invalidates only what it issued.',
    });
    const { body } = await stack.query(PUBLISH_INVALIDATION, { input }, await as('rule-officer-shandong'));
    expect(body.data.publishInvalidationRule).toEqual({
      id: 'sd-suspended-e-seal', version: 1, issuingProvinces: ['37'], statuses: ['SUSPENDED'], scenarios: [{ code: 'online-filing' }], publication: { region: 'shandong' },
    });
    const retireIt = `mutation($from: String!) { retireInvalidationRule(id: "sd-suspended-e-seal", effectiveFrom: $from, reason: "规则合并") { version validUntil retirement { region } } }`;
    expect(firstError((await stack.query(retireIt, { from: tomorrow }, await as('rule-officer-hebei'))).body)).toMatchObject({ code: 'FORBIDDEN', reason: 'RULE_OWNED_ELSEWHERE' });
    const retired = await stack.query(retireIt, { from: tomorrow }, await as('rule-officer-shandong'));
    expect(retired.body.data.retireInvalidationRule).toEqual({ version: 1, validUntil: today, retirement: { region: 'shandong' } });
    const listed = await stack.query(`{ invalidationRules { id version validUntil inForce publication { source region } } }`);
    expect(listed.body.data.invalidationRules).toEqual([
      { id: 'sd-suspended-e-seal', version: 1, validUntil: today, inForce: true, publication: { source: 'OFFICER', region: 'shandong' } },
      { id: 'yrd-suspended-driving-licence', version: 1, validUntil: null, inForce: true, publication: { source: 'REFERENCE_DATA', region: null } },
    ]);
    const history = await stack.query(`{ invalidationRuleHistory(id: "sd-suspended-e-seal") { totalCount nodes { version validUntil retirement { region } } } }`);
    expect(history.body.data.invalidationRuleHistory).toEqual({ totalCount: 1, nodes: [{ version: 1, validUntil: today, retirement: { region: 'shandong' } }] });
  });
});

describe('who may call the rule mutations', () => {
  it.each([
    ['a holder', 'holder', 403, 'FORBIDDEN', 'The holder role may not read Mutation.publishRecognitionRule.'],
    ['a verifier', 'verifier-jinan-service-hall', 403, 'FORBIDDEN', 'The verifier role may not read Mutation.publishRecognitionRule.'],
    ['an issuer', 'issuer-shandong', 403, 'FORBIDDEN', 'The issuer role may not read Mutation.publishRecognitionRule.'],
    ['an auditor', 'admin', 403, 'FORBIDDEN', 'The admin role may not read Mutation.publishRecognitionRule.'],
    ['an anonymous caller', null, 401, 'UNAUTHENTICATED', 'Sign in to read Mutation.publishRecognitionRule: anonymous callers see only the public parts of the graph.'],
  ])('refuses %s (%s) before anything runs', async (_who, identity, status, code, message) => {
    const res = await stack.query(
      'mutation($input: RecognitionRuleInput!) { publishRecognitionRule(input: $input, reason: "越权") { id version } }',
      { input: hallRule({ validFrom: '2099-01-01' }) },
      identity ? await as(identity) : undefined,
    );
    expect(res.status).toBe(status);
    expect(res.body.errors[0]).toMatchObject({ message, extensions: { code } });
    expect(res.body.data).toBeUndefined();
  });

  it('refuses a status GraphQL does not know, naming the field, and an unknown scenario with RULE_INVALID', async () => {
    const badStatus = await publish('rule-officer-shandong', hallRule({ id: 'sd-hall-lost', acceptedStatuses: ['LOST'] }));
    // A variable coercion failure, asked for as application/json: 200 (GraphQL over HTTP).
    expect(badStatus.status).toBe(200);
    expect(badStatus.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(badStatus.body.errors[0].message).toContain('"$input" got invalid value "LOST" at "input.acceptedStatuses[0]"');
    expect(firstError((await publish('rule-officer-shandong', hallRule({ id: 'sd-hall-tax', scenario: 'tax-filing' }))).body)).toEqual({
      code: 'BAD_USER_INPUT', reason: 'RULE_INVALID', field: 'scenario', message: 'There is no scenario tax-filing; see scenarios.',
    });
    expect(firstError((await publish('rule-officer-shandong', hallRule({ id: 'sd-hall-seal', releasedFields: [{ field: 'face.sealName' }] }))).body)).toMatchObject({
      code: 'BAD_USER_INPUT', reason: 'RULE_INVALID', field: 'releasedFields',
    });
    expect(firstError((await publish('rule-officer-shandong', hallRule({ id: 'sd-hall-window', validUntil: yesterday }))).body)).toMatchObject({
      code: 'BAD_USER_INPUT', reason: 'RULE_INVALID', field: 'validUntil',
    });
  });

  it('gives a rule officer nothing else: it cannot present or verify credentials', async () => {
    const res = await stack.query('mutation { createPresentationCode(credentialId: "x") { code } }', {}, await as('rule-officer-shandong'));
    expect(res.status).toBe(403);
    expect(res.body.errors[0].message).toBe('The rule-officer role may not read Mutation.createPresentationCode, PresentationCode.code.');
  });
});
