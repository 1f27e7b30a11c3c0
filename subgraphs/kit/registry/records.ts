import type { Queryable } from '../db.js';
import { Keyset, type PageRequest } from '../pages.js';
import type { CounterAssistance, UsageChannel } from './contract.js';

/** A usage record as the registry stores it (one per verification). */
export interface UsageRecord {
  id: string;
  credentialId: string;
  verifierOrg: string;
  verifierName: string;
  verifierRegion: string;
  operator: string;
  scenario: string;
  scenarioName: string;
  serviceItemName: string;
  serviceItemCode: string;
  businessCaseNumber: string;
  releasedFields: string[];
  verdict: string;
  reasons: string[];
  ruleId: string | null;
  ruleVersion: number | null;
  verifiedAt: string;
  /** Absent (or PRESENTATION_CODE): the holder presented a code. */
  channel?: UsageChannel;
  /** Present exactly with COUNTER_ASSISTED. */
  counterAssistance?: CounterAssistance | null;
}

export interface Dispute {
  id: string;
  credentialId: string;
  field: string;
  claim: string;
  filedByRole: string;
  filedBy: string;
  status: 'OPEN' | 'CORRECTED' | 'REJECTED';
  resolution: string | null;
  correctedId: string | null;
  filedAt: string;
  resolvedAt: string | null;
}

const usageColumns = `id, credential_id as "credentialId", verifier_org as "verifierOrg", verifier_name as "verifierName",
  verifier_region as "verifierRegion", operator, scenario, scenario_name as "scenarioName",
  service_item_name as "serviceItemName", service_item_code as "serviceItemCode",
  business_case_number as "businessCaseNumber", released_fields as "releasedFields", verdict, reasons,
  rule_id as "ruleId", rule_version as "ruleVersion", to_char(verified_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "verifiedAt",
  channel, counter_identity_document as "counterIdentityDocument", counter_staff_name as "counterStaffName", counter_staff_number as "counterStaffNumber"`;

interface UsageRow extends UsageRecord {
  channel: UsageChannel;
  counterIdentityDocument: CounterAssistance['identityDocument'] | null;
  counterStaffName: string | null;
  counterStaffNumber: string | null;
}

/** A stored row as a usage record: a counter's part only on counter-assisted ones (a code's record says nothing of channels). */
function usageRecordOf({ channel, counterIdentityDocument, counterStaffName, counterStaffNumber, ...record }: UsageRow): UsageRecord {
  if (channel === 'ANNOTATED_COPY') return { ...record, channel };
  if (channel !== 'COUNTER_ASSISTED') return record;
  return { ...record, channel, counterAssistance: { identityDocument: counterIdentityDocument!, staffName: counterStaffName!, staffNumber: counterStaffNumber! } };
}

const disputeColumns = `id, credential_id as "credentialId", field, claim, filed_by_role as "filedByRole", filed_by as "filedBy",
  status, resolution, corrected_id as "correctedId",
  to_char(filed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "filedAt",
  to_char(resolved_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "resolvedAt"`;

/** A credential's usage records are paged newest first, by time of use and then id (both descending). */
export const usageRecordPages = new Keyset('usage-records', ['timestamp', 'text'] as const);
/** A credential's disputes are paged most recently filed first, by time filed and then id (both descending). */
export const disputePages = new Keyset('disputes', ['timestamp', 'text'] as const);
export type UsagePage = PageRequest<typeof usageRecordPages.parts>;
export type DisputePage = PageRequest<typeof disputePages.parts>;

/** One page of one credential's list, as a batched read asks for it. */
export interface PageOf<P> {
  credentialId: string;
  page: P;
}

