// `npm test [jest arguments]`: Jest (every service, lib and the console's browser tests), then the
// console's component tests with Vitest when the run is not narrowed to other paths. With Jest's
// `--json --outputFile=<file>`, Vitest's counts are added to that file's, so one report counts both.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const VITEST_CONFIG = 'apps/console/vite.config.ts';
const args = process.argv.slice(2);
const node = (script, scriptArgs, nodeOptions = []) =>
  spawnSync(process.execPath, [...nodeOptions, script, ...scriptArgs], { stdio: 'inherit' }).status ?? 1;

const jest = node('node_modules/jest/bin/jest.js', args, [
  '--experimental-vm-modules',
  '--no-warnings=ExperimentalWarning',
]);

const paths = args.filter((arg) => !arg.startsWith('-') && !/^\d+$/.test(arg));
// Component tests live in apps/console/src beside the browser tests (Jest's, in src/e2e).
const componentPaths = (path) => path.startsWith('apps/console') && !path.startsWith('apps/console/src/e2e');
const narrowedAway = paths.length > 0 && !paths.some(componentPaths);
const testsNamed = args.some((arg) => arg === '-t' || arg.startsWith('--testNamePattern'));
if (narrowedAway || testsNamed || !existsSync(VITEST_CONFIG)) process.exit(jest);

const report = args.find((arg) => arg.startsWith('--outputFile='))?.slice('--outputFile='.length);
const vitestReport = report && `${report}.vitest.json`;
const vitest = node('node_modules/vitest/vitest.mjs', [
  'run',
  '--config',
  VITEST_CONFIG,
  ...(vitestReport ? ['--reporter=default', '--reporter=json', `--outputFile.json=${vitestReport}`] : []),
]);
if (report && vitestReport && existsSync(report) && existsSync(vitestReport)) {
  const jestCounts = JSON.parse(readFileSync(report, 'utf8'));
  const vitestCounts = JSON.parse(readFileSync(vitestReport, 'utf8'));
  for (const key of ['numPassedTests', 'numFailedTests', 'numTotalTests'])
    jestCounts[key] = (jestCounts[key] ?? 0) + (vitestCounts[key] ?? 0);
  // A file that failed without a failed test (it did not load, or threw outside its tests), as Jest counts them.
  const vitestRuntimeErrors = (vitestCounts.testResults ?? []).filter(
    (file) => file.status === 'failed' && !file.assertionResults?.some((test) => test.status === 'failed'),
  ).length;
  jestCounts.numRuntimeErrorTestSuites = (jestCounts.numRuntimeErrorTestSuites ?? 0) + vitestRuntimeErrors;
  writeFileSync(report, JSON.stringify(jestCounts));
  rmSync(vitestReport);
}
process.exit(jest || vitest);
