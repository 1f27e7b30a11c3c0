import type { Database } from '../../kit/db.js';
import {
  acceptanceRules,
  invalidationRules,
  scenarios,
  verifiers,
  type AcceptanceRule,
  type InvalidationRule,
  type Scenario,
  type Verifier,
} from '../seed.js';

const ruleColumns = `id, version, accepting_region as "acceptingRegion", accepting_provinces as "acceptingProvinces",
  scenario, credential_type as "credentialType", issuing_provinces as "issuingProvinces",
  accepted_statuses as "acceptedStatuses", require_within_validity as "requireWithinValidity",
  released_fields as "releasedFields", valid_from::text as "validFrom", valid_until::text as "validUntil", legal_basis as "legalBasis"`;

const invalidationColumns = `id, version, issuing_provinces as "issuingProvinces", credential_type as "credentialType",
  scenarios, statuses, valid_from::text as "validFrom", valid_until::text as "validUntil", legal_basis as "legalBasis"`;

export interface PresentationCodeRow {
  jti: string;
  credentialId: string;
  holderCode: string;
  scenario: string | null;
  expired: boolean;
  consumed: boolean;
}

export interface VerificationRow {
  id: string;
  codeJti: string;
  credentialId: string;
  issuingRegion: string;
  verifierOrg: string;
  verifierRegion: string;
  scenario: string;
  context: Record<string, string>;
  verdict: string;
  reasons: string[];
  ruleId: string | null;
  ruleVersion: number | null;
  disputed: boolean;
  releasedFields: { field: string; label: string; value: string | null; retain: boolean }[];
  trace: unknown[];
  usageRecorded: boolean;
  checkedAt: string;
}

// Stryker disable next-line ConditionalExpression,StringLiteral: PGlite and pg both return jsonb parsed, so the string branch is never taken by either driver.
const parseJson = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

export class RecognitionStore {
  constructor(private readonly db: Database) {}

