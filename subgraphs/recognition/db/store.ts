import { parseJsonColumn, type Database, type Queryable } from '../../kit/db.js';
import { Keyset, type PageRequest } from '../../kit/pages.js';
import { regions } from '../../kit/reference.js';
import type { CounterAssistance } from '../../kit/registry/contract.js';
import {
  acceptanceRules,
  invalidationRules,
  scenarios,
  verifiers,
  type AcceptanceRule,
  type FieldRelease,
  type InvalidationRule,
  type Scenario,
  type Verifier,
} from '../seed.js';

const ruleColumns = `id, version, accepting_region as "acceptingRegion", accepting_provinces as "acceptingProvinces",
  scenario, credential_type as "credentialType", issuing_provinces as "issuingProvinces",
  accepted_statuses as "acceptedStatuses", require_within_validity as "requireWithinValidity",
  released_fields as "releasedFields", disputed_field_policy as "disputedFieldPolicy", valid_from::text as "validFrom", valid_until::text as "validUntil", legal_basis as "legalBasis"`;

const invalidationColumns = `id, version, issuing_provinces as "issuingProvinces", credential_type as "credentialType",
  scenarios, statuses, valid_from::text as "validFrom", valid_until::text as "validUntil", legal_basis as "legalBasis"`;

/** Who published a version of a rule, when and why; versions loaded from reference data have no publisher. */
export interface RulePublication {
  source: 'REFERENCE_DATA' | 'OFFICER';
  publishedAt: string | null;
  subject: string | null;
  organisation: string | null;
  /** A region code, or `national` for the national rule office. */
  region: string | null;
  reason: string | null;
}

/** Who retired a rule, from which day and why. */
export interface RuleRetirement {
  retiredAt: string;
  /** The first day the rule is no longer in force. */
  effectiveFrom: string;
  subject: string;
  organisation: string;
  region: string;
  reason: string;
}

/** A rule version as stored, with its publication and (when retired) its retirement. */
export type Recorded<T> = T & { publication: RulePublication; retirement: RuleRetirement | null };

type RuleTable = 'acceptance_rule' | 'invalidation_rule';

/** A rule's versions are paged newest first, by version number; one keyset per kind of rule, so a cursor of one is refused by the other. */
export const acceptanceRuleVersionPages = new Keyset('acceptance-rule-versions', ['int'] as const);
export const invalidationRuleVersionPages = new Keyset('invalidation-rule-versions', ['int'] as const);
export type RuleVersionPage = PageRequest<readonly ['int']>;

/** What a rule officer's change writes, inside the transaction that holds the rule id. */
export interface RuleWriter<R> {
  addVersion(rule: R, publication: RulePublication): Promise<void>;
  /**
   * Ends every version of the id still in force on `firstDayOut` or later on the day before it
   * (a version that had not started yet never comes into force); returns their version numbers.
   * With a retirement, each of them records it.
   */
  endVersionsFrom(firstDayOut: string, retirement?: RuleRetirement): Promise<number[]>;
}

const publicationValues = (p: RulePublication) => [p.publishedAt, p.subject, p.organisation, p.region, p.reason];

async function lockRule(tx: Queryable, table: RuleTable, id: string): Promise<void> {
  await tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [`${table}:${id}`]);
}

async function endVersionsFrom(tx: Queryable, table: RuleTable, id: string, firstDayOut: string, retirement?: RuleRetirement): Promise<number[]> {
  const r = retirement;
  const rows = await tx.query<{ version: number }>(
    `update ${table} set valid_until = $2::date - 1,
       retired_at = coalesce($3::timestamptz, retired_at), retired_from = coalesce($4::date, retired_from),
       retired_by_subject = coalesce($5, retired_by_subject), retired_by_org = coalesce($6, retired_by_org),
       retired_by_region = coalesce($7, retired_by_region), retirement_reason = coalesce($8, retirement_reason)
     where id = $1 and (valid_until is null or valid_until >= $2::date)
     returning version`,
    [id, firstDayOut, r?.retiredAt ?? null, r?.effectiveFrom ?? null, r?.subject ?? null, r?.organisation ?? null, r?.region ?? null, r?.reason ?? null],
  );
  return rows.map((row) => row.version).sort((a, b) => a - b);
}

