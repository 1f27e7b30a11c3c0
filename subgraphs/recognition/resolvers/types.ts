import type { Caller } from '../../kit/auth/caller.js';
import { credentialTypes } from '../../kit/reference.js';
import { parseCredentialId } from '../../kit/routing.js';
import { metadataLabelsZh } from '../service.js';
import { qrSvg } from '../codes.js';
import { forbidden } from '../../kit/errors.js';
import { todayInChina } from '../../kit/days.js';
import type { VerificationRow } from '../db/store.js';
import { isInForceOn } from '../engine.js';
import type { AcceptanceRule, InvalidationRule as InvalidationRuleData, Scenario as ScenarioData, Verifier } from '../seed.js';
import type { RecognitionContext } from './context.js';

const scenarioOf = (code: string, ctx: RecognitionContext) => ctx.loaders.scenario.load(code);
const isInForce = (r: { validFrom: string; validUntil: string | null }) => isInForceOn(r, todayInChina());

export const Verification = {
  async __resolveReference(ref: { id: string }, ctx: RecognitionContext) {
    const found = await ctx.store.verification(ref.id);
    if (found && ctx.caller.role !== 'admin' && ctx.caller.organisation !== found.verifierOrg) {
      throw forbidden('A verification is visible to the verifier that made it and to auditors only.');
    }
    return found ?? null;
  },
  scenario: (v: VerificationRow, _: unknown, ctx: RecognitionContext) => scenarioOf(v.scenario, ctx),
  verifier: (v: VerificationRow, _: unknown, ctx: RecognitionContext) => ctx.loaders.verifier.load(v.verifierOrg),
  // A reference: the catalogue and the region's registry resolve the region's names and figures.
  issuingRegion: (v: VerificationRow) => ({ code: v.issuingRegion }),
  channel: (v: VerificationRow) => v.channel ?? 'PRESENTATION_CODE',
  counterAssistance: (v: VerificationRow) => v.counterAssistance ?? null,
  credentialType: (v: VerificationRow) => ({ code: parseCredentialId(v.credentialId).typeCode }),
};

/**
 * A scenario named by its code, as a registry's usage record names it. A code recognition does not
 * define (a usage record another service wrote, e.g. a conformance probe) is shown by its code
 * rather than failing the holder's whole list of usage records.
 */
export const Scenario = {
  async __resolveReference(ref: { code: string }, ctx: RecognitionContext): Promise<ScenarioData> {
    return (await scenarioOf(ref.code, ctx)) ?? { code: ref.code, name: ref.code, nameZh: ref.code, serviceItemCode: '' };
  },
};

type ReleasedFieldRow = VerificationRow['releasedFields'][number];
export const ReleasedField = {
  // Verifications stored before these were kept: the label in Chinese as known now, not masked as far as is recorded.
  labelZh: (f: ReleasedFieldRow) => f.labelZh ?? labelZhOf(f.field),
  masked: (f: ReleasedFieldRow) => f.masked ?? false,
  disputed: (f: ReleasedFieldRow) => f.disputed ?? false,
  withheld: (f: ReleasedFieldRow) => f.withheld ?? false,
};

function labelZhOf(field: string): string {
  return metadataLabelsZh[field] ?? credentialTypes.flatMap((t) => t.faceFields).find((f) => `face.${f.key}` === field)?.labelZh ?? field;
}

export const RecognitionRule = {
  scenario: (r: AcceptanceRule, _: unknown, ctx: RecognitionContext) => scenarioOf(r.scenario, ctx),
  credentialType: (r: AcceptanceRule) => ({ code: r.credentialType }),
  // Unsaid in rules that keep the default.
  disputedFieldPolicy: (r: AcceptanceRule) => r.disputedFieldPolicy ?? 'RELEASE_FLAGGED',
  inForce: isInForce,
};

export const InvalidationRule = {
  credentialType: (r: InvalidationRuleData) => ({ code: r.credentialType }),
  scenarios: (r: InvalidationRuleData, _: unknown, ctx: RecognitionContext) =>
    r.scenarios ? Promise.all(r.scenarios.map((s) => scenarioOf(s, ctx))) : null,
  inForce: isInForce,
};

export const VerifierType = {
  registeredCounter: (v: Verifier) => v.registeredCounter ?? false,
  scenarios: async (v: Verifier, _: unknown, ctx: RecognitionContext) =>
    (await Promise.all(v.scenarios.map((s) => scenarioOf(s, ctx)))).filter((s) => s !== null),
};

export const Me = {
  /** A verifier's registered scenarios, narrowed to its token's list when it has one; nothing for other roles. */
  async scenarios(caller: Caller, _: unknown, ctx: RecognitionContext) {
    if (caller.role !== 'verifier' || !caller.organisation) return [];
    const verifier = await ctx.store.verifier(caller.organisation);
    if (!verifier || verifier.region !== caller.region) return [];
    const codes = verifier.scenarios.filter((s) => !caller.scenarios || caller.scenarios.includes(s));
    return (await Promise.all(codes.map((s) => scenarioOf(s, ctx)))).filter((s) => s !== null);
  },
};

export const PresentationCode = {
  // Drawn only when asked for: a QR image costs 4–6 ms of CPU, and many apps draw it from `code`.
  qrSvg: (p: { code: string }) => qrSvg(p.code),
  scenario: (p: { scenario: string | null }, _: unknown, ctx: RecognitionContext) => (p.scenario ? scenarioOf(p.scenario, ctx) : null),
};
