/**
 * Schema checks for the regional teams: what a change to the subgraphs' SDL does to clients,
 * measured against the committed supergraph (what the gateway serves today).
 *
 * Three kinds of finding:
 * - composition: the current SDL does not compose (one region's change can break another's);
 * - subgraph: a change between a subgraph's schema as the committed supergraph records it and its
 *   current SDL;
 * - api: a change to the client-facing API schema, attributed to the subgraphs defining it.
 * Only `breaking` findings should fail a check; `dangerous` and `safe` ones are for information.
 */
import { buildSubgraph, printSchema, Supergraph, type Schema } from '@apollo/federation-internals';
import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { createRequire } from 'node:module';
import { Kind, parse, visit, type DefinitionNode, type DirectiveNode, type DocumentNode, type GraphQLSchema } from 'graphql';
import { loadTypeDefs } from '../subgraphs/kit/sdl.js';
import { compose, type SubgraphSource } from './composition.js';

/**
 * graphql-inspector checks types with graphql's `instanceof` guards against the copy Node resolves
 * (CommonJS); a bundler-aware runner (vitest) would hand this module the ES copy. Schemas are built
 * with the CommonJS copy so both agree wherever this runs.
 */
const { buildASTSchema } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

export type Severity = 'breaking' | 'dangerous' | 'safe';

export interface Finding {
  kind: 'composition' | 'subgraph' | 'api';
  severity: Severity;
  /** The subgraphs the finding concerns; empty only when none could be told. */
  subgraphs: string[];
  /** Schema coordinate the change is at (`Type`, `Type.field`, `Type.field.argument`). */
  path?: string;
  /** graphql-inspector's change type (`FIELD_REMOVED` …), or the composition error code. */
  change?: string;
  message: string;
}

export interface SchemaCheckReport {
  /** How many subgraphs were checked (the current sources). */
  subgraphCount: number;
  findings: Finding[];
  breaking: Finding[];
}

/** Built-in directives a client sees; every other application is federation or access metadata. */
const CLIENT_DIRECTIVES = new Set(['deprecated', 'specifiedBy', 'oneOf']);
const EXTERNAL = new Set(['external', 'federation__external']);
/** Types federation adds to every subgraph, and the spec types of linked features. */
const isFederationType = (name: string) => name.startsWith('_') || /^(link|join|federation|requiresScopes)__/.test(name);
/** Root fields federation adds to every subgraph's Query. */
const FEDERATION_ROOT_FIELDS = new Set(['_entities', '_service']);

/** A subgraph's schema reduced to what its clients see, and the coordinates it resolves itself. */
interface Shape {
  schema: GraphQLSchema;
  /** `Type` and `Type.member` coordinates this subgraph defines (not merely references as @external). */
  owns: Set<string>;
}

/**
 * Compares the current subgraph SDL (`sources`) with the committed supergraph's SDL.
 * Throws only when the committed supergraph itself cannot be read.
 */
export async function checkSchema(committedSupergraphSdl: string, sources: SubgraphSource[]): Promise<SchemaCheckReport> {
  // Reading, not executing: feature support (e.g. the SECURITY purpose of @requiresScopes) does not matter here.
  const committed = Supergraph.build(committedSupergraphSdl, { supportedFeatures: null });
  const findings: Finding[] = [];

  // Both sides go through federation's own Subgraph model and the same reduction, so that
  // extraction artefacts (join metadata, dropped descriptions, directive spellings) cancel out.
  const before = new Map<string, Shape>();
  for (const subgraph of committed.subgraphs()) {
    before.set(subgraph.name, shapeOf(subgraph.schema, true));
  }
  const after = new Map<string, Shape>();
  /** Subgraphs whose SDL differs from what the committed supergraph records (or does not build). */
  const changed = new Set<string>();
  for (const source of sources) {
    try {
      const subgraph = buildSubgraph(source.name, source.url, loadTypeDefs(source.sdlPath));
      after.set(source.name, shapeOf(subgraph.schema, true));
    } catch {
      // The SDL does not load or build: composition below reports why, naming the subgraph.
      changed.add(source.name);
    }
  }

  for (const source of sources) {
    const old = before.get(source.name);
    const current = after.get(source.name);
    if (!current) continue;
    if (!old) {
      changed.add(source.name);
      findings.push({ kind: 'subgraph', severity: 'safe', subgraphs: [source.name], message: 'New subgraph, not in the committed supergraph.' });
      continue;
    }
    const changes = await diff(old.schema, current.schema);
    if (changes.length > 0) changed.add(source.name);
    for (const c of changes) findings.push({ kind: 'subgraph', subgraphs: [source.name], ...describe(c) });
  }
  for (const name of before.keys()) {
    if (!sources.some((s) => s.name === name)) {
      findings.push({ kind: 'subgraph', severity: 'breaking', subgraphs: [name], message: 'Subgraph removed: it is in the committed supergraph but no longer among the sources.' });
    }
  }

  const composition = compose(sources);
  if (!composition.ok) {
    for (const error of composition.errors) {
      const named = sources.map((s) => s.name).filter((name) => mentions(error, name));
      // Composition errors name every subgraph involved; the ones that changed are the suspects.
      const suspects = named.filter((name) => changed.has(name));
      findings.push({
        kind: 'composition',
        severity: 'breaking',
        subgraphs: suspects.length > 0 ? suspects : named,
        // Composition messages quote the coordinate they concern, e.g. "StatusCount.count".
        path: /"([A-Za-z_]\w*\.[A-Za-z_]\w*)"/.exec(error)?.[1],
        change: /^([A-Z_]+):/.exec(error)?.[1],
        message: error,
      });
    }
  } else {
    const newApi = Supergraph.build(composition.supergraphSdl, { supportedFeatures: null }).apiSchema();
    const changes = await diff(shapeOf(committed.apiSchema(), false).schema, shapeOf(newApi, false).schema);
    for (const c of changes) {
      findings.push({ kind: 'api', subgraphs: owners(c.path, [...before.values(), ...after.values()], [...before.keys(), ...after.keys()]), ...describe(c) });
    }
  }

  return { subgraphCount: sources.length, findings, breaking: findings.filter((f) => f.severity === 'breaking') };
}

