/**
 * The gateways of `npm run bench` as processes of their own, as they are deployed: the Hutong
 * gateway's own entry point (with HUTONG_GATEWAY_WORKERS) and the stock gateway's
 * (`stock-gateway.ts`), each on a port of its own, ready once it answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';

export interface ServerProcess {
  url: string;
  /** The process's id (its CPU time is read from it). */
  pid: number;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (the process is given it, rather than printing its own). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The status of one request on a connection of its own (so that each may reach another worker). */
function statusOf(url: string, method: 'GET' | 'POST', body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method, agent: false, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(5000, () => req.destroy());
    req.end(body);
  });
}

/**
 * Starts `entry` with node (through tsx unless compiled) and waits until `probe` answers 200
 * `answers` times in a row (one per worker and more), for at most two minutes.
 */
export async function startServerProcess(options: {
  what: string;
  entry: string;
  args?: string[];
  /** Options for node itself (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  compiled: boolean;
  cwd: string;
  env: Record<string, string | undefined>;
  url: string;
  probe: { url: string; method: 'GET' | 'POST'; body?: string };
  answers: number;
}): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), ...(options.compiled ? [] : ['--import', 'tsx']), options.entry, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: options.env,
    // Their logs go to stderr with the bench's own: stdout carries the table only.
    stdio: ['ignore', 2, 2],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const deadline = Date.now() + 120_000;
  for (let ok = 0; ok < options.answers; ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${options.what} did not start (exit code ${child.exitCode})`);
    }
    if ((await statusOf(options.probe.url, options.probe.method, options.probe.body)) === 200) ok++;
    else {
      ok = 0;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { url: options.url, pid: child.pid!, stop };
}
