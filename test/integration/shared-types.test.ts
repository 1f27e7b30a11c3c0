/**
 * One type for one thing across the graph, through the gateway: a verification names its issuing
 * region as a `Region` (its names from the catalogue), and a usage record its scenario as a
 * `Scenario` (its names from recognition, though the record is read from the issuing registry),
 * its verdict as `Verdict` and its reasons as `VerdictReason`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { holderToken, presentAndVerify, seeded, verifierNamed, verifierToken } from '../support/verification.js';

const SEED = 300;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ seedCount: SEED });
});
afterAll(async () => {
  await stack?.stop();
});

const shanghaiHotel = verifierNamed('上海外滩江景酒店有限公司');
const jinanHall = verifierNamed('济南市政务服务中心');

const VERIFICATION = `query($id: ID!) { verification(id: $id) { verdict reasons issuingRegion { code name nameZh } scenario { code nameZh } } }`;
const USAGE = `query($id: ID!) {
  credential(id: $id) { usageRecords { nodes { id scenario { code name nameZh serviceItemCode } scenarioName verdict reasons } } }
}`;

describe('a verification’s issuing region', () => {
  it('is a Region: the verifier reads its code and names', async () => {
    const eid = seeded('yangtze-delta', SEED, { type: 'e-id', province: '32' });
    const v = await presentAndVerify(stack, eid, shanghaiHotel, 'hotel-check-in');
    const { status, body } = await stack.query(VERIFICATION, { id: v.id }, { token: await verifierToken(stack, shanghaiHotel) });
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    expect(body.data.verification).toEqual({
      verdict: 'ACCEPTED',
      reasons: [],
      issuingRegion: { code: 'yangtze-delta', name: 'Yangtze River Delta', nameZh: '长三角' },
      scenario: { code: 'hotel-check-in', nameZh: '旅馆住宿登记' },
    });
  });

  it('names the region that holds the credential, not the verifier’s', async () => {
    const eid = seeded('yangtze-delta', SEED, { type: 'e-id', province: '31' }, 1);
    const v = await presentAndVerify(stack, eid, jinanHall, 'service-hall-visit');
    const { body } = await stack.query(VERIFICATION, { id: v.id }, { token: await verifierToken(stack, jinanHall) });
    expect(body.data.verification).toEqual({
      verdict: 'NOT_RECOGNISED',
      reasons: ['NO_RULE'],
      issuingRegion: { code: 'yangtze-delta', name: 'Yangtze River Delta', nameZh: '长三角' },
      scenario: { code: 'service-hall-visit', nameZh: '政务服务大厅办事' },
    });
  });
});

describe('a usage record, as its holder reads it', () => {
  it('names its scenario as a Scenario, and its verdict and reasons as the enums, for an accepted use', async () => {
    const eid = seeded('yangtze-delta', SEED, { type: 'e-id', province: '32' }, 2);
    const v = await presentAndVerify(stack, eid, shanghaiHotel, 'hotel-check-in');
    const { body } = await stack.query(USAGE, { id: eid.id }, { token: await holderToken(stack, eid.holderCode) });
    expect(body.errors).toBeUndefined();
    expect(body.data.credential.usageRecords.nodes).toEqual([
      {
        id: v.id,
        scenario: { code: 'hotel-check-in', name: 'Hotel check-in', nameZh: '旅馆住宿登记', serviceItemCode: 'HT-ZS-0001' },
        scenarioName: '旅馆住宿登记',
        verdict: 'ACCEPTED',
        reasons: [],
      },
    ]);
  });

  it('does the same for a refused use, through the holder’s list of credentials', async () => {
    const eid = seeded('yangtze-delta', SEED, { type: 'e-id', province: '31' }, 3);
    const v = await presentAndVerify(stack, eid, jinanHall, 'service-hall-visit');
    const { body } = await stack.query(
      `query($code: ID!) { holder(code: $code) { credentials { nodes { id usageRecords { nodes { id scenario { code nameZh } verdict reasons } } } } } }`,
      { code: eid.holderCode },
      { token: await holderToken(stack, eid.holderCode) },
    );
    expect(body.errors).toBeUndefined();
    const used = body.data.holder.credentials.nodes.find((c: { id: string }) => c.id === eid.id);
    expect(used.usageRecords.nodes).toEqual([{ id: v.id, scenario: { code: 'service-hall-visit', nameZh: '政务服务大厅办事' }, verdict: 'NOT_RECOGNISED', reasons: ['NO_RULE'] }]);
  });

  it('has those types in the schema the gateway serves, and Verification.issuingRegion is a Region', async () => {
    const named = (t: { kind: string; name: string | null; ofType?: unknown }): string =>
      t.kind === 'NON_NULL' ? `${named(t.ofType as typeof t)}!` : t.kind === 'LIST' ? `[${named(t.ofType as typeof t)}]` : `${t.name}`;
    const TYPE = `query($name: String!) { __type(name: $name) { fields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`;
    const fieldsOf = async (name: string) => {
      const { body } = await stack.query(TYPE, { name });
      expect(body.errors).toBeUndefined();
      return Object.fromEntries(body.data.__type.fields.map((f: { name: string; type: never }) => [f.name, named(f.type)]));
    };
    expect(await fieldsOf('UsageRecord')).toMatchObject({ scenario: 'Scenario!', scenarioName: 'String!', verdict: 'Verdict!', reasons: '[VerdictReason!]!' });
    expect(await fieldsOf('Verification')).toMatchObject({ issuingRegion: 'Region!', scenario: 'Scenario!', verdict: 'Verdict!', reasons: '[VerdictReason!]!' });
  });
});
