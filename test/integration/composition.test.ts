import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compose, repoRoot, subgraphSources, supergraphPath } from '../../scripts/composition.js';

describe('composition', () => {
  it('composes the subgraphs into exactly the committed supergraph (run `npm run compose` if this fails)', () => {
    const result = compose();
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.supergraphSdl).toBe(readFileSync(supergraphPath, 'utf8'));
  });

  it('names the subgraph and type when a region’s schema conflicts with the others', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hutong-compose-'));
    const sources = subgraphSources().map((s) => {
      if (s.name !== 'shandong') return s;
      // A region that copies the shared value types instead of importing them, and changes one.
      const records = readFileSync(path.join(repoRoot, 'subgraphs', 'kit', 'records.graphql'), 'utf8');
      const broken = readFileSync(s.sdlPath, 'utf8').replace(
        '# import "kit/records.graphql"',
        records.replace(/(type FaceField @shareable[^{]*\{\n  key: )String!/, '$1Int!'),
      );
      const file = path.join(dir, 'schema.graphql');
      writeFileSync(file, broken);
      return { ...s, sdlPath: file };
    });
    const result = compose(sources);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      const text = result.errors.join('\n');
      expect(text).toContain('shandong');
      expect(text).toContain('FaceField.key');
    }
  });

  it('refuses a field that does not declare who may read it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hutong-compose-'));
    const sources = subgraphSources().map((s) => {
      if (s.name !== 'recognition') return s;
      const added = readFileSync(s.sdlPath, 'utf8').replace(/^type Query \{/m, 'type Query {\n  auditTrail: [String!]!');
      const file = path.join(dir, 'schema.graphql');
      writeFileSync(file, added);
      return { ...s, sdlPath: file };
    });
    const result = compose(sources);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join('\n')).toContain('ACCESS_UNDECLARED: Query.auditTrail declares no access');
  });

  it('reports an SDL syntax error with the subgraph and file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hutong-compose-'));
    const file = path.join(dir, 'schema.graphql');
    writeFileSync(file, 'type Broken {');
    const sources = subgraphSources().map((s) => (s.name === 'catalogue' ? { ...s, sdlPath: file } : s));
    const result = compose(sources);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatch(/^\[catalogue\] .*Syntax Error/);
  });
});
