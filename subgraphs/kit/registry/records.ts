import type { Queryable } from '../db.js';
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
