#!/usr/bin/env node
// `npx batchctl`: builds what changed in the repository (a no-op in about 0.1 s when nothing did),
// then runs the CLI's built code in this process. Relative file arguments are the user's: this
// process's directory, which wins over an INIT_CWD inherited from an npm script around it.
// The launcher belongs to the repository, not to the app: it builds the repository's code.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { build } from '../../../tools/build/build.mjs';

process.env.BATCHCTL_CWD ??= process.cwd();
await build();
await import('../dist/main.js');
