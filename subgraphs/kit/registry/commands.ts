/**
 * The issuer's commands on a registry: issue, suspend, restore, revoke, cancel, correct. Each runs
 * in one transaction that also writes the catalogue outbox and the credential's event history,
 * so the national index and the audit trail follow every change.
 */
import { randomBytes } from 'node:crypto';
import type { Caller } from '../auth/caller.js';
import type { Database, Queryable } from '../db.js';
import { badInput, forbidden, notFound } from '../errors.js';
import { parseCredentialId } from '../routing.js';
import { checkFreeText } from '../text.js';
import { buildLicenceId, parseCitizenId, parseLicenceId, parseUscc } from '../identifiers/index.js';
import { credentialTypeByCode, credentialTypes, regionOfIssuer, statusCodes, type Region, type StatusCode } from '../reference.js';
import type { CredentialRecord } from '../seed/credentials.js';
import { RecordStore, type Dispute } from './records.js';
import { CredentialStore } from './store.js';

export type LifecycleAction = 'SUSPEND' | 'RESTORE' | 'REVOKE' | 'CANCEL';

/** Which stored statuses each action may start from, and where it leads. */
const transitions: Record<LifecycleAction, { from: StatusCode[]; to: StatusCode }> = {
  SUSPEND: { from: ['01'], to: '02' },
  RESTORE: { from: ['02'], to: '01' },
  REVOKE: { from: ['01', '02'], to: '03' },
  CANCEL: { from: ['01', '02', '05'], to: '04' },
};

/** Fields a correction may change; `face.<key>` for face fields. */
const correctable = new Set(['holderName', 'number', 'expiryDate', 'areaCode']);

/** Longest corrected value per field, as at issue; face values and others up to 500. */
const correctionLimits: Record<string, number> = { holderName: 100, number: 100 };

export interface IssueInput {
  typeCode: string;
  holderCode: string;
  holderName: string;
  number?: string;
  issueDate: string;
  effectiveDate?: string;
  expiryDate?: string | null;
  areaCode: string;
  faceFields?: { key: string; value: string }[];
}

export class RegistryCommands {
  constructor(
    private readonly db: Database,
    private readonly region: Region,
  ) {}

  /** Only an issuer of this region may write to it. */
  assertIssuer(caller: Caller): asserts caller is Caller & { organisation: string } {
    if (caller.role !== 'issuer') throw forbidden('Only an issuer may change credentials.');
    if (caller.region !== this.region.code) {
      throw forbidden(`Issuers of ${caller.region ?? 'another region'} may not write to the ${this.region.name} registry.`);
    }
  }

  async changeStatus(caller: Caller, id: string, action: LifecycleAction, reason: string): Promise<CredentialRecord> {
    this.assertIssuer(caller);
    requireReason(reason);
    return this.db.transaction(async (tx) => {
      await CredentialStore.lockOutbox(tx);
      const current = await this.mustFind(tx, id);
      const t = transitions[action];
      if (!t.from.includes(current.status)) {
        throw badInput(`Cannot ${action.toLowerCase()} a credential whose status is ${statusCodes[current.status]}.`, {
          reason: 'INVALID_TRANSITION',
        });
      }
      await tx.query('update credential set status = $2, updated_at = now() where id = $1', [id, t.to]);
      await recordEvent(tx, caller, id, action, current.status, t.to, reason);
      await CredentialStore.writeOutbox(tx, [{ ...current, status: t.to }]);
      return { ...current, status: t.to };
    });
  }

  async issue(caller: Caller, input: IssueInput): Promise<CredentialRecord> {
    this.assertIssuer(caller);
    const type = credentialTypeByCode(input.typeCode);
    if (!type) throw badInput(`Unknown credential type ${input.typeCode}; see credentialTypes.`, { reason: 'UNKNOWN_TYPE' });
    const issuer = parseUscc(caller.organisation);
    if (!issuer.ok || regionOfIssuer(caller.organisation!, issuer.provinceCode)?.code !== this.region.code) {
      throw forbidden('The issuing authority in the token is not an authority of this region.');
    }
    const holder = type.holderType === '111' ? parseCitizenId(input.holderCode) : parseUscc(input.holderCode);
    if (!holder.ok) throw badInput(`Invalid holder code for ${type.name}: ${holder.reason}`, { reason: 'INVALID_HOLDER_CODE' });
    checkDate('issueDate', input.issueDate);
    // Only absent (undefined or null) means "not given": an empty string is a bad date, not a default.
    if (input.effectiveDate != null) checkDate('effectiveDate', input.effectiveDate);
    if (input.expiryDate != null) checkDate('expiryDate', input.expiryDate);
    checkFreeText('holderName', input.holderName, 100);
    if (input.number !== undefined) checkFreeText('number', input.number, 100);
    checkAreaCode(input.areaCode);
    const face: Record<string, string> = {};
    for (const f of input.faceFields ?? []) {
      if (!type.faceFields.some((d) => d.key === f.key)) throw badInput(`${type.name} has no face field ${f.key}.`);
      checkFreeText(f.key, f.value, 500);
      face[f.key] = f.value;
    }
    const serial = `${input.issueDate.slice(0, 4)}${randomBytes(5).toString('hex').toUpperCase()}`;
    const record: CredentialRecord = {
      id: buildLicenceId({ typeCode: type.code, issuerCode: caller.organisation, serial, version: '001' }),
      typeCode: type.code,
      serial,
      version: 1,
      number: input.number ?? input.holderCode,
      name: type.nameZh,
      issuerCode: caller.organisation,
      issuerName: caller.organisationName ?? caller.organisation,
      issueDate: input.issueDate,
      effectiveDate: input.effectiveDate ?? input.issueDate,
      expiryDate: input.expiryDate ?? null,
      areaCode: input.areaCode,
      holderName: input.holderName,
      holderCode: input.holderCode,
      holderType: type.holderType,
      status: '01',
      face,
    };
    await this.db.transaction(async (tx) => {
      await CredentialStore.lockOutbox(tx);
      await CredentialStore.insert(tx, [record]);
      await recordEvent(tx, caller, record.id, 'ISSUE', null, '01', 'issued');
    });
    return record;
  }

