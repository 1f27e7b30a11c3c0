/**
 * Cross-region use of a credential: presentation codes, verification and disputes. A
 * verification is a transaction, not a query: the credential is read live at its issuing
 * registry, the verifying region's rules decide, and the code's consumption, the verification
 * and its usage record for the issuing region commit together — whatever the client selects in
 * its response. The registry calls of one verification share one deadline.
 */
import { randomUUID } from 'node:crypto';
import { mask } from '../kit/masking.js';
import { GraphQLError } from 'graphql';
import type { Caller } from '../kit/auth/caller.js';
import type { ServiceKeySet, ServiceSigner } from '../kit/auth/service-keys.js';
import { ServiceCallError } from '../kit/auth/service-client.js';
import { badInput, ErrorCode, forbidden, notFound } from '../kit/errors.js';
import { checkFreeText, freeTextProblem } from '../kit/text.js';
import type { Logger } from '../kit/logger.js';
import { parseCitizenId } from '../kit/identifiers/index.js';
import { catalogueSubgraph, credentialTypeByCode, regionByCode } from '../kit/reference.js';
import { identityDocumentTypes, type CounterAssistance } from '../kit/registry/contract.js';
import type { UsageRecord } from '../kit/registry/records.js';
import { effectiveStatus } from '../kit/registry/status.js';
import { todayInChina } from '../kit/days.js';
import { deadlineSignal } from '../kit/deadline.js';
import type { StoredCredential } from '../kit/registry/store.js';
import { regionOfIdentifier } from '../kit/routing.js';
import { codeError, readPresentationCode, signPresentationCode } from './codes.js';
import type { RecognitionStore, ReferenceData, VerificationRow } from './db/store.js';
import { decide } from './engine.js';
import type { CatalogueClient, IndexedCredential } from './catalogue-client.js';
import type { RegistryClient } from './registry-client.js';
import type { FieldRelease, Scenario, Verifier } from './seed.js';

export interface UsageContext {
  organisation: string;
  operator: string;
  serviceItemName: string;
  serviceItemCode: string;
  businessCaseNumber: string;
}

/** What a registered counter's staff give for a holder who presents no code. */
export interface CounterVerificationInput {
  /** The holder's citizen ID number, read from the identity document shown in person. */
  holderCode: string;
  /** Type code of the national catalogue. */
  credentialType: string;
  /** The number printed on the credential, when the holder holds more than one of the type. */
  credentialNumber?: string | null;
  scenario: string;
  context: UsageContext;
  consent: { identityDocument: string; staffName: string; staffNumber: string };
}

export interface PresentationSettings {
  defaultMinutes: number;
  maxMinutes: number;
}

/** Metadata fields a rule may release (and a dispute may name), with their labels. */
/** The metadata fields' names in Chinese (GB/T 36903 terms). */
export const metadataLabelsZh: Record<string, string> = {
  name: '证照名称',
  number: '证照编号',
  holderName: '持证主体',
  holderCode: '持证主体代码',
  issuerName: '发证机构',
  issueDate: '发证日期',
  effectiveDate: '有效期起始日期',
  expiryDate: '有效期截止日期',
  areaCode: '行政区划代码',
};

export const metadataLabels: Record<string, string> = {
  name: 'Licence name',
  number: 'Licence number',
  holderName: 'Holder name',
  holderCode: 'Holder code',
  issuerName: 'Issuing authority',
  issueDate: 'Issue date',
  effectiveDate: 'Effective date',
  expiryDate: 'Expiry date',
  areaCode: 'Area code',
};

/** Beyond what remains of the deadline, so the relay never races the verification's own delivery. */
const DELIVERY_HOLD_MARGIN_MS = 1000;

const unavailable = (regionCode: string) =>
  new GraphQLError(`The ${regionCode} registry could not be reached; try again shortly.`, {
    extensions: { code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: regionCode },
  });

