import type { AcceptanceRuleInput, InvalidationRuleInput } from '../rules.js';
import type { CounterVerificationInput, UsageContext } from '../service.js';
import type { RecognitionContext } from './context.js';

export const Mutation = {
  createPresentationCode: (
    _: unknown,
    args: { credentialId: string; scenario?: string | null; validForMinutes?: number | null },
    ctx: RecognitionContext,
  ) => ctx.service.createPresentationCode(ctx.caller, args.credentialId, args.scenario ?? null, args.validForMinutes ?? null),

  verifyPresentation: async (_: unknown, args: { input: { code: string; scenario: string; context: UsageContext } }, ctx: RecognitionContext) => {
    const verification = await ctx.service.verify(ctx.caller, args.input, ctx.loaders.reference);
    ctx.verified?.(verification);
    return verification;
  },

  verifyAtCounter: async (_: unknown, args: { input: CounterVerificationInput }, ctx: RecognitionContext) => {
    const verification = await ctx.service.verifyAtCounter(ctx.caller, args.input, ctx.loaders.reference);
    ctx.verified?.(verification);
    return verification;
  },

  fileDispute: (_: unknown, args: { credentialId: string; field: string; claim: string }, ctx: RecognitionContext) =>
    ctx.service.fileDispute(ctx.caller, args.credentialId, args.field, args.claim),

  publishRecognitionRule: (_: unknown, args: { input: AcceptanceRuleInput; reason: string }, ctx: RecognitionContext) =>
    ctx.rules.publishAcceptanceRule(ctx.caller, args.input, args.reason),

  retireRecognitionRule: (_: unknown, args: { id: string; effectiveFrom: string; reason: string }, ctx: RecognitionContext) =>
    ctx.rules.retireAcceptanceRule(ctx.caller, args.id, args.effectiveFrom, args.reason),

  publishInvalidationRule: (_: unknown, args: { input: InvalidationRuleInput; reason: string }, ctx: RecognitionContext) =>
    ctx.rules.publishInvalidationRule(ctx.caller, args.input, args.reason),

  retireInvalidationRule: (_: unknown, args: { id: string; effectiveFrom: string; reason: string }, ctx: RecognitionContext) =>
    ctx.rules.retireInvalidationRule(ctx.caller, args.id, args.effectiveFrom, args.reason),
};
