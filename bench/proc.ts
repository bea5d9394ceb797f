/**
 * Linux /proc readings for the benchmark: resident memory of the service process
 * (sampled and the kernel's own high-water mark) and CPU time of a process or of every
 * PostgreSQL process on the machine.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

let clockTicks: number | null = null;
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM), or null when unreadable. */
export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Resets the process's VmHWM to its current RSS (Linux clear_refs "5"); false when not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function statFields(pid: number | 'self'): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; it ends at the last ')'.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** User + system CPU milliseconds of one process (own threads only). */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  if (!f) return 0;
  // After the name: f[0] = state (field 3) … utime is field 14 → f[11], stime f[12].
  return ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond();
}

/**
 * CPU milliseconds of every PostgreSQL server process on this machine, including
 * backends that exited (the postmaster collects their time as cutime/cstime once reaped).
 * Machine-wide: other databases' work on the same server is counted too.
 */
export function postgresCpuMs(): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'postgres' && !comm.startsWith('postgres')) continue;
    const f = statFields(Number(entry));
    if (!f) continue;
    total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return (total * 1000) / ticksPerSecond();
}

/** Machine-wide CPU milliseconds (all cores) since boot, from /proc/stat: busy, and idle waiting on disk I/O. */
export function machineCpuMs(): { busy: number; ioWait: number } {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const f = first.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …; busy = everything but idle and iowait.
    const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
    return { busy: (busy * 1000) / ticksPerSecond(), ioWait: (f[4] * 1000) / ticksPerSecond() };
  } catch {
    return { busy: 0, ioWait: 0 };
  }
}

/** CPU milliseconds of each of the given processes (0 for those gone). */
export function cpuMsByPid(pids: number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, cpuMs(pid)]));
}

/** Samples VmRSS every intervalMs; peak() also consults VmHWM (reset at start when allowed). */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  private peakKb = 0;
  private hwmReset = false;
  samples = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 50,
  ) {}

  start(): void {
    this.hwmReset = resetPeakRss(this.pid);
    this.peakKb = statusKb(this.pid, 'VmRSS') ?? 0;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const kb = statusKb(this.pid, 'VmRSS');
    if (kb !== null) {
      this.samples++;
      if (kb > this.peakKb) this.peakKb = kb;
    }
  }

  /** Stops sampling; the peak in MB (sampled, and the kernel's VmHWM when it could be reset). */
  stop(): { sampledPeakMb: number; hwmMb: number | null; peakMb: number } {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const hwm = this.hwmReset ? statusKb(this.pid, 'VmHWM') : null;
    const sampledPeakMb = round1(this.peakKb / 1024);
    const hwmMb = hwm === null ? null : round1(hwm / 1024);
    return { sampledPeakMb, hwmMb, peakMb: Math.max(sampledPeakMb, hwmMb ?? 0) };
  }
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
