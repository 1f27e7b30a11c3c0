import path from 'node:path';
import { composeServices } from '@apollo/composition';
import type { GraphQLError } from 'graphql';
import { readAccessPolicy } from '../gateway/src/authorization.js';
import { loadTypeDefs } from '../subgraphs/kit/sdl.js';
import { catalogueSubgraph, recognitionSubgraph, regions } from '../subgraphs/kit/reference.js';

export const repoRoot = path.resolve(import.meta.dirname, '..');
export const supergraphPath = path.join(repoRoot, 'schema', 'supergraph.graphql');

export interface SubgraphSource {
  name: string;
  /** Default routing URL written into the supergraph; the gateway can override it per subgraph. */
  url: string;
  sdlPath: string;
}

/** The subgraphs composed into Hutong's supergraph, with their local default URLs. */
export function subgraphSources(): SubgraphSource[] {
  const source = (name: string, baseUrl: string) => ({
    name,
    url: `${baseUrl}/graphql`,
    sdlPath: path.join(repoRoot, 'subgraphs', name, 'schema.graphql'),
  });
  const local = (s: { name: string; defaultPort: number }) => source(s.name, `http://127.0.0.1:${s.defaultPort}`);
  // The regions come from the regions file, with the URLs it gives them.
  return [local(catalogueSubgraph), local(recognitionSubgraph), ...regions.map((r) => source(r.code, r.url))];
}

export type CompositionResult = { ok: true; supergraphSdl: string } | { ok: false; errors: string[] };

/** Composes the subgraphs' SDL files; errors name the subgraph and the type or field they concern. */
export function compose(sources: SubgraphSource[] = subgraphSources()): CompositionResult {
  const services = [];
  const errors: string[] = [];
  for (const s of sources) {
    try {
      services.push({ name: s.name, url: s.url, typeDefs: loadTypeDefs(s.sdlPath) });
    } catch (error) {
      errors.push(`[${s.name}] ${path.relative(repoRoot, s.sdlPath)}: ${(error as Error).message}`);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const result = composeServices(services);
  if (result.errors) return { ok: false, errors: result.errors.map(describeError) };
  // Every field must say who may read it; one that does not would be refused to everyone.
  let undeclared: string[];
  try {
    undeclared = readAccessPolicy(result.supergraphSdl).policy.undeclared;
  } catch (error) {
    return { ok: false, errors: [(error as Error).message] };
  }
  if (undeclared.length > 0) {
    return {
      ok: false,
      errors: undeclared.map((f) => `ACCESS_UNDECLARED: ${f} declares no access: add @requiresScopes to the field or its type in the subgraph that defines it.`),
    };
  }
  return { ok: true, supergraphSdl: result.supergraphSdl };
}

function describeError(error: GraphQLError): string {
  const code = typeof error.extensions?.code === 'string' ? `${error.extensions.code}: ` : '';
  // Composition messages already start with the subgraph in brackets; add where each node is.
  const where = (error.nodes ?? [])
    .map((n) => (n.loc ? `${n.loc.source.name}:${n.loc.startToken.line}` : undefined))
    .filter((w): w is string => w !== undefined && !w.startsWith('GraphQL request'));
  return `${code}${error.message}${where.length > 0 ? ` (at ${[...new Set(where)].join(', ')})` : ''}`;
}
