import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { RecognitionContext } from './context.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { InvalidationRule, Me, PresentationCode, RecognitionRule, ReleasedField, Scenario, Verification, VerifierType } from './types.js';

export const resolvers = {
  Query,
  Mutation,
  Verification,
  RecognitionRule,
  InvalidationRule,
  Verifier: VerifierType,
  PresentationCode,
  Me,
  ReleasedField,
  Scenario,
} as GraphQLResolverMap<RecognitionContext>;
