import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createClient } from '@batch/client';
import { BatchConfig, parse } from '@batch/contracts';
import {
  connectionOf,
  defineCommand,
  JSON_OPTION,
  jsonOption,
  positionalsOf,
  UsageError,
} from '../command-line.js';
import { printJson } from '../format.js';
import { openItemsFile } from '../items-file.js';
import { uploadProgress } from '../progress.js';
import { watchUntilEnded } from './watch.command.js';

export const createCommand = defineCommand({
  name: 'create',
  usage:
    'create <file.jsonl|file.csv> [--name N] [--config \'{"provider":"template"}\' | --config-file f.json] [--no-start] [--watch [--poll]] [--json]',
  summary: 'create a batch from a JSONL or CSV file of items, print its id (--json: the batch)',
  options: {
    name: { type: 'string' },
    config: { type: 'string' },
    'config-file': { type: 'string' },
    'no-start': { type: 'boolean' },
    watch: { type: 'boolean' },
    poll: { type: 'boolean' },
    ...JSON_OPTION,
  },
  async run({ values, positionals }, { env, cwd }) {
    const [file] = positionalsOf(createCommand, positionals, ['file']);
    if (values['no-start'] && values.watch)
      throw new UsageError(
        '--watch follows a running batch; it cannot go with --no-start',
        createCommand.usage,
      );
    const connection = connectionOf(values, env);
    const client = createClient(connection);
    const config = await configOf(values.config, values['config-file'], cwd);
    const itemsFile = await openItemsFile(resolve(cwd, file));
    const progress = uploadProgress(itemsFile.size);
    const autoStart = !values['no-start'];
    // Ctrl-C during the upload stops it at the next chunk; the upload then discards the partial batch.
    const interrupted = new AbortController();
    const interrupt = () => interrupted.abort();
    process.on('SIGINT', interrupt);
    const batch = await client
      .createLargeBatch({
        name: values.name ?? basename(file),
        config,
        items: untilAborted(itemsFile.items, interrupted.signal),
        autoStart,
        onProgress: (uploaded) => progress.update(uploaded, itemsFile.bytesRead()),
      })
      .finally(() => {
        process.off('SIGINT', interrupt);
        progress.stop();
      });
    process.stderr.write(
      `created batch ${batch.batch_id} with ${batch.total_items} items${autoStart ? ', started' : `; start it with: batchctl start ${batch.batch_id}`}\n`,
    );
    const json = values.json === true;
    // With --json, one JSON answer: the batch as created, or as it ended when watched.
    if (!json) process.stdout.write(`${batch.batch_id}\n`);
    if (values.watch)
      return watchUntilEnded(connection, batch.batch_id, { poll: values.poll === true, json });
    if (json) printJson(batch);
    return 0;
  },
});

/** Thrown into the upload by Ctrl-C; the CLI exits 130, as a shell expects of an interrupted command. */
export class UploadInterrupted extends Error {
  constructor() {
    super('interrupted: the upload stopped and the partly uploaded batch was discarded');
    this.name = 'UploadInterrupted';
  }
}

async function* untilAborted<T>(items: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  for await (const item of items) {
    if (signal.aborted) throw new UploadInterrupted();
    yield item;
  }
}

/** The config of `--config` or `--config-file`, checked before any item is read or sent. */
async function configOf(
  inline: string | undefined,
  file: string | undefined,
  cwd: string,
): Promise<BatchConfig | undefined> {
  if (inline !== undefined && file !== undefined)
    throw new UsageError('give --config or --config-file, not both', createCommand.usage);
  const text = inline ?? (file === undefined ? undefined : await readFile(resolve(cwd, file), 'utf8'));
  if (text === undefined) return undefined;
  return parse(
    BatchConfig,
    jsonOption(createCommand, inline === undefined ? 'config-file' : 'config', text),
    'config',
  );
}
