import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import type { Database } from '../../subgraphs/kit/db.js';
import { buildLicenceId } from '../../subgraphs/kit/identifiers/index.js';
import { regionByCode, type Region, type StatusCode } from '../../subgraphs/kit/reference.js';
import { RegistryCommands, knownTypeCodes, type IssueInput, type LifecycleAction } from '../../subgraphs/kit/registry/commands.js';
import { RecordStore, type UsageRecord } from '../../subgraphs/kit/registry/records.js';
import { CredentialStore } from '../../subgraphs/kit/registry/store.js';
import { seedCredential, type CredentialRecord } from '../../subgraphs/kit/seed/credentials.js';
import { subgraphDatabase } from '../support/databases.js';
import { jinanHallUsage, shandongEidInput } from '../support/records.js';

const SHANDONG: Region = regionByCode('shandong')!;
const E_ID = '11100000HT00000183001';
const E_BUSINESS_LICENCE = '11100000HT0000042K001';
/** 山东省公安厅, the seeded e-ID authority of Shandong (province 37). */
const SHANDONG_POLICE = '11370000HT71218912';

const issuer: Caller = {
  role: 'issuer',
  subject: 'officer-7',
  region: 'shandong',
  organisation: SHANDONG_POLICE,
  organisationName: '山东省公安厅',
};

let db: Database;
let commands: RegistryCommands;

beforeAll(async () => {
  db = await subgraphDatabase('shandong');
  commands = new RegistryCommands(db, SHANDONG);
});
afterAll(async () => {
  await db?.close();
});

// Seed indices below 100 are kept for tests that state a seeded record's values literally.
let nextIndex = 100;

/** A fresh seeded Shandong credential with the given stored status. */
async function stored(status: StatusCode, index = nextIndex++): Promise<CredentialRecord> {
  const record = { ...seedCredential(SHANDONG, index), status };
  await db.transaction(async (tx) => {
    await CredentialStore.lockOutbox(tx);
    await CredentialStore.insert(tx, [record]);
  });
  return record;
}

const row = async (id: string) =>
  (await db.query<{ status: string; superseded_by: string | null; holder_name: string; face: Record<string, string> }>(
    'select status, superseded_by, holder_name, face from credential where id = $1',
    [id],
  ))[0];

const outbox = (...ids: string[]) =>
  db.query(
    'select credential_id, holder_code, holder_type, type_code, status from catalogue_outbox where credential_id = any($1::text[]) order by seq',
    [ids],
  );

const events = (id: string) =>
  db.query(
    'select credential_id, action, from_status, to_status, reason, actor_org, actor from credential_event where credential_id = $1 order by seq',
    [id],
  );

async function refusal(work: Promise<unknown>): Promise<GraphQLError> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return error as GraphQLError;
  }
  throw new Error('expected the command to be refused');
}

const outboxEntry = (c: CredentialRecord, status: string) => ({
  credential_id: c.id,
  holder_code: c.holderCode,
  holder_type: c.holderType,
  type_code: c.typeCode,
  status,
});

