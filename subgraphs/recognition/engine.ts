/**
 * Decides a verdict from rules held as data: the verifying region's acceptance rules for the
 * scenario, then the issuing province's invalidation rules. Pure: everything it needs is passed
 * in, and it explains every rule it looked at.
 */
import type { AcceptanceRule, FieldRelease, InvalidationRule } from './seed.js';

export type Verdict = 'ACCEPTED' | 'REJECTED' | 'NOT_RECOGNISED' | 'INDETERMINATE';

/**
 * What a rule does with a field it releases while an open dispute (异议) contests the value:
 * release it flagged as disputed, or withhold it (named, flagged, without a value).
 */
export const disputedFieldPolicies = ['RELEASE_FLAGGED', 'WITHHOLD'] as const;
export type DisputedFieldPolicy = (typeof disputedFieldPolicies)[number];

export interface CredentialFacts {
  typeCode: string;
  issuingProvince: string;
  /** Live status name (VALID, SUSPENDED, REVOKED, EXPIRED …), as the issuing registry reports it now. */
  status: string;
  effectiveDate: string;
  expiryDate: string | null;
  superseded: boolean;
  /** Fields an open dispute contests now (absent: none). */
  disputedFields?: readonly string[];
}

export interface VerifierFacts {
  region: string;
  province: string;
}

export interface TraceEntry {
  ruleId: string;
  version: number;
  kind: 'ACCEPTANCE' | 'INVALIDATION';
  applied: boolean;
  detail: string;
}

export interface Decision {
  verdict: Exclude<Verdict, 'INDETERMINATE'>;
  reasons: string[];
  rule: { id: string; version: number } | null;
  releases: FieldRelease[];
  trace: TraceEntry[];
}

/**
 * Rules in force on a date: within their window, from validFrom through validUntil (its last day
 * in force, as a rule officer writes it), and only the highest version of each id.
 */
export function inForce<T extends { id: string; version: number; validFrom: string; validUntil: string | null }>(rules: T[], today: string): T[] {
  const latest = new Map<string, T>();
  for (const rule of rules) {
    if (!isInForceOn(rule, today)) continue;
    const seen = latest.get(rule.id);
    if (!seen || seen.version < rule.version) latest.set(rule.id, rule);
  }
  return [...latest.values()];
}

/** Whether one version's window covers a day: validFrom and validUntil are both days in force. */
export function isInForceOn(rule: { validFrom: string; validUntil: string | null }, day: string): boolean {
  return rule.validFrom <= day && (rule.validUntil === null || day <= rule.validUntil);
}

const statusReason: Record<string, string> = {
  SUSPENDED: 'SUSPENDED',
  REVOKED: 'REVOKED',
  CANCELLED: 'CANCELLED',
  EXPIRED: 'EXPIRED',
  TRANSFERRED_OUT: 'TRANSFERRED_OUT',
  REVOKED_AS_PENALTY: 'REVOKED_AS_PENALTY',
  OTHER: 'OTHER_STATUS',
};

export function decide(input: {
  scenario: string;
  verifier: VerifierFacts;
  credential: CredentialFacts;
  acceptanceRules: AcceptanceRule[];
  invalidationRules: InvalidationRule[];
  today: string;
}): Decision {
  const { scenario, verifier, credential, today } = input;
  const trace: TraceEntry[] = [];
  const applicable: AcceptanceRule[] = [];

  for (const rule of inForce(input.acceptanceRules, today).filter((x) => x.scenario === scenario)) {
    const entry = (applied: boolean, detail: string) =>
      trace.push({ ruleId: rule.id, version: rule.version, kind: 'ACCEPTANCE', applied, detail });
    if (rule.acceptingRegion !== null && rule.acceptingRegion !== verifier.region) {
      entry(false, `accepting region is ${rule.acceptingRegion}, the verifier is in ${verifier.region}`);
    } else if (rule.acceptingProvinces && !rule.acceptingProvinces.includes(verifier.province)) {
      entry(false, `accepting provinces are ${rule.acceptingProvinces.join(', ')}, the verifier is in ${verifier.province}`);
    } else if (rule.credentialType !== credential.typeCode) {
      entry(false, 'the rule is for another credential type');
    } else if (rule.issuingProvinces && !rule.issuingProvinces.includes(credential.issuingProvince)) {
      entry(false, `accepts credentials issued in ${rule.issuingProvinces.join(', ')}, not in ${credential.issuingProvince}`);
    } else {
      applicable.push(rule);
      entry(true, rule.acceptingRegion === null ? 'national rule covers this credential' : 'regional rule covers this credential');
    }
  }

  // A regional rule is more specific than a national one; then the newest version, then the id.
  applicable.sort(
    (a, b) => Number(a.acceptingRegion === null) - Number(b.acceptingRegion === null) || b.version - a.version || a.id.localeCompare(b.id),
  );
  const rule = applicable[0];
  if (!rule) {
    return { verdict: 'NOT_RECOGNISED', reasons: ['NO_RULE'], rule: null, releases: [], trace };
  }
  for (const other of applicable.slice(1)) {
    const e = trace.find((t) => t.ruleId === other.id && t.kind === 'ACCEPTANCE')!;
    e.applied = false;
    e.detail = `covers this credential, but ${rule.id} v${rule.version} is more specific`;
  }

  const reasons: string[] = [];
  if (credential.superseded) reasons.push('SUPERSEDED');
  else if (!rule.acceptedStatuses.includes(credential.status)) reasons.push(statusReason[credential.status] ?? 'OTHER_STATUS');
  if (rule.requireWithinValidity && credential.effectiveDate > today) reasons.push('NOT_YET_VALID');
  if (rule.requireWithinValidity && credential.expiryDate !== null && credential.expiryDate < today && !reasons.includes('EXPIRED')) {
    reasons.push('EXPIRED');
  }

  for (const inv of inForce(input.invalidationRules, today)) {
    const entry = (applied: boolean, detail: string) =>
      trace.push({ ruleId: inv.id, version: inv.version, kind: 'INVALIDATION', applied, detail });
    if (inv.credentialType !== credential.typeCode || !inv.issuingProvinces.includes(credential.issuingProvince)) {
      entry(false, 'published for other credentials');
    } else if (inv.scenarios && !inv.scenarios.includes(scenario)) {
      entry(false, `applies to ${inv.scenarios.join(', ')} only`);
    } else if (!inv.statuses.includes(credential.status)) {
      entry(false, `the credential's status ${credential.status} is not invalidated`);
    } else {
      entry(true, `the issuing province invalidates ${credential.status} credentials for this scenario`);
      reasons.push('INVALIDATED_BY_ISSUER');
    }
  }

  return reasons.length === 0
    ? { verdict: 'ACCEPTED', reasons: [], rule: { id: rule.id, version: rule.version }, releases: releasesOf(rule, credential), trace }
    : { verdict: 'REJECTED', reasons, rule: { id: rule.id, version: rule.version }, releases: [], trace };
}

/**
 * The deciding rule's releases: under WITHHOLD, a field an open dispute contests is marked
 * withheld (the verifier learns the field is contested, not its value); otherwise each field is
 * released as the rule lists it, and the verification flags disputed values.
 */
function releasesOf(rule: AcceptanceRule, credential: CredentialFacts): FieldRelease[] {
  if (rule.disputedFieldPolicy !== 'WITHHOLD') return rule.releasedFields;
  const contested = new Set(credential.disputedFields);
  return rule.releasedFields.map((r) => (contested.has(r.field) ? { ...r, withheld: true } : r));
}
