import { createServer } from 'node:net';
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

/** What every launcher test waits for: the launcher says it is running only when the gateway is ready. */
export const launcherStartMs = 240_000;

/**
 * Runs `npm start`'s launcher (or its compiled build) and waits until it says Hutong is running.
 * Fails with the tail of its output when it exits first or takes longer than `launcherStartMs`: on a
 * busy 2-core machine loading the services' code alone has taken more than a minute.
 */
export async function startLauncher(args: string[], options: { cwd?: string; env: Record<string, string | undefined>; onSpawn?: (child: ChildProcessWithoutNullStreams) => void }): Promise<SpawnedEntry> {
  const child = spawn(process.execPath, args, { cwd: options.cwd ?? root, env: options.env });
  options.onSpawn?.(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + launcherStartMs;
  while (!output.includes('Hutong is running.')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`start failed:\n${output.slice(-6000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => output, exited };
}

/**
 * A base port for `npm start`'s launcher, which runs its services at base + 0 … base + count − 1
 * and their metrics at +100: all of them free. Below Linux's ephemeral range (32768 and up), where
 * other tests' listeners on port 0 and every outgoing connection take their ports.
 */
export async function freePortBase(count: number): Promise<number> {
  const offsets = Array.from({ length: count }, (_, i) => [i, i + 100]).flat();
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all(
      offsets.map(
        (i) =>
          new Promise<boolean>((resolve) => {
            const s = createServer();
            s.once('error', () => resolve(false));
            s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free port range');
}