describe('lifecycle transitions', () => {
  describe.each([
    ['SUSPEND', '01', '02'],
    ['RESTORE', '02', '01'],
    ['REVOKE', '01', '03'],
    ['REVOKE', '02', '03'],
    ['CANCEL', '01', '04'],
    ['CANCEL', '02', '04'],
    ['CANCEL', '05', '04'],
  ] as const)('%s of a credential with status %s', (action, from, to) => {
    it(`leads to status ${to}, with an outbox entry and an event`, async () => {
      const c = await stored(from);
      const result = await commands.changeStatus(issuer, c.id, action, 'ordered by the court');
      expect(result.status).toBe(to);
      expect(result.id).toBe(c.id);
      expect(result.holderName).toBe(c.holderName);
      expect((await row(c.id))!.status).toBe(to);
      expect(await outbox(c.id)).toEqual([outboxEntry(c, from), outboxEntry(c, to)]);
      expect(await events(c.id)).toEqual([
        { credential_id: c.id, action, from_status: from, to_status: to, reason: 'ordered by the court', actor_org: SHANDONG_POLICE, actor: 'officer-7' },
      ]);
    });
  });

  const allowed: Record<LifecycleAction, string[]> = {
    SUSPEND: ['01'],
    RESTORE: ['02'],
    REVOKE: ['01', '02'],
    CANCEL: ['01', '02', '05'],
  };
  const allStatuses: StatusCode[] = ['01', '02', '03', '04', '05', '06', '07', '99'];
  const refused = (Object.keys(allowed) as LifecycleAction[]).flatMap((action) =>
    allStatuses.filter((s) => !allowed[action].includes(s)).map((s) => [action, s] as const),
  );

  it.each(refused)('refuses %s of a credential with status %s and changes nothing', async (action, from) => {
    const c = await stored(from);
    const error = await refusal(commands.changeStatus(issuer, c.id, action, 'ordered by the court'));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TRANSITION' });
    expect((await row(c.id))!.status).toBe(from);
    expect(await outbox(c.id)).toEqual([outboxEntry(c, from)]);
    expect(await events(c.id)).toEqual([]);
  });

  it.each([
    ['SUSPEND', '03', 'Cannot suspend a credential whose status is REVOKED.'],
    ['RESTORE', '01', 'Cannot restore a credential whose status is VALID.'],
    ['REVOKE', '07', 'Cannot revoke a credential whose status is REVOKED_AS_PENALTY.'],
    ['CANCEL', '99', 'Cannot cancel a credential whose status is OTHER.'],
  ] as const)('explains a refused %s of status %s', async (action, from, message) => {
    const c = await stored(from);
    expect((await refusal(commands.changeStatus(issuer, c.id, action, 'ordered by the court'))).message).toBe(message);
  });

  it('suspends and restores the same credential in turn, keeping each step in the history', async () => {
    const c = await stored('01');
    await commands.changeStatus(issuer, c.id, 'SUSPEND', 'licence held for investigation');
    await commands.changeStatus(issuer, c.id, 'RESTORE', 'investigation closed');
    expect((await row(c.id))!.status).toBe('01');
    expect((await events(c.id)).map((e) => [e.action, e.from_status, e.to_status, e.reason])).toEqual([
      ['SUSPEND', '01', '02', 'licence held for investigation'],
      ['RESTORE', '02', '01', 'investigation closed'],
    ]);
  });

  it('states the seeded record literally in the outbox entry of a suspension', async () => {
    await stored('01', 8);
    await commands.changeStatus(issuer, '1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.202400000008.001.M', 'SUSPEND', 'lost');
    expect(await outbox('1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.202400000008.001.M')).toEqual([
      { credential_id: '1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.202400000008.001.M', holder_code: '370200196202190052', holder_type: '111', type_code: E_ID, status: '01' },
      { credential_id: '1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.202400000008.001.M', holder_code: '370200196202190052', holder_type: '111', type_code: E_ID, status: '02' },
    ]);
  });

  it('refuses a credential the registry does not hold', async () => {
    const id = '1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.209900000001.001.A';
    const error = await refusal(commands.changeStatus(issuer, id, 'SUSPEND', 'lost'));
    expect(error.extensions).toEqual({ code: 'NOT_FOUND' });
    expect(error.message).toBe(`No credential with identifier ${id} in the Shandong registry.`);
  });

  it('refuses a malformed identifier as BAD_USER_INPUT without echoing it back', async () => {
    const id = "1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.209900000001.001.C'; DROP TABLE credential; --";
    const error = await refusal(commands.changeStatus(issuer, id, 'SUSPEND', 'lost'));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'MALFORMED' });
    expect(error.message).not.toContain('DROP TABLE');
    const wrongCheck = '1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.209900000001.001.C';
    const checkError = await refusal(commands.correct(issuer, wrongCheck, [{ field: 'holderName', value: '王五' }], 'typo'));
    expect(checkError.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'BAD_CHECK_CHARACTER' });
    expect(checkError.message).toBe("Invalid credential identifier: identifier check character is 'C' but should be 'A'.");
  });

  it.each([
    ['empty', '', 'reason must not be empty (1–500 characters of text).'],
    ['blank', '   ', 'reason must not be empty (1–500 characters of text).'],
    ['too long', 'x'.repeat(501), 'reason must be at most 500 characters (1–500 characters of text).'],
    ['holding a NUL', 'lost\u0000', 'reason must not contain control characters (1–500 characters of text).'],
  ])('refuses a reason that is %s', async (_what, reason, message) => {
    const c = await stored('01');
    const error = await refusal(commands.changeStatus(issuer, c.id, 'SUSPEND', reason));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'reason' });
    expect(error.message).toBe(message);
    expect((await row(c.id))!.status).toBe('01');
  });

  it('accepts a reason of exactly 500 characters', async () => {
    const c = await stored('01');
    await commands.changeStatus(issuer, c.id, 'SUSPEND', '因'.repeat(500));
    expect((await events(c.id))[0]!.reason).toBe('因'.repeat(500));
  });
});

