/**
 * Demand control: what an operation may ask for is bounded by how much it could return, not by
 * how deep it is. Each list declares its size in its subgraph's schema with `@listSize`: a page
 * sized by its `first` argument (`slicingArguments`, applied to the connection's `sizedFields`),
 * or a list of known bounds (`assumedSize`). The cost of an operation is the number of objects it
 * could return, each list multiplying what it holds by its size, so the limit caps the result
 * and a deep but narrow query costs only what it reads.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  parse,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
  type TypeNode,
} from 'graphql';
import { BoundedMap } from '../../subgraphs/kit/bounded-map.js';
import { getNamedType, isCompositeType, isInterfaceType, isListType, isObjectType, nullableOf } from './schema-types.js';

const COST_SPEC = 'https://specs.apollo.dev/cost/';
/**
 * What a list without a declared size counts as. Hutong's own supergraph declares every list (a
 * unit test checks); this is for a supergraph that does not, whose ordinary queries should not
 * be refused for nesting three lists.
 */
export const UNDECLARED_LIST_SIZE = 10;
/** A mutation's root field writes: it weighs as much as ten objects read. */
export const MUTATION_FIELD_COST = 10;
export const COST_LIMIT = 'COST_LIMIT';

export interface ListSize {
  assumedSize?: number;
  slicingArguments?: string[];
  /** The fields of the returned object the size applies to (a connection's `nodes`); else the field's own list. */
  sizedFields?: string[];
}

export interface DemandPolicy {
  listSize(typeName: string, fieldName: string): ListSize | undefined;
  /** Lists of objects in the supergraph whose size is not declared, as `Type.field`. */
  undeclaredLists: string[];
}

/** Reads every `@listSize` of a supergraph (the cost spec's, however the supergraph names it). */
export function readDemandPolicy(supergraphSdl: string): DemandPolicy {
  const document = parse(supergraphSdl);
  let directiveName = 'listSize';
  for (const def of document.definitions) {
    if (def.kind !== Kind.SCHEMA_DEFINITION && def.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const link of def.directives ?? []) {
      if (link.name.value !== 'link' || !(constArg(link, 'url') as string | undefined)?.startsWith(COST_SPEC)) continue;
      // `import: ["@listSize"]` or `import: [{ name: "@listSize", as: "@size" }]`; otherwise `@cost__listSize`.
      const imports = (constArg(link, 'import') as (string | { name: string; as?: string })[] | undefined) ?? [];
      const imported = imports.find((i) => (typeof i === 'string' ? i : i.name) === '@listSize');
      const prefix = (constArg(link, 'as') as string | undefined) ?? 'cost';
      directiveName = imported ? (typeof imported === 'string' ? 'listSize' : (imported.as ?? imported.name).replace(/^@/, '')) : `${prefix}__listSize`;
    }
  }
  const sizes = new Map<string, ListSize>();
  const lists: { coordinate: string; of: string }[] = [];
  // Lists of scalars and enums cost nothing: only lists of objects need a size.
  const composite = new Set(
    document.definitions.flatMap((d) =>
      d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.INTERFACE_TYPE_DEFINITION || d.kind === Kind.UNION_TYPE_DEFINITION ? [d.name.value] : [],
    ),
  );
  // A connection's size applies to the named fields of the type it returns: those lists are sized.
  const sizedByParent = new Set<string>();
  for (const def of document.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    const typeName = def.name.value;
    if (typeName.startsWith('join__') || typeName.startsWith('link__')) continue;
    for (const field of def.fields ?? []) {
      const coordinate = `${typeName}.${field.name.value}`;
      const directive = field.directives?.find((d) => d.name.value === directiveName);
      if (directive) {
        const size: ListSize = {
          assumedSize: constArg(directive, 'assumedSize') as number | undefined,
          slicingArguments: constArg(directive, 'slicingArguments') as string[] | undefined,
          sizedFields: constArg(directive, 'sizedFields') as string[] | undefined,
        };
        sizes.set(coordinate, size);
        for (const sized of size.sizedFields ?? []) sizedByParent.add(`${namedTypeOf(field.type)}.${sized}`);
      } else if (field.type.kind === Kind.LIST_TYPE || (field.type.kind === Kind.NON_NULL_TYPE && field.type.type.kind === Kind.LIST_TYPE)) {
        lists.push({ coordinate, of: namedTypeOf(field.type) });
      }
    }
  }
  // An object type's field without a declaration takes the one of an interface it implements
  // (a region's credential type, say, declares its lists once on the Credential interface).
  for (const def of document.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    for (const field of def.fields ?? []) {
      const coordinate = `${def.name.value}.${field.name.value}`;
      if (sizes.has(coordinate)) continue;
      const inherited = (def.interfaces ?? []).map((i) => sizes.get(`${i.name.value}.${field.name.value}`)).find((s) => s !== undefined);
      if (inherited) sizes.set(coordinate, inherited);
    }
  }
  const undeclaredLists = lists.filter((l) => composite.has(l.of) && !sizes.has(l.coordinate) && !sizedByParent.has(l.coordinate)).map((l) => l.coordinate);
  return { listSize: (typeName, fieldName) => sizes.get(`${typeName}.${fieldName}`), undeclaredLists };
}

