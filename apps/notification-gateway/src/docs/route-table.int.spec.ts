import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { openApiDocument } from './openapi.document.js';

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** The routes the gateway's controllers serve, read by Node itself (see print-served-routes.ts). */
async function servedRoutes(): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--conditions=@batch/source',
      '--import',
      '@swc-node/register/esm-register',
      'apps/notification-gateway/src/docs/print-served-routes.ts',
    ],
    { cwd: repositoryRoot },
  );
  return JSON.parse(stdout) as string[];
}

const documentedRoutes = (): string[] =>
  Object.entries(openApiDocument().paths as Record<string, object>).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );

describe('the route table', () => {
  it('documents every route the gateway serves, and nothing it does not', async () => {
    const served = await servedRoutes();
    expect(served.length).toBeGreaterThan(20);
    expect(new Set(served).size).toBe(served.length);
    expect([...served].sort()).toEqual([...documentedRoutes()].sort());
  });
});
