import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import type { Database } from '../../subgraphs/kit/db.js';
import { suppressSmallCells } from '../../subgraphs/kit/figures.js';
import { regionByCode, type Region } from '../../subgraphs/kit/reference.js';
import { RegistryCommands, type IssueInput } from '../../subgraphs/kit/registry/commands.js';
import { FigureStore } from '../../subgraphs/kit/registry/figures.js';
import { RecordStore } from '../../subgraphs/kit/registry/records.js';
import { subgraphDatabase } from '../support/databases.js';
import { shandongEidInput } from '../support/records.js';

const SHANDONG: Region = regionByCode('shandong')!;
const E_ID = '11100000HT00000183001';
const issuer: Caller = { role: 'issuer', subject: 'officer-7', region: 'shandong', organisation: '11370000HT71218912', organisationName: '山东省公安厅' };

describe('small-count suppression', () => {
  const cells = (...counts: [string, number][]) => counts.map(([key, count]) => ({ key, count }));
  const shown = (result: { key: string; count: number | null; suppressed: boolean }[]) =>
    Object.fromEntries(result.map((c) => [c.key, c.suppressed ? 'suppressed' : c.count]));

  it('hides a cell below the minimum and shows one at it', () => {
    expect(shown(suppressSmallCells(cells(['a', 4], ['b', 5], ['c', 12]), 5))).toEqual({ a: 'suppressed', b: 5, c: 12 });
  });

  it('does not list empty cells', () => {
    expect(shown(suppressSmallCells(cells(['a', 0], ['b', 9]), 5))).toEqual({ b: 9 });
  });

  it('hides the smallest other cell when a published total would give a lone hidden cell away', () => {
    expect(shown(suppressSmallCells(cells(['a', 3], ['b', 7], ['c', 12]), 5, () => ['all']))).toEqual({ a: 'suppressed', b: 'suppressed', c: 12 });
  });

  it('hides nothing more when two cells of a group are already hidden', () => {
    expect(shown(suppressSmallCells(cells(['a', 3], ['b', 2], ['c', 12]), 5, () => ['all']))).toEqual({ a: 'suppressed', b: 'suppressed', c: 12 });
  });

  it('follows secondary suppression from one group into another', () => {
    // a is small; its status group s1 then loses b; "all" has two hidden cells and stays as it is.
    const group: Record<string, string> = { a: 's1', b: 's1', c: 's2', d: 's2' };
    const result = suppressSmallCells(cells(['a', 3], ['b', 6], ['c', 8], ['d', 20]), 5, (c) => ['all', group[c.key]!]);
    expect(shown(result)).toEqual({ a: 'suppressed', b: 'suppressed', c: 8, d: 20 });
  });

  it('cascades when the second hidden cell leaves another group with a lone hidden cell', () => {
    // a (g1) is small; g1 hides b, the smallest other; b is also in g2, which then hides c.
    const groups: Record<string, string[]> = { a: ['g1'], b: ['g1', 'g2'], c: ['g2'], d: ['g1'], e: ['g2'] };
    const result = suppressSmallCells(cells(['a', 2], ['b', 6], ['c', 7], ['d', 30], ['e', 40]), 5, (c) => groups[c.key]!);
    expect(shown(result)).toEqual({ a: 'suppressed', b: 'suppressed', c: 'suppressed', d: 30, e: 40 });
  });
});

