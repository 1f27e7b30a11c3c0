import { regionByCode } from '../../kit/reference.js';
import { credentialTypename, parseHolderCode } from '../routing.js';
import type { CatalogueContext } from './context.js';

export const Holder = {
  __resolveReference: (ref: { code: string }) => parseHolderCode(ref.code),
  async credentials(holder: { code: string }, _: unknown, ctx: CatalogueContext) {
    const entries = await ctx.loaders.holderCredentials.load(holder.code);
    return entries.flatMap((e) => {
      const region = regionByCode(e.regionCode);
      return region ? [{ __typename: credentialTypename(region), id: e.credentialId }] : [];
    });
  },
};
