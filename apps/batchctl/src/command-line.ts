import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createClient, type BatchClient } from '@batch/client';

/** A mistake in the command line: shown with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, usage?: string) {
    super(usage === undefined ? message : `${message}\nusage: batchctl ${usage}`);
    this.name = 'UsageError';
  }
}

export interface CommandContext {
  env: NodeJS.ProcessEnv;
  /** The directory relative file arguments are resolved against (the user's, not the launcher's). */
  cwd: string;
}

const connectionOptions = {
  url: { type: 'string' },
  token: { type: 'string' },
} as const;

type Options = NonNullable<ParseArgsConfig['options']>;

/** A command line parsed with a command's options and `--url`/`--token`, which every command takes. */
export type CommandLine<O extends Options> = ReturnType<
  typeof parseArgs<{ options: typeof connectionOptions & O; allowPositionals: true; strict: true }>
>;

export interface Command<O extends Options = Options> {
  name: string;
  usage: string;
  summary: string;
  /** The command's options but `--url`, `--token` and `--help`. */
  options: O;
  /** The values an option takes, for shell completion. */
  choices?: Partial<Record<keyof O & string, readonly string[]>>;
  /** Resolves with the exit code. */
  run(line: CommandLine<O>, context: CommandContext): Promise<number>;
}

/** A command, its options' types carried into its `run`. */
export const defineCommand = <const O extends Options>(command: Command<O>): Command<O> => command;

/** `--json`: the answer as JSON on stdout, for scripts. */
export const JSON_OPTION = { json: { type: 'boolean' } } as const;

/** Parses a command's arguments; a mistake is a usage error. */
export function parseCommandLine<O extends Options>(command: Command<O>, args: string[]): CommandLine<O> {
  try {
    return parseArgs({
      args,
      options: { ...connectionOptions, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, command.usage);
  }
}

/** The positionals a command expects, by name; too few or too many is a usage error. */
export function positionalsOf(
  command: Pick<Command, 'usage'>,
  positionals: string[],
  names: string[],
): string[] {
  if (positionals.length !== names.length)
    throw new UsageError(
      positionals.length < names.length
        ? `missing ${names.slice(positionals.length).join(', ')}`
        : `unexpected argument ${positionals[names.length]}`,
      command.usage,
    );
  return positionals;
}

const DEFAULT_API_URL = 'http://localhost:3000';

/** Where the gateway is and who we are: `--url`/`--token`, or BATCH_API_URL/BATCH_API_TOKEN. */
export interface Connection {
  baseUrl: string;
  token: string;
}

export function connectionOf(values: { url?: string; token?: string }, env: NodeJS.ProcessEnv): Connection {
  const token = values.token ?? env['BATCH_API_TOKEN'];
  if (token === undefined || token === '')
    throw new UsageError(
      'no API token: set BATCH_API_TOKEN (or pass --token) to a JWT for the gateway (npm start prints a dev token)',
    );
  return { baseUrl: values.url ?? env['BATCH_API_URL'] ?? DEFAULT_API_URL, token };
}

/** The REST client for `--url`/`--token`, or BATCH_API_URL/BATCH_API_TOKEN. */
export const connect = (values: { url?: string; token?: string }, env: NodeJS.ProcessEnv): BatchClient =>
  createClient(connectionOf(values, env));

/** A JSON option's value, or a usage error naming the option. */
export function jsonOption(command: Pick<Command, 'usage'>, option: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--${option} is not JSON: ${(error as Error).message}`, command.usage);
  }
}
