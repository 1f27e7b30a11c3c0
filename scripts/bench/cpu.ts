/**
 * CPU time the bench's servers spend per operation: a rate on a machine whose speed drifts says
 * little about one change, the CPU a request costs each process says where the time goes. Read
 * from Linux's /proc (user + system time of a process and every process it started, such as a
 * gateway's cluster workers); elsewhere the figures are left out.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;
const clockTicks = () => {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
};

/** `[ppid, user + system ticks]` of one process from its /proc stat line, or undefined once it is gone. */
function statOf(pid: number): [number, number] | undefined {
  let line: string;
  try {
    line = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[1]), Number(fields[11]) + Number(fields[12])];
}

/** Milliseconds of CPU used so far by `pid` and its living descendants; undefined off Linux or once it has exited. */
export function treeCpuMs(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  const own = statOf(pid);
  if (!own) return undefined;
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>([[pid, own[1]]]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (!stat) continue;
    ticks.set(Number(entry), stat[1]);
    children.set(stat[0], [...(children.get(stat[0]) ?? []), Number(entry)]);
  }
  let total = 0;
  for (const queue = [pid]; queue.length > 0; ) {
    const next = queue.pop()!;
    total += ticks.get(next) ?? 0;
    queue.push(...(children.get(next) ?? []));
  }
  return (total * 1000) / clockTicks();
}

/** Milliseconds of CPU this process has used so far (user + system). */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
