import { readdirSync, readFileSync } from 'node:fs';
import { mib } from './report.js';

const readProc = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process has exited
  }
};

/** Resident set size (VmRSS) in bytes; 0 once the process is gone. */
export function rssBytes(pid: number): number {
  const status = readProc(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status ?? '')?.[1] ?? 0) * 1024;
}

/** Peak resident set size (VmHWM) since the process started, in MiB. */
export function peakRssMibOf(pid: number): number {
  const status = readProc(`/proc/${pid}/status`);
  return mib(Number(/VmHWM:\s+(\d+)/.exec(status ?? '')?.[1] ?? 0) * 1024);
}

/** The process and its descendants (a launcher and the program it spawned). */
function processTree(pid: number): number[] {
  const tree = [pid];
  for (let index = 0; index < tree.length; index++) {
    const parent = tree[index]!;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const task of tasks)
      for (const child of (readProc(`/proc/${parent}/task/${task}/children`) ?? '').split(' '))
        if (child.trim()) tree.push(Number(child));
  }
  return tree;
}

export interface UsageSummary {
  /** Highest RSS sampled: of the process, or of the largest process of its tree. */
  peakMib: number;
  /** Highest sum of RSS over the process tree (the process alone unless `tree`). */
  peakTreeMib: number;
  samples: number;
  /** The RSS of each sample (of the process, or summed over its tree), in MiB, oldest first. */
  series: number[];
}

export interface RssSampler {
  stop(): UsageSummary;
}

/** Samples the RSS (VmRSS) of a process, or of its process tree, every `intervalMs`. */
export function sampleRss(pid: number, { intervalMs = 250, tree = false } = {}): RssSampler {
  let peak = 0;
  let peakTree = 0;
  let samples = 0;
  const series: number[] = [];
  const sample = () => {
    const sizes = (tree ? processTree(pid) : [pid]).map(rssBytes);
    const total = sizes.reduce((sum, size) => sum + size, 0);
    peak = Math.max(peak, ...sizes);
    peakTree = Math.max(peakTree, total);
    series.push(mib(total));
    samples++;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { peakMib: mib(peak), peakTreeMib: mib(peakTree), samples, series };
    },
  };
}
