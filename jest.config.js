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
// `npm start`'s launcher keeps its specs next to its sources, without a src folder.
projects.push({ ...projectConfig(join(root, 'tools/start'), 'start'), testMatch: ['<rootDir>/*.spec.ts'] });
// The deployment files' checks (deploy/, k8s/, docker-compose.yml), beside them in tools/deploy.
projects.push({ ...projectConfig(join(root, 'tools/deploy'), 'deploy'), testMatch: ['<rootDir>/*.spec.ts'] });
// The packages made for use outside the repository, installed and used from outside it.
projects.push({ ...projectConfig(join(root, 'tools/pack'), 'pack'), testMatch: ['<rootDir>/*.spec.ts'] });

export default {
  projects,
  testTimeout: 60_000,
  // Tests run in a worker process (one on 2 cores) that is replaced once it holds this much after a
  // file: in band, Jest's own process grew past 1.7 GB over the run and every full GC grew slow
  // (batchctl's million-line test: 34 s at 1 GB, 13 s at 512 MB).
  workerIdleMemoryLimit: '512MB',
  // Real NATS, PostgreSQL and S3 are found (or started) once per run; see libs/testing.
  globalSetup: '<rootDir>/tools/jest/global-setup.mjs',
  globalTeardown: '<rootDir>/tools/jest/global-teardown.mjs',
};
