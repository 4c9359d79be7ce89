import { isApiError, type ApiError } from '@batch/client';
import { isValidationError } from '@batch/contracts';
import {
  defineCommand,
  parseCommandLine,
  positionalsOf,
  UsageError,
  type Command,
  type CommandContext,
} from './command-line.js';
import { createCommand, UploadInterrupted } from './commands/create.command.js';
import { exportCommand } from './commands/export.command.js';
import { itemsCommand } from './commands/items.command.js';
import {
  cancelCommand,
  discardCommand,
  pauseCommand,
  resumeCommand,
  retryFailedCommand,
  startCommand,
} from './commands/lifecycle.command.js';
import { listCommand } from './commands/list.command.js';
import { cleanupCommand, recoverCommand } from './commands/maintenance.command.js';
import { statsCommand } from './commands/stats.command.js';
import { statusCommand } from './commands/status.command.js';
import { watchCommand } from './commands/watch.command.js';
import { completionScript, isShell, SHELLS } from './completion.js';

const completionCommand = defineCommand({
  name: 'completion',
  usage: `completion ${SHELLS.join('|')}`,
  summary: 'print a shell completion script: source <(batchctl completion bash)',
  options: {},
  async run({ positionals }) {
    const [shell] = positionalsOf(completionCommand, positionals, ['shell']);
    if (!isShell(shell))
      throw new UsageError(`no completion for the shell "${shell}"`, completionCommand.usage);
    process.stdout.write(completionScript(shell, COMMANDS));
    return 0;
  },
});

const COMMANDS: Command[] = [
  createCommand,
  watchCommand,
  statusCommand,
  listCommand,
  itemsCommand,
  statsCommand,
  exportCommand,
  startCommand,
  pauseCommand,
  resumeCommand,
  cancelCommand,
  retryFailedCommand,
  discardCommand,
  recoverCommand,
  cleanupCommand,
  completionCommand,
];

const EXIT_USAGE = 2;
/** 128 + SIGINT, as shells report a command stopped by Ctrl-C. */
const EXIT_INTERRUPTED = 130;

function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'usage: batchctl <command> [options] [--url URL] [--token JWT]',
    '',
    'commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'settings: BATCH_API_URL (default http://localhost:3000) and BATCH_API_TOKEN, or --url and --token.',
    '--json prints what a command answers as JSON, for scripts.',
    "'batchctl <command> --help' shows a command's options.",
    '',
    'exit codes: 0 done (watch, create --watch: the batch completed); 1 an error, or the watched batch',
    'failed or was cancelled; 2 a usage error; 130 interrupted (Ctrl-C).',
    '',
  ].join('\n');
}

/** Runs one command line; resolves with the exit code. Errors are reported here, not thrown. */
export async function runCli(argv: string[], context: CommandContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    process.stderr.write(`error: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: batchctl ${command.usage}\n${command.summary}\n`);
    return 0;
  }
  try {
    return await command.run(parseCommandLine(command, args), context);
  } catch (error) {
    process.stderr.write(reportOf(error));
    if (error instanceof UploadInterrupted) return EXIT_INTERRUPTED;
    return error instanceof UsageError ? EXIT_USAGE : 1;
  }
}

/** What the user sees of a failure: its code and message, the fields at fault; never a stack. */
export function reportOf(error: unknown): string {
  if (isApiError(error)) return `error: ${error.code}: ${error.message}\n${fieldsOf(error)}`;
  if (isValidationError(error))
    return `error: validation: invalid ${error.what}\n${error.issues.map((issue) => `  ${issue.field}: ${issue.message}\n`).join('')}`;
  return `error: ${error instanceof Error ? error.message : String(error)}\n`;
}

/** The fields a validation error names, one per line. */
const fieldsOf = (error: ApiError): string =>
  Array.isArray(error.details) && error.details.every(isFieldIssue)
    ? error.details.map((issue) => `  ${issue.field}: ${issue.message}\n`).join('')
    : '';

const isFieldIssue = (value: unknown): value is { field: string; message: string } =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Record<string, unknown>)['field'] === 'string' &&
  typeof (value as Record<string, unknown>)['message'] === 'string';