const provenanceColumns = `published_at, published_by_subject, published_by_org, published_by_region, publication_reason,
  retired_at, retired_from::text as retired_from, retired_by_subject, retired_by_org, retired_by_region, retirement_reason`;

interface ProvenanceRow {
  published_at: Date | string | null;
  published_by_subject: string | null;
  published_by_org: string | null;
  published_by_region: string | null;
  publication_reason: string | null;
  retired_at: Date | string | null;
  retired_from: string | null;
  retired_by_subject: string | null;
  retired_by_org: string | null;
  retired_by_region: string | null;
  retirement_reason: string | null;
}

const isoOf = (v: Date | string) => new Date(v).toISOString();

function recorded<T extends object>(row: T & ProvenanceRow): Recorded<T> {
  const {
    published_at, published_by_subject, published_by_org, published_by_region, publication_reason,
    retired_at, retired_from, retired_by_subject, retired_by_org, retired_by_region, retirement_reason, ...rule
  } = row;
  return {
    ...(rule as unknown as T),
    publication: {
      source: published_at === null ? 'REFERENCE_DATA' : 'OFFICER',
      publishedAt: published_at === null ? null : isoOf(published_at),
      subject: published_by_subject,
      organisation: published_by_org,
      region: published_by_region,
      reason: publication_reason,
    },
    retirement:
      retired_at === null
        ? null
        : {
            retiredAt: isoOf(retired_at),
            effectiveFrom: retired_from!,
            subject: retired_by_subject!,
            organisation: retired_by_org!,
            region: retired_by_region!,
            reason: retirement_reason!,
          },
  };
}

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
  /** The presentation code used; null for a counter-assisted verification, which has none. */
  codeJti: string | null;
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
  /** The fields with an open dispute at the time of the check (empty for verifications stored before they were kept). */
  disputedFields: string[];
  /**
   * `labelZh` and `masked` are absent from verifications stored before they were kept; `withheld`
   * is present only on a field the rule withheld because an open dispute contests it.
   */
  releasedFields: { field: string; label: string; labelZh?: string; value: string | null; retain: boolean; masked?: boolean; disputed?: boolean; withheld?: boolean }[];
  trace: unknown[];
  usageRecorded: boolean;
  checkedAt: string;
  /** Absent for a presentation code (every verification before counters); set at a registered counter. */
  channel?: 'COUNTER_ASSISTED';
  /** At a registered counter: the identity document checked and the staff member who took the holder's consent. */
  counterAssistance?: CounterAssistance;
}

const verifierColumns = `organisation, name, region, province, scenarios, registered_counter as "registeredCounter"`;
type VerifierRow = Omit<Verifier, 'registeredCounter'> & { registeredCounter: boolean };
/** A registration as the seed writes it: `registeredCounter` only on counters. */
function verifierOf({ registeredCounter, ...v }: VerifierRow): Verifier {
  return registeredCounter ? { ...v, registeredCounter: true } : v;
}

/** A stored rule as the engine reads it: the default policy for disputed fields is left unsaid, as in rules written before it existed. */
function acceptanceRuleOf<R extends AcceptanceRule>(row: R): R {
  if (row.disputedFieldPolicy !== 'RELEASE_FLAGGED') return row;
  const { disputedFieldPolicy: _default, ...rule } = row;
  return rule as R;
}


/** What every verification decides with; shared by the requests of a process, never changed. */
export interface ReferenceData {
  readonly scenarios: Scenario[];
  readonly verifiers: Verifier[];
  readonly verifiersByOrganisation: ReadonlyMap<string, Verifier>;
  readonly acceptanceRules: AcceptanceRule[];
  readonly invalidationRules: InvalidationRule[];
}

