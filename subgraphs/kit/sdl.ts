import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, Source, type DocumentNode } from 'graphql';

/** `subgraphs/`: shared SDL files are named relative to it, so a copied schema still finds them. */
const subgraphsRoot = path.resolve(import.meta.dirname, '..');
const repoRoot = path.resolve(subgraphsRoot, '..');
/** A line `# import "kit/records.graphql"` in a subgraph's SDL takes in a shared SDL file. */
const IMPORT = /^# import "([^"]+)"[ \t]*$/gm;

function parseFile(file: string, text = readFileSync(file, 'utf8')): DocumentNode {
  // Named by path, so errors (composition's included) say which file they are in.
  return parse(new Source(text, path.relative(repoRoot, file)));
}

/** A subgraph's SDL: its own file and the shared files it imports, as one document. */
export function loadTypeDefs(sdlPath: string): DocumentNode {
  const text = readFileSync(sdlPath, 'utf8');
  const imported = [...text.matchAll(IMPORT)].map((m) => parseFile(path.join(subgraphsRoot, m[1]!)));
  return { kind: Kind.DOCUMENT, definitions: [parseFile(sdlPath, text), ...imported].flatMap((d) => d.definitions) };
}
