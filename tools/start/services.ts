import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinoLine } from './log-lines.js';
import type { ProcessDefinition } from './supervisor.js';

export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The services, in start order: each waits for the one before to be ready. A new service is one line. */
export const SERVICES = [
  {
    name: 'orchestrator',
    main: 'apps/batch-orchestrator/dist/main.js',
    readyText: 'batch-orchestrator ready',
    // Heap limits, as deployed: V8 otherwise lets a large batch's garbage pile up.
    nodeArgs: ['--max-old-space-size=384'],
  },
  {
    name: 'worker',
    main: 'apps/generation-worker/dist/main.js',
    readyText: 'generation-worker ready',
    nodeArgs: ['--max-old-space-size=192'],
  },
  {
    name: 'gateway',
    main: 'apps/notification-gateway/dist/main.js',
    readyText: 'notification-gateway ready',
  },
  { name: 'backup', main: 'apps/backup-service/dist/main.js', readyText: 'backup-service ready' },
] as const;
export type ServiceName = (typeof SERVICES)[number]['name'];
export type Service = (typeof SERVICES)[number];

export const isBuilt = (path: string): boolean => existsSync(join(repositoryRoot, path));

/**
 * `built`: the compiled code (`npm start` builds what changed first). `dev` (`npm run dev`): the
 * TypeScript sources through swc-node under `node --watch`, which restarts the service when a file
 * it imported (its app's or a lib's source) changes.
 */
export const START_MODES = ['built', 'dev'] as const;
export type StartMode = (typeof START_MODES)[number];

/** The options `node` runs a service with (its heap limit), as deployed. */
export const nodeArgsOf = (service: Service): readonly string[] =>
  'nodeArgs' in service ? service.nodeArgs : [];

const sourceOf = (service: Service): string => service.main.replace(/dist\/main\.js$/, 'src/main.ts');

export const serviceProcess = (
  service: Service,
  env: NodeJS.ProcessEnv,
  mode: StartMode,
): ProcessDefinition => ({
  name: service.name,
  command: process.execPath,
  args: [
    ...nodeArgsOf(service),
    ...(mode === 'built'
      ? [service.main]
      : [
          '--watch',
          '--conditions=@batch/source',
          '--import',
          '@swc-node/register/esm-register',
          sourceOf(service),
        ]),
  ],
  cwd: repositoryRoot,
  env,
  readyText: service.readyText,
  readLine: pinoLine,
});