export class RecognitionStore {
  private cachedReference?: { generation: string; data: ReferenceData };

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
        // Which verifiers are registered counters is the reference data's to say, at every start:
        // nothing else writes it.
        await tx.query(
          `insert into verifier (organisation, name, region, province, scenarios, registered_counter) values ($1, $2, $3, $4, $5::text[], $6)
           on conflict (organisation) do update set registered_counter = excluded.registered_counter`,
          [v.organisation, v.name, v.region, v.province, v.scenarios, v.registeredCounter ?? false],
        );
      }
      for (const r of acceptanceRules) {
        await tx.query(
          `insert into acceptance_rule (id, version, accepting_region, accepting_provinces, scenario, credential_type,
             issuing_provinces, accepted_statuses, require_within_validity, released_fields, valid_from, valid_until, legal_basis,
             disputed_field_policy)
           values ($1, $2, $3, $4::text[], $5, $6, $7::text[], $8::text[], $9, $10::jsonb, $11::date, $12::date, $13, $14)
           on conflict (id, version) do nothing`,
          [r.id, r.version, r.acceptingRegion, r.acceptingProvinces, r.scenario, r.credentialType, r.issuingProvinces,
            r.acceptedStatuses, r.requireWithinValidity, JSON.stringify(r.releasedFields), r.validFrom, r.validUntil, r.legalBasis,
            r.disputedFieldPolicy ?? 'RELEASE_FLAGGED'],
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

  /**
   * The scenarios, verifiers and rules as of now, read again only when `reference_generation`
   * has moved (migration 008): one small statement while they are unchanged.
   */
  async reference(): Promise<ReferenceData> {
    const [row] = await this.db.query<{ generation: string | number }>(`select generation from reference_generation`);
    const generation = String(row!.generation);
    if (this.cachedReference?.generation === generation) return this.cachedReference.data;
    const verifiers = (await this.db.query<VerifierRow>(`select ${verifierColumns} from verifier order by region, name`)).map(verifierOf);
    const data: ReferenceData = {
      scenarios: await this.db.query<Scenario>(`select code, name, name_zh as "nameZh", service_item_code as "serviceItemCode" from scenario order by code`),
      verifiers,
      verifiersByOrganisation: new Map(verifiers.map((v) => [v.organisation, v])),
      acceptanceRules: (await this.db.query<AcceptanceRule>(`select ${ruleColumns} from acceptance_rule order by id, version`)).map((r) =>
        acceptanceRuleOf({ ...r, releasedFields: parseJsonColumn(r.releasedFields) }),
      ),
      invalidationRules: await this.db.query<InvalidationRule>(`select ${invalidationColumns} from invalidation_rule order by id, version`),
    };
    // Read after the generation: a change committed in between is labelled older and read again next time.
    this.cachedReference = { generation, data };
    return data;
  }

  async scenarios(): Promise<Scenario[]> {
    return (await this.reference()).scenarios;
  }

  async verifiers(): Promise<Verifier[]> {
    return (await this.reference()).verifiers;
  }

  async verifier(organisation: string): Promise<Verifier | undefined> {
    return (await this.reference()).verifiersByOrganisation.get(organisation);
  }

  async acceptanceRules(): Promise<AcceptanceRule[]> {
    return (await this.reference()).acceptanceRules;
  }

  async invalidationRules(): Promise<InvalidationRule[]> {
    return (await this.reference()).invalidationRules;
  }

  /** Acceptance rules with who published and retired each version; one id's versions only when `id` is given. */
  async acceptanceRuleRecords(id?: string, db: Queryable = this.db): Promise<Recorded<AcceptanceRule>[]> {
    const rows = await db.query<AcceptanceRule & ProvenanceRow>(
      `select ${ruleColumns}, ${provenanceColumns} from acceptance_rule where ($1::text is null or id = $1) order by id, version`,
      [id ?? null],
    );
    return rows.map((r) => recorded(acceptanceRuleOf({ ...r, releasedFields: parseJsonColumn<FieldRelease[]>(r.releasedFields) })));
  }

  /** Invalidation rules with who published and retired each version; one id's versions only when `id` is given. */
  async invalidationRuleRecords(id?: string, db: Queryable = this.db): Promise<Recorded<InvalidationRule>[]> {
    const rows = await db.query<InvalidationRule & ProvenanceRow>(
      `select ${invalidationColumns}, ${provenanceColumns} from invalidation_rule where ($1::text is null or id = $1) order by id, version`,
      [id ?? null],
    );
    return rows.map((r) => recorded(r));
  }

  /** One page of an acceptance rule's versions, newest first: a backward range of the primary key (id, version). */
  async acceptanceRuleVersions(id: string, page: RuleVersionPage): Promise<Recorded<AcceptanceRule>[]> {
    const rows = await this.db.query<AcceptanceRule & ProvenanceRow>(
      `select ${ruleColumns}, ${provenanceColumns} from acceptance_rule
       where id = $1 and version < coalesce($2::int, 2147483647) order by version desc limit $3`,
      [id, page.after?.[0] ?? null, page.limit],
    );
    return rows.map((r) => recorded(acceptanceRuleOf({ ...r, releasedFields: parseJsonColumn<FieldRelease[]>(r.releasedFields) })));
  }

  /** One page of an invalidation rule's versions, newest first. */
  async invalidationRuleVersions(id: string, page: RuleVersionPage): Promise<Recorded<InvalidationRule>[]> {
    const rows = await this.db.query<InvalidationRule & ProvenanceRow>(
      `select ${invalidationColumns}, ${provenanceColumns} from invalidation_rule
       where id = $1 and version < coalesce($2::int, 2147483647) order by version desc limit $3`,
      [id, page.after?.[0] ?? null, page.limit],
    );
    return rows.map((r) => recorded(r));
  }

  /** How many versions a rule has. */
  async ruleVersionCount(table: 'acceptance' | 'invalidation', id: string): Promise<number> {
    const rows = await this.db.query<{ n: number }>(`select count(*)::int as n from ${table}_rule where id = $1`, [id]);
    return rows[0]!.n;
  }

  /**
   * A rule officer's change of one acceptance rule id, in one transaction that holds the id: two
   * officers publishing the same id at once get versions one after the other, never the same
   * number. `change` reads the id's versions and writes through the writer.
   */
  changeAcceptanceRule<T>(id: string, change: (versions: Recorded<AcceptanceRule>[], writer: RuleWriter<AcceptanceRule>) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await lockRule(tx, 'acceptance_rule', id);
      const writer: RuleWriter<AcceptanceRule> = {
        async addVersion(r, p) {
          await tx.query(
            `insert into acceptance_rule (id, version, accepting_region, accepting_provinces, scenario, credential_type,
               issuing_provinces, accepted_statuses, require_within_validity, released_fields, valid_from, valid_until, legal_basis,
               published_at, published_by_subject, published_by_org, published_by_region, publication_reason, disputed_field_policy)
             values ($1, $2, $3, $4::text[], $5, $6, $7::text[], $8::text[], $9, $10::jsonb, $11::date, $12::date, $13,
               $14::timestamptz, $15, $16, $17, $18, $19)`,
            [r.id, r.version, r.acceptingRegion, r.acceptingProvinces, r.scenario, r.credentialType, r.issuingProvinces,
              r.acceptedStatuses, r.requireWithinValidity, JSON.stringify(r.releasedFields), r.validFrom, r.validUntil, r.legalBasis,
              ...publicationValues(p), r.disputedFieldPolicy ?? 'RELEASE_FLAGGED'],
          );
        },
        endVersionsFrom: (firstDayOut, retirement) => endVersionsFrom(tx, 'acceptance_rule', id, firstDayOut, retirement),
      };
      return change(await this.acceptanceRuleRecords(id, tx), writer);
    });
  }

  /** As changeAcceptanceRule, for an invalidation rule id. */
  changeInvalidationRule<T>(id: string, change: (versions: Recorded<InvalidationRule>[], writer: RuleWriter<InvalidationRule>) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await lockRule(tx, 'invalidation_rule', id);
      const writer: RuleWriter<InvalidationRule> = {
        async addVersion(r, p) {
          await tx.query(
            `insert into invalidation_rule (id, version, issuing_provinces, credential_type, scenarios, statuses, valid_from, valid_until,
               legal_basis, published_at, published_by_subject, published_by_org, published_by_region, publication_reason)
             values ($1, $2, $3::text[], $4, $5::text[], $6::text[], $7::date, $8::date, $9, $10::timestamptz, $11, $12, $13, $14)`,
            [r.id, r.version, r.issuingProvinces, r.credentialType, r.scenarios, r.statuses, r.validFrom, r.validUntil, r.legalBasis,
              ...publicationValues(p)],
          );
        },
        endVersionsFrom: (firstDayOut, retirement) => endVersionsFrom(tx, 'invalidation_rule', id, firstDayOut, retirement),
      };
      return change(await this.invalidationRuleRecords(id, tx), writer);
    });
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

  async addVerification(v: VerificationRow): Promise<void> {
    await insertVerification(this.db, v);
  }

  async verification(id: string): Promise<VerificationRow | undefined> {
    const row = (
      await this.db.query<VerificationRow>(
        `select id, code_jti as "codeJti", credential_id as "credentialId", issuing_region as "issuingRegion",
                verifier_org as "verifierOrg", verifier_region as "verifierRegion", scenario, context, verdict, reasons,
                rule_id as "ruleId", rule_version as "ruleVersion", disputed, disputed_fields as "disputedFields", released_fields as "releasedFields", trace,
                usage_recorded as "usageRecorded",
                to_char(checked_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "checkedAt",
                channel, counter_assistance as "counterAssistance"
         from verification where id = $1`,
        [id],
      )
    )[0];
    if (!row) return undefined;
    const { channel, counterAssistance, ...rest } = row as VerificationRow & { channel: string; counterAssistance: unknown };
    const verification = { ...rest, context: parseJsonColumn<Record<string, string>>(rest.context), releasedFields: parseJsonColumn<VerificationRow['releasedFields']>(rest.releasedFields), trace: parseJsonColumn<unknown[]>(rest.trace) };
    return channel === 'COUNTER_ASSISTED' ? { ...verification, channel, counterAssistance: parseJsonColumn<CounterAssistance>(counterAssistance) } : verification;
  }

  async hasVerified(verifierOrg: string, credentialId: string): Promise<boolean> {
    const rows = await this.db.query(`select 1 from verification where verifier_org = $1 and credential_id = $2 limit 1`, [verifierOrg, credentialId]);
    return rows.length > 0;
  }

  /**
   * Records a decided verification in one transaction: the code is consumed in the verifier's
   * name, the verification stored and its usage record queued for the issuing registry, all or
   * nothing. The record is held back from the relay for `holdForMs` while the verification tries
   * to deliver it itself. Nothing is written when the code was used or expired meanwhile.
   */
  async recordVerification(v: VerificationRow, usage: { regionCode: string; record: unknown; holdForMs: number }): Promise<'recorded' | 'used' | 'expired'> {
    // One statement, so all or nothing without a transaction's extra round trips. A counter-assisted
    // verification ($2 null) has no code to consume: the holder consented in person. The outcome
    // reads the code as the statement began: a code consumed by a racing verification was unconsumed
    // and unexpired then, so it is called used.
    const [row] = await this.db.query<{ outcome: 'recorded' | 'used' | 'expired' }>(
      `with consumed as (
         update presentation_code set consumed_at = now(), consumed_by = $5
         where $2::text is not null and jti = $2 and consumed_at is null and expires_at > now() returning jti
       ), allowed as (
         select $2::text is null or exists (select 1 from consumed) as ok
       ), stored as (
         insert into verification (${verificationColumns})
         select ${verificationValues} from allowed where ok returning id
       ), queued as (
         insert into usage_outbox (verification_id, region_code, record, next_attempt_at)
         select $1, $21, $22::jsonb, now() + $23 * interval '1 millisecond' from allowed where ok
       )
       select case when (select ok from allowed) then 'recorded'
         when exists (select 1 from presentation_code where jti = $2 and consumed_at is null and expires_at <= now()) then 'expired'
         else 'used' end as outcome`,
      [...verificationParams(v), usage.regionCode, JSON.stringify(usage.record), Math.max(0, Math.round(usage.holdForMs))],
    );
    return row!.outcome;
  }

  /** Queues a usage record whose first delivery failed (the verification is stored separately). */
  async queueUsageRecord(verificationId: string, regionCode: string, record: unknown, error: string): Promise<void> {
    await this.db.query(
      `insert into usage_outbox (verification_id, region_code, record, attempts, last_error) values ($1, $2, $3::jsonb, 1, $4)
       on conflict (verification_id) do nothing`,
      [verificationId, regionCode, JSON.stringify(record), error],
    );
  }

  /** Every pending record, oldest first (ties in queueing order), held or not. */
  async pendingUsageRecords(limit: number): Promise<PendingUsageRecord[]> {
    const rows = await this.db.query<PendingUsageRecord>(
      `select verification_id as "verificationId", region_code as "regionCode", record from usage_outbox
       where delivered_at is null order by created_at, seq limit $1`,
      [limit],
    );
    return rows.map((r) => ({ ...r, record: parseJsonColumn(r.record) }));
  }

  /**
   * One registry's pending records, oldest first: those due now, or with `all` every one, held
   * or not (a forced delivery).
   */
  async usageRecordsToDeliver(regionCode: string, limit: number, all = false): Promise<PendingUsageRecord[]> {
    const rows = await this.db.query<PendingUsageRecord>(
      `select verification_id as "verificationId", region_code as "regionCode", record from usage_outbox
       where region_code = $1 and delivered_at is null and ($3 or next_attempt_at <= now())
       order by created_at, seq limit $2`,
      [regionCode, limit, all],
    );
    return rows.map((r) => ({ ...r, record: parseJsonColumn(r.record) }));
  }

  /** Registries with pending records; with `dueOnly`, only those with a record due that are not backing off. */
  async usageRegions(dueOnly: boolean): Promise<string[]> {
    const rows = await this.db.query<{ regionCode: string }>(
      `select o.region_code as "regionCode" from usage_outbox o
       left join usage_relay_region r on r.region_code = o.region_code
       where o.delivered_at is null
         and (not $1 or (o.next_attempt_at <= now() and (r.next_attempt_at is null or r.next_attempt_at <= now())))
       group by o.region_code order by o.region_code`,
      [dueOnly],
    );
    return rows.map((r) => r.regionCode);
  }

  async pendingUsageCount(): Promise<number> {
    return (await this.db.query<{ n: number }>(`select count(*)::int as n from usage_outbox where delivered_at is null`))[0]!.n;
  }

  /** The registry has stored the record: out of the queue, the verification marked, and its registry's backoff reset. */
  async markUsageDelivered(verificationId: string): Promise<void> {
    // One statement (all or nothing); a registry's row is written only when it has a backoff to reset.
    await this.db.query(
      `with delivered as (
         update usage_outbox set delivered_at = now() where verification_id = $1 and delivered_at is null returning region_code
       ), marked as (
         update verification set usage_recorded = true where id = $1
       )
       update usage_relay_region set failures = 0, last_error = null, last_failure_at = null, next_attempt_at = null
       where region_code in (select region_code from delivered)
         and (failures <> 0 or last_error is not null or last_failure_at is not null or next_attempt_at is not null)`,
      [verificationId],
    );
  }

  /** One failed delivery of a record: counted, with its error; no longer held back. */
  async markUsageAttemptFailed(verificationId: string, error: string): Promise<void> {
    await this.db.query(
      `update usage_outbox set attempts = attempts + 1, last_error = $2, next_attempt_at = least(next_attempt_at, now())
       where verification_id = $1`,
      [verificationId, error],
    );
  }

  /**
   * A failed delivery to a registry: one more consecutive failure, and no attempt before the
   * delay `backoff` gives for that many failures. Returns the failures and the delay.
   */
  async usageRegionFailed(regionCode: string, error: string, backoff: (failures: number) => number): Promise<{ failures: number; delayInMs: number }> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ failures: number }>(
        `insert into usage_relay_region (region_code, failures, last_error, last_failure_at) values ($1, 1, $2, now())
         on conflict (region_code) do update set failures = usage_relay_region.failures + 1, last_error = $2, last_failure_at = now()
         returning failures`,
        [regionCode, error],
      );
      const delayInMs = Math.max(0, Math.round(backoff(row!.failures)));
      await tx.query(`update usage_relay_region set next_attempt_at = now() + $2 * interval '1 millisecond' where region_code = $1`, [regionCode, delayInMs]);
      return { failures: row!.failures, delayInMs };
    });
  }

  /**
   * The queue of each registry (every region Hutong knows, and any other with records): how many
   * records wait, since when, when the relay will next try, and the last delivery error.
   */
  async usageBacklog(): Promise<Record<string, UsageBacklog>> {
    const rows = await this.db.query<UsageBacklog & { regionCode: string }>(
      `with pending as (
         select region_code, count(*)::int as pending, min(created_at) as oldest, min(next_attempt_at) as due
         from usage_outbox where delivered_at is null group by region_code
       ), known as (
         select region_code from pending union select region_code from usage_relay_region union select unnest($1::text[])
       )
       select k.region_code as "regionCode", coalesce(p.pending, 0) as pending,
              ${isoTime('p.oldest')} as "oldestQueuedAt",
              case when p.pending is null then null else ${isoTime('greatest(p.due, r.next_attempt_at)')} end as "nextAttemptAt",
              r.last_error as "lastError"
       from known k left join pending p on p.region_code = k.region_code left join usage_relay_region r on r.region_code = k.region_code
       order by k.region_code`,
      [regions.map((r) => r.code)],
    );
    return Object.fromEntries(rows.map(({ regionCode, ...figures }) => [regionCode, figures]));
  }
}

