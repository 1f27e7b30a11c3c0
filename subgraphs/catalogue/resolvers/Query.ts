import { credentialTypeByCode, credentialTypes, regionByCode, regions } from '../../kit/reference.js';
import { parseHolderCode, regionTypename, routeIdentifier } from '../routing.js';

export const Query = {
  credential: (_: unknown, args: { id: string }) => routeIdentifier(args.id).ref,
  holder: (_: unknown, args: { code: string }) => parseHolderCode(args.code),
  regions: () => regions.map((r) => ({ __typename: regionTypename(r), code: r.code })),
  region: (_: unknown, args: { code: string }) => {
    const region = regionByCode(args.code);
    return region ? { __typename: regionTypename(region), code: region.code } : null;
  },
  credentialTypes: () => credentialTypes,
  credentialType: (_: unknown, args: { code: string }) => credentialTypeByCode(args.code) ?? null,
};
