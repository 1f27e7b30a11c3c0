/**
 * Rules managed by their owners (规则由各自主管部门发布): a region's rule officers publish new
 * versions of its acceptance and invalidation rules and retire them through the graph; the
 * national rule office does the same for national acceptance rules. Nothing is rewritten: a new
 * version closes its predecessor on the day before it starts, a retirement ends the version in
 * force on the day before it takes effect, and every version keeps who published it, when and why.
 *
 * Who may write what:
 * - a regional officer: acceptance rules accepting in its own region (accepting provinces among
 *   its own), and invalidation rules for credentials issued in its own provinces;
 * - the national rule office: national acceptance rules (no accepting region) only;
 * - a rule id belongs to whoever published it first (for reference data: the accepting region,
 *   the national office for a national rule, the issuing region for an invalidation rule); no one
 *   else publishes a version of it or retires it.
 */
import { NATIONAL, type Caller } from '../kit/auth/caller.js';
import { badInput, forbidden } from '../kit/errors.js';
import type { Logger } from '../kit/logger.js';
import { credentialTypeByCode, provinceByCode, regionByCode, regionOfProvince, statusCodes, type CredentialType } from '../kit/reference.js';
import { addDays, isCalendarDay, todayInChina } from '../kit/days.js';
import { checkFreeText } from '../kit/text.js';
import type { Recorded, RecognitionStore, RulePublication, RuleRetirement, RuleWriter } from './db/store.js';
import { disputedFieldPolicies, type DisputedFieldPolicy } from './engine.js';
import type { AcceptanceRule, FieldRelease, InvalidationRule } from './seed.js';
import { metadataLabels } from './service.js';

export interface AcceptanceRuleInput {
  id: string;
  /** Omitted: the officer's own region (null for the national office). */
  acceptingRegion?: string | null;
  acceptingProvinces?: string[] | null;
  scenario: string;
  credentialType: string;
  issuingProvinces?: string[] | null;
  acceptedStatuses: string[];
  requireWithinValidity?: boolean | null;
  releasedFields: { field: string; retain?: boolean | null; masked?: boolean | null }[];
  /** Omitted: RELEASE_FLAGGED. */
  disputedFieldPolicy?: string | null;
  validFrom: string;
  validUntil?: string | null;
  legalBasis: string;
}

export interface InvalidationRuleInput {
  id: string;
  credentialType: string;
  issuingProvinces: string[];
  scenarios?: string[] | null;
  statuses: string[];
  validFrom: string;
  validUntil?: string | null;
  legalBasis: string;
}

type Kind = 'ACCEPTANCE' | 'INVALIDATION';

/** One publication or retirement, as counted in the metrics (no personal data). */
export interface RuleChange {
  kind: Kind;
  action: 'published' | 'retired';
  ruleId: string;
  version: number;
  /** The officer's region, or `national`. */
  region: string;
}

/** A rule officer as the token describes them: the region they speak for, or the national office. */
export interface RuleOfficer {
  subject: string;
  organisation: string;
  /** A region code, or `national`. */
  scope: string;
  /** The region's provinces; null for the national office. */
  provinces: string[] | null;
}

export function ruleOfficerOf(caller: Caller): RuleOfficer {
  if (caller.role !== 'rule-officer' || !caller.subject || !caller.organisation || !caller.region) {
    throw forbidden('Only a rule officer can publish or retire recognition rules.');
  }
  const base = { subject: caller.subject, organisation: caller.organisation };
  if (caller.region === NATIONAL) return { ...base, scope: NATIONAL, provinces: null };
  const region = regionByCode(caller.region);
  if (!region) throw forbidden(`There is no region ${caller.region}: a rule officer speaks for a region of Hutong or for the national rule office.`);
  return { ...base, scope: region.code, provinces: region.provinceCodes };
}

const ID = /^[a-z0-9-]{1,64}$/;
// In the order of their codes (01 VALID … 99 OTHER): object keys that look like integers are not kept in order.
const knownStatuses = new Set<string>((Object.keys(statusCodes) as (keyof typeof statusCodes)[]).sort().map((c) => statusCodes[c]));

const invalid = (field: string, message: string) => badInput(message, { reason: 'RULE_INVALID', field });

