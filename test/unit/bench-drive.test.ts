/** The bench's load generator (`scripts/bench/drive.ts`), run as the bench runs it, against a small local server. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DriveResult } from '../../scripts/bench/drive.js';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'hutong-drive-'));
// Answers every request after 2 ms, so that no run of a few dozen requests takes anywhere near a second.
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ok":true}}'), 2));
});
let url: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function drive(job: object): Promise<DriveResult> {
  const file = path.join(dir, `job-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(job));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/bench/drive.ts', file], { cwd: root });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as DriveResult;
}

it('times a run of a fixed amount to its last answer, not to autocannon’s next one-second sample', async () => {
  const r = await drive({ url, connections: 4, duration: 0, amount: 40, requests: [{ headers: {}, body: '{"query":"{ ok }"}' }] });
  expect([r.requests, r.errors]).toEqual([40, 0]);
  // Ten rounds of 2 ms answers: well under a second (autocannon's own duration would say 1.0 s).
  expect(r.seconds).toBeGreaterThan(0.015);
  expect(r.seconds).toBeLessThan(0.9);
  expect(r.rps).toBeCloseTo(40 / r.seconds, 6);
});
