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

export interface Command {
  name: string;
  usage: string;
  summary: string;
  /** Resolves with the exit code. */
  run(args: string[], context: CommandContext): Promise<number>;
}

const connectionOptions = {
  url: { type: 'string' },
  token: { type: 'string' },
} as const;

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's arguments (with `--url` and `--token`, which every API command takes). */
export function parseCommandLine<const O extends Options>(command: Command, args: string[], options: O) {
  try {
    return parseArgs({
      args,
      options: { ...connectionOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, command.usage);
  }
}

/** The positionals a command expects, by name; too few or too many is a usage error. */
export function positionalsOf(command: Command, positionals: string[], names: string[]): string[] {
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
export function jsonOption(command: Command, option: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--${option} is not JSON: ${(error as Error).message}`, command.usage);
  }
}