describe('who may write to a registry', () => {
  const nonIssuers: [string, Caller][] = [
    ['a holder', { role: 'holder', subject: 'h', holderCode: '370100198806091286' }],
    ['a verifier of the region', { role: 'verifier', subject: 'v', region: 'shandong', organisation: SHANDONG_POLICE }],
    ['an analyst', { role: 'analyst', subject: 'a' }],
    ['an admin', { role: 'admin', subject: 'root' }],
    ['an anonymous caller', { role: 'anonymous' }],
  ];

  it.each(nonIssuers)('refuses %s', async (_who, caller) => {
    const c = await stored('01');
    const attempts = [
      commands.changeStatus(caller, c.id, 'SUSPEND', 'lost'),
      commands.issue(caller, eIdInput()),
      commands.correct(caller, c.id, [{ field: 'holderName', value: '王五' }], 'typo'),
      commands.rejectDispute(caller, 'no-such-dispute', 'unfounded'),
    ];
    for (const attempt of attempts) {
      const error = await refusal(attempt);
      expect(error.extensions).toEqual({ code: 'FORBIDDEN' });
      expect(error.message).toBe('Only an issuer may change credentials.');
    }
    expect((await row(c.id))!.status).toBe('01');
    expect(await events(c.id)).toEqual([]);
  });

  it('refuses an issuer of another region', async () => {
    const c = await stored('01');
    const other: Caller = { role: 'issuer', subject: 'sh', region: 'yangtze-delta', organisation: '11310000HT5544823B' };
    const attempts = [
      commands.changeStatus(other, c.id, 'REVOKE', 'fraud'),
      commands.issue(other, eIdInput()),
      commands.correct(other, c.id, [{ field: 'holderName', value: '王五' }], 'typo'),
      commands.rejectDispute(other, 'no-such-dispute', 'unfounded'),
    ];
    for (const attempt of attempts) {
      const error = await refusal(attempt);
      expect(error.extensions).toEqual({ code: 'FORBIDDEN' });
      expect(error.message).toBe('Issuers of yangtze-delta may not write to the Shandong registry.');
    }
    expect((await row(c.id))!.status).toBe('01');
  });

  it('refuses an issuer whose token names no region', async () => {
    const c = await stored('01');
    const error = await refusal(commands.changeStatus({ role: 'issuer', organisation: SHANDONG_POLICE }, c.id, 'REVOKE', 'fraud'));
    expect(error.extensions).toEqual({ code: 'FORBIDDEN' });
    expect(error.message).toBe('Issuers of another region may not write to the Shandong registry.');
  });
});

function eIdInput(overrides: Partial<IssueInput> = {}): IssueInput {
  const faceFields = [
    { key: 'sex', value: '男' },
    { key: 'address', value: '山东省济南市泉城路1号' },
  ];
  return shandongEidInput({ typeCode: E_ID, faceFields, ...overrides });
}

