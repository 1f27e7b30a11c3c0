import { badInput, forbidden } from '../../kit/errors.js';
import type { PageArgs } from '../../kit/pages.js';
import { todayInChina } from '../../kit/days.js';
import { acceptanceRuleVersionPages, invalidationRuleVersionPages } from '../db/store.js';
import { inForce } from '../engine.js';
import type { RecognitionContext } from './context.js';

export const Query = {
  me: (_: unknown, __: unknown, ctx: RecognitionContext) => ctx.caller,

  scenarios: (_: unknown, __: unknown, ctx: RecognitionContext) => ctx.store.scenarios(),

  /** The rules in force today: at most one version per rule, so the list is bounded by regions × scenarios × types. */
  async recognitionRules(_: unknown, args: { acceptingRegion?: string | null; scenario?: string | null }, ctx: RecognitionContext) {
    const rules = inForce(await ctx.store.acceptanceRuleRecords(), todayInChina());
    return rules.filter(
      (r) =>
        (!args.acceptingRegion || r.acceptingRegion === args.acceptingRegion || r.acceptingRegion === null) &&
        (!args.scenario || r.scenario === args.scenario),
    );
  },

  async invalidationRules(_: unknown, __: unknown, ctx: RecognitionContext) {
    return inForce(await ctx.store.invalidationRuleRecords(), todayInChina());
  },

  /** A page of one acceptance rule's versions, newest first. */
  async recognitionRuleHistory(_: unknown, args: { id: string } & PageArgs, ctx: RecognitionContext) {
    const page = acceptanceRuleVersionPages.request(args.id, args);
    const versions = await ctx.store.acceptanceRuleVersions(args.id, page);
    return acceptanceRuleVersionPages.connection(args.id, page, versions, (r) => [r.version], () => ctx.store.ruleVersionCount('acceptance', args.id));
  },

  /** A page of one invalidation rule's versions, newest first. */
  async invalidationRuleHistory(_: unknown, args: { id: string } & PageArgs, ctx: RecognitionContext) {
    const page = invalidationRuleVersionPages.request(args.id, args);
    const versions = await ctx.store.invalidationRuleVersions(args.id, page);
    return invalidationRuleVersionPages.connection(args.id, page, versions, (r) => [r.version], () => ctx.store.ruleVersionCount('invalidation', args.id));
  },

  async verifiers(_: unknown, args: { region?: string | null }, ctx: RecognitionContext) {
    return (await ctx.store.verifiers()).filter((v) => !args.region || v.region === args.region);
  },

  async verification(_: unknown, args: { id: string }, ctx: RecognitionContext) {
    // Other roles never get here: the field's @requiresScopes (verifier, admin) is enforced first.
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(args.id)) throw badInput('A verification id is a UUID.', { argument: 'id' });
    const found = await ctx.store.verification(args.id);
    if (!found) return null;
    if (ctx.caller.role !== 'admin' && ctx.caller.organisation !== found.verifierOrg) {
      throw forbidden('A verification is visible to the verifier that made it and to auditors only.');
    }
    return found;
  },
};
