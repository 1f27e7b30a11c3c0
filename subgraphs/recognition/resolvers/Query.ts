import { badInput, forbidden } from '../../kit/errors.js';
import { todayInChina } from '../../kit/registry/status.js';
import { inForce } from '../engine.js';
import type { RecognitionContext } from './context.js';

export const Query = {
  me: (_: unknown, __: unknown, ctx: RecognitionContext) => ctx.caller,

  scenarios: (_: unknown, __: unknown, ctx: RecognitionContext) => ctx.store.scenarios(),

  async recognitionRules(
    _: unknown,
    args: { acceptingRegion?: string | null; scenario?: string | null; includeHistory?: boolean | null },
    ctx: RecognitionContext,
  ) {
    const all = await ctx.store.acceptanceRuleRecords();
    const rules = args.includeHistory ? all : inForce(all, todayInChina());
    return rules.filter(
      (r) =>
        (!args.acceptingRegion || r.acceptingRegion === args.acceptingRegion || r.acceptingRegion === null) &&
        (!args.scenario || r.scenario === args.scenario),
    );
  },

  async invalidationRules(_: unknown, args: { includeHistory?: boolean | null }, ctx: RecognitionContext) {
    const all = await ctx.store.invalidationRuleRecords();
    return args.includeHistory ? all : inForce(all, todayInChina());
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