export class RecognitionService {
  constructor(
    private readonly store: RecognitionStore,
    private readonly registries: RegistryClient,
    private readonly signer: ServiceSigner,
    private readonly verifyKeys: ServiceKeySet,
    private readonly presentation: PresentationSettings,
    private readonly logger: Logger,
    /** One deadline for a verification's calls to the issuing registry: the live read and the usage write together. */
    private readonly registryDeadlineInMs: number,
    /** The national index, for counter-assisted use (absent: counters cannot verify). */
    private readonly catalogue?: CatalogueClient,
  ) {}

  async createPresentationCode(caller: Caller, credentialId: string, scenario: string | null, validForMinutes: number | null) {
    if (caller.role !== 'holder' || !caller.holderCode) throw forbidden('Only a holder can present a credential.');
    const { id, region } = regionOfIdentifier(credentialId);
    if (scenario !== null && !(await this.store.scenarios()).some((s) => s.code === scenario)) {
      throw badInput(`Unknown scenario ${scenario}; see scenarios.`, { reason: 'UNKNOWN_SCENARIO' });
    }
    const minutes = validForMinutes ?? this.presentation.defaultMinutes;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > this.presentation.maxMinutes) {
      throw badInput(`validForMinutes must be between 1 and ${this.presentation.maxMinutes}.`);
    }
    let live;
    try {
      live = await this.registries.credential(region.code, id);
    } catch (error) {
      if (error instanceof ServiceCallError) throw unavailable(region.code);
      throw error;
    }
    // The same answer for "not yours" and "does not exist": no oracle for other people's identifiers.
    if (!live || live.credential.holderCode !== caller.holderCode) throw forbidden('You can only present your own credentials.');
    const credentialStatus = effectiveStatus(live.credential.status, live.credential.expiryDate);
    const warning = presentationWarning(credentialStatus, live.credential.supersededBy ?? null);
    const { code, jti, expiresAt } = await signPresentationCode(this.signer, scenario, minutes);
    await this.store.addPresentationCode({ jti, credentialId: id, holderCode: caller.holderCode, scenario, expiresAt });
    return { code, expiresAt: expiresAt.toISOString(), scenario, credentialId: id, credentialStatus, warning };
  }

  /** `readReference`: the request's reference data, read once for the request and its answer's fields. */
  async verify(caller: Caller, input: { code: string; scenario: string; context: UsageContext }, readReference = () => this.store.reference()): Promise<VerificationRow> {
    // One read of the reference data (a single statement while it is unchanged) for the whole check.
    const reference = await readReference();
    const { verifier, scenario } = this.registeredFor(reference, caller, input.scenario, input.context, 'any');

    const { jti, scenario: boundScenario } = await readPresentationCode(this.verifyKeys, input.code);
    const code = await this.store.presentationCode(jti);
    if (!code) throw codeError('PRESENTATION_CODE_INVALID', 'The presentation code is not known to Hutong.');
    if (code.consumed) throw codeError('PRESENTATION_CODE_USED', 'The presentation code was already used; ask the holder for a new one.');
    if (code.expired) throw codeError('PRESENTATION_CODE_EXPIRED', 'The presentation code has expired; ask the holder for a new one.');
    if (boundScenario !== null && boundScenario !== input.scenario) {
      throw codeError('PRESENTATION_CODE_SCENARIO_MISMATCH', `The holder presented this credential for ${boundScenario}, not for ${input.scenario}.`);
    }
    return this.check(reference, { verifier, scenario, context: input.context, credentialId: code.credentialId, holderCode: code.holderCode, codeJti: jti });
  }

  /**
   * Counter-assisted use (窗口代办核验): a registered counter's staff verify a credential for a
   * holder who has no phone to present a code. The holder shows an identity document in person;
   * the staff read the citizen ID number from it and record the document and themselves as the
   * holder's consent. The national index says which credential of the type the holder holds; the
   * same rules decide, and the usage record the holder sees names the counter's part.
   */
  async verifyAtCounter(caller: Caller, input: CounterVerificationInput, readReference = () => this.store.reference()): Promise<VerificationRow> {
    if (!this.catalogue) throw new Error('counter-assisted verification needs the catalogue (HUTONG_CATALOGUE_URL)');
    const reference = await readReference();
    const { verifier, scenario } = this.registeredFor(reference, caller, input.scenario, input.context, 'counter');
    const counterAssistance = checkConsent(input.consent);
    const holder = parseCitizenId(input.holderCode);
    if (!holder.ok) {
      throw badInput(`holderCode is not a citizen ID number as an identity document shows it: ${holder.reason}`, { reason: 'INVALID_HOLDER_CODE' });
    }
    const holderCode = input.holderCode.toUpperCase();
    const type = credentialTypeByCode(input.credentialType);
    if (!type) throw badInput(`There is no credential type ${input.credentialType} in the national catalogue.`, { reason: 'UNKNOWN_TYPE' });
    const number = input.credentialNumber ?? null;
    if (number !== null) checkFreeText('credentialNumber', number, 200);

    let indexed: IndexedCredential[];
    try {
      indexed = await this.catalogue.holderCredentials(holderCode, type.code);
    } catch (error) {
      if (error instanceof ServiceCallError) throw unavailable(catalogueSubgraph.name);
      throw error;
    }
    const credentialId = await this.credentialAtCounter(indexed, type.nameZh, number);
    // Who asked, for what, and whether found: never the holder code (no personal data in logs).
    this.logger.info({ verifier: verifier.organisation, scenario: scenario.code, type: type.code }, 'counter-assisted verification');
    return this.check(reference, { verifier, scenario, context: input.context, credentialId, holderCode, codeJti: null, counterAssistance });
  }

  /**
   * Which of the holder's indexed credentials of the type the counter verifies: the one whose
   * printed number the staff give, or else the one that is current (valid as last relayed; if
   * none is, the only one there is, so that the rules give their reasoned refusal). More than one
   * without a number is refused: the holder chooses, not the software.
   */
  private async credentialAtCounter(indexed: IndexedCredential[], typeName: string, number: string | null): Promise<string> {
    if (indexed.length === 0) throw notFound(`Hutong's national index lists no ${typeName} for this holder.`);
    if (number === null) {
      const current = indexed.filter((e) => e.status === '01');
      const candidates = current.length > 0 ? current : indexed;
      if (candidates.length > 1) {
        throw badInput(`The holder holds ${candidates.length} ${typeName}: ask which one, and give the number printed on it (credentialNumber).`, {
          reason: 'CREDENTIAL_AMBIGUOUS',
        });
      }
      return candidates[0]!.credentialId;
    }
    const deadline = deadlineSignal(this.registryDeadlineInMs);
    const read = await Promise.all(
      indexed.map(async (e) => {
        try {
          return await this.registries.credential(e.regionCode, e.credentialId, { signal: deadline.signal });
        } catch (error) {
          if (error instanceof ServiceCallError) throw unavailable(e.regionCode);
          throw error;
        }
      }),
    ).finally(deadline.done);
    const match = indexed.find((_, i) => read[i]?.credential.number === number);
    if (!match) throw notFound(`None of the holder's ${typeName} has the number ${number}.`);
    return match.credentialId;
  }

  /**
   * The caller as a verifier registered in its region for the scenario (and, for counter-assisted
   * use, as a registered counter), with a usage context that names it and the scenario's service item.
   */
  private registeredFor(reference: ReferenceData, caller: Caller, scenarioCode: string, context: UsageContext, as: 'any' | 'counter'): { verifier: Verifier; scenario: Scenario } {
    if (caller.role !== 'verifier' || !caller.organisation || !caller.region) throw forbidden('Only a registered verifier can verify a credential.');
    const verifier = reference.verifiersByOrganisation.get(caller.organisation);
    if (!verifier || verifier.region !== caller.region) throw forbidden('Your organisation is not registered as a verifier in Hutong.');
    if (as === 'counter' && !verifier.registeredCounter) {
      throw forbidden('Your organisation is not a registered counter: only a registered counter’s staff verify for a holder in person, without a presentation code.', {
        reason: 'NOT_A_REGISTERED_COUNTER',
      });
    }
    if (!verifier.scenarios.includes(scenarioCode) || (caller.scenarios && !caller.scenarios.includes(scenarioCode))) {
      throw forbidden(`Your organisation is not registered to verify credentials for ${scenarioCode}.`, { reason: 'SCENARIO_NOT_REGISTERED' });
    }
    const scenario = reference.scenarios.find((s) => s.code === scenarioCode)!;
    checkContext(context, caller.organisation);
    // The usage record names the service item the holder sees: it must be this scenario's.
    if (context.serviceItemCode !== scenario.serviceItemCode) {
      throw badInput(`Usage context serviceItemCode ${context.serviceItemCode} is not the service item of ${scenarioCode} (${scenario.serviceItemCode}).`, {
        reason: 'SERVICE_ITEM_MISMATCH',
      });
    }
    return { verifier, scenario };
  }

  /**
   * Checks one credential for a verifier: the live record, the verifier region's rules, and the
   * verification with its usage record committed together (with the code's consumption, when a
   * code was presented).
   */
  private async check(reference: ReferenceData, t: {
    verifier: Verifier;
    scenario: Scenario;
    context: UsageContext;
    credentialId: string;
    /** Who presented (the code's holder) or whose document the counter checked. */
    holderCode: string;
    codeJti: string | null;
    counterAssistance?: CounterAssistance;
  }): Promise<VerificationRow> {
    const { verifier, scenario } = t;
    const { region, provinceCode } = regionOfIdentifier(t.credentialId);
    const today = todayInChina();
    const verification: VerificationRow = {
      id: randomUUID(),
      codeJti: t.codeJti,
      credentialId: t.credentialId,
      issuingRegion: region.code,
      verifierOrg: verifier.organisation,
      verifierRegion: verifier.region,
      scenario: scenario.code,
      context: { ...t.context },
      verdict: 'INDETERMINATE',
      // Stryker disable next-line ArrayDeclaration: every path below sets the reasons (or throws); this value is never seen.
      reasons: [],
      ruleId: null,
      ruleVersion: null,
      disputed: false,
      disputedFields: [],
      releasedFields: [],
      trace: [],
      usageRecorded: false,
      checkedAt: new Date().toISOString(),
      ...(t.counterAssistance ? { channel: 'COUNTER_ASSISTED' as const, counterAssistance: t.counterAssistance } : {}),
    };

    // The registry calls' timer stops once the verification is answered.
    const { signal: deadline, done } = deadlineSignal(this.registryDeadlineInMs);
    try {
      const deadlineAt = performance.now() + this.registryDeadlineInMs;
      let live;
      try {
        live = await this.registries.credential(region.code, t.credentialId, { signal: deadline });
      } catch (error) {
        if (!(error instanceof ServiceCallError)) throw error;
        this.logger.warn({ region: region.code, reason: error.message }, 'issuing registry unreachable during verification');
        verification.reasons = ['ISSUING_REGISTRY_UNREACHABLE'];
      }
      if (live === null) {
        verification.verdict = 'REJECTED';
        verification.reasons = ['NOT_FOUND'];
      } else if (live) {
        const c = live.credential;
        verification.disputed = live.openDisputes.length > 0;
        verification.disputedFields = [...new Set(live.openDisputes.map((d) => d.field))].sort();
        if (c.holderCode !== t.holderCode) {
          verification.verdict = 'REJECTED';
          verification.reasons = ['HOLDER_CHANGED'];
        } else {
          const decision = decide({
            scenario: scenario.code,
            verifier: { region: verifier.region, province: verifier.province },
            credential: {
              typeCode: c.typeCode,
              issuingProvince: provinceCode,
              status: effectiveStatus(c.status, c.expiryDate, today),
              effectiveDate: c.effectiveDate,
              expiryDate: c.expiryDate,
              superseded: Boolean(c.supersededBy),
              disputedFields: verification.disputedFields,
            },
            acceptanceRules: reference.acceptanceRules,
            invalidationRules: reference.invalidationRules,
            today,
          });
          verification.verdict = decision.verdict;
          verification.reasons = decision.reasons;
          verification.ruleId = decision.rule?.id ?? null;
          verification.ruleVersion = decision.rule?.version ?? null;
          verification.trace = decision.trace;
          verification.releasedFields = decision.releases.map((r) => release(c, r, verification.disputedFields));
        }
      }

      const record: UsageRecord = {
        id: verification.id,
        credentialId: verification.credentialId,
        verifierOrg: verifier.organisation,
        verifierName: verifier.name,
        verifierRegion: verifier.region,
        operator: t.context.operator,
        scenario: scenario.code,
        scenarioName: scenario.nameZh,
        serviceItemName: t.context.serviceItemName,
        serviceItemCode: t.context.serviceItemCode,
        businessCaseNumber: t.context.businessCaseNumber,
        // A withheld field reached the verifier without its value: it was not released.
        releasedFields: verification.releasedFields.filter((f) => !f.withheld).map((f) => f.field),
        verdict: verification.verdict,
        reasons: verification.reasons,
        ruleId: verification.ruleId,
        ruleVersion: verification.ruleVersion,
        verifiedAt: verification.checkedAt,
        // The holder sees that a counter verified for them, who did, and which document they showed.
        ...(t.counterAssistance ? { channel: 'COUNTER_ASSISTED' as const, counterAssistance: t.counterAssistance } : {}),
      };
      // Held back from the relay while this verification still has time to deliver it itself.
      const holdForMs = deadline.aborted ? 0 : deadlineAt - performance.now() + DELIVERY_HOLD_MARGIN_MS;
      const outcome = await this.store.recordVerification(verification, { regionCode: region.code, record, holdForMs });
      if (outcome === 'used') throw codeError('PRESENTATION_CODE_USED', 'The presentation code was already used; ask the holder for a new one.');
      if (outcome === 'expired') throw codeError('PRESENTATION_CODE_EXPIRED', 'The presentation code has expired; ask the holder for a new one.');
      // With the deadline spent on the live read, the relay delivers it (the registry did not answer).
      if (!deadline.aborted) await this.deliverUsage(verification, record, deadline);
      return verification;
    } finally {
      done();
    }
  }

  /**
   * Delivers a committed verification's usage record within what remains of its deadline. Any
   * failure leaves it queued for the relay: the verification stands and is answered.
   */
  private async deliverUsage(verification: VerificationRow, record: UsageRecord, deadline: AbortSignal): Promise<void> {
    const region = verification.issuingRegion;
    try {
      await this.registries.recordUsage(region, record, { signal: deadline });
    } catch (error) {
      const reason = (error as Error).message;
      if (error instanceof ServiceCallError) this.logger.warn({ region, reason }, 'usage record queued for the relay');
      else this.logger.error({ region, reason }, 'usage record write failed unexpectedly; queued for the relay');
      // Only the attempt count and error are lost if this fails: the record is queued and due.
      await this.store
        .markUsageAttemptFailed(verification.id, reason)
        .catch((e) => this.logger.error({ region, reason: (e as Error).message }, 'could not note the failed usage write'));
      return;
    }
    try {
      await this.store.markUsageDelivered(verification.id);
      verification.usageRecorded = true;
    } catch (error) {
      // The registry has it; the relay sends it once more and the registry ignores the repeat.
      this.logger.error({ region, reason: (error as Error).message }, 'could not mark the usage record delivered');
    }
  }

  async fileDispute(caller: Caller, credentialId: string, field: string, claim: string) {
    const { id, region } = regionOfIdentifier(credentialId);
    const live = await this.registries.credential(region.code, id).catch((error) => {
      if (error instanceof ServiceCallError) throw unavailable(region.code);
      throw error;
    });
    if (caller.role === 'holder') {
      if (!live || live.credential.holderCode !== caller.holderCode) throw forbidden('You can only dispute your own credentials.');
    } else if (caller.role === 'verifier' && caller.organisation) {
      if (!live || !(await this.store.hasVerified(caller.organisation, id))) {
        throw forbidden('A verifier can only dispute credentials it has verified.');
      }
    } else {
      throw forbidden('Only the holder or a verifier of a credential can file a dispute.');
    }
    const faceKeys = credentialTypeByCode(live.credential.typeCode)?.faceFields.map((f) => `face.${f.key}`) ?? [];
    // Own keys only: `in` would also admit inherited names such as constructor or toString.
    if (!Object.hasOwn(metadataLabels, field) && !faceKeys.includes(field)) {
      throw badInput(`Field ${field} cannot be disputed; use a metadata field (${Object.keys(metadataLabels).join(', ')}) or one of ${faceKeys.join(', ')}.`);
    }
    checkFreeText('claim', claim, 1000);
    const filedBy = caller.role === 'holder' ? 'holder' : caller.organisation!;
    try {
      return await this.registries.fileDispute(region.code, { credentialId: id, field, claim, filedByRole: caller.role, filedBy }, caller);
    } catch (error) {
      if (error instanceof ServiceCallError) throw unavailable(region.code);
      throw error;
    }
  }

  regionName(code: string): string {
    return regionByCode(code)?.name ?? code;
  }
}

