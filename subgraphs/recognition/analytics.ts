/**
 * Analysts' figures recognition computes (`analytics.graphql`): verifications from the counters
 * migration 006 keeps, the recognition matrix from the rules in force, the usage relay's backlog.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { Queryable } from '../kit/db.js';
import { badInput } from '../kit/errors.js';
import { suppressSmallCells } from '../kit/figures.js';
import { provinces, regionOfProvince, regions } from '../kit/reference.js';
import { daysBetween, isCalendarDay, todayInChina } from '../kit/days.js';
import { inForce } from './engine.js';
import type { RecognitionContext } from './resolvers/context.js';

/** The longest span one request may count, so a request's cost stays bounded. */
export const MAX_FIGURE_DAYS = 366;

export interface VerificationCell {
  day: string;
  scenario: string;
  verdict: string;
  acceptingRegion: string;
  issuingRegion: string;
  count: number;
}

export async function verificationCells(db: Queryable, from: string, to: string, scenario?: string): Promise<VerificationCell[]> {
  return db.query<VerificationCell>(
    `select to_char(day, 'YYYY-MM-DD') as day, scenario, verdict, accepting_region as "acceptingRegion",
            issuing_region as "issuingRegion", count::int as count
       from verification_figure
      where day between $1::date and $2::date and ($3::text is null or scenario = $3) and count > 0
      order by day, scenario, verdict, accepting_region, issuing_region`,
    [from, to, scenario ?? null],
  );
}

/** A real calendar day, YYYY-MM-DD, or a BAD_USER_INPUT naming the argument. */
function day(name: string, value: string): string {
  if (!isCalendarDay(value)) throw badInput(`${name} must be a day, YYYY-MM-DD (got "${value.slice(0, 20)}").`, { field: name });
  return value;
}

const regionRef = (code: string) => ({ __typename: 'Region', code });

export function analyticsResolvers(db: Queryable, minCell: number): GraphQLResolverMap<RecognitionContext> {
  return {
    Query: {
      async verificationFigures(_: unknown, args: { from: string; to: string; scenario?: string | null }) {
        const from = day('from', args.from);
        const to = day('to', args.to);
        if (from > to) throw badInput(`from (${from}) is after to (${to}).`, { field: 'from' });
        if (daysBetween(from, to) + 1 > MAX_FIGURE_DAYS) throw badInput(`At most ${MAX_FIGURE_DAYS} days at a time (asked for ${daysBetween(from, to) + 1}).`, { field: 'to' });
        // Only this figure's cells are counted nowhere else, so no secondary suppression is needed:
        // no total of them is published from which a hidden cell could be worked out.
        return suppressSmallCells(await verificationCells(db, from, to, args.scenario ?? undefined), minCell);
      },

      async recognitionMatrix(_: unknown, args: { scenario?: string | null; credentialType?: string | null; on?: string | null }, ctx: RecognitionContext) {
        const on = args.on ? day('on', args.on) : todayInChina();
        const rules = inForce(await ctx.store.acceptanceRuleRecords(), on).filter(
          (r) => (!args.scenario || r.scenario === args.scenario) && (!args.credentialType || r.credentialType === args.credentialType),
        );
        return rules
          .flatMap((rule) =>
            (rule.acceptingRegion ? [rule.acceptingRegion] : regions.map((r) => r.code)).flatMap((acceptingRegion) =>
              (rule.issuingProvinces ?? provinces.map((p) => p.code)).map((issuingProvince) => ({
                acceptingRegion,
                acceptingProvinces: rule.acceptingProvinces,
                issuingProvince,
                issuingRegion: regionOfProvince(issuingProvince)?.code ?? null,
                scenario: rule.scenario,
                credentialType: rule.credentialType,
                ruleId: rule.id,
                ruleVersion: rule.version,
                national: rule.acceptingRegion === null,
              })),
            ),
          )
          // A province with no registry in Hutong has no credentials to present here.
          .filter((cell): cell is typeof cell & { issuingRegion: string } => cell.issuingRegion !== null)
          .sort((a, b) =>
            [a.acceptingRegion, a.scenario, a.credentialType, a.issuingProvince, a.ruleId].join('|').localeCompare([b.acceptingRegion, b.scenario, b.credentialType, b.issuingProvince, b.ruleId].join('|')),
          );
      },

      async usageRelayBacklog(_: unknown, __: unknown, ctx: RecognitionContext) {
        const backlog = await ctx.store.usageBacklog();
        return Object.entries(backlog).map(([code, b]) => ({ issuingRegion: code, pending: b.pending, oldestQueuedAt: b.oldestQueuedAt, nextAttemptAt: b.nextAttemptAt }));
      },
    },
    VerificationFigure: {
      scenario: (c: VerificationCell, _: unknown, ctx: RecognitionContext) => ctx.loaders.scenario.load(c.scenario),
      acceptingRegion: (c: VerificationCell) => regionRef(c.acceptingRegion),
      issuingRegion: (c: VerificationCell) => regionRef(c.issuingRegion),
    },
    RecognitionMatrixCell: {
      acceptingRegion: (c: { acceptingRegion: string }) => regionRef(c.acceptingRegion),
      issuingRegion: (c: { issuingRegion: string }) => regionRef(c.issuingRegion),
      scenario: (c: { scenario: string }, _: unknown, ctx: RecognitionContext) => ctx.loaders.scenario.load(c.scenario),
      credentialType: (c: { credentialType: string }) => ({ code: c.credentialType }),
    },
    UsageRelayBacklog: {
      issuingRegion: (b: { issuingRegion: string }) => regionRef(b.issuingRegion),
    },
  };
}
