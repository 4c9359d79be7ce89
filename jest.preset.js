// Shared by every project: TypeScript through SWC (decorator metadata for Nest), native ESM.
export const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

export function projectConfig(projectRoot, displayName) {
  return {
    displayName,
    rootDir: projectRoot,
    testEnvironment: 'node',
    testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', '@batch/source'] },
    extensionsToTreatAsEsm: ['.ts'],
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    transform: { '^.+\\.ts$': swcTransform },
    testMatch: ['<rootDir>/src/**/*.spec.ts'],
  };
}
