import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PeerWorkerReport } from './peer-worker.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A BullMQ worker process of the peer bench, spoken to over its IPC channel. */
export interface PeerWorker {
  child: ChildProcess;
  report(): Promise<PeerWorkerReport>;
}

/** Starts `peer-worker.ts` the way the bench runs TypeScript, and resolves once it is ready. */
export async function startWorker(env: Record<string, string>): Promise<PeerWorker> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@batch/source',
      '--import',
      '@swc-node/register/esm-register',
      'tools/bench/peer-worker.ts',
    ],
    { cwd: repositoryRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const next = (type: string) =>
    new Promise<PeerWorkerReport>((resolve, reject) => {
      const exited = (code: number | null) =>
        reject(new Error(`peer worker exited (${code}) before ${type}`));
      child.once('exit', exited);
      child.on('message', function listener(message: PeerWorkerReport) {
        if (message.type !== type) return;
        child.off('message', listener);
        child.off('exit', exited);
        resolve(message);
      });
    });
  await next('ready');
  return {
    child,
    report: () => {
      const answer = next('report');
      child.send({ type: 'report' });
      return answer;
    },
  };
}
