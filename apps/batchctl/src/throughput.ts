/** Items per second over the last few samples, and the time the rest would take at that pace. */
export interface Throughput {
  itemsPerSecond: number;
  /** Seconds until `total` at the current pace; undefined before there is a pace. */
  etaSeconds: number | undefined;
}

/** Samples kept: with one poll a second, the pace of the last ~10 s (steady, yet follows changes). */
const WINDOW = 10;

/** A meter fed with (settled items, time) samples; the time comes in, so it is testable as is. */
export function throughputMeter() {
  const samples: { settled: number; atMs: number }[] = [];
  return {
    sample(settled: number, total: number, atMs: number): Throughput {
      samples.push({ settled, atMs });
      if (samples.length > WINDOW) samples.shift();
      const first = samples[0];
      const seconds = (atMs - first.atMs) / 1000;
      const itemsPerSecond = seconds > 0 ? Math.max(0, settled - first.settled) / seconds : 0;
      return {
        itemsPerSecond,
        etaSeconds: itemsPerSecond > 0 ? Math.max(0, total - settled) / itemsPerSecond : undefined,
      };
    },
  };
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '-';
  const whole = Math.round(seconds);
  const [hours, minutes, rest] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}
