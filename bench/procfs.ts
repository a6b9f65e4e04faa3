/** A process's memory and CPU time, read from /proc (Linux). */
import { readFile } from 'node:fs/promises';

export interface ProcessStats {
  rssMb: number;
  /** Peak resident set since the process started (VmHWM). */
  peakRssMb: number;
  /** User + system CPU time so far. */
  cpuSeconds: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

export async function processStats(pid: number): Promise<ProcessStats> {
  const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  // Fields after the command name (which may hold spaces) start at index 2 (state); utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
}

/** CPU seconds each process spent between two readings. */
export class CpuMeter {
  private before = new Map<string, number>();

  constructor(private readonly pids: Record<string, number>) {}

  async start(): Promise<void> {
    this.before = new Map(await Promise.all(Object.entries(this.pids).map(async ([k, pid]) => [k, (await processStats(pid)).cpuSeconds] as const)));
  }

  async read(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [k, pid] of Object.entries(this.pids)) out[k] = Math.round(((await processStats(pid)).cpuSeconds - (this.before.get(k) ?? 0)) * 10) / 10;
    return out;
  }
}
