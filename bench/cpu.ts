// CPU time of processes, from /proc (Linux).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/**
 * The CPU time (user + system) these processes have used so far, in µs. Per request it is
 * the bench's steadiest figure on a shared machine: requests per second move with what
 * else runs (and with stolen time), the work each request costs much less.
 */
export function cpuMicros(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return sum + ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks;
  }, 0);
}
