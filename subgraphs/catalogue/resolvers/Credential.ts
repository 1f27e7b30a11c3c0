import { regions } from '../../kit/reference.js';
import { credentialTypename, regionTypename, routeIdentifier, type CredentialRef } from '../routing.js';

const issuingRegion = (ref: CredentialRef) => {
  const { region } = routeIdentifier(ref.id);
  return { __typename: regionTypename(region), code: region.code };
};

/** The interface resolves to the issuing region's type; each region type only knows its region. */
export const credentialResolvers = {
  Credential: {
    __resolveType: (ref: CredentialRef) => ref.__typename,
  },
  ...Object.fromEntries(
    regions.map((r) => [
      credentialTypename(r),
      {
        __resolveReference: (ref: { id: string }) => ({ __typename: credentialTypename(r), id: ref.id }),
        issuingRegion,
      },
    ]),
  ),
};