/**
 * What the holder is told when presenting a credential no verifier is likely to accept. Nothing is
 * refused: the holder may need a verifier's refusal (with its reasons, and a usage record) to show
 * elsewhere, and whether a status is acceptable is for the verifier's rules to say; but the app
 * must not let the holder find out at the counter.
 */
export function presentationWarning(status: string, supersededBy: string | null): string | null {
  if (supersededBy) return `This credential was corrected and replaced by ${supersededBy}: verifiers reject this version; present the new one.`;
  switch (status) {
    case 'VALID':
      return null;
    case 'SUSPENDED':
      return 'This credential is suspended (暂扣): verifiers reject it until its issuer restores it.';
    case 'EXPIRED':
      return 'This credential has expired: most scenarios reject it; only those whose rules accept expired credentials will not.';
    default:
      return `This credential is ${status}: verifiers reject it.`;
  }
}

/** The holder's consent as the counter records it: the document checked, and who checked it. */
function checkConsent(consent: CounterVerificationInput['consent']): CounterAssistance {
  if (!(identityDocumentTypes as readonly string[]).includes(consent.identityDocument)) {
    throw badInput(`consent.identityDocument is one of ${identityDocumentTypes.join(', ')}.`, { reason: 'INVALID_CONSENT' });
  }
  checkFreeText('staffName', consent.staffName, 100);
  checkFreeText('staffNumber', consent.staffNumber, 64);
  return { identityDocument: consent.identityDocument as CounterAssistance['identityDocument'], staffName: consent.staffName, staffNumber: consent.staffNumber };
}

