import type { UsageContext } from '../service.js';
import type { RecognitionContext } from './context.js';

export const Mutation = {
  createPresentationCode: (
    _: unknown,
    args: { credentialId: string; scenario?: string | null; validForMinutes?: number | null },
    ctx: RecognitionContext,
  ) => ctx.service.createPresentationCode(ctx.caller, args.credentialId, args.scenario ?? null, args.validForMinutes ?? null),

  verifyPresentation: async (_: unknown, args: { input: { code: string; scenario: string; context: UsageContext } }, ctx: RecognitionContext) => {
    const verification = await ctx.service.verify(ctx.caller, args.input);
    ctx.verified?.(verification);
    return verification;
  },

  fileDispute: (_: unknown, args: { credentialId: string; field: string; claim: string }, ctx: RecognitionContext) =>
    ctx.service.fileDispute(ctx.caller, args.credentialId, args.field, args.claim),
};