describe('issuing a credential', () => {
  it('stores a valid version 001 with a serial starting with the issue year, and writes the outbox and history', async () => {
    const record = await commands.issue(issuer, eIdInput());
    expect(record).toEqual({
      id: expect.stringMatching(/^1\.2\.156\.3005\.2\.11100000HT00000183001\.11370000HT71218912\.2024[0-9A-F]{10}\.001\.[0-9A-Z]$/),
      typeCode: E_ID,
      serial: expect.stringMatching(/^2024[0-9A-F]{10}$/),
      version: 1,
      number: '370102199003071238',
      name: '电子居民身份证',
      issuerCode: SHANDONG_POLICE,
      issuerName: '山东省公安厅',
      issueDate: '2024-02-29',
      effectiveDate: '2024-02-29',
      expiryDate: '2044-02-29',
      areaCode: '370102',
      holderName: '李明华',
      holderCode: '370102199003071238',
      holderType: '111',
      status: '01',
      face: { sex: '男', address: '山东省济南市泉城路1号' },
    });
    expect(record.id).toContain(`.${record.serial}.001.`);
    const [saved] = await new CredentialStore(db).findByIds([record.id]);
    expect(saved).toEqual({ ...record, supersededBy: null });
    expect(await outbox(record.id)).toEqual([
      { credential_id: record.id, holder_code: '370102199003071238', holder_type: '111', type_code: E_ID, status: '01' },
    ]);
    expect(await events(record.id)).toEqual([
      { credential_id: record.id, action: 'ISSUE', from_status: null, to_status: '01', reason: 'issued', actor_org: SHANDONG_POLICE, actor: 'officer-7' },
    ]);
  });

  it('gives two issues of the same input different serials', async () => {
    const a = await commands.issue(issuer, eIdInput());
    const b = await commands.issue(issuer, eIdInput());
    expect(a.id).not.toBe(b.id);
  });

  it('keeps a given number, effective date and long-term validity, and names the issuer by code when the token has no name', async () => {
    const record = await commands.issue(
      { role: 'issuer', region: 'shandong', organisation: SHANDONG_POLICE },
      eIdInput({ number: 'No. 370102-88', effectiveDate: '2024-03-01', expiryDate: null, faceFields: undefined }),
    );
    expect(record).toMatchObject({
      number: 'No. 370102-88',
      effectiveDate: '2024-03-01',
      expiryDate: null,
      issuerName: SHANDONG_POLICE,
      face: {},
    });
    expect(await events(record.id)).toEqual([
      { credential_id: record.id, action: 'ISSUE', from_status: null, to_status: '01', reason: 'issued', actor_org: SHANDONG_POLICE, actor: null },
    ]);
  });

  it('issues an organisation credential to a USCC holder', async () => {
    const record = await commands.issue(
      { ...issuer, organisation: '11370000HT24367559' },
      { typeCode: E_BUSINESS_LICENCE, holderCode: '91370100HT1234561M', holderName: '济南泉城科技有限公司', issueDate: '2024-12-31', areaCode: '370100' },
    );
    expect(record).toMatchObject({
      holderType: '001',
      holderCode: '91370100HT1234561M',
      number: '91370100HT1234561M',
      name: '电子营业执照',
      effectiveDate: '2024-12-31',
      expiryDate: null,
      face: {},
    });
  });

  it('refuses an unknown credential type', async () => {
    const error = await refusal(commands.issue(issuer, eIdInput({ typeCode: '11100000HT00000183999' })));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_TYPE' });
    expect(error.message).toBe('Unknown credential type 11100000HT00000183999; see credentialTypes.');
  });

  it.each([
    ['an authority of another province (Shanghai, 31)', '11310000HT5544823B'],
    ['an authority of a province without a registry (Beijing, 11)', '11110000HT00000187'],
    ['a code with a wrong check character', '11370000HT71218913'],
    ['no organisation at all', undefined],
  ])('refuses an issuer whose token names %s', async (_what, organisation) => {
    const error = await refusal(commands.issue({ ...issuer, organisation }, eIdInput()));
    expect(error.extensions).toEqual({ code: 'FORBIDDEN' });
    expect(error.message).toBe('The issuing authority in the token is not an authority of this region.');
  });

  it('lets a Jiangsu authority issue in the Yangtze River Delta registry, whose provinces include 32', async () => {
    const yangtze = new RegistryCommands(db, regionByCode('yangtze-delta')!);
    const jiangsu: Caller = { role: 'issuer', subject: 'js', region: 'yangtze-delta', organisation: '11320000HT637706XL' };
    const record = await yangtze.issue(jiangsu, eIdInput({ areaCode: '320100' }));
    expect(record.issuerCode).toBe('11320000HT637706XL');
    const error = await refusal(yangtze.issue({ ...jiangsu, organisation: SHANDONG_POLICE }, eIdInput()));
    expect(error.extensions).toEqual({ code: 'FORBIDDEN' });
  });

  it.each([
    ['a citizen ID with a wrong check character', E_ID, '370102199003071239'],
    ['a USCC for a citizen credential', E_ID, '91370100HT1234561M'],
    ['a citizen ID for an organisation credential', E_BUSINESS_LICENCE, '370102199003071238'],
    ['a citizen ID of someone born in 2099', E_ID, '370102209901011233'],
  ])('refuses %s as holder code', async (_what, typeCode, holderCode) => {
    const error = await refusal(commands.issue(issuer, eIdInput({ typeCode, holderCode, faceFields: [] })));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_HOLDER_CODE' });
    expect(error.message).toMatch(/^Invalid holder code for Electronic (resident identity card|business licence): ./);
  });

  describe('dates', () => {
    it.each(['2024-02-28', '2024-02-29', '2024-03-01', '2023-12-31', '2024-01-01'])('accepts the calendar date %s', async (date) => {
      const record = await commands.issue(issuer, eIdInput({ issueDate: date, effectiveDate: date, expiryDate: date }));
      expect([record.issueDate, record.effectiveDate, record.expiryDate]).toEqual([date, date, date]);
    });

    it.each([
      ['2023-02-29', 'a 29 February outside a leap year'],
      ['2024-02-30', 'a day past the end of the month'],
      ['2024-04-31', 'the 31st of a 30-day month'],
      ['2024-13-01', 'a 13th month'],
      ['2024-00-10', 'a month zero'],
      ['2024-2-01', 'a month of one digit'],
      ['24-02-01', 'a two-digit year'],
      ['2024-02-01T00:00:00Z', 'a timestamp'],
      ['2024/02/01', 'slashes'],
      [' 2024-02-01', 'a leading space'],
      ['', 'an empty string'],
    ])('refuses %s (%s) as any of the three dates', async (date) => {
      for (const field of ['issueDate', 'effectiveDate', 'expiryDate'] as const) {
        const error = await refusal(commands.issue(issuer, eIdInput({ [field]: date })));
        expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT' });
        expect(error.message).toBe(`${field} must be a date as YYYY-MM-DD.`);
      }
    });

    it('treats an absent effective date as the issue date and a null expiry date as long-term', async () => {
      const record = await commands.issue(issuer, eIdInput({ effectiveDate: null as unknown as undefined, expiryDate: null }));
      expect([record.effectiveDate, record.expiryDate]).toEqual(['2024-02-29', null]);
    });
  });

  describe('text fields', () => {
    it('accepts a holder name of 100 characters and refuses 101', async () => {
      expect((await commands.issue(issuer, eIdInput({ holderName: '名'.repeat(100) }))).holderName).toBe('名'.repeat(100));
      const error = await refusal(commands.issue(issuer, eIdInput({ holderName: '名'.repeat(101) })));
      expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'holderName' });
    });

    it('refuses an empty holder name', async () => {
      const error = await refusal(commands.issue(issuer, eIdInput({ holderName: ' ' })));
      expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'holderName' });
    });

    it('accepts a number of 100 characters and refuses 101 or an empty one', async () => {
      expect((await commands.issue(issuer, eIdInput({ number: 'N'.repeat(100) }))).number).toBe('N'.repeat(100));
      for (const number of ['N'.repeat(101), '']) {
        const error = await refusal(commands.issue(issuer, eIdInput({ number })));
        expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'number' });
      }
    });

    it.each(['37010', '3701020', '37010A', '', '３７０１０２'])('refuses the area code %j', async (areaCode) => {
      const error = await refusal(commands.issue(issuer, eIdInput({ areaCode })));
      expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT' });
      expect(error.message).toBe('areaCode must be a 6-digit division code.');
    });

    it('refuses a face field the type does not define', async () => {
      const error = await refusal(commands.issue(issuer, eIdInput({ faceFields: [{ key: 'sex', value: '男' }, { key: 'licenceClass', value: 'C1' }] })));
      expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT' });
      expect(error.message).toBe('Electronic resident identity card has no face field licenceClass.');
    });

    it('accepts a face value of 500 characters and refuses 501 or an empty one, naming the face field', async () => {
      const record = await commands.issue(issuer, eIdInput({ faceFields: [{ key: 'address', value: '路'.repeat(500) }] }));
      expect(record.face).toEqual({ address: '路'.repeat(500) });
      for (const value of ['路'.repeat(501), '']) {
        const error = await refusal(commands.issue(issuer, eIdInput({ faceFields: [{ key: 'address', value }] })));
        expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'address' });
      }
    });
  });

  it('lists the national type codes it knows', () => {
    expect(knownTypeCodes()).toEqual([
      '11100000HT00000183001',
      '11100000HT00000183002',
      '11100000HT00000183003',
      '11100000HT00000183004',
      '11100000HT0000026X001',
      '11100000HT0000034Q001',
      '11100000HT0000042K001',
      '11100000HT0000050E001',
    ]);
  });
});

