import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';

/**
 * Resolver maps of one subgraph's modules as one: a type several modules resolve (Query, Mutation,
 * a region's type) gets every module's fields; a later module's field wins over an earlier one's.
 */
export function mergeResolverMaps<C>(...maps: GraphQLResolverMap<C>[]): GraphQLResolverMap<C> {
  const merged: GraphQLResolverMap<C> = {};
  for (const map of maps) {
    for (const [type, fields] of Object.entries(map)) merged[type] = { ...(merged[type] ?? {}), ...fields } as GraphQLResolverMap<C>[string];
  }
  return merged;
}
