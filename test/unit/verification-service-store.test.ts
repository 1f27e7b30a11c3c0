/**
 * RecognitionStore on a real recognition database (PGlite in-process, the module's migrations):
 * reference data, presentation codes (single use, expiry), verifications and the usage outbox.
 * Times compared with PostgreSQL's now() are set far in the past or future so that the test does
 * not depend on when it runs.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../subgraphs/kit/db.js';
import { makeUscc } from '../../subgraphs/kit/identifiers/index.js';
import { RecognitionStore, type VerificationRow } from '../../subgraphs/recognition/db/store.js';
import { acceptanceRules } from '../../subgraphs/recognition/seed.js';
import { recognitionDatabase, recognitionStoreForEachTest } from '../support/databases.js';

const CREDENTIAL = '1.2.156.3005.2.11100000HT00000183002.11320000HT24349603.201400000006.001.B';
const OTHER_CREDENTIAL = '1.2.156.3005.2.11100000HT00000183001.11310000HT5544823B.201600000012.001.U';
const SH_POLICE = '11310101HW08049497';
const SH_HOTEL = '91310101HW7470291X';
const FUTURE = new Date('2099-01-01T00:00:00.000Z');
const PAST = new Date('2020-01-01T00:00:00.000Z');

let db: Database;
let store: RecognitionStore;


const recognition = recognitionStoreForEachTest(recognitionDatabase, ['presentation_code', 'verification', 'usage_outbox', 'usage_relay_region']);
beforeEach(() => {
  ({ db, store } = recognition);
});

const code = (jti: string, expiresAt = FUTURE, scenario: string | null = 'traffic-check') =>
  store.addPresentationCode({ jti, credentialId: CREDENTIAL, holderCode: '320200198006283876', scenario, expiresAt });

function verification(id: string, over: Partial<VerificationRow> = {}): VerificationRow {
  return {
    id,
    codeJti: `jti-${id}`,
    credentialId: CREDENTIAL,
    issuingRegion: 'yangtze-delta',
    verifierOrg: SH_POLICE,
    verifierRegion: 'yangtze-delta',
    scenario: 'traffic-check',
    context: { organisation: SH_POLICE, operator: '执勤民警 0420', serviceItemName: '交通执法亮证查验', serviceItemCode: 'HT-JT-0001', businessCaseNumber: 'JT-2030-000123' },
    verdict: 'ACCEPTED',
    reasons: [],
    ruleId: 'yrd-traffic-driving-licence',
    ruleVersion: 1,
    disputed: false,
    disputedFields: [],
    releasedFields: [{ field: 'number', label: 'Licence number', value: '3202**********3876', retain: false }],
    trace: [{ ruleId: 'yrd-traffic-driving-licence', version: 1, kind: 'ACCEPTANCE', applied: true, detail: 'regional rule covers this credential' }],
    usageRecorded: true,
    checkedAt: '2030-03-15T02:00:00.123Z',
    ...over,
  };
}

describe('reference data kept by a process', () => {
  const statementsFor = async (work: () => Promise<unknown>) => {
    const before = db.statementCount!();
    await work();
    return db.statementCount!() - before;
  };

  it('costs one statement while unchanged, and is read again after any change to scenarios, verifiers or rules', async () => {
    const kept = new RecognitionStore(db);
    expect(await statementsFor(() => kept.reference())).toBe(5);
    expect(await statementsFor(() => kept.reference())).toBe(1);
    expect(await statementsFor(() => kept.verifier(SH_HOTEL))).toBe(1);
    // A statement on any of the four tables moves the generation, even one that changes no row.
    for (const table of ['scenario', 'verifier', 'acceptance_rule', 'invalidation_rule']) {
      const column = table === 'scenario' ? 'name' : table === 'verifier' ? 'name' : 'legal_basis';
      await db.query(`update ${table} set ${column} = ${column} where false`);
      expect(await statementsFor(() => kept.reference()), table).toBe(5);
      expect(await statementsFor(() => kept.reference()), table).toBe(1);
    }
  });

  it('sees a change another process committed with its next verification', async () => {
    const one = new RecognitionStore(db);
    const other = new RecognitionStore(db);
    expect((await one.verifier(SH_HOTEL))!.scenarios).toEqual(['hotel-check-in']);
    try {
      await other.reference();
      await db.query(`update verifier set scenarios = $1::text[] where organisation = $2`, [['hotel-check-in', 'library-entry'], SH_HOTEL]);
      expect((await one.verifier(SH_HOTEL))!.scenarios).toEqual(['hotel-check-in', 'library-entry']);
      expect((await other.verifier(SH_HOTEL))!.scenarios).toEqual(['hotel-check-in', 'library-entry']);
    } finally {
      await db.query(`update verifier set scenarios = $1::text[] where organisation = $2`, [['hotel-check-in'], SH_HOTEL]);
    }
    expect((await one.verifier(SH_HOTEL))!.scenarios).toEqual(['hotel-check-in']);
  });
});

describe('reference data', () => {
  it('lists the scenarios by code with their Chinese names and service item codes', async () => {
    expect(await store.scenarios()).toEqual([
      { code: 'flat-rental', name: 'Renting out a flat', nameZh: '房屋出租核验', serviceItemCode: 'HT-FW-0001' },
      { code: 'hotel-check-in', name: 'Hotel check-in', nameZh: '旅馆住宿登记', serviceItemCode: 'HT-ZS-0001' },
      { code: 'library-entry', name: 'Library entry and borrowing', nameZh: '图书馆入馆借阅', serviceItemCode: 'HT-TS-0001' },
      { code: 'online-filing', name: 'Online filing stamped with an e-seal', nameZh: '网上办事电子印章签章', serviceItemCode: 'HT-BA-0001' },
      { code: 'service-hall-visit', name: 'Government service hall visit', nameZh: '政务服务大厅办事', serviceItemCode: 'HT-ZW-0001' },
      { code: 'subsidy-payout', name: 'Subsidy payout', nameZh: '财政补助资金发放', serviceItemCode: 'HT-CZ-0001' },
      { code: 'traffic-check', name: 'Traffic police check', nameZh: '交通执法亮证查验', serviceItemCode: 'HT-JT-0001' },
    ]);
  });

  it('lists the registered verifiers by region, then name', async () => {
    const list = await store.verifiers();
    expect(list.map((v) => [v.region, v.name])).toEqual([
      ['chengdu-chongqing', '四川省图书馆'],
      ['chengdu-chongqing', '重庆图书馆'],
      ['chengdu-chongqing', '重庆安居房屋中介有限公司'],
      ['hebei', '河北省政务服务管理办公室'],
      ['shandong', '山东省公安厅交通警察总队'],
      ['shandong', '济南市政务服务中心'],
      ['yangtze-delta', '上海外滩江景酒店有限公司'],
      ['yangtze-delta', '上海市公安局交通警察总队'],
      ['yangtze-delta', '南京玄武湖畔宾馆有限公司'],
      ['yangtze-delta', '安徽省公安厅交通警察总队'],
      ['yangtze-delta', '江苏省公安厅交通警察总队'],
      ['yangtze-delta', '浙江省公安厅交通警察总队'],
      ['yangtze-delta', '浙江省财政厅'],
    ]);
    expect(list[7]).toEqual({ organisation: SH_POLICE, name: '上海市公安局交通警察总队', region: 'yangtze-delta', province: '31', scenarios: ['traffic-check'] });
  });

  it('finds one verifier by organisation, and nothing for an unregistered one', async () => {
    expect(await store.verifier(SH_HOTEL)).toEqual({ organisation: SH_HOTEL, name: '上海外滩江景酒店有限公司', region: 'yangtze-delta', province: '31', scenarios: ['hotel-check-in'] });
    expect(await store.verifier(makeUscc('9', '1', '310101', 'HW900002'))).toBeUndefined();
  });

  it('reads acceptance rules back as they were seeded, ordered by id and version, with dates as text and releases as objects', async () => {
    const rules = await store.acceptanceRules();
    expect(rules.map((r) => `${r.id} v${r.version}`)).toEqual([
      'cc-library-social-security-card v1',
      'cq-rental-real-estate v1',
      'hb-online-filing-e-seal v1',
      'national-traffic-driving-licence v1',
      'sd-service-hall-e-id v1',
      'yrd-hotel-e-id v1',
      'yrd-traffic-driving-licence v1',
      'yrd-traffic-vehicle-licence v1',
      'zj-subsidy-business-licence v1',
    ]);
    expect(rules.find((r) => r.id === 'yrd-traffic-driving-licence')).toEqual({
      id: 'yrd-traffic-driving-licence',
      version: 1,
      acceptingRegion: 'yangtze-delta',
      acceptingProvinces: null,
      scenario: 'traffic-check',
      credentialType: '11100000HT00000183002',
      issuingProvinces: ['31', '32', '33', '34'],
      acceptedStatuses: ['VALID'],
      requireWithinValidity: true,
      releasedFields: [
        { field: 'holderName', retain: false, masked: false },
        { field: 'face.licenceClass', retain: false, masked: false },
        { field: 'expiryDate', retain: false, masked: false },
        { field: 'number', retain: false, masked: true },
      ],
      validFrom: '2021-06-01',
      validUntil: null,
      legalBasis: expect.stringContaining('长三角电子证照互认'),
    });
    const byKey = (r: { id: string; version: number }) => `${r.id} ${r.version}`;
    expect([...rules].sort((a, b) => byKey(a).localeCompare(byKey(b)))).toEqual([...acceptanceRules].sort((a, b) => byKey(a).localeCompare(byKey(b))));
  });

  it('reads invalidation rules back as they were seeded', async () => {
    expect(await store.invalidationRules()).toEqual([
      {
        id: 'yrd-suspended-driving-licence',
        version: 1,
        issuingProvinces: ['31', '32', '33', '34'],
        credentialType: '11100000HT00000183002',
        scenarios: ['traffic-check'],
        statuses: ['SUSPENDED'],
        validFrom: '2021-06-01',
        validUntil: null,
        legalBasis: 'A suspended (暂扣) driving licence is not valid for traffic checks.',
      },
    ]);
  });

  it('keeps existing rows and newer versions when the reference data is loaded again', async () => {
    await db.query(`update scenario set name_zh = '交通执法亮证查验（试点）' where code = 'traffic-check'`);
    await db.query(`update verifier set scenarios = '{traffic-check,hotel-check-in}' where organisation = $1`, [SH_POLICE]);
    await db.query(
      `insert into acceptance_rule select id, 2, accepting_region, accepting_provinces, scenario, credential_type, issuing_provinces,
         accepted_statuses, false, released_fields, '2030-01-01', null, legal_basis from acceptance_rule where id = 'yrd-hotel-e-id'`,
    );
    await db.query(`update invalidation_rule set statuses = '{SUSPENDED,CANCELLED}'`);
    try {
      await store.seedReferenceData();
      expect((await store.scenarios()).find((s) => s.code === 'traffic-check')?.nameZh).toBe('交通执法亮证查验（试点）');
      expect((await store.verifier(SH_POLICE))?.scenarios).toEqual(['traffic-check', 'hotel-check-in']);
      const hotel = (await store.acceptanceRules()).filter((r) => r.id === 'yrd-hotel-e-id');
      expect(hotel.map((r) => [r.version, r.requireWithinValidity, r.validFrom])).toEqual([[1, true, '2021-01-01'], [2, false, '2030-01-01']]);
      expect((await store.invalidationRules())[0]!.statuses).toEqual(['SUSPENDED', 'CANCELLED']);
      const counts = await db.query(`select (select count(*)::int from scenario) as s, (select count(*)::int from verifier) as v,
        (select count(*)::int from acceptance_rule) as a, (select count(*)::int from invalidation_rule) as i`);
      expect(counts).toEqual([{ s: 7, v: 13, a: 10, i: 1 }]);
    } finally {
      await db.exec(`update scenario set name_zh = '交通执法亮证查验' where code = 'traffic-check';
        update verifier set scenarios = '{traffic-check}' where organisation = '${SH_POLICE}';
        delete from acceptance_rule where version = 2; update invalidation_rule set statuses = '{SUSPENDED}';`);
    }
  });
});

describe('presentation codes', () => {
  it('stores what a code stands for: credential, holder, scenario and expiry', async () => {
    await code('jti-a', new Date('2099-01-01T00:05:00.000Z'));
    expect(await store.presentationCode('jti-a')).toEqual({
      jti: 'jti-a',
      credentialId: CREDENTIAL,
      holderCode: '320200198006283876',
      scenario: 'traffic-check',
      expired: false,
      consumed: false,
    });
    const [row] = await db.query<{ at: string; by: string | null }>(
      `select to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as at, consumed_by as by from presentation_code`,
    );
    expect(row).toEqual({ at: '2099-01-01T00:05:00', by: null });
  });

  it('keeps a code without a scenario open (null)', async () => {
    await code('jti-open', FUTURE, null);
    expect((await store.presentationCode('jti-open'))?.scenario).toBeNull();
  });

  it('knows nothing of a code it never stored', async () => {
    expect(await store.presentationCode('jti-unknown')).toBeUndefined();
  });

  it('reports a code whose expiry has passed as expired', async () => {
    await code('jti-old', PAST);
    expect(await store.presentationCode('jti-old')).toMatchObject({ expired: true, consumed: false });
  });
});

describe('recording a verification: code, verification and usage record in one transaction', () => {
  const usage = (id: string, holdForMs = 0) => ({ regionCode: 'yangtze-delta', record: { id, verdict: 'ACCEPTED' }, holdForMs });
  const state = async () => ({
    codes: await db.query(`select jti, consumed_by as "by", consumed_at is not null as consumed from presentation_code order by jti`),
    verifications: (await db.query<{ id: string }>(`select id from verification order by id`)).map((r) => r.id),
    outbox: await db.query(`select verification_id as id, region_code as region, record, attempts, last_error as "lastError",
      delivered_at is null as pending from usage_outbox order by verification_id`),
  });

  it('consumes the code in the verifier’s name, stores the verification and queues its usage record as pending', async () => {
    await code('jti-once');
    const v = verification('v-1', { codeJti: 'jti-once', usageRecorded: false });
    expect(await store.recordVerification(v, usage('v-1'))).toBe('recorded');
    expect(await store.verification('v-1')).toEqual(v);
    expect(await state()).toEqual({
      codes: [{ jti: 'jti-once', by: SH_POLICE, consumed: true }],
      verifications: ['v-1'],
      outbox: [{ id: 'v-1', region: 'yangtze-delta', record: { id: 'v-1', verdict: 'ACCEPTED' }, attempts: 0, lastError: null, pending: true }],
    });
  });

  it('records a code once: a second verification writes nothing and is told the code was used', async () => {
    await code('jti-once');
    expect(await store.recordVerification(verification('v-1', { codeJti: 'jti-once' }), usage('v-1'))).toBe('recorded');
    expect(await store.recordVerification(verification('v-2', { codeJti: 'jti-once', verifierOrg: SH_HOTEL }), usage('v-2'))).toBe('used');
    const after = await state();
    expect([after.codes, after.verifications, after.outbox.map((o) => (o as { id: string }).id)]).toEqual([
      [{ jti: 'jti-once', by: SH_POLICE, consumed: true }], ['v-1'], ['v-1'],
    ]);
  });

  it('does not consume an expired code, writes nothing and says it expired', async () => {
    await code('jti-late', PAST);
    expect(await store.recordVerification(verification('v-1', { codeJti: 'jti-late' }), usage('v-1'))).toBe('expired');
    expect(await state()).toEqual({ codes: [{ jti: 'jti-late', by: null, consumed: false }], verifications: [], outbox: [] });
  });

  it('calls a code that is both used and expired used, and one it never stored used', async () => {
    await code('jti-old', PAST);
    await db.query(`update presentation_code set consumed_at = now(), consumed_by = $1`, [SH_HOTEL]);
    expect(await store.recordVerification(verification('v-1', { codeJti: 'jti-old' }), usage('v-1'))).toBe('used');
    expect(await store.recordVerification(verification('v-2', { codeJti: 'jti-unknown' }), usage('v-2'))).toBe('used');
    expect((await state()).verifications).toEqual([]);
  });

  it('consumes only the code named', async () => {
    await code('jti-1');
    await code('jti-2');
    expect(await store.recordVerification(verification('v-2', { codeJti: 'jti-2' }), usage('v-2'))).toBe('recorded');
    expect((await state()).codes).toEqual([{ jti: 'jti-1', by: null, consumed: false }, { jti: 'jti-2', by: SH_POLICE, consumed: true }]);
  });

  it('lets only one of two simultaneous recordings of one code win', async () => {
    await code('jti-race');
    const results = await Promise.all([
      store.recordVerification(verification('v-a', { codeJti: 'jti-race' }), usage('v-a')),
      store.recordVerification(verification('v-b', { codeJti: 'jti-race', verifierOrg: SH_HOTEL }), usage('v-b')),
    ]);
    expect([...results].sort()).toEqual(['recorded', 'used']);
    const after = await state();
    expect([after.verifications.length, after.outbox.length]).toEqual([1, 1]);
  });

  it.each([
    [1234.4, 1234],
    [0, 0],
    [-50, 0],
  ])('holds the usage record back from the relay for %s ms (stored as %s)', async (holdForMs, stored) => {
    await code('jti-hold');
    await store.recordVerification(verification('v-h', { codeJti: 'jti-hold' }), usage('v-h', holdForMs));
    const [row] = await db.query<{ ms: number }>(`select (extract(epoch from next_attempt_at - created_at) * 1000)::int as ms from usage_outbox`);
    expect(row!.ms).toBe(stored);
  });

  describe('when one of its writes fails, leaves nothing half-done and the code usable', () => {
    it.each([
      ['consuming the code', 'before update on presentation_code'],
      ['storing the verification', 'before insert on verification'],
      ['queueing the usage record', 'before insert on usage_outbox'],
    ])('%s', async (_write, when) => {
      await code('jti-fail');
      await db.exec(`create function hutong_test_fail() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$;
        create trigger hutong_test_fail ${when} for each row execute function hutong_test_fail();`);
      try {
        await expect(store.recordVerification(verification('v-f', { codeJti: 'jti-fail' }), usage('v-f'))).rejects.toThrow('disk full');
      } finally {
        await db.exec(`drop trigger hutong_test_fail on ${when.split(' on ')[1]}; drop function hutong_test_fail();`);
      }
      expect(await state()).toEqual({ codes: [{ jti: 'jti-fail', by: null, consumed: false }], verifications: [], outbox: [] });
      expect(await store.recordVerification(verification('v-g', { codeJti: 'jti-fail' }), usage('v-g'))).toBe('recorded');
    });
  });
});

describe('verifications', () => {
  it('reads a verification back exactly as it was written', async () => {
    const v = verification('v-1');
    await store.addVerification(v);
    expect(await store.verification('v-1')).toEqual(v);
  });

  it('keeps an INDETERMINATE verification without rule, releases or recorded usage', async () => {
    const v = verification('v-2', {
      verdict: 'INDETERMINATE',
      reasons: ['ISSUING_REGISTRY_UNREACHABLE'],
      ruleId: null,
      ruleVersion: null,
      disputed: true,
      disputedFields: ['face.licenceClass', 'holderName'],
      releasedFields: [],
      trace: [],
      usageRecorded: false,
    });
    await store.addVerification(v);
    expect(await store.verification('v-2')).toEqual(v);
  });

  it('knows nothing of a verification it never stored', async () => {
    expect(await store.verification('v-unknown')).toBeUndefined();
  });

  it('tells whether an organisation has verified a credential', async () => {
    await store.addVerification(verification('v-3'));
    expect(await store.hasVerified(SH_POLICE, CREDENTIAL)).toBe(true);
    expect(await store.hasVerified(SH_HOTEL, CREDENTIAL)).toBe(false);
    expect(await store.hasVerified(SH_POLICE, OTHER_CREDENTIAL)).toBe(false);
  });
});

describe('the usage outbox', () => {
  const record = (id: string) => ({ id, credentialId: CREDENTIAL, verdict: 'ACCEPTED', releasedFields: ['holderName'], ruleVersion: 1 });

  it('queues a usage record with one failed attempt and the error, and hands it out as pending', async () => {
    await store.addVerification(verification('v-q', { usageRecorded: false }));
    await store.queueUsageRecord('v-q', 'yangtze-delta', record('v-q'), 'yangtze-delta could not be reached');
    expect(await store.pendingUsageRecords(10)).toEqual([{ verificationId: 'v-q', regionCode: 'yangtze-delta', record: record('v-q') }]);
    expect(await db.query(`select attempts, last_error as "lastError", delivered_at as "deliveredAt" from usage_outbox`)).toEqual([
      { attempts: 1, lastError: 'yangtze-delta could not be reached', deliveredAt: null },
    ]);
  });

  it('keeps the first queued record when the same verification is queued again', async () => {
    await store.queueUsageRecord('v-d', 'yangtze-delta', record('v-d'), 'first failure');
    await store.queueUsageRecord('v-d', 'shandong', { id: 'other' }, 'second failure');
    expect(await store.pendingUsageRecords(10)).toEqual([{ verificationId: 'v-d', regionCode: 'yangtze-delta', record: record('v-d') }]);
    expect(await db.query(`select attempts, last_error as "lastError" from usage_outbox`)).toEqual([{ attempts: 1, lastError: 'first failure' }]);
  });

  it('hands out pending records oldest first, at most as many as asked', async () => {
    await store.queueUsageRecord('v-b', 'shandong', record('v-b'), 'down');
    await store.queueUsageRecord('v-a', 'yangtze-delta', record('v-a'), 'down');
    await store.queueUsageRecord('v-c', 'chengdu-chongqing', record('v-c'), 'down');
    // Queued in the order b, a, c; make the times unambiguous.
    await db.exec(`update usage_outbox set created_at = '2030-03-15T02:00:01Z' where verification_id = 'v-b';
      update usage_outbox set created_at = '2030-03-15T02:00:02Z' where verification_id = 'v-a';
      update usage_outbox set created_at = '2030-03-15T02:00:03Z' where verification_id = 'v-c';`);
    expect((await store.pendingUsageRecords(2)).map((p) => [p.verificationId, p.regionCode])).toEqual([['v-b', 'shandong'], ['v-a', 'yangtze-delta']]);
    expect((await store.pendingUsageRecords(10)).map((p) => p.verificationId)).toEqual(['v-b', 'v-a', 'v-c']);
  });

  it('orders records created at the same instant in the order they were queued', async () => {
    for (const id of ['v-3', 'v-1', 'v-2']) await store.queueUsageRecord(id, 'shandong', record(id), 'down');
    // Updated one by one in another order, so the rows' physical order is not the queueing order.
    for (const id of ['v-2', 'v-1', 'v-3']) await db.query(`update usage_outbox set created_at = '2030-03-15T02:00:00Z' where verification_id = $1`, [id]);
    expect((await store.pendingUsageRecords(10)).map((p) => p.verificationId)).toEqual(['v-3', 'v-1', 'v-2']);
    expect((await store.usageRecordsToDeliver('shandong', 10)).map((p) => p.verificationId)).toEqual(['v-3', 'v-1', 'v-2']);
    // The order comes from the query, not from the plan the database happens to choose (the index).
    await db.exec(`set enable_indexscan = off; set enable_bitmapscan = off; set enable_indexonlyscan = off;`);
    try {
      expect((await store.usageRecordsToDeliver('shandong', 10)).map((p) => p.verificationId)).toEqual(['v-3', 'v-1', 'v-2']);
    } finally {
      await db.exec(`reset enable_indexscan; reset enable_bitmapscan; reset enable_indexonlyscan;`);
    }
  });

  it('takes a delivered record out of the queue and marks its verification as recorded', async () => {
    await store.addVerification(verification('v-x', { usageRecorded: false }));
    await store.addVerification(verification('v-y', { usageRecorded: false }));
    await store.queueUsageRecord('v-x', 'yangtze-delta', record('v-x'), 'down');
    await store.queueUsageRecord('v-y', 'yangtze-delta', record('v-y'), 'down');
    await store.markUsageDelivered('v-x');
    expect((await store.pendingUsageRecords(10)).map((p) => p.verificationId)).toEqual(['v-y']);
    expect((await store.verification('v-x'))?.usageRecorded).toBe(true);
    expect((await store.verification('v-y'))?.usageRecorded).toBe(false);
    const [delivered] = await db.query<{ delivered: boolean }>(`select delivered_at is not null as delivered from usage_outbox where verification_id = 'v-x'`);
    expect(delivered).toEqual({ delivered: true });
  });

  it('resets the backoff of the delivered record’s registry, and of no other', async () => {
    await store.queueUsageRecord('v-x', 'yangtze-delta', record('v-x'), 'down');
    await store.usageRegionFailed('yangtze-delta', 'HTTP 503', () => 60_000);
    await store.usageRegionFailed('shandong', 'headers timeout', () => 60_000);
    await store.markUsageDelivered('v-x');
    expect(await db.query(`select region_code as region, failures, last_error as "lastError", last_failure_at is null as "noFailure",
      next_attempt_at is null as "noBackoff" from usage_relay_region order by region_code`)).toEqual([
      { region: 'shandong', failures: 1, lastError: 'headers timeout', noFailure: false, noBackoff: false },
      { region: 'yangtze-delta', failures: 0, lastError: null, noFailure: true, noBackoff: true },
    ]);
  });

  it('counts each failed delivery attempt and keeps the latest error', async () => {
    await store.queueUsageRecord('v-f', 'yangtze-delta', record('v-f'), 'connect ECONNREFUSED');
    await store.queueUsageRecord('v-g', 'yangtze-delta', record('v-g'), 'connect ECONNREFUSED');
    await store.markUsageAttemptFailed('v-f', 'headers timeout');
    await store.markUsageAttemptFailed('v-f', 'HTTP 503');
    expect(await db.query(`select verification_id as id, attempts, last_error as "lastError" from usage_outbox order by verification_id`)).toEqual([
      { id: 'v-f', attempts: 3, lastError: 'HTTP 503' },
      { id: 'v-g', attempts: 1, lastError: 'connect ECONNREFUSED' },
    ]);
    // A failed attempt leaves the record pending.
    expect((await store.pendingUsageRecords(10)).map((p) => p.verificationId).sort()).toEqual(['v-f', 'v-g']);
  });

  it('stops holding a record back once its delivery failed, and never pushes a due one later', async () => {
    await store.queueUsageRecord('v-held', 'yangtze-delta', record('v-held'), 'x');
    await store.queueUsageRecord('v-due', 'yangtze-delta', record('v-due'), 'x');
    await db.exec(`update usage_outbox set next_attempt_at = now() + interval '1 hour' where verification_id = 'v-held';
      update usage_outbox set next_attempt_at = '2020-01-01T00:00:00Z' where verification_id = 'v-due';`);
    await store.markUsageAttemptFailed('v-held', 'headers timeout');
    await store.markUsageAttemptFailed('v-due', 'headers timeout');
    expect(await db.query(`select verification_id as id, next_attempt_at <= now() as due, to_char(next_attempt_at at time zone 'UTC', 'YYYY') as year
      from usage_outbox order by verification_id`)).toEqual([{ id: 'v-due', due: true, year: '2020' }, { id: 'v-held', due: true, year: expect.any(String) }]);
  });
});

describe('the usage queue of each registry', () => {
  const record = (id: string) => ({ id });
  const queue = async (id: string, region: string, createdAt: string, nextAttemptAt = '2020-01-01T00:00:00Z') => {
    await store.queueUsageRecord(id, region, record(id), 'down');
    await db.query(`update usage_outbox set created_at = $2, next_attempt_at = $3 where verification_id = $1`, [id, createdAt, nextAttemptAt]);
  };
  const ids = (rows: { verificationId: string }[]) => rows.map((r) => r.verificationId);

  it('hands out one registry’s due records oldest first, at most as many as asked; with all, held ones too', async () => {
    await queue('sd-2', 'shandong', '2030-03-15T02:00:02Z');
    await queue('sd-1', 'shandong', '2030-03-15T02:00:01Z');
    await queue('sd-held', 'shandong', '2030-03-15T02:00:00Z', '2099-01-01T00:00:00Z');
    await queue('sd-3', 'shandong', '2030-03-15T02:00:03Z');
    await queue('yd-1', 'yangtze-delta', '2030-03-15T01:00:00Z');
    await store.markUsageDelivered('sd-3');
    expect(ids(await store.usageRecordsToDeliver('shandong', 10))).toEqual(['sd-1', 'sd-2']);
    expect(ids(await store.usageRecordsToDeliver('shandong', 1))).toEqual(['sd-1']);
    expect(ids(await store.usageRecordsToDeliver('shandong', 10, true))).toEqual(['sd-held', 'sd-1', 'sd-2']);
    expect(await store.usageRecordsToDeliver('shandong', 10)).toEqual([
      { verificationId: 'sd-1', regionCode: 'shandong', record: { id: 'sd-1' } },
      { verificationId: 'sd-2', regionCode: 'shandong', record: { id: 'sd-2' } },
    ]);
    expect(ids(await store.usageRecordsToDeliver('chengdu-chongqing', 10, true))).toEqual([]);
    expect(await store.pendingUsageCount()).toBe(4);
  });

  it('names the registries with records due and not backing off; or, for a forced round, every one with records', async () => {
    await queue('sd-1', 'shandong', '2030-03-15T02:00:01Z');
    await queue('yd-held', 'yangtze-delta', '2030-03-15T02:00:01Z', '2099-01-01T00:00:00Z');
    await queue('cc-1', 'chengdu-chongqing', '2030-03-15T02:00:01Z');
    await store.usageRegionFailed('chengdu-chongqing', 'HTTP 503', () => 60_000);
    expect(await store.usageRegions(true)).toEqual(['shandong']);
    expect(await store.usageRegions(false)).toEqual(['chengdu-chongqing', 'shandong', 'yangtze-delta']);
    // Its backoff over, the registry is due again.
    await db.exec(`update usage_relay_region set next_attempt_at = now() - interval '1 second'`);
    expect(await store.usageRegions(true)).toEqual(['chengdu-chongqing', 'shandong']);
    await store.markUsageDelivered('sd-1');
    expect(await store.usageRegions(true)).toEqual(['chengdu-chongqing']);
  });

  it('counts a registry’s consecutive failures and defers it by the delay the backoff gives for that count', async () => {
    const asked: number[] = [];
    const backoff = (failures: number) => {
      asked.push(failures);
      return failures * 1000 + 0.4;
    };
    expect(await store.usageRegionFailed('shandong', 'connect ECONNREFUSED', backoff)).toEqual({ failures: 1, delayInMs: 1000 });
    expect(await store.usageRegionFailed('shandong', 'headers timeout', backoff)).toEqual({ failures: 2, delayInMs: 2000 });
    expect(await store.usageRegionFailed('yangtze-delta', 'HTTP 503', backoff)).toEqual({ failures: 1, delayInMs: 1000 });
    expect(asked).toEqual([1, 2, 1]);
    expect(await db.query(`select region_code as region, failures, last_error as "lastError",
      (extract(epoch from next_attempt_at - last_failure_at) * 1000)::int as "delayMs" from usage_relay_region order by region_code`)).toEqual([
      { region: 'shandong', failures: 2, lastError: 'headers timeout', delayMs: 2000 },
      { region: 'yangtze-delta', failures: 1, lastError: 'HTTP 503', delayMs: 1000 },
    ]);
  });

  it('reports each registry’s backlog exactly: every known region, pending records, oldest, next attempt and last error', async () => {
    await queue('sd-1', 'shandong', '2030-03-15T02:00:01.250Z', '2030-03-15T02:00:05Z');
    await queue('sd-2', 'shandong', '2030-03-15T02:00:02Z', '2030-03-15T02:00:04Z');
    await queue('yd-1', 'yangtze-delta', '2030-03-15T01:00:00Z', '2030-03-15T01:00:00Z');
    await queue('yd-2', 'yangtze-delta', '2030-03-15T00:00:00Z', '2030-03-15T00:00:00Z');
    await store.markUsageDelivered('yd-2');
    await queue('hk-1', 'hong-kong', '2030-03-15T03:00:00Z', '2030-03-15T03:00:00Z');
    await store.usageRegionFailed('yangtze-delta', 'HTTP 503', () => 0);
    await store.usageRegionFailed('chengdu-chongqing', 'headers timeout', () => 0);
    await db.exec(`update usage_relay_region set next_attempt_at = '2030-03-15T06:00:00Z' where region_code = 'yangtze-delta';
      update usage_relay_region set next_attempt_at = '2030-03-15T07:00:00Z' where region_code = 'chengdu-chongqing';`);
    expect(await store.usageBacklog()).toEqual({
      // Nothing waits: no next attempt, but the last error stays until a delivery succeeds.
      'chengdu-chongqing': { pending: 0, oldestQueuedAt: null, nextAttemptAt: null, lastError: 'headers timeout' },
      hebei: { pending: 0, oldestQueuedAt: null, nextAttemptAt: null, lastError: null },
      'hong-kong': { pending: 1, oldestQueuedAt: '2030-03-15T03:00:00.000Z', nextAttemptAt: '2030-03-15T03:00:00.000Z', lastError: null },
      // The earliest record due, after the registry's backoff.
      shandong: { pending: 2, oldestQueuedAt: '2030-03-15T02:00:01.250Z', nextAttemptAt: '2030-03-15T02:00:04.000Z', lastError: null },
      'yangtze-delta': { pending: 1, oldestQueuedAt: '2030-03-15T01:00:00.000Z', nextAttemptAt: '2030-03-15T06:00:00.000Z', lastError: 'HTTP 503' },
    });
    await db.exec(`delete from usage_outbox; delete from usage_relay_region;`);
    expect(await store.usageBacklog()).toEqual({
      'chengdu-chongqing': { pending: 0, oldestQueuedAt: null, nextAttemptAt: null, lastError: null },
      hebei: { pending: 0, oldestQueuedAt: null, nextAttemptAt: null, lastError: null },
      shandong: { pending: 0, oldestQueuedAt: null, nextAttemptAt: null, lastError: null },
      'yangtze-delta': { pending: 0, oldestQueuedAt: null, nextAttemptAt: null, lastError: null },
    });
  });
});