/** The calendar day before a date (YYYY-MM-DD). */
export function dayBefore(day: string): string {
  return addDays(day, -1);
}

function checkDate(field: string, value: string): string {
  if (!isCalendarDay(value)) {
    throw invalid(field, `${field} must be a calendar date YYYY-MM-DD, not ${JSON.stringify(value)}.`);
  }
  return value;
}

function checkId(value: string): string {
  if (!ID.test(value)) throw invalid('id', 'A rule id is 1–64 lower-case letters, digits and hyphens, e.g. sd-service-hall-e-id.');
  return value;
}

function checkWindow(validFrom: string, validUntil: string | null): { validFrom: string; validUntil: string | null } {
  checkDate('validFrom', validFrom);
  if (validUntil !== null) {
    checkDate('validUntil', validUntil);
    if (validUntil < validFrom) throw invalid('validUntil', `validUntil ${validUntil} is before validFrom ${validFrom}: validUntil is the last day in force.`);
  }
  return { validFrom, validUntil };
}

function checkProvinces(field: string, list: string[] | null, nullMeans: string): string[] | null {
  if (list === null) return null;
  if (list.length === 0) throw invalid(field, `${field} lists at least one province; leave it null for ${nullMeans}.`);
  for (const p of list) if (!provinceByCode(p)) throw invalid(field, `${field}: there is no province ${p} in Hutong's regions.`);
  if (new Set(list).size !== list.length) throw invalid(field, `${field} names a province twice.`);
  return list;
}

function checkStatuses(field: string, list: string[]): string[] {
  if (list.length === 0) throw invalid(field, `${field} lists at least one status.`);
  for (const s of list) if (!knownStatuses.has(s)) throw invalid(field, `${field}: there is no status ${s}; use ${[...knownStatuses].join(', ')}.`);
  if (new Set(list).size !== list.length) throw invalid(field, `${field} names a status twice.`);
  return list;
}

function checkReleases(type: CredentialType, list: AcceptanceRuleInput['releasedFields']): FieldRelease[] {
  if (list.length === 0) throw invalid('releasedFields', 'releasedFields lists at least one field: a rule releases what the scenario needs.');
  const faceFields = type.faceFields.map((f) => `face.${f.key}`);
  const seen = new Set<string>();
  return list.map((r) => {
    // Own keys only: `in` would also admit inherited names such as constructor.
    if (!Object.hasOwn(metadataLabels, r.field) && !faceFields.includes(r.field)) {
      throw invalid('releasedFields', `releasedFields: ${r.field} is not a field of ${type.slug}; use ${Object.keys(metadataLabels).join(', ')} or ${faceFields.join(', ')}.`);
    }
    if (seen.has(r.field)) throw invalid('releasedFields', `releasedFields names ${r.field} twice.`);
    seen.add(r.field);
    return { field: r.field, retain: r.retain ?? false, masked: r.masked ?? false };
  });
}

function checkDisputedFieldPolicy(value: string | null | undefined): DisputedFieldPolicy {
  const policy = value ?? 'RELEASE_FLAGGED';
  if (!(disputedFieldPolicies as readonly string[]).includes(policy)) {
    throw invalid('disputedFieldPolicy', `disputedFieldPolicy is ${disputedFieldPolicies.join(' or ')}, not ${JSON.stringify(policy)}.`);
  }
  return policy as DisputedFieldPolicy;
}

function checkType(code: string): CredentialType {
  const type = credentialTypeByCode(code);
  if (!type) throw invalid('credentialType', `There is no credential type ${code} in the national catalogue; give its type code (e.g. 11100000HT00000183001, the e-ID).`);
  return type;
}

const ownerName = (owner: string) => (owner === NATIONAL ? 'the national rule office' : `${owner}'s rule officers`);

/** Who owns a rule id: the publisher of its first version, or for reference data the side it speaks for. */
export function ownerOfAcceptanceRule(first: Recorded<AcceptanceRule>): string {
  return first.publication.region ?? first.acceptingRegion ?? NATIONAL;
}

export function ownerOfInvalidationRule(first: Recorded<InvalidationRule>): string {
  return first.publication.region ?? regionOfProvince(first.issuingProvinces[0]!)?.code ?? NATIONAL;
}

