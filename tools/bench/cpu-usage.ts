import { readdirSync, readFileSync } from 'node:fs';

/** Linux clock ticks per second of /proc's CPU times (USER_HZ, 100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;
/** Shared servers the bench uses; their CPU is not counted as another program's. */
const SERVERS = new Set(['nats-server', 'postgres']);

const readProc = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process has exited
  }
};

/** Command name and CPU seconds (user + system) of a process; undefined once it is gone. */
function statOf(pid: number): { name: string; seconds: number } | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Fields after "(comm)": state is the 1st, utime the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  return { name, seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
}

export const cpuSeconds = (pid: number): number => statOf(pid)?.seconds ?? 0;

/** Busy and total CPU seconds of the whole machine (/proc/stat), all cores. */
function machine(): { busy: number; total: number } {
  const [, ...ticks] = readProc('/proc/stat')!.split('\n')[0]!.trim().split(/\s+/).map(Number);
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = ticks[3]! + ticks[4]!;
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

function everyProcess(): Map<number, { name: string; seconds: number }> {
  const processes = new Map<number, { name: string; seconds: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (stat) processes.set(Number(entry), stat);
  }
  return processes;
}

export interface CpuReport {
  /** Cores used by each watched process over the window (1 = one core busy throughout). */
  cores: number[];
  /** Cores used by the NATS and PostgreSQL servers (all of their processes). */
  serversCores: number;
  /** Cores used by processes that are neither watched, nor this one, nor NATS or PostgreSQL. */
  othersCores: number;
  /** Share of all the machine's cores that was busy. */
  machineBusy: number;
}

/**
 * Watches CPU over a window: the given processes', this process's (the load generator) and everyone
 * else's (another test run on the machine disturbs the figures; this shows it).
 */
export function watchCpu(pids: number[]) {
  const startedAt = performance.now();
  const before = everyProcess();
  const machineBefore = machine();
  const ownBefore = process.cpuUsage();
  return {
    stop(): CpuReport & { benchCores: number } {
      const seconds = (performance.now() - startedAt) / 1000;
      const after = everyProcess();
      const machineAfter = machine();
      const own = process.cpuUsage(ownBefore);
      const used = (pid: number) => (after.get(pid)?.seconds ?? 0) - (before.get(pid)?.seconds ?? 0);
      let others = 0;
      let servers = 0;
      for (const [pid, { name }] of after)
        if (SERVERS.has(name)) servers += used(pid);
        else if (!pids.includes(pid) && pid !== process.pid) others += used(pid);
      const round = (value: number) => Math.round(value * 100) / 100;
      return {
        cores: pids.map((pid) => round(used(pid) / seconds)),
        benchCores: round((own.user + own.system) / 1e6 / seconds),
        serversCores: round(servers / seconds),
        othersCores: round(others / seconds),
        machineBusy: round(
          (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
        ),
      };
    },
  };
}
