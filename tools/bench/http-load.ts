import { Agent, request as httpRequest } from 'node:http';
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  seconds: number;
  connections: number;
  /** Requests per second over all connections; none: as fast as the connections go. */
  rate?: number;
}

export interface LoadResult {
  /** Answers per second over the run. */
  perSecond: number;
  answered: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Latency of the 2xx answers, ms (exact, from every answer). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
const round = (ms: number) => Math.round(ms * 10) / 10;

function summary(latencies: number[], counts: Omit<LoadResult, 'p50' | 'p90' | 'p99' | 'max'>): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    ...counts,
    p50: round(percentile(latencies, 50)),
    p90: round(percentile(latencies, 90)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies.at(-1) ?? NaN),
  };
}

/**
 * Loads one URL with autocannon. Latencies are kept per answer, not from autocannon's histogram:
 * that one has 1 ms buckets, and with a rate it adds "coordinated omission" samples at a 1 ms
 * interval (it takes 1/rate seconds for milliseconds), which weights slow answers many times over.
 *
 * Mind how autocannon holds a rate: each connection sends back to back until it has made its share
 * of the second (rate / connections), then waits for the next second. The load comes in bursts of
 * up to `connections` requests in flight at the start of each second, not spread evenly.
 */
export async function httpLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        headers: options.headers,
        connections: options.connections,
        duration: options.seconds,
        ...(options.rate ? { overallRate: options.rate, ignoreCoordinatedOmission: true } : {}),
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
    });
  });
  const answered = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  return summary(latencies, {
    perSecond: Math.round(answered / result.duration),
    answered,
    non2xx: result.non2xx,
    errors: result.errors,
  });
}

/**
 * Holds `rate` requests per second evenly spaced (open loop: each request leaves at its own time,
 * whatever the answers before it), on keep-alive connections. A latency counts from the time the
 * request was due, so a late generator shows up in the figures instead of hiding.
 */
export async function pacedLoad(
  options: Omit<LoadOptions, 'connections'> & { rate: number },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const interval = 1000 / options.rate;
  const total = Math.round(options.seconds * options.rate);
  const latencies: number[] = [];
  let answered = 0;
  let non2xx = 0;
  let errors = 0;
  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const outgoing = httpRequest(options.url, { agent, headers: options.headers }, (response) => {
        response.resume();
        response.once('end', () => {
          answered++;
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) latencies.push(performance.now() - due);
          else non2xx++;
          resolve();
        });
      });
      outgoing.once('error', () => {
        errors++;
        resolve();
      });
      outgoing.end();
    });
  const startedAt = performance.now();
  const inFlight: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    let sent = 0;
    const tick = () => {
      for (const now = performance.now(); sent < total && startedAt + sent * interval <= now; sent++)
        inFlight.push(send(startedAt + sent * interval));
      if (sent === total) return resolve();
      setTimeout(tick, Math.max(0, startedAt + sent * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);
  const elapsed = (performance.now() - startedAt) / 1000;
  agent.destroy();
  return summary(latencies, { perSecond: Math.round(answered / elapsed), answered, non2xx, errors });
}
