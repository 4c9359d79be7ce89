import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default [
  {
    ignores: [
      '**/node_modules',
      '**/dist',
      '**/coverage',
      '.nx',
      'apps/console/dist',
      // Seed 002's examples, copied verbatim: run as written by the e2e test, never linted or fixed.
      'apps/notification-gateway/src/e2e/seed-002',
    ],
  },
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs'],
    plugins: { '@nx': nx },
    rules: {
      // Folders show the architecture: the domain stays pure, apps never import each other.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          // Services import the platform after starting telemetry (main.ts), and statically elsewhere.
          checkDynamicDependenciesExceptions: ['@batch/platform'],
          allow: [],
          depConstraints: [
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:contracts'] },
            {
              sourceTag: 'type:data',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:domain', 'type:data', 'type:testing'],
            },
            {
              sourceTag: 'type:platform',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:data'],
            },
            { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:contracts'] },
            // Item lists as JSON Lines or CSV: parsed the same by batchctl and the gateway.
            { sourceTag: 'type:formats', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts'] },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:contracts',
                'type:domain',
                'type:data',
                'type:platform',
                'type:client',
                'type:formats',
                'type:testing',
              ],
            },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Shared with the browser (the console): no Node modules or globals.
    files: ['libs/contracts/src/**/*.ts', 'libs/client/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.spec-helpers.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*'] }],
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'runs in the browser too: use TextEncoder / utf8Bytes' },
        { name: 'process', message: 'runs in the browser too: take settings as arguments' },
      ],
    },
  },
  {
    // The domain is pure: no clock, no randomness, no I/O.
    files: ['libs/batch-domain/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.spec-helpers.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', '@nats-io/*', 'pg', 'typeorm', 'minio', '@nestjs/*'] },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'time comes in with the command',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'time comes in with the command',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'ids come in with the command',
        },
      ],
    },
  },
];
