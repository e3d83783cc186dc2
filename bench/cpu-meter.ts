/**
 * CPU time spent by the harness and its children over one run, from `process.cpuUsage()`
 * and `/proc/<pid>/stat`. On a 2-core machine where publisher, nodes and receivers share
 * the cores, "who used the CPU" explains a throughput figure better than the figure alone.
 */
import { readFileSync } from 'node:fs';
import { wallClockMs } from './wall-clock.js';

/** Kernel clock ticks per second, the unit of `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100 on Linux). */
const CLOCK_TICKS = 100;

/** CPU used during a run, in seconds, and the run's wall time. */
export interface CpuUse {
  readonly wallSeconds: number;
  readonly harnessSeconds: number;
  /** Per child pid, in the order given. */
  readonly childSeconds: readonly number[];
}

/** User + system CPU seconds of `pid` so far, or 0 once it is gone. */
function processCpuSeconds(pid: number): number {
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Starts measuring; call the returned function at the end of the run. */
export function startCpuMeter(childPids: readonly number[]): () => CpuUse {
  const startedAt = wallClockMs();
  const harness = process.cpuUsage();
  const children = childPids.map(processCpuSeconds);
  return function stopCpuMeter(): CpuUse {
    const used = process.cpuUsage(harness);
    return {
      wallSeconds: (wallClockMs() - startedAt) / 1000,
      harnessSeconds: (used.user + used.system) / 1e6,
      childSeconds: childPids.map((pid, i) => processCpuSeconds(pid) - children[i]),
    };
  };
}

/** CPU of every process in `use` per event, in µs. */
export function cpuMicrosPerEvent(use: CpuUse, events: number): number {
  const total = use.harnessSeconds + use.childSeconds.reduce((a, b) => a + b, 0);
  return (total * 1e6) / Math.max(1, events);
}

/** `use` as a short line: `harness 40%, n1 57%, rx 21% of one core`. */
export function describeCpu(use: CpuUse, childNames: readonly string[]): string {
  const pct = (seconds: number): string => `${Math.round((seconds / use.wallSeconds) * 100)}%`;
  return [`harness ${pct(use.harnessSeconds)}`, ...use.childSeconds.map((s, i) => `${childNames[i]} ${pct(s)}`)].join(', ') + ' of one core';
}
