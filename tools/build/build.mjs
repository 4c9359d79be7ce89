// `npm run build`: every app and lib (but the console, which Vite builds) compiled by SWC from
// `src/` to `dist/`, file by file, with source maps; JSON files copied beside. Only what changed
// since the last build is compiled again, and what no longer has a source is removed, so a build
// with nothing to do takes a moment: tests (Jest's global setup) and `npm start` build first, and
// the services run from `dist/` without compiling TypeScript at every start.
import { copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** Compiled like the sources run under Jest and swc-node: Nest's decorators with their metadata. */
const SWC_OPTIONS = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2023',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: true,
  swcrc: false,
};
/** Test files are run by Jest from the sources; services never load them. */
const isTest = (path) => /\.spec\.ts$/.test(path) || /[/\\]e2e[/\\]/.test(path);

async function* filesUnder(directory) {
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

const modified = (path) =>
  stat(path).then(
    (info) => info.mtimeMs,
    () => -1,
  );

/** Builds one project's `src` into its `dist`; the number of files written. */
async function buildProject(project) {
  const src = join(project, 'src');
  const dist = join(project, 'dist');
  const wanted = new Set();
  let written = 0;
  for await (const path of filesUnder(src)) {
    const relativePath = relative(src, path);
    if (path.endsWith('.ts') && !path.endsWith('.d.ts') && !isTest(path)) {
      const out = join(dist, relativePath.replace(/\.ts$/, '.js'));
      wanted.add(out).add(`${out}.map`);
      if ((await modified(out)) >= (await modified(path))) continue;
      const { code, map } = await transformFile(path, {
        ...SWC_OPTIONS,
        filename: path,
        sourceFileName: path,
      });
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, `${code}\n//# sourceMappingURL=${out.split(/[/\\]/).pop()}.map\n`);
      await writeFile(`${out}.map`, map ?? '');
      written += 1;
    } else if (path.endsWith('.json')) {
      const out = join(dist, relativePath);
      wanted.add(out);
      if ((await modified(out)) >= (await modified(path))) continue;
      await mkdir(dirname(out), { recursive: true });
      await copyFile(path, out);
      written += 1;
    }
  }
  if ((await modified(dist)) >= 0)
    for await (const path of filesUnder(dist)) if (!wanted.has(path)) await rm(path, { force: true });
  return written;
}

async function projects() {
  const found = [];
  for (const group of ['apps', 'libs'])
    for (const name of await readdir(join(root, group)))
      if (name !== 'console' && (await modified(join(root, group, name, 'src'))) >= 0)
        found.push(join(root, group, name));
  return found;
}

export async function build() {
  const started = performance.now();
  const counts = await Promise.all((await projects()).map(buildProject));
  return {
    files: counts.reduce((sum, count) => sum + count, 0),
    ms: Math.round(performance.now() - started),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files, ms } = await build();
  console.log(`built ${files} file(s) in ${ms} ms`);
}
