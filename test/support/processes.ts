import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export interface SpawnedEntry {
  child: ChildProcessWithoutNullStreams;
  /** Everything the process printed so far, stdout and stderr. */
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs one of Hutong's entry points (`gateway/src/main.ts`, `subgraphs/shandong/server.ts`…) as its own process. */
export function spawnEntry(entry: string, env: Record<string, string | undefined>): SpawnedEntry {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}
