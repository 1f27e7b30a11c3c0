/**
 * Analysts' figures through the gateway: each region's registry counts its own credentials and
 * disputes, recognition counts verifications, and the query plan puts them together. No figure
 * carries a personal field, and cells below the minimum (3 in this stack) are suppressed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, TEST_SEED_COUNT, type Stack } from '../support/stack.js';
import { expectedStatus, regions, seededCredentials } from '../support/fixtures.js';
import { adminToken, analystToken } from '../support/identities.js';
import { holderToken, presentAndVerify, seeded, verifierNamed, verifierToken } from '../support/verification.js';

const MIN_CELL = 3;
const shanghaiHotel = verifierNamed('上海外滩江景酒店有限公司');
const chongqingLibrary = verifierNamed('重庆图书馆');

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ subgraphEnv: { HUTONG_FIGURES_MIN_CELL: String(MIN_CELL) } });
});
afterAll(async () => {
  await stack?.stop();
});

const chinaDay = (d = new Date()) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);

const CREDENTIAL_FIGURES = `query($from: String, $until: String) {
  regions { code credentialFigures(issuedFrom: $from, issuedUntil: $until) { typeCode status issueMonth count suppressed } }
}`;

interface Figure { typeCode: string; status: string; issueMonth: string; count: number | null; suppressed: boolean }

describe('credential figures', () => {
  it('counts every region’s seeded credentials by type, status as of now and month of issue, suppressing small cells', async () => {
    const { status, body } = await stack.query(CREDENTIAL_FIGURES, {}, { token: await analystToken(stack) });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.regions.map((r: { code: string }) => r.code)).toEqual(regions.map((r) => r.code));
    for (const r of body.data.regions as { code: string; credentialFigures: Figure[] }[]) {
      // Counted here from the seed, independently of the registry's counters.
      const expected = new Map<string, number>();
      for (const c of seededCredentials(r.code, TEST_SEED_COUNT)) {
        const key = `${c.typeCode}|${expectedStatus(c)}|${c.issueDate.slice(0, 7)}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      const cells = r.credentialFigures;
      expect(new Set(cells.map((f) => `${f.typeCode}|${f.status}|${f.issueMonth}`))).toEqual(new Set(expected.keys()));
      for (const f of cells) {
        const n = expected.get(`${f.typeCode}|${f.status}|${f.issueMonth}`)!;
        if (f.suppressed) expect(f.count).toBeNull();
        else {
          expect(f.count).toBe(n);
          expect(f.count).toBeGreaterThanOrEqual(MIN_CELL);
        }
        if (n < MIN_CELL) expect(f.suppressed).toBe(true);
      }
      // The published total never gives one hidden cell away: hidden cells come at least two at a time.
      expect(cells.filter((f) => f.suppressed).length).not.toBe(1);
    }
  });

  it('narrows to months of issue without showing a cell the whole query hid', async () => {
    const token = await analystToken(stack);
    const all = (await stack.query(CREDENTIAL_FIGURES, {}, { token })).body.data.regions[0].credentialFigures as Figure[];
    const month = all[Math.floor(all.length / 2)]!.issueMonth;
    const { body } = await stack.query(CREDENTIAL_FIGURES, { from: month, until: month }, { token });
    expect(body.errors).toBeUndefined();
    expect(body.data.regions[0].credentialFigures).toEqual(all.filter((f) => f.issueMonth === month));
  });

  it.each([
    ['a month that does not exist', { from: '2024-13' }, 'issuedFrom must be a month, YYYY-MM (got "2024-13").'],
    ['a range that ends before it starts', { from: '2024-05', until: '2024-04' }, 'issuedFrom (2024-05) is after issuedUntil (2024-04).'],
  ])('refuses %s with BAD_USER_INPUT', async (_label, variables, message) => {
    const { body } = await stack.query(CREDENTIAL_FIGURES, variables, { token: await analystToken(stack) });
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toBe(message);
  });

  it('is for analysts and auditors only', async () => {
    const holder = seededCredentials('shandong', TEST_SEED_COUNT)[0]!;
    const asHolder = await stack.query('{ regions { code credentialFigures { count } } }', {}, { token: await holderToken(stack, holder.holderCode) });
    expect(asHolder.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const anonymous = await stack.query('{ regions { code disputeFigures { count } } }');
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const asAdmin = await stack.query('{ regions { code disputeFigures { count } } }', {}, { token: await adminToken(stack) });
    expect(asAdmin.body.errors).toBeUndefined();
  });
});

describe('verification figures', () => {
  const FIGURES = `query($from: String!, $to: String!, $scenario: ID) {
    verificationFigures(from: $from, to: $to, scenario: $scenario) {
      day verdict count suppressed scenario { code } acceptingRegion { code nameZh } issuingRegion { code nameZh }
    }
  }`;

  beforeAll(async () => {
    const eid = seeded('yangtze-delta', TEST_SEED_COUNT, { type: 'e-id', province: '32' });
    for (let i = 0; i < MIN_CELL; i++) await presentAndVerify(stack, eid, shanghaiHotel, 'hotel-check-in');
    const card = seeded('chengdu-chongqing', TEST_SEED_COUNT, { type: 'e-social-security-card', province: '51' });
    for (let i = 0; i < MIN_CELL - 1; i++) await presentAndVerify(stack, card, chongqingLibrary, 'library-entry');
  });

  it('counts today’s verifications by scenario, verdict and the two regions, named through the catalogue', async () => {
    const today = chinaDay();
    const { body } = await stack.query(FIGURES, { from: today, to: today }, { token: await analystToken(stack) });
    expect(body.errors).toBeUndefined();
    expect(body.data.verificationFigures).toEqual([
      {
        day: today, verdict: 'ACCEPTED', count: 3, suppressed: false, scenario: { code: 'hotel-check-in' },
        acceptingRegion: { code: 'yangtze-delta', nameZh: '长三角' }, issuingRegion: { code: 'yangtze-delta', nameZh: '长三角' },
      },
      {
        day: today, verdict: 'ACCEPTED', count: null, suppressed: true, scenario: { code: 'library-entry' },
        acceptingRegion: { code: 'chengdu-chongqing', nameZh: '成渝' }, issuingRegion: { code: 'chengdu-chongqing', nameZh: '成渝' },
      },
    ].sort((a, b) => (a.scenario.code < b.scenario.code ? -1 : 1)));
  });

  it('filters by scenario and counts nothing outside the days asked for', async () => {
    const today = chinaDay();
    const yesterday = chinaDay(new Date(Date.now() - 86_400_000));
    const token = await analystToken(stack);
    const hotel = await stack.query(FIGURES, { from: today, to: today, scenario: 'hotel-check-in' }, { token });
    expect(hotel.body.data.verificationFigures.map((f: { count: number }) => f.count)).toEqual([3]);
    const before = await stack.query(FIGURES, { from: '2026-01-01', to: yesterday }, { token });
    expect(before.body.data.verificationFigures).toEqual([]);
  });

  it.each([
    ['a day that does not exist', { from: '2026-02-30', to: '2026-03-01' }, 'from must be a day, YYYY-MM-DD (got "2026-02-30").'],
    ['a span that ends before it starts', { from: '2026-03-02', to: '2026-03-01' }, 'from (2026-03-02) is after to (2026-03-01).'],
    ['367 days', { from: '2025-01-01', to: '2026-01-02' }, 'At most 366 days at a time (asked for 367).'],
  ])('refuses %s with BAD_USER_INPUT', async (_label, variables, message) => {
    const { body } = await stack.query(FIGURES, variables, { token: await analystToken(stack) });
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toBe(message);
  });

  it('accepts 366 days', async () => {
    const { body } = await stack.query(FIGURES, { from: '2025-01-01', to: '2026-01-01' }, { token: await analystToken(stack) });
    expect(body.errors).toBeUndefined();
  });

  it('is refused to a verifier', async () => {
    const { body } = await stack.query(FIGURES, { from: '2026-01-01', to: '2026-01-02' }, { token: await verifierToken(stack, shanghaiHotel) });
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('the recognition matrix and the usage relay', () => {
  const MATRIX = `query($scenario: ID, $type: ID) {
    recognitionMatrix(scenario: $scenario, credentialType: $type) {
      acceptingRegion { code } acceptingProvinces issuingProvince issuingRegion { code nameZh } scenario { code nameZh }
      credentialType { code slug } ruleId ruleVersion national
    }
  }`;

  it('shows, to anyone, which provinces’ e-seals Hebei accepts for online filing, under which rule', async () => {
    const { body } = await stack.query(MATRIX, { scenario: 'online-filing', type: '11100000HT00000183004' });
    expect(body.errors).toBeUndefined();
    expect(body.data.recognitionMatrix).toEqual([
      {
        acceptingRegion: { code: 'hebei' }, acceptingProvinces: null, issuingProvince: '13', issuingRegion: { code: 'hebei', nameZh: '河北' },
        scenario: { code: 'online-filing', nameZh: '网上办事电子印章签章' }, credentialType: { code: '11100000HT00000183004', slug: 'e-seal' },
        ruleId: 'hb-online-filing-e-seal', ruleVersion: 1, national: false,
      },
    ]);
  });

  it('lists the usage relay’s backlog per issuing registry', async () => {
    const { body } = await stack.query('{ usageRelayBacklog { issuingRegion { code } pending oldestQueuedAt } }', {}, { token: await analystToken(stack) });
    expect(body.errors).toBeUndefined();
    expect(body.data.usageRelayBacklog).toEqual(
      regions.map((r) => r.code).sort().map((code) => ({ issuingRegion: { code }, pending: 0, oldestQueuedAt: null })),
    );
  });
});
