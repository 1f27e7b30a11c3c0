/**
 * "Where can I use this credential": the recognition engine's own decision (`engine.ts`), made for
 * every region and scenario at once from the fields the issuing registry read live, so a holder's
 * app can show it before anyone checks. Nothing is recorded: no verifier saw anything.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { badInput, forbidden } from '../kit/errors.js';
import { regions } from '../kit/reference.js';
import { isCalendarDay, todayInChina } from '../kit/days.js';
import { regionOfIdentifier } from '../kit/routing.js';
import { decide, type CredentialFacts } from './engine.js';
import type { RecognitionContext } from './resolvers/context.js';
import type { AcceptanceRule, InvalidationRule } from './seed.js';

/** What the gateway brings from the issuing registry (`@requires`). */
export interface CredentialRepresentation {
  id: string;
  typeCode: string;
  holderCode: string;
  status: string;
  effectiveDate: string;
  expiryDate: string | null;
  supersededBy: string | null;
}

export interface Acceptance {
  acceptingRegion: string;
  acceptingProvinces: string[] | null;
  scenario: string;
  accepted: boolean;
  ruleId: string | null;
  ruleVersion: number | null;
  reasons: string[];
  releasedFields: string[];
}

/**
 * The decision for every region × scenario. A rule may accept in some provinces of a region only,
 * so each province is decided; where they all agree the answer is the region's, otherwise it is
 * split by the provinces each answer holds for.
 */
export function whereAccepted(input: {
  credential: CredentialFacts;
  scenarios: string[];
  acceptanceRules: AcceptanceRule[];
  invalidationRules: InvalidationRule[];
  on: string;
}): Acceptance[] {
  const result: Acceptance[] = [];
  for (const region of regions) {
    for (const scenario of input.scenarios) {
      const byOutcome = new Map<string, Acceptance & { provinces: string[] }>();
      for (const province of region.provinceCodes) {
        const d = decide({
          scenario,
          verifier: { region: region.code, province },
          credential: input.credential,
          acceptanceRules: input.acceptanceRules,
          invalidationRules: input.invalidationRules,
          today: input.on,
        });
        const outcome: Acceptance = {
          acceptingRegion: region.code,
          acceptingProvinces: null,
          scenario,
          accepted: d.verdict === 'ACCEPTED',
          ruleId: d.rule?.id ?? null,
          ruleVersion: d.rule?.version ?? null,
          reasons: d.reasons,
          releasedFields: d.releases.map((r) => r.field),
        };
        const key = JSON.stringify(outcome);
        const seen = byOutcome.get(key);
        if (seen) seen.provinces.push(province);
        else byOutcome.set(key, { ...outcome, provinces: [province] });
      }
      const outcomes = [...byOutcome.values()];
      for (const { provinces, ...outcome } of outcomes) {
        result.push(outcomes.length === 1 ? outcome : { ...outcome, acceptingProvinces: provinces });
      }
    }
  }
  return result;
}

export function acceptanceResolvers(): GraphQLResolverMap<RecognitionContext> {
  return {
    Credential: {
      async whereAccepted(credential: CredentialRepresentation, args: { on?: string | null; acceptedOnly?: boolean | null }, ctx: RecognitionContext) {
        // The record's holder code came from its registry, so only the holder's own credential passes.
        if (ctx.caller.role !== 'admin' && !(ctx.caller.role === 'holder' && ctx.caller.holderCode === credential.holderCode)) {
          throw forbidden('Where a credential is accepted is shown to its holder and to auditors only.');
        }
        const on = args.on ?? todayInChina();
        if (!isCalendarDay(on)) {
          throw badInput(`on must be a day, YYYY-MM-DD (got "${on.slice(0, 20)}").`, { field: 'on' });
        }
        const { provinceCode } = regionOfIdentifier(credential.id);
        // One read of the reference data (one statement while unchanged) for all three.
        const reference = await ctx.store.reference();
        const all = whereAccepted({
          credential: {
            typeCode: credential.typeCode,
            issuingProvince: provinceCode,
            status: credential.status,
            effectiveDate: credential.effectiveDate,
            expiryDate: credential.expiryDate,
            superseded: Boolean(credential.supersededBy),
          },
          scenarios: reference.scenarios.map((s) => s.code),
          acceptanceRules: reference.acceptanceRules,
          invalidationRules: reference.invalidationRules,
          on,
        });
        return args.acceptedOnly ? all.filter((a) => a.accepted) : all;
      },
    },
    CredentialAcceptance: {
      acceptingRegion: (a: Acceptance) => ({ __typename: 'Region', code: a.acceptingRegion }),
      scenario: (a: Acceptance, _: unknown, ctx: RecognitionContext) => ctx.loaders.scenario.load(a.scenario),
    },
  };
}
