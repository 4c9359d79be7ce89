import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExportFormat, ExportScope, parse } from '@batch/contracts';
import type { BatchClient, ExportOptions } from '@batch/client';
import { connect, defineCommand, positionalsOf, UsageError } from '../command-line.js';

const NEWLINE = 0x0a;

export const exportCommand = defineCommand({
  name: 'export',
  usage: `export <batchId> [--out FILE] [--format ${ExportFormat.options.join('|')}] [--only ${ExportScope.options.join('|')}] [--include-metadata]`,
  summary:
    'stream the results to a file or stdout: our JSONL, OpenAI chat fine-tuning JSONL, ShareGPT or Parquet',
  options: {
    out: { type: 'string' },
    format: { type: 'string' },
    only: { type: 'string' },
    'include-metadata': { type: 'boolean' },
  },
  choices: { format: ExportFormat.options, only: ExportScope.options },
  async run({ values, positionals }, { env, cwd }) {
    const [batchId] = positionalsOf(exportCommand, positionals, ['batchId']);
    const options: ExportOptions = {
      format: values.format === undefined ? 'jsonl' : parse(ExportFormat, values.format, '--format'),
      ...(values.only === undefined ? {} : { only: parse(ExportScope, values.only, '--only') }),
      ...(values['include-metadata'] ? { includeMetadata: true } : {}),
    };
    if (options.format === 'parquet' && values.out === undefined && process.stdout.isTTY)
      throw new UsageError('Parquet is binary: write it to a file with --out', exportCommand.usage);
    const client = connect(values, env);
    const counted = { lines: 0, bytes: 0 };
    const what = () =>
      options.format === 'parquet'
        ? `${counted.bytes} bytes of Parquet`
        : `${counted.lines} ${options.format === 'jsonl' ? 'results' : `${options.format} conversations`}`;
    if (values.out === undefined) {
      await pipeline(exportBytes(client, batchId, options, counted), process.stdout, { end: false });
      process.stderr.write(`exported ${what()}\n`);
      return 0;
    }
    const out = resolve(cwd, values.out);
    // Written aside and renamed at the end: a file at --out is always a whole export.
    const partial = `${out}.partial`;
    try {
      await pipeline(exportBytes(client, batchId, options, counted), createWriteStream(partial));
      await rename(partial, out);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    process.stderr.write(`exported ${what()} to ${values.out}\n`);
    return 0;
  },
});

/** The export's bytes as the API streams them (with the file's backpressure), lines and bytes counted. */
const exportBytes = (
  client: BatchClient,
  batchId: string,
  options: ExportOptions,
  counted: { lines: number; bytes: number },
) =>
  Readable.from(
    (async function* () {
      for await (const chunk of client.exportResults(batchId, options)) {
        counted.bytes += chunk.length;
        for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1))
          counted.lines += 1;
        yield chunk;
      }
    })(),
  );