function namedTypeOf(type: TypeNode): string {
  let t = type;
  while (t.kind !== Kind.NAMED_TYPE) t = t.type;
  return t.name.value;
}

function constArg(directive: ConstDirectiveNode, name: string): unknown {
  const arg = directive.arguments?.find((a) => a.name.value === name);
  return arg ? valueFromASTUntyped(arg.value) : undefined;
}

/**
 * The cost of the operation `operationName` (or the only one) of a validated document: every
 * object, interface or union it selects counts 1, scalars 0, and each list multiplies what it
 * holds by its declared size. Fragments count at every spread; inline fragments on the members
 * of an abstract type all count, as if every member were returned.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | undefined,
  policy: DemandPolicy,
  /** Told the name of each variable the count reads (for `CostMemo`: the cost depends on those alone). */
  readVariable?: (name: string) => void,
): number {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;

  // As GraphQL coerces arguments: a variable left out takes its own default, or else leaves the
  // argument to its default in the schema. A null page size is read as left out, as Hutong's
  // pages read it (`kit/pages.ts`): it returns a default page, and must cost one.
  const argument = (field: GraphQLField<unknown, unknown>, node: FieldNode, name: string): unknown => {
    const given = node.arguments?.find((a) => a.name.value === name);
    let value: unknown;
    if (given && given.value.kind !== Kind.VARIABLE) value = valueFromASTUntyped(given.value);
    else if (given && given.value.kind === Kind.VARIABLE) {
      const variable = given.value.name.value;
      readVariable?.(variable);
      const declared = operation.variableDefinitions?.find((v) => v.variable.name.value === variable)?.defaultValue;
      if (variables && Object.hasOwn(variables, variable)) value = variables[variable];
      else if (declared) value = valueFromASTUntyped(declared);
    }
    return value ?? field.args.find((a) => a.name === name)?.defaultValue;
  };
  const sizeOf = (field: GraphQLField<unknown, unknown>, node: FieldNode, declared: ListSize | undefined): number => {
    const sliced = (declared?.slicingArguments ?? []).map((name) => argument(field, node, name)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    // A negative page is refused by its resolver; it returns nothing.
    if (sliced.length) return Math.max(0, ...sliced);
    return declared?.assumedSize ?? UNDECLARED_LIST_SIZE;
  };

  // A fragment costs the same at every spread under the same sizes: worked out once, so a
  // fragment bomb is counted in time linear in the document, its cost growing, not the work.
  const fragmentCosts = new Map<string, number>();
  const selectionCost = (type: GraphQLCompositeType, selectionSet: SelectionSetNode, sized: Map<string, number> | undefined, reading: Set<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (on && isCompositeType(on)) total += selectionCost(on, selection.selectionSet, sized, reading);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || reading.has(name)) continue; // unknown or cyclic: refused by validation
        const key = `${name}|${sized ? [...sized].join(',') : ''}`;
        let cost = fragmentCosts.get(key);
        if (cost === undefined) {
          const on = schema.getType(fragment.typeCondition.name.value);
          cost = on && isCompositeType(on) ? selectionCost(on, fragment.selectionSet, sized, new Set([...reading, name])) : 0;
          fragmentCosts.set(key, cost);
        }
        total += cost;
      } else {
        total += fieldCost(type, selection, sized?.get(selection.name.value), reading);
      }
    }
    return total;
  };
  const fieldCost = (parent: GraphQLCompositeType, node: FieldNode, sizeFromParent: number | undefined, reading: Set<string>): number => {
    const name = node.name.value;
    if (name.startsWith('__')) return 0; // introspection: bounded by its own rules
    if (!isObjectType(parent) && !isInterfaceType(parent)) return 0;
    const field = parent.getFields()[name];
    if (!field) return 0;
    const declared = policy.listSize(parent.name, name);
    const named = getNamedType(field.type);
    let sized: Map<string, number> | undefined;
    if (declared?.sizedFields?.length) {
      const size = sizeOf(field, node, declared);
      sized = new Map(declared.sizedFields.map((f) => [f, size]));
    }
    const own = (parent === root && root === schema.getMutationType() ? MUTATION_FIELD_COST : 0) + (isCompositeType(named) ? 1 : 0);
    const inner = node.selectionSet && isCompositeType(named) ? selectionCost(named, node.selectionSet, sized, reading) : 0;
    // Lists of lists multiply once per level, each by the same declared size.
    let multiplier = 1;
    for (let t = nullableOf(field.type); isListType(t); t = nullableOf(t.ofType)) {
      multiplier *= sizeFromParent ?? (declared?.sizedFields?.length ? UNDECLARED_LIST_SIZE : sizeOf(field, node, declared));
    }
    return multiplier * (own + inner);
  };
  return selectionCost(root, operation.selectionSet, undefined, new Set());
}

