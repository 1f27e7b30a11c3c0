import type { Caller } from '../../kit/auth/caller.js';
import { forbidden } from '../../kit/errors.js';
import type { PageArgs } from '../../kit/pages.js';
import { regionByCode } from '../../kit/reference.js';
import { holderCredentialKey, holderCredentialPages } from '../db/index-store.js';
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
  /** A page of the holder's index entries, each a reference to its region's credential type. */
  async credentials(holder: { code: string }, args: PageArgs | undefined, ctx: CatalogueContext) {
    assertMayListHolder(ctx.caller, holder.code);
    const page = holderCredentialPages.request(holder.code, args ?? {});
    const entries = await ctx.loaders.holderCredentialPages.load({ holderCode: holder.code, page });
    const connection = holderCredentialPages.connection(holder.code, page, entries, holderCredentialKey, () => ctx.loaders.holderCredentialCounts.load(holder.code));
    // An entry of a region no longer in the regions file routes nowhere: it is left out of the page.
    const nodes = connection.nodes.flatMap((e) => {
      const region = regionByCode(e.regionCode);
      return region ? [{ __typename: credentialTypename(region), id: e.credentialId }] : [];
    });
    return { ...connection, nodes };
  },
};
