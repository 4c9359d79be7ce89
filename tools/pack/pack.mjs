// `npm run pack`: the two packages this repository makes for use outside it, as npm tarballs in
// `dist/packages/`:
// - `batchctl`: the CLI and everything it imports bundled into one file (rolldown), so installing
//   it (`npm install -g batchctl-<version>.tgz`) fetches nothing and it starts without compiling;
// - `@batch/client`: the REST and WebSocket client as one ESM file with one bundled declaration
//   file (dts-bundle-generator); `@batch/contracts` is inlined, `zod` is its one dependency.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateDtsBundle } from 'dts-bundle-generator';
import { build } from 'rolldown';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const PACKAGES_DIR = join(root, 'dist', 'packages');

/** The workspace's own packages are read from their sources, as the tests and swc-node read them. */
const SOURCE_CONDITIONS = ['@batch/source', 'import', 'default'];

const readJson = async (path) => JSON.parse(await readFile(join(root, path), 'utf8'));

/** A fresh directory for one package's files. */
async function stage(name) {
  const directory = join(PACKAGES_DIR, 'stage', name.replace('/', '-'));
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
  return directory;
}

/**
 * Finishes a staged package (its README, its package.json with the repository's `engines`) and packs
 * it into `destination` with `npm pack`; the tarball's path.
 */
async function npmPack(directory, destination, { readme, manifest }) {
  const { engines } = await readJson('package.json');
  await copyFile(join(root, readme), join(directory, 'README.md'));
  await writeFile(join(directory, 'package.json'), `${JSON.stringify({ ...manifest, engines }, null, 2)}\n`);
  await mkdir(destination, { recursive: true });
  const { stdout } = await promisify(execFile)(
    'npm',
    ['pack', '--json', '--pack-destination', destination, '--loglevel', 'error'],
    { cwd: directory },
  );
  return join(destination, JSON.parse(stdout)[0].filename);
}

/** The CLI as a package: `batchctl.mjs` (a bundle with a shebang), its README, no dependencies. */
export async function packCli(destination = PACKAGES_DIR) {
  const directory = await stage('batchctl');
  const { version } = await readJson('apps/batchctl/package.json');
  await build({
    input: join(root, 'apps/batchctl/src/main.ts'),
    platform: 'node',
    resolve: { conditionNames: [...SOURCE_CONDITIONS, 'node'] },
    output: {
      file: join(directory, 'batchctl.mjs'),
      format: 'esm',
      minify: true,
      banner: '#!/usr/bin/env node',
    },
    logLevel: 'warn',
  });
  return npmPack(directory, destination, {
    readme: 'apps/batchctl/README.md',
    manifest: {
      name: 'batchctl',
      version,
      description: 'Command line for the batch platform: create, follow, control and export batches',
      type: 'module',
      bin: { batchctl: 'batchctl.mjs' },
    },
  });
}

/** The client as a package: `index.js` (ESM, browser and Node), `index.d.ts`, `zod` as dependency. */
export async function packClient(destination = PACKAGES_DIR) {
  const directory = await stage('@batch/client');
  const { name, version } = await readJson('libs/client/package.json');
  const { version: zodVersion } = await readJson('node_modules/zod/package.json');
  await build({
    input: join(root, 'libs/client/src/index.ts'),
    platform: 'neutral',
    external: ['zod'],
    resolve: { conditionNames: SOURCE_CONDITIONS },
    output: { file: join(directory, 'index.js'), format: 'esm' },
    logLevel: 'warn',
  });
  const [declarations] = generateDtsBundle(
    [
      {
        filePath: join(root, 'libs/client/src/index.ts'),
        libraries: { inlinedLibraries: ['@batch/contracts'] },
        output: { exportReferencedTypes: false, noBanner: true },
      },
    ],
    { preferredConfigPath: join(root, 'libs/client/tsconfig.pack.json') },
  );
  await writeFile(join(directory, 'index.d.ts'), declarations);
  return npmPack(directory, destination, {
    readme: 'libs/client/README.md',
    manifest: {
      name,
      version,
      description: 'Typed REST and WebSocket client of the batch platform, for Node and browsers',
      type: 'module',
      exports: { '.': { types: './index.d.ts', default: './index.js' } },
      types: './index.d.ts',
      sideEffects: false,
      dependencies: { zod: `^${zodVersion}` },
    },
  });
}

// `node tools/pack/pack.mjs [destination]` prints each tarball's path on a line.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const pack of [packCli, packClient]) console.log(await pack(process.argv[2]));
}