describe('correcting a credential', () => {
  const V1 = '1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.201500000001.001.C';
  const V2 = '1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.201500000001.002.A';
  const V3 = '1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.201500000001.003.8';

  it('issues version 002 under a new identifier and marks version 001 superseded (status 99)', async () => {
    await stored('01', 1);
    const next = await commands.correct(
      issuer,
      V1,
      [
        { field: 'holderName', value: '马超' },
        { field: 'face.address', value: '山东省济南市历下区泉城路1号' },
      ],
      'name and address misspelt',
    );
    expect(next).toEqual({
      id: V2,
      typeCode: E_ID,
      serial: '201500000001',
      version: 2,
      number: '370100198806091286',
      name: '电子居民身份证',
      issuerCode: SHANDONG_POLICE,
      issuerName: '山东省公安厅',
      issueDate: '2015-07-20',
      effectiveDate: '2015-07-20',
      expiryDate: '2035-07-20',
      areaCode: '370100',
      holderName: '马超',
      holderCode: '370100198806091286',
      holderType: '111',
      status: '01',
      face: { sex: '女', ethnicity: '汉', birthDate: '1988-06-09', address: '山东省济南市历下区泉城路1号' },
    });
    expect('supersededBy' in next).toBe(false);

    expect(await row(V1)).toEqual({
      status: '99',
      superseded_by: V2,
      holder_name: '马超伟',
      face: { sex: '女', ethnicity: '汉', birthDate: '1988-06-09', address: '山东省济南市和平街467号' },
    });
    expect(await row(V2)).toEqual({
      status: '01',
      superseded_by: null,
      holder_name: '马超',
      face: { sex: '女', ethnicity: '汉', birthDate: '1988-06-09', address: '山东省济南市历下区泉城路1号' },
    });
    const entry = (id: string, status: string) => ({ credential_id: id, holder_code: '370100198806091286', holder_type: '111', type_code: E_ID, status });
    expect(await outbox(V1, V2)).toEqual([entry(V1, '01'), entry(V2, '01'), entry(V1, '99')]);
    expect(await events(V1)).toEqual([
      { credential_id: V1, action: 'CORRECT', from_status: '01', to_status: '99', reason: `name and address misspelt (superseded by ${V2})`, actor_org: SHANDONG_POLICE, actor: 'officer-7' },
    ]);
    expect(await events(V2)).toEqual([
      { credential_id: V2, action: 'ISSUE', from_status: null, to_status: '01', reason: `corrected version of ${V1}`, actor_org: SHANDONG_POLICE, actor: 'officer-7' },
    ]);

    // The superseded version cannot be corrected again; the current one can, as version 003.
    const error = await refusal(commands.correct(issuer, V1, [{ field: 'holderName', value: '马超超' }], 'again'));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(error.message).toBe(`Credential ${V1} was already corrected; correct ${V2}.`);
    expect(await row(V1)).toMatchObject({ status: '99', superseded_by: V2 });
    expect((await commands.correct(issuer, V2, [{ field: 'number', value: 'N-3' }], 'number')).id).toBe(V3);
    expect(await row(V2)).toMatchObject({ status: '99', superseded_by: V3 });
  });

  it('keeps the stored status of a suspended credential in the new version', async () => {
    const c = await stored('02');
    const next = await commands.correct(issuer, c.id, [{ field: 'areaCode', value: '370200' }], 'wrong district');
    expect(next).toMatchObject({ status: '02', areaCode: '370200', version: 2 });
    expect(next.id).toMatch(/\.002\.[0-9A-Z]$/);
    expect((await row(next.id))!.status).toBe('02');
    expect(await events(c.id)).toEqual([expect.objectContaining({ action: 'CORRECT', from_status: '02', to_status: '99' })]);
    expect(await events(next.id)).toEqual([expect.objectContaining({ action: 'ISSUE', from_status: null, to_status: '02' })]);
  });

  it('corrects the expiry date when it is a calendar date, and refuses one that is not', async () => {
    const c = await stored('01');
    const error = await refusal(commands.correct(issuer, c.id, [{ field: 'expiryDate', value: '2031-02-29' }], 'wrong date'));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(error.message).toBe('expiryDate must be a date as YYYY-MM-DD.');
    expect(await row(c.id)).toMatchObject({ status: '01', superseded_by: null });
    const next = await commands.correct(issuer, c.id, [{ field: 'expiryDate', value: '2032-02-29' }], 'wrong date');
    expect(next.expiryDate).toBe('2032-02-29');
    const [saved] = await new CredentialStore(db).findByIds([next.id]);
    expect(saved!.expiryDate).toBe('2032-02-29');
  });

  it.each([
    ['status', 'a field outside the correctable ones'],
    ['holderCode', 'the holder code'],
    ['face.licenceClass', 'a face field of another type'],
    ['face.', 'an empty face key'],
    ['faceaddress', 'a face key without the dot'],
    ['address', 'a face key without the prefix'],
    ['attr.address', 'a face key under another prefix'],
  ])('refuses to correct %s (%s)', async (field) => {
    // An e-ID, whose face fields include address.
    const c = await commands.issue(issuer, eIdInput());
    const error = await refusal(commands.correct(issuer, c.id, [{ field, value: 'x' }], 'typo'));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'NOT_CORRECTABLE' });
    expect(error.message).toBe(`Field ${field} cannot be corrected.`);
    expect(await row(c.id)).toMatchObject({ status: '01', superseded_by: null });
    expect((await events(c.id)).map((e) => e.action)).toEqual(['ISSUE']);
  });

  it('corrects a credential of a type the catalogue no longer lists, but none of its face fields', async () => {
    const withdrawnType = '11100000HT00000183999';
    const seeded = seedCredential(SHANDONG, nextIndex++);
    const c = { ...seeded, typeCode: withdrawnType, id: buildLicenceId({ typeCode: withdrawnType, issuerCode: seeded.issuerCode, serial: seeded.serial, version: '001' }) };
    await db.transaction((tx) => CredentialStore.insert(tx, [c]));
    const error = await refusal(commands.correct(issuer, c.id, [{ field: 'face.address', value: '济南市' }], 'typo'));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'NOT_CORRECTABLE' });
    const next = await commands.correct(issuer, c.id, [{ field: 'holderName', value: '王五' }], 'typo');
    expect(next).toMatchObject({ typeCode: withdrawnType, holderName: '王五', version: 2 });
  });

  it('refuses a correction with no change, or with an empty or over-long value', async () => {
    const c = await stored('01');
    const none = await refusal(commands.correct(issuer, c.id, [], 'nothing'));
    expect(none.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(none.message).toBe('A correction needs at least one change.');
    for (const value of ['', '名'.repeat(501)]) {
      const error = await refusal(commands.correct(issuer, c.id, [{ field: 'holderName', value }], 'typo'));
      expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'holderName' });
    }
    const bad = await refusal(commands.correct(issuer, c.id, [{ field: 'holderName', value: '王五' }], ''));
    expect(bad.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'reason' });
    expect(await row(c.id)).toMatchObject({ status: '01', superseded_by: null });
    expect(await outbox(c.id)).toHaveLength(1);
  });

  it('accepts a corrected face value of 500 characters and refuses 501', async () => {
    const c = await stored('01');
    const error = await refusal(commands.correct(issuer, c.id, [{ field: 'face.issuingBank', value: '行'.repeat(501) }, { field: 'face.address', value: '路'.repeat(501) }], 'typo'));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT' });
    expect(error.message).toMatch(/ must be at most 500 characters \(1–500 characters of text\)\.$/);
    const e = await stored('01', 11);
    const next = await commands.correct(issuer, e.id, [{ field: 'face.location', value: '路'.repeat(500) }], 'long address');
    expect(next.face).toEqual({ location: '路'.repeat(500), floorArea: '77.16', use: '住宅', rightType: '国有建设用地使用权/房屋所有权' });
  });

  it('holds a corrected name, number and area code to the rules of issuing', async () => {
    const c = await stored('01');
    for (const [field, value] of [['holderName', '名'.repeat(101)], ['number', 'N'.repeat(101)]]) {
      const error = await refusal(commands.correct(issuer, c.id, [{ field: field!, value: value! }], 'typo'));
      expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field });
      expect(error.message).toBe(`${field} must be at most 100 characters (1–100 characters of text).`);
    }
    for (const areaCode of ['37010', '3701000', '济南市']) {
      const error = await refusal(commands.correct(issuer, c.id, [{ field: 'areaCode', value: areaCode }], 'typo'));
      expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT' });
      expect(error.message).toBe('areaCode must be a 6-digit division code.');
    }
    expect(await row(c.id)).toMatchObject({ status: '01', superseded_by: null });
    const next = await commands.correct(
      issuer,
      c.id,
      [{ field: 'holderName', value: '名'.repeat(100) }, { field: 'number', value: 'N'.repeat(100) }, { field: 'areaCode', value: '370600' }],
      'all three',
    );
    expect(next).toMatchObject({ holderName: '名'.repeat(100), number: 'N'.repeat(100), areaCode: '370600' });
  });

  it('refuses a credential the registry does not hold', async () => {
    const id = '1.2.156.3005.2.11100000HT00000183001.11370000HT71218912.209900000001.001.A';
    const error = await refusal(commands.correct(issuer, id, [{ field: 'holderName', value: '王五' }], 'typo'));
    expect(error.extensions).toEqual({ code: 'NOT_FOUND' });
  });

  it('changes nothing when the second of two changes is refused', async () => {
    const c = await stored('01');
    await refusal(commands.correct(issuer, c.id, [{ field: 'holderName', value: '王五' }, { field: 'status', value: '03' }], 'typo'));
    expect(await row(c.id)).toMatchObject({ status: '01', superseded_by: null, holder_name: c.holderName });
    expect(await outbox(c.id)).toHaveLength(1);
  });

  it('closes the dispute that asked for it as CORRECTED, pointing to the new version', async () => {
    const c = await stored('01');
    const records = new RecordStore(db);
    await records.fileDispute({ id: `d-${c.id}`, credentialId: c.id, field: 'holderName', claim: '姓名有误', filedByRole: 'holder', filedBy: 'holder-1' });
    await records.fileDispute({ id: `other-${c.id}`, credentialId: c.id, field: 'number', claim: '号码有误', filedByRole: 'verifier', filedBy: 'v-1' });
    const next = await commands.correct(issuer, c.id, [{ field: 'holderName', value: '王五' }], 'name corrected after dispute', `d-${c.id}`);
    expect(await records.dispute(`d-${c.id}`)).toEqual({
      id: `d-${c.id}`,
      credentialId: c.id,
      field: 'holderName',
      claim: '姓名有误',
      filedByRole: 'holder',
      filedBy: 'holder-1',
      status: 'CORRECTED',
      resolution: 'name corrected after dispute',
      correctedId: next.id,
      filedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      resolvedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    // A dispute not named stays open.
    expect(await records.dispute(`other-${c.id}`)).toMatchObject({ status: 'OPEN', resolution: null, correctedId: null, resolvedAt: null });
  });

  it('leaves an already rejected dispute as it was', async () => {
    const c = await stored('01');
    const records = new RecordStore(db);
    await records.fileDispute({ id: `r-${c.id}`, credentialId: c.id, field: 'holderName', claim: '姓名有误', filedByRole: 'holder', filedBy: 'holder-1' });
    await commands.rejectDispute(issuer, `r-${c.id}`, 'the name matches the register');
    await commands.correct(issuer, c.id, [{ field: 'holderName', value: '王五' }], 'other reason', `r-${c.id}`);
    expect(await records.dispute(`r-${c.id}`)).toMatchObject({ status: 'REJECTED', resolution: 'the name matches the register', correctedId: null });
  });
});

