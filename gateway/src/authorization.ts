import type { ApolloServerPlugin } from '@apollo/server';
import {
  Kind,
  parse,
  print,
  visit,
  type ConstDirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Caller } from '../../subgraphs/kit/auth/caller.js';
import type { IntrospectionMode } from './config.js';
import { accessRefused, allowedPrincipals, readRequirement, REQUIRES_SCOPES, type Principal, type ScopeRequirement } from '../../subgraphs/kit/auth/scopes.js';
import { getNamedType, isAbstractType, isCompositeType, isInterfaceType, isObjectType } from './schema-types.js';

const rootTypes = new Set(['Query', 'Mutation', 'Subscription']);
const REQUIRES_SCOPES_SPEC = 'https://specs.apollo.dev/requiresScopes/';
/** Security features the gateway could be asked to enforce; only requiresScopes is. */
const SECURITY_SPECS = ['https://specs.apollo.dev/authenticated/', 'https://specs.apollo.dev/policy/'];

/** Who may read each field of the supergraph: `Type.field` → the principals let through. */
export interface AccessPolicy {
  allowed(typeName: string, fieldName: string): Set<Principal>;
  /** Fields that declare no access at all (refused to everyone). */
  undeclared: string[];
}

function stringArg(directive: ConstDirectiveNode, name: string): string | undefined {
  // Stryker disable next-line OptionalChaining: graphql's parser always gives a directive an arguments array
  const arg = directive.arguments?.find((a) => a.name.value === name);
  return arg && (arg.value.kind === Kind.STRING || arg.value.kind === Kind.ENUM) ? arg.value.value : undefined;
}

/**
 * Reads the access declarations (`@requiresScopes`) from a supergraph and returns them with the
 * SDL `@apollo/gateway` should load. The gateway library refuses supergraphs whose security
 * features it does not enforce itself (`for: SECURITY`); Hutong enforces this one here, before
 * any plan runs, so the purpose is dropped from the copy handed to the library. A supergraph
 * using a security feature Hutong does not enforce (`@authenticated`, `@policy`) is refused.
 */
export function readAccessPolicy(supergraphSdl: string): { policy: AccessPolicy; executableSdl: string } {
  const document = parse(supergraphSdl);
  let directiveName = REQUIRES_SCOPES;
  const links = document.definitions.flatMap((d) => (d.kind === Kind.SCHEMA_DEFINITION || d.kind === Kind.SCHEMA_EXTENSION ? (d.directives ?? []) : [])).filter((d) => d.name.value === 'link');
  for (const link of links) {
    const url = stringArg(link, 'url') ?? '';
    if (SECURITY_SPECS.some((spec) => url.startsWith(spec))) {
      throw new Error(`The supergraph uses ${url}, which the Hutong gateway does not enforce; declare access with @requiresScopes.`);
    }
    if (url.startsWith(REQUIRES_SCOPES_SPEC)) directiveName = stringArg(link, 'as') ?? REQUIRES_SCOPES;
  }

  const typeLevel = new Map<string, ScopeRequirement>();
  const fieldLevel = new Map<string, ScopeRequirement>();
  const fields: string[] = [];
  for (const def of document.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    const name = def.name.value;
    if (name.startsWith('join__') || name.startsWith('link__')) continue;
    // Root types are shared by every subgraph: a declaration on one subgraph's Query would
    // cover other subgraphs' fields, so root fields must each declare their own.
    const onType = rootTypes.has(name) ? undefined : readRequirement(def.directives, directiveName);
    if (onType) typeLevel.set(name, onType);
    // Stryker disable next-line ArrayDeclaration: graphql's parser always gives a type a fields array
    for (const field of def.fields ?? []) {
      fields.push(`${name}.${field.name.value}`);
      const onField = readRequirement(field.directives, directiveName);
      if (onField) fieldLevel.set(`${name}.${field.name.value}`, onField);
    }
  }
  const cache = new Map<string, Set<Principal>>();
  const policy: AccessPolicy = {
    allowed(typeName, fieldName) {
      const coordinate = `${typeName}.${fieldName}`;
      let allowed = cache.get(coordinate);
      if (!allowed) {
        const requirements = [typeLevel.get(typeName), fieldLevel.get(coordinate)].filter((r): r is ScopeRequirement => r !== undefined);
        allowed = requirements.length ? allowedPrincipals(requirements) : new Set();
        cache.set(coordinate, allowed);
      }
      return allowed;
    },
    undeclared: fields.filter((f) => !typeLevel.has(f.split('.')[0]!) && !fieldLevel.has(f)),
  };

  const executable = visit(document, {
    Directive(node) {
      if (node.name.value !== 'link' || !(stringArg(node as ConstDirectiveNode, 'url') ?? '').startsWith(REQUIRES_SCOPES_SPEC)) return undefined;
      // Stryker disable next-line OptionalChaining: graphql's parser always gives a directive an arguments array
      return { ...node, arguments: node.arguments?.filter((a) => a.name.value !== 'for') };
    },
  });
  return { policy, executableSdl: print(executable) };
}

