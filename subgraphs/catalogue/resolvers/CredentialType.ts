import { credentialTypeByCode, holderTypes, type CredentialType as CatalogueType } from '../../kit/reference.js';

export const CredentialType = {
  __resolveReference: (ref: { code: string }) => credentialTypeByCode(ref.code) ?? null,
  holderType: (t: CatalogueType) => holderTypes[t.holderType],
};