function checkContext(context: UsageContext, organisation: string): void {
  for (const [key, value] of Object.entries(context)) {
    const problem = typeof value === 'string' ? freeTextProblem(value, 200) : 'must be text';
    if (problem) throw badInput(`Usage context field ${key} ${problem} (1–200 characters of text).`, { reason: 'INVALID_CONTEXT' });
  }
  if (context.organisation !== organisation) {
    throw forbidden('The usage context names another organisation than the verifier’s token.', { reason: 'CONTEXT_ORGANISATION_MISMATCH' });
  }
}

/**
 * The value a rule releases for one field, masked when the rule says so. A withheld field keeps
 * its name and labels, so the verifier knows what is contested, but no value: nothing to keep
 * and nothing masked.
 */
function release(c: StoredCredential, r: FieldRelease, disputedFields: readonly string[]): VerificationRow['releasedFields'][number] {
  const definition = r.field.startsWith('face.')
    ? credentialTypeByCode(c.typeCode)?.faceFields.find((f) => f.key === r.field.slice(5))
    : undefined;
  const labels = {
    field: r.field,
    label: definition?.label ?? metadataLabels[r.field] ?? r.field,
    labelZh: definition?.labelZh ?? metadataLabelsZh[r.field] ?? r.field,
  };
  if (r.withheld) return { ...labels, value: null, retain: false, masked: false, disputed: true, withheld: true };
  const raw = r.field.startsWith('face.') ? c.face[r.field.slice(5)] : (c as unknown as Record<string, string | null>)[r.field];
  const value = raw === undefined || raw === null ? null : r.masked ? mask(String(raw)) : String(raw);
  return {
    ...labels,
    value,
    retain: r.retain,
    masked: r.masked,
    // An open dispute contests this value: the verifier is told, not left to trust it blindly.
    disputed: disputedFields.includes(r.field),
  };
}

