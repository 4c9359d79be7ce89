#!/usr/bin/env node
// `npx batchctl`: runs the TypeScript sources with the repository's loader. The loader finds the
// root tsconfig from the working directory, so the CLI runs from the repository root and learns
// the user's directory (for relative file arguments) from BATCHCTL_CWD.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

const child = spawn(
  process.execPath,
  [
    '--conditions=@batch/source',
    '--import',
    '@swc-node/register/esm-register',
    main,
    ...process.argv.slice(2),
  ],
  {
    cwd: repositoryRoot,
    stdio: 'inherit',
    env: { ...process.env, BATCHCTL_CWD: process.env.BATCHCTL_CWD ?? process.cwd() },
  },
);

// Ctrl-C reaches both processes (same process group); a SIGTERM sent to this one is passed on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));

child.on('exit', (code, signal) => {
  if (signal !== null) {
    // Die of the same signal, as the shell expects; our forwarding handler must not catch it.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exitCode = code ?? 1;
});