  /** Loads the reference data shipped with this version; existing rows (and newer versions) stay. */
  async seedReferenceData(): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const s of scenarios) {
        await tx.query(
          `insert into scenario (code, name, name_zh, service_item_code) values ($1, $2, $3, $4) on conflict (code) do nothing`,
          [s.code, s.name, s.nameZh, s.serviceItemCode],
        );
      }
      for (const v of verifiers) {
        await tx.query(
          `insert into verifier (organisation, name, region, province, scenarios) values ($1, $2, $3, $4, $5::text[])
           on conflict (organisation) do nothing`,
          [v.organisation, v.name, v.region, v.province, v.scenarios],
        );
      }
      for (const r of acceptanceRules) {
        await tx.query(
          `insert into acceptance_rule (id, version, accepting_region, accepting_provinces, scenario, credential_type,
             issuing_provinces, accepted_statuses, require_within_validity, released_fields, valid_from, valid_until, legal_basis)
           values ($1, $2, $3, $4::text[], $5, $6, $7::text[], $8::text[], $9, $10::jsonb, $11::date, $12::date, $13)
           on conflict (id, version) do nothing`,
          [r.id, r.version, r.acceptingRegion, r.acceptingProvinces, r.scenario, r.credentialType, r.issuingProvinces,
            r.acceptedStatuses, r.requireWithinValidity, JSON.stringify(r.releasedFields), r.validFrom, r.validUntil, r.legalBasis],
        );
      }
      for (const r of invalidationRules) {
        await tx.query(
          `insert into invalidation_rule (id, version, issuing_provinces, credential_type, scenarios, statuses, valid_from, valid_until, legal_basis)
           values ($1, $2, $3::text[], $4, $5::text[], $6::text[], $7::date, $8::date, $9) on conflict (id, version) do nothing`,
          [r.id, r.version, r.issuingProvinces, r.credentialType, r.scenarios, r.statuses, r.validFrom, r.validUntil, r.legalBasis],
        );
      }
    });
  }

  async scenarios(): Promise<Scenario[]> {
    return this.db.query<Scenario>(
      `select code, name, name_zh as "nameZh", service_item_code as "serviceItemCode" from scenario order by code`,
    );
  }

  async verifiers(): Promise<Verifier[]> {
    return this.db.query<Verifier>(`select organisation, name, region, province, scenarios from verifier order by region, name`);
  }

  async verifier(organisation: string): Promise<Verifier | undefined> {
    return (await this.db.query<Verifier>(`select organisation, name, region, province, scenarios from verifier where organisation = $1`, [organisation]))[0];
  }

  async acceptanceRules(): Promise<AcceptanceRule[]> {
    const rows = await this.db.query<AcceptanceRule>(`select ${ruleColumns} from acceptance_rule order by id, version`);
    return rows.map((r) => ({ ...r, releasedFields: parseJson(r.releasedFields) }));
  }

  async invalidationRules(): Promise<InvalidationRule[]> {
    return this.db.query<InvalidationRule>(`select ${invalidationColumns} from invalidation_rule order by id, version`);
  }

  async addPresentationCode(row: { jti: string; credentialId: string; holderCode: string; scenario: string | null; expiresAt: Date }): Promise<void> {
    await this.db.query(
      `insert into presentation_code (jti, credential_id, holder_code, scenario, expires_at) values ($1, $2, $3, $4, $5)`,
      [row.jti, row.credentialId, row.holderCode, row.scenario, row.expiresAt.toISOString()],
    );
  }

  async presentationCode(jti: string): Promise<PresentationCodeRow | undefined> {
    return (
      await this.db.query<PresentationCodeRow>(
        `select jti, credential_id as "credentialId", holder_code as "holderCode", scenario,
                expires_at <= now() as expired, consumed_at is not null as consumed
         from presentation_code where jti = $1`,
        [jti],
      )
    )[0];
  }

  /** Marks a code used; false if it was already used or has expired (single use, even under races). */
  async consumePresentationCode(jti: string, by: string): Promise<boolean> {
    const rows = await this.db.query(
      `update presentation_code set consumed_at = now(), consumed_by = $2
       where jti = $1 and consumed_at is null and expires_at > now() returning jti`,
      [jti, by],
    );
    return rows.length === 1;
  }

  async addVerification(v: VerificationRow): Promise<void> {
    await this.db.query(
      `insert into verification (id, code_jti, credential_id, issuing_region, verifier_org, verifier_region, scenario, context,
         verdict, reasons, rule_id, rule_version, disputed, released_fields, trace, usage_recorded, checked_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::text[], $11, $12, $13, $14::jsonb, $15::jsonb, $16, $17::timestamptz)`,
      [v.id, v.codeJti, v.credentialId, v.issuingRegion, v.verifierOrg, v.verifierRegion, v.scenario, JSON.stringify(v.context),
        v.verdict, v.reasons, v.ruleId, v.ruleVersion, v.disputed, JSON.stringify(v.releasedFields), JSON.stringify(v.trace),
        v.usageRecorded, v.checkedAt],
    );
  }

  async verification(id: string): Promise<VerificationRow | undefined> {
    const row = (
      await this.db.query<VerificationRow>(
        `select id, code_jti as "codeJti", credential_id as "credentialId", issuing_region as "issuingRegion",
                verifier_org as "verifierOrg", verifier_region as "verifierRegion", scenario, context, verdict, reasons,
                rule_id as "ruleId", rule_version as "ruleVersion", disputed, released_fields as "releasedFields", trace,
                usage_recorded as "usageRecorded",
                to_char(checked_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "checkedAt"
         from verification where id = $1`,
        [id],
      )
    )[0];
    return row && { ...row, context: parseJson(row.context), releasedFields: parseJson(row.releasedFields), trace: parseJson(row.trace) };
  }

  async hasVerified(verifierOrg: string, credentialId: string): Promise<boolean> {
    const rows = await this.db.query(`select 1 from verification where verifier_org = $1 and credential_id = $2 limit 1`, [verifierOrg, credentialId]);
    return rows.length > 0;
  }

  async queueUsageRecord(verificationId: string, regionCode: string, record: unknown, error: string): Promise<void> {
    await this.db.query(
      `insert into usage_outbox (verification_id, region_code, record, attempts, last_error) values ($1, $2, $3::jsonb, 1, $4)
       on conflict (verification_id) do nothing`,
      [verificationId, regionCode, JSON.stringify(record), error],
    );
  }

  async pendingUsageRecords(limit: number): Promise<{ verificationId: string; regionCode: string; record: unknown }[]> {
    const rows = await this.db.query<{ verificationId: string; regionCode: string; record: unknown }>(
      `select verification_id as "verificationId", region_code as "regionCode", record from usage_outbox
       where delivered_at is null order by created_at limit $1`,
      [limit],
    );
    return rows.map((r) => ({ ...r, record: parseJson(r.record) }));
  }

  async markUsageDelivered(verificationId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`update usage_outbox set delivered_at = now() where verification_id = $1`, [verificationId]);
      await tx.query(`update verification set usage_recorded = true where id = $1`, [verificationId]);
    });
  }

  async markUsageAttemptFailed(verificationId: string, error: string): Promise<void> {
    await this.db.query(`update usage_outbox set attempts = attempts + 1, last_error = $2 where verification_id = $1`, [verificationId, error]);
  }
}
