/**
 * The schema check a regional team runs before merging: the committed repo is clean, and edits to
 * a copy of the Yangtze River Delta SDL (in a temporary folder, standing in for the team's branch)
 * are reported as breaking or not, naming the subgraph, the coordinate and the change.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, subgraphSources, supergraphPath } from '../../scripts/composition.js';
import { checkSchema } from '../../scripts/schema-check.js';

const committed = readFileSync(supergraphPath, 'utf8');
const region = 'yangtze-delta';
const regionSdl = readFileSync(path.join(repoRoot, 'subgraphs', region, 'schema.graphql'), 'utf8');
const records = readFileSync(path.join(repoRoot, 'subgraphs', 'kit', 'records.graphql'), 'utf8');
const dir = mkdtempSync(path.join(tmpdir(), 'hutong-schema-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Checks the subgraphs with yangtze-delta's SDL edited by `edit` (which must change something). */
async function checkWithEdit(edit: (sdl: string) => string) {
  const edited = edit(regionSdl);
  expect(edited).not.toBe(regionSdl);
  const file = path.join(mkdtempSync(path.join(dir, 'case-')), 'schema.graphql');
  writeFileSync(file, edited);
  const sources = subgraphSources().map((s) => (s.name === region ? { ...s, sdlPath: file } : s));
  return checkSchema(committed, sources);
}

function replaceOnce(sdl: string, from: string, to: string): string {
  expect(sdl.split(from)).toHaveLength(2);
  return sdl.replace(from, to);
}