/**
 * The fields (as `Type.field`) of an operation the principal may not read, fragments included;
 * `__schema` and `__type` too when it may not introspect.
 */
export function refusedFields(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  policy: AccessPolicy,
  principal: Principal,
  mayIntrospect = true,
): string[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const operation = document.definitions.find(
    (d) => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return [];
  const root = schema.getRootType(operation.operation);
  if (!root) return [];

  const refused = new Set<string>();
  const seen = new Set<string>();
  const check = (type: GraphQLCompositeType, field: string) => {
    // Declarations live on object types (composition forbids them on interfaces): through an
    // interface, every implementation's declaration applies.
    const types = isAbstractType(type) ? schema.getPossibleTypes(type) : [type];
    const denied = types.filter((t) => !policy.allowed(t.name, field).has(principal));
    // Refused on every implementation: name the interface field the client wrote.
    if (isAbstractType(type) && denied.length > 0 && denied.length === types.length) refused.add(`${type.name}.${field}`);
    else for (const t of denied) refused.add(`${t.name}.${field}`);
  };
  const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__schema' || name === '__type') {
          if (!mayIntrospect) refused.add(`${parent.name}.${name}`);
          continue;
        }
        // Stryker disable next-line MethodExpression: __typename is not among a type's fields either, so it is skipped below too
        if (name.startsWith('__')) continue; // __typename
        if (!isObjectType(parent) && !isInterfaceType(parent)) continue;
        const field = parent.getFields()[name];
        if (!field) continue;
        check(parent, name);
        const next = getNamedType(field.type);
        if (selection.selectionSet && isCompositeType(next)) walk(selection.selectionSet, next);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) walk(selection.selectionSet, type);
      } else {
        const fragment = fragments.get(selection.name.value);
        const key = `${selection.name.value}@${parent.name}`;
        if (!fragment || seen.has(key)) continue;
        seen.add(key);
        const type = schema.getType(fragment.typeCondition.name.value);
        if (type && isCompositeType(type)) walk(fragment.selectionSet, type);
      }
    }
  };
  walk(operation.selectionSet, root);
  return [...refused];
}

/**
 * Refuses, before planning, an operation that selects any field the caller's role may not
 * read, naming those fields: the whole operation, so a client never gets a silently partial
 * answer. The policy is the one read with the schema the request runs on, so a reloaded
 * supergraph brings its own.
 */
export function authorizationPlugin(policyFor: (schema: GraphQLSchema) => AccessPolicy | undefined, introspection: IntrospectionMode): ApolloServerPlugin<{ caller: Caller }> {
  // Apollo keeps a query's parsed document while its schema stands, so the same object comes back
  // for every request with that query: the walk is done once per policy, document, role and operation.
  const decided = new WeakMap<AccessPolicy, WeakMap<DocumentNode, Map<string, string[]>>>();
  const decide = (schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, policy: AccessPolicy, role: Principal, mayIntrospect: boolean) => {
    let byDocument = decided.get(policy);
    if (!byDocument) decided.set(policy, (byDocument = new WeakMap()));
    let byCaller = byDocument.get(document);
    if (!byCaller) byDocument.set(document, (byCaller = new Map()));
    // Whether the role may introspect follows from the role: it needs no place in the key.
    const key = `${role} ${operationName ?? ''}`;
    let refused = byCaller.get(key);
    if (!refused) byCaller.set(key, (refused = refusedFields(schema, document, operationName, policy, role, mayIntrospect)));
    return refused;
  };
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, contextValue }) {
          const policy = policyFor(schema);
          if (!policy) throw new Error('no access policy loaded');
          const role = contextValue.caller.role;
          const mayIntrospect = introspection !== 'analysts' || role === 'analyst' || role === 'admin';
          const refused = decide(schema, document, request.operationName, policy, role, mayIntrospect);
          if (refused.length) throw accessRefused(role, refused);
        },
      };
    },
  };
}