export interface PendingUsageRecord {
  verificationId: string;
  regionCode: string;
  record: unknown;
}

export interface UsageBacklog {
  pending: number;
  oldestQueuedAt: string | null;
  nextAttemptAt: string | null;
  lastError: string | null;
}

const isoTime = (column: string) => `to_char((${column}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const verificationColumns = `id, code_jti, credential_id, issuing_region, verifier_org, verifier_region, scenario, context,
  verdict, reasons, rule_id, rule_version, disputed, released_fields, trace, usage_recorded, checked_at, disputed_fields,
  channel, counter_assistance`;
/** Placeholders $1–$20 of `verificationParams`. */
const verificationValues = `$1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::text[], $11, $12::int, $13::boolean, $14::jsonb, $15::jsonb, $16::boolean,
  $17::timestamptz, $18::text[], $19, $20::jsonb`;

function verificationParams(v: VerificationRow): unknown[] {
  return [v.id, v.codeJti, v.credentialId, v.issuingRegion, v.verifierOrg, v.verifierRegion, v.scenario, JSON.stringify(v.context),
    v.verdict, v.reasons, v.ruleId, v.ruleVersion, v.disputed, JSON.stringify(v.releasedFields), JSON.stringify(v.trace),
    v.usageRecorded, v.checkedAt, v.disputedFields, v.channel ?? 'PRESENTATION_CODE',
    v.counterAssistance ? JSON.stringify(v.counterAssistance) : null];
}

async function insertVerification(db: Queryable, v: VerificationRow): Promise<void> {
  await db.query(`insert into verification (${verificationColumns}) values (${verificationValues})`, verificationParams(v));
}
