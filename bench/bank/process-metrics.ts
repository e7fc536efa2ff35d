import { setTimeout as sleep } from 'node:timers/promises';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4_096;

/** CPU seconds a process has used so far (user + system), from /proc; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces) start at the state; utime and stime are 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by every PostgreSQL server process on this machine (the postmaster and its
 * backends): the database's share of a phase, shown apart from Cleave's. Backends that end mid-phase take
 * their CPU with them, so it is a lower bound; the benchmark's connections live through a phase.
 */
export function postgresServerCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    total += cpuSeconds(Number(entry)) ?? 0;
  }
  return total;
}

/** Resident memory in MiB, from /proc. */
export function rssMiB(pid: number): number | undefined {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return (Number(statm[1]) * PAGE_BYTES) / 2 ** 20;
  } catch {
    return undefined;
  }
}

/**
 * Memory a process holds on its own, in MiB: its private pages (/proc's smaps_rollup). RSS also counts pages
 * shared with other processes (the node binary's code, ~60 MiB, in every Node process's RSS), which the
 * machine holds once.
 */
export function privateMiB(pid: number): number | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
    const total = kB('Private_Clean') + kB('Private_Dirty');
    return Number.isFinite(total) ? total / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** One process's use during a phase. */
export interface ProcessUse {
  readonly name: string;
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
}

/** Watches named processes through a phase: CPU used between start and stop, RSS peak sampled every 200 ms. */
export class ProcessWatch {
  private readonly startCpu = new Map<string, number>();
  private readonly peak = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly processes: ReadonlyArray<{ name: string; pid: number }>) {
    for (const p of processes) this.startCpu.set(p.name, cpuSeconds(p.pid) ?? 0);
    this.sample();
    this.timer = setInterval(() => this.sample(), 200);
  }

  stop(): ProcessUse[] {
    clearInterval(this.timer);
    this.sample();
    return this.processes.map((p) => ({
      name: p.name,
      cpuSeconds: Math.max(0, (cpuSeconds(p.pid) ?? 0) - (this.startCpu.get(p.name) ?? 0)),
      peakRssMiB: this.peak.get(p.name) ?? 0,
    }));
  }

  private sample(): void {
    for (const p of this.processes) {
      const rss = rssMiB(p.pid);
      if (rss !== undefined) this.peak.set(p.name, Math.max(this.peak.get(p.name) ?? 0, rss));
    }
  }
}

/**
 * Waits until a placement's processes are quiet (together under a tenth of a core for a second): the work a
 * phase left behind (events, follow-ups, a backlog after overload) must not be billed to the next phase.
 * Resolves with how long it waited.
 */
export async function waitUntilQuiet(pids: readonly number[], limitMs: number): Promise<number> {
  const started = Date.now();
  const used = () => pids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
  let last = used();
  while (Date.now() - started < limitMs) {
    await sleep(1_000);
    const now = used();
    if (now - last < 0.1) break;
    last = now;
  }
  return Date.now() - started;
}
