import type { Caller } from '../../kit/auth/caller.js';
import { forbidden } from '../../kit/errors.js';
import { regionByCode } from '../../kit/reference.js';
import { credentialTypename, parseHolderCode } from '../routing.js';
import type { CatalogueContext } from './context.js';

/** The national index says where a person holds credentials: the holder's own business (and auditors'). */
export function assertMayListHolder(caller: Caller, code: string): void {
  if (caller.role !== 'admin' && !(caller.role === 'holder' && caller.holderCode === code)) {
    throw forbidden('A holder’s credentials are listed for that holder only.');
  }
}

export const Holder = {
  __resolveReference: (ref: { code: string }) => parseHolderCode(ref.code),
  async credentials(holder: { code: string }, _: unknown, ctx: CatalogueContext) {
    assertMayListHolder(ctx.caller, holder.code);
    const entries = await ctx.loaders.holderCredentials.load(holder.code);
    return entries.flatMap((e) => {
      const region = regionByCode(e.regionCode);
      return region ? [{ __typename: credentialTypename(region), id: e.credentialId }] : [];
    });
  },
};
