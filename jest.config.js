import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectConfig } from './jest.preset.js';

const root = import.meta.dirname;
const projects = ['libs', 'apps'].flatMap((group) =>
  existsSync(join(root, group))
    ? readdirSync(join(root, group))
        .filter((name) => existsSync(join(root, group, name, 'src')))
        .map((name) => projectConfig(join(root, group, name), name))
    : [],
);

export default {
  projects,
  testTimeout: 60_000,
  // Real NATS, PostgreSQL and S3 are found (or started) once per run; see libs/testing.
  globalSetup: '<rootDir>/tools/jest/global-setup.mjs',
  globalTeardown: '<rootDir>/tools/jest/global-teardown.mjs',
};
