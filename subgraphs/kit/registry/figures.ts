/**
 * A registry's figures for analysts, read from the counters migration 005 keeps (never by counting
 * the credential table), with small cells suppressed (`../figures.ts`).
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { Queryable } from '../db.js';
import { badInput } from '../errors.js';
import { suppressSmallCells } from '../figures.js';
import { statusCodes, type CredentialStatus, type Region, type StatusCode } from '../reference.js';
import type { RegistryContext } from './resolvers.js';
import { todayInChina } from '../days.js';

export interface CredentialCell {
  typeCode: string;
  /** As stored; VALID and EXPIRED cells are both stored as valid (01). */
  storedStatus: StatusCode;
  status: CredentialStatus;
  issueMonth: string;
  count: number;
}

export interface DisputeCell {
  filedMonth: string;
  status: 'OPEN' | 'CORRECTED' | 'REJECTED';
  count: number;
  resolveSeconds: number;
}

export class FigureStore {
  constructor(private readonly db: Queryable) {}

  /** Credentials by type, status as of `today` (China date) and month of issue. */
  async credentialCells(today = todayInChina()): Promise<CredentialCell[]> {
    const thisMonth = today.slice(0, 7);
    const rows = await this.db.query<{ typeCode: string; status: StatusCode; issueMonth: string; expiryMonth: string | null; n: number }>(
      `select type_code as "typeCode", status, to_char(issue_month, 'YYYY-MM') as "issueMonth",
              case when expiry_month = 'infinity' then null else to_char(expiry_month, 'YYYY-MM') end as "expiryMonth",
              count::int as n
         from credential_figure where count > 0`,
    );
    // Valid credentials of this month that expired before today: one small count over an index.
    const expiredThisMonth = await this.db.query<{ typeCode: string; issueMonth: string; n: number }>(
      `select type_code as "typeCode", to_char(issue_date, 'YYYY-MM') as "issueMonth", count(*)::int as n
         from credential where status = '01' and expiry_date >= $1::date and expiry_date < $2::date group by 1, 2`,
      [`${thisMonth}-01`, today],
    );
    const cells = new Map<string, CredentialCell>();
    const add = (typeCode: string, storedStatus: StatusCode, status: CredentialStatus, issueMonth: string, n: number) => {
      const key = `${typeCode}|${status}|${issueMonth}`;
      const cell = cells.get(key) ?? { typeCode, storedStatus, status, issueMonth, count: 0 };
      cell.count += n;
      cells.set(key, cell);
    };
    for (const r of rows) {
      const expired = r.status === '01' && r.expiryMonth !== null && r.expiryMonth < thisMonth;
      add(r.typeCode, r.status, expired ? 'EXPIRED' : statusCodes[r.status], r.issueMonth, r.n);
    }
    for (const r of expiredThisMonth) {
      add(r.typeCode, '01', 'VALID', r.issueMonth, -r.n);
      add(r.typeCode, '01', 'EXPIRED', r.issueMonth, r.n);
    }
    return [...cells.values()].filter((c) => c.count > 0);
  }

  /** Credentials by stored status, from the status counters: a few rows whatever the registry's size. */
  async countByStatus(): Promise<Map<StatusCode, number>> {
    const rows = await this.db.query<{ status: StatusCode; n: number }>(
      'select status, sum(count)::int as n from credential_status_figure group by status having sum(count) > 0',
    );
    return new Map(rows.map((r) => [r.status, r.n]));
  }

  async disputeCells(): Promise<DisputeCell[]> {
    return this.db.query<DisputeCell>(
      `select to_char(filed_month, 'YYYY-MM') as "filedMonth", status, count::int as count, resolve_seconds as "resolveSeconds"
         from dispute_figure where count > 0`,
    );
  }
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

function month(name: string, value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (!MONTH.test(value)) throw badInput(`${name} must be a month, YYYY-MM (got "${value.slice(0, 20)}").`, { field: name });
  return value;
}

const byKeys = <T>(...keys: ((x: T) => string)[]) => (a: T, b: T) => {
  for (const k of keys) {
    const c = k(a).localeCompare(k(b));
    if (c !== 0) return c;
  }
  return 0;
};

/** `<Prefix>Region.credentialFigures` and `.disputeFigures`, for the region's own registry. */
export function figureResolvers(region: Region, minCell: number): GraphQLResolverMap<RegistryContext> {
  return {
    [`${region.typePrefix}Region`]: {
      async credentialFigures(_: unknown, args: { issuedFrom?: string | null; issuedUntil?: string | null }, ctx: RegistryContext) {
        const from = month('issuedFrom', args.issuedFrom);
        const until = month('issuedUntil', args.issuedUntil);
        if (from && until && from > until) throw badInput(`issuedFrom (${from}) is after issuedUntil (${until}).`, { field: 'issuedFrom' });
        // Suppressed over every cell before the months are chosen, so narrowing the months can
        // never show a cell a wider query hid. Totals by stored status and overall are published
        // (credentialCountByStatus, credentialCount), hence the groups.
        const cells = suppressSmallCells(await ctx.loaders.credentialFigures.load('all'), minCell, (c) => ['all', `stored:${c.storedStatus}`]);
        return cells
          .filter((c) => (!from || c.issueMonth >= from) && (!until || c.issueMonth <= until))
          .map(({ typeCode, status, issueMonth, count, suppressed }) => ({ typeCode, status, issueMonth, count, suppressed }))
          .sort(byKeys((c) => c.issueMonth, (c) => c.typeCode, (c) => c.status));
      },
      async disputeFigures(_: unknown, _args: unknown, ctx: RegistryContext) {
        const cells = suppressSmallCells(await ctx.loaders.disputeFigures.load('all'), minCell, () => ['all']);
        return cells
          .map((c) => ({
            filedMonth: c.filedMonth,
            status: c.status,
            count: c.count,
            suppressed: c.suppressed,
            meanHoursToResolve: c.count === null || c.status === 'OPEN' ? null : Math.round((c.resolveSeconds / c.count / 3600) * 10) / 10,
          }))
          .sort(byKeys((c) => c.filedMonth, (c) => c.status));
      },
    },
  };
}