/** One operation of one document, costed before: which variables its cost reads, and its cost by their values. */
interface CostedOperation {
  schema: GraphQLSchema;
  policy: DemandPolicy;
  variables: string[];
  costs: BoundedMap<string, number>;
}

/**
 * Costs worked out before, kept with the parsed document they were worked out for. Apollo hands
 * back the same document object for the same query text while the schema stands, so an app's
 * operation is walked once, not on every request; its cost is kept by the values of the variables
 * the walk read (page sizes, usually none), never by the others (an identifier, a code). A
 * document Apollo forgets takes its costs with it.
 */
export class CostMemo {
  private readonly byDocument = new WeakMap<DocumentNode, Map<string, CostedOperation>>();

  constructor(private readonly valuesPerOperation = 100) {}

  cost(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | undefined, policy: DemandPolicy): number {
    let operations = this.byDocument.get(document);
    if (!operations) this.byDocument.set(document, (operations = new Map()));
    const name = operationName ?? '';
    let known = operations.get(name);
    if (known && (known.schema !== schema || known.policy !== policy)) known = undefined;
    if (known) {
      const key = valuesKey(known.variables, variables);
      const cost = known.costs.get(key);
      if (cost !== undefined) return cost;
      const fresh = operationCost(schema, document, operationName, variables, policy);
      known.costs.set(key, fresh);
      return fresh;
    }
    const read = new Set<string>();
    const cost = operationCost(schema, document, operationName, variables, policy, (v) => read.add(v));
    const entry: CostedOperation = { schema, policy, variables: [...read].sort(), costs: new BoundedMap(this.valuesPerOperation) };
    entry.costs.set(valuesKey(entry.variables, variables), cost);
    operations.set(name, entry);
    return cost;
  }
}

/** The values of the named variables, told apart from a variable left out. */
const valuesKey = (names: string[], variables: Record<string, unknown> | undefined): string =>
  names.length === 0 ? '' : JSON.stringify(names.map((n) => (variables && Object.hasOwn(variables, n) ? [variables[n]] : [])));

/**
 * Refuses, before any subgraph is asked, an operation costing more than `maxCost` with the
 * variables it came with: 400 GRAPHQL_VALIDATION_FAILED (reason COST_LIMIT). The policy is the
 * one read with the schema the request runs on, so a reloaded supergraph brings its own sizes.
 */
export function costLimitPlugin(policyFor: (schema: GraphQLSchema) => DemandPolicy | undefined, maxCost: number, memo = new CostMemo()): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName }) {
          const policy = policyFor(schema);
          if (!policy) throw new Error('no demand policy loaded');
          const cost = memo.cost(schema, document, operationName ?? request.operationName, request.variables, policy);
          if (cost <= maxCost) return;
          throw new GraphQLError(
            `Cost limit of ${maxCost} exceeded, found ${Number.isFinite(cost) && cost < 1e15 ? cost : 'more than 10^15'}: the operation could return that many objects. Ask for smaller pages (first) or fewer nested lists.`,
            { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', reason: COST_LIMIT, cost: Number.isFinite(cost) && cost < 1e15 ? cost : null, maxCost, http: { status: 400 } } },
          );
        },
      };
    },
  };
}
