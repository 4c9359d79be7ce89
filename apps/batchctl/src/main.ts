import { runCli } from './cli.js';

// The bin launcher passes the user's directory in BATCHCTL_CWD; `npm run cli` (run from the
// repository root) in INIT_CWD.
const cwd = process.env['BATCHCTL_CWD'] ?? process.env['INIT_CWD'] ?? process.cwd();

// A reader that stopped early (`batchctl export id | head`) is not a failure: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  process.stderr.write(`error: cannot write the output: ${error.message}\n`);
  process.exit(1);
});

process.exitCode = await runCli(process.argv.slice(2), { env: process.env, cwd });
