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
    main: 'apps/batch-orchestrator/src/main.ts',
    readyText: 'batch-orchestrator ready',
  },
  { name: 'worker', main: 'apps/generation-worker/src/main.ts', readyText: 'generation-worker ready' },
  { name: 'gateway', main: 'apps/notification-gateway/src/main.ts', readyText: 'notification-gateway ready' },
  { name: 'backup', main: 'apps/backup-service/src/main.ts', readyText: 'backup-service ready' },
] as const;
export type ServiceName = (typeof SERVICES)[number]['name'];
export type Service = (typeof SERVICES)[number];

export const isBuilt = (path: string): boolean => existsSync(join(repositoryRoot, path));

/** Runs a service from its TypeScript sources, as `npm run orchestrator` does. */
export const serviceProcess = (service: Service, env: NodeJS.ProcessEnv): ProcessDefinition => ({
  name: service.name,
  command: process.execPath,
  args: ['--conditions=@batch/source', '--import', '@swc-node/register/esm-register', service.main],
  cwd: repositoryRoot,
  env,
  readyText: service.readyText,
  readLine: pinoLine,
});
