/** The bench's CPU ms/op: a process's CPU time read from /proc, with every process it started. */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ownCpuMs, treeCpuMs } from '../../scripts/bench/cpu.js';

// Spins until this process has used `ms` of CPU (not of wall time: the machine may be busy).
const spin = (ms: number) => `const s = process.cpuUsage(); while ((process.cpuUsage(s).user + process.cpuUsage(s).system) / 1000 < ${ms});`;
const GRANDCHILD = `${spin(400)} console.log('spun'); setInterval(() => {}, 1000);`;
const CHILD = `
const { spawn } = require('node:child_process');
const g = spawn(process.execPath, ['-e', ${JSON.stringify(GRANDCHILD)}], { stdio: ['ignore', 'pipe', 'inherit'] });
${spin(400)}
g.stdout.once('data', () => console.log('ready'));
process.on('SIGTERM', () => { g.kill(); process.exit(0); });
setInterval(() => {}, 1000);`;

describe.runIf(process.platform === 'linux')('CPU time of a process tree', () => {
  it('counts a process and the process it started, each once', async () => {
    const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(child.stdout, 'data');
      const ms = treeCpuMs(child.pid!)!;
      // 400 ms spun by each, plus each one's start-up (tens of ms); the child alone cannot reach 780.
      expect(ms).toBeGreaterThanOrEqual(780);
      expect(ms).toBeLessThan(1400);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    expect(treeCpuMs(child.pid!)).toBeUndefined();
  });

  it('reads this process’s own CPU time growing as it works', () => {
    const before = ownCpuMs();
    new Function(spin(50))();
    const own = ownCpuMs();
    expect(own - before).toBeGreaterThanOrEqual(50);
    // /proc counts user and system time apart in whole clock ticks (10 ms at Linux's usual 100 Hz),
    // so it may show up to two ticks less than the exact figure read just before it; never more less.
    const tree = treeCpuMs(process.pid)!;
    // (No upper bound: the tree holds whatever this process started, e.g. a test runner's workers.)
    expect(tree).toBeGreaterThanOrEqual(own - 2 * (1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))) - 1);
  });
});
