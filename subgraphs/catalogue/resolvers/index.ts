import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { CatalogueContext } from './context.js';
import { credentialResolvers } from './Credential.js';
import { CredentialType } from './CredentialType.js';
import { Holder } from './Holder.js';
import { Query } from './Query.js';
import { regionResolvers } from './Region.js';

export const resolvers = {
  Query,
  Holder,
  CredentialType,
  ...credentialResolvers,
  ...regionResolvers,
} as GraphQLResolverMap<CatalogueContext>;
