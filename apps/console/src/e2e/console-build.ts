import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const consoleRoot = join(repositoryRoot, 'apps/console');
export const consoleDist = join(consoleRoot, 'dist');

/** What the built console is made of: its sources (not these tests) and the libraries it bundles. */
const SOURCES = [
  'apps/console/src',
  'apps/console/index.html',
  'apps/console/public',
  'apps/console/vite.config.ts',
  'apps/console/package.json',
  'libs/client/src',
  'libs/contracts/src',
];
const NOT_BUNDLED = /(^|\/)e2e(\/|$)|\.(spec|test)\.tsx?$/;

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return NOT_BUNDLED.test(path) ? 0 : stat.mtimeMs;
  if (NOT_BUNDLED.test(path)) return 0;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

const isFresh = () => {
  const index = join(consoleDist, 'index.html');
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  return SOURCES.every((source) => newestMtime(join(repositoryRoot, source)) <= built);
};

function build(): void {
  const scripts = (
    JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    }
  ).scripts;
  const [command, args] = scripts?.['build:console']
    ? ['npm', ['run', '--silent', 'build:console']]
    : ['npx', ['vite', 'build', '--config', 'apps/console/vite.config.ts']];
  execFileSync(command, args, { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
}

/** Held while one test file builds, so that parallel Jest workers build once. */
const lockDir = join(
  tmpdir(),
  `console-build-${createHash('sha256').update(repositoryRoot).digest('hex').slice(0, 12)}.lock`,
);
const STALE_LOCK_MS = 5 * 60_000;

/**
 * Builds apps/console/dist when it is missing or older than its sources. The gateway serves the
 * build it finds at its start, so this runs before the platform does.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  for (;;) {
    if (isFresh()) return;
    try {
      mkdirSync(lockDir);
    } catch {
      // Another worker builds: look again once it is done (or its lock is abandoned).
      if (existsSync(lockDir) && Date.now() - statSync(lockDir).mtimeMs > STALE_LOCK_MS) rmdirSync(lockDir);
      await sleep(250);
      continue;
    }
    try {
      if (!isFresh()) build();
      return;
    } finally {
      rmdirSync(lockDir);
    }
  }
}
