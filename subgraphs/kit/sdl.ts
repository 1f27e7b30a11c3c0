import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, Source, type DocumentNode } from 'graphql';
import { regionEntityTypes } from './region-entities.js';

/** `subgraphs/`: shared SDL files are named relative to it, so a copied schema still finds them. */
const subgraphsRoot = path.resolve(import.meta.dirname, '..');
const repoRoot = path.resolve(subgraphsRoot, '..');
/** A line `# import "kit/records.graphql"` in a subgraph's SDL takes in a shared SDL file. */
const IMPORT = /^# import "([^"]+)"[ \t]*$/gm;
/** A line `# generate "region-entities"` adds types generated from the document and the regions file. */
const GENERATE = /^# generate "([^"]+)"[ \t]*$/gm;
const generators: Record<string, (document: DocumentNode) => DocumentNode> = { 'region-entities': regionEntityTypes };

function parseFile(file: string, text = readFileSync(file, 'utf8')): DocumentNode {
  // Named by path, so errors (composition's included) say which file they are in.
  return parse(new Source(text, path.relative(repoRoot, file)));
}

/** A subgraph's SDL: its own file and the shared files it imports, as one document. */
export function loadTypeDefs(sdlPath: string): DocumentNode {
  const text = readFileSync(sdlPath, 'utf8');
  const imported = [...text.matchAll(IMPORT)].map((m) => parseFile(path.join(subgraphsRoot, m[1]!)));
  const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [parseFile(sdlPath, text), ...imported].flatMap((d) => d.definitions) };
  const generated = [...text.matchAll(GENERATE)].map((m) => {
    const generate = generators[m[1]!];
    if (!generate) throw new Error(`${path.relative(repoRoot, sdlPath)}: no generator "${m[1]}" (known: ${Object.keys(generators).join(', ')})`);
    return generate(document);
  });
  return { kind: Kind.DOCUMENT, definitions: [document, ...generated].flatMap((d) => d.definitions) };
}
