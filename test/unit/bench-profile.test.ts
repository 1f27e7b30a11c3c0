/**
 * The bench's profile summary: self time grouped by where the code lives, so a run says whether
 * the embedded database, the gateway, a library or the garbage collector took the time.
 */
import { describe, expect, it } from 'vitest';
import { areaOf, summariseProfile, type CpuProfile } from '../../scripts/bench/profile.js';

describe('where a profile’s time went', () => {
  it('names the area of each frame', () => {
    expect(areaOf('wasm://wasm/022a9842', 'wasm-function[13376]')).toBe('WebAssembly (PGlite, llhttp)');
    expect(areaOf('file:///w/node_modules/@electric-sql/pglite/dist/index.js', 'query')).toBe('PGlite');
    expect(areaOf('file:///w/node_modules/@apollo/gateway/dist/executeQueryPlan.js', 'execute')).toBe('@apollo/gateway');
    expect(areaOf('file:///w/node_modules/jose/dist/node/esm/jws/flattened/verify.js', 'verify')).toBe('jose');
    expect(areaOf('file:///w/gateway/src/cost.ts', 'operationCost')).toBe('gateway/src');
    expect(areaOf('file:///w/subgraphs/kit/db.ts', 'query')).toBe('subgraphs/kit');
    expect(areaOf('file:///w/subgraphs/recognition/engine.ts', 'decide')).toBe('subgraphs/<subgraph>');
    expect(areaOf('node:internal/streams/readable', 'read')).toBe('node:streams');
    expect(areaOf('node:_http_outgoing', 'end')).toBe('node:_http_outgoing');
    expect(areaOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(areaOf('', 'writev')).toBe('(native) writev');
  });

  it('sums self time by area, largest first, in percent of the whole', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
        { id: 2, callFrame: { functionName: 'query', url: 'file:///w/node_modules/@electric-sql/pglite/dist/index.js', lineNumber: 0 } },
        { id: 3, callFrame: { functionName: 'execute', url: 'file:///w/node_modules/@apollo/gateway/x.js', lineNumber: 3 } },
        { id: 4, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
      ],
      samples: [2, 3, 2, 4, 2, 3, 7],
      timeDeltas: [100, 200, 100, 50, 300, 150, 100],
    };
    // PGlite 500, gateway 350, GC 50, an unknown node 100: 1000 in all.
    expect(summariseProfile(profile)).toEqual([
      { area: 'PGlite', percent: 50 },
      { area: '@apollo/gateway', percent: 35 },
      { area: '(unknown)', percent: 10 },
      { area: '(garbage collector)', percent: 5 },
    ]);
    expect(summariseProfile(profile, 2).map((s) => s.area)).toEqual(['PGlite', '@apollo/gateway']);
  });
});