describe('a registry’s counters', () => {
  let db: Database;
  let commands: RegistryCommands;
  let figures: FigureStore;
  const issue = (input: Partial<IssueInput>) =>
    commands.issue(issuer, shandongEidInput({ typeCode: E_ID, issueDate: '2024-02-10', expiryDate: '2044-02-10', ...input }));
  const cellsOn = async (today: string) =>
    Object.fromEntries((await figures.credentialCells(today)).map((c) => [`${c.issueMonth} ${c.status}`, c.count]));

  beforeAll(async () => {
    db = await subgraphDatabase('shandong');
    commands = new RegistryCommands(db, SHANDONG);
    figures = new FigureStore(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('counts issued credentials by type, status as of the day and month of issue', async () => {
    for (let i = 0; i < 6; i++) await issue({});
    // Expiry boundaries on 2026-12-15: the day before expires, the day itself and after are valid.
    await issue({ issueDate: '2016-12-14', expiryDate: '2026-12-14' });
    await issue({ issueDate: '2016-11-15', expiryDate: '2026-12-15' });
    await issue({ issueDate: '2016-10-16', expiryDate: '2026-12-16' });
    await issue({ issueDate: '2016-09-30', expiryDate: '2026-11-30' });
    await issue({ issueDate: '2016-08-01', expiryDate: null });
    expect(await cellsOn('2026-12-15')).toEqual({
      '2024-02 VALID': 6,
      '2016-12 EXPIRED': 1,
      '2016-11 VALID': 1,
      '2016-10 VALID': 1,
      '2016-09 EXPIRED': 1,
      '2016-08 VALID': 1,
    });
    // A month later every one of this month's expiries has passed; the long-term one never does.
    expect(await cellsOn('2027-01-02')).toMatchObject({ '2016-12 EXPIRED': 1, '2016-11 EXPIRED': 1, '2016-10 EXPIRED': 1, '2016-08 VALID': 1 });
    // A month earlier none of them had.
    expect(await cellsOn('2026-11-20')).toMatchObject({ '2016-12 VALID': 1, '2016-11 VALID': 1, '2016-10 VALID': 1, '2016-09 VALID': 1 });
  });

  it('moves a credential between cells when its status changes, in the same transaction', async () => {
    const [victim] = await db.query<{ id: string }>(`select id from credential where issue_date = '2024-02-10' limit 1`);
    await commands.changeStatus(issuer, victim!.id, 'SUSPEND', 'court order');
    const cells = await cellsOn('2026-12-15');
    expect(cells['2024-02 VALID']).toBe(5);
    expect(cells['2024-02 SUSPENDED']).toBe(1);
    expect(Object.fromEntries(await figures.countByStatus())).toEqual({ '01': 10, '02': 1 });
  });

  it('keeps the counters equal to the table after a bulk insert of many rows in one statement', async () => {
    await db.exec(`insert into credential (id, type_code, serial, version, number, name, issuer_code, issuer_name, issue_date,
        effective_date, expiry_date, area_code, holder_name, holder_code, holder_type, status)
      select 'bulk-' || g, '${E_ID}', 'S' || g, 1, 'N' || g, '居民身份证', '11370000HT71218912', '山东省公安厅',
             date '2020-01-01' + (g % 90), date '2020-01-01' + (g % 90), date '2040-01-01', '370102', '测试', '370102199003071238', '111',
             case when g % 7 = 0 then '03' else '01' end
      from generate_series(1, 500) g`);
    await db.exec(`delete from credential where id in ('bulk-7', 'bulk-8')`);
    const counted = await db.query<{ k: string; n: number }>(
      `select to_char(issue_date, 'YYYY-MM') || ' ' || status as k, count(*)::int as n from credential where id like 'bulk-%' group by 1`,
    );
    const kept = await db.query<{ k: string; n: number }>(
      `select to_char(issue_month, 'YYYY-MM') || ' ' || status as k, count::int as n from credential_figure
        where issue_month >= '2020-01-01' and issue_month < '2020-04-01' and count > 0`,
    );
    expect(Object.fromEntries(kept.map((r) => [r.k, r.n]))).toEqual(Object.fromEntries(counted.map((r) => [r.k, r.n])));
    // 500 rows over 90 days from 1 January: 31 + 29 + 30 days, every 7th revoked, two deleted.
    expect(kept.reduce((sum, r) => sum + r.n, 0)).toBe(498);
  });

  it('keeps the totals by status equal to the table through inserts, bulk inserts, deletes and status changes, in a few rows', async () => {
    // Eleven issued one by one (one suspended), 500 in bulk (every 7th revoked: 71), bulk-7 (revoked)
    // and bulk-8 (valid) deleted: valid 10 + 429 - 1, suspended 1, revoked 71 - 1.
    expect(Object.fromEntries(await figures.countByStatus())).toEqual({ '01': 438, '02': 1, '03': 70 });
    await db.exec(`update credential set status = '02' where id in ('bulk-1', 'bulk-2', 'bulk-14')`);
    await db.exec(`delete from credential where id = 'bulk-21'`);
    expect(Object.fromEntries(await figures.countByStatus())).toEqual({ '01': 436, '02': 4, '03': 68 });
    const counted = await db.query<{ status: string; n: number }>('select status, count(*)::int as n from credential group by status');
    expect(Object.fromEntries(await figures.countByStatus())).toEqual(Object.fromEntries(counted.map((r) => [r.status, r.n])));
    // Sixteen slots per status at most, however many credentials: the count reads no more.
    const [{ rows }] = (await db.query<{ rows: number }>('select count(*)::int as rows from credential_status_figure')) as [{ rows: number }];
    expect(rows).toBeLessThanOrEqual(3 * 16);
  });

  it('counts disputes by month filed and status, with the time resolved ones took', async () => {
    const [target] = await db.query<{ id: string }>(`select id from credential where issue_date = '2024-02-10' and status = '01' limit 1`);
    const records = new RecordStore(db);
    for (const id of ['d-1', 'd-2', 'd-3']) {
      await records.fileDispute({ id, credentialId: target!.id, field: 'holderName', claim: '姓名有误', filedByRole: 'holder', filedBy: 'holder-1' });
    }
    await db.exec(`update dispute set filed_at = timestamptz '2026-10-31 20:00:00+00' where id in ('d-1', 'd-2', 'd-3')`);
    await db.exec(`update dispute set status = 'REJECTED', resolution = 'no', resolved_at = timestamptz '2026-11-01 08:00:00+00' where id = 'd-1'`);
    const cells = Object.fromEntries((await figures.disputeCells()).map((c) => [`${c.filedMonth} ${c.status}`, [c.count, c.resolveSeconds]]));
    // Filed at 04:00 on 1 November, China time: a November dispute, resolved in 12 hours.
    expect(cells).toEqual({ '2026-11 OPEN': [2, 0], '2026-11 REJECTED': [1, 43_200] });
  });
});