export class RulePublisher {
  constructor(
    private readonly store: RecognitionStore,
    private readonly logger: Logger,
    /** Counts each change (the metrics). */
    private readonly changed: (change: RuleChange) => void = () => {},
  ) {}

  async publishAcceptanceRule(caller: Caller, input: AcceptanceRuleInput, reason: string): Promise<Recorded<AcceptanceRule>> {
    const officer = ruleOfficerOf(caller);
    checkFreeText('reason', reason, 500);
    const rule = await this.acceptanceRuleFrom(input, officer);
    const result = await this.store.changeAcceptanceRule(rule.id, async (versions, writer) => {
      this.checkOwner(officer, versions[0] && ownerOfAcceptanceRule(versions[0]), rule.id);
      return this.addVersion(officer, rule, versions, writer, reason);
    });
    this.report({ kind: 'ACCEPTANCE', action: 'published', ruleId: result.id, version: result.version, region: officer.scope }, officer, result.validFrom);
    return result;
  }

  async publishInvalidationRule(caller: Caller, input: InvalidationRuleInput, reason: string): Promise<Recorded<InvalidationRule>> {
    const officer = ruleOfficerOf(caller);
    checkFreeText('reason', reason, 500);
    const rule = await this.invalidationRuleFrom(input, officer);
    const result = await this.store.changeInvalidationRule(rule.id, async (versions, writer) => {
      this.checkOwner(officer, versions[0] && ownerOfInvalidationRule(versions[0]), rule.id);
      return this.addVersion(officer, rule, versions, writer, reason);
    });
    this.report({ kind: 'INVALIDATION', action: 'published', ruleId: result.id, version: result.version, region: officer.scope }, officer, result.validFrom);
    return result;
  }

  async retireAcceptanceRule(caller: Caller, id: string, effectiveFrom: string, reason: string): Promise<Recorded<AcceptanceRule>> {
    const officer = ruleOfficerOf(caller);
    this.checkRetirement(id, effectiveFrom, reason);
    const result = await this.store.changeAcceptanceRule(id, async (versions, writer) => {
      this.checkOwner(officer, versions[0] && ownerOfAcceptanceRule(versions[0]), id);
      return this.retire(officer, id, versions, writer, effectiveFrom, reason);
    });
    this.report({ kind: 'ACCEPTANCE', action: 'retired', ruleId: id, version: result.version, region: officer.scope }, officer, effectiveFrom);
    return result;
  }

  async retireInvalidationRule(caller: Caller, id: string, effectiveFrom: string, reason: string): Promise<Recorded<InvalidationRule>> {
    const officer = ruleOfficerOf(caller);
    this.checkRetirement(id, effectiveFrom, reason);
    const result = await this.store.changeInvalidationRule(id, async (versions, writer) => {
      this.checkOwner(officer, versions[0] && ownerOfInvalidationRule(versions[0]), id);
      return this.retire(officer, id, versions, writer, effectiveFrom, reason);
    });
    this.report({ kind: 'INVALIDATION', action: 'retired', ruleId: id, version: result.version, region: officer.scope }, officer, effectiveFrom);
    return result;
  }

