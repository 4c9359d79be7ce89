import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { shows, type LogLevel, type ReadLine } from './log-lines.js';
import { nextRestart, type RestartPolicy } from './restart-policy.js';

/** How to run one process and how to tell that it is ready. */
export interface ProcessDefinition {
  /** Prefixes its output lines and the launcher's lines about it. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Runs it as another user: PostgreSQL refuses to run as root. */
  user?: { uid: number; gid: number };
  /** An output line containing this means it is ready. */
  readyText: string;
  /** What stops it cleanly; SIGTERM unless said otherwise. */
  stopSignal?: NodeJS.Signals;
  readLine: ReadLine;
}

export interface SupervisorOptions {
  policy: RestartPolicy;
  readyTimeoutMs: number;
  stopGraceMs: number;
  /** Output lines below this level are not printed. */
  showLevel: LogLevel;
  print(line: string): void;
  /** Aborted when the launcher stops: whatever is not ready yet stops being waited for. */
  signal: AbortSignal;
}

export interface SupervisedProcess {
  name: string;
  /** The pid of the process running now, if one is. */
  pid(): number | undefined;
  /** Resolves once the first process is ready; rejects if it dies or is not ready in time (no restart then). */
  ready: Promise<void>;
  /** Stops restarting it, sends its stop signal, SIGKILL after the grace period; resolves once it is gone. */
  stop(): Promise<void>;
}

const RECENT_LINES = 30;

export const duration = (ms: number): string =>
  ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1)).toLocaleString('en')} s`;

/**
 * Runs a process like a process supervisor does: waits for its ready line, prefixes its output with
 * its name, and restarts it with exponential backoff whenever it dies, saying so, until `stop()`.
 */
export function supervise(definition: ProcessDefinition, options: SupervisorOptions): SupervisedProcess {
  options.signal.throwIfAborted();
  const { name } = definition;
  const say = (text: string) => options.print(`[start] ${text}`);
  const recent: string[] = [];
  const lastLines = () =>
    recent.length > 0 ? `; its last lines:\n  ${recent.join('\n  ')}` : '; it printed nothing';
  let child: ChildProcess | undefined;
  let stopping = false;
  let firstStart = true;
  let restartsInARow = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let settleReady: { resolve(): void; reject(error: Error): void };
  const ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
  const failFirstStart = (message: string) => firstStart && settleReady.reject(new Error(message));
  options.signal.addEventListener('abort', () => failFirstStart(`${name} stopped before it was ready`), {
    once: true,
  });
  // Should the launcher itself crash, its detached children must not outlive it.
  process.once('exit', () => child?.kill(definition.stopSignal ?? 'SIGTERM'));

  function launch(): void {
    const startedAt = Date.now();
    let isReady = false;
    let gone = false;
    const current = spawn(definition.command, definition.args, {
      cwd: definition.cwd,
      env: definition.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a terminal's Ctrl-C reaches only the launcher, which then stops the
      // services before the servers they use.
      detached: true,
      ...definition.user,
    });
    child = current;
    const readyTimer = setTimeout(() => {
      const message = `${name} (pid ${current.pid}) not ready after ${duration(options.readyTimeoutMs)}: no "${definition.readyText}" line${lastLines()}`;
      if (firstStart) failFirstStart(message);
      else say(`warning: ${message}`);
    }, options.readyTimeoutMs);

    const onLine = (line: string) => {
      const read = definition.readLine(line);
      recent.push(read.text);
      if (recent.length > RECENT_LINES) recent.shift();
      if (shows(read, options.showLevel)) options.print(`[${name}] ${read.text}`);
      if (isReady || !line.includes(definition.readyText)) return;
      isReady = true;
      clearTimeout(readyTimer);
      say(`${name} ready (pid ${current.pid}) after ${duration(Date.now() - startedAt)}`);
      if (firstStart) settleReady.resolve();
      firstStart = false;
    };
    for (const stream of [current.stdout!, current.stderr!])
      createInterface({ input: stream }).on('line', onLine);

    // 'close' rather than 'exit': by then its last lines (a crash's stack trace) have been read.
    const onGone = (how: string) => {
      if (gone) return;
      gone = true;
      clearTimeout(readyTimer);
      if (child === current) child = undefined;
      if (stopping) return;
      const uptimeMs = Date.now() - startedAt;
      const which = current.pid === undefined ? name : `${name} (pid ${current.pid})`;
      if (firstStart) return void failFirstStart(`${which} ${how} before it was ready${lastLines()}`);
      const decision = nextRestart(options.policy, restartsInARow, uptimeMs);
      restartsInARow = decision.restarts;
      say(
        `${which} ${how} after ${duration(uptimeMs)}; ` +
          `restarting in ${duration(decision.delayMs)} (restart ${decision.restarts} in a row)`,
      );
      restartTimer = setTimeout(launch, decision.delayMs);
    };
    current.once('close', (code, signal) =>
      onGone(signal ? `was killed by ${signal}` : `exited with code ${code}`),
    );
    current.once('error', (error) => {
      if (current.pid === undefined) onGone(`could not be started (${error.message})`);
    });
  }

  launch();
  return {
    name,
    pid: () => child?.pid,
    ready,
    stop: async () => {
      stopping = true;
      clearTimeout(restartTimer);
      const current = child;
      if (!current) return;
      await new Promise<void>((resolve) => {
        const killer = setTimeout(() => {
          say(`${name} (pid ${current.pid}) still running after ${duration(options.stopGraceMs)}; SIGKILL`);
          current.kill('SIGKILL');
        }, options.stopGraceMs);
        current.once('close', () => {
          clearTimeout(killer);
          resolve();
        });
        current.kill(definition.stopSignal ?? 'SIGTERM');
      });
      say(`${name} (pid ${current.pid}) stopped`);
    },
  };
}
