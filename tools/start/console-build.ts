import { spawn } from 'node:child_process';
import { isBuilt, repositoryRoot } from './services.js';

const CONSOLE_CONFIG = 'apps/console/vite.config.ts';
const CONSOLE_BUILD = 'apps/console/dist/index.html';

/**
 * Builds the web console with Vite when its sources are here and its build is not (`npm run
 * build:console` rebuilds it). A build that fails is reported and the rest starts without it.
 */
export async function buildConsoleIfMissing(say: (text: string) => void): Promise<boolean> {
  if (isBuilt(CONSOLE_BUILD)) return true;
  if (!isBuilt(CONSOLE_CONFIG)) return false;
  say('building the console (apps/console, once: npm run build:console rebuilds it)');
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const build = spawn(
      process.execPath,
      ['node_modules/vite/bin/vite.js', 'build', '--config', CONSOLE_CONFIG],
      {
        cwd: repositoryRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    build.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    build.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    build.on('error', () => resolve(null));
    build.on('close', resolve);
  });
  if (code === 0 && isBuilt(CONSOLE_BUILD)) return true;
  say(
    `the console could not be built (vite exited ${code}); starting without it:\n${output.join('').slice(-2000)}`,
  );
  return false;
}
