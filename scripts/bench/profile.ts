/**
 * `npm run bench -- --cpu-prof <dir>`: a CPU profile of the bench's server process during each
 * timed run only (not the start, seeding or warm-up), written as `<dir>/<operation>-<gateway>.cpuprofile`
 * for a flame graph viewer (Chrome DevTools, speedscope), and summarised by where the time went.
 * Profiles are the machine's, not the project's: keep the folder out of the repository.
 */
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  area: string;
  percent: number;
}

/**
 * The area a frame's code belongs to: a package (`@apollo/gateway`), the embedded database
 * (`PGlite`), WebAssembly, a part of Hutong (`gateway/src`, `subgraphs/kit`), Node's
 * own modules (`node:http`…) or V8's pseudo-frames (`(garbage collector)`, `(idle)`).
 */
export function areaOf(url: string, functionName: string): string {
  // PGlite's PostgreSQL and undici's HTTP parser are both WebAssembly; their frames look alike.
  if (url.startsWith('wasm://')) return 'WebAssembly (PGlite, llhttp)';
  if (url.includes('@electric-sql/pglite')) return 'PGlite';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/(gateway\/src|subgraphs\/kit|subgraphs\/[\w-]+|scripts|test\/support)\//.exec(url);
  if (own) return own[1]!.startsWith('subgraphs/') && own[1] !== 'subgraphs/kit' ? 'subgraphs/<subgraph>' : own[1]!;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/').replace(/^node:internal\/?/, 'node:');
  if (url === '') return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  return url;
}

/** Self time by area, largest first, as percentages of the profile's time. */
export function summariseProfile(profile: CpuProfile, top = 12): ProfileShare[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byArea = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    const frame = byNode.get(id);
    const area = frame ? areaOf(frame.url, frame.functionName) : '(unknown)';
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
    total += micros;
  });
  return [...byArea]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([area, micros]) => ({ area, percent: total > 0 ? Math.round((micros / total) * 1000) / 10 : 0 }));
}

/** Profiles this process while `during` runs; writes the profile and returns its summary. */
export async function profiled<T>(file: string, during: () => Promise<T>): Promise<{ result: T; summary: ProfileShare[] }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const result = await during();
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    return { result, summary: summariseProfile(profile) };
  } finally {
    session.disconnect();
  }
}

export const formatSummary = (summary: ProfileShare[]) => summary.map((s) => `${s.percent.toFixed(1).padStart(5)} %  ${s.area}`).join('\n');