describe('schema check', () => {
  it('finds nothing in the repo as committed: federation and join metadata are not mistaken for changes', async () => {
    const report = await checkSchema(committed, subgraphSources());
    expect(report.subgraphCount).toBe(6);
    expect(report.findings).toEqual([]);
    expect(report.breaking).toEqual([]);
  });

  it('reports a removed field as breaking, in the subgraph and in the client API', async () => {
    const report = await checkWithEdit((sdl) => replaceOnce(sdl, '  "Reject a dispute with a reason."\n  rejectDispute(id: ID!, reason: String!): Dispute!\n', ''));
    expect(report.breaking).toEqual([
      {
        kind: 'subgraph',
        severity: 'breaking',
        subgraphs: ['yangtze-delta'],
        path: 'YangtzeDeltaRegistryMutations.rejectDispute',
        change: 'FIELD_REMOVED',
        message: "Field 'rejectDispute' was removed from object type 'YangtzeDeltaRegistryMutations'",
      },
      {
        kind: 'api',
        severity: 'breaking',
        subgraphs: ['yangtze-delta'],
        path: 'YangtzeDeltaRegistryMutations.rejectDispute',
        change: 'FIELD_REMOVED',
        message: "Field 'rejectDispute' was removed from object type 'YangtzeDeltaRegistryMutations'",
      },
    ]);
  });

  it('reports a field changed from String to Int as breaking, and the composition it breaks', async () => {
    const report = await checkWithEdit((sdl) => replaceOnce(sdl, '  supersededBy: String\n', '  supersededBy: Int\n'));
    expect(report.breaking).toEqual([
      {
        kind: 'subgraph',
        severity: 'breaking',
        subgraphs: ['yangtze-delta'],
        path: 'YangtzeDeltaCredential.supersededBy',
        change: 'FIELD_TYPE_CHANGED',
        message: "Field 'YangtzeDeltaCredential.supersededBy' changed type from 'String' to 'Int'",
      },
      // The catalogue references the field as @external with type String, so composition fails too;
      // both subgraphs are named in the message, only the one that changed is blamed.
      {
        kind: 'composition',
        severity: 'breaking',
        subgraphs: ['yangtze-delta'],
        path: 'YangtzeDeltaCredential.supersededBy',
        change: 'EXTERNAL_TYPE_MISMATCH',
        message: expect.stringContaining(
          'EXTERNAL_TYPE_MISMATCH: Type of field "YangtzeDeltaCredential.supersededBy" is incompatible across subgraphs (where marked @external): it has type "Int" in subgraph "yangtze-delta" but type "String" in subgraph "catalogue"',
        ),
      },
    ]);
  });

  it('reports an argument made required as breaking', async () => {
    const report = await checkWithEdit((sdl) => replaceOnce(sdl, 'reason: String!, disputeId: ID)', 'reason: String!, disputeId: ID!)'));
    const expected = {
      severity: 'breaking',
      subgraphs: ['yangtze-delta'],
      path: 'YangtzeDeltaRegistryMutations.correctCredential.disputeId',
      change: 'FIELD_ARGUMENT_TYPE_CHANGED',
      message: "Type for argument 'disputeId' on field 'YangtzeDeltaRegistryMutations.correctCredential' changed from 'ID' to 'ID!'",
    };
    expect(report.breaking).toEqual([
      { kind: 'subgraph', ...expected },
      { kind: 'api', ...expected },
    ]);
  });

  it('does not count an added optional field as breaking', async () => {
    const report = await checkWithEdit((sdl) => replaceOnce(sdl, '  supersededBy: String\n', '  supersededBy: String\n  "Seal serial of the issuing authority."\n  sealSerial: String\n'));
    expect(report.breaking).toEqual([]);
    const added = {
      severity: 'safe',
      subgraphs: ['yangtze-delta'],
      path: 'YangtzeDeltaCredential.sealSerial',
      change: 'FIELD_ADDED',
      message: "Field 'sealSerial' was added to object type 'YangtzeDeltaCredential'",
    };
    expect(report.findings).toEqual([
      { kind: 'subgraph', ...added },
      { kind: 'api', ...added },
      {
        kind: 'api',
        severity: 'safe',
        subgraphs: ['yangtze-delta'],
        path: 'YangtzeDeltaCredential.sealSerial',
        change: 'FIELD_DESCRIPTION_ADDED',
        message: "Field 'YangtzeDeltaCredential.sealSerial' has description 'Seal serial of the issuing authority.'",
      },
    ]);
  });

  it('attributes a client API change to the subgraph resolving the field, not to one that only references it', async () => {
    // The catalogue declares YangtzeDeltaCredential.supersededBy too, but only as @external.
    const report = await checkWithEdit((sdl) => replaceOnce(sdl, '  supersededBy: String\n', '  supersededBy: String @deprecated(reason: "Read correctedBy.")\n'));
    expect(report.breaking).toEqual([]);
    expect(report.findings.filter((f) => f.kind === 'api')).toEqual([
      {
        kind: 'api',
        severity: 'safe',
        subgraphs: ['yangtze-delta'],
        path: 'YangtzeDeltaCredential.supersededBy.@deprecated',
        change: 'FIELD_DEPRECATION_ADDED',
        message: "Field 'YangtzeDeltaCredential.supersededBy' is deprecated",
      },
      {
        kind: 'api',
        severity: 'safe',
        subgraphs: ['yangtze-delta'],
        path: 'YangtzeDeltaCredential.supersededBy.@deprecated',
        change: 'DIRECTIVE_USAGE_FIELD_DEFINITION_ADDED',
        message: "Directive 'deprecated' was added to field 'YangtzeDeltaCredential.supersededBy'",
      },
      {
        kind: 'api',
        severity: 'safe',
        subgraphs: ['yangtze-delta'],
        path: 'YangtzeDeltaCredential.supersededBy.@deprecated.reason',
        change: 'DIRECTIVE_USAGE_ARGUMENT_ADDED',
        message: "Argument 'reason' was added to '@deprecated'",
      },
    ]);
  });

  it('reports SDL that does not parse as a composition failure naming the subgraph', async () => {
    const report = await checkWithEdit((sdl) => replaceOnce(sdl, '  supersededBy: String\n', '  supersededBy: String(\n'));
    expect(report.breaking).toEqual([
      {
        kind: 'composition',
        severity: 'breaking',
        subgraphs: ['yangtze-delta'],
        path: undefined,
        change: undefined,
        message: expect.stringMatching(/^\[yangtze-delta\] .*schema\.graphql: Syntax Error: /),
      },
    ]);
  });

  it('reports a subgraph dropped from the sources as breaking', async () => {
    const report = await checkSchema(committed, subgraphSources().filter((s) => s.name !== 'shandong'));
    expect(report.subgraphCount).toBe(5);
    expect(report.breaking).toContainEqual({
      kind: 'subgraph',
      severity: 'breaking',
      subgraphs: ['shandong'],
      message: 'Subgraph removed: it is in the committed supergraph but no longer among the sources.',
    });
  });

  it('reports a conflicting definition of a shared value type as a composition failure naming the subgraph', async () => {
    // The region stops importing the shared records and defines them itself, with StatusCount.count a String.
    const inlined = replaceOnce(records, '  count: Int!\n', '  count: String!\n');
    const report = await checkWithEdit((sdl) => replaceOnce(sdl, '# import "kit/records.graphql"\n', inlined));
    expect(report.breaking).toEqual([
      {
        kind: 'subgraph',
        severity: 'breaking',
        subgraphs: ['yangtze-delta'],
        path: 'StatusCount.count',
        change: 'FIELD_TYPE_CHANGED',
        message: "Field 'StatusCount.count' changed type from 'Int!' to 'String!'",
      },
      {
        kind: 'composition',
        severity: 'breaking',
        subgraphs: ['yangtze-delta'],
        path: 'StatusCount.count',
        change: 'FIELD_TYPE_MISMATCH',
        message: expect.stringContaining(
          'FIELD_TYPE_MISMATCH: Type of field "StatusCount.count" is incompatible across subgraphs: it has type "Int!" in subgraphs "catalogue", "chengdu-chongqing", "hebei", "recognition" and "shandong" but type "String!" in subgraph "yangtze-delta"',
        ),
      },
    ]);
  });
});