  /** The input as a rule, every reference checked, and the officer's authority over what it says. */
  private async acceptanceRuleFrom(input: AcceptanceRuleInput, officer: RuleOfficer): Promise<AcceptanceRule> {
    const id = checkId(input.id);
    if (!(await this.store.scenarios()).some((s) => s.code === input.scenario)) throw invalid('scenario', `There is no scenario ${input.scenario}; see scenarios.`);
    const type = checkType(input.credentialType);
    const acceptingProvinces = checkProvinces('acceptingProvinces', input.acceptingProvinces ?? null, 'the whole accepting region');
    const issuingProvinces = checkProvinces('issuingProvinces', input.issuingProvinces ?? null, 'any issuing province');
    const acceptedStatuses = checkStatuses('acceptedStatuses', input.acceptedStatuses);
    const releasedFields = checkReleases(type, input.releasedFields);
    const disputedFieldPolicy = checkDisputedFieldPolicy(input.disputedFieldPolicy);
    const window = checkWindow(input.validFrom, input.validUntil ?? null);
    checkFreeText('legalBasis', input.legalBasis, 1000);

    // Omitted, the accepting region is the officer's own: the national office's rules are national.
    const acceptingRegion = input.acceptingRegion === undefined ? (officer.provinces ? officer.scope : null) : input.acceptingRegion;
    if (!officer.provinces) {
      if (acceptingRegion !== null) {
        throw forbidden(`The national rule office publishes national rules only (acceptingRegion null); a rule accepting in ${acceptingRegion} is published by that region's rule officers.`);
      }
    } else {
      if (acceptingRegion === null) throw forbidden('National rules (acceptingRegion null) are published by the national rule office.');
      if (acceptingRegion !== officer.scope) {
        throw forbidden(`A ${officer.scope} rule officer publishes rules accepting in ${officer.scope} only, not in ${acceptingRegion}.`);
      }
      const outside = (acceptingProvinces ?? []).filter((p) => !officer.provinces!.includes(p));
      if (outside.length > 0) {
        throw forbidden(`acceptingProvinces: ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not in ${officer.scope} (${officer.provinces.join(', ')}): a region publishes acceptance rules for itself only.`);
      }
    }
    return {
      id, version: 0, acceptingRegion, acceptingProvinces, scenario: input.scenario, credentialType: type.code, issuingProvinces, acceptedStatuses,
      requireWithinValidity: input.requireWithinValidity ?? true, releasedFields, ...window, legalBasis: input.legalBasis,
      // The default is left unsaid, as the store gives it back.
      ...(disputedFieldPolicy === 'WITHHOLD' ? { disputedFieldPolicy } : {}),
    };
  }

  private async invalidationRuleFrom(input: InvalidationRuleInput, officer: RuleOfficer): Promise<InvalidationRule> {
    const id = checkId(input.id);
    const type = checkType(input.credentialType);
    const issuingProvinces = checkProvinces('issuingProvinces', input.issuingProvinces, 'nothing: an invalidation rule names the provinces that issued the credentials')!;
    const scenarios = input.scenarios ?? null;
    if (scenarios !== null) {
      if (scenarios.length === 0) throw invalid('scenarios', 'scenarios lists at least one scenario; leave it null for every scenario.');
      const known = new Set((await this.store.scenarios()).map((s) => s.code));
      for (const s of scenarios) if (!known.has(s)) throw invalid('scenarios', `scenarios: there is no scenario ${s}; see scenarios.`);
      if (new Set(scenarios).size !== scenarios.length) throw invalid('scenarios', 'scenarios names a scenario twice.');
    }
    const statuses = checkStatuses('statuses', input.statuses);
    const window = checkWindow(input.validFrom, input.validUntil ?? null);
    checkFreeText('legalBasis', input.legalBasis, 1000);

    if (!officer.provinces) {
      throw forbidden('Invalidation rules are published by the rule officers of the region that issued the credentials, not by the national rule office.');
    }
    const outside = issuingProvinces.filter((p) => !officer.provinces!.includes(p));
    if (outside.length > 0) {
      throw forbidden(`issuingProvinces: ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not in ${officer.scope} (${officer.provinces.join(', ')}): a region invalidates only what it issued.`);
    }
    return { id, version: 0, issuingProvinces, credentialType: type.code, scenarios, statuses, ...window, legalBasis: input.legalBasis };
  }

  private checkOwner(officer: RuleOfficer, owner: string | undefined, id: string): void {
    if (owner !== undefined && owner !== officer.scope) {
      throw forbidden(`Rule ${id} belongs to ${ownerName(owner)}: only they publish versions of it or retire it.`, { reason: 'RULE_OWNED_ELSEWHERE' });
    }
  }

  private checkRetirement(id: string, effectiveFrom: string, reason: string): void {
    checkId(id);
    checkDate('effectiveFrom', effectiveFrom);
    checkFreeText('reason', reason, 500);
  }

