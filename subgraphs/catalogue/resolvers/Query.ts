import { badInput } from '../../kit/errors.js';
import type { CatalogueContext } from './context.js';
import { assertMayListHolder } from './Holder.js';
import { isValidUscc } from '../../kit/identifiers/index.js';
import { credentialTypeByCode, credentialTypes, regionByCode, regions } from '../../kit/reference.js';
import { parseHolderCode, regionTypename, routeIdentifier } from '../routing.js';

export const Query = {
  credential: (_: unknown, args: { id: string }) => routeIdentifier(args.id).ref,
  holder: (_: unknown, args: { code: string }, ctx: CatalogueContext) => {
    const holder = parseHolderCode(args.code);
    assertMayListHolder(ctx.caller, holder.code);
    return holder;
  },
  regions: () => regions.map((r) => ({ __typename: regionTypename(r), code: r.code })),
  region: (_: unknown, args: { code: string }) => {
    const region = regionByCode(args.code);
    return region ? { __typename: regionTypename(region), code: region.code } : null;
  },
  credentialTypes: () => credentialTypes,
  credentialType: (_: unknown, args: { code: string }) => {
    if (!/^[0-9A-Z]{18}[0-9]{3}$/.test(args.code) || !isValidUscc(args.code.slice(0, 18))) {
      throw badInput('A credential type code is the defining authority’s unified social credit code (GB 32100) followed by a 3-digit sequence.', { argument: 'code' });
    }
    return credentialTypeByCode(args.code) ?? null;
  },
};
