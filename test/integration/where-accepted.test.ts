/**
 * "Where can I use this": recognition extends every credential (an @interfaceObject of the
 * catalogue's Credential) with the decision the rules in force would make in every region and
 * scenario, from the fields the issuing registry reads live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, TEST_SEED_COUNT, type Stack } from '../support/stack.js';
import { adminToken } from '../support/identities.js';
import { holderToken, seeded, verifierNamed, verifierToken } from '../support/verification.js';
import { regionIssuerToken } from '../support/identities.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const WHERE = `query($id: ID!, $on: String, $acceptedOnly: Boolean) {
  credential(id: $id) {
    id
    whereAccepted(on: $on, acceptedOnly: $acceptedOnly) {
      acceptingRegion { code } acceptingProvinces scenario { code } accepted ruleId ruleVersion reasons releasedFields
    }
  }
}`;

const asHolder = async (credential: { id: string; holderCode: string }, variables: Record<string, unknown> = {}) =>
  stack.query(WHERE, { id: credential.id, ...variables }, { token: await holderToken(stack, credential.holderCode) });

const dayAfter = (day: string, days = 1) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

describe('where a credential is accepted', () => {
  it('tells a Jiangsu holder their e-ID is accepted at Yangtze Delta hotels, and nowhere else', async () => {
    const eid = seeded('yangtze-delta', TEST_SEED_COUNT, { type: 'e-id', province: '32' });
    const { status, body } = await asHolder(eid, { acceptedOnly: true });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.credential.whereAccepted).toEqual([
      {
        acceptingRegion: { code: 'yangtze-delta' }, acceptingProvinces: null, scenario: { code: 'hotel-check-in' },
        accepted: true, ruleId: 'yrd-hotel-e-id', ruleVersion: 1, reasons: [], releasedFields: ['holderName', 'holderCode', 'face.sex', 'face.address'],
      },
    ]);
  });

  it('says why not: no rule in Shandong’s service halls for a Jiangsu e-ID', async () => {
    const eid = seeded('yangtze-delta', TEST_SEED_COUNT, { type: 'e-id', province: '32' });
    const { body } = await asHolder(eid);
    const shandongHall = body.data.credential.whereAccepted.find(
      (a: { acceptingRegion: { code: string }; scenario: { code: string } }) => a.acceptingRegion.code === 'shandong' && a.scenario.code === 'service-hall-visit',
    );
    expect(shandongHall).toEqual({
      acceptingRegion: { code: 'shandong' }, acceptingProvinces: null, scenario: { code: 'service-hall-visit' },
      accepted: false, ruleId: null, ruleVersion: null, reasons: ['NO_RULE'], releasedFields: [],
    });
  });

  it('splits a region by province where a rule accepts in some of its provinces only', async () => {
    const cert = seeded('chengdu-chongqing', TEST_SEED_COUNT, { type: 'e-real-estate-certificate', province: '50' });
    const { body } = await asHolder(cert);
    expect(body.errors).toBeUndefined();
    const rental = body.data.credential.whereAccepted.filter(
      (a: { acceptingRegion: { code: string }; scenario: { code: string } }) => a.acceptingRegion.code === 'chengdu-chongqing' && a.scenario.code === 'flat-rental',
    );
    expect(rental.map((a: { acceptingProvinces: string[]; accepted: boolean; ruleId: string | null }) => [a.acceptingProvinces, a.accepted, a.ruleId])).toEqual([
      [['50'], true, 'cq-rental-real-estate'],
      [['51'], false, null],
    ]);
  });

  it('follows the credential’s validity: accepted on its expiry date, expired the day after, not yet valid before it starts', async () => {
    // The first Jiangsu e-ID with an expiry date (some are long-term, 长期).
    const eid = [0, 1, 2, 3, 4, 5].map((skip) => seeded('yangtze-delta', TEST_SEED_COUNT, { type: 'e-id', province: '32' }, skip)).find((c) => c.expiryDate !== null)!;
    expect(eid.expiryDate).not.toBeNull();
    const hotel = async (on: string) => {
      const { body } = await asHolder(eid, { on });
      expect(body.errors).toBeUndefined();
      const a = body.data.credential.whereAccepted.find((x: { acceptingRegion: { code: string }; scenario: { code: string } }) => x.acceptingRegion.code === 'yangtze-delta' && x.scenario.code === 'hotel-check-in');
      return [a.accepted, a.reasons];
    };
    expect(await hotel(dayAfter(eid.expiryDate!, -1))).toEqual([true, []]);
    expect(await hotel(eid.expiryDate!)).toEqual([true, []]);
    expect(await hotel(dayAfter(eid.expiryDate!))).toEqual([false, ['EXPIRED']]);
    expect(await hotel(dayAfter(eid.effectiveDate, -1))).toEqual([false, ['NOT_YET_VALID']]);
  });

  it('tells the holder a suspended licence is refused at traffic checks, and why', async () => {
    const licence = seeded('yangtze-delta', TEST_SEED_COUNT, { type: 'e-driving-licence', province: '32' });
    const token = await regionIssuerToken(stack, 'yangtze-delta');
    const suspended = await stack.query('mutation($id: ID!) { yangtzeDelta { suspendCredential(id: $id, reason: "记分满12分") { status } } }', { id: licence.id }, { token });
    expect(suspended.body.errors).toBeUndefined();
    const { body } = await asHolder(licence);
    const traffic = body.data.credential.whereAccepted.filter((a: { scenario: { code: string } }) => a.scenario.code === 'traffic-check');
    expect(traffic.map((a: { acceptingRegion: { code: string } }) => a.acceptingRegion.code).sort()).toEqual(['chengdu-chongqing', 'hebei', 'shandong', 'yangtze-delta']);
    for (const a of traffic) {
      // The Yangtze Delta's own rule is more specific than the national one.
      const ruleId = a.acceptingRegion.code === 'yangtze-delta' ? 'yrd-traffic-driving-licence' : 'national-traffic-driving-licence';
      expect(a).toMatchObject({ accepted: false, ruleId, ruleVersion: 1 });
      expect(a.reasons).toContain('SUSPENDED');
    }
  });

  it('works across a holder’s credentials, each read from its own registry', async () => {
    const eid = seeded('shandong', TEST_SEED_COUNT, { type: 'e-id', province: '37' });
    const { body } = await stack.query(
      `query($code: ID!) { holder(code: $code) { credentials { nodes { typeCode whereAccepted(acceptedOnly: true) { acceptingRegion { code } scenario { code } } } } } }`,
      { code: eid.holderCode },
      { token: await holderToken(stack, eid.holderCode) },
    );
    expect(body.errors).toBeUndefined();
    const own = body.data.holder.credentials.nodes.find((c: { typeCode: string }) => c.typeCode === eid.typeCode);
    expect(own.whereAccepted).toContainEqual({ acceptingRegion: { code: 'shandong' }, scenario: { code: 'service-hall-visit' } });
  });
});

describe('who may ask', () => {
  const eid = () => seeded('yangtze-delta', TEST_SEED_COUNT, { type: 'e-id', province: '32' });

  it('refuses another holder with FORBIDDEN', async () => {
    const other = seeded('shandong', TEST_SEED_COUNT, { type: 'e-id', province: '37' });
    const { body } = await stack.query(WHERE, { id: eid().id }, { token: await holderToken(stack, other.holderCode) });
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('refuses a verifier with FORBIDDEN: a verifier learns only what a presented check releases', async () => {
    const { body } = await stack.query(WHERE, { id: eid().id }, { token: await verifierToken(stack, verifierNamed('上海外滩江景酒店有限公司')) });
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('answers an auditor', async () => {
    const { body } = await stack.query(WHERE, { id: eid().id, acceptedOnly: true }, { token: await adminToken(stack) });
    expect(body.errors).toBeUndefined();
    expect(body.data.credential.whereAccepted).toHaveLength(1);
  });

  it('refuses a day that does not exist with BAD_USER_INPUT', async () => {
    const { body } = await asHolder(eid(), { on: '2026-02-30' });
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toBe('on must be a day, YYYY-MM-DD (got "2026-02-30").');
  });
});
