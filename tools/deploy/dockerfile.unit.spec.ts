import { existsSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { validate } from 'dockerfile-utils';
import { fromRoot, readText, SERVICES } from './deploy.spec-helpers.js';

const dockerfile = readText('deploy/Dockerfile');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const stages = instructions.reduce<string[][]>((all, line) => {
  if (line.startsWith('FROM ')) all.push([]);
  all.at(-1)?.push(line);
  return all;
}, []);

describe('deploy/Dockerfile', () => {
  it('passes the Dockerfile linter (dockerfile-utils) with no error or warning', () => {
    const problems = validate(dockerfile).map(
      ({ message, range }) => `line ${range.start.line + 1}: ${message}`,
    );
    expect(problems).toEqual([]);
  });

  it('builds in stages on Node 20, and runs as the unprivileged node user with an exec-form CMD', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(instructions.find((line) => line.startsWith('ARG NODE_IMAGE='))).toMatch(/=node:20[.-]/);
    const final = stages.at(-1)!;
    expect(final).toContain('USER node');
    expect(final.at(-1)).toBe('CMD ["node", "main.js"]');
    expect(instructions.some((line) => line.startsWith('ADD '))).toBe(false);
  });

  it('builds every service by name (APP), the console for the gateway, and ships the one-shot commands', () => {
    expect(dockerfile).toContain(
      'npm run build && if [ "${APP}" = notification-gateway ]; then npm run build:console; fi',
    );
    expect(dockerfile).toContain('ln -s "apps/${APP}/dist/main.js" /out/main.js');
    for (const service of SERVICES) expect(existsSync(fromRoot('apps', service, 'src/main.ts'))).toBe(true);
    for (const command of [
      'libs/persistence/src/migrate.main.ts',
      'libs/persistence/src/rebuild-projections.main.ts',
      'apps/batch-orchestrator/src/cleanup/cleanup-once.main.ts',
      'deploy/healthcheck.mjs',
    ])
      expect({ command, exists: existsSync(fromRoot(command)) }).toEqual({ command, exists: true });
  });

  it('keeps host builds and dependencies out of the build context (.dockerignore)', () => {
    const ignored = readText('.dockerignore').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git', '.data']));
    expect(ignored).not.toContain('deploy/healthcheck.mjs');
  });
});