function describe(change: Change): Pick<Finding, 'severity' | 'path' | 'change' | 'message'> {
  const level = change.criticality.level;
  const severity: Severity = level === CriticalityLevel.Breaking ? 'breaking' : level === CriticalityLevel.Dangerous ? 'dangerous' : 'safe';
  return { severity, path: change.path, change: change.type, message: change.message };
}

/** Whether a composition error names the subgraph: `[name]`, `"name"` or its SDL path. */
function mentions(error: string, name: string): boolean {
  return error.includes(`[${name}]`) || error.includes(`"${name}"`) || error.includes(`subgraphs/${name}/`);
}

/**
 * The subgraphs defining the changed coordinate, or failing that its type. `shapes` and `names`
 * run in parallel: committed shapes first (removals), then current ones (additions).
 */
function owners(path: string | undefined, shapes: Shape[], names: string[]): string[] {
  if (!path) return [];
  const parts = path.split('.');
  for (let length = parts.length; length > 0; length--) {
    const coordinate = parts.slice(0, length).join('.');
    const found = new Set(names.filter((_, i) => shapes[i]!.owns.has(coordinate)));
    if (found.size > 0) return [...found].sort();
  }
  return [];
}

/**
 * Reduces a federation schema to its client-visible shape: no federation types, root fields or
 * directive definitions, only built-in directive applications, and (for subgraphs, whose
 * descriptions the supergraph merges) no descriptions.
 */
function shapeOf(schema: Schema, isSubgraph: boolean): Shape {
  const document = parse(printSchema(schema));
  const owns = new Set<string>();
  for (const definition of document.definitions) collectOwned(definition, owns);

  const reduced = visit(document, {
    enter(node, key) {
      if (isSubgraph && key === 'description') return null;
      switch (node.kind) {
        case Kind.SCHEMA_DEFINITION:
        case Kind.SCHEMA_EXTENSION:
        case Kind.DIRECTIVE_DEFINITION:
          return null;
        case Kind.DIRECTIVE:
          return CLIENT_DIRECTIVES.has(node.name.value) ? undefined : null;
        case Kind.OBJECT_TYPE_DEFINITION:
        case Kind.OBJECT_TYPE_EXTENSION:
        case Kind.INTERFACE_TYPE_DEFINITION:
        case Kind.INTERFACE_TYPE_EXTENSION:
        case Kind.UNION_TYPE_DEFINITION:
        case Kind.UNION_TYPE_EXTENSION:
        case Kind.ENUM_TYPE_DEFINITION:
        case Kind.ENUM_TYPE_EXTENSION:
        case Kind.INPUT_OBJECT_TYPE_DEFINITION:
        case Kind.INPUT_OBJECT_TYPE_EXTENSION:
        case Kind.SCALAR_TYPE_DEFINITION:
        case Kind.SCALAR_TYPE_EXTENSION: {
          if (isFederationType(node.name.value)) return null;
          if (node.name.value === 'Query' && 'fields' in node && node.fields) {
            const fields = node.fields.filter((f) => !FEDERATION_ROOT_FIELDS.has(f.name.value));
            // A subgraph that only resolves entities has nothing left on Query.
            if (fields.length === 0) return null;
            return { ...node, fields };
          }
          return undefined;
        }
        default:
          return undefined;
      }
    },
  }) as DocumentNode;
  return { schema: buildASTSchema(reduced, { assumeValid: true, assumeValidSDL: true }), owns };
}

function collectOwned(definition: DefinitionNode, owns: Set<string>): void {
  if (!('name' in definition) || !definition.name || definition.kind === Kind.DIRECTIVE_DEFINITION) return;
  const type = definition.name.value;
  if (isFederationType(type)) return;
  const external = (directives: readonly DirectiveNode[] | undefined) => (directives ?? []).some((d) => EXTERNAL.has(d.name.value));
  const typeExternal = 'directives' in definition && external(definition.directives);
  const members: { name: string; external: boolean }[] = [];
  if ('fields' in definition && definition.fields) {
    for (const f of definition.fields) {
      if (type === 'Query' && FEDERATION_ROOT_FIELDS.has(f.name.value)) continue;
      members.push({ name: f.name.value, external: typeExternal || external(f.directives) });
    }
  }
  if ('values' in definition && definition.values) {
    for (const v of definition.values) members.push({ name: v.name.value, external: false });
  }
  const ownedMembers = members.filter((m) => !m.external);
  for (const m of ownedMembers) owns.add(`${type}.${m.name}`);
  // A type whose every field is @external is only referenced here, not defined.
  if (members.length === 0 || ownedMembers.length > 0) owns.add(type);
}