describe('rejecting a dispute', () => {
  it('closes an open dispute as REJECTED with the reason', async () => {
    const c = await stored('01');
    const records = new RecordStore(db);
    await records.fileDispute({ id: `x-${c.id}`, credentialId: c.id, field: 'face.address', claim: '住址应为历下区', filedByRole: 'holder', filedBy: 'holder-2' });
    const rejected = await commands.rejectDispute(issuer, `x-${c.id}`, 'address confirmed by the police station');
    expect(rejected).toEqual({
      id: `x-${c.id}`,
      credentialId: c.id,
      field: 'face.address',
      claim: '住址应为历下区',
      filedByRole: 'holder',
      filedBy: 'holder-2',
      status: 'REJECTED',
      resolution: 'address confirmed by the police station',
      correctedId: null,
      filedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      resolvedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    expect(await records.dispute(`x-${c.id}`)).toEqual(rejected);

    const again = await refusal(commands.rejectDispute(issuer, `x-${c.id}`, 'again'));
    expect(again.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'DISPUTE_CLOSED' });
    expect(again.message).toBe(`Dispute x-${c.id} is already REJECTED.`);
  });

  it('refuses a dispute closed by a correction', async () => {
    const c = await stored('01');
    const records = new RecordStore(db);
    await records.fileDispute({ id: `y-${c.id}`, credentialId: c.id, field: 'holderName', claim: '姓名有误', filedByRole: 'holder', filedBy: 'holder-2' });
    await commands.correct(issuer, c.id, [{ field: 'holderName', value: '王五' }], 'fixed', `y-${c.id}`);
    const error = await refusal(commands.rejectDispute(issuer, `y-${c.id}`, 'too late'));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'DISPUTE_CLOSED' });
    expect(error.message).toBe(`Dispute y-${c.id} is already CORRECTED.`);
  });

  it('refuses an unknown dispute', async () => {
    const error = await refusal(commands.rejectDispute(issuer, 'no-such-dispute', 'unfounded'));
    expect(error.extensions).toEqual({ code: 'NOT_FOUND' });
    expect(error.message).toBe('No dispute no-such-dispute in the Shandong registry.');
  });

  it('refuses an empty reason and leaves the dispute open', async () => {
    const c = await stored('01');
    const records = new RecordStore(db);
    await records.fileDispute({ id: `z-${c.id}`, credentialId: c.id, field: 'holderName', claim: '姓名有误', filedByRole: 'holder', filedBy: 'holder-2' });
    const error = await refusal(commands.rejectDispute(issuer, `z-${c.id}`, ' '));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INVALID_TEXT', field: 'reason' });
    expect(await records.dispute(`z-${c.id}`)).toMatchObject({ status: 'OPEN' });
  });
});