/** A row with the exact sort key (microseconds) its cursor is made of. */
export type Keyed<T> = T & { sortKey: string };
const exactly = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "sortKey"`;

/**
 * The pages asked for, each read as one index range after its cursor (a lateral join over the
 * requests, so one statement serves a whole batch); each row says which request it answers (at).
 */
const pagesSql = (table: string, timeColumn: string, columns: string) => `
  select k.at - 1 as at, ${exactly(`r.${timeColumn}`)}, r.*
  from unnest($1::text[], $2::timestamptz[], $3::text[], $4::int[]) with ordinality as k(credential_id, after_time, after_id, lim, at)
  cross join lateral (
    select ${columns}, ${timeColumn} from ${table}
    where credential_id = k.credential_id
      and (${timeColumn}, id) < (coalesce(k.after_time, 'infinity'::timestamptz), coalesce(k.after_id, ''))
    order by ${timeColumn} desc, id desc
    limit k.lim
  ) r
  order by k.at, r.${timeColumn} desc, r.id desc`;

const pageParams = (requests: readonly PageOf<UsagePage | DisputePage>[]) => [
  requests.map((r) => r.credentialId),
  requests.map((r) => r.page.after?.[0] ?? null),
  requests.map((r) => r.page.after?.[1] ?? null),
  requests.map((r) => r.page.limit),
];

function byRequest<T>(rows: (T & { at: number | string })[], count: number): T[][] {
  const pages: T[][] = Array.from({ length: count }, () => []);
  for (const { at, ...row } of rows) pages[Number(at)]!.push(row as unknown as T);
  return pages;
}

/** Usage records and disputes of a registry. */
export class RecordStore {
  constructor(private readonly db: Queryable) {}

  /** Stores a usage record once; a redelivery of the same verification changes nothing. */
  async addUsageRecord(r: UsageRecord): Promise<boolean> {
    const counter = r.counterAssistance ?? null;
    const rows = await this.db.query(
      `insert into usage_record (id, credential_id, verifier_org, verifier_name, verifier_region, operator, scenario,
         scenario_name, service_item_name, service_item_code, business_case_number, released_fields, verdict, reasons,
         rule_id, rule_version, verified_at, channel, counter_identity_document, counter_staff_name, counter_staff_number)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text[], $13, $14::text[], $15, $16, $17::timestamptz, $18, $19, $20, $21)
       on conflict (id) do nothing returning id`,
      [r.id, r.credentialId, r.verifierOrg, r.verifierName, r.verifierRegion, r.operator, r.scenario, r.scenarioName,
        r.serviceItemName, r.serviceItemCode, r.businessCaseNumber, r.releasedFields, r.verdict, r.reasons, r.ruleId,
        r.ruleVersion, r.verifiedAt, r.channel ?? 'PRESENTATION_CODE', counter?.identityDocument ?? null, counter?.staffName ?? null,
        counter?.staffNumber ?? null],
    );
    return rows.length > 0;
  }

  async usageRecordsFor(credentialIds: readonly string[]): Promise<UsageRecord[]> {
    const rows = await this.db.query<UsageRow>(
      `select ${usageColumns} from usage_record where credential_id = any($1::text[]) order by verified_at desc, id`,
      [credentialIds],
    );
    return rows.map(usageRecordOf);
  }

  /** Pages of usage records, one per request, each newest first. */
  async usageRecordPagesFor(requests: readonly PageOf<UsagePage>[]): Promise<Keyed<UsageRecord>[][]> {
    if (requests.length === 0) return [];
    const rows = await this.db.query<UsageRow & { at: number; sortKey: string; verified_at: unknown }>(pagesSql('usage_record', 'verified_at', usageColumns), pageParams(requests));
    return byRequest(rows, requests.length).map((page) => page.map(({ sortKey, verified_at: _, ...row }) => ({ ...usageRecordOf(row as UsageRow), sortKey })));
  }

  /** Pages of disputes, one per request, each most recently filed first. */
  async disputePagesFor(requests: readonly PageOf<DisputePage>[]): Promise<Keyed<Dispute>[][]> {
    if (requests.length === 0) return [];
    const rows = await this.db.query<Dispute & { at: number; sortKey: string; filed_at: unknown }>(pagesSql('dispute', 'filed_at', disputeColumns), pageParams(requests));
    return byRequest(rows, requests.length).map((page) => page.map(({ filed_at: _, ...row }) => row));
  }

  /** How many usage records each credential has (an index-only count). */
  async usageRecordCounts(credentialIds: readonly string[]): Promise<number[]> {
    return countsOf(this.db, 'usage_record', credentialIds);
  }

  /** How many disputes each credential has. */
  async disputeCounts(credentialIds: readonly string[]): Promise<number[]> {
    return countsOf(this.db, 'dispute', credentialIds);
  }

  async disputesFor(credentialIds: readonly string[]): Promise<Dispute[]> {
    return this.db.query<Dispute>(
      `select ${disputeColumns} from dispute where credential_id = any($1::text[]) order by filed_at desc, id`,
      [credentialIds],
    );
  }

  async dispute(id: string): Promise<Dispute | undefined> {
    return (await this.db.query<Dispute>(`select ${disputeColumns} from dispute where id = $1`, [id]))[0];
  }

  async fileDispute(d: Pick<Dispute, 'id' | 'credentialId' | 'field' | 'claim' | 'filedByRole' | 'filedBy'>): Promise<Dispute> {
    const rows = await this.db.query<Dispute>(
      `insert into dispute (id, credential_id, field, claim, filed_by_role, filed_by, status)
       values ($1, $2, $3, $4, $5, $6, 'OPEN') returning ${disputeColumns}`,
      [d.id, d.credentialId, d.field, d.claim, d.filedByRole, d.filedBy],
    );
    return rows[0]!;
  }

  static async resolveDispute(
    tx: Queryable,
    id: string,
    status: 'CORRECTED' | 'REJECTED',
    resolution: string,
    correctedId: string | null,
  ): Promise<void> {
    await tx.query(
      `update dispute set status = $2, resolution = $3, corrected_id = $4, resolved_at = now() where id = $1 and status = 'OPEN'`,
      [id, status, resolution, correctedId],
    );
  }
}

async function countsOf(db: Queryable, table: 'usage_record' | 'dispute', credentialIds: readonly string[]): Promise<number[]> {
  const rows = await db.query<{ credentialId: string; n: number }>(
    `select credential_id as "credentialId", count(*)::int as n from ${table} where credential_id = any($1::text[]) group by credential_id`,
    [credentialIds],
  );
  const counts = new Map(rows.map((r) => [r.credentialId, r.n]));
  return credentialIds.map((id) => counts.get(id) ?? 0);
}
