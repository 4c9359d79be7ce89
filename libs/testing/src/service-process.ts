import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A process's peak resident memory so far (Linux: VmHWM), in bytes. */
export const peakRss = (pid: number): number =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

export interface ServiceProcess {
  child: ChildProcess;
  /** Every log line it printed so far. */
  lines: string[];
  /** Where its /healthz, /readyz and /metrics answer (the gateway: its own URL). */
  opsUrl?: string;
  /** Resolves with the first line (printed before or after the call) that contains `text`. */
  waitForLine(text: string, timeoutMs?: number): Promise<string>;
  /** SIGKILL: no shutdown hook runs, like a crash. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait; resolves with its exit code (null when a signal ended it). */
  stop(): Promise<number | null>;
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

/**
 * Starts a service of this repository (`apps/<name>/src/main.ts`) as a child process with the
 * given environment, and resolves once it logs `<name> ready`.
 */
export async function startService(
  name: string,
  env: Record<string, string>,
  readyTimeoutMs = 30_000,
): Promise<ServiceProcess> {
  const child = spawn(
    process.execPath,
    // Built code (Jest's global setup and the bench build first): no TypeScript compiled at start.
    [`apps/${name}/dist/main.js`],
    {
      cwd: repositoryRoot,
      // Any free ops port, unless the test names one: several workers run side by side.
      env: { ...process.env, LOG_LEVEL: 'info', OPS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let readyLine = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready after ${readyTimeoutMs} ms:\n${lines.join('\n')}`)),
      readyTimeoutMs,
    );
    for (const stream of [child.stdout!, child.stderr!])
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        listeners.forEach((listener) => listener(line));
        if (line.includes(`${name} ready`) && !readyLine) {
          readyLine = line;
          clearTimeout(timer);
          resolve();
        }
      });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${lines.join('\n')}`));
    });
  });
  await ready;
  const waitForLine = (text: string, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find((line) => line.includes(text));
      if (seen) return resolve(seen);
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`${name} printed no line with "${text}" in ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (line: string) => {
        if (!line.includes(text)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(line);
      };
      listeners.add(listener);
    });
  const { opsPort } = JSON.parse(readyLine) as { opsPort?: number };
  return {
    child,
    lines,
    ...(opsPort === undefined ? {} : { opsUrl: `http://127.0.0.1:${opsPort}` }),
    waitForLine,
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited(child);
      return child.exitCode;
    },
  };
}