describe('usage records and disputes of a registry', () => {
  const usage = (id: string, credentialId: string, verifiedAt: string): UsageRecord =>
    jinanHallUsage(id, credentialId, { releasedFields: ['holderName', 'face.address'], verifiedAt });

  it('stores a verification once: a redelivery, even with other content, changes nothing', async () => {
    const records = new RecordStore(db);
    const first = usage('verif-1', 'cred-usage-1', '2026-01-15T08:30:00.000Z');
    expect(await records.addUsageRecord(first)).toBe(true);
    expect(await records.addUsageRecord(first)).toBe(false);
    expect(await records.addUsageRecord({ ...first, verdict: 'REJECTED', reasons: ['REVOKED'] })).toBe(false);
    expect(await records.usageRecordsFor(['cred-usage-1'])).toEqual([first]);
  });

  it('lists a credential\'s usage records newest first, and only that credential\'s', async () => {
    const records = new RecordStore(db);
    const older = usage('verif-2', 'cred-usage-2', '2026-01-15T08:30:00.000Z');
    const newer = { ...usage('verif-3', 'cred-usage-2', '2026-02-01T12:00:05.250Z'), verdict: 'REJECTED', reasons: ['SUSPENDED'], ruleId: null, ruleVersion: null, releasedFields: [] };
    const elsewhere = usage('verif-4', 'cred-usage-3', '2026-03-01T00:00:00.000Z');
    for (const r of [older, newer, elsewhere]) await records.addUsageRecord(r);
    expect(await records.usageRecordsFor(['cred-usage-2'])).toEqual([newer, older]);
    expect(await records.usageRecordsFor(['cred-usage-2', 'cred-usage-3'])).toEqual([elsewhere, newer, older]);
    expect(await records.usageRecordsFor(['cred-without-usage'])).toEqual([]);
  });

  it('files a dispute as OPEN and lists a credential\'s disputes', async () => {
    const records = new RecordStore(db);
    const filed = await records.fileDispute({ id: 'disp-a', credentialId: 'cred-disp-1', field: 'face.address', claim: '住址有误', filedByRole: 'verifier', filedBy: 'v-9' });
    expect(filed).toEqual({
      id: 'disp-a',
      credentialId: 'cred-disp-1',
      field: 'face.address',
      claim: '住址有误',
      filedByRole: 'verifier',
      filedBy: 'v-9',
      status: 'OPEN',
      resolution: null,
      correctedId: null,
      filedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      resolvedAt: null,
    });
    await records.fileDispute({ id: 'disp-b', credentialId: 'cred-disp-2', field: 'number', claim: '号码有误', filedByRole: 'holder', filedBy: 'h-9' });
    expect(await records.disputesFor(['cred-disp-1'])).toEqual([filed]);
    expect((await records.disputesFor(['cred-disp-1', 'cred-disp-2'])).map((d) => d.id).sort()).toEqual(['disp-a', 'disp-b']);
    expect(await records.dispute('disp-none')).toBeUndefined();
  });

  it('resolves only an open dispute', async () => {
    const records = new RecordStore(db);
    await records.fileDispute({ id: 'disp-c', credentialId: 'cred-disp-3', field: 'number', claim: '号码有误', filedByRole: 'holder', filedBy: 'h-9' });
    await db.transaction((tx) => RecordStore.resolveDispute(tx, 'disp-c', 'CORRECTED', 'fixed', 'cred-disp-3-v2'));
    await db.transaction((tx) => RecordStore.resolveDispute(tx, 'disp-c', 'REJECTED', 'late', null));
    expect(await records.dispute('disp-c')).toMatchObject({ status: 'CORRECTED', resolution: 'fixed', correctedId: 'cred-disp-3-v2' });
  });
});
