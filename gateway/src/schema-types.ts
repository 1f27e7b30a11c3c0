/**
 * Type predicates that work on any copy of graphql: graphql's own isObjectType & co. use
 * instanceof, which fails on @apollo/gateway's schema (built by its CommonJS graphql).
 */
import type { GraphQLCompositeType, GraphQLInterfaceType, GraphQLList, GraphQLNamedType, GraphQLObjectType, GraphQLType, GraphQLUnionType } from 'graphql';
import { typeTag } from '../../subgraphs/kit/auth/scopes.js';

export const isObjectType = (t: unknown): t is GraphQLObjectType => typeTag(t) === 'GraphQLObjectType';
export const isInterfaceType = (t: unknown): t is GraphQLInterfaceType => typeTag(t) === 'GraphQLInterfaceType';
export const isUnionType = (t: unknown): t is GraphQLUnionType => typeTag(t) === 'GraphQLUnionType';
export const isAbstractType = (t: unknown): t is GraphQLInterfaceType | GraphQLUnionType => isInterfaceType(t) || isUnionType(t);
export const isCompositeType = (t: unknown): t is GraphQLCompositeType => isObjectType(t) || isAbstractType(t);
export const isListType = (t: unknown): t is GraphQLList<GraphQLType> => typeTag(t) === 'GraphQLList';
/** The type without its non-null wrapper, if it has one. */
export const nullableOf = (t: GraphQLType): GraphQLType => (typeTag(t) === 'GraphQLNonNull' ? (t as { ofType: GraphQLType }).ofType : t);

export function getNamedType(type: GraphQLType): GraphQLNamedType {
  let t: GraphQLType = type;
  while ('ofType' in t) t = t.ofType;
  return t;
}
