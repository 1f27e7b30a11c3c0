/**
 * The chaos run (`npm run chaos`) as a test: the whole system started by the start command, steady
 * load from this process, then one registry frozen with SIGSTOP, a verification against it,
 * SIGCONT, kill -9, and Ctrl-C. Latencies are compared with the healthy baseline of the same run,
 * so that a busy CI machine (another test file runs beside this one) does not decide the outcome.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

interface ChaosResult {
  baseline: { requests: number; p50Ms: number; p99Ms: number; complete: number };
  frozen: { ms: number; firstAnswerMaxMs: number; breakerOpenAnswers: number; breakerOpenP50Ms: number; otherRegionsComplete: number; failedRequests: number };
  verification: { ms: number; verdict: string; reasons: string[] };
  recoveredMs: number;
  killed: { restartedMs: number; otherRegionsComplete: number; failedRequests: number };
  stop: { exitCode: number; ms: number };
}

it('keeps the other regions whole while one registry is frozen or killed, fails fast once its breaker opens, and recovers', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/chaos.ts', '--json', '--clients', '4'], {
    cwd: root,
    env: { ...process.env, HUTONG_LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise((resolve) => child.on('exit', resolve));
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  expect(line, `${stdout.slice(-3000)}\n${stderr.slice(-3000)}`).toBeDefined();
  const r = JSON.parse(line!) as ChaosResult;

  expect(r.baseline.complete).toBe(100);
  expect(r.baseline.requests).toBeGreaterThan(10);
  // Frozen: the other regions are never missing, nothing fails outright.
  expect(r.frozen.otherRegionsComplete).toBe(100);
  expect(r.frozen.failedRequests).toBe(0);
  // The wait is bounded by the 1.5 s subgraph timeout plus what this machine adds anyway.
  expect(r.frozen.firstAnswerMaxMs).toBeLessThanOrEqual(1500 + r.baseline.p99Ms + 500);
  // The breaker opens (the freeze lasts until it has been open for 3 s, at most 30 s), and with it
  // open the region costs nothing: no slower than when it was healthy.
  expect(r.frozen.breakerOpenAnswers, line).toBeGreaterThan(0);
  expect(r.frozen.breakerOpenP50Ms).toBeLessThanOrEqual(Math.max(100, r.baseline.p50Ms));
  expect(r.verification).toMatchObject({ verdict: 'INDETERMINATE', reasons: ['ISSUING_REGISTRY_UNREACHABLE'] });
  expect(r.verification.ms).toBeLessThanOrEqual(2000 + r.baseline.p99Ms + 500);
  // Thawed: served again once the breaker's 2 s pause has passed and its probe succeeded.
  expect(r.recoveredMs).toBeLessThanOrEqual(5000);
  // Killed: restarted by the launcher; the other regions notice nothing.
  expect(r.killed.otherRegionsComplete).toBe(100);
  expect(r.killed.failedRequests).toBe(0);
  expect(r.stop).toMatchObject({ exitCode: 0 });
  expect(r.stop.ms).toBeLessThan(10_000);
}, 600_000);