  /**
   * Version max+1 of the id, starting today or later and after the version before it; every
   * version still in force on its first day ends the day before, so one version is in force a day.
   */
  private async addVersion<R extends AcceptanceRule | InvalidationRule>(
    officer: RuleOfficer,
    rule: R,
    versions: Recorded<R>[],
    writer: RuleWriter<R>,
    reason: string,
  ): Promise<Recorded<R>> {
    const today = todayInChina();
    if (rule.validFrom < today) {
      throw badInput(`validFrom ${rule.validFrom} is in the past (today is ${today} in China): a version starts today or later, so that history is never rewritten.`, {
        reason: 'RULE_STARTS_IN_THE_PAST',
        field: 'validFrom',
      });
    }
    const latest = versions.reduce<Recorded<R> | undefined>((a, v) => (a && a.version > v.version ? a : v), undefined);
    if (latest) {
      if ('scenario' in rule && 'scenario' in latest && (rule.scenario !== latest.scenario || rule.credentialType !== latest.credentialType)) {
        throw invalid('scenario', `Rule ${rule.id} is about ${latest.scenario} and type ${latest.credentialType}; a new version keeps them (publish another rule id for another scenario or type).`);
      }
      if (!('scenario' in rule) && rule.credentialType !== latest.credentialType) {
        throw invalid('credentialType', `Rule ${rule.id} is about type ${latest.credentialType}; a new version keeps it (publish another rule id for another type).`);
      }
      if (rule.validFrom <= latest.validFrom) {
        throw badInput(`Version ${latest.version} of ${rule.id} starts on ${latest.validFrom}: a new version starts after it.`, {
          reason: 'RULE_STARTS_BEFORE_PREVIOUS_VERSION',
          field: 'validFrom',
        });
      }
    }
    const publication: RulePublication = {
      source: 'OFFICER',
      publishedAt: new Date().toISOString(),
      subject: officer.subject,
      organisation: officer.organisation,
      region: officer.scope,
      reason,
    };
    const added = { ...rule, version: (latest?.version ?? 0) + 1 };
    await writer.endVersionsFrom(rule.validFrom);
    await writer.addVersion(added, publication);
    return { ...added, publication, retirement: null };
  }

  /** Ends the version in force (and any later one not started yet) on the day before `effectiveFrom`. */
  private async retire<R extends AcceptanceRule | InvalidationRule>(
    officer: RuleOfficer,
    id: string,
    versions: Recorded<R>[],
    writer: RuleWriter<R>,
    effectiveFrom: string,
    reason: string,
  ): Promise<Recorded<R>> {
    const latest = versions.reduce<Recorded<R> | undefined>((a, v) => (a && a.version > v.version ? a : v), undefined);
    if (!latest) throw badInput(`There is no rule ${id}.`, { reason: 'RULE_NOT_FOUND', field: 'id' });
    const today = todayInChina();
    if (effectiveFrom < today) {
      throw badInput(`effectiveFrom ${effectiveFrom} is in the past (today is ${today} in China): a rule is retired from today or later.`, {
        reason: 'RETIREMENT_IN_THE_PAST',
        field: 'effectiveFrom',
      });
    }
    if (latest.retirement) {
      throw badInput(`Rule ${id} is already retired from ${latest.retirement.effectiveFrom}.`, { reason: 'RULE_ALREADY_RETIRED', field: 'id' });
    }
    const retirement: RuleRetirement = {
      retiredAt: new Date().toISOString(),
      effectiveFrom,
      subject: officer.subject,
      organisation: officer.organisation,
      region: officer.scope,
      reason,
    };
    const ended = await writer.endVersionsFrom(effectiveFrom, retirement);
    if (ended.length === 0) {
      throw badInput(`Rule ${id} is not in force on ${effectiveFrom} or later (its last version ended ${latest.validUntil}): there is nothing to retire.`, {
        reason: 'RULE_ALREADY_RETIRED',
        field: 'id',
      });
    }
    if (!ended.includes(latest.version)) return latest;
    const closed: Recorded<R> = { ...latest, retirement };
    closed.validUntil = dayBefore(effectiveFrom);
    return closed;
  }

  private report(change: RuleChange, officer: RuleOfficer, from: string): void {
    // Authorities and rule ids only: no officer account, no free text.
    this.logger.info(
      { kind: change.kind, ruleId: change.ruleId, version: change.version, region: change.region, organisation: officer.organisation, from },
      change.action === 'published' ? 'recognition rule version published' : 'recognition rule retired',
    );
    this.changed(change);
  }
}
