import {
  defaultFieldResolver,
  GraphQLError,
  Kind,
  type ConstDirectiveNode,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { anonymous, roles, type Caller } from './caller.js';

/**
 * Field access is declared in each subgraph's SDL with the federation directive
 * `@requiresScopes(scopes: [[...], ...])`: the caller needs every scope of at least one inner
 * list. A caller's scopes come from its role: everyone has `public`, and an authenticated
 * caller also has its role (`holder`, `verifier`, `issuer`, `analyst`, `admin`). A field's
 * requirement is its own directive and its parent type's, both; a field that declares nothing
 * (on itself or its type) is refused to everyone, so nothing is open by accident.
 *
 * The gateway enforces the composed declarations before planning; every subgraph enforces its
 * own again on the fields it resolves. Which rows a caller may see (their own credential, their
 * own region) is decided by the subgraph that owns the data.
 */
export const REQUIRES_SCOPES = 'requiresScopes';
export const PUBLIC_SCOPE = 'public';

export type ScopeRequirement = string[][];
export type Principal = Caller['role'];
export const principals: readonly Principal[] = ['anonymous', ...roles];

export function scopesOf(role: Principal): Set<string> {
  return new Set(role === 'anonymous' ? [PUBLIC_SCOPE] : [PUBLIC_SCOPE, role]);
}

export function satisfies(granted: Set<string>, required: ScopeRequirement): boolean {
  return required.some((all) => all.every((scope) => granted.has(scope)));
}

/** The principals a set of requirements (all must hold) lets through. */
export function allowedPrincipals(requirements: ScopeRequirement[]): Set<Principal> {
  return new Set(principals.filter((p) => requirements.every((r) => satisfies(scopesOf(p), r))));
}

/** Reads `@requiresScopes(scopes: ...)` from directive nodes; undefined when absent. */
export function readRequirement(directives: readonly ConstDirectiveNode[] | undefined, name = REQUIRES_SCOPES): ScopeRequirement | undefined {
  const directive = directives?.find((d) => d.name.value === name);
  if (!directive) return undefined;
  // Stryker disable next-line OptionalChaining: graphql's parser always gives a directive an arguments array
  const arg = directive.arguments?.find((a) => a.name.value === 'scopes');
  if (!arg || arg.value.kind !== Kind.LIST) throw new Error(`@${name} needs a scopes list`);
  return arg.value.values.map((inner) => {
    if (inner.kind !== Kind.LIST) throw new Error(`@${name}(scopes:) is a list of lists of scopes`);
    return inner.values.map((v) => {
      if (v.kind !== Kind.STRING) throw new Error(`@${name} scopes are strings`);
      return v.value;
    });
  });
}

/**
 * The refusal a caller gets for fields it may not read. At the gateway, which refuses the whole
 * operation, it sets HTTP 401 (anonymous) or 403; in a subgraph it stays a field error, so the
 * gateway does not mistake it for a failing subgraph.
 */
export function accessRefused(role: Principal, coordinates: string[], options: { httpStatus: boolean } = { httpStatus: true }): GraphQLError {
  const list = coordinates.slice(0, 20).join(', ');
  const anonymousCaller = role === 'anonymous';
  const http = options.httpStatus ? { http: { status: anonymousCaller ? 401 : 403 } } : {};
  return anonymousCaller
    ? new GraphQLError(`Sign in to read ${list}: anonymous callers see only the public parts of the graph.`, {
        extensions: { code: 'UNAUTHENTICATED', fields: coordinates, ...http },
      })
    : new GraphQLError(`The ${role} role may not read ${list}.`, { extensions: { code: 'FORBIDDEN', fields: coordinates, ...http } });
}

const federationTypes = new Set(['_Service', '_Entity', '_Any']);
/** The root fields @apollo/subgraph adds for the gateway; every other `_` field is the subgraph's own. */
const federationQueryFields = new Set(['_entities', '_service']);

/**
 * Type tests by tag, not instanceof: @apollo/subgraph and @apollo/gateway build their schemas
 * with graphql's CommonJS build, and Hutong's modules load the ESM one.
 */
export const typeTag = (type: unknown): string => Object.prototype.toString.call(type).slice(8, -1);
const isObjectType = (type: GraphQLNamedType): type is GraphQLObjectType => typeTag(type) === 'GraphQLObjectType';

/**
 * The key fields of an `@interfaceObject` type: composition allows no `@requiresScopes` there
 * (the interface's own subgraph declares access), and a key is only what names the entity —
 * a region's code, say — so these fields are public. Any other field of such a type still needs
 * a declaration of its own, like every field.
 */
function interfaceObjectKeys(type: GraphQLObjectType): Set<string> {
  const directives = [type.astNode, ...type.extensionASTNodes].flatMap((n) => n?.directives ?? []);
  if (!directives.some((d) => d.name.value === 'interfaceObject' || d.name.value === 'federation__interfaceObject')) return new Set();
  const keys = directives
    .filter((d) => d.name.value === 'key' || d.name.value === 'federation__key')
    .flatMap((d) => d.arguments?.find((a) => a.name.value === 'fields')?.value ?? [])
    .flatMap((v) => (v.kind === Kind.STRING ? v.value.split(/\s+/).filter((f) => /^\w+$/.test(f)) : []));
  return new Set(keys);
}

/**
 * The subgraph's own check: wraps every field resolver of the schema so that a caller whose
 * role the field's declaration does not let through gets FORBIDDEN (or UNAUTHENTICATED), even
 * when the request did not come through the gateway's check. Federation's own fields
 * (`_entities`, `_service`) stay open: what they return is checked field by field.
 */
export function enforceDeclaredScopes(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || federationTypes.has(type.name)) continue;
    // As at the gateway: root fields declare their own access, never through the root type.
    const isRoot = [schema.getQueryType(), schema.getMutationType()].some((root) => root?.name === type.name);
    const typeRequirement = isRoot ? undefined : readRequirement([type.astNode, ...type.extensionASTNodes].flatMap((n) => n?.directives ?? []));
    for (const field of Object.values(type.getFields())) {
      // Stryker disable next-line OptionalChaining: a subgraph schema always has a Query type
      if (type.name === schema.getQueryType()?.name && federationQueryFields.has(field.name)) continue;
      const requirements = [typeRequirement, readRequirement(field.astNode?.directives)].filter((r): r is ScopeRequirement => r !== undefined);
      if (requirements.length === 0 && interfaceObjectKeys(type).has(field.name)) requirements.push([[PUBLIC_SCOPE]]);
      const allowed = requirements.length ? allowedPrincipals(requirements) : new Set<Principal>();
      const resolve: GraphQLFieldResolver<unknown, { caller?: Caller }> = field.resolve ?? defaultFieldResolver;
      const coordinate = `${type.name}.${field.name}`;
      field.resolve = (source, args, context, info) => {
        const role = (context?.caller ?? anonymous).role;
        // Stryker disable next-line ObjectLiteral: an omitted httpStatus is falsy, the same as false
        if (!allowed.has(role)) throw accessRefused(role, [coordinate], { httpStatus: false });
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