  /**
   * Issues a corrected new version (a new identifier with the next version number); the old
   * record is marked superseded. Resolves the dispute that asked for it, if one is named.
   */
  async correct(
    caller: Caller,
    id: string,
    changes: { field: string; value: string }[],
    reason: string,
    disputeId?: string,
  ): Promise<CredentialRecord> {
    this.assertIssuer(caller);
    requireReason(reason);
    if (changes.length === 0) throw badInput('A correction needs at least one change.');
    return this.db.transaction(async (tx) => {
      await CredentialStore.lockOutbox(tx);
      const current = await this.mustFind(tx, id);
      if (current.supersededBy) throw badInput(`Credential ${id} was already corrected; correct ${current.supersededBy}.`);
      const next: CredentialRecord = { ...current, face: { ...current.face } };
      // A type withdrawn from the catalogue has no face field left to correct.
      // Stryker disable next-line ArrayDeclaration: a made-up entry in the fallback list names no field a caller sends
      const faceKeys = credentialTypeByCode(current.typeCode)?.faceFields.map((f) => f.key) ?? [];
      for (const { field, value } of changes) {
        checkFreeText(field, value, correctionLimits[field] ?? 500);
        if (field.startsWith('face.') && faceKeys.includes(field.slice(5))) next.face[field.slice(5)] = value;
        else if (correctable.has(field)) {
          // A correction must not store what issuing would refuse.
          if (field === 'expiryDate') checkDate(field, value);
          if (field === 'areaCode') checkAreaCode(value);
          (next as unknown as Record<string, string>)[field] = value;
        } else throw badInput(`Field ${field} cannot be corrected.`, { reason: 'NOT_CORRECTABLE' });
      }
      const parsed = parseLicenceId(current.id);
      // Stryker disable next-line all: stored identifiers always parse; the guard only narrows the type
      if (!parsed.ok) throw new Error(`stored identifier ${current.id} does not parse`);
      next.version = current.version + 1;
      next.id = buildLicenceId({ ...parsed.parts, version: String(next.version).padStart(3, '0') });
      delete (next as { supersededBy?: string }).supersededBy;
      await CredentialStore.insert(tx, [next]);
      await tx.query(`update credential set status = '99', superseded_by = $2, updated_at = now() where id = $1`, [id, next.id]);
      await CredentialStore.writeOutbox(tx, [{ ...current, status: '99' }]);
      await recordEvent(tx, caller, id, 'CORRECT', current.status, '99', `${reason} (superseded by ${next.id})`);
      await recordEvent(tx, caller, next.id, 'ISSUE', null, next.status, `corrected version of ${id}`);
      // Stryker disable next-line ConditionalExpression: resolving an absent dispute id updates no row either way
      if (disputeId) await RecordStore.resolveDispute(tx, disputeId, 'CORRECTED', reason, next.id);
      return next;
    });
  }

  async rejectDispute(caller: Caller, disputeId: string, reason: string): Promise<Dispute> {
    this.assertIssuer(caller);
    requireReason(reason);
    const records = new RecordStore(this.db);
    const dispute = await records.dispute(disputeId);
    if (!dispute) throw notFound(`No dispute ${disputeId} in the ${this.region.name} registry.`);
    if (dispute.status !== 'OPEN') throw badInput(`Dispute ${disputeId} is already ${dispute.status}.`, { reason: 'DISPUTE_CLOSED' });
    await this.db.transaction((tx) => RecordStore.resolveDispute(tx, disputeId, 'REJECTED', reason, null));
    return (await records.dispute(disputeId))!;
  }

  private async mustFind(tx: Queryable, id: string): Promise<CredentialRecord & { supersededBy?: string | null }> {
    parseCredentialId(id); // a malformed identifier is the caller's mistake, said as the catalogue says it
    const [found] = await new CredentialStore(tx).findByIds([id]);
    if (!found) throw notFound(`No credential with identifier ${id} in the ${this.region.name} registry.`);
    return found;
  }
}

async function recordEvent(
  tx: Queryable,
  caller: Caller,
  credentialId: string,
  action: string,
  from: string | null,
  to: string | null,
  reason: string,
): Promise<void> {
  await tx.query(
    `insert into credential_event (credential_id, action, from_status, to_status, reason, actor_org, actor)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [credentialId, action, from, to, reason, caller.organisation ?? null, caller.subject ?? null],
  );
}

function requireReason(reason: string): void {
  checkFreeText('reason', reason, 500);
}


function checkAreaCode(value: string): void {
  if (!/^\d{6}$/.test(value)) throw badInput('areaCode must be a 6-digit division code.');
}

function checkDate(field: string, value: string): void {
  const refusal = () => badInput(`${field} must be a date as YYYY-MM-DD.`);
  // A cheap early refusal of anything shaped otherwise; the round trip below refuses all of it too.
  // Stryker disable next-line all: equivalent, the round-trip check refuses whatever a weaker pattern lets through
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw refusal();
  // Date.parse rolls 2024-02-30 over to 1 March: only a round trip to the same text is a calendar date.
  const at = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== value) throw refusal();
}

export const knownTypeCodes = () => credentialTypes.map((t) => t.code);
